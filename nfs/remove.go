package nfs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// repositoryFile matches the entries an fs repository (and esmigrate's copy of one) keeps at its root.
var repositoryFile = regexp.MustCompile(`^(index-\d+|index\.latest|incompatible-snapshots|(snap|meta)-[A-Za-z0-9_-]+\.dat|indices|tests-[A-Za-z0-9_-]+|\.esmigrate-.*)$`)

// RemoveRepository deletes a copied fs repository from dir: only the entries a repository keeps at its root
// (index-N, index.latest, snap-*.dat, meta-*.dat, indices/ and esmigrate's own files), never anything else that
// happens to be there (another repository, someone's files). dir itself goes when nothing else is left. It
// returns what it left in place.
func RemoveRepository(dir string) (left []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("delete the copied repository in %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.latest")); err != nil {
		if !hasIndexN(entries) {
			return nil, fmt.Errorf("%s holds no repository (no index.latest or index-N): nothing deleted; check the path", dir)
		}
	}
	for _, e := range entries {
		if !repositoryFile.MatchString(e.Name()) {
			left = append(left, e.Name())
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return left, fmt.Errorf("delete %s: %w", filepath.Join(dir, e.Name()), err)
		}
	}
	if len(left) == 0 {
		if err := os.Remove(dir); err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("delete %s: %w", dir, err)
		}
	}
	return left, nil
}

func hasIndexN(entries []os.DirEntry) bool {
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "index-") {
			return true
		}
	}
	return false
}
