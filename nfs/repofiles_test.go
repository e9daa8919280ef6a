package nfs

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func readLines(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// withoutGeneration leaves out the root index-N and index.latest, which the content gives apart.
func withoutGeneration(files []string) []string {
	var out []string
	for _, f := range files {
		if f == indexLatest || !strings.Contains(f, "/") && strings.HasPrefix(f, "index-") {
			continue
		}
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// Repositories written by real clusters (two snapshots of one index, 2 shards, chunk_size 64kb so that blobs
// come in parts, compressed): the metadata names exactly the files the repository holds. files.txt is each
// repository's listing (find), taken from the share after the second snapshot; the fixture keeps only the
// metadata files.
func TestRepositoryContentOfRealRepositories(t *testing.T) {
	for _, v := range []string{"es-7.10", "es-7.17", "es-8.19", "os-2.19"} {
		t.Run(v, func(t *testing.T) {
			dir := filepath.Join("testdata", "repositories", v)
			c, err := ReadRepositoryContent(dir)
			if err != nil {
				t.Fatal(err)
			}
			want := withoutGeneration(readLines(t, filepath.Join(dir, "files.txt")))
			if !reflect.DeepEqual(c.Files, want) {
				t.Errorf("named:\n%s\nthe repository holds:\n%s", strings.Join(c.Files, "\n"), strings.Join(want, "\n"))
			}
			if c.Generation != 1 || len(c.Snapshots) != 2 || len(c.Latest) != 8 || len(c.Root) == 0 {
				t.Errorf("generation %d, snapshots %v", c.Generation, c.Snapshots)
			}
			parts := 0
			for _, f := range c.Files {
				if strings.Contains(f, ".part") {
					parts++
				}
			}
			if parts == 0 {
				t.Errorf("no blob in parts: the fixture does not test part names")
			}
		})
	}
}

// A snapshot caught while it runs (throttled to 20kb/s; uncompressed on 7.10 and 7.17, compressed on 8.19 and
// OpenSearch 2.19) on real clusters: the
// listing taken then holds its new blobs, shard index files and snap-*.dat beside the finished snapshot's.
// finished.txt are the files whose modification time on the share was before the running snapshot started (or
// that it deleted when it finished): an independent account of what the finished snapshot consists of.
func TestRepositoryContentLeavesOutTheRunningSnapshot(t *testing.T) {
	for _, v := range []string{"es-7.10-running-uncompressed", "es-7.17-running-uncompressed", "es-8.19-running", "os-2.19-running"} {
		t.Run(v, func(t *testing.T) {
			dir := filepath.Join("testdata", "repositories", v)
			c, err := ReadRepositoryContent(dir)
			if err != nil {
				t.Fatal(err)
			}
			finished := readLines(t, filepath.Join(dir, "finished.txt"))
			all := withoutGeneration(readLines(t, filepath.Join(dir, "files.txt")))
			if len(all)-len(finished) < 4 {
				t.Fatalf("the running snapshot had written only %d files: the fixture tests nothing", len(all)-len(finished))
			}
			slices.Sort(finished)
			if !reflect.DeepEqual(c.Files, finished) {
				t.Errorf("named:\n%s\nthe finished snapshot's files:\n%s", strings.Join(c.Files, "\n"), strings.Join(finished, "\n"))
			}
		})
	}
}

// The fixture repository, through snapshots of some indices, of all, a deletion and in the format before 7.6:
// the content is what the repository holds, as the fixture keeps it.
func TestRepositoryContentFollowsSnapshotsAndDeletions(t *testing.T) {
	for _, old := range []bool{false, true} {
		dir := filepath.Join(t.TempDir(), "repo")
		r := newFakeRepo(t, dir, 21, 3, 2)
		r.old = old
		check := func(what string) {
			t.Helper()
			c, err := ReadRepositoryContent(dir)
			if err != nil {
				t.Fatalf("old format %v, %s: %v", old, what, err)
			}
			var want []string
			for f := range r.listing(t) {
				want = append(want, f)
			}
			want = withoutGeneration(want)
			if !reflect.DeepEqual(c.Files, want) {
				t.Errorf("old format %v, %s: named\n%s\nthe repository holds\n%s", old, what, strings.Join(c.Files, "\n"), strings.Join(want, "\n"))
			}
			if c.Generation != r.gen || len(c.Snapshots) != len(r.snaps) {
				t.Errorf("old format %v, %s: generation %d, %d snapshots", old, what, c.Generation, len(c.Snapshots))
			}
		}
		r.subset = []int{0, 1}
		r.snapshot(t, 2, 150<<10)
		check("first snapshot")
		r.subset = nil
		r.snapshot(t, 1, 1024)
		check("second snapshot, all indices")
		r.deleteSnapshot(t, 0)
		check("first snapshot deleted")
	}
}

func TestRepositoryContentRefusesWhatItCannotRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	r := newFakeRepo(t, dir, 22, 1, 1)
	r.snapshot(t, 1, 1024)
	root := filepath.Join(dir, "index-0")
	b, _ := os.ReadFile(root)
	// OpenSearch's hashed layout for remote stores
	os.WriteFile(root, []byte(strings.Replace(string(b), `"id":`, `"shard_path_type":1,"id":`, 1)), 0o644)
	if _, err := ReadRepositoryContent(dir); err == nil || !strings.Contains(err.Error(), "shard path type 1") {
		t.Errorf("a hashed layout: %v", err)
	}
	os.WriteFile(root, b, 0o644)
	// a damaged shard index file
	files, _ := filepath.Glob(filepath.Join(dir, "indices", "*", "0", "index-*"))
	sb, _ := os.ReadFile(files[0])
	sb[len(sb)-20] ^= 0xff
	os.WriteFile(files[0], sb, 0o644)
	if _, err := ReadRepositoryContent(dir); err == nil || !strings.Contains(err.Error(), "checksum") || !strings.Contains(err.Error(), "shard 0 of index") {
		t.Errorf("a damaged shard index file: %v", err)
	}
}

func TestBlobParts(t *testing.T) {
	for _, c := range []struct {
		name         string
		length, part int64
		want         []string
	}{
		{"v__x", 500, 100, nil},
		{"__a", 500, 0, []string{"__a"}},
		{"__a", 0, 100, []string{"__a"}},
		{"__a", 100, 100, []string{"__a"}},
		{"__a", 200, 100, []string{"__a.part0", "__a.part1"}},
		{"__a", 201, 100, []string{"__a.part0", "__a.part1", "__a.part2"}},
		{"__a", 5, 1 << 62, []string{"__a"}},
	} {
		if got := blobParts(c.name, c.length, c.part); !reflect.DeepEqual(got, c.want) {
			t.Errorf("blobParts(%s, %d, %d) = %v, want %v", c.name, c.length, c.part, got, c.want)
		}
	}
}
