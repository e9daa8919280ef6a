//go:build linux

package nfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const nfsSuperMagic = 0x6969 // statfs f_type of an NFS mount (linux/magic.h)

// CheckRepositoryPath checks the repository path on this host: that it exists and is a directory, who owns it
// and its files, that the Elasticsearch uid can write there, which filesystem holds it (NFS or a local disk),
// the NFS mount options, free space and inodes, and whether /etc/fstab mounts it at boot.
func CheckRepositoryPath(ctx context.Context, c PathCheck) []Result {
	var out []Result
	path := filepath.Clean(c.Path)
	uid, gid, who := resolveESUser(c, &out)

	// 1. exists, is a directory
	var st unix.Stat_t
	err := withTimeout(ctx, c.Timeout, func() error { return unix.Stat(path, &st) })
	exists := err == nil
	switch {
	case errors.Is(err, errTimeout):
		out = append(out, Result{ID: "repo.path", Title: "Repository path exists", Status: Fail,
			Evidence: fmt.Sprintf("stat %s: %v", path, err),
			Fix:      "the filesystem does not answer: check that the NFS server is up and reachable (see the server checks), then try again"})
	case errors.Is(err, unix.ENOENT):
		out = append(out, Result{ID: "repo.path", Title: "Repository path exists", Status: Fail,
			Evidence: fmt.Sprintf("%s does not exist", path),
			Fix:      fmt.Sprintf("create it on the share: mkdir -p %s && chown %s %s (mount the share first if it should be there)", shq(path), ownerArg(uid, gid), shq(path))})
	case err != nil:
		out = append(out, Result{ID: "repo.path", Title: "Repository path exists", Status: Fail,
			Evidence: fmt.Sprintf("stat %s: %v", path, err), Fix: "check the path and its parents' permissions"})
	case st.Mode&unix.S_IFMT != unix.S_IFDIR:
		exists = false
		out = append(out, Result{ID: "repo.path", Title: "Repository path exists", Status: Fail,
			Evidence: fmt.Sprintf("%s exists but is not a directory (%s)", path, fs.FileMode(st.Mode&0o777)|modeType(st.Mode)),
			Fix:      fmt.Sprintf("point the repository at a directory, or move %s away and create the directory", path)})
	default:
		out = append(out, Result{ID: "repo.path", Title: "Repository path exists", Status: OK,
			Evidence: fmt.Sprintf("%s is a directory, owner %d:%d, mode %s", path, st.Uid, st.Gid, fs.FileMode(st.Mode&0o7777)|fs.ModeDir)})
	}

	// 2. owners of the directory and its files
	if exists {
		out = append(out, checkOwners(ctx, c, path, st, uid, gid, who))
	}

	// 3. filesystem: NFS or local
	m, merr := FindMount(path, c.MountinfoFile)
	if merr != nil {
		out = append(out, Result{ID: "repo.fs", Title: "Filesystem of the repository", Status: Warn,
			Evidence: merr.Error(), Fix: "run esmigrate on a Linux host where /proc is mounted, or check the path"})
	} else {
		out = append(out, checkFilesystem(ctx, c, path, m))
		if m.NFS {
			out = append(out, checkNFSOptions(m))
		}
	}

	// 4. the Elasticsearch uid can write
	if exists {
		ro := merr == nil && m.ReadOnly()
		out = append(out, checkWritable(ctx, c, path, st, uid, gid, who, ro))
	}

	// 5. space and inodes
	out = append(out, checkSpace(ctx, c, path))

	// 6. fstab
	if merr == nil {
		out = append(out, checkFstab(c, m))
	}
	return out
}

// resolveESUser decides which uid/gid Elasticsearch runs as, and compares with the local "elasticsearch" user:
// packages create that user with `useradd --system`, so its number differs from host to host, and NFS
// compares numbers, not names.
func resolveESUser(c PathCheck, out *[]Result) (uid, gid int, who string) {
	luid, lgid, lerr := lookupUser("elasticsearch")
	uid, gid = c.ESUID, c.ESGID
	switch {
	case uid < 0 && lerr == nil:
		uid, gid = luid, lgid
		who = fmt.Sprintf("the local elasticsearch user (%d:%d)", uid, gid)
	case uid < 0:
		*out = append(*out, Result{ID: "repo.esuser", Title: "Elasticsearch uid", Status: Warn,
			Evidence: "no uid given and this host has no local elasticsearch user",
			Fix:      "give the uid/gid Elasticsearch runs as on the cluster nodes (id elasticsearch on a node); until then only this process's own access is tested"})
		return -1, -1, ""
	default:
		if gid < 0 {
			gid = uid
		}
		who = fmt.Sprintf("Elasticsearch uid %d:%d", uid, gid)
		if lerr == nil && (luid != uid || lgid != gid) {
			*out = append(*out, Result{ID: "repo.esuser", Title: "Elasticsearch uid", Status: Warn,
				Evidence: fmt.Sprintf("Elasticsearch runs as %d:%d on the cluster, but the local elasticsearch user here is %d:%d", uid, gid, luid, lgid),
				Fix: fmt.Sprintf("NFS compares numbers: give elasticsearch the same uid/gid on every host (usermod -u %d elasticsearch && groupmod -g %d elasticsearch while it is stopped, then chown its files), or export with all_squash,anonuid=%d,anongid=%d",
					uid, gid, uid, gid)})
			return uid, gid, who
		}
	}
	*out = append(*out, Result{ID: "repo.esuser", Title: "Elasticsearch uid", Status: OK, Evidence: "checking as " + who})
	return uid, gid, who
}

func ownerArg(uid, gid int) string {
	if uid < 0 {
		return "elasticsearch:elasticsearch"
	}
	return fmt.Sprintf("%d:%d", uid, gid)
}

func modeType(m uint32) fs.FileMode {
	switch m & unix.S_IFMT {
	case unix.S_IFLNK:
		return fs.ModeSymlink
	case unix.S_IFSOCK:
		return fs.ModeSocket
	case unix.S_IFIFO:
		return fs.ModeNamedPipe
	case unix.S_IFCHR:
		return fs.ModeCharDevice | fs.ModeDevice
	case unix.S_IFBLK:
		return fs.ModeDevice
	}
	return 0
}

// ownerScanLimit bounds the walk: a repository can hold millions of blobs, and a sample tells whether owners
// are mixed just as well.
const ownerScanLimit = 5000

func checkOwners(ctx context.Context, c PathCheck, path string, st unix.Stat_t, uid, gid int, who string) Result {
	type owner struct{ uid, gid uint32 }
	counts := map[owner]int{}
	example := map[owner]string{}
	n := 0
	err := withTimeout(ctx, c.Timeout*3, func() error {
		return filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // unreadable parts are the writable check's business
			}
			if n >= ownerScanLimit {
				return filepath.SkipAll
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			if s, ok := info.Sys().(*syscall.Stat_t); ok {
				o := owner{s.Uid, s.Gid}
				counts[o]++
				if _, ok := example[o]; !ok {
					rel, _ := filepath.Rel(path, p)
					example[o] = rel
				}
			}
			n++
			return nil
		})
	})
	r := Result{ID: "repo.owner", Title: "Owner of the repository and its files"}
	if err != nil {
		r.Status = Warn
		r.Evidence = fmt.Sprintf("directory %s owned by %d:%d; listing its files failed: %v", path, st.Uid, st.Gid, err)
		r.Fix = "check that the share answers and that this user can read it"
		return r
	}
	owners := make([]owner, 0, len(counts))
	for o := range counts {
		owners = append(owners, o)
	}
	sort.Slice(owners, func(i, j int) bool { return counts[owners[i]] > counts[owners[j]] })
	var parts []string
	for _, o := range owners {
		parts = append(parts, fmt.Sprintf("%d owned by %d:%d (e.g. %s)", counts[o], o.uid, o.gid, example[o]))
	}
	sampled := ""
	if n >= ownerScanLimit {
		sampled = fmt.Sprintf(" (first %d entries)", ownerScanLimit)
	}
	r.Evidence = fmt.Sprintf("directory %s owned by %d:%d mode %s; %d entries%s: %s", path, st.Uid, st.Gid,
		fs.FileMode(st.Mode&0o7777)|fs.ModeDir, n, sampled, strings.Join(parts, ", "))
	if uid < 0 {
		r.Status = Warn
		r.Fix = "tell esmigrate the uid Elasticsearch runs as so the owners can be compared"
		return r
	}
	var wrong []string
	nobody := false
	for _, o := range owners {
		if int(o.uid) != uid || int(o.gid) != gid {
			wrong = append(wrong, fmt.Sprintf("%d:%d", o.uid, o.gid))
			if o.uid == 65534 {
				nobody = true
			}
		}
	}
	if len(wrong) == 0 {
		r.Status = OK
		return r
	}
	r.Status = Warn
	r.Fix = fmt.Sprintf("owners %s differ from %s: Elasticsearch on another node may not delete or overwrite them; chown -R %d:%d %s on the NFS server (or on a client with no_root_squash), and give elasticsearch the same uid/gid on every node",
		strings.Join(wrong, ", "), who, uid, gid, shq(path))
	if nobody {
		r.Fix += "; owner 65534 (nobody) on NFSv4 usually means the idmapd Domain differs between client and server (/etc/idmapd.conf), or root squashing mapped root's files"
	}
	return r
}

func checkFilesystem(ctx context.Context, c PathCheck, path string, m Mount) Result {
	r := Result{ID: "repo.fs", Title: "Filesystem of the repository", Evidence: m.Describe()}
	// Confirm the mount table with statfs on the real system: a dead hard mount shows here as a time-out.
	if c.MountinfoFile == "" {
		var sfs unix.Statfs_t
		err := withTimeout(ctx, c.Timeout, func() error { return unix.Statfs(existingParent(path), &sfs) })
		if err != nil {
			r.Status = Fail
			r.Evidence += fmt.Sprintf("; statfs: %v", err)
			r.Fix = fmt.Sprintf("the filesystem at %s does not answer: check the NFS server %s and the network, then retry", m.MountPoint, m.Server)
			return r
		}
		if m.NFS && sfs.Type != nfsSuperMagic {
			r.Status = Warn
			r.Evidence += fmt.Sprintf("; but statfs reports filesystem type %#x, not NFS (%#x)", sfs.Type, nfsSuperMagic)
			r.Fix = "the mount table and the kernel disagree: check `findmnt " + path + "`"
			return r
		}
	}
	switch {
	case m.NFS:
		r.Status = OK
	case isSharedFS(m.FSType):
		r.Status = Warn
		r.Fix = fmt.Sprintf("%s is a shared filesystem, but esmigrate checks NFS only: make sure every node of the cluster mounts the same share at %s", m.FSType, path)
	case c.ClusterNodes == 1:
		r.Status = OK
		r.Evidence += "; a local disk is right for a one-node cluster"
	case c.ClusterNodes > 1:
		r.Status = Fail
		r.Fix = fmt.Sprintf("the cluster has %d nodes and %s is a local disk: each node would write its own copy and the repository breaks (Elasticsearch says 'a file written by master to the store cannot be accessed on the node'); mount one NFS share at %s on every node (see the setup commands)", c.ClusterNodes, path, path)
	default:
		r.Status = Warn
		r.Fix = fmt.Sprintf("%s is a local disk: right only when the whole cluster is one node; otherwise mount one NFS share at %s on every node", path, path)
	}
	return r
}

func isSharedFS(t string) bool {
	switch t {
	case "cifs", "smb3", "glusterfs", "fuse.glusterfs", "ceph", "fuse.ceph", "cephfs", "lustre", "gpfs", "9p",
		"fuse.sshfs", "beegfs", "ocfs2", "gfs2", "fuse.s3fs", "virtiofs":
		return true
	}
	return false
}

func checkNFSOptions(m Mount) Result {
	r := Result{ID: "repo.nfs-options", Title: "NFS mount options", Status: OK}
	var ev []string
	ev = append(ev, "vers="+m.Version)
	if m.Has("soft") {
		ev = append(ev, "soft")
	} else {
		ev = append(ev, "hard")
	}
	lc := m.Lookupcache
	if lc == "" {
		lc = "all (default)"
	}
	ev = append(ev, "lookupcache="+lc)
	for _, k := range []string{"proto", "sec", "timeo", "retrans", "actimeo", "noac", "nolock", "local_lock", "ro", "addr", "clientaddr"} {
		if v, ok := m.Option(k); ok {
			if v == "" {
				ev = append(ev, k)
			} else {
				ev = append(ev, k+"="+v)
			}
		}
	}
	r.Evidence = fmt.Sprintf("%s:%s on %s: %s", m.Server, m.Export, m.MountPoint, strings.Join(ev, " "))
	var fixes []string
	if m.ReadOnly() {
		r.Status = Fail
		fixes = append(fixes, fmt.Sprintf("the share is mounted read-only: remount it read-write (mount -o remount,rw %s) and check the export allows rw", shq(m.MountPoint)))
	}
	if m.Has("soft") {
		if r.Status != Fail {
			r.Status = Warn
		}
		fixes = append(fixes, fmt.Sprintf("a soft mount returns I/O errors when the server is slow and can leave half-written snapshot files: mount with hard (change soft to hard in /etc/fstab for %s and remount)", m.MountPoint))
	}
	if sec, ok := m.Option("sec"); ok && strings.HasPrefix(sec, "krb5") {
		if r.Status != Fail {
			r.Status = Warn
		}
		fixes = append(fixes, "with sec="+sec+" access depends on Kerberos principals, not uids: the Elasticsearch service needs a ticket/keytab on every node")
	}
	if strings.HasPrefix(m.Version, "3") {
		ev = append(ev, "NFSv3 also needs rpcbind, mountd and lockd reachable")
		r.Evidence = fmt.Sprintf("%s:%s on %s: %s", m.Server, m.Export, m.MountPoint, strings.Join(ev, " "))
	}
	r.Fix = strings.Join(fixes, "; ")
	return r
}

// checkWritable tries to write as the Elasticsearch uid. access(W_OK) as root lies on NFS (the server squashes
// root, not the check), so when esmigrate runs as root it creates a file with its filesystem uid switched to the
// Elasticsearch uid: the NFS client then sends that uid, exactly as Elasticsearch would.
func checkWritable(ctx context.Context, c PathCheck, path string, st unix.Stat_t, uid, gid int, who string, ro bool) Result {
	r := Result{ID: "repo.writable", Title: "Elasticsearch can write the repository"}
	if ro {
		r.Status = Fail
		r.Evidence = path + " is on a read-only mount"
		r.Fix = "remount the share read-write and check the export allows rw"
		return r
	}
	euid := os.Geteuid()
	var how string
	var try func() error
	switch {
	case uid < 0:
		how = fmt.Sprintf("as this process (uid %d), since the Elasticsearch uid is unknown", euid)
		try = func() error { return writeProbe(path) }
	case uid == euid:
		how = "as " + who + " (this process)"
		try = func() error { return writeProbe(path) }
	case euid == 0:
		how = "as " + who + " (filesystem uid switched from root)"
		try = func() error { return writeProbeAs(path, uid, gid) }
	}
	if try == nil {
		// Not root and not the Elasticsearch user: all we can do is read the permission bits.
		ok := modeAllows(st, uid, gid)
		r.Evidence = fmt.Sprintf("esmigrate runs as uid %d and cannot act as %s; directory %s is %d:%d %s", euid, who, path, st.Uid, st.Gid, fs.FileMode(st.Mode&0o7777)|fs.ModeDir)
		if ok {
			r.Status = Warn
			r.Evidence += ": the permission bits allow writing, not tried"
			r.Fix = "run esmigrate as root (or as the elasticsearch user) so it can try a real write; ACLs and NFS squashing are not visible in the bits"
		} else {
			r.Status = Fail
			r.Fix = fmt.Sprintf("the permission bits do not let %s write: chown %d:%d %s on the share (or on the NFS server)", who, uid, gid, shq(path))
		}
		return r
	}
	err := withTimeout(ctx, c.Timeout, try)
	if err == nil {
		r.Status = OK
		r.Evidence = "created, wrote, fsynced and removed a file in " + path + " " + how
		if uid < 0 {
			r.Status = Warn
			r.Fix = "give the Elasticsearch uid so the write is tried as that user"
		}
		return r
	}
	r.Status = Fail
	r.Evidence = fmt.Sprintf("writing a file in %s %s failed: %v (directory %d:%d %s)", path, how, err, st.Uid, st.Gid, fs.FileMode(st.Mode&0o7777)|fs.ModeDir)
	switch {
	case errors.Is(err, unix.EROFS):
		r.Fix = "the filesystem or the export is read-only: export it rw on the server (exportfs -ra) and remount rw"
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		if uid >= 0 {
			r.Fix = fmt.Sprintf("let uid %d write: on the NFS server run chown %d:%d on the exported directory, or export it with all_squash,anonuid=%d,anongid=%d; root_squash maps root to nobody, so chown from a client fails", uid, uid, gid, uid, gid)
		} else {
			r.Fix = "give the directory to the user Elasticsearch runs as (chown on the NFS server)"
		}
	case errors.Is(err, errTimeout):
		r.Fix = "the share does not answer: check the NFS server and the network"
	case errors.Is(err, unix.ENOSPC), errors.Is(err, unix.EDQUOT):
		r.Fix = "the share is full or the quota is reached: free space"
	default:
		r.Fix = "check the share's permissions and the server's log"
	}
	return r
}

func modeAllows(st unix.Stat_t, uid, gid int) bool {
	switch {
	case uid == 0:
		return true
	case int(st.Uid) == uid:
		return st.Mode&0o300 == 0o300
	case int(st.Gid) == gid:
		return st.Mode&0o030 == 0o030
	default:
		return st.Mode&0o003 == 0o003
	}
}

func writeProbe(dir string) error {
	name := filepath.Join(dir, fmt.Sprintf(".esmigrate-write-test-%d-%d", os.Getpid(), time.Now().UnixNano()))
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, werr := f.WriteString("esmigrate write test\n")
	if werr == nil {
		werr = f.Sync()
	}
	cerr := f.Close()
	rerr := os.Remove(name)
	return errors.Join(werr, cerr, rerr)
}

// writeProbeAs runs writeProbe on a dedicated OS thread whose filesystem uid/gid (and groups) are the
// Elasticsearch user's. setfsuid/setfsgid/setgroups as raw syscalls change only the calling thread; the thread
// is never unlocked, so the Go runtime destroys it when the goroutine ends instead of reusing it with the
// borrowed identity.
func writeProbeAs(dir string, uid, gid int) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// no UnlockOSThread: see above
		if err := unix.Setgroups([]int{gid}); err != nil {
			errc <- fmt.Errorf("setgroups: %w", err)
			return
		}
		unix.SetfsgidRetGid(gid)
		unix.SetfsuidRetUid(uid)
		// setfsuid reports no error; asking with -1 (an invalid id) returns the current one.
		if cur, _ := unix.SetfsuidRetUid(-1); cur != uid {
			errc <- fmt.Errorf("could not switch the filesystem uid to %d", uid)
			return
		}
		errc <- writeProbe(dir)
	}()
	return <-errc
}

// existingParent returns path or its nearest existing ancestor (statfs needs something that exists).
func existingParent(path string) string {
	for p := path; ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil || p == "/" || p == "." {
			return p
		}
	}
}

// minInodes: each shard snapshot writes several files per Lucene segment; below this many free inodes a
// batch can run out of inodes long before it runs out of bytes.
const minInodes = 10000

func checkSpace(ctx context.Context, c PathCheck, path string) Result {
	r := Result{ID: "repo.space", Title: "Free space and inodes"}
	var sfs unix.Statfs_t
	// existingParent lstats, which blocks on a dead hard mount like statfs does: both under the time-out. p is
	// read only when the function returned in time.
	var p string
	if err := withTimeout(ctx, c.Timeout, func() error { p = existingParent(path); return unix.Statfs(p, &sfs) }); err != nil {
		r.Status = Fail
		r.Evidence = fmt.Sprintf("statfs %s: %v", path, err)
		r.Fix = "the filesystem does not answer or the path is wrong: check the share"
		return r
	}
	avail := int64(sfs.Bavail) * int64(sfs.Bsize)
	total := int64(sfs.Blocks) * int64(sfs.Bsize)
	r.Evidence = fmt.Sprintf("%s has %s free of %s", p, humanBytes(avail), humanBytes(total))
	if sfs.Files > 0 {
		r.Evidence += fmt.Sprintf(", %d of %d inodes free", sfs.Ffree, sfs.Files)
	} else {
		r.Evidence += ", the filesystem reports no inode counts"
	}
	r.Status = OK
	var fixes []string
	if c.BytesNeeded > 0 {
		r.Evidence += fmt.Sprintf("; the batch writes up to %s", humanBytes(c.BytesNeeded))
		switch {
		case avail < c.BytesNeeded:
			r.Status = Fail
			fixes = append(fixes, fmt.Sprintf("%s has %s free, the batch needs %s: free space on the share, grow it, or migrate fewer indices per batch", p, humanBytes(avail), humanBytes(c.BytesNeeded)))
		case float64(avail) < float64(c.BytesNeeded)*1.1:
			r.Status = Warn
			fixes = append(fixes, fmt.Sprintf("less than 10%% spare after the batch (%s free for %s): snapshots of indices being written grow while they run; free some space", humanBytes(avail), humanBytes(c.BytesNeeded)))
		}
	} else {
		r.Evidence += "; the batch size is not known yet"
	}
	if sfs.Files > 0 && sfs.Ffree == 0 {
		r.Status = Fail
		fixes = append(fixes, "no free inodes: delete old snapshots (DELETE _snapshot/<repo>/<snap>) or files on the share")
	} else if sfs.Files > 0 && sfs.Ffree < minInodes {
		if r.Status == OK {
			r.Status = Warn
		}
		fixes = append(fixes, fmt.Sprintf("only %d inodes free: a snapshot writes several files per segment; free inodes on the share", sfs.Ffree))
	}
	r.Fix = strings.Join(fixes, "; ")
	return r
}

func checkFstab(c PathCheck, m Mount) Result {
	r := Result{ID: "repo.fstab", Title: "Mounted again after a reboot"}
	if m.MountPoint == "/" {
		r.Status = OK
		r.Evidence = "the path is on the root filesystem: nothing to mount at boot"
		return r
	}
	name := c.FstabFile
	if name == "" {
		name = "/etc/fstab"
	}
	f, err := os.Open(name)
	if err != nil {
		r.Status = Warn
		r.Evidence = fmt.Sprintf("cannot read %s: %v", name, err)
		r.Fix = "check that " + m.MountPoint + " is mounted at boot"
		return r
	}
	defer f.Close()
	entries, err := ParseFstab(f)
	if err != nil {
		r.Status = Warn
		r.Evidence = fmt.Sprintf("reading %s: %v", name, err)
		r.Fix = fmt.Sprintf("check %s by hand (findmnt --verify reads it as mount does) and that it mounts %s at boot", name, m.MountPoint)
		return r
	}
	line := fstabLine(m)
	for _, e := range entries {
		if e.File != m.MountPoint {
			continue
		}
		r.Evidence = fmt.Sprintf("%s:%d mounts %s on %s (%s, %s)", name, e.Line, e.Spec, e.File, e.VFSType, strings.Join(e.Options, ","))
		for _, o := range e.Options {
			if o == "noauto" {
				r.Status = Warn
				r.Fix = fmt.Sprintf("the line has noauto, so nothing mounts %s at boot and Elasticsearch would write to the empty local directory underneath: remove noauto", m.MountPoint)
				return r
			}
		}
		if fstabNFS := e.VFSType == "nfs" || e.VFSType == "nfs4"; fstabNFS != m.NFS {
			r.Status = Warn
			r.Fix = fmt.Sprintf("%s mounts %s (%s) on %s, but now %s is mounted there: after a reboot the other one would be; make them agree", name, e.Spec, e.VFSType, m.MountPoint, m.Describe())
			return r
		}
		if m.NFS && e.Spec != m.Source {
			r.Status = Warn
			r.Fix = fmt.Sprintf("%s names %s but %s is mounted now: after a reboot a different share would be mounted; make them agree", name, e.Spec, m.Source)
			return r
		}
		r.Status = OK
		return r
	}
	r.Status = Warn
	r.Evidence = fmt.Sprintf("%s has no line for %s (mounted now from %s)", name, m.MountPoint, m.Source)
	r.Fix = fmt.Sprintf("after a reboot %s would be an empty local directory and Elasticsearch would write snapshots there: add to %s: %s (unless a systemd mount unit or autofs mounts it)", m.MountPoint, name, line)
	return r
}

// fstabLine is the /etc/fstab line that mounts m as it is mounted now.
func fstabLine(m Mount) string {
	if m.NFS {
		opts := []string{"vers=" + m.Version, "hard", "_netdev"}
		return fmt.Sprintf("%s %s %s %s 0 0", escapeFstab(m.Source), escapeFstab(m.MountPoint), "nfs", strings.Join(opts, ","))
	}
	if m.Bind {
		return fmt.Sprintf("%s %s none bind 0 0", escapeFstab(m.Root), escapeFstab(m.MountPoint))
	}
	return fmt.Sprintf("%s %s %s defaults 0 2", escapeFstab(m.Source), escapeFstab(m.MountPoint), m.FSType)
}
