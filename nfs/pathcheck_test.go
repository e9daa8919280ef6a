package nfs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// fakeMountinfo writes a mount table with / on ext4 and dir mounted as fstype from source with opts.
func fakeMountinfo(t *testing.T, dir, fstype, source, opts string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "mountinfo")
	esc := strings.ReplaceAll(dir, " ", `\040`)
	content := "27 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro\n" +
		fmt.Sprintf("90 27 0:50 / %s rw,relatime shared:50 - %s %s %s\n", esc, fstype, source, opts)
	if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// noLocalUser makes the "elasticsearch" lookup fail (or return uid/gid) for one test.
func withLocalUser(t *testing.T, uid, gid int) {
	t.Helper()
	old := lookupUser
	t.Cleanup(func() { lookupUser = old })
	lookupUser = func(string) (int, int, error) {
		if uid < 0 {
			return -1, -1, errors.New("user: unknown user elasticsearch")
		}
		return uid, gid, nil
	}
}

const nfs4opts = "rw,vers=4.1,rsize=1048576,wsize=1048576,namlen=255,hard,proto=tcp,timeo=600,retrans=2,sec=sys,clientaddr=10.0.0.21,local_lock=none,addr=10.0.0.5"

func TestCheckRepositoryPathNFS(t *testing.T) {
	dir := t.TempDir()
	me, mg := os.Geteuid(), os.Getegid()
	withLocalUser(t, me, mg)
	mi := fakeMountinfo(t, dir, "nfs4", "nfs1:/exports/es", nfs4opts)
	noFstab := writeFile(t, filepath.Join(t.TempDir(), "fstab"), "UUID=x / ext4 defaults 0 1\n")
	c := PathCheck{Path: dir, ESUID: -1, ESGID: -1, ClusterNodes: 3, BytesNeeded: 1000, MountinfoFile: mi, FstabFile: noFstab}
	rs := CheckRepositoryPath(context.Background(), c)
	wantStatus(t, rs, "repo.esuser", OK, fmt.Sprintf("%d:%d", me, mg))
	wantStatus(t, rs, "repo.path", OK, "is a directory")
	wantStatus(t, rs, "repo.owner", OK, fmt.Sprintf("owned by %d:%d", me, mg))
	wantStatus(t, rs, "repo.fs", OK, "NFSv4.1", "server nfs1", "export /exports/es")
	wantStatus(t, rs, "repo.nfs-options", OK, "vers=4.1", "hard", "lookupcache=all")
	wantStatus(t, rs, "repo.writable", OK, "created, wrote, fsynced and removed")
	wantStatus(t, rs, "repo.space", OK, "free of", "inodes free")
	wantStatus(t, rs, "repo.fstab", Warn, "nfs1:/exports/es "+dir+" nfs vers=4.1,hard,_netdev 0 0")

	c.FstabFile = writeFile(t, filepath.Join(t.TempDir(), "fstab"), "nfs1:/exports/es "+dir+" nfs4 vers=4.1,hard 0 0\n")
	wantStatus(t, CheckRepositoryPath(context.Background(), c), "repo.fstab", OK, ":1 mounts")
	c.FstabFile = writeFile(t, filepath.Join(t.TempDir(), "fstab"), "nfs1:/exports/es "+dir+" nfs4 noauto,vers=4.1 0 0\n")
	wantStatus(t, CheckRepositoryPath(context.Background(), c), "repo.fstab", Warn, "noauto")
	c.FstabFile = writeFile(t, filepath.Join(t.TempDir(), "fstab"), "nfs9:/other "+dir+" nfs4 vers=4.1 0 0\n")
	wantStatus(t, CheckRepositoryPath(context.Background(), c), "repo.fstab", Warn, "nfs9:/other")
}

func TestCheckRepositoryPathNFSOptions(t *testing.T) {
	dir := t.TempDir()
	withLocalUser(t, os.Geteuid(), os.Getegid())
	soft := strings.Replace(nfs4opts, "hard", "soft", 1)
	rs := CheckRepositoryPath(context.Background(), PathCheck{Path: dir, ESUID: -1, ESGID: -1, MountinfoFile: fakeMountinfo(t, dir, "nfs", "nfs1:/e", soft+",lookupcache=none")})
	wantStatus(t, rs, "repo.nfs-options", Warn, "soft", "lookupcache=none", "mount with hard")
	ro := strings.Replace(nfs4opts, "rw,", "ro,", 1)
	rs = CheckRepositoryPath(context.Background(), PathCheck{Path: dir, ESUID: -1, ESGID: -1, MountinfoFile: fakeMountinfo(t, dir, "nfs", "nfs1:/e", ro)})
	wantStatus(t, rs, "repo.nfs-options", Fail, "read-only")
	wantStatus(t, rs, "repo.writable", Fail, "read-only")
	v3 := strings.Replace(nfs4opts, "vers=4.1", "vers=3", 1)
	rs = CheckRepositoryPath(context.Background(), PathCheck{Path: dir, ESUID: -1, ESGID: -1, MountinfoFile: fakeMountinfo(t, dir, "nfs", "nfs1:/e", v3)})
	wantStatus(t, rs, "repo.nfs-options", OK, "vers=3", "rpcbind")
	krb := strings.Replace(nfs4opts, "sec=sys", "sec=krb5p", 1)
	rs = CheckRepositoryPath(context.Background(), PathCheck{Path: dir, ESUID: -1, ESGID: -1, MountinfoFile: fakeMountinfo(t, dir, "nfs4", "nfs1:/e", krb)})
	wantStatus(t, rs, "repo.nfs-options", Warn, "Kerberos")
}

func TestCheckRepositoryPathLocalDisk(t *testing.T) {
	dir := t.TempDir()
	withLocalUser(t, os.Geteuid(), os.Getegid())
	mi := fakeMountinfo(t, dir, "xfs", "/dev/sdb1", "rw,noatime,attr2")
	for nodes, want := range map[int]Status{1: OK, 3: Fail, 0: Warn} {
		rs := CheckRepositoryPath(context.Background(), PathCheck{Path: dir, ESUID: -1, ESGID: -1, ClusterNodes: nodes, MountinfoFile: mi})
		r := wantStatus(t, rs, "repo.fs", want, "xfs filesystem /dev/sdb1")
		if _, ok := statusOf(rs, "repo.nfs-options"); ok {
			t.Errorf("NFS options reported for a local disk")
		}
		if nodes == 3 && !strings.Contains(r.Fix, "3 nodes") {
			t.Errorf("fix does not say why: %s", r)
		}
	}
	rs := CheckRepositoryPath(context.Background(), PathCheck{Path: dir, ESUID: -1, ESGID: -1, ClusterNodes: 2, MountinfoFile: fakeMountinfo(t, dir, "cifs", "//srv/share", "rw")})
	wantStatus(t, rs, "repo.fs", Warn, "cifs")
	// the real mount table of this machine: the temp dir is on some local filesystem
	rs = CheckRepositoryPath(context.Background(), PathCheck{Path: dir, ESUID: -1, ESGID: -1, ClusterNodes: 1})
	wantStatus(t, rs, "repo.fs", OK, "one-node")
	wantStatus(t, rs, "repo.fstab", OK)
}

func TestCheckRepositoryPathMissing(t *testing.T) {
	withLocalUser(t, 1000, 1000)
	dir := filepath.Join(t.TempDir(), "not", "there")
	rs := CheckRepositoryPath(context.Background(), PathCheck{Path: dir, ESUID: -1, ESGID: -1, ClusterNodes: 1})
	wantStatus(t, rs, "repo.path", Fail, "does not exist", "mkdir -p "+dir, "chown 1000:1000")
	for _, id := range []string{"repo.owner", "repo.writable"} {
		if _, ok := statusOf(rs, id); ok {
			t.Errorf("%s reported for a missing path", id)
		}
	}
	wantStatus(t, rs, "repo.space", OK) // statfs of the nearest existing parent
	file := writeFile(t, filepath.Join(t.TempDir(), "f"), "x")
	rs = CheckRepositoryPath(context.Background(), PathCheck{Path: file, ESUID: -1, ESGID: -1, ClusterNodes: 1})
	wantStatus(t, rs, "repo.path", Fail, "not a directory")
}

func TestCheckRepositoryPathSpace(t *testing.T) {
	dir := t.TempDir()
	withLocalUser(t, os.Geteuid(), os.Getegid())
	rs := CheckRepositoryPath(context.Background(), PathCheck{Path: dir, ESUID: -1, ESGID: -1, ClusterNodes: 1, BytesNeeded: 1 << 60})
	r := wantStatus(t, rs, "repo.space", Fail, "the batch needs 1.2 EB")
	if !strings.Contains(r.Fix, "free space") {
		t.Errorf("fix: %s", r)
	}
	rs = CheckRepositoryPath(context.Background(), PathCheck{Path: dir, ESUID: -1, ESGID: -1, ClusterNodes: 1})
	wantStatus(t, rs, "repo.space", OK, "not known yet")
}

func TestCheckRepositoryPathUsers(t *testing.T) {
	dir := t.TempDir()
	me, mg := os.Geteuid(), os.Getegid()
	writeFile(t, filepath.Join(dir, "index-0"), "{}")

	withLocalUser(t, -1, -1)
	rs := CheckRepositoryPath(context.Background(), PathCheck{Path: dir, ESUID: -1, ESGID: -1, ClusterNodes: 1})
	wantStatus(t, rs, "repo.esuser", Warn, "no local elasticsearch user")
	wantStatus(t, rs, "repo.owner", Warn, fmt.Sprintf("%d:%d", me, mg))
	wantStatus(t, rs, "repo.writable", Warn, "unknown")

	withLocalUser(t, 4242, 4242)
	rs = CheckRepositoryPath(context.Background(), PathCheck{Path: dir, ESUID: me, ESGID: mg, ClusterNodes: 1})
	wantStatus(t, rs, "repo.esuser", Warn, "local elasticsearch user here is 4242:4242", fmt.Sprintf("usermod -u %d", me))
	wantStatus(t, rs, "repo.owner", OK, "2 entries")

	// the repository's owner differs from Elasticsearch's uid
	rs = CheckRepositoryPath(context.Background(), PathCheck{Path: dir, ESUID: 4242, ESGID: 4242, ClusterNodes: 1})
	wantStatus(t, rs, "repo.owner", Warn, fmt.Sprintf("owners %d:%d differ", me, mg), "chown -R 4242:4242")
}

// As root, the write test switches the filesystem uid: a root-owned 0755 directory is not writable for
// uid 4242 although root could write it. Not as root, only the permission bits can be read.
func TestCheckRepositoryPathWritableAsESUID(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755) // t.TempDir's parent is 0700: uid 4242 could not even reach dir
	withLocalUser(t, 4242, 4242)
	rs := CheckRepositoryPath(context.Background(), PathCheck{Path: dir, ESUID: 4242, ESGID: 4242, ClusterNodes: 1})
	if os.Geteuid() == 0 {
		wantStatus(t, rs, "repo.writable", Fail, "filesystem uid switched from root", "permission denied", "chown 4242:4242")
		os.Chmod(dir, 0o777)
		rs = CheckRepositoryPath(context.Background(), PathCheck{Path: dir, ESUID: 4242, ESGID: 4242, ClusterNodes: 1})
		wantStatus(t, rs, "repo.writable", OK, "filesystem uid switched from root")
		// the probe must not leave anything behind
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("write test left %v", ents)
		}
		// and the process itself is still root
		if os.Geteuid() != 0 {
			t.Fatal("the write test changed the process's uid")
		}
		f := filepath.Join(dir, "after")
		writeFile(t, f, "x")
		var st = mustStat(t, f)
		if st != 0 {
			t.Errorf("a file written after the probe is owned by %d, not root: the borrowed identity leaked", st)
		}
	} else {
		wantStatus(t, rs, "repo.writable", Fail, "cannot act as", "permission bits")
		os.Chmod(dir, 0o777)
		rs = CheckRepositoryPath(context.Background(), PathCheck{Path: dir, ESUID: 4242, ESGID: 4242, ClusterNodes: 1})
		wantStatus(t, rs, "repo.writable", Warn, "allow writing, not tried")
	}
}

func mustStat(t *testing.T, name string) int {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return int(fi.Sys().(*syscall.Stat_t).Uid)
}

// The distribution fixtures together: a path that does not exist on this machine still gets its mount and
// fstab checked from the files.
func TestCheckRepositoryPathDistroFixtures(t *testing.T) {
	withLocalUser(t, 996, 994)
	rs := CheckRepositoryPath(context.Background(), PathCheck{Path: "/mnt/es_backup/repo", ESUID: -1, ESGID: -1, ClusterNodes: 3,
		MountinfoFile: "testdata/mountinfo/centos7-nfs3", FstabFile: "testdata/fstab/centos7"})
	wantStatus(t, rs, "repo.path", Fail, "does not exist", "chown 996:994")
	wantStatus(t, rs, "repo.fs", OK, "NFSv3", "10.0.0.5:/srv/es_backup")
	wantStatus(t, rs, "repo.nfs-options", OK, "vers=3", "hard", "proto=tcp")
	wantStatus(t, rs, "repo.fstab", OK, "testdata/fstab/centos7:8 mounts 10.0.0.5:/srv/es_backup on /mnt/es_backup")

	rs = CheckRepositoryPath(context.Background(), PathCheck{Path: "/mnt/es_backup", ESUID: -1, ESGID: -1, ClusterNodes: 3,
		MountinfoFile: "testdata/mountinfo/debian-nfs4", FstabFile: "testdata/fstab/debian"})
	wantStatus(t, rs, "repo.nfs-options", OK, "lookupcache=positive", "vers=4.1")
	wantStatus(t, rs, "repo.fstab", Warn, "noauto")
	rs = CheckRepositoryPath(context.Background(), PathCheck{Path: "/mnt/es backup/r", ESUID: -1, ESGID: -1, ClusterNodes: 3,
		MountinfoFile: "testdata/mountinfo/spaces", FstabFile: "testdata/fstab/debian"})
	wantStatus(t, rs, "repo.fstab", OK, ":4 mounts nfs1:/srv/es backup on /mnt/es backup")
	rs = CheckRepositoryPath(context.Background(), PathCheck{Path: "/mnt/soft_share", ESUID: -1, ESGID: -1, ClusterNodes: 3,
		MountinfoFile: "testdata/mountinfo/debian-nfs4", FstabFile: "testdata/fstab/debian"})
	wantStatus(t, rs, "repo.nfs-options", Warn, "soft")
	wantStatus(t, rs, "repo.fstab", Warn, "[fd00::5]:/exports/soft /mnt/soft_share nfs vers=4.2,hard,_netdev 0 0")
	rs = CheckRepositoryPath(context.Background(), PathCheck{Path: "/mnt/es_backup/r", ESUID: -1, ESGID: -1, ClusterNodes: 3,
		MountinfoFile: "testdata/mountinfo/bind", FstabFile: "testdata/fstab/debian"})
	wantStatus(t, rs, "repo.fs", Fail, "bind mount of /srv/backups/es", "3 nodes")
	wantStatus(t, rs, "repo.fstab", Warn, "noauto")
	rs = CheckRepositoryPath(context.Background(), PathCheck{Path: "/mnt/es_backup/r", ESUID: -1, ESGID: -1, ClusterNodes: 1,
		MountinfoFile: "testdata/mountinfo/bind", FstabFile: "testdata/fstab/centos7"})
	wantStatus(t, rs, "repo.fs", OK, "one-node")
	wantStatus(t, rs, "repo.fstab", Warn, "10.0.0.5:/srv/es_backup (nfs)", "but now ext4 filesystem")
	noLine := writeFile(t, filepath.Join(t.TempDir(), "fstab"), "UUID=x / ext4 defaults 0 1\n")
	rs = CheckRepositoryPath(context.Background(), PathCheck{Path: "/mnt/es_backup/r", ESUID: -1, ESGID: -1, ClusterNodes: 1,
		MountinfoFile: "testdata/mountinfo/bind", FstabFile: noLine})
	wantStatus(t, rs, "repo.fstab", Warn, "/srv/backups/es /mnt/es_backup none bind 0 0")
}
