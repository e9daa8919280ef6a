package nfs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/esmigrate/esmigrate/i18n"
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
		return nil, i18n.Errorf("nfs.remove.failed", dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.latest")); err != nil {
		if !hasIndexN(entries) {
			return nil, i18n.Errorf("nfs.remove.norepo", dir)
		}
	}
	for _, e := range entries {
		if !repositoryFile.MatchString(e.Name()) {
			left = append(left, e.Name())
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return left, i18n.Errorf("nfs.remove.one", filepath.Join(dir, e.Name()), err)
		}
	}
	if len(left) == 0 {
		if err := os.Remove(dir); err != nil && !os.IsNotExist(err) {
			return nil, i18n.Errorf("nfs.remove.one", dir, err)
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
