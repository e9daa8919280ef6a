package nfs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/esmigrate/esmigrate/i18n"
)

// What the finished snapshots of a repository consist of, read from the repository's own metadata: the copy
// takes exactly these files, so that it can run while the source cluster writes another snapshot into the same
// repository (the next batch's, in a pipelined migration) without ever taking a file that snapshot is writing.
//
// The chain, checked on repositories written by Elasticsearch 7.10, 7.17, 8.19 and OpenSearch 2.19:
//
//   - index.latest → the current generation N; the root index-N (JSON) names the finished snapshots (name, uuid,
//     state, index_metadata_lookup) and the indices (id, the snapshots that hold them, shard_generations: the
//     current generation of each shard's own index file), and index_metadata_identifiers;
//   - root snap-<uuid>.dat and meta-<uuid>.dat of each snapshot;
//   - indices/<id>/meta-<blob>.dat: the index metadata, <blob> from index_metadata_identifiers (7.9+), or the
//     snapshot's uuid before;
//   - indices/<id>/<shard>/index-<generation>: the shard's snapshots by name and the files of each (Smile, in a
//     Lucene codec envelope: blobformat.go); before 7.6 the highest index-<N> of the directory;
//   - indices/<id>/<shard>/snap-<uuid>.dat of each snapshot the shard's index file lists;
//   - the data blobs the shard's index file lists, as <name> or <name>.part<i> when part_size splits them, except
//     virtual ones (v__…), whose content is in the metadata itself.
//
// A running snapshot writes new data blobs, a new shard index-<uuid> and its snap-<uuid>.dat before its
// finalization writes index-N+1: none of those is named by index-N, so none is taken.

// RepositoryContent is one generation of a repository: what its root index-N names, down to the blobs.
type RepositoryContent struct {
	Generation int64
	Latest     []byte   // index.latest as read (8 bytes, big-endian generation)
	Root       []byte   // the root index-N as read
	Snapshots  []string // the finished snapshots' names
	// Files are the paths (relative, slash-separated) of every other file the generation needs, sorted.
	Files []string
	// Optional are the paths of Files that an older or partial snapshot may lack (root meta-*.dat, the shard
	// snap-*.dat of a snapshot whose shard failed): a copy takes them when they are there.
	Optional map[string]bool
}

// ReadRepositoryContent reads the current generation of the repository in dir and everything it names. It reads
// the metadata files only, never a data blob.
func ReadRepositoryContent(dir string) (RepositoryContent, error) {
	if r, err := filepath.EvalSymlinks(dir); err == nil {
		dir = r
	}
	latest, gen, err := readGeneration(dir)
	if err != nil {
		return RepositoryContent{}, err
	}
	root, err := os.ReadFile(filepath.Join(dir, "index-"+strconv.FormatInt(gen, 10)))
	if err != nil {
		return RepositoryContent{}, i18n.Errorf("nfs.repo.genunreadable", dir, indexLatest, gen, gen, err)
	}
	c, err := contentOf(root, func(rel string) ([]byte, error) {
		return os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	}, func(rel string) ([]string, error) {
		ents, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(rel)))
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		return names, err
	})
	if err != nil {
		return RepositoryContent{}, i18n.Errorf("nfs.repo.content", dir, gen, err)
	}
	c.Generation, c.Latest, c.Root = gen, latest, root
	return c, nil
}

// rootIndex is the part of a root index-N the copy reads.
type rootIndex struct {
	Snapshots []struct {
		Name   string            `json:"name"`
		UUID   string            `json:"uuid"`
		State  *int              `json:"state"`
		Lookup map[string]string `json:"index_metadata_lookup"`
	} `json:"snapshots"`
	Indices map[string]struct {
		ID        string    `json:"id"`
		Snapshots []string  `json:"snapshots"`
		ShardGens []*string `json:"shard_generations"`
		PathType  *int      `json:"shard_path_type"` // OpenSearch: 0 is the fixed layout below
	} `json:"indices"`
	Identifiers map[string]string `json:"index_metadata_identifiers"`
}

// contentOf lists the files a root index-N names, reading the shard index files with read and listing shard
// directories (repositories before 7.6) with list.
func contentOf(root []byte, read func(rel string) ([]byte, error), list func(rel string) ([]string, error)) (RepositoryContent, error) {
	var r rootIndex
	if err := json.Unmarshal(root, &r); err != nil {
		return RepositoryContent{}, fmt.Errorf("the root index file is not what Elasticsearch writes: %w", err)
	}
	c := RepositoryContent{Optional: map[string]bool{}}
	files := map[string]bool{}
	add := func(rel string, optional bool) {
		if !files[rel] {
			files[rel] = true
			if optional {
				c.Optional[rel] = true
			}
		} else if !optional {
			delete(c.Optional, rel)
		}
	}
	uuidOf := map[string]string{} // snapshot name → uuid
	success := map[string]bool{}  // snapshot uuid → state SUCCESS (or no state: before 7.x it was not written)
	for _, s := range r.Snapshots {
		c.Snapshots = append(c.Snapshots, s.Name)
		uuidOf[s.Name] = s.UUID
		success[s.UUID] = s.State == nil || *s.State == 1
		add("snap-"+s.UUID+".dat", false)
		// The global metadata: every version writes it, but a snapshot of a version before 7.x may not have.
		add("meta-"+s.UUID+".dat", true)
	}
	names := make([]string, 0, len(r.Indices))
	for name := range r.Indices {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ix := r.Indices[name]
		if ix.ID == "" {
			return c, fmt.Errorf("index %s has no id", name)
		}
		if ix.PathType != nil && *ix.PathType != 0 {
			return c, i18n.Errorf("nfs.repo.pathtype", name, *ix.PathType)
		}
		base := "indices/" + ix.ID + "/"
		inIndex := map[string]bool{}
		for _, u := range ix.Snapshots {
			inIndex[u] = true
		}
		// index metadata
		for _, s := range r.Snapshots {
			if !inIndex[s.UUID] {
				continue
			}
			if key, ok := s.Lookup[ix.ID]; ok {
				blob, ok := r.Identifiers[key]
				if !ok {
					return c, fmt.Errorf("snapshot %s names metadata %s of index %s, which index_metadata_identifiers lacks", s.Name, key, name)
				}
				add(base+"meta-"+blob+".dat", false)
			} else {
				add(base+"meta-"+s.UUID+".dat", !success[s.UUID])
			}
		}
		// shards
		gens := ix.ShardGens
		if gens == nil {
			// Before 7.6: no shard generations in the root; each shard directory's highest numeric index-N.
			entries, err := list(base)
			if err != nil {
				return c, fmt.Errorf("listing %s: %w", base, err)
			}
			for _, e := range entries {
				if _, err := strconv.Atoi(e); err == nil {
					gens = append(gens, nil)
				}
			}
		}
		for shard, g := range gens {
			dir := base + strconv.Itoa(shard) + "/"
			var gen string
			switch {
			case g != nil && (*g == "_new" || *g == "_deleted" || *g == ""):
				continue // no snapshot of this shard yet, or it was deleted
			case g != nil:
				gen = *g
			default:
				entries, err := list(dir)
				if err != nil && !errors.Is(err, fs.ErrNotExist) {
					return c, fmt.Errorf("listing %s: %w", dir, err)
				}
				best := int64(-1)
				for _, e := range entries {
					if n, ok := rootGen(e); ok && n > best {
						best = n
					}
				}
				if best < 0 {
					continue
				}
				gen = strconv.FormatInt(best, 10)
			}
			idxFile := dir + "index-" + gen
			add(idxFile, false)
			b, err := read(idxFile)
			if err != nil {
				return c, fmt.Errorf("shard %d of index %s: %w", shard, name, err)
			}
			shardFiles, err := shardIndexFiles(b)
			if err != nil {
				return c, fmt.Errorf("shard %d of index %s: %s: %w", shard, name, idxFile, err)
			}
			for _, snap := range shardFiles.snapshots {
				u, ok := uuidOf[snap]
				if !ok {
					// A snapshot the shard lists that the root no longer does (deleted): its blobs that finished
					// snapshots still use are listed under those.
					continue
				}
				add(dir+"snap-"+u+".dat", !success[u])
				for _, blob := range shardFiles.files[snap] {
					for _, part := range blob {
						add(dir+part, false)
					}
				}
			}
		}
	}
	c.Files = make([]string, 0, len(files))
	for f := range files {
		c.Files = append(c.Files, f)
	}
	sort.Strings(c.Files)
	return c, nil
}

// shardFiles is what a shard's index file says: its snapshots in order, and for each the blob files (the parts
// of each Lucene file that has a blob).
type shardFiles struct {
	snapshots []string
	files     map[string][][]string
}

// shardIndexFiles reads a shard's index-<generation> (BlobStoreIndexShardSnapshots): "files" describes each
// blob (name, length, part_size), "snapshots" lists by snapshot name the blobs of each.
func shardIndexFiles(b []byte) (shardFiles, error) {
	v, err := readBlobFormat(b)
	if err != nil {
		return shardFiles{}, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return shardFiles{}, errors.New("not an object")
	}
	parts := map[string][]string{}
	list, _ := m["files"].([]any)
	for _, f := range list {
		fi, _ := f.(map[string]any)
		name, _ := fi["name"].(string)
		if name == "" {
			return shardFiles{}, errors.New("a file without a name")
		}
		parts[name] = blobParts(name, asInt(fi["length"]), asInt(fi["part_size"]))
	}
	out := shardFiles{files: map[string][][]string{}}
	snaps, ok := m["snapshots"].(map[string]any)
	if !ok && m["snapshots"] != nil {
		return shardFiles{}, errors.New(`"snapshots" is not an object`)
	}
	names := make([]string, 0, len(snaps))
	for s := range snaps {
		names = append(names, s)
	}
	sort.Strings(names)
	for _, s := range names {
		out.snapshots = append(out.snapshots, s)
		sm, _ := snaps[s].(map[string]any)
		fl, _ := sm["files"].([]any)
		for _, f := range fl {
			name, _ := f.(string)
			p, ok := parts[name]
			if !ok {
				return shardFiles{}, fmt.Errorf("snapshot %s lists file %s, which the shard's files do not describe", s, name)
			}
			out.files[s] = append(out.files[s], p)
		}
	}
	return out, nil
}

// blobParts names the blobs of one file: none for a virtual file (its bytes are in the metadata), the name
// itself for one part, name.part0… when part_size (the repository's chunk_size) splits it.
func blobParts(name string, length, partSize int64) []string {
	if strings.HasPrefix(name, "v__") {
		return nil
	}
	n := int64(1)
	if partSize > 0 && length > 0 {
		n = length / partSize
		if length%partSize > 0 {
			n++
		}
	}
	if n <= 1 {
		return []string{name}
	}
	out := make([]string, n)
	for i := range out {
		out[i] = name + ".part" + strconv.Itoa(i)
	}
	return out
}

func asInt(v any) int64 {
	switch t := v.(type) {
	case int64:
		return t
	case float64:
		return int64(t)
	case string:
		n, _ := strconv.ParseInt(t, 10, 64)
		return n
	}
	return 0
}
