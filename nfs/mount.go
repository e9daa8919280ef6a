//go:build linux

package nfs

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/sys/mountinfo"

	"github.com/esmigrate/esmigrate/i18n"
)

// Mount is the filesystem a path lives on, as /proc/self/mountinfo describes it.
type Mount struct {
	MountPoint string   // where it is mounted, e.g. /mnt/es_backup
	Root       string   // the directory of the filesystem mounted there; not "/" for a bind mount
	FSType     string   // nfs, nfs4, ext4, xfs, ...
	Source     string   // server:/export for NFS, /dev/sdb1 for a disk
	Options    []string // per-mount and superblock options together (rw, vers=4.1, hard, addr=...)

	NFS         bool   // fstype nfs or nfs4
	Server      string // NFS server host or address from the source ("" otherwise); brackets removed from IPv6
	Export      string // exported path on the server
	Version     string // the vers= option ("3", "4.1"...), or "4" for fstype nfs4 without one
	Lookupcache string // lookupcache= option ("" = default "all")
	Bind        bool   // a bind mount (Root is not "/")
}

// Option returns the value of a key=value option, and whether the key (with or without value) is present.
func (m Mount) Option(key string) (string, bool) {
	for _, o := range m.Options {
		k, v, _ := strings.Cut(o, "=")
		if k == key {
			return v, true
		}
	}
	return "", false
}

// Has says whether the flag option is present (hard, soft, ro, ...).
func (m Mount) Has(flag string) bool {
	_, ok := m.Option(flag)
	return ok
}

// ReadOnly says whether the mount or the superblock is read-only.
func (m Mount) ReadOnly() bool { return m.Has("ro") }

// Describe is a one-line account for evidence.
func (m Mount) Describe() string { return m.DescribeMsg().String() }

// DescribeMsg is Describe as a message.
func (m Mount) DescribeMsg() i18n.Msg {
	what := i18n.M("nfs.mount.fs", m.FSType, m.Source, m.MountPoint)
	if m.NFS {
		what = i18n.M("nfs.mount.nfs", m.Version, m.Source, m.Server, m.Export, m.MountPoint)
	}
	if m.Bind {
		what = i18n.M("nfs.mount.bind", what, m.Root)
	}
	return i18n.M("nfs.mount.options", what, strings.Join(m.Options, ","))
}

// FindMount returns the mount that holds path: the one with the longest mount point above it (the last one
// listed wins when mounts are stacked on one point, as the kernel shows the topmost last). mountinfoFile ""
// reads /proc/self/mountinfo. The path is resolved through symlinks when it exists, since the mount table
// names real paths; resolving means an lstat of each component, which blocks forever on a hard NFS mount whose
// server is gone, so it gives up after defaultFSTimeout and uses the path as given (the mount table alone
// still names the share, which is what a check of a dead share needs).
func FindMount(path, mountinfoFile string) (Mount, error) {
	if mountinfoFile == "" {
		mountinfoFile = "/proc/self/mountinfo"
	}
	f, err := os.Open(mountinfoFile)
	if err != nil {
		return Mount{}, i18n.Errorf("nfs.mount.read", mountinfoFile, err)
	}
	defer f.Close()
	return findMount(path, f, mountinfoFile)
}

func findMount(path string, r io.Reader, name string) (Mount, error) {
	infos, err := mountinfo.GetMountsFromReader(r, nil)
	if err != nil {
		return Mount{}, i18n.Errorf("nfs.mount.parse", name, err)
	}
	p := filepath.Clean(path)
	var real string
	if withTimeout(context.Background(), defaultFSTimeout, func() (err error) {
		real, err = filepath.EvalSymlinks(p)
		return err
	}) == nil {
		p = real
	}
	var best *mountinfo.Info
	for _, in := range infos {
		if !under(p, in.Mountpoint) {
			continue
		}
		if best == nil || len(in.Mountpoint) >= len(best.Mountpoint) {
			best = in
		}
	}
	if best == nil {
		return Mount{}, i18n.Errorf("nfs.mount.none", name, p)
	}
	return newMount(best), nil
}

func newMount(in *mountinfo.Info) Mount {
	m := Mount{
		MountPoint: in.Mountpoint,
		Root:       in.Root,
		FSType:     in.FSType,
		Source:     in.Source,
		Bind:       in.Root != "/" && in.Root != "",
	}
	seen := map[string]bool{}
	for _, o := range append(strings.Split(in.Options, ","), strings.Split(in.VFSOptions, ",")...) {
		if o != "" && !seen[o] {
			seen[o] = true
			m.Options = append(m.Options, o)
		}
	}
	if in.FSType == "nfs" || in.FSType == "nfs4" {
		m.NFS = true
		m.Server, m.Export = splitNFSSource(in.Source)
		m.Version, _ = m.Option("vers")
		if m.Version == "" {
			m.Version, _ = m.Option("nfsvers")
		}
		if m.Version == "" {
			if in.FSType == "nfs4" {
				m.Version = "4"
			} else {
				m.Version = "3"
			}
		}
		m.Lookupcache, _ = m.Option("lookupcache")
	}
	return m
}

// splitNFSSource splits "server:/export" and "[fe80::1]:/export".
func splitNFSSource(src string) (server, export string) {
	if strings.HasPrefix(src, "[") {
		if i := strings.Index(src, "]:"); i > 0 {
			return src[1:i], src[i+2:]
		}
	}
	if i := strings.Index(src, ":"); i >= 0 {
		return src[:i], src[i+1:]
	}
	return "", src
}

// FstabEntry is one line of /etc/fstab.
type FstabEntry struct {
	Spec, File, VFSType string
	Options             []string
	Line                int
}

// ParseFstab reads fstab(5) lines: six whitespace-separated fields, octal escapes (\040 for a space), # comments.
// Hand-written: the format is one split per line, and the Go fstab packages around are unmaintained.
func ParseFstab(r io.Reader) ([]FstabEntry, error) {
	var out []FstabEntry
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 {
			continue // mount(8) ignores malformed lines too; nothing of ours can be on it
		}
		e := FstabEntry{Spec: unescapeOctal(f[0]), File: filepath.Clean(unescapeOctal(f[1])), VFSType: f[2], Line: n}
		if len(f) > 3 {
			e.Options = strings.Split(f[3], ",")
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// ShareServer names the NFS server and export behind path, when path is on an NFS mount (so that the server
// checks need no extra input). ok is false for a local disk or when the mount table cannot be read.
func ShareServer(path string) (server, export string, ok bool) {
	m, err := FindMount(path, "")
	if err != nil || !m.NFS || m.Server == "" {
		return "", "", false
	}
	return m.Server, m.Export, true
}
