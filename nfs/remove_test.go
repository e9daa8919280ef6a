package nfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRemoveRepositoryDeletesOnlyTheRepositorysOwnFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"index-3", "index.latest", "snap-abc_DEF.dat", "meta-abc.dat", "indices/x/0/__blob", ".esmigrate-copied-from",
		"other-repo/index.latest", "notes.txt"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
	}
	left, err := RemoveRepository(dir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(left, ",") != "notes.txt,other-repo" {
		t.Errorf("left %v", left)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("%d entries remain, want the 2 foreign ones", len(entries))
	}
	if _, err := os.Stat(filepath.Join(dir, "other-repo", "index.latest")); err != nil {
		t.Error("another repository's file was deleted")
	}
}

func TestRemoveRepositoryRefusesADirectoryWithoutARepository(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "precious"), []byte("x"), 0o644)
	if _, err := RemoveRepository(dir); err == nil || !strings.Contains(err.Error(), "holds no repository") {
		t.Fatalf("err %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "precious")); err != nil {
		t.Fatal("a file was deleted")
	}
}

func TestRemoveRepositoryRemovesTheDirectoryWhenEmpty(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "copy")
	os.MkdirAll(filepath.Join(dir, "indices"), 0o755)
	os.WriteFile(filepath.Join(dir, "index.latest"), []byte("x"), 0o644)
	if left, err := RemoveRepository(dir); err != nil || len(left) != 0 {
		t.Fatal(left, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Error("the emptied directory is still there")
	}
}
