package nfs

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// fakeRepo builds a directory laid out and written as an Elasticsearch 7.x/8.x fs repository: root index-N
// (JSON: snapshots, indices with their shard generations, index metadata identifiers), index.latest, root
// snap-/meta- blobs, and indices/<id>/{meta-*.dat, <shard>/{__blobs (split in .partN when larger than the
// part size), snap-<uuid>.dat, index-<generation>}}, the shard's index file in Elasticsearch's own format (Smile
// in a codec envelope, deflated for every other shard). Like Elasticsearch it deletes what a new generation no
// longer needs (old root index-N, old shard index files, the blobs of a deleted snapshot), so that the
// directory holds exactly the current generation's files. The data is random; what matters to the copy is
// names, sizes, order and what the metadata names.
type fakeRepo struct {
	dir      string
	uuid     string
	gen      int64
	indices  []*fakeIndex
	rnd      *rand.Rand
	snaps    []string // uuids of the snapshots in the current generation, oldest first
	names    []string // their names
	noUUID   bool     // write index-N as Elasticsearch before 7.12 did, without the repository uuid
	old      bool     // write the format before 7.6: numeric shard generations, none in the root, meta-<snapshot uuid>.dat
	partSize int64
	files    int   // files on disk now (the current generation's)
	bytes    int64 // their bytes
	running  *runningSnap
	// subset, when set, are the indices (by position) the next snapshots take; nil: all of them
	subset []int
}

type fakeIndex struct {
	id     string
	name   string
	shards []*fakeShard
	meta   map[string]string // snapshot uuid → its index metadata blob
	snaps  []string          // uuids of the snapshots that hold the index
}

type fakeShard struct {
	seq   int // the numeric generations of the format before 7.6
	gen   string
	blobs map[string]int64 // file name → length
	snaps []fakeShardSnap  // in order
	next  *struct {
		gen string
		add []string
	} // written by a running snapshot
}

type fakeShardSnap struct {
	name  string
	files []string
}

type runningSnap struct{ uuid, name string }

func newFakeRepo(t testing.TB, dir string, seed uint64, indices, shards int) *fakeRepo {
	t.Helper()
	r := &fakeRepo{dir: dir, gen: -1, rnd: rand.New(rand.NewPCG(seed, seed+1)), partSize: 100 << 10}
	r.uuid = r.id()
	for i := 0; i < indices; i++ {
		ix := &fakeIndex{id: r.id(), name: fmt.Sprintf("index-%d", i), meta: map[string]string{}}
		for s := 0; s < shards; s++ {
			ix.shards = append(ix.shards, &fakeShard{blobs: map[string]int64{}})
		}
		r.indices = append(r.indices, ix)
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

func (r *fakeRepo) random(size int) []byte {
	b := make([]byte, size)
	for i := 0; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.rnd.Uint64())
	}
	for i := len(b) &^ 7; i < len(b); i++ {
		b[i] = byte(r.rnd.Uint32())
	}
	return b
}

func (r *fakeRepo) put(t testing.TB, rel string, b []byte) {
	t.Helper()
	p := filepath.Join(r.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (r *fakeRepo) remove(t testing.TB, rel string) {
	t.Helper()
	if err := os.Remove(filepath.Join(r.dir, filepath.FromSlash(rel))); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
}

// blobFiles are the files of one blob on disk: its parts.
func (r *fakeRepo) blobFiles(name string, length int64) []string {
	return blobParts(name, length, r.partSize)
}

// writeBlob writes a new data blob (split into parts) and returns its name.
func (r *fakeRepo) writeBlob(t testing.TB, dir string, size int64) string {
	name := "__" + r.id()
	left := size
	for _, part := range r.blobFiles(name, size) {
		n := min(left, r.partSize)
		r.put(t, dir+part, r.random(int(n)))
		left -= n
	}
	return name
}

// shardIndexFile renders a shard's index file as Elasticsearch writes it.
func (r *fakeRepo) shardIndexFile(sh *fakeShard, snaps []fakeShardSnap, compress bool) []byte {
	var files []any
	used := map[string]bool{}
	for _, s := range snaps {
		for _, f := range s.files {
			used[f] = true
		}
	}
	names := make([]string, 0, len(used))
	for f := range used {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		fi := map[string]any{"name": f, "physical_name": "_0.cfs", "length": sh.blobs[f], "checksum": "abc", "written_by": "8.7.0"}
		if r.partSize > 0 {
			fi["part_size"] = r.partSize
		}
		if strings.HasPrefix(f, "v__") {
			fi["meta_hash"] = r.random(40)
		}
		files = append(files, fi)
	}
	sm := map[string]any{}
	for _, s := range snaps {
		fl := make([]any, len(s.files))
		for i, f := range s.files {
			fl[i] = f
		}
		sm[s.name] = map[string]any{"files": fl, "shard_state_id": r.id()}
	}
	return blobFormat("snapshots", encodeSmile(map[string]any{"files": files, "snapshots": sm}, true, false, false), compress)
}

// snapshot takes one finished snapshot of every index: blobsPerShard new data blobs per shard of blobSize
// bytes (±50%), a virtual file, the shard and index metadata, and the next root generation. It returns how
// many new file names it wrote.
func (r *fakeRepo) snapshot(t testing.TB, blobsPerShard, blobSize int) int {
	t.Helper()
	before := r.listing(t)
	r.startSnapshot(t, blobsPerShard, blobSize)
	r.finishSnapshot(t)
	after := r.listing(t)
	n := 0
	for f := range after {
		if !before[f] {
			n++
		}
	}
	return n
}

// startSnapshot writes what a running snapshot writes before its finalization: new blobs, each shard's new
// index file and snap-<uuid>.dat. The root generation is not touched.
func (r *fakeRepo) startSnapshot(t testing.TB, blobsPerShard, blobSize int) {
	t.Helper()
	snap := &runningSnap{uuid: r.id(), name: fmt.Sprintf("s%d", r.gen+1)}
	for _, ix := range r.taken() {
		for s, sh := range ix.shards {
			dir := fmt.Sprintf("indices/%s/%d/", ix.id, s)
			var prev []string
			if len(sh.snaps) > 0 {
				prev = sh.snaps[len(sh.snaps)-1].files
			}
			files := append([]string(nil), prev...)
			for b := 0; b < blobsPerShard; b++ {
				size := int64(blobSize/2 + r.rnd.IntN(blobSize+1))
				name := r.writeBlob(t, dir, size)
				sh.blobs[name] = size
				files = append(files, name)
			}
			virtual := "v__" + r.id()
			sh.blobs[virtual] = 300
			files = append(files, virtual)
			snaps := append(append([]fakeShardSnap(nil), sh.snaps...), fakeShardSnap{name: snap.name, files: files})
			gen := r.id()
			if r.old {
				sh.seq++
				gen = strconv.Itoa(sh.seq)
			}
			r.put(t, dir+"index-"+gen, r.shardIndexFile(sh, snaps, s%2 == 0))
			r.put(t, dir+"snap-"+snap.uuid+".dat", r.random(300+r.rnd.IntN(2000)))
			sh.next = &struct {
				gen string
				add []string
			}{gen, files}
		}
	}
	r.running = snap
}

// finishSnapshot finalizes the running snapshot: index metadata, root snap/meta, index-N+1, index.latest, and
// the old shard index files and index-N removed.
func (r *fakeRepo) finishSnapshot(t testing.TB) {
	t.Helper()
	snap := r.running
	r.running = nil
	for _, ix := range r.taken() {
		for s, sh := range ix.shards {
			dir := fmt.Sprintf("indices/%s/%d/", ix.id, s)
			if sh.gen != "" {
				r.remove(t, dir+"index-"+sh.gen)
			}
			sh.gen = sh.next.gen
			sh.snaps = append(sh.snaps, fakeShardSnap{name: snap.name, files: sh.next.add})
			sh.next = nil
		}
		blob := r.id()
		if r.old {
			blob = snap.uuid
		}
		ix.meta[snap.uuid] = blob
		ix.snaps = append(ix.snaps, snap.uuid)
		r.put(t, "indices/"+ix.id+"/meta-"+blob+".dat", r.random(500+r.rnd.IntN(500)))
	}
	r.put(t, "snap-"+snap.uuid+".dat", r.random(400))
	r.put(t, "meta-"+snap.uuid+".dat", r.random(700))
	r.snaps = append(r.snaps, snap.uuid)
	r.names = append(r.names, snap.name)
	r.writeRoot(t)
}

// deleteSnapshot deletes the i-th snapshot of the current generation as Elasticsearch does: a new generation
// without it, the shard index files rewritten, and every file only it used removed.
func (r *fakeRepo) deleteSnapshot(t testing.TB, i int) {
	t.Helper()
	uuid, name := r.snaps[i], r.names[i]
	r.snaps = append(r.snaps[:i:i], r.snaps[i+1:]...)
	r.names = append(r.names[:i:i], r.names[i+1:]...)
	for _, ix := range r.indices {
		if _, ok := ix.meta[uuid]; !ok {
			continue
		}
		ix.snaps = slices.DeleteFunc(ix.snaps, func(u string) bool { return u == uuid })
		for s, sh := range ix.shards {
			dir := fmt.Sprintf("indices/%s/%d/", ix.id, s)
			var keep []fakeShardSnap
			for _, ss := range sh.snaps {
				if ss.name != name {
					keep = append(keep, ss)
				}
			}
			used := map[string]bool{}
			for _, ss := range keep {
				for _, f := range ss.files {
					used[f] = true
				}
			}
			for f, size := range sh.blobs {
				if !used[f] {
					for _, part := range r.blobFiles(f, size) {
						r.remove(t, dir+part)
					}
					delete(sh.blobs, f)
				}
			}
			r.remove(t, dir+"index-"+sh.gen)
			r.remove(t, dir+"snap-"+uuid+".dat")
			sh.snaps, sh.gen = keep, ""
			if len(keep) > 0 {
				sh.gen = r.id()
				if r.old {
					sh.seq++
					sh.gen = strconv.Itoa(sh.seq)
				}
				r.put(t, dir+"index-"+sh.gen, r.shardIndexFile(sh, keep, s%2 == 0))
			}
		}
		r.remove(t, "indices/"+ix.id+"/meta-"+ix.meta[uuid]+".dat")
		delete(ix.meta, uuid)
	}
	r.remove(t, "snap-"+uuid+".dat")
	r.remove(t, "meta-"+uuid+".dat")
	r.writeRoot(t)
}

// writeRoot writes the next root generation for the snapshots the repository holds now.
func (r *fakeRepo) writeRoot(t testing.TB) {
	t.Helper()
	var snaps []any
	identifiers := map[string]any{}
	for i, u := range r.snaps {
		s := map[string]any{"name": r.names[i], "uuid": u, "state": 1, "version": "7.17.29"}
		if !r.old {
			lookup := map[string]any{}
			for _, ix := range r.indices {
				if _, ok := ix.meta[u]; !ok {
					continue
				}
				key := ix.id + "-" + ix.meta[u]
				lookup[ix.id] = key
				identifiers[key] = ix.meta[u]
			}
			s["index_metadata_lookup"] = lookup
		}
		snaps = append(snaps, s)
	}
	indices := map[string]any{}
	for _, ix := range r.indices {
		if len(ix.snaps) == 0 {
			continue
		}
		entry := map[string]any{"id": ix.id, "snapshots": ix.snaps}
		if !r.old {
			var gens []any
			for _, sh := range ix.shards {
				gens = append(gens, sh.gen)
			}
			entry["shard_generations"] = gens
		}
		indices[ix.name] = entry
	}
	root := map[string]any{"min_version": "7.9.0", "snapshots": snaps, "indices": indices}
	if !r.old {
		root["index_metadata_identifiers"] = identifiers
	}
	if !r.noUUID {
		root["uuid"], root["cluster_id"] = r.uuid, "c"
	}
	js, err := json.Marshal(root)
	if err != nil {
		t.Fatal(err)
	}
	// like Elasticsearch, keep only the newest root generation file
	if r.gen >= 0 {
		r.remove(t, "index-"+strconv.FormatInt(r.gen, 10))
	}
	r.gen++
	r.put(t, "index-"+strconv.FormatInt(r.gen, 10), js)
	latest := make([]byte, 8)
	binary.BigEndian.PutUint64(latest, uint64(r.gen))
	r.put(t, "index.latest", latest)
	r.count(t)
}

// taken are the indices the next snapshot takes.
func (r *fakeRepo) taken() []*fakeIndex {
	if r.subset == nil {
		return r.indices
	}
	var out []*fakeIndex
	for _, i := range r.subset {
		out = append(out, r.indices[i])
	}
	return out
}

// listing is the set of files on disk.
func (r *fakeRepo) listing(t testing.TB) map[string]bool {
	out := map[string]bool{}
	for rel := range tree(t, r.dir) {
		out[rel] = true
	}
	return out
}

func (r *fakeRepo) count(t testing.TB) {
	r.files, r.bytes = 0, 0
	for _, content := range tree(t, r.dir) {
		r.files++
		r.bytes += int64(len(content))
	}
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
