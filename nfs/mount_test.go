package nfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFindMountFixtures(t *testing.T) {
	cases := []struct {
		fixture, path                      string
		mountPoint, fstype, server, export string
		nfs, bind                          bool
		version, lookupcache, root         string
		hard, soft, ro                     bool
	}{
		{fixture: "centos7-nfs3", path: "/mnt/es_backup/repo1", mountPoint: "/mnt/es_backup", fstype: "nfs",
			server: "10.0.0.5", export: "/srv/es_backup", nfs: true, version: "3", hard: true, root: "/"},
		{fixture: "centos7-nfs3", path: "/mnt/es_backupX", mountPoint: "/", fstype: "xfs", root: "/"},
		{fixture: "centos7-nfs3", path: "/mnt/es_backup", mountPoint: "/mnt/es_backup", fstype: "nfs",
			server: "10.0.0.5", export: "/srv/es_backup", nfs: true, version: "3", hard: true, root: "/"},
		{fixture: "debian-nfs4", path: "/mnt/es_backup/r", mountPoint: "/mnt/es_backup", fstype: "nfs4",
			server: "nfs1.example.com", export: "/exports/es", nfs: true, version: "4.1", lookupcache: "positive", hard: true, root: "/"},
		{fixture: "debian-nfs4", path: "/mnt/soft_share", mountPoint: "/mnt/soft_share", fstype: "nfs4",
			server: "fd00::5", export: "/exports/soft", nfs: true, version: "4.2", soft: true, root: "/"},
		{fixture: "debian-nfs4", path: "/mnt/ro_share/x", mountPoint: "/mnt/ro_share", fstype: "nfs4",
			server: "nfs1.example.com", export: "/exports/ro", nfs: true, version: "4.0", hard: true, ro: true, root: "/"},
		{fixture: "local-ext4-xfs", path: "/backup/es", mountPoint: "/backup", fstype: "ext4", root: "/"},
		{fixture: "local-ext4-xfs", path: "/var/lib/elasticsearch/repo", mountPoint: "/var/lib/elasticsearch", fstype: "xfs", root: "/"},
		{fixture: "bind", path: "/mnt/es_backup/r", mountPoint: "/mnt/es_backup", fstype: "ext4", bind: true, root: "/srv/backups/es"},
		{fixture: "bind", path: "/mnt/es_nfs_bind", mountPoint: "/mnt/es_nfs_bind", fstype: "nfs4", bind: true,
			root: "/es/cluster1", nfs: true, server: "nfs1", export: "/exports", version: "4.2", hard: true},
		{fixture: "bind", path: "/stacked/x", mountPoint: "/stacked", fstype: "nfs", nfs: true, server: "nfs2",
			export: "/stack", version: "3", hard: true, root: "/"},
		{fixture: "spaces", path: "/mnt/es backup/repo", mountPoint: "/mnt/es backup", fstype: "nfs4", nfs: true,
			server: "nfs1", export: "/srv/es backup", version: "4.1", hard: true, root: "/"},
		{fixture: "spaces", path: "/data/my disk\ttab/r", mountPoint: "/data/my disk\ttab", fstype: "ext4", root: "/"},
	}
	for _, c := range cases {
		t.Run(c.fixture+c.path, func(t *testing.T) {
			m, err := FindMount(c.path, filepath.Join("testdata/mountinfo", c.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if m.MountPoint != c.mountPoint || m.FSType != c.fstype || m.NFS != c.nfs || m.Bind != c.bind || m.Root != c.root {
				t.Fatalf("got %+v", m)
			}
			if m.Server != c.server || m.Export != c.export {
				t.Errorf("server/export %q %q, want %q %q", m.Server, m.Export, c.server, c.export)
			}
			if c.nfs && (m.Version != c.version || m.Lookupcache != c.lookupcache) {
				t.Errorf("version %q lookupcache %q, want %q %q", m.Version, m.Lookupcache, c.version, c.lookupcache)
			}
			if m.Has("hard") != c.hard || m.Has("soft") != c.soft || m.ReadOnly() != c.ro {
				t.Errorf("hard %v soft %v ro %v, want %v %v %v (options %v)", m.Has("hard"), m.Has("soft"), m.ReadOnly(), c.hard, c.soft, c.ro, m.Options)
			}
			if !strings.Contains(m.Describe(), c.mountPoint) {
				t.Errorf("Describe() = %q does not name the mount point", m.Describe())
			}
		})
	}
}

func TestFindMountErrors(t *testing.T) {
	if _, err := FindMount("/x", "testdata/mountinfo/does-not-exist"); err == nil || !strings.Contains(err.Error(), "does-not-exist") {
		t.Fatalf("missing file: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "mountinfo")
	os.WriteFile(bad, []byte("1 2 3\n"), 0o644)
	if _, err := FindMount("/x", bad); err == nil || !strings.Contains(err.Error(), "parsing") {
		t.Fatalf("bad file: %v", err)
	}
	empty := filepath.Join(t.TempDir(), "mountinfo")
	os.WriteFile(empty, nil, 0o644)
	if _, err := FindMount("/x", empty); err == nil || !strings.Contains(err.Error(), "no mount") {
		t.Fatalf("empty file: %v", err)
	}
}

func TestFindMountReal(t *testing.T) {
	m, err := FindMount(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	if m.MountPoint == "" || m.FSType == "" {
		t.Fatalf("real mount table gave %+v", m)
	}
}

func TestParseFstab(t *testing.T) {
	f, err := os.Open("testdata/fstab/debian")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	es, err := ParseFstab(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 3 {
		t.Fatalf("got %d entries: %+v", len(es), es)
	}
	if es[2].File != "/mnt/es backup" || es[2].Spec != "nfs1:/srv/es backup" || es[2].Line != 4 {
		t.Errorf("escaped entry: %+v", es[2])
	}
	if es[1].Options[0] != "noauto" {
		t.Errorf("options: %+v", es[1])
	}
}

func TestSplitNFSSource(t *testing.T) {
	for in, want := range map[string][2]string{
		"srv:/a":           {"srv", "/a"},
		"[fd00::1]:/a/b":   {"fd00::1", "/a/b"},
		"10.0.0.1:/":       {"10.0.0.1", "/"},
		"/dev/sda1":        {"", "/dev/sda1"},
		"srv.example:/x:y": {"srv.example", "/x:y"},
	} {
		s, e := splitNFSSource(in)
		if s != want[0] || e != want[1] {
			t.Errorf("%q: got %q %q", in, s, e)
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
