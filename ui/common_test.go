package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSavingNeverOverwritesAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.yaml")
	os.WriteFile(path, []byte("mine"), 0o600)
	name, err := saveNew(path, func(string) []byte { return []byte("wizard's") })
	if err != nil || name != strings.TrimSuffix(path, ".yaml")+"-1.yaml" {
		t.Fatalf("saved to %s: %v", name, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "mine" {
		t.Error("the operator's file was overwritten")
	}
}
