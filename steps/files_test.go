package steps

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A file planted where esmigrate writes, as someone else on a shared host would plant it, and what must hold:
// the file it points at is unchanged.
func planted(t *testing.T) (dir, victim string, before []byte) {
	t.Helper()
	dir = t.TempDir()
	victim = filepath.Join(t.TempDir(), "victim")
	before = []byte("root:x:0:0:root:/root:/bin/bash\n")
	if err := os.WriteFile(victim, before, 0o644); err != nil {
		t.Fatal(err)
	}
	return
}

func unchanged(t *testing.T, victim string, before []byte) {
	t.Helper()
	after, err := os.ReadFile(victim)
	fi, _ := os.Stat(victim)
	if err != nil || string(after) != string(before) || fi.Mode().Perm() != 0o644 {
		t.Errorf("the file behind the link changed: %q (%v), mode %v", after, err, fi.Mode().Perm())
	}
}

func TestTheLockFileDoesNotFollowALink(t *testing.T) {
	dir, victim, before := planted(t)
	path := filepath.Join(dir, "state.json")
	if err := os.Symlink(victim, path+".lock"); err != nil {
		t.Fatal(err)
	}
	_, err := OpenStore(path)
	var oe *OutputError
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), "symbolic link (to "+victim+")") {
		t.Errorf("a linked lock file: %v", err)
	}
	unchanged(t, victim, before)

	// A hard link has no "link" to see: it is a second name of the victim, refused as such.
	os.Remove(path + ".lock")
	if err := os.Link(victim, path+".lock"); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStore(path); !errors.As(err, &oe) || !strings.Contains(err.Error(), "single name") {
		t.Errorf("a hard-linked lock file: %v", err)
	}
	unchanged(t, victim, before)
}

func TestStateAndItsPreviousVersionArePrivateAndNeverFollowLinks(t *testing.T) {
	dir, victim, before := planted(t)
	path := filepath.Join(dir, "state.json")
	// A state file copied back by hand (cp keeps 0644): its previous version must still be private.
	if err := os.WriteFile(path, []byte(`{"version":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Save(&State{Version: stateVersion}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + ".prev", path + ".lock"} {
		if fi, err := os.Lstat(p); err != nil || fi.Mode().Perm() != 0o600 || !fi.Mode().IsRegular() {
			t.Errorf("%s: %v %v", p, fi.Mode(), err)
		}
	}
	os.Remove(path + ".prev")
	if err := os.Symlink(victim, path+".prev"); err != nil {
		t.Fatal(err)
	}
	if err := CheckOutputs(Plan{StateFile: path, ReportDir: dir}); err == nil || !strings.Contains(err.Error(), "previous state file") {
		t.Errorf("a linked .prev passed the check: %v", err)
	}
	// Even past the check, saving replaces the link and leaves its target alone.
	if err := s.Save(&State{Version: stateVersion}); err != nil {
		t.Fatal(err)
	}
	unchanged(t, victim, before)
	os.Remove(path)
	os.Symlink(victim, path)
	if err := s.Save(&State{Version: stateVersion}); err == nil {
		t.Errorf("saved through a linked state file")
	}
	unchanged(t, victim, before)
}

func TestAReportDirectoryThatIsAFileIsRefusedUpFront(t *testing.T) {
	dir, victim, before := planted(t)
	reports := filepath.Join(dir, "reports")
	os.Symlink(victim, reports)
	err := CheckOutputs(Plan{StateFile: filepath.Join(dir, "state.json"), ReportDir: reports})
	if err == nil || !strings.Contains(err.Error(), "symbolic link to "+victim+", which is not a directory") {
		t.Errorf("report directory linked to a file: %v", err)
	}
	unchanged(t, victim, before)
}

func TestSaveNewNeverOverwritesOrFollowsAndNamesItself(t *testing.T) {
	dir, victim, before := planted(t)
	path := filepath.Join(dir, "plan.yaml")
	os.Symlink(victim, path)
	name, err := SaveNew(path, func(name string) []byte { return []byte("run " + name) })
	if err != nil || name != filepath.Join(dir, "plan-1.yaml") {
		t.Fatalf("saved as %s: %v", name, err)
	}
	b, _ := os.ReadFile(name)
	fi, _ := os.Stat(name)
	if string(b) != "run "+name || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: %q mode %v", name, b, fi.Mode().Perm())
	}
	unchanged(t, victim, before)
}
