//go:build linux

package nfs

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addFixtures seeds a fuzzer with the files of testdata/<dir>.
func addFixtures(f *testing.F, dir string) {
	files, _ := filepath.Glob(filepath.Join("testdata", dir, "*"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
}

// FuzzParseExports: any /etc/exports text gives exports or a syntax error with a line number, never a panic.
func FuzzParseExports(f *testing.F) {
	addFixtures(f, "exports")
	f.Add([]byte("/srv/es 10.0.0.0/24(rw,sync,all_squash,anonuid=1000,anongid=1000) *(ro)\n"))
	f.Add([]byte("\"/srv/with space\" host(rw\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		exports, err := ParseExports(bytes.NewReader(b), "exports")
		if err != nil {
			if se, ok := err.(*SyntaxError); ok && (se.Line < 1 || !strings.HasPrefix(se.Error(), "exports:")) {
				t.Fatalf("syntax error without a line: %v", err)
			}
			return
		}
		for _, e := range exports {
			if e.Line < 1 {
				t.Fatalf("export without a line: %+v", e)
			}
		}
	})
}

// FuzzFindMount: any mount table gives a mount or an error, never a panic.
func FuzzFindMount(f *testing.F) {
	addFixtures(f, "mountinfo")
	f.Add([]byte("36 35 0:40 / /mnt/es\\040backup rw,relatime shared:1 - nfs4 10.0.0.1:/export/es rw,vers=4.1,hard\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := findMount("/mnt/es backup/repo", bytes.NewReader(b), "mountinfo")
		if err == nil && m.MountPoint == "" {
			t.Fatalf("a mount without a mount point: %+v", m)
		}
	})
}

// FuzzParseFstab: any fstab text parses or fails, never panics.
func FuzzParseFstab(f *testing.F) {
	addFixtures(f, "fstab")
	f.Add([]byte("10.0.0.1:/export/es /mnt/es\\040backup nfs4 rw,hard,_netdev 0 0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseFstab(bytes.NewReader(b))
	})
}
