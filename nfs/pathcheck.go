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

	"github.com/esmigrate/esmigrate/i18n"
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
	rp := newResult("repo.path")
	switch {
	case errors.Is(err, errTimeout):
		rp.say(Fail, i18n.M("nfs.stat", path, err), i18n.M("nfs.path.timeout.fix"))
	case errors.Is(err, unix.ENOENT):
		rp.say(Fail, i18n.M("nfs.path.missing", path), i18n.M("nfs.path.missing.fix", shq(path), ownerArg(uid, gid)))
	case err != nil:
		rp.say(Fail, i18n.M("nfs.stat", path, err), i18n.M("nfs.path.stat.fix"))
	case st.Mode&unix.S_IFMT != unix.S_IFDIR:
		exists = false
		rp.say(Fail, i18n.M("nfs.path.notdir", path, (fs.FileMode(st.Mode&0o777)|modeType(st.Mode)).String()), i18n.M("nfs.path.notdir.fix", path))
	default:
		rp.say(OK, i18n.M("nfs.path.ok", path, st.Uid, st.Gid, (fs.FileMode(st.Mode&0o7777)|fs.ModeDir).String()), i18n.Msg{})
	}
	out = append(out, rp)

	// 2. owners of the directory and its files
	if exists {
		out = append(out, checkOwners(ctx, c, path, st, uid, gid, who))
	}

	// 3. filesystem: NFS or local
	m, merr := FindMount(path, c.MountinfoFile)
	if merr != nil {
		r := newResult("repo.fs")
		r.say(Warn, i18n.MsgOf(merr), i18n.M("nfs.fs.nomount.fix"))
		out = append(out, r)
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
func resolveESUser(c PathCheck, out *[]Result) (uid, gid int, who i18n.Msg) {
	luid, lgid, lerr := lookupUser("elasticsearch")
	uid, gid = c.ESUID, c.ESGID
	r := newResult("repo.esuser")
	switch {
	case uid < 0 && lerr == nil:
		uid, gid = luid, lgid
		who = i18n.M("nfs.who.local", uid, gid)
	case uid < 0:
		r.say(Warn, i18n.M("nfs.esuser.unknown"), i18n.M("nfs.esuser.unknown.fix"))
		*out = append(*out, r)
		return -1, -1, i18n.Msg{}
	default:
		if gid < 0 {
			gid = uid
		}
		who = i18n.M("nfs.who.uid", uid, gid)
		if lerr == nil && (luid != uid || lgid != gid) {
			r.say(Warn, i18n.M("nfs.esuser.differs", uid, gid, luid, lgid), i18n.M("nfs.esuser.differs.fix", uid, gid))
			*out = append(*out, r)
			return uid, gid, who
		}
	}
	r.say(OK, i18n.M("nfs.esuser.as", who), i18n.Msg{})
	*out = append(*out, r)
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

func checkOwners(ctx context.Context, c PathCheck, path string, st unix.Stat_t, uid, gid int, who i18n.Msg) Result {
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
	r := newResult("repo.owner")
	if err != nil {
		r.say(Warn, i18n.M("nfs.owner.unlisted", path, st.Uid, st.Gid, err), i18n.M("nfs.owner.unlisted.fix"))
		return r
	}
	owners := make([]owner, 0, len(counts))
	for o := range counts {
		owners = append(owners, o)
	}
	sort.Slice(owners, func(i, j int) bool { return counts[owners[i]] > counts[owners[j]] })
	var parts []i18n.Msg
	for _, o := range owners {
		parts = append(parts, i18n.M("nfs.owner.part", counts[o], o.uid, o.gid, example[o]))
	}
	mode := (fs.FileMode(st.Mode&0o7777) | fs.ModeDir).String()
	if n >= ownerScanLimit {
		r.setEvidence(i18n.M("nfs.owner.sampled", path, st.Uid, st.Gid, mode, n, ownerScanLimit, i18n.List("list.comma", parts)))
	} else {
		r.setEvidence(i18n.M("nfs.owner.found", path, st.Uid, st.Gid, mode, n, i18n.List("list.comma", parts)))
	}
	if uid < 0 {
		r.Status = Warn
		r.setFix(i18n.M("nfs.owner.unknown.fix"))
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
	fix := i18n.M("nfs.owner.wrong.fix", strings.Join(wrong, ", "), who, uid, gid, shq(path))
	if nobody {
		fix = i18n.Join("list.semi", fix, i18n.M("nfs.owner.nobody"))
	}
	r.setFix(fix)
	return r
}

func checkFilesystem(ctx context.Context, c PathCheck, path string, m Mount) Result {
	r := newResult("repo.fs")
	r.setEvidence(m.DescribeMsg())
	// Confirm the mount table with statfs on the real system: a dead hard mount shows here as a time-out.
	if c.MountinfoFile == "" {
		var sfs unix.Statfs_t
		err := withTimeout(ctx, c.Timeout, func() error { return unix.Statfs(existingParent(path), &sfs) })
		if err != nil {
			r.say(Fail, i18n.Join("list.semi", r.EvidenceMsg, i18n.M("nfs.fs.statfs", err)), i18n.M("nfs.fs.silent.fix", m.MountPoint, m.Server))
			return r
		}
		if m.NFS && sfs.Type != nfsSuperMagic {
			r.say(Warn, i18n.Join("list.semi", r.EvidenceMsg, i18n.M("nfs.fs.magic", fmt.Sprintf("%#x", sfs.Type), fmt.Sprintf("%#x", nfsSuperMagic))),
				i18n.M("nfs.fs.magic.fix", path))
			return r
		}
	}
	switch {
	case m.NFS:
		r.Status = OK
	case isSharedFS(m.FSType):
		r.Status = Warn
		r.setFix(i18n.M("nfs.fs.shared.fix", m.FSType, path))
	case c.ClusterNodes == 1:
		r.Status = OK
		r.setEvidence(i18n.Join("list.semi", r.EvidenceMsg, i18n.M("nfs.fs.onenode")))
	case c.ClusterNodes > 1:
		r.Status = Fail
		r.setFix(i18n.M("nfs.fs.local.fix", c.ClusterNodes, path))
	default:
		r.Status = Warn
		r.setFix(i18n.M("nfs.fs.local.warn", path))
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
	r := newResult("repo.nfs-options")
	r.Status = OK
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
	evidence := i18n.M("nfs.options", m.Server, m.Export, m.MountPoint, strings.Join(ev, " "))
	var fixes []i18n.Msg
	if m.ReadOnly() {
		r.Status = Fail
		fixes = append(fixes, i18n.M("nfs.options.ro.fix", shq(m.MountPoint)))
	}
	if m.Has("soft") {
		if r.Status != Fail {
			r.Status = Warn
		}
		fixes = append(fixes, i18n.M("nfs.options.soft.fix", m.MountPoint))
	}
	if sec, ok := m.Option("sec"); ok && strings.HasPrefix(sec, "krb5") {
		if r.Status != Fail {
			r.Status = Warn
		}
		fixes = append(fixes, i18n.M("nfs.options.krb5.fix", sec))
	}
	if strings.HasPrefix(m.Version, "3") {
		evidence = i18n.M("nfs.options.v3", m.Server, m.Export, m.MountPoint, strings.Join(ev, " "))
	}
	r.setEvidence(evidence)
	r.setFix(i18n.List("list.semi", fixes))
	return r
}

// checkWritable tries to write as the Elasticsearch uid. access(W_OK) as root lies on NFS (the server squashes
// root, not the check), so when esmigrate runs as root it creates a file with its filesystem uid switched to the
// Elasticsearch uid: the NFS client then sends that uid, exactly as Elasticsearch would.
func checkWritable(ctx context.Context, c PathCheck, path string, st unix.Stat_t, uid, gid int, who i18n.Msg, ro bool) Result {
	r := newResult("repo.writable")
	if ro {
		r.say(Fail, i18n.M("nfs.writable.ro", path), i18n.M("nfs.writable.ro.fix"))
		return r
	}
	euid := os.Geteuid()
	mode := (fs.FileMode(st.Mode&0o7777) | fs.ModeDir).String()
	var how i18n.Msg
	var try func() error
	switch {
	case uid < 0:
		how = i18n.M("nfs.how.self", euid)
		try = func() error { return writeProbe(path) }
	case uid == euid:
		how = i18n.M("nfs.how.same", who)
		try = func() error { return writeProbe(path) }
	case euid == 0:
		how = i18n.M("nfs.how.switched", who)
		try = func() error { return writeProbeAs(path, uid, gid) }
	}
	if try == nil {
		// Not root and not the Elasticsearch user: all we can do is read the permission bits.
		ok := modeAllows(st, uid, gid)
		bits := i18n.M("nfs.writable.bits", euid, who, path, st.Uid, st.Gid, mode)
		if ok {
			r.say(Warn, i18n.Join("list.colon", bits, i18n.M("nfs.writable.bits.ok")), i18n.M("nfs.writable.bits.ok.fix"))
		} else {
			r.say(Fail, bits, i18n.M("nfs.writable.bits.no.fix", who, uid, gid, shq(path)))
		}
		return r
	}
	err := withTimeout(ctx, c.Timeout, try)
	if err == nil {
		r.say(OK, i18n.M("nfs.writable.ok", path, how), i18n.Msg{})
		if uid < 0 {
			r.Status = Warn
			r.setFix(i18n.M("nfs.writable.nouid.fix"))
		}
		return r
	}
	var fix i18n.Msg
	switch {
	case errors.Is(err, unix.EROFS):
		fix = i18n.M("nfs.writable.erofs.fix")
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		if uid >= 0 {
			fix = i18n.M("nfs.writable.eacces.fix", uid, gid)
		} else {
			fix = i18n.M("nfs.writable.eacces.nouid.fix")
		}
	case errors.Is(err, errTimeout):
		fix = i18n.M("nfs.writable.timeout.fix")
	case errors.Is(err, unix.ENOSPC), errors.Is(err, unix.EDQUOT):
		fix = i18n.M("nfs.writable.full.fix")
	default:
		fix = i18n.M("nfs.writable.other.fix")
	}
	r.say(Fail, i18n.M("nfs.writable.failed", path, how, err, st.Uid, st.Gid, mode), fix)
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
			errc <- i18n.Errorf("nfs.setgroups", err)
			return
		}
		unix.SetfsgidRetGid(gid)
		unix.SetfsuidRetUid(uid)
		// setfsuid reports no error; asking with -1 (an invalid id) returns the current one.
		if cur, _ := unix.SetfsuidRetUid(-1); cur != uid {
			errc <- i18n.Errorf("nfs.setfsuid", uid)
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
	r := newResult("repo.space")
	var sfs unix.Statfs_t
	// existingParent lstats, which blocks on a dead hard mount like statfs does: both under the time-out. p is
	// read only when the function returned in time.
	var p string
	if err := withTimeout(ctx, c.Timeout, func() error { p = existingParent(path); return unix.Statfs(p, &sfs) }); err != nil {
		r.say(Fail, i18n.M("nfs.statfs", path, err), i18n.M("nfs.space.silent.fix"))
		return r
	}
	avail := int64(sfs.Bavail) * int64(sfs.Bsize)
	total := int64(sfs.Blocks) * int64(sfs.Bsize)
	space := i18n.M("nfs.space.free", p, humanBytes(avail), humanBytes(total))
	if sfs.Files > 0 {
		space = i18n.M("nfs.space.inodes", p, humanBytes(avail), humanBytes(total), sfs.Ffree, sfs.Files)
	} else {
		space = i18n.M("nfs.space.noinodes", p, humanBytes(avail), humanBytes(total))
	}
	ev := []i18n.Msg{space}
	r.Status = OK
	var fixes []i18n.Msg
	if c.BytesNeeded > 0 {
		ev = append(ev, i18n.M("nfs.space.needs", humanBytes(c.BytesNeeded)))
		switch {
		case avail < c.BytesNeeded:
			r.Status = Fail
			fixes = append(fixes, i18n.M("nfs.space.short.fix", p, humanBytes(avail), humanBytes(c.BytesNeeded)))
		case float64(avail) < float64(c.BytesNeeded)*1.1:
			r.Status = Warn
			fixes = append(fixes, i18n.M("nfs.space.tight.fix", humanBytes(avail), humanBytes(c.BytesNeeded)))
		}
	} else {
		ev = append(ev, i18n.M("nfs.space.unknown"))
	}
	if sfs.Files > 0 && sfs.Ffree == 0 {
		r.Status = Fail
		fixes = append(fixes, i18n.M("nfs.space.noinode.fix"))
	} else if sfs.Files > 0 && sfs.Ffree < minInodes {
		if r.Status == OK {
			r.Status = Warn
		}
		fixes = append(fixes, i18n.M("nfs.space.fewinodes.fix", sfs.Ffree))
	}
	r.setEvidence(i18n.List("list.semi", ev))
	r.setFix(i18n.List("list.semi", fixes))
	return r
}

func checkFstab(c PathCheck, m Mount) Result {
	r := newResult("repo.fstab")
	if m.MountPoint == "/" {
		r.say(OK, i18n.M("nfs.fstab.root"), i18n.Msg{})
		return r
	}
	name := c.FstabFile
	if name == "" {
		name = "/etc/fstab"
	}
	f, err := os.Open(name)
	if err != nil {
		r.say(Warn, i18n.M("nfs.fstab.unreadable", name, err), i18n.M("nfs.fstab.unreadable.fix", m.MountPoint))
		return r
	}
	defer f.Close()
	entries, err := ParseFstab(f)
	if err != nil {
		r.say(Warn, i18n.M("nfs.fstab.bad", name, err), i18n.M("nfs.fstab.bad.fix", name, m.MountPoint))
		return r
	}
	line := fstabLine(m)
	for _, e := range entries {
		if e.File != m.MountPoint {
			continue
		}
		r.setEvidence(i18n.M("nfs.fstab.line", name, e.Line, e.Spec, e.File, e.VFSType, strings.Join(e.Options, ",")))
		for _, o := range e.Options {
			if o == "noauto" {
				r.Status = Warn
				r.setFix(i18n.M("nfs.fstab.noauto.fix", m.MountPoint))
				return r
			}
		}
		if fstabNFS := e.VFSType == "nfs" || e.VFSType == "nfs4"; fstabNFS != m.NFS {
			r.Status = Warn
			r.setFix(i18n.M("nfs.fstab.other.fix", name, e.Spec, e.VFSType, m.MountPoint, m.DescribeMsg()))
			return r
		}
		if m.NFS && e.Spec != m.Source {
			r.Status = Warn
			r.setFix(i18n.M("nfs.fstab.source.fix", name, e.Spec, m.Source))
			return r
		}
		r.Status = OK
		return r
	}
	r.say(Warn, i18n.M("nfs.fstab.none", name, m.MountPoint, m.Source), i18n.M("nfs.fstab.none.fix", m.MountPoint, name, line))
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

// FreeBytes is the space an unprivileged writer may still use on the filesystem of path (or of its nearest
// existing parent), within the usual filesystem time-out: what the pipeline keeps its batches in flight under.
func FreeBytes(ctx context.Context, path string) (int64, error) {
	var sfs unix.Statfs_t
	if err := withTimeout(ctx, defaultFSTimeout, func() error { return unix.Statfs(existingParent(path), &sfs) }); err != nil {
		return 0, err
	}
	return int64(sfs.Bavail) * int64(sfs.Bsize), nil
}
