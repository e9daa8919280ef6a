//go:build integration

package nfs

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The write test over NFSv3 against ganesha, as the notes observed the kernel server behave: the server's
// squashing and the directory's owner decide, not this host's view.
func TestIntegrationWriteOverNFS(t *testing.T) {
	e := loadNFSEnv(t)
	// directories on the server side (this host): one root-owned 0755, one owned by 1000
	mk := func(export, name string, uid int, mode os.FileMode) string {
		d := filepath.Join(export, name)
		if err := os.MkdirAll(d, mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(d, mode)
		if err := os.Chown(d, uid, uid); err != nil {
			t.Fatalf("the test must run as root on the NFS test server's host to prepare %s: %v", d, err)
		}
		t.Cleanup(func() { os.RemoveAll(d) })
		return name
	}
	rootOnly := mk(e.Export, "root-only", 0, 0o755)
	sqRootOnly := mk(e.SquashExport, "root-only", 0, 0o755)
	sqOwned := mk(e.SquashExport, "owned-by-1000", 1000, 0o755)

	check := func(export, dir string, uid int) Result {
		return CheckWriteOverNFS(context.Background(), WriteCheck{
			Server: ServerCheck{Host: e.Host, ExportPath: export, Timeout: 5 * time.Second}, Dir: dir, UID: uid, GID: uid})
	}
	cases := []struct {
		name        string
		export, dir string
		uid         int
		want        Status
		contains    []string
	}{
		{"rw no_root_squash, 0777 dir, uid 1000", e.Export, "", 1000, OK, []string{"CREATE, WRITE (FILE_SYNC), REMOVE"}},
		{"rw no_root_squash, root dir 0755, uid 1000", e.Export, rootOnly, 1000, Fail, []string{"NFS3ERR_ACCES", "chown 1000:1000", "all_squash,anonuid=1000"}},
		{"rw no_root_squash, root dir 0755, uid 0", e.Export, rootOnly, 0, OK, nil},
		{"all_squash to 1000, root dir 0755, uid 0", e.SquashExport, sqRootOnly, 0, Fail, []string{"NFS3ERR_ACCES"}},
		{"all_squash to 1000, dir of 1000, uid 4242", e.SquashExport, sqOwned, 4242, OK, nil},
		{"missing directory", e.Export, "no/such/dir", 1000, Fail, []string{"NFS3ERR_NOENT", "does not exist"}},
		{"export refused to this host", e.DeniedExport, "", 1000, Fail, []string{"MNT3ERR_ACCES", "allowed to mount"}},
		{"read-only export", e.ROExport, "", 0, Fail, []string{"NFS3ERR_ROFS", "read-only"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := check(c.export, c.dir, c.uid)
			wantStatus(t, []Result{r}, "nfs.server.write", c.want, c.contains...)
		})
	}
	// nothing left behind
	for _, d := range []string{e.Export, filepath.Join(e.Export, rootOnly), filepath.Join(e.SquashExport, sqOwned)} {
		ents, _ := os.ReadDir(d)
		for _, x := range ents {
			if !x.IsDir() {
				t.Errorf("left behind in %s: %s", d, x.Name())
			}
		}
	}
}
