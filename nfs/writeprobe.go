package nfs

// A write test over the NFS protocol itself: as the Elasticsearch uid, create a file in the repository
// directory on the server, write to it with FILE_SYNC and remove it, without mounting anything. It answers
// "will Elasticsearch be able to write there?" from any host, with the server's own squashing and permission
// rules applied, which a local access() check run as root cannot (see notes/nfs.md). NFSv3 (RFC 1813) is used
// because every NFS server speaks it and its calls are stateless; the few procedures are hand-written on the
// RPC client in rpc.go for the reasons given there.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"strings"
	"time"

	"github.com/esmigrate/esmigrate/i18n"
)

const (
	nfs3ProcLookup = 3
	nfs3ProcWrite  = 7
	nfs3ProcCreate = 8
	nfs3ProcRemove = 12
)

// nfs3Status names NFSv3 status codes (nfsstat3).
var nfs3Status = map[uint32]string{
	1: "NFS3ERR_PERM (not owner)", 2: "NFS3ERR_NOENT (no such file or directory)", 5: "NFS3ERR_IO (I/O error)",
	13: "NFS3ERR_ACCES (permission denied)", 17: "NFS3ERR_EXIST (file exists)", 20: "NFS3ERR_NOTDIR (not a directory)",
	28: "NFS3ERR_NOSPC (no space left on device)", 30: "NFS3ERR_ROFS (read-only file system)",
	69: "NFS3ERR_DQUOT (quota exceeded)", 70: "NFS3ERR_STALE (stale file handle)", 10006: "NFS3ERR_SERVERFAULT",
}

type nfs3Error uint32

func (e nfs3Error) Error() string {
	if s, ok := nfs3Status[uint32(e)]; ok {
		return s
	}
	return fmt.Sprintf("NFSv3 status %d", uint32(e))
}

// Localize is the status as the protocol names it (RFC 1813), in every language.
func (e nfs3Error) Localize() i18n.Msg { return i18n.Name(e.Error()) }

// protoError is what a server answered, named as the protocol names it.
type protoError string

func (e protoError) Error() string      { return string(e) }
func (e protoError) Localize() i18n.Msg { return i18n.Name(string(e)) }

// WriteCheck says where and as whom to try a write over NFS.
type WriteCheck struct {
	Server   ServerCheck // Host, ExportPath, Timeout and ports as for CheckServer
	Dir      string      // the repository directory below the export ("" = the export itself)
	UID, GID int         // the uid/gid Elasticsearch runs as
}

// CheckWriteOverNFS creates, writes (FILE_SYNC) and removes a file in the repository directory as UID/GID,
// talking NFSv3 to the server. A refusal names the server's own status (NFS3ERR_ACCES under root squashing or
// wrong ownership, NFS3ERR_ROFS for a read-only export) and what to change.
func CheckWriteOverNFS(ctx context.Context, c WriteCheck) Result {
	r := newResult("nfs.server.write")
	s := c.Server
	if s.Timeout <= 0 {
		s.Timeout = 5 * time.Second
	}
	if s.PortmapPort == 0 {
		s.PortmapPort = 111
	}
	host := strings.TrimSuffix(strings.TrimPrefix(s.Host, "["), "]")
	where := path.Join(path.Clean(s.ExportPath), c.Dir)
	who := fmt.Sprintf("uid %d gid %d", c.UID, c.GID)
	fail := func(err error, fix i18n.Msg) Result {
		r.say(Fail, i18n.M("nfs.write.failed", host, where, who, err), fix)
		return r
	}
	ctx, cancel := context.WithTimeout(ctx, 4*s.Timeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, host)
	if err != nil || len(addrs) == 0 {
		return fail(i18n.Errorf("nfs.server.unresolved", host, err), i18n.M("nfs.write.name.fix"))
	}
	ip := pickAddr(addrs)
	mPort, nPort := s.MountPort, s.NFSPort
	if mPort == 0 || nPort == 0 {
		err := rpcDo(ctx, net.JoinHostPort(ip, fmt.Sprint(s.PortmapPort)), s.Timeout, func(ctx context.Context, rc *rpcConn) error {
			var err error
			if mPort == 0 {
				if mPort, err = rc.pmapGetport(ctx, progMount, 3); err != nil {
					return err
				}
			}
			if nPort == 0 {
				nPort, err = rc.pmapGetport(ctx, progNFS, 3)
			}
			return err
		})
		if err != nil {
			return fail(i18n.Errorf("nfs.write.portmapper", netErrText(err, s.Timeout)), i18n.M("nfs.write.portmapper.fix"))
		}
		if mPort == 0 {
			return fail(i18n.Errorf("nfs.write.nomountd"), i18n.M("nfs.write.nomountd.fix"))
		}
		if nPort == 0 {
			nPort = 2049
		}
	}
	// the export's root file handle, asked as root like the kernel client's mount does
	var fh []byte
	err = rpcDo(ctx, net.JoinHostPort(ip, fmt.Sprint(mPort)), s.Timeout, func(ctx context.Context, rc *rpcConn) error {
		st, h, err := rc.mountMnt(ctx, path.Clean(s.ExportPath), 0, 0)
		switch {
		case err != nil:
			return err
		case st != 0:
			return protoError(mountStatusText(st))
		case h == nil:
			return i18n.Errorf("nfs.write.nohandle")
		}
		fh = h
		return nil
	})
	if err != nil {
		return fail(i18n.Errorf("nfs.server.mountrequest", err), i18n.M("nfs.write.mount.fix", s.ExportPath))
	}
	name := fmt.Sprintf(".esmigrate-write-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	var steps []string
	err = rpcDo(ctx, net.JoinHostPort(ip, fmt.Sprint(nPort)), s.Timeout, func(ctx context.Context, rc *rpcConn) error {
		dir := fh
		for _, comp := range strings.Split(strings.Trim(path.Clean("/"+c.Dir), "/"), "/") {
			if comp == "" {
				continue
			}
			var err error
			if dir, err = nfs3Lookup(ctx, rc, dir, comp, c.UID, c.GID); err != nil {
				return i18n.Errorf("nfs.write.step", "LOOKUP "+comp, err)
			}
		}
		file, err := nfs3Create(ctx, rc, dir, name, c.UID, c.GID)
		if err != nil {
			return i18n.Errorf("nfs.write.step", "CREATE", err)
		}
		steps = append(steps, "CREATE")
		werr := nfs3Write(ctx, rc, file, []byte("esmigrate write test\n"), c.UID, c.GID)
		if werr == nil {
			steps = append(steps, "WRITE (FILE_SYNC)")
		}
		rerr := nfs3Remove(ctx, rc, dir, name, c.UID, c.GID)
		if rerr == nil {
			steps = append(steps, "REMOVE")
		}
		if werr != nil {
			return i18n.Errorf("nfs.write.step", "WRITE", werr)
		}
		if rerr != nil {
			return i18n.Errorf("nfs.write.remove", name, rerr)
		}
		return nil
	})
	if err == nil {
		r.say(OK, i18n.M("nfs.write.ok", strings.Join(steps, ", "), host, where, who, rpcMethod), i18n.Msg{})
		return r
	}
	var st nfs3Error
	switch {
	case errors.As(err, &st) && (st == 13 || st == 1):
		return fail(err, i18n.M("nfs.write.acces.fix", who, where, host, c.UID, c.GID, shq(where)))
	case errors.As(err, &st) && st == 30:
		return fail(err, i18n.M("nfs.write.rofs.fix", s.ExportPath, host))
	case errors.As(err, &st) && st == 2:
		return fail(err, i18n.M("nfs.write.noent.fix", where, host, c.UID, c.GID))
	case errors.As(err, &st) && (st == 28 || st == 69):
		return fail(err, i18n.M("nfs.write.full.fix", host))
	}
	return fail(err, i18n.M("nfs.write.other.fix", host))
}

func nfs3Status3(x *xdrReader) error {
	st := x.u32()
	if x.err != nil {
		return x.err
	}
	if st != 0 {
		return nfs3Error(st)
	}
	return nil
}

func nfs3Lookup(ctx context.Context, rc *rpcConn, dir []byte, name string, uid, gid int) ([]byte, error) {
	var a xdrWriter
	a.opaque(dir)
	a.str(name)
	x, err := rc.call(ctx, progNFS, 3, nfs3ProcLookup, a.Bytes(), uid, gid)
	if err != nil {
		return nil, err
	}
	if err := nfs3Status3(x); err != nil {
		return nil, err
	}
	fh := append([]byte(nil), x.opaque(64)...)
	return fh, x.err
}

// nfs3Create creates name in dir (GUARDED: fails if it exists) with mode 0644 and returns its file handle.
func nfs3Create(ctx context.Context, rc *rpcConn, dir []byte, name string, uid, gid int) ([]byte, error) {
	var a xdrWriter
	a.opaque(dir)
	a.str(name)
	a.u32(1) // GUARDED
	a.u32(1) // set mode
	a.u32(0o644)
	a.u32(0) // uid, gid, size: server decides (the caller's identity, as for Elasticsearch)
	a.u32(0)
	a.u32(0)
	a.u32(0) // atime: don't change
	a.u32(0) // mtime: don't change
	x, err := rc.call(ctx, progNFS, 3, nfs3ProcCreate, a.Bytes(), uid, gid)
	if err != nil {
		return nil, err
	}
	if err := nfs3Status3(x); err != nil {
		return nil, err
	}
	if x.u32() != 1 { // post_op_fh3 not sent: would need a LOOKUP; every server we know sends it
		return nil, i18n.Errorf("nfs.write.nonewhandle")
	}
	fh := append([]byte(nil), x.opaque(64)...)
	return fh, x.err
}

func nfs3Write(ctx context.Context, rc *rpcConn, file, data []byte, uid, gid int) error {
	var a xdrWriter
	a.opaque(file)
	a.u32(0) // offset, 64 bits
	a.u32(0)
	a.u32(uint32(len(data)))
	a.u32(2) // FILE_SYNC: the server commits before answering, as Elasticsearch's fsync would make it
	a.opaque(data)
	x, err := rc.call(ctx, progNFS, 3, nfs3ProcWrite, a.Bytes(), uid, gid)
	if err != nil {
		return err
	}
	return nfs3Status3(x)
}

func nfs3Remove(ctx context.Context, rc *rpcConn, dir []byte, name string, uid, gid int) error {
	var a xdrWriter
	a.opaque(dir)
	a.str(name)
	x, err := rc.call(ctx, progNFS, 3, nfs3ProcRemove, a.Bytes(), uid, gid)
	if err != nil {
		return err
	}
	return nfs3Status3(x)
}
