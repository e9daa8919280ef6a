//go:build linux

package nfs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/time/rate"

	"github.com/esmigrate/esmigrate/i18n"
)

const (
	tempPrefix = ".esmigrate-partial-" // temporary files; hidden so Elasticsearch's blob listings never match them
	lockName   = ".esmigrate-copy.lock"
	markerName = ".esmigrate-copied-from" // in the target: which source and generation the last copy brought
	copyChunk  = 8 << 20                  // bytes per copy_file_range call; also the unit of progress and rate limiting
	// syncers per copy worker: enough fsyncs in flight for the filesystem to share journal commits
	syncersPerWorker = 8
	phaseBlobs       = 0 // indices/**/__* data blobs
	phaseIndices     = 1 // the rest of indices/: shard snap-*.dat, shard index-*, index meta-*.dat
	phaseRoot        = 2 // root snap-*.dat, meta-*.dat and anything else
	phaseGen         = 3 // root index-N, oldest first
	phaseLatest      = 4 // index.latest
	phases           = 5
)

var phaseNames = [phases]i18n.Msg{i18n.M("nfs.copy.phase.blobs"), i18n.M("nfs.copy.phase.meta"), i18n.M("nfs.copy.phase.snap"),
	i18n.M("nfs.copy.phase.gen"), i18n.Name("index.latest")}

// waiter is the bandwidth limiter's one method the copy uses.
type waiter interface {
	WaitN(ctx context.Context, n int) error
}

// newLimiter makes the copy's bandwidth limiter (tests record what it is charged).
var newLimiter = func(bytesPerSecond int64, burst int) waiter {
	return rate.NewLimiter(rate.Limit(bytesPerSecond), burst)
}

// afterRename, when set (by tests), is called each time a file has been renamed into place.
var afterRename func(rel string)

type copyFile struct {
	rel   string // slash-separated path relative to the repository root
	size  int64
	mode  fs.FileMode
	phase int
	gen   int64 // for root index-N
	// content, when set, is written instead of reading the source file: the current index-N and index.latest,
	// as read at the start
	content []byte
}

// CopyRepository copies the Elasticsearch `fs` repository in src to dst (the target cluster's share), so that
// dst is at every moment a valid repository or an incomplete copy that nothing points at yet:
//
//   - only the files that the source's current generation names are taken (repofiles.go: root index-N →
//     snapshots and indices → shard index files → blobs), so a snapshot running on the source meanwhile (the
//     next batch's) is never copied half-written; the copy starts again from the new generation when a
//     snapshot deleted meanwhile takes away a file it was about to copy;
//   - files are copied in phases, each finished (fsynced, renamed, directories fsynced) before the next:
//     data blobs, the rest of indices/, root snap-*.dat/meta-*.dat, root index-N, and index.latest last;
//   - each file is written under a temporary hidden name, fsynced, then renamed, so a cancelled or killed copy
//     leaves no file that looks complete but is not (the next run removes the temporaries);
//   - a file already in dst with the same size (data blobs, which Elasticsearch never rewrites) or the same size
//     and SHA-256 (everything else) is skipped: a second run copies only what is missing, and a later batch only
//     the new blobs of its incremental snapshot;
//   - index.latest and the current index-N are read from src at the start and written from memory, so dst
//     never points at a generation whose files were not copied, even when a snapshot finishes on the source
//     meanwhile (Elasticsearch then deletes that index-N; older root index-N files are not copied at all);
//   - dst holding another repository (another lineage of index-N) is refused unless AllowForeignTarget; a
//     hidden marker (.esmigrate-copied-from) records the source and generation of the last copy, which proves
//     the lineage for repositories without a uuid (before 7.12) once their shared snapshots are deleted;
//   - with Prune, files the source no longer has are deleted from dst after index.latest is in place;
//   - files are fsynced in batches, directories after each phase; as root, new files and directories take the
//     owner of dst.
//
// A snapshot is in the copy once it is SUCCESS (finalized); register dst on the target cluster with
// readonly: true.
func CopyRepository(ctx context.Context, src, dst string, o CopyOptions) (CopyResult, error) {
	// A snapshot deleted on the source while the copy runs (the clean-up of an earlier batch) takes files away
	// that the generation read at the start names: the copy then starts again from the new generation, and
	// what it already copied is skipped.
	for attempt := 1; ; attempt++ {
		res, err := copyRepository(ctx, src, dst, o)
		var moved *generationMovedError
		if errors.As(err, &moved) && attempt < 5 && ctx.Err() == nil {
			continue
		}
		if moved != nil {
			return res, moved.err
		}
		return res, err
	}
}

// generationMovedError: a file the generation being copied names is gone, and the source has another
// generation now.
type generationMovedError struct{ err error }

func (e *generationMovedError) Error() string { return e.err.Error() }
func (e *generationMovedError) Unwrap() error { return e.err }

// sourceGone turns the failure to read a source file into generationMovedError when the source's generation
// is no longer the one being copied.
func sourceGone(src string, latest []byte, err error) error {
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if now, _, gerr := readGeneration(src); gerr == nil && !bytes.Equal(now, latest) {
		return &generationMovedError{err: err}
	}
	return err
}

func copyRepository(ctx context.Context, src, dst string, o CopyOptions) (CopyResult, error) {
	start := time.Now()
	var res CopyResult
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = 250 * time.Millisecond
	}
	src, dst = filepath.Clean(src), filepath.Clean(dst)
	// A repository reached through a link (a share mounted elsewhere and linked into place) is resolved once,
	// here: the walk below does not follow links, and from a source that is a link it would list nothing.
	if r, err := filepath.EvalSymlinks(src); err == nil {
		src = r
	}
	if r, err := filepath.EvalSymlinks(dst); err == nil {
		dst = r
	}
	if src == dst || under(dst, src) || under(src, dst) {
		return res, i18n.Errorf("nfs.copy.inside", src, dst)
	}

	// --- the source: what its current generation names, and nothing else. A snapshot still running writes
	// blobs, shard index files and snap-*.dat that no generation names yet: they are not taken. index.latest
	// and the current root index-N are read now and written from memory: Elasticsearch deletes that index-N
	// soon after a newer snapshot writes index-N+1, which may happen during the copy. Older root index-N
	// files are leftovers that nothing reads any more (Elasticsearch deletes them too) and are not copied.
	latest, gen, err := readGeneration(src)
	if err != nil {
		return res, err
	}
	content, err := ReadRepositoryContent(src)
	if err != nil {
		if now, _, gerr := readGeneration(src); gerr == nil && !bytes.Equal(now, latest) {
			return res, &generationMovedError{err: err}
		}
		return res, err
	}
	if content.Generation != gen {
		return res, &generationMovedError{err: i18n.Errorf("nfs.copy.genmoved", src, gen, content.Generation)}
	}
	latest = content.Latest
	genName := "index-" + strconv.FormatInt(gen, 10)
	files := make([]copyFile, 0, len(content.Files)+2)
	for _, rel := range content.Files {
		fi, err := os.Lstat(filepath.Join(src, filepath.FromSlash(rel)))
		switch {
		case errors.Is(err, fs.ErrNotExist) && content.Optional[rel]:
			continue
		case err != nil:
			return res, sourceGone(src, latest, i18n.Errorf("nfs.copy.named.unreadable", src, gen, rel, err))
		case !fi.Mode().IsRegular():
			return res, i18n.Errorf("nfs.copy.irregular", src, rel)
		}
		ph, g := classify(rel)
		files = append(files, copyFile{rel: rel, size: fi.Size(), mode: fi.Mode().Perm(), phase: ph, gen: g})
	}
	files = append(files,
		copyFile{rel: genName, size: int64(len(content.Root)), mode: 0o644, phase: phaseGen, gen: gen, content: content.Root},
		copyFile{rel: indexLatest, size: int64(len(latest)), mode: 0o644, phase: phaseLatest, content: latest})
	genBytes := content.Root

	// --- the target
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return res, i18n.Errorf("nfs.copy.mkdirtarget", dst, err)
	}
	unlock, err := lockTarget(dst)
	if err != nil {
		return res, err
	}
	defer unlock()
	existing, stale, err := scanTarget(dst)
	if err != nil {
		return res, err
	}
	res.StaleTempsRemoved = stale
	if !o.AllowForeignTarget {
		if err := checkLineage(src, dst, files, existing, gen); err != nil {
			return res, err
		}
	}

	// --- plan: what is missing or different
	var todo [phases][]copyFile
	var need int64
	nTodo := 0
	for _, f := range files {
		same, err := sameFile(src, dst, f, existing)
		if err != nil {
			return res, err
		}
		if same {
			res.FilesSkipped++
			res.BytesSkipped += f.size
			continue
		}
		todo[f.phase] = append(todo[f.phase], f)
		need += f.size
		nTodo++
	}
	sort.Slice(todo[phaseGen], func(i, j int) bool { return todo[phaseGen][i].gen < todo[phaseGen][j].gen })
	for p := range todo { // big files first keeps all workers busy to the end of a phase
		if p != phaseGen {
			sort.SliceStable(todo[p], func(i, j int) bool { return todo[p][i].size > todo[p][j].size })
		}
	}
	if err := checkFree(ctx, dst, need); err != nil {
		return res, err
	}

	// --- copy
	owner := targetOwner(dst)
	var lim waiter
	chunk := int64(copyChunk)
	if o.BytesPerSecond > 0 {
		chunk = min(chunk, max(o.BytesPerSecond/4, 4096))
		lim = newLimiter(o.BytesPerSecond, int(chunk))
	}
	pr := newProgress(o, nTodo, need)
	defer pr.stop()
	for p := 0; p < phases; p++ {
		if len(todo[p]) == 0 {
			continue
		}
		if err := runPhase(ctx, src, dst, todo[p], o.Workers, chunk, lim, owner, pr); err != nil {
			return pr.result(res, start), sourceGone(src, latest, i18n.Errorf("nfs.copy.phase", phaseNames[p], src, dst, err))
		}
		pr.emit()
	}
	if o.Prune {
		// after index.latest: nothing the target's current generation names is among these
		srcSet := make(map[string]bool, len(files))
		for _, f := range files {
			srcSet[f.rel] = true
		}
		for rel := range existing {
			if srcSet[rel] {
				continue
			}
			if err := os.Remove(filepath.Join(dst, filepath.FromSlash(rel))); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return pr.result(res, start), i18n.Errorf("nfs.copy.prune", rel, dst, err)
			}
			res.FilesPruned++
			// directories emptied by pruning (indices of deleted snapshots) go too; Remove fails on a non-empty one
			for d := path.Dir(rel); d != "." && d != "/"; d = path.Dir(d) {
				if os.Remove(filepath.Join(dst, filepath.FromSlash(d))) != nil {
					break
				}
			}
		}
	}
	if err := writeMarker(dst, copyMarker{Source: src, Generation: gen, UUID: repoUUID(genBytes), Copied: time.Now().UTC()}); err != nil {
		return pr.result(res, start), err
	}
	res = pr.result(res, start)
	res.Generation = gen
	if now, _, err := readGeneration(src); err == nil && !bytes.Equal(now, latest) {
		res.SourceChanged = true
	}
	return res, nil
}

// ours says whether a name is esmigrate's own (temporaries, lock) or a verification leftover: Elasticsearch's
// _verify writes tests-<seed>/ directories and deletes them itself; they are not part of the repository.
func ours(rel string, isDir bool) bool {
	base := path.Base(rel)
	if strings.HasPrefix(base, tempPrefix) || base == lockName || base == markerName {
		return true
	}
	return isDir && !strings.Contains(rel, "/") && strings.HasPrefix(base, "tests-")
}

func classify(rel string) (phase int, gen int64) {
	base := path.Base(rel)
	switch {
	case strings.HasPrefix(rel, "indices/") && strings.HasPrefix(base, "__"):
		return phaseBlobs, 0
	case strings.HasPrefix(rel, "indices/"):
		return phaseIndices, 0
	case rel == indexLatest:
		return phaseLatest, 0
	}
	if g, ok := rootGen(rel); ok {
		return phaseGen, g
	}
	return phaseRoot, 0
}

// repositoryName says whether a path is named like a file of an fs repository: under indices/, or a root
// snap-, meta- or index- file. Another directory at the root is something else's (another repository
// registered in a subdirectory of this one's location).
func repositoryName(rel string) bool {
	if strings.HasPrefix(rel, "indices/") {
		return true
	}
	return !strings.Contains(rel, "/") && (strings.HasPrefix(rel, "snap-") || strings.HasPrefix(rel, "meta-") || strings.HasPrefix(rel, "index"))
}

// scanTarget lists the target's files (relative path → size) and removes temporaries of earlier copies.
func scanTarget(dst string) (map[string]int64, int, error) {
	existing := map[string]int64{}
	stale := 0
	err := filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return i18n.Errorf("nfs.copy.readtarget", dst, err)
		}
		rel, _ := filepath.Rel(dst, p)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if strings.HasPrefix(d.Name(), tempPrefix) && !d.IsDir() {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return i18n.Errorf("nfs.copy.removetemp", p, err)
			}
			stale++
			return nil
		}
		if ours(rel, d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		existing[rel] = info.Size()
		return nil
	})
	return existing, stale, err
}

// lockTarget takes an exclusive flock on dst/.esmigrate-copy.lock so that two copies into one share cannot
// remove each other's temporaries. flock works on NFSv4 (and on v3 with lockd).
func lockTarget(dst string) (func(), error) {
	name := filepath.Join(dst, lockName)
	// Never through a link: anyone who may write the share could plant one there, and this process (often
	// root) would create the file it points at (an empty /etc/nologin locks users out).
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR|unix.O_NOFOLLOW, 0o644)
	if errors.Is(err, unix.ELOOP) {
		return nil, i18n.Errorf("nfs.copy.link", name)
	}
	if err != nil {
		return nil, i18n.Errorf("nfs.copy.createlock", name, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, &i18n.Error{Msg: i18n.M("nfs.copy.busy", dst, name), Cause: ErrCopyLocked}
		}
		return nil, i18n.Errorf("nfs.copy.lock", name, err)
	}
	return func() {
		os.Remove(name) // before unlocking, so a waiting copy creates a fresh lock file
		unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	}, nil
}

// checkLineage refuses a target that holds a different repository. Elasticsearch deletes a root index-N soon
// after it writes index-N+1, so the source rarely still has the target's generation file; the lineage is
// proved by, in order: the repository uuid (written by 7.12+) where both have one; the target's current index-N
// being byte-identical to the source's when the source still has it; otherwise at least one snapshot listed in
// the target's index-N whose snap-<uuid>.dat the source has with the same content (snapshot uuids are random,
// so two repositories never share one). Without generation files (an interrupted first copy) every file in the
// target must be one the source has.
func checkLineage(src, dst string, files []copyFile, existing map[string]int64, srcGen int64) error {
	srcSet := make(map[string]int64, len(files))
	for _, f := range files {
		srcSet[f.rel] = f.size
	}
	dstGen := int64(-1)
	for rel := range existing {
		if g, ok := rootGen(rel); ok && g > dstGen {
			dstGen = g
		}
	}
	if _, ok := existing[indexLatest]; ok {
		if _, g, err := readGeneration(dst); err == nil {
			dstGen = g
		}
	}
	how := i18n.M("nfs.copy.how")
	if dstGen < 0 {
		for rel := range existing {
			if _, ok := srcSet[rel]; ok {
				continue
			}
			// not named by the source's generation, but still one of its files (an earlier generation's, copied
			// by an interrupted first copy)
			if fi, err := os.Lstat(filepath.Join(src, filepath.FromSlash(rel))); err != nil || !fi.Mode().IsRegular() || !repositoryName(rel) {
				return i18n.Errorf("nfs.copy.foreignfile", dst, rel, src, how)
			}
		}
		return nil
	}
	if dstGen > srcGen {
		return i18n.Errorf("nfs.copy.ahead", dst, dstGen, src, srcGen, how)
	}
	name := "index-" + strconv.FormatInt(dstGen, 10)
	db, err := os.ReadFile(filepath.Join(dst, name))
	if err != nil {
		return i18n.Errorf("nfs.copy.targetgen", dst, name, err, how)
	}
	sb, serr := os.ReadFile(filepath.Join(src, name))
	su, du := repoUUID(sb), repoUUID(db)
	if serr != nil {
		cur, _ := os.ReadFile(filepath.Join(src, "index-"+strconv.FormatInt(srcGen, 10)))
		su = repoUUID(cur)
	}
	if su != "" && du != "" && su != du {
		return i18n.Errorf("nfs.copy.otherrepo", dst, du, src, su, how)
	}
	if serr == nil {
		if !bytes.Equal(sb, db) {
			return i18n.Errorf("nfs.copy.lineage", dst, dstGen, name, how)
		}
		return nil
	}
	if su != "" && su == du {
		return nil
	}
	if m, err := readMarker(dst); err == nil && m.Source == src && m.Generation == dstGen {
		return nil // the last copy into dst came from this very source directory, at dst's generation
	}
	snaps := snapshotUUIDs(db)
	for _, u := range snaps {
		rel := "snap-" + u + ".dat"
		a, aerr := os.ReadFile(filepath.Join(src, rel))
		b, berr := os.ReadFile(filepath.Join(dst, rel))
		if aerr == nil && berr == nil && bytes.Equal(a, b) {
			return nil
		}
	}
	return i18n.Errorf("nfs.copy.unknown", dst, dstGen, len(snaps), src, how)
}

// copyMarker is written into the target after each copy. Before 7.12 index-N carries no repository uuid, and
// once the source deleted the snapshots the target has (a migration may delete each batch's snapshot once it is
// restored), nothing in the repository itself ties the two together any more; the marker does.
type copyMarker struct {
	Source     string    `json:"source"`     // the source repository directory on the host that copied
	Generation int64     `json:"generation"` // the generation copied (the target's index.latest)
	UUID       string    `json:"uuid,omitempty"`
	Copied     time.Time `json:"copied"`
}

func readMarker(dst string) (copyMarker, error) {
	var m copyMarker
	b, err := os.ReadFile(filepath.Join(dst, markerName))
	if err != nil {
		return m, err
	}
	err = json.Unmarshal(b, &m)
	return m, err
}

func writeMarker(dst string, m copyMarker) error {
	b, _ := json.MarshalIndent(m, "", "  ")
	// A new file, never through a link or into a file someone left at the temporary name (the share is
	// writable by others while the copy runs): whatever is there is removed (a link, not what it points at).
	tmp := filepath.Join(dst, tempPrefix+markerName)
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return i18n.Errorf("nfs.copy.cleartemp", filepath.Join(dst, markerName), tmp, err)
	}
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o644)
	if err != nil {
		return i18n.Errorf("nfs.copy.write", tmp, err)
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return full(err, "nfs.copy.write", tmp)
	}
	if err := os.Rename(tmp, filepath.Join(dst, markerName)); err != nil {
		os.Remove(tmp)
		return i18n.Errorf("nfs.copy.write", filepath.Join(dst, markerName), err)
	}
	return nil
}

// sameFile decides whether dst already has f. Data blobs are written once under a unique name and never
// changed, so their size is enough; metadata files are small and compared by SHA-256; index.latest and the
// current index-N are compared with the bytes read from the source at the start.
func sameFile(src, dst string, f copyFile, existing map[string]int64) (bool, error) {
	size, ok := existing[f.rel]
	if !ok || size != f.size {
		return false, nil
	}
	if f.content != nil {
		b, err := os.ReadFile(filepath.Join(dst, filepath.FromSlash(f.rel)))
		return err == nil && bytes.Equal(b, f.content), nil
	}
	if f.phase == phaseBlobs {
		return true, nil
	}
	a, err := hashFile(filepath.Join(src, filepath.FromSlash(f.rel)))
	if err != nil {
		return false, i18n.Errorf("nfs.copy.readfile", f.rel, err)
	}
	b, err := hashFile(filepath.Join(dst, filepath.FromSlash(f.rel)))
	if err != nil {
		return false, nil // unreadable: copy it again
	}
	return a == b, nil
}

func hashFile(name string) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	f, err := os.Open(name)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return sum, err
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}

func checkFree(ctx context.Context, dst string, need int64) error {
	if need == 0 {
		return nil
	}
	var s unix.Statfs_t
	if err := withTimeout(ctx, defaultFSTimeout, func() error { return unix.Statfs(dst, &s) }); err != nil {
		return i18n.Errorf("nfs.copy.statfs", dst, err)
	}
	free := int64(s.Bavail) * int64(s.Bsize)
	if free < need {
		return i18n.Errorf("nfs.copy.space", dst, humanBytes(free), humanBytes(need))
	}
	return nil
}

type fileOwner struct {
	uid, gid int
	chown    bool
}

// targetOwner: when esmigrate runs as root, copied files and directories get the owner of the target
// directory, which is the target cluster's Elasticsearch uid on a correctly prepared share; copying the
// source's owners (as cp -a does) would carry the old cluster's uid over, which may mean nothing there.
func targetOwner(dst string) fileOwner {
	var st unix.Stat_t
	if os.Geteuid() != 0 || unix.Stat(dst, &st) != nil {
		return fileOwner{}
	}
	return fileOwner{uid: int(st.Uid), gid: int(st.Gid), chown: true}
}

// runPhase copies files with workers and makes them durable and visible (renamed) before it returns.
func runPhase(ctx context.Context, src, dst string, files []copyFile, workers int, chunk int64, lim waiter,
	owner fileOwner, pr *progress) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// directories first, in one goroutine, so each new one is chowned once
	dirSet := map[string]bool{}
	for _, f := range files {
		dirSet[filepath.Dir(filepath.Join(dst, filepath.FromSlash(f.rel)))] = true
	}
	dirs := make([]string, 0, len(dirSet))
	for d := range dirSet {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		if err := mkdirOwned(dst, d, owner); err != nil {
			return err
		}
	}
	cm := newCommitter(syncersPerWorker*workers, pr)
	jobs := make(chan copyFile)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	fail := func(err error) {
		once.Do(func() { firstErr = err; cancel() })
	}
	var inflight sync.WaitGroup // files handed out and not yet with the committer (a pause waits for them)
	for i := 0; i < min(workers, len(files)); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range jobs {
				p, err := copyOne(ctx, src, dst, f, chunk, lim, owner, pr)
				if err != nil {
					fail(err)
				} else if err := cm.add(p); err != nil {
					fail(err)
				}
				inflight.Done()
			}
		}()
	}
feed:
	for _, f := range files {
		if err := holdCopy(ctx, pr, &inflight, cm); err != nil { // pause.go
			fail(err)
			break feed
		}
		inflight.Add(1)
		select {
		case jobs <- f:
		case <-ctx.Done():
			inflight.Done()
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	// files already written are made durable and renamed even after a cancellation: they are complete, and the
	// next run need not copy them again
	cerr := cm.finish()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if cerr != nil {
		return cerr
	}
	// the renames of this phase must be durable before the next phase's files can point at them
	for _, d := range dirs {
		if err := syncDir(d); err != nil {
			return i18n.Errorf("nfs.copy.fsyncdir", d, err)
		}
	}
	return nil
}

// committer makes copied files durable (fsync), then renames them into place. Files are handed over still open
// and are fsynced in batches, all of a batch at once: a per-file fsync on a local filesystem waits for a journal
// commit and a disk cache flush, and fsyncs issued together share one commit, while fsyncs issued as files come
// in stall the creation of the next files behind each commit (this made the copy of many small files twice as
// slow as `cp -a`). On NFS an fsync is the flush and COMMIT that close() would do anyway (close-to-open
// consistency), and it reports the server's write error for that very file. (One syncfs(2) per batch was tried
// and dropped: it also flushes every other writer of the filesystem, such as Elasticsearch's own data on a
// local disk, and kernels before 5.8 do not report write-back errors through it.)
type committer struct {
	syncers int
	pr      *progress
	mu      sync.Mutex // guards pending, bytes and err
	pending []pendingFile
	bytes   int64
	err     error
	flushMu sync.Mutex // one batch at a time
}

type pendingFile struct {
	f       *os.File // the open temporary file
	tmp, to string
	rel     string
	size    int64
}

const (
	batchFiles = 256     // also bounds the open files: workers + batchFiles
	batchBytes = 1 << 30 // a batch's unsynced data (dirty page cache) stays below this
)

func newCommitter(syncers int, pr *progress) *committer {
	return &committer{syncers: syncers, pr: pr}
}

// add takes a written file; when the batch is full the caller flushes it. It returns the first error of any
// flush so far, so that the workers stop copying after a failed fsync.
func (c *committer) add(p pendingFile) error {
	c.mu.Lock()
	c.pending = append(c.pending, p)
	c.bytes += p.size
	full := len(c.pending) >= batchFiles || c.bytes >= batchBytes
	c.mu.Unlock()
	if full {
		c.flush()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// flush fsyncs the pending files together, then renames them into place.
func (c *committer) flush() {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	c.mu.Lock()
	batch := c.pending
	c.pending, c.bytes = nil, 0
	c.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	jobs := make(chan pendingFile)
	var wg sync.WaitGroup
	for i := 0; i < min(c.syncers, len(batch)); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				if err := c.commit(p); err != nil {
					c.mu.Lock()
					if c.err == nil {
						c.err = err
					}
					c.mu.Unlock()
				}
			}
		}()
	}
	for _, p := range batch {
		jobs <- p
	}
	close(jobs)
	wg.Wait()
}

// finish flushes what is left: every file handed over is then renamed into place or removed.
func (c *committer) finish() error {
	c.flush()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *committer) commit(p pendingFile) error {
	err := p.f.Sync()
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p.tmp)
		return full(err, "nfs.copy.write", p.tmp)
	}
	if err := os.Rename(p.tmp, p.to); err != nil {
		os.Remove(p.tmp)
		return i18n.Errorf("nfs.copy.rename", p.tmp, p.to, err)
	}
	if afterRename != nil {
		afterRename(p.rel)
	}
	c.pr.fileDone()
	return nil
}

func mkdirOwned(root, dir string, owner fileOwner) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	// create parents one by one so each new one gets the owner
	if dir != root {
		if err := mkdirOwned(root, filepath.Dir(dir), owner); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return i18n.Errorf("nfs.copy.mkdir", dir, err)
	}
	if owner.chown {
		if err := os.Lchown(dir, owner.uid, owner.gid); err != nil {
			return i18n.Errorf("nfs.copy.chown", owner.uid, owner.gid, dir, err)
		}
	}
	return nil
}

// copyOne writes f to a temporary name next to its destination and returns it, still open, for the committer.
func copyOne(ctx context.Context, src, dst string, f copyFile, chunk int64, lim waiter, owner fileOwner,
	pr *progress) (_ pendingFile, err error) {
	from := filepath.Join(src, filepath.FromSlash(f.rel))
	to := filepath.Join(dst, filepath.FromSlash(f.rel))
	tmp := filepath.Join(filepath.Dir(to), fmt.Sprintf("%s%s.%08x", tempPrefix, filepath.Base(to), rand.Uint32()))
	pr.current(f.rel)
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.mode|0o600)
	if err != nil {
		return pendingFile{}, full(err, "nfs.copy.create", tmp)
	}
	defer func() {
		if err != nil {
			out.Close()
			os.Remove(tmp)
		}
	}()
	var n int64
	if f.content != nil {
		var w int
		w, err = out.Write(f.content)
		n = int64(w)
		pr.add(n)
		if err != nil {
			return pendingFile{}, full(err, "nfs.copy.write", tmp)
		}
	} else {
		in, oerr := os.Open(from)
		if oerr != nil {
			return pendingFile{}, i18n.Errorf("nfs.copy.open", from, oerr)
		}
		defer in.Close()
		for {
			if err = ctx.Err(); err != nil {
				return pendingFile{}, err
			}
			if lim != nil {
				// charge what this read can move: a chunk, or what is left of the file (a small file is charged
				// its size, not a whole chunk)
				if err = lim.WaitN(ctx, int(max(min(chunk, f.size-n), 0))); err != nil {
					return pendingFile{}, err
				}
			}
			// io.CopyN between two *os.File uses copy_file_range(2): the kernel moves the bytes (or, on NFS 4.2,
			// the server copies them) without passing them through this process.
			c, cerr := io.CopyN(out, in, chunk)
			n += c
			pr.add(c)
			if errors.Is(cerr, io.EOF) {
				break
			}
			if cerr != nil {
				err = cerr
				return pendingFile{}, full(cerr, "nfs.copy.copy", from, tmp)
			}
		}
		if n != f.size {
			err = errors.New("size changed")
			return pendingFile{}, i18n.Errorf("nfs.copy.changed", from, f.size, n)
		}
	}
	if owner.chown {
		if err = out.Chown(owner.uid, owner.gid); err != nil {
			return pendingFile{}, i18n.Errorf("nfs.copy.chown", owner.uid, owner.gid, tmp, err)
		}
	}
	// start writing the data back now, without waiting: by the time the batch is fsynced there is little
	// left to write, and copying goes on meanwhile (an error here resurfaces at the fsync)
	_ = unix.SyncFileRange(int(out.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WRITE)
	return pendingFile{f: out, tmp: tmp, to: to, rel: f.rel, size: n}, nil
}

// full is a copy error (key: what was being done, with err as its last argument); a full target share says
// so, and what to do.
func full(err error, key string, args ...any) error {
	e := i18n.Errorf(key, append(args, err)...)
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return i18n.Errorf("nfs.copy.full", e)
	}
	return e
}

func syncDir(d string) error {
	f, err := os.Open(d)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) { // some filesystems cannot fsync directories
		return err
	}
	return nil
}

// progress counts and reports from one goroutine.
type progress struct {
	o          CopyOptions
	filesTotal int
	bytesTotal int64
	files      atomic.Int64
	bytes      atomic.Int64
	cur        atomic.Value // string
	start      time.Time
	done       chan struct{}
	wg         sync.WaitGroup
	mu         sync.Mutex // serializes calls of o.Progress
	samples    []sample
}

type sample struct {
	t time.Time
	b int64
}

func newProgress(o CopyOptions, files int, total int64) *progress {
	p := &progress{o: o, filesTotal: files, bytesTotal: total, start: time.Now(), done: make(chan struct{})}
	p.cur.Store("")
	if o.Progress == nil {
		return p
	}
	p.emit()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(o.ProgressInterval)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-t.C:
				p.emit()
			}
		}
	}()
	return p
}

func (p *progress) add(n int64)            { p.bytes.Add(n) }
func (p *progress) fileDone()              { p.files.Add(1) }
func (p *progress) current(rel string)     { p.cur.Store(rel) }
func (p *progress) snapshot() (int64, int) { return p.bytes.Load(), int(p.files.Load()) }

func (p *progress) emit() {
	if p.o.Progress == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	b, f := p.snapshot()
	now := time.Now()
	// throughput over the last 5 seconds, so a slow start or a pause does not distort the ETA for long
	p.samples = append(p.samples, sample{now, b})
	for len(p.samples) > 2 && now.Sub(p.samples[0].t) > 5*time.Second {
		p.samples = p.samples[1:]
	}
	var bps float64
	if first := p.samples[0]; now.Sub(first.t) > 50*time.Millisecond {
		bps = float64(b-first.b) / now.Sub(first.t).Seconds()
	} else if el := now.Sub(p.start).Seconds(); el > 0 {
		bps = float64(b) / el
	}
	var eta time.Duration
	if bps > 0 && b < p.bytesTotal {
		eta = time.Duration(float64(p.bytesTotal-b) / bps * float64(time.Second)).Round(time.Second)
	}
	cur, _ := p.cur.Load().(string)
	p.o.Progress(CopyProgress{FilesDone: f, FilesTotal: p.filesTotal, BytesDone: b, BytesTotal: p.bytesTotal,
		BytesPerSecond: bps, ETA: eta, CurrentFile: cur})
}

func (p *progress) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	close(p.done)
	p.wg.Wait()
}

func (p *progress) result(r CopyResult, start time.Time) CopyResult {
	p.stop()
	p.emit()
	b, f := p.snapshot()
	r.FilesCopied, r.BytesCopied = f, b
	r.Duration = time.Since(start)
	return r
}
