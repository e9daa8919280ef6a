package nfs

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// smileWriter is a test encoder of Smile, written from the specification as Jackson's generator applies it
// (shared names on by default, shared values when asked, raw or 7-bit binary): the fixtures of the copy tests
// write repositories with it, and the decoder's tests round-trip through it. The decoder is also checked
// against files written by real clusters (TestRepositoryContentOfRealRepositories).
type smileWriter struct {
	buf                       bytes.Buffer
	sharedNames, sharedValues bool
	binary7                   bool
	names, values             map[string]int
}

func encodeSmile(v any, sharedNames, sharedValues, binary7 bool) []byte {
	w := &smileWriter{sharedNames: sharedNames, sharedValues: sharedValues, binary7: binary7,
		names: map[string]int{}, values: map[string]int{}}
	flags := byte(0)
	if sharedNames {
		flags |= 1
	}
	if sharedValues {
		flags |= 2
	}
	if !binary7 {
		flags |= 4
	}
	w.buf.Write([]byte{':', ')', '\n', flags})
	w.value(v)
	return w.buf.Bytes()
}

func (w *smileWriter) vint(v uint64) {
	// the last byte carries 6 bits and the high bit; the others 7 bits each, big-endian
	var groups []byte
	groups = append(groups, byte(v&0x3F)|0x80)
	v >>= 6
	for v > 0 {
		groups = append(groups, byte(v&0x7F))
		v >>= 7
	}
	for i := len(groups) - 1; i >= 0; i-- {
		w.buf.WriteByte(groups[i])
	}
}

func zz(n int64) uint64 { return uint64(n<<1) ^ uint64(n>>63) }

func (w *smileWriter) remember(table map[string]int, s string) {
	if len(table) >= 1024 {
		clear(table)
	}
	table[s] = len(table)
}

func (w *smileWriter) value(v any) {
	switch t := v.(type) {
	case nil:
		w.buf.WriteByte(0x21)
	case bool:
		if t {
			w.buf.WriteByte(0x23)
		} else {
			w.buf.WriteByte(0x22)
		}
	case int:
		w.value(int64(t))
	case int64:
		switch {
		case t >= -16 && t <= 15:
			w.buf.WriteByte(0xC0 | byte(zz(t)))
		case t >= math.MinInt32 && t <= math.MaxInt32:
			w.buf.WriteByte(0x24)
			w.vint(zz(t))
		default:
			w.buf.WriteByte(0x25)
			w.vint(zz(t))
		}
	case float64:
		w.buf.WriteByte(0x29)
		bits := math.Float64bits(t)
		for i := 9; i >= 0; i-- {
			w.buf.WriteByte(byte(bits>>(7*uint(i))) & 0x7F)
		}
	case string:
		w.str(t)
	case smileBigInt:
		w.buf.WriteByte(0x26)
		w.vint(uint64(len(t)))
		w.seven(t)
	case smileBigDec:
		w.buf.WriteByte(0x2A)
		w.vint(zz(t.scale))
		w.vint(uint64(len(t.unscaled)))
		w.seven(t.unscaled)
	case []byte:
		if w.binary7 {
			w.buf.WriteByte(0xE8)
			w.vint(uint64(len(t)))
			w.seven(t)
		} else {
			w.buf.WriteByte(0xFD)
			w.vint(uint64(len(t)))
			w.buf.Write(t)
		}
	case []any:
		w.buf.WriteByte(0xF8)
		for _, e := range t {
			w.value(e)
		}
		w.buf.WriteByte(0xF9)
	case []string:
		arr := make([]any, len(t))
		for i, s := range t {
			arr[i] = s
		}
		w.value(arr)
	case map[string]any:
		w.buf.WriteByte(0xFA)
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			w.name(k)
			w.value(t[k])
		}
		w.buf.WriteByte(0xFB)
	default:
		panic("smileWriter: cannot encode " + reflect.TypeOf(v).String())
	}
}

func (w *smileWriter) str(s string) {
	if s == "" {
		w.buf.WriteByte(0x20)
		return
	}
	ascii := true
	for i := 0; i < len(s); i++ {
		ascii = ascii && s[i] < 0x80
	}
	n := len(s)
	if w.sharedValues && n <= 64 {
		if ix, ok := w.values[s]; ok {
			if ix < 31 {
				w.buf.WriteByte(byte(ix + 1))
			} else {
				w.buf.Write([]byte{0xEC | byte(ix>>8), byte(ix)})
			}
			return
		}
	}
	switch {
	case ascii && n <= 32:
		w.buf.WriteByte(0x40 + byte(n-1))
	case ascii && n <= 64:
		w.buf.WriteByte(0x60 + byte(n-33))
	case !ascii && n >= 2 && n <= 33:
		w.buf.WriteByte(0x80 + byte(n-2))
	case !ascii && n >= 34 && n <= 64:
		w.buf.WriteByte(0xA0 + byte(n-34))
	default:
		if ascii {
			w.buf.WriteByte(0xE0)
		} else {
			w.buf.WriteByte(0xE4)
		}
		w.buf.WriteString(s)
		w.buf.WriteByte(0xFC)
		return
	}
	w.buf.WriteString(s)
	if w.sharedValues {
		w.remember(w.values, s)
	}
}

func (w *smileWriter) name(s string) {
	if w.sharedNames {
		if ix, ok := w.names[s]; ok {
			if ix < 64 {
				w.buf.WriteByte(0x40 + byte(ix))
			} else {
				w.buf.Write([]byte{0x30 | byte(ix>>8), byte(ix)})
			}
			return
		}
	}
	ascii := true
	for i := 0; i < len(s); i++ {
		ascii = ascii && s[i] < 0x80
	}
	switch {
	case s == "":
		w.buf.WriteByte(0x20)
		return
	case ascii && len(s) <= 64:
		w.buf.WriteByte(0x80 + byte(len(s)-1))
		w.buf.WriteString(s)
	case !ascii && len(s) >= 2 && len(s) <= 57:
		w.buf.WriteByte(0xC0 + byte(len(s)-2))
		w.buf.WriteString(s)
	default:
		w.buf.WriteByte(0x34)
		w.buf.WriteString(s)
		w.buf.WriteByte(0xFC)
	}
	if w.sharedNames {
		w.remember(w.names, s)
	}
}

// seven writes binary data in 7-bit groups: 7 bytes as 8, the rest as one byte more than it has.
func (w *smileWriter) seven(b []byte) {
	for len(b) >= 7 {
		var v uint64
		for _, c := range b[:7] {
			v = v<<8 | uint64(c)
		}
		for i := 7; i >= 0; i-- {
			w.buf.WriteByte(byte(v>>(7*uint(i))) & 0x7F)
		}
		b = b[7:]
	}
	if len(b) > 0 {
		var v uint64
		for _, c := range b {
			v = v<<8 | uint64(c)
		}
		bits := 8 * len(b)
		// ceil(bits/7) bytes: the full 7-bit groups from the top, then the last bits right-aligned
		n := len(b) + 1
		last := bits - 7*(n-1)
		for i := 0; i < n-1; i++ {
			w.buf.WriteByte(byte(v>>uint(bits-7*(i+1))) & 0x7F)
		}
		w.buf.WriteByte(byte(v) & byte(1<<uint(last)-1))
	}
}

// blobFormat wraps content as Elasticsearch's ChecksumBlobStoreFormat does: codec header, optionally deflated
// Smile, footer with the CRC32.
func blobFormat(codec string, content []byte, compress bool) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(0x3FD76C17))
	b.WriteByte(byte(len(codec)))
	b.WriteString(codec)
	binary.Write(&b, binary.BigEndian, uint32(1))
	if compress {
		b.WriteString("DFL\x00")
		fw, _ := flate.NewWriter(&b, flate.DefaultCompression)
		fw.Write(content)
		fw.Close()
	} else {
		b.Write(content)
	}
	binary.Write(&b, binary.BigEndian, uint32(0xC02893E8))
	binary.Write(&b, binary.BigEndian, uint32(0))
	binary.Write(&b, binary.BigEndian, uint64(crc32.ChecksumIEEE(b.Bytes())))
	return b.Bytes()
}

func TestSmileRoundTrip(t *testing.T) {
	long := strings.Repeat("x", 200)
	many := map[string]any{}
	for i := 0; i < 1500; i++ { // past the 1,024 entries of the shared tables: they start again
		many[strings.Repeat("k", i%70+1)+string(rune('a'+i%26))+strings.Repeat("z", i/100)] = []any{int64(i), "v" + strings.Repeat("w", i%40), "v" + strings.Repeat("w", i%40)}
	}
	doc := map[string]any{
		"files": []any{
			map[string]any{"name": "__abc", "length": int64(95767), "part_size": int64(65536), "checksum": "3hn7j7", "meta_hash": []byte("P\x00\xff\x10binary data of odd length")},
			map[string]any{"name": "v__def", "length": int64(-5), "part_size": int64(math.MaxInt64), "ratio": 0.25},
		},
		"snapshots": map[string]any{"s1": map[string]any{"files": []any{"__abc", "v__def"}}, "": true, "n": nil},
		"unicode":   "中文的名字 and ascii",
		"short uni": "é",
		// The inline string values' four lengths at their ends: tiny and short, ASCII and Unicode.
		"tiny ascii":  strings.Repeat("a", 32),
		"short ascii": strings.Repeat("a", 64),
		"tiny uni":    strings.Repeat("é", 16) + "a",
		"short uni 2": strings.Repeat("é", 17),
		"short uni 3": strings.Repeat("é", 32),
		long:          long,
		"big":         int64(1) << 40,
		"neg":         int64(-123456),
		"many":        many,
		"empty":       []any{},
		"emptyObject": map[string]any{},
	}
	want, _ := json.Marshal(doc)
	for _, c := range []struct{ names, values, seven bool }{{true, false, false}, {false, false, true}, {true, true, true}, {true, true, false}} {
		got, err := decodeSmile(encodeSmile(doc, c.names, c.values, c.seven))
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		gj, _ := json.Marshal(got)
		if !bytes.Equal(gj, want) {
			t.Errorf("%+v: decoded\n%.300s\nwant\n%.300s", c, gj, want)
		}
	}
}

// smileBigInt and smileBigDec are Smile's BigInteger (two's complement, big-endian) and BigDecimal (scale and
// unscaled value), which Jackson writes for Java's BigInteger and BigDecimal.
type (
	smileBigInt []byte
	smileBigDec struct {
		scale    int64
		unscaled []byte
	}
)

// BigInteger and BigDecimal values are read as their decimal text (numbers no repository field the copy reads
// is, but a document that has one must still be read).
func TestSmileReadsBigNumbersAsText(t *testing.T) {
	doc := map[string]any{"bi": smileBigInt{0x01, 0x00}, "neg": smileBigInt{0xFF, 0x00}, "bd": smileBigDec{2, []byte{0x30, 0x39}},
		"huge": smileBigInt{0x01, 2, 3, 4, 5, 6, 7, 8, 9}}
	got, err := decodeSmile(encodeSmile(doc, true, false, true))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"bi": "256", "neg": "-256", "bd": "12345e-2", "huge": "0x010203040506070809"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %#v, want %#v", got, want)
	}
}

func TestSmileRefusesDamagedInput(t *testing.T) {
	full := encodeSmile(map[string]any{"files": []any{"a", "b"}, "x": int64(5)}, true, false, false)
	for n := 0; n < len(full); n++ {
		if _, err := decodeSmile(full[:n]); err == nil {
			t.Errorf("a document cut after %d of %d bytes decoded without error", n, len(full))
		}
	}
	b := blobFormat("snapshots", full, true)
	if _, err := readBlobFormat(b); err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if _, err := readBlobFormat(b); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("a changed byte: %v", err)
	}
}

func FuzzSmileDecode(f *testing.F) {
	f.Add(encodeSmile(map[string]any{"files": []any{"a", int64(1) << 40, []byte{1, 2, 3}}}, true, true, true))
	f.Add([]byte(":)\n\x01\xfa\x80a\xf8\xf9\xfb"))
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeSmile(b) // must not panic nor hang
	})
}

// The shard index files of repositories written by real clusters decode, compressed or not.
func TestReadBlobFormatOfRealShardIndexFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/repositories/*/indices/*/*/index-*")
	if len(files) < 10 {
		t.Fatalf("only %d fixture files", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sf, err := shardIndexFiles(b)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(sf.snapshots) == 0 {
			t.Errorf("%s lists no snapshot", f)
		}
	}
}
