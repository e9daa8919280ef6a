package nfs

// A minimal ONC RPC (RFC 5531) client over TCP for the four questions the server check asks: which programs the
// portmapper knows (PMAPPROC_DUMP, what `rpcinfo -p` shows), whether NFS and mountd answer (NULL procedure),
// which paths mountd exports (MOUNTPROC3_EXPORT, what `showmount -e` shows) and whether it lets this host
// mount one (MOUNTPROC3_MNT, then UMNT).
//
// Hand-written rather than github.com/willscott/go-nfs-client: that library has no EXPORT call, no dial
// time-out and no context, and exists only as an untagged fork; the messages here are a dozen XDR words, and
// owning them lets every call honour the wizard's deadline. Being pure Go, the check needs neither rpcinfo
// nor showmount on the host.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/esmigrate/esmigrate/i18n"
)

const (
	progPortmap = 100000
	progNFS     = 100003
	progMount   = 100005

	pmapProcGetport = 3
	pmapProcDump    = 4

	mountProcMnt    = 1
	mountProcUmnt   = 3
	mountProcExport = 5

	ipprotoTCP = 6
	ipprotoUDP = 17

	authNone = 0
	authSys  = 1
)

// rpcError is an RPC-level refusal (program not registered, version mismatch, auth error).
type rpcError struct{ msg i18n.Msg }

func (e *rpcError) Error() string { return e.msg.String() }

// Localize is the refusal as a message.
func (e *rpcError) Localize() i18n.Msg { return e.msg }

// rpcConn is one TCP connection to one RPC server.
type rpcConn struct {
	c        net.Conn
	reserved bool // the local port is below 1024 (kernel servers' "secure" export option wants that)
	xid      uint32
	probed   bool // the connection was nudged to find out what listens (readReply)
}

// dialRPC connects to addr. As root it first tries a reserved source port, as the kernel NFS client and
// showmount do: mountd refuses MNT from other ports when an export has the default "secure" option.
func dialRPC(ctx context.Context, addr string, timeout time.Duration) (*rpcConn, error) {
	d := net.Dialer{Timeout: timeout}
	if os.Geteuid() == 0 {
		for p := 1023; p >= 1023-64; p-- {
			d.LocalAddr = &net.TCPAddr{Port: p}
			c, err := d.DialContext(ctx, "tcp", addr)
			if err == nil {
				return &rpcConn{c: c, reserved: true, xid: rand.Uint32()}, nil
			}
			if !errors.Is(err, syscall.EADDRINUSE) && !errors.Is(err, syscall.EADDRNOTAVAIL) {
				return nil, err
			}
		}
		d.LocalAddr = nil
	}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &rpcConn{c: c, xid: rand.Uint32()}, nil
}

func (r *rpcConn) Close() error { return r.c.Close() }

// xdrWriter appends XDR: big-endian 32-bit words, opaque data padded to 4 bytes.
type xdrWriter struct{ bytes.Buffer }

func (w *xdrWriter) u32(v uint32) { _ = binary.Write(&w.Buffer, binary.BigEndian, v) }
func (w *xdrWriter) opaque(b []byte) {
	w.u32(uint32(len(b)))
	w.Write(b)
	w.Write(make([]byte, (4-len(b)%4)%4))
}
func (w *xdrWriter) str(s string) { w.opaque([]byte(s)) }

// xdrReader reads XDR from a reply; the first error sticks and later reads return zero.
type xdrReader struct {
	b   []byte
	err error
}

func (r *xdrReader) u32() uint32 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 4 {
		r.err = io.ErrUnexpectedEOF
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

func (r *xdrReader) opaque(max int) []byte {
	n := int(r.u32())
	if r.err != nil {
		return nil
	}
	padded := n + (4-n%4)%4
	if n > max || padded > len(r.b) {
		r.err = fmt.Errorf("bad XDR opaque length %d", n)
		return nil
	}
	v := r.b[:n]
	r.b = r.b[padded:]
	return v
}

func (r *xdrReader) str() string { return string(r.opaque(4096)) }

// call sends one call and returns the XDR of the procedure's results. uid/gid >= 0 sends AUTH_SYS
// credentials, else AUTH_NONE.
func (r *rpcConn) call(ctx context.Context, prog, vers, proc uint32, args []byte, uid, gid int) (*xdrReader, error) {
	r.xid++
	var m xdrWriter
	m.u32(r.xid)
	m.u32(0) // CALL
	m.u32(2) // RPC version
	m.u32(prog)
	m.u32(vers)
	m.u32(proc)
	if uid >= 0 {
		var cred xdrWriter
		host, _ := os.Hostname()
		if len(host) > 255 {
			host = host[:255]
		}
		cred.u32(uint32(time.Now().Unix()))
		cred.str(host)
		cred.u32(uint32(uid))
		cred.u32(uint32(gid))
		cred.u32(1) // one supplementary group: gid
		cred.u32(uint32(gid))
		m.u32(authSys)
		m.opaque(cred.Bytes())
	} else {
		m.u32(authNone)
		m.u32(0)
	}
	m.u32(authNone) // verifier
	m.u32(0)
	m.Write(args)

	if dl, ok := ctx.Deadline(); ok {
		_ = r.c.SetDeadline(dl)
	}
	// record marking: one fragment, last-fragment bit set
	frame := make([]byte, 4, 4+m.Len())
	binary.BigEndian.PutUint32(frame, 0x80000000|uint32(m.Len()))
	frame = append(frame, m.Bytes()...)
	if _, err := r.c.Write(frame); err != nil {
		return nil, err
	}
	for {
		reply, err := r.readReply(ctx)
		if err != nil {
			return nil, err
		}
		x := &xdrReader{b: reply}
		if x.u32() != r.xid {
			continue // a stale reply to an earlier call
		}
		if x.u32() != 1 {
			return nil, i18n.Errorf("nfs.rpc.notreply")
		}
		switch x.u32() {
		case 0: // MSG_ACCEPTED
			x.u32() // verifier flavor
			x.opaque(400)
			switch st := x.u32(); st {
			case 0:
				return x, x.err
			case 1:
				return nil, &rpcError{i18n.M("nfs.rpc.noprog", prog)}
			case 2:
				lo, hi := x.u32(), x.u32()
				return nil, &rpcError{i18n.M("nfs.rpc.vers", prog, vers, lo, hi)}
			case 3:
				return nil, &rpcError{i18n.M("nfs.rpc.proc", prog, proc)}
			default:
				return nil, &rpcError{i18n.M("nfs.rpc.refused", st)}
			}
		case 1: // MSG_DENIED
			if x.u32() == 0 {
				return nil, &rpcError{i18n.M("nfs.rpc.mismatch")}
			}
			return nil, &rpcError{i18n.M("nfs.rpc.auth", x.u32())}
		default:
			return nil, i18n.Errorf("nfs.rpc.malformed")
		}
	}
}

// readReply reads a reply record. When half the time allowed has passed without an answer, it nudges the
// connection once with an empty line: an RPC server has its call and ignores what follows it (this connection is
// not used for anything else then), while a text service waiting for the end of a line, an HTTP server on
// port 111 say, answers now and is named (notRPC) instead of being taken for a firewall that drops packets.
func (r *rpcConn) readReply(ctx context.Context) ([]byte, error) {
	dl, ok := ctx.Deadline()
	if !ok || r.probed {
		return r.readRecord()
	}
	_ = r.c.SetReadDeadline(time.Now().Add(time.Until(dl) / 2))
	rec, err := r.readRecord()
	var ne net.Error
	if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
		_ = r.c.SetReadDeadline(dl)
		return rec, err
	}
	r.probed = true
	_ = r.c.SetDeadline(dl)
	if _, werr := r.c.Write([]byte("\r\n\r\n")); werr != nil {
		return nil, err
	}
	return r.readRecord()
}

func (r *rpcConn) readRecord() ([]byte, error) {
	var out []byte
	for {
		var h [4]byte
		if _, err := io.ReadFull(r.c, h[:]); err != nil {
			return nil, err
		}
		if out == nil && isText(h[:]) {
			return nil, r.notRPC(h[:])
		}
		v := binary.BigEndian.Uint32(h[:])
		n := int(v & 0x7fffffff)
		if n > 16<<20 || len(out)+n > 16<<20 {
			return nil, fmt.Errorf("RPC record too large (%d bytes)", n)
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(r.c, buf); err != nil {
			return nil, err
		}
		out = append(out, buf...)
		if v&0x80000000 != 0 {
			return out, nil
		}
	}
}

// isText tells whether the first bytes of an answer are text: an RPC reply starts with a record mark whose
// first byte has the last-fragment bit set (or is 0 for a fragment of a big reply), never a printable letter.
func isText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// notRPC reads the rest of the answer's first line (briefly) and names what answered instead of an RPC server.
func (r *rpcConn) notRPC(head []byte) error {
	_ = r.c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 120)
	n, _ := r.c.Read(buf)
	line := string(head) + string(buf[:n])
	if i := strings.IndexAny(line, "\r\n"); i >= 0 {
		line = line[:i]
	}
	what := "text"
	switch {
	case strings.HasPrefix(line, "HTTP/"):
		what = "HTTP"
	case strings.HasPrefix(line, "SSH-"):
		what = "SSH"
	}
	return &notRPCError{addr: r.c.RemoteAddr().String(), what: what, line: line}
}

// notRPCError is an answer that is not RPC at all: another service listens where the RPC service should.
type notRPCError struct{ addr, what, line string }

func (e *notRPCError) Error() string { return e.msg().String() }

// Localize is the error as a message.
func (e *notRPCError) Localize() i18n.Msg { return e.msg() }

func (e *notRPCError) msg() i18n.Msg { return i18n.M("nfs.rpc.notrpc", e.addr, e.what, e.line) }

// rpcMapping is one portmapper registration.
type rpcMapping struct {
	Prog, Vers, Proto, Port uint32
}

func (m rpcMapping) String() string {
	proto := strconv.Itoa(int(m.Proto))
	switch m.Proto {
	case ipprotoTCP:
		proto = "tcp"
	case ipprotoUDP:
		proto = "udp"
	}
	return fmt.Sprintf("%s v%d %s/%d", progName(m.Prog), m.Vers, proto, m.Port)
}

func progName(p uint32) string {
	switch p {
	case progPortmap:
		return "portmapper"
	case progNFS:
		return "nfs"
	case progMount:
		return "mountd"
	case 100021:
		return "nlockmgr"
	case 100024:
		return "status"
	case 100011:
		return "rquotad"
	case 100227:
		return "nfs_acl"
	}
	return strconv.Itoa(int(p))
}

// pmapDump lists the portmapper's registrations (portmapper version 2, which every rpcbind still serves).
func (r *rpcConn) pmapDump(ctx context.Context) ([]rpcMapping, error) {
	x, err := r.call(ctx, progPortmap, 2, pmapProcDump, nil, -1, -1)
	if err != nil {
		return nil, err
	}
	var out []rpcMapping
	for x.u32() == 1 && x.err == nil && len(out) < 10000 {
		out = append(out, rpcMapping{x.u32(), x.u32(), x.u32(), x.u32()})
	}
	return out, x.err
}

// pmapGetport asks for the TCP port of prog/vers (0 = not registered).
func (r *rpcConn) pmapGetport(ctx context.Context, prog, vers uint32) (int, error) {
	var a xdrWriter
	a.u32(prog)
	a.u32(vers)
	a.u32(ipprotoTCP)
	a.u32(0)
	x, err := r.call(ctx, progPortmap, 2, pmapProcGetport, a.Bytes(), -1, -1)
	if err != nil {
		return 0, err
	}
	return int(x.u32()), x.err
}

// null calls procedure 0 (every RPC program's ping).
func (r *rpcConn) null(ctx context.Context, prog, vers uint32) error {
	_, err := r.call(ctx, prog, vers, 0, nil, -1, -1)
	return err
}

// exportEntry is one line of mountd's export list.
type exportEntry struct {
	Dir    string
	Groups []string // hosts, networks or netgroups allowed; empty = everyone
}

// mountExport is MOUNTPROC3_EXPORT: the export list (`showmount -e`).
func (r *rpcConn) mountExport(ctx context.Context) ([]exportEntry, error) {
	x, err := r.call(ctx, progMount, 3, mountProcExport, nil, -1, -1)
	if err != nil {
		return nil, err
	}
	var out []exportEntry
	for x.u32() == 1 && x.err == nil && len(out) < 100000 {
		e := exportEntry{Dir: x.str()}
		for x.u32() == 1 && x.err == nil {
			e.Groups = append(e.Groups, x.str())
		}
		out = append(out, e)
	}
	return out, x.err
}

// mountStatus names MOUNTPROC3_MNT's status codes (RFC 1813, mountstat3).
var mountStatus = map[uint32]string{
	1: "MNT3ERR_PERM (not owner)", 2: "MNT3ERR_NOENT (no such file or directory)", 5: "MNT3ERR_IO (I/O error)",
	13: "MNT3ERR_ACCES (permission denied)", 20: "MNT3ERR_NOTDIR (not a directory)", 22: "MNT3ERR_INVAL (invalid argument)",
	63: "MNT3ERR_NAMETOOLONG (name too long)", 10004: "MNT3ERR_NOTSUPP (operation not supported)",
	10006: "MNT3ERR_SERVERFAULT (server fault)",
}

// mountStatusText names a MOUNTPROC3_MNT status.
func mountStatusText(st uint32) string {
	if name, ok := mountStatus[st]; ok {
		return name
	}
	return fmt.Sprintf("mount status %d", st)
}

// mountMnt is MOUNTPROC3_MNT for dir as uid/gid; it returns the mount status (0 = allowed) and, when allowed,
// the export's root file handle (nil when the reply does not carry a readable one), and unmounts again (UMNT)
// so the server's list of mounts (rmtab) is left as it was.
func (r *rpcConn) mountMnt(ctx context.Context, dir string, uid, gid int) (uint32, []byte, error) {
	var a xdrWriter
	a.str(dir)
	x, err := r.call(ctx, progMount, 3, mountProcMnt, a.Bytes(), uid, gid)
	if err != nil {
		return 0, nil, err
	}
	st := x.u32()
	if x.err != nil {
		return 0, nil, x.err
	}
	if st != 0 {
		return st, nil, nil
	}
	fh := append([]byte(nil), x.opaque(64)...)
	if x.err != nil {
		fh = nil
	}
	_, _ = r.call(ctx, progMount, 3, mountProcUmnt, a.Bytes(), uid, gid)
	return st, fh, nil
}
