package nfs

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeMountd answers MNT with status (and, for 0, a file handle) and UMNT with nothing, over one connection;
// it reports the procedures it was called with.
func fakeMountd(t *testing.T, status uint32, fh []byte) (addr string, procs <-chan uint32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ch := make(chan uint32, 4)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		for {
			var h [4]byte
			if _, err := io.ReadFull(c, h[:]); err != nil {
				return
			}
			body := make([]byte, binary.BigEndian.Uint32(h[:])&0x7fffffff)
			if _, err := io.ReadFull(c, body); err != nil {
				return
			}
			x := &xdrReader{b: body}
			xid := x.u32()
			x.u32() // CALL
			x.u32() // RPC version
			x.u32() // program
			x.u32() // version
			proc := x.u32()
			ch <- proc
			var w xdrWriter
			w.u32(xid)
			w.u32(1) // REPLY
			w.u32(0) // MSG_ACCEPTED
			w.u32(0) // verifier AUTH_NONE
			w.u32(0)
			w.u32(0) // SUCCESS
			if proc == mountProcMnt {
				w.u32(status)
				if status == 0 {
					w.opaque(fh)
					w.u32(1) // one auth flavor
					w.u32(authSys)
				}
			}
			var rec bytes.Buffer
			binary.Write(&rec, binary.BigEndian, 0x80000000|uint32(w.Len()))
			rec.Write(w.Bytes())
			if _, err := c.Write(rec.Bytes()); err != nil {
				return
			}
		}
	}()
	return l.Addr().String(), ch
}

func TestMountMnt(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status uint32
		fh     []byte
		procs  []uint32
	}{
		{"allowed: the handle, then unmounted", 0, []byte{1, 2, 3, 4, 5}, []uint32{mountProcMnt, mountProcUmnt}},
		{"refused: no handle, nothing to unmount", 13, nil, []uint32{mountProcMnt}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, procs := fakeMountd(t, tc.status, tc.fh)
			var st uint32
			var fh []byte
			err := rpcDo(context.Background(), addr, 2*time.Second, func(ctx context.Context, r *rpcConn) error {
				var err error
				st, fh, err = r.mountMnt(ctx, "/srv/es", 0, 0)
				return err
			})
			if err != nil || st != tc.status || !bytes.Equal(fh, tc.fh) {
				t.Fatalf("status %d, handle %v, error %v; want %d, %v", st, fh, err, tc.status, tc.fh)
			}
			for _, want := range tc.procs {
				if got := <-procs; got != want {
					t.Fatalf("procedure %d called, want %d", got, want)
				}
			}
		})
	}
	if got := mountStatusText(13); got != "MNT3ERR_ACCES (permission denied)" {
		t.Errorf("status 13: %q", got)
	}
	if got := mountStatusText(99); got != "mount status 99" {
		t.Errorf("status 99: %q", got)
	}
}

// textServer answers every connection like a text service: at once (greeting), or only when a line ends (an HTTP
// server reading its request line).
func textServer(t *testing.T, reply string, atOnce bool) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if atOnce {
					c.Write([]byte(reply))
					time.Sleep(time.Second)
					return
				}
				buf := make([]byte, 4096)
				var got []byte
				for !bytes.Contains(got, []byte("\r\n\r\n")) {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					got = append(got, buf[:n]...)
				}
				c.Write([]byte(reply))
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// An answer that is not RPC is named: an HTTP server on the portmapper's port (which answers once its request
// line ends: the check nudges it), an SSH server (which greets at once). Not "no answer", not a firewall.
func TestCheckServerNamesAnAnswerThatIsNotRPC(t *testing.T) {
	for _, c := range []struct {
		name, reply, want string
		atOnce            bool
	}{
		{"HTTP", "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", `not in RPC: it speaks HTTP ("HTTP/1.1 400 Bad Request")`, false},
		{"SSH", "SSH-2.0-OpenSSH_9.2\r\n", `it speaks SSH ("SSH-2.0-OpenSSH_9.2")`, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := textServer(t, c.reply, c.atOnce)
			rs := CheckServer(context.Background(), ServerCheck{Host: "127.0.0.1", Timeout: 2 * time.Second, PortmapPort: p, NFSPort: p, MountPort: p})
			wantStatus(t, rs, "nfs.server.portmapper", Fail, c.want, "another service listens")
			for _, res := range rs {
				if res.ID == "nfs.server.portmapper" && (strings.Contains(res.Evidence, "no answer") || strings.Contains(res.Fix, "firewall")) {
					t.Errorf("taken for a firewall: %s / %s", res.Evidence, res.Fix)
				}
			}
		})
	}
}
