package nfs

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/esmigrate/esmigrate/i18n"
)

// What an Elasticsearch fs repository's own files say (root index-N, index.latest), read from the share on any
// system: the copy, the second-writer check and the resume's "which repository does this host read" use it.

// indexLatest names the file that holds the current generation.
const indexLatest = "index.latest"

// readGeneration returns the bytes of index.latest and the generation: index.latest holds it as a big-endian
// int64; without index.latest (old or odd repositories) the highest root index-N is the current generation.
func readGeneration(repo string) ([]byte, int64, error) {
	b, err := os.ReadFile(filepath.Join(repo, indexLatest))
	if err == nil && len(b) == 8 {
		return b, int64(binary.BigEndian.Uint64(b)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, 0, i18n.Errorf("nfs.repo.readlatest", indexLatest, repo, err)
	}
	ents, derr := os.ReadDir(repo)
	if derr != nil {
		return nil, 0, i18n.Errorf("nfs.repo.readdir", repo, derr)
	}
	gen := int64(-1)
	for _, e := range ents {
		if g, ok := rootGen(e.Name()); ok && g > gen {
			gen = g
		}
	}
	if gen < 0 {
		return nil, 0, i18n.Errorf("nfs.repo.notrepo", repo, indexLatest)
	}
	latest := make([]byte, 8)
	binary.BigEndian.PutUint64(latest, uint64(gen))
	return latest, gen, nil
}

func rootGen(name string) (int64, bool) {
	n, ok := strings.CutPrefix(name, "index-")
	if !ok {
		return 0, false
	}
	g, err := strconv.ParseInt(n, 10, 64)
	return g, err == nil && g >= 0
}

// RepositoryInfo is what a repository's root index-N says, as this host reads it from the share.
type RepositoryInfo struct {
	Generation int64
	UUID       string   // the repository's uuid (Elasticsearch 7.12+), "" before
	Snapshots  []string // snapshot names
	SnapUUIDs  []string // snapshot uuids
}

// ReadRepository reads the current root index-N of the repository in dir (following a link to it).
func ReadRepository(dir string) (RepositoryInfo, error) {
	if r, err := filepath.EvalSymlinks(dir); err == nil {
		dir = r
	}
	_, gen, err := readGeneration(dir)
	if err != nil {
		return RepositoryInfo{}, err
	}
	b, err := os.ReadFile(filepath.Join(dir, "index-"+strconv.FormatInt(gen, 10)))
	if err != nil {
		return RepositoryInfo{}, i18n.Errorf("nfs.repo.error", dir, err)
	}
	var v struct {
		Snapshots []struct {
			Name string `json:"name"`
			UUID string `json:"uuid"`
		} `json:"snapshots"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return RepositoryInfo{}, i18n.Errorf("nfs.repo.indexn", dir, gen, err)
	}
	info := RepositoryInfo{Generation: gen, UUID: repoUUID(b)}
	for _, s := range v.Snapshots {
		info.Snapshots = append(info.Snapshots, s.Name)
		info.SnapUUIDs = append(info.SnapUUIDs, s.UUID)
	}
	return info, nil
}

// snapshotUUIDs lists the snapshot uuids a root index-N names.
func snapshotUUIDs(b []byte) []string {
	var v struct {
		Snapshots []struct {
			UUID string `json:"uuid"`
		} `json:"snapshots"`
	}
	if json.Unmarshal(b, &v) != nil {
		return nil
	}
	var out []string
	for _, s := range v.Snapshots {
		if s.UUID != "" {
			out = append(out, s.UUID)
		}
	}
	return out
}

// repoUUID reads the "uuid" of a root index-N (written by Elasticsearch 7.12+; "" before, or "_na_").
func repoUUID(b []byte) string {
	var v struct {
		UUID string `json:"uuid"`
	}
	if json.Unmarshal(b, &v) != nil || v.UUID == "_na_" {
		return ""
	}
	return v.UUID
}
