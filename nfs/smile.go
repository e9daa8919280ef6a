package nfs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// Elasticsearch writes a repository's shard-level files (indices/<id>/<shard>/index-<gen>, snap-*.dat) and its
// metadata blobs in Jackson's Smile format (binary JSON), optionally deflated, inside a Lucene codec header and
// footer. The copy reads the shard-level index-<gen> files to learn which data blobs the finished snapshots
// use. No Go decoder of Smile is served by the module proxy (github.com/zencoder/go-smile and
// lelux.net/x/encoding/smile are not), so this is a decoder of the format's specification
// (github.com/FasterXML/smile-format-specification), for reading only: every token is handled, numbers beyond
// int64 and BigDecimal become their text.

// decodeSmile decodes one Smile document (starting with its ":)\n" header) into map[string]any, []any, string,
// int64, float64, bool, []byte or nil.
func decodeSmile(b []byte) (any, error) {
	if len(b) < 4 || b[0] != ':' || b[1] != ')' || b[2] != '\n' {
		return nil, errors.New("not a Smile document (no :)\\n header)")
	}
	d := &smileDecoder{b: b, i: 4, sharedNames: b[3]&0x01 != 0, sharedValues: b[3]&0x02 != 0}
	v, err := d.value()
	if err != nil {
		return nil, fmt.Errorf("smile at byte %d: %w", d.i, err)
	}
	return v, nil
}

type smileDecoder struct {
	b                         []byte
	i                         int
	sharedNames, sharedValues bool
	names, values             sharedTable
}

var errSmileEOF = errors.New("unexpected end of data")

func (d *smileDecoder) byte() (byte, error) {
	if d.i >= len(d.b) {
		return 0, errSmileEOF
	}
	c := d.b[d.i]
	d.i++
	return c, nil
}

func (d *smileDecoder) take(n int) ([]byte, error) {
	if n < 0 || d.i+n > len(d.b) {
		return nil, errSmileEOF
	}
	s := d.b[d.i : d.i+n]
	d.i += n
	return s, nil
}

// until reads up to the end-of-string marker 0xFC.
func (d *smileDecoder) until() ([]byte, error) {
	for j := d.i; j < len(d.b); j++ {
		if d.b[j] == 0xFC {
			s := d.b[d.i:j]
			d.i = j + 1
			return s, nil
		}
	}
	return nil, errSmileEOF
}

// vint reads an unsigned variable-length integer: 7 bits per byte, the last byte (high bit set) carries 6.
func (d *smileDecoder) vint() (uint64, error) {
	var v uint64
	for n := 0; n < 11; n++ {
		c, err := d.byte()
		if err != nil {
			return 0, err
		}
		if c&0x80 != 0 {
			return v<<6 | uint64(c&0x3F), nil
		}
		v = v<<7 | uint64(c)
	}
	return 0, errors.New("variable-length integer too long")
}

func zigzag(v uint64) int64 { return int64(v>>1) ^ -int64(v&1) }

// sevenBit reads n bytes of 7-bit groups into an integer (floats, doubles).
func (d *smileDecoder) sevenBit(n int) (uint64, error) {
	s, err := d.take(n)
	if err != nil {
		return 0, err
	}
	var v uint64
	for _, c := range s {
		v = v<<7 | uint64(c&0x7F)
	}
	return v, nil
}

// sizedBinary7 reads 7-bit encoded binary data preceded by its length in raw bytes (a VInt).
func (d *smileDecoder) sizedBinary7() ([]byte, error) {
	n, err := d.vint()
	if err != nil {
		return nil, err
	}
	return d.binary7(int(n))
}

// binary7 reads 7-bit encoded binary data of n raw bytes: each 7 bytes are 8 bytes of 7 bits, big-endian; the
// last 1..6 bytes take one byte more, whose last holds the remaining bits right-aligned.
func (d *smileDecoder) binary7(n int) ([]byte, error) {
	if n < 0 || n > len(d.b) {
		return nil, errors.New("binary length out of range")
	}
	out := make([]byte, 0, n)
	for n-len(out) >= 7 {
		s, err := d.take(8)
		if err != nil {
			return nil, err
		}
		var v uint64
		for _, c := range s {
			v = v<<7 | uint64(c&0x7F)
		}
		for k := 6; k >= 0; k-- {
			out = append(out, byte(v>>(8*uint(k))))
		}
	}
	if left := n - len(out); left > 0 {
		s, err := d.take(left + 1)
		if err != nil {
			return nil, err
		}
		v := int(s[0] & 0x7F)
		for i := 1; i < left; i++ {
			v = v<<7 | int(s[i]&0x7F)
			out = append(out, byte(v>>uint(7-i)))
		}
		v <<= uint(left)
		out = append(out, byte(v+int(s[left]&0x7F)))
	}
	return out, nil
}

func (d *smileDecoder) text(s []byte) string { return string(s) }

// rememberValue and rememberName keep what a later reference may point at, as Jackson's generator does: every
// name written in full, and every short string value (at most 65 bytes, when value sharing is on).
func (d *smileDecoder) rememberValue(s string) { d.values.remember(d.sharedValues, s) }
func (d *smileDecoder) rememberName(s string)  { d.names.remember(d.sharedNames, s) }

// sharedTable is one of Smile's back-reference tables (names, short string values): 1,024 entries at most, then
// it starts again empty.
type sharedTable []string

// remember adds s when the table is on (the header says which are).
func (t *sharedTable) remember(on bool, s string) {
	if !on {
		return
	}
	if len(*t) >= 1024 {
		*t = (*t)[:0]
	}
	*t = append(*t, s)
}

// at is entry i; what names the table in the error of a reference out of range.
func (t sharedTable) at(i int, what string) (string, error) {
	if i < 0 || i >= len(t) {
		return "", fmt.Errorf("shared %s reference %d out of range", what, i)
	}
	return t[i], nil
}

func (d *smileDecoder) value() (any, error) {
	c, err := d.byte()
	if err != nil {
		return nil, err
	}
	switch {
	case c <= 0x1F: // short shared value reference: 0x01..0x1F are the entries 0..30 (0x00 is not a token)
		return d.sharedValue(int(c) - 1)
	case c == 0x20:
		return "", nil
	case c == 0x21:
		return nil, nil
	case c == 0x22:
		return false, nil
	case c == 0x23:
		return true, nil
	case c == 0x24 || c == 0x25:
		v, err := d.vint()
		return zigzag(v), err
	case c == 0x26: // BigInteger: 7-bit binary of its two's complement bytes
		raw, err := d.sizedBinary7()
		if err != nil {
			return nil, err
		}
		return bigIntText(raw), nil
	case c == 0x28:
		v, err := d.sevenBit(5)
		return float64(math.Float32frombits(uint32(v))), err
	case c == 0x29:
		v, err := d.sevenBit(10)
		return math.Float64frombits(v), err
	case c == 0x2A: // BigDecimal: scale, then the unscaled value
		sc, err := d.vint()
		if err != nil {
			return nil, err
		}
		raw, err := d.sizedBinary7()
		if err != nil {
			return nil, err
		}
		return fmt.Sprintf("%se-%d", bigIntText(raw), zigzag(sc)), nil
	case c >= 0x40 && c <= 0xBF: // tiny ASCII 0x40.. (1..32 bytes), short ASCII 0x60.. (33..64), tiny Unicode 0x80.. (2..33), short Unicode 0xA0.. (34..65)
		n := int(c&0x1F) + 1
		if c&0x20 != 0 { // short
			n += 32
		}
		if c >= 0x80 { // Unicode: one byte more
			n++
		}
		s, err := d.take(n)
		if err != nil {
			return nil, err
		}
		t := d.text(s)
		d.rememberValue(t)
		return t, nil
	case c >= 0xC0 && c <= 0xDF: // small int -16..15
		return zigzag(uint64(c & 0x1F)), nil
	case c == 0xE0 || c == 0xE4: // long ASCII / Unicode, until 0xFC
		s, err := d.until()
		if err != nil {
			return nil, err
		}
		return d.text(s), nil
	case c == 0xE8: // 7-bit binary
		return d.sizedBinary7()
	case c >= 0xEC && c <= 0xEF: // long shared value reference
		lo, err := d.byte()
		if err != nil {
			return nil, err
		}
		return d.sharedValue(int(c&0x03)<<8 | int(lo))
	case c == 0xF8:
		var arr []any
		for {
			if d.i < len(d.b) && d.b[d.i] == 0xF9 {
				d.i++
				if arr == nil {
					arr = []any{}
				}
				return arr, nil
			}
			v, err := d.value()
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
	case c == 0xFA:
		return d.object()
	case c == 0xFD: // raw binary
		n, err := d.vint()
		if err != nil {
			return nil, err
		}
		s, err := d.take(int(n))
		if err != nil {
			return nil, err
		}
		return append([]byte(nil), s...), nil
	}
	return nil, fmt.Errorf("unknown value token 0x%02X", c)
}

func (d *smileDecoder) sharedValue(i int) (any, error) {
	s, err := d.values.at(i, "value")
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (d *smileDecoder) object() (map[string]any, error) {
	m := map[string]any{}
	for {
		c, err := d.byte()
		if err != nil {
			return nil, err
		}
		var name string
		switch {
		case c == 0xFB:
			return m, nil
		case c == 0x20:
			name = ""
		case c >= 0x30 && c <= 0x33:
			lo, err := d.byte()
			if err != nil {
				return nil, err
			}
			if name, err = d.sharedName(int(c&0x03)<<8 | int(lo)); err != nil {
				return nil, err
			}
		case c == 0x34:
			s, err := d.until()
			if err != nil {
				return nil, err
			}
			name = string(s)
			d.rememberName(name)
		case c >= 0x40 && c <= 0x7F:
			if name, err = d.sharedName(int(c & 0x3F)); err != nil {
				return nil, err
			}
		case c >= 0x80 && c <= 0xBF:
			s, err := d.take(int(c&0x3F) + 1)
			if err != nil {
				return nil, err
			}
			name = string(s)
			d.rememberName(name)
		case c >= 0xC0 && c <= 0xF7:
			s, err := d.take(int(c&0x3F) + 2)
			if err != nil {
				return nil, err
			}
			if !utf8.Valid(s) {
				return nil, errors.New("invalid UTF-8 in a name")
			}
			name = string(s)
			d.rememberName(name)
		default:
			return nil, fmt.Errorf("unknown name token 0x%02X", c)
		}
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		m[name] = v
	}
}

func (d *smileDecoder) sharedName(i int) (string, error) { return d.names.at(i, "name") }

// bigIntText renders a big-endian two's complement integer in decimal when it fits in an int64, in hex
// otherwise (no repository field the copy reads is one).
func bigIntText(raw []byte) string {
	if len(raw) <= 8 {
		var buf [8]byte
		fill := byte(0)
		if len(raw) > 0 && raw[0]&0x80 != 0 {
			fill = 0xFF
		}
		for i := range buf {
			buf[i] = fill
		}
		copy(buf[8-len(raw):], raw)
		return fmt.Sprint(int64(binary.BigEndian.Uint64(buf[:])))
	}
	return fmt.Sprintf("0x%x", raw)
}
