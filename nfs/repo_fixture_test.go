package nfs

import (
	"encoding/binary"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// fakeRepo builds a directory laid out like an Elasticsearch 7.x/8.x fs repository: root index-N, index.latest,
// snap-/meta- blobs, and indices/<uuid>/{meta-*.dat, <shard>/{__blobs, snap-*.dat, index-<uuid>}}. The content is
// random; what matters to the copy is names, sizes and order.
type fakeRepo struct {
	dir     string
	uuid    string
	gen     int64
	indices []string
	shards  int
	rnd     *rand.Rand
	snaps   []string
	noUUID  bool // write index-N as Elasticsearch before 7.12 did, without the repository uuid
	files   int
	bytes   int64
}

func newFakeRepo(t testing.TB, dir string, seed uint64, indices, shards int) *fakeRepo {
	t.Helper()
	r := &fakeRepo{dir: dir, shards: shards, gen: -1, rnd: rand.New(rand.NewPCG(seed, seed+1))}
	r.uuid = r.id()
	for i := 0; i < indices; i++ {
		r.indices = append(r.indices, r.id())
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *fakeRepo) id() string {
	const a = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
	b := make([]byte, 22)
	for i := range b {
		b[i] = a[r.rnd.IntN(len(a))]
	}
	return string(b)
}

func (r *fakeRepo) write(t testing.TB, rel string, size int) {
	t.Helper()
	p := filepath.Join(r.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, size)
	for i := 0; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.rnd.Uint64())
	}
	for i := len(b) &^ 7; i < len(b); i++ {
		b[i] = byte(r.rnd.Uint32())
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r.files++
	r.bytes += int64(size)
}

// snapshot adds one snapshot: blobsPerShard new data blobs per shard of blobSize bytes (±50%), the shard and
// index metadata, and the next root generation. It returns how many files it wrote.
func (r *fakeRepo) snapshot(t testing.TB, blobsPerShard, blobSize int) int {
	t.Helper()
	before := r.files
	removed := 0
	if r.gen >= 0 {
		removed = 1 // the previous index-N goes
	}
	snap := r.id()
	for _, idx := range r.indices {
		for s := 0; s < r.shards; s++ {
			base := fmt.Sprintf("indices/%s/%d/", idx, s)
			for b := 0; b < blobsPerShard; b++ {
				r.write(t, base+"__"+r.id(), blobSize/2+r.rnd.IntN(blobSize+1))
			}
			r.write(t, base+"snap-"+snap+".dat", 300+r.rnd.IntN(2000))
			r.write(t, base+"index-"+r.id(), 200+r.rnd.IntN(1000))
		}
		r.write(t, "indices/"+idx+"/meta-"+r.id()+".dat", 500+r.rnd.IntN(500))
	}
	r.write(t, "snap-"+snap+".dat", 400)
	r.write(t, "meta-"+snap+".dat", 700)
	r.gen++
	r.snaps = append(r.snaps, snap)
	var list []string
	for i, u := range r.snaps {
		list = append(list, fmt.Sprintf(`{"name":"s%d","uuid":%q}`, i, u))
	}
	json := fmt.Sprintf(`{"min_version":"7.9.0","uuid":%q,"cluster_id":"c","snapshots":[%s]}`, r.uuid, strings.Join(list, ","))
	if r.noUUID {
		json = fmt.Sprintf(`{"min_version":"7.9.0","snapshots":[%s]}`, strings.Join(list, ","))
	}
	// like Elasticsearch, keep only the newest root generation file
	if old := filepath.Join(r.dir, "index-"+strconv.FormatInt(r.gen-1, 10)); r.gen > 0 {
		if fi, err := os.Stat(old); err == nil {
			os.Remove(old)
			r.files--
			r.bytes -= fi.Size()
		}
	}
	p := filepath.Join(r.dir, "index-"+strconv.FormatInt(r.gen, 10))
	if err := os.WriteFile(p, []byte(json), 0o644); err != nil {
		t.Fatal(err)
	}
	r.files++
	r.bytes += int64(len(json))
	latest := make([]byte, 8)
	binary.BigEndian.PutUint64(latest, uint64(r.gen))
	if _, err := os.Stat(filepath.Join(r.dir, "index.latest")); err != nil {
		r.files++
		r.bytes += 8
	}
	if err := os.WriteFile(filepath.Join(r.dir, "index.latest"), latest, 0o644); err != nil {
		t.Fatal(err)
	}
	return r.files - before + removed
}

// tree reads every regular file under dir (relative path → content), leaving out esmigrate's own files.
func tree(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if ours(filepath.ToSlash(rel), false) {
			return nil // esmigrate's own lock and marker
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameTree fails unless every file of src is in dst with the same content and dst has nothing else.
func sameTree(t testing.TB, src, dst string) {
	t.Helper()
	a, b := tree(t, src), tree(t, dst)
	var diffs []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			diffs = append(diffs, "missing "+k)
		} else if w != v {
			diffs = append(diffs, fmt.Sprintf("differs %s (%d vs %d bytes)", k, len(v), len(w)))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			diffs = append(diffs, "extra "+k)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Fatalf("%s and %s differ: %s", src, dst, strings.Join(diffs[:min(len(diffs), 10)], "; "))
	}
}
