package nfs

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordOrder records the order in which files are renamed into place during f.
func recordOrder(t *testing.T) *[]string {
	t.Helper()
	var mu sync.Mutex
	order := &[]string{}
	afterRename = func(rel string) {
		mu.Lock()
		*order = append(*order, rel)
		mu.Unlock()
	}
	t.Cleanup(func() { afterRename = nil })
	return order
}

func noLeftovers(t *testing.T, dst string) {
	t.Helper()
	filepath.WalkDir(dst, func(p string, d os.DirEntry, err error) error {
		if err == nil && (strings.HasPrefix(d.Name(), tempPrefix) || d.Name() == lockName) {
			t.Errorf("left behind: %s", p)
		}
		return nil
	})
}

func TestCopyRepositoryFullThenIncremental(t *testing.T) {
	src, dst := filepath.Join(t.TempDir(), "src"), filepath.Join(t.TempDir(), "dst")
	r := newFakeRepo(t, src, 1, 3, 2)
	r.snapshot(t, 5, 64<<10)
	order := recordOrder(t)
	var events []CopyProgress
	res, err := CopyRepository(context.Background(), src, dst, CopyOptions{Workers: 3, Progress: func(p CopyProgress) { events = append(events, p) }})
	if err != nil {
		t.Fatal(err)
	}
	sameTree(t, src, dst)
	noLeftovers(t, dst)
	if res.FilesCopied != r.files || res.BytesCopied != r.bytes || res.FilesSkipped != 0 || res.Generation != 0 || res.SourceChanged {
		t.Errorf("result %+v, want %d files %d bytes", res, r.files, r.bytes)
	}
	checkOrder(t, *order)
	last := events[len(events)-1]
	if last.FilesDone != last.FilesTotal || last.BytesDone != last.BytesTotal || last.FilesTotal != r.files || last.BytesTotal != r.bytes {
		t.Errorf("last progress event %+v", last)
	}
	if events[0].BytesDone != 0 || events[0].FilesTotal != r.files {
		t.Errorf("first progress event %+v", events[0])
	}

	// a second run copies nothing
	res, err = CopyRepository(context.Background(), src, dst, CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.FilesCopied != 0 || res.FilesSkipped != r.files || res.BytesSkipped != r.bytes {
		t.Errorf("second run: %+v", res)
	}

	// the next batch: only its new files (and index.latest) are copied
	*order = nil
	added := r.snapshot(t, 2, 32<<10)
	res, err = CopyRepository(context.Background(), src, dst, CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.FilesCopied != added+1 || res.Generation != 1 || res.FilesPruned != 0 {
		t.Errorf("incremental: copied %d files, want %d new + index.latest: %+v", res.FilesCopied, added, res)
	}
	checkOrder(t, *order)
	if _, err := os.Stat(filepath.Join(dst, "index-0")); err != nil {
		t.Errorf("without Prune the old generation file stays: %v", err)
	}
	// what the source no longer has: index-0 and each shard's index file of the first snapshot, replaced by
	// the second's (3 indices × 2 shards)
	stale := 0
	srcNow := tree(t, src)
	for rel := range tree(t, dst) {
		if _, ok := srcNow[rel]; !ok {
			stale++
		}
	}
	res, err = CopyRepository(context.Background(), src, dst, CopyOptions{Prune: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.FilesCopied != 0 || res.FilesPruned != 1+3*2 || stale != res.FilesPruned {
		t.Errorf("prune: %+v, %d stale files", res, stale)
	}
	sameTree(t, src, dst)
}

// checkOrder: data blobs, then the rest of indices/, then root snap/meta, then root index-N ascending, index.latest last.
func checkOrder(t *testing.T, order []string) {
	t.Helper()
	lastPhase, lastGen := -1, int64(-1)
	for i, rel := range order {
		p, g := classify(rel)
		if p < lastPhase {
			t.Fatalf("%s (phase %s) was renamed after a file of phase %s: %v", rel, phaseNames[p], phaseNames[lastPhase], order)
		}
		if p == phaseGen {
			if g < lastGen {
				t.Fatalf("index-%d after index-%d", g, lastGen)
			}
			lastGen = g
		}
		if rel == indexLatest && i != len(order)-1 {
			t.Fatalf("index.latest is not last: %v", order)
		}
		lastPhase = p
	}
	if len(order) > 0 && order[len(order)-1] != indexLatest {
		t.Fatalf("last file is %s, not index.latest", order[len(order)-1])
	}
}

// A cancelled copy leaves only complete files, no index.latest, and finishes on the second run.
func TestCopyRepositoryCancelAndResume(t *testing.T) {
	src, dst := filepath.Join(t.TempDir(), "src"), filepath.Join(t.TempDir(), "dst")
	r := newFakeRepo(t, src, 2, 2, 2)
	r.snapshot(t, 6, 256<<10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := CopyRepository(ctx, src, dst, CopyOptions{
		Workers: 2, BytesPerSecond: 2 << 20, ProgressInterval: 5 * time.Millisecond,
		Progress: func(p CopyProgress) {
			if p.BytesDone > 0 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	noLeftovers(t, dst)
	srcTree, dstTree := tree(t, src), tree(t, dst)
	if len(dstTree) >= len(srcTree) {
		t.Fatalf("cancel came too late to test anything: %d of %d files copied", len(dstTree), len(srcTree))
	}
	for rel, content := range dstTree {
		if content != srcTree[rel] {
			t.Errorf("%s is in the target but not complete", rel)
		}
		if p, _ := classify(rel); p >= phaseGen {
			t.Errorf("%s was written before the data was complete", rel)
		}
	}
	res, err := CopyRepository(context.Background(), src, dst, CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sameTree(t, src, dst)
	if res.FilesSkipped != len(dstTree) || res.FilesCopied != r.files-len(dstTree) {
		t.Errorf("resume: %+v, %d files were already there", res, len(dstTree))
	}
}

// A truncated file at its final name (a killed cp) and a stale temporary (a killed esmigrate) are repaired.
func TestCopyRepositoryTruncatedAndStale(t *testing.T) {
	src, dst := filepath.Join(t.TempDir(), "src"), filepath.Join(t.TempDir(), "dst")
	r := newFakeRepo(t, src, 3, 1, 2)
	r.snapshot(t, 4, 64<<10)
	if _, err := CopyRepository(context.Background(), src, dst, CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	var blob, meta string
	for rel := range tree(t, dst) {
		switch p, _ := classify(rel); {
		case p == phaseBlobs && blob == "":
			blob = rel
		case p == phaseIndices && strings.Contains(rel, "snap-") && meta == "":
			meta = rel
		}
	}
	b, _ := os.ReadFile(filepath.Join(dst, blob))
	os.WriteFile(filepath.Join(dst, blob), b[:len(b)/2], 0o644)
	m, _ := os.ReadFile(filepath.Join(dst, meta))
	m[0] ^= 0xff // same size, other content: metadata is compared by hash
	os.WriteFile(filepath.Join(dst, meta), m, 0o644)
	stale := filepath.Join(dst, path.Dir(blob), tempPrefix+"__x.1234")
	os.WriteFile(stale, []byte("half"), 0o644)
	os.Remove(filepath.Join(dst, indexLatest))

	res, err := CopyRepository(context.Background(), src, dst, CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sameTree(t, src, dst)
	if res.StaleTempsRemoved != 1 || res.FilesCopied != 3 {
		t.Errorf("want the blob, the metadata file and index.latest copied and one temp removed: %+v", res)
	}
}

func TestCopyRepositoryRefusesForeignTarget(t *testing.T) {
	src, dst := filepath.Join(t.TempDir(), "src"), filepath.Join(t.TempDir(), "dst")
	newFakeRepo(t, src, 4, 1, 1).snapshot(t, 2, 1024)
	other := newFakeRepo(t, dst, 5, 1, 1)
	other.snapshot(t, 2, 1024)
	_, err := CopyRepository(context.Background(), src, dst, CopyOptions{})
	if err == nil || !strings.Contains(err.Error(), "different repository") || !strings.Contains(err.Error(), dst) {
		t.Fatalf("want a refusal naming the target, got %v", err)
	}
	// same uuid, different history: the generation file differs
	if _, err := CopyRepository(context.Background(), src, dst, CopyOptions{AllowForeignTarget: true}); err != nil {
		t.Fatal(err)
	}
	got := tree(t, dst)
	for rel, v := range tree(t, src) {
		if got[rel] != v {
			t.Errorf("%s not copied over the foreign repository", rel)
		}
	}
}

func TestCopyRepositoryRefusesTargetAhead(t *testing.T) {
	src, dst := filepath.Join(t.TempDir(), "src"), filepath.Join(t.TempDir(), "dst")
	newFakeRepo(t, src, 6, 1, 1).snapshot(t, 2, 1024)
	if _, err := CopyRepository(context.Background(), src, dst, CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	// the target cluster wrote a snapshot into the copy (it should have been registered readonly)
	latest := make([]byte, 8)
	binary.BigEndian.PutUint64(latest, 1)
	os.WriteFile(filepath.Join(dst, "index-1"), []byte(`{"uuid":"x"}`), 0o644)
	os.WriteFile(filepath.Join(dst, indexLatest), latest, 0o644)
	_, err := CopyRepository(context.Background(), src, dst, CopyOptions{})
	if err == nil || !strings.Contains(err.Error(), "ahead of the source") {
		t.Fatalf("got %v", err)
	}
}

func TestCopyRepositoryRefusesUnrelatedFiles(t *testing.T) {
	src, dst := filepath.Join(t.TempDir(), "src"), filepath.Join(t.TempDir(), "dst")
	newFakeRepo(t, src, 7, 1, 1).snapshot(t, 2, 1024)
	os.MkdirAll(dst, 0o755)
	os.WriteFile(filepath.Join(dst, "payroll.xlsx"), []byte("x"), 0o644)
	_, err := CopyRepository(context.Background(), src, dst, CopyOptions{})
	if err == nil || !strings.Contains(err.Error(), "payroll.xlsx") {
		t.Fatalf("got %v", err)
	}
	// an empty tests-* directory from _verify on the target is not a reason to refuse
	os.Remove(filepath.Join(dst, "payroll.xlsx"))
	os.MkdirAll(filepath.Join(dst, "tests-abc"), 0o755)
	os.WriteFile(filepath.Join(dst, "tests-abc", "data-n1.dat"), []byte("x"), 0o644)
	if _, err := CopyRepository(context.Background(), src, dst, CopyOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestCopyRepositoryErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := CopyRepository(context.Background(), dir, filepath.Join(t.TempDir(), "d"), CopyOptions{}); err == nil || !strings.Contains(err.Error(), "not an Elasticsearch repository") {
		t.Errorf("empty source: %v", err)
	}
	src := filepath.Join(t.TempDir(), "src")
	newFakeRepo(t, src, 8, 1, 1).snapshot(t, 1, 1024)
	if _, err := CopyRepository(context.Background(), src, filepath.Join(src, "sub"), CopyOptions{}); err == nil || !strings.Contains(err.Error(), "inside") {
		t.Errorf("target inside source: %v", err)
	}
	os.Remove(filepath.Join(src, "index-0"))
	if _, err := CopyRepository(context.Background(), src, filepath.Join(t.TempDir(), "d"), CopyOptions{}); err == nil || !strings.Contains(err.Error(), "index-0 cannot be read") {
		t.Errorf("damaged source: %v", err)
	}
	err := checkFree(context.Background(), t.TempDir(), 1<<62)
	if err == nil || !strings.Contains(err.Error(), "free, the copy needs 4.6 EB: free space or choose another share") {
		t.Errorf("free space: %v", err)
	}
}

// The copy's lock and marker are on a share others may write: a link planted at their names makes the copy
// create or change no other file.
func TestTheCopysLockAndMarkerNeverFollowALink(t *testing.T) {
	dst, elsewhere := t.TempDir(), t.TempDir()
	victim := filepath.Join(elsewhere, "nologin") // does not exist: following the link would create it
	if err := os.Symlink(victim, filepath.Join(dst, lockName)); err != nil {
		t.Fatal(err)
	}
	if _, err := lockTarget(dst); err == nil || !strings.Contains(err.Error(), "is a symbolic link") {
		t.Errorf("a lock file that is a link: %v", err)
	}
	if _, err := os.Lstat(victim); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the file behind the lock's link was created: %v", err)
	}
	os.Remove(filepath.Join(dst, lockName))

	owned := filepath.Join(elsewhere, "passwd")
	os.WriteFile(owned, []byte("root:x:0:0\n"), 0o644)
	if err := os.Symlink(owned, filepath.Join(dst, tempPrefix+markerName)); err != nil {
		t.Fatal(err)
	}
	if err := writeMarker(dst, copyMarker{Source: "/src", Generation: 3}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(owned); string(b) != "root:x:0:0\n" {
		t.Errorf("the file behind the marker's temporary link was written: %q", b)
	}
	if m, err := readMarker(dst); err != nil || m.Generation != 3 {
		t.Errorf("the marker: %+v %v", m, err)
	}
}

func TestCopyRepositoryLocked(t *testing.T) {
	src, dst := filepath.Join(t.TempDir(), "src"), t.TempDir()
	newFakeRepo(t, src, 9, 1, 1).snapshot(t, 1, 1024)
	unlock, err := lockTarget(dst)
	if err != nil {
		t.Fatal(err)
	}
	_, err = CopyRepository(context.Background(), src, dst, CopyOptions{})
	if err == nil || !strings.Contains(err.Error(), "another esmigrate copy") {
		t.Errorf("got %v", err)
	}
	unlock()
	if _, err := CopyRepository(context.Background(), src, dst, CopyOptions{}); err != nil {
		t.Fatal(err)
	}
}

// A snapshot of other indices (the next batch's) finishing on the source during the copy: the target gets the
// generation seen at the start, complete, and the result says to copy again.
func TestCopyRepositorySourceChanges(t *testing.T) {
	src, dst := filepath.Join(t.TempDir(), "src"), filepath.Join(t.TempDir(), "dst")
	r := newFakeRepo(t, src, 10, 2, 2)
	r.subset = []int{0}
	r.snapshot(t, 2, 4096)
	r.subset = []int{1}
	once := sync.Once{}
	res, err := CopyRepository(context.Background(), src, dst, CopyOptions{Progress: func(CopyProgress) {
		once.Do(func() { r.snapshot(t, 2, 4096) })
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.SourceChanged || res.Generation != 0 {
		t.Errorf("result %+v", res)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, indexLatest)); binary.BigEndian.Uint64(b) != 0 {
		t.Errorf("target index.latest = %d, want the generation seen at the start (0)", binary.BigEndian.Uint64(b))
	}
	res, err = CopyRepository(context.Background(), src, dst, CopyOptions{Prune: true})
	if err != nil || res.Generation != 1 || res.SourceChanged {
		t.Fatalf("second copy: %+v %v", res, err)
	}
	sameTree(t, src, dst)
}

// A snapshot of the same indices finishing during the copy replaces the shard index files the copy was about
// to take (Elasticsearch deletes the old ones): the copy starts again from the new generation and ends with
// it, complete.
func TestCopyRepositoryStartsAgainWhenItsGenerationIsGone(t *testing.T) {
	src, dst := filepath.Join(t.TempDir(), "src"), filepath.Join(t.TempDir(), "dst")
	r := newFakeRepo(t, src, 10, 1, 2)
	r.snapshot(t, 2, 4096)
	once := sync.Once{}
	res, err := CopyRepository(context.Background(), src, dst, CopyOptions{Progress: func(CopyProgress) {
		once.Do(func() { r.snapshot(t, 2, 4096) })
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Generation != 1 || res.SourceChanged {
		t.Errorf("result %+v: want the new generation, complete", res)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, indexLatest)); binary.BigEndian.Uint64(b) != 1 {
		t.Errorf("target index.latest = %d, want 1", binary.BigEndian.Uint64(b))
	}
	dstTree := tree(t, dst)
	for rel, v := range tree(t, src) {
		if dstTree[rel] != v {
			t.Errorf("%s of generation 1 is missing or differs in the target", rel)
		}
	}
}

// A snapshot running on the source (the next batch's, in a pipeline) has written blobs, shard index files and
// snap-*.dat, but no generation names them yet: the copy takes none of them, only the finished snapshot's.
func TestCopyRepositoryLeavesARunningSnapshotAlone(t *testing.T) {
	for _, sameIndices := range []bool{false, true} {
		src, dst := filepath.Join(t.TempDir(), "src"), filepath.Join(t.TempDir(), "dst")
		r := newFakeRepo(t, src, 16, 2, 2)
		if !sameIndices {
			r.subset = []int{0}
		}
		r.snapshot(t, 3, 150<<10)
		finished := tree(t, src)
		if !sameIndices {
			r.subset = []int{1}
		}
		r.startSnapshot(t, 3, 150<<10)
		running := 0
		for rel := range tree(t, src) {
			if _, ok := finished[rel]; !ok {
				running++
			}
		}
		if running < 10 {
			t.Fatalf("the running snapshot wrote only %d files", running)
		}
		res, err := CopyRepository(context.Background(), src, dst, CopyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := tree(t, dst)
		for rel, v := range finished {
			if got[rel] != v {
				t.Errorf("same indices %v: finished snapshot's %s not copied", sameIndices, rel)
			}
		}
		for rel := range got {
			if _, ok := finished[rel]; !ok {
				t.Errorf("same indices %v: %s was copied, but only the running snapshot has it", sameIndices, rel)
			}
		}
		if res.Generation != 0 || res.FilesCopied != len(finished) {
			t.Errorf("result %+v, want the %d files of generation 0", res, len(finished))
		}
		r.finishSnapshot(t)
		if _, err := CopyRepository(context.Background(), src, dst, CopyOptions{Prune: true}); err != nil {
			t.Fatal(err)
		}
		sameTree(t, src, dst)
	}
}

func TestCopyRepositoryOwner(t *testing.T) {
	src, dst := filepath.Join(t.TempDir(), "src"), t.TempDir()
	newFakeRepo(t, src, 11, 1, 1).snapshot(t, 1, 1024)
	want := os.Geteuid()
	if want == 0 {
		want = 4242 // as root, copies take the owner of the target directory
		if err := os.Chown(dst, want, want); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := CopyRepository(context.Background(), src, dst, CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	for rel := range tree(t, dst) {
		if got := mustStat(t, filepath.Join(dst, rel)); got != want {
			t.Errorf("%s owned by %d, want %d", rel, got, want)
		}
	}
	var idx string
	ents, _ := os.ReadDir(filepath.Join(dst, "indices"))
	for _, e := range ents {
		idx = filepath.Join(dst, "indices", e.Name())
	}
	if got := mustStat(t, idx); got != want {
		t.Errorf("directory %s owned by %d, want %d", idx, got, want)
	}
}

// Before 7.12 index-N has no repository uuid, and Elasticsearch deletes the old index-N at once: the lineage
// is then proved by a snapshot the two share.
func TestCopyRepositoryLineageWithoutUUID(t *testing.T) {
	src, dst := filepath.Join(t.TempDir(), "src"), filepath.Join(t.TempDir(), "dst")
	r := newFakeRepo(t, src, 12, 1, 1)
	r.noUUID = true
	r.snapshot(t, 2, 1024)
	if _, err := CopyRepository(context.Background(), src, dst, CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	r.snapshot(t, 2, 1024) // index-0 is gone from the source now
	if _, err := CopyRepository(context.Background(), src, dst, CopyOptions{}); err != nil {
		t.Fatalf("same repository, later generation: %v", err)
	}

	// another repository at the same generation
	other := filepath.Join(t.TempDir(), "other")
	o := newFakeRepo(t, other, 13, 1, 1)
	o.noUUID = true
	o.snapshot(t, 1, 1024)
	o.snapshot(t, 1, 1024)
	if _, err := CopyRepository(context.Background(), src, other, CopyOptions{}); err == nil || !strings.Contains(err.Error(), "differs from the source's") {
		t.Errorf("same generation, other content: %v", err)
	}
	// another repository at an older generation: no shared snapshot
	older := filepath.Join(t.TempDir(), "older")
	ol := newFakeRepo(t, older, 14, 1, 1)
	ol.noUUID = true
	ol.snapshot(t, 1, 1024)
	if _, err := CopyRepository(context.Background(), src, older, CopyOptions{}); err == nil || !strings.Contains(err.Error(), "cannot tell") {
		t.Errorf("older generation of another repository: %v", err)
	}
}

// Before 7.12, once the source deleted the snapshots the target has, only the marker esmigrate leaves in the
// target ties them together.
func TestCopyRepositoryLineageByMarker(t *testing.T) {
	src, dst := filepath.Join(t.TempDir(), "src"), filepath.Join(t.TempDir(), "dst")
	r := newFakeRepo(t, src, 15, 1, 1)
	r.noUUID = true
	r.snapshot(t, 2, 1024)
	if _, err := CopyRepository(context.Background(), src, dst, CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	m, err := readMarker(dst)
	if err != nil || m.Source != src || m.Generation != 0 {
		t.Fatalf("marker %+v %v", m, err)
	}
	r.subset = []int{}
	r.snapshot(t, 2, 1024) // a snapshot of nothing, so that deleting the first one leaves a generation
	r.deleteSnapshot(t, 0) // the first batch's snapshot was deleted
	os.Rename(filepath.Join(dst, markerName), filepath.Join(t.TempDir(), "saved"))
	if _, err := CopyRepository(context.Background(), src, dst, CopyOptions{}); err == nil || !strings.Contains(err.Error(), "cannot tell") {
		t.Fatalf("without the marker the lineage cannot be proved: %v", err)
	}
	writeMarker(dst, m)
	res, err := CopyRepository(context.Background(), src, dst, CopyOptions{Prune: true})
	if err != nil {
		t.Fatalf("with the marker: %v", err)
	}
	sameTree(t, src, dst)
	if m, _ := readMarker(dst); m.Generation != 2 || res.Generation != 2 {
		t.Errorf("marker after the second copy: %+v", m)
	}
}

// A directory at the source's root other than indices/ is not the repository's (another repository registered
// in a subdirectory of its location): it is not copied. In the target such a directory is something else's,
// and a first copy refuses to share the directory with it, touching nothing.
func TestCopyRepositoryOtherDirectoriesAtTheRoot(t *testing.T) {
	src, dst := filepath.Join(t.TempDir(), "src"), filepath.Join(t.TempDir(), "dst")
	r := newFakeRepo(t, src, 11, 1, 1)
	r.snapshot(t, 2, 1024)
	nested := []string{"nightly/index-3", "nightly/indices/abc/0/__blob"}
	put := func(root string) {
		for _, f := range nested {
			os.MkdirAll(filepath.Dir(filepath.Join(root, f)), 0o755)
			os.WriteFile(filepath.Join(root, f), []byte(root), 0o644)
		}
	}
	put(src)
	put(dst)
	_, err := CopyRepository(context.Background(), src, dst, CopyOptions{})
	if err == nil || !strings.Contains(err.Error(), "nightly/") {
		t.Fatalf("a target holding another directory: %v", err)
	}
	for _, f := range nested {
		if b, err := os.ReadFile(filepath.Join(dst, f)); err != nil || string(b) != dst {
			t.Errorf("the target's %s: %q, %v", f, b, err)
		}
	}
	os.RemoveAll(filepath.Join(dst, "nightly"))
	res, err := CopyRepository(context.Background(), src, dst, CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.FilesCopied != r.files || res.BytesCopied != r.bytes {
		t.Errorf("copied %d files, %d bytes; want the repository's %d, %d", res.FilesCopied, res.BytesCopied, r.files, r.bytes)
	}
	if _, err := os.Stat(filepath.Join(dst, "nightly")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the source's other directory was copied: %v", err)
	}
}

// A source reached through a link (a share mounted elsewhere and linked into place) is copied, not walked as
// the link itself (which lists nothing); a target reached through a link likewise.
func TestCopyRepositoryFollowsALinkedSourceAndTarget(t *testing.T) {
	base := t.TempDir()
	src, dst := filepath.Join(base, "real-src"), filepath.Join(base, "real-dst")
	r := newFakeRepo(t, src, 7, 2, 1)
	r.snapshot(t, 3, 4096)
	os.MkdirAll(dst, 0o755)
	linkSrc, linkDst := filepath.Join(base, "src"), filepath.Join(base, "dst")
	os.Symlink(src, linkSrc)
	os.Symlink(dst, linkDst)
	res, err := CopyRepository(context.Background(), linkSrc, linkDst, CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.FilesCopied != r.files {
		t.Errorf("copied %d file(s), want %d", res.FilesCopied, r.files)
	}
	sameTree(t, src, dst)
	if fi, _ := os.Lstat(linkDst); fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the target's link was replaced")
	}
	info, err := ReadRepository(linkSrc)
	if err != nil || len(info.Snapshots) != 1 {
		t.Errorf("ReadRepository through the link: %+v %v", info, err)
	}
}

// recordingLimiter counts what the copy charges its bandwidth limiter, and never waits.
type recordingLimiter struct {
	mu      sync.Mutex
	charged int64
	calls   int
}

func (l *recordingLimiter) WaitN(_ context.Context, n int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.charged += int64(n)
	l.calls++
	return nil
}

// The bandwidth limit is charged the bytes the copy reads from files, not a whole chunk per file: a
// repository of small files under a limit copies at the limit, not at a fraction of it.
func TestCopyRepositoryLimiterChargesTheBytesCopied(t *testing.T) {
	rec := &recordingLimiter{}
	var chunkSeen int
	old := newLimiter
	newLimiter = func(bps int64, burst int) waiter { chunkSeen = burst; return rec }
	t.Cleanup(func() { newLimiter = old })

	src, dst := filepath.Join(t.TempDir(), "src"), filepath.Join(t.TempDir(), "dst")
	r := newFakeRepo(t, src, 31, 2, 2)
	r.partSize = 3000 // a blob of more than 3000 bytes comes in parts: files of every size
	r.snapshot(t, 20, 2048)
	res, err := CopyRepository(context.Background(), src, dst, CopyOptions{BytesPerSecond: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	root, _ := os.ReadFile(filepath.Join(src, "index-0"))
	fromFiles := res.BytesCopied - int64(len(root)) - 8 // index-N and index.latest are written from memory
	if rec.charged != fromFiles {
		t.Errorf("the limiter was charged %d bytes for %d bytes read from %d files", rec.charged, fromFiles, res.FilesCopied-2)
	}
	// the fault this guards against: a chunk per file would have charged far more than the bytes
	if int64(res.FilesCopied-2)*int64(chunkSeen) < 4*fromFiles {
		t.Fatalf("files too large to tell a chunk per file from the bytes: %d files, chunk %d, %d bytes", res.FilesCopied-2, chunkSeen, fromFiles)
	}
	sameTree(t, src, dst)
}
