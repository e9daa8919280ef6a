package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The unit esmigrate serve prints runs the same command with absolute paths, as the user who printed it, in
// the state file's directory, and never with a password (those go into the EnvironmentFile).
func TestServePrintsItsSystemdUnit(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.WriteFile("operators", nil, 0o600)
	var out, errOut bytes.Buffer
	code := execute([]string{"serve", "--print-systemd-unit", "--operators", "operators", "--state", "state/esm.json",
		"--source", "http://10.0.0.1:9200", "--indices", "logs-*,metrics", "--source-password", "hunter2"}, nil, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	unit := out.String()
	exe, _ := os.Executable()
	exe, _ = filepath.EvalSymlinks(exe)
	for _, want := range []string{"[Unit]", "[Service]", "[Install]", "Restart=on-failure", "EnvironmentFile=-/etc/esmigrate/env",
		"WorkingDirectory=" + filepath.Join(dir, "state"),
		"ExecStart=" + exe + " serve",
		"--operators=" + filepath.Join(dir, "operators"),
		"--state=" + filepath.Join(dir, "state", "esm.json"),
		"--source=http://10.0.0.1:9200", "--indices=logs-* --indices=metrics", "--listen=127.0.0.1:2323"} {
		if !strings.Contains(unit, want) {
			t.Errorf("the unit lacks %q:\n%s", want, unit)
		}
	}
	if strings.Contains(unit, "hunter2") || strings.Contains(unit, "print-systemd-unit") {
		t.Errorf("the unit holds a password or the printing flag:\n%s", unit)
	}
	if !strings.Contains(errOut.String(), "--source-password left out of the unit") {
		t.Errorf("the left-out password was not said: %q", errOut.String())
	}
	// systemd's own parser, where this machine has it, reads the unit without a word.
	if analyze, err := exec.LookPath("systemd-analyze"); err == nil {
		path := filepath.Join(dir, "esmigrate.service")
		os.WriteFile(path, out.Bytes(), 0o600)
		if msg, err := exec.Command(analyze, "verify", path).CombinedOutput(); err != nil || len(msg) > 0 {
			t.Errorf("systemd-analyze verify: %v\n%s", err, msg)
		}
	}
}

func TestServeRefusesToStartWithoutKeys(t *testing.T) {
	t.Chdir(t.TempDir())
	var out, errOut bytes.Buffer
	if code := execute([]string{"serve", "--listen", "127.0.0.1:0"}, nil, &out, &errOut); code != exitUsage {
		t.Fatalf("exit %d, want %d: %s", code, exitUsage, errOut.String())
	}
	if !strings.Contains(errOut.String(), "give --operators FILE") {
		t.Errorf("message: %s", errOut.String())
	}
}
