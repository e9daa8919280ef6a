package nfs

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

// freePort returns a TCP port on 127.0.0.1 where nothing listens.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return p
}

func TestCheckServerNothingListens(t *testing.T) {
	p := freePort(t)
	rs := CheckServer(context.Background(), ServerCheck{Host: "127.0.0.1", ExportPath: "/srv/es", Timeout: 2 * time.Second,
		PortmapPort: p, NFSPort: p, MountPort: p})
	wantStatus(t, rs, "nfs.server.resolve", OK)
	wantStatus(t, rs, "nfs.server.portmapper", Fail, "connection refused", "systemctl enable --now rpcbind", "pure Go")
	wantStatus(t, rs, "nfs.server.nfs", Fail, "connection refused", "nfs-server")
	wantStatus(t, rs, "nfs.server.mountd", Fail, "connection refused")
	if _, ok := statusOf(rs, "nfs.server.exports"); ok {
		t.Error("export list reported although mountd is down")
	}
}

// A port that accepts connections but never answers looks like a server behind a firewall that drops replies,
// or a hung server: the check must give up after its time-out and say so.
func TestCheckServerSilent(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	p := l.Addr().(*net.TCPAddr).Port
	start := time.Now()
	rs := CheckServer(context.Background(), ServerCheck{Host: "127.0.0.1", ExportPath: "/srv/es", Timeout: 300 * time.Millisecond,
		PortmapPort: p, NFSPort: p, MountPort: p})
	wantStatus(t, rs, "nfs.server.portmapper", Fail, "no answer within 300ms", "firewall")
	wantStatus(t, rs, "nfs.server.nfs", Fail, "no answer within")
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the check hung for %s", d) // not a timing assertion: a guard against waiting forever
	}
}

func TestCheckServerBadHost(t *testing.T) {
	rs := CheckServer(context.Background(), ServerCheck{Host: "", ExportPath: "/x"})
	wantStatus(t, rs, "nfs.server.resolve", Fail, "no NFS server given")
	rs = CheckServer(context.Background(), ServerCheck{Host: "no-such-host.invalid", ExportPath: "/x", Timeout: 2 * time.Second})
	wantStatus(t, rs, "nfs.server.resolve", Fail, "cannot resolve no-such-host.invalid")
	if len(rs) != 1 {
		t.Errorf("checks went on without an address: %v", rs)
	}
}

func TestXDRRoundTrip(t *testing.T) {
	var w xdrWriter
	w.u32(7)
	w.str("/srv/es backup")
	w.opaque([]byte{1, 2, 3, 4, 5})
	w.u32(9)
	if w.Len()%4 != 0 {
		t.Fatalf("not padded: %d bytes", w.Len())
	}
	r := &xdrReader{b: w.Bytes()}
	if r.u32() != 7 || r.str() != "/srv/es backup" || string(r.opaque(10)) != "\x01\x02\x03\x04\x05" || r.u32() != 9 || r.err != nil {
		t.Fatalf("round trip failed: %v", r.err)
	}
	r.u32()
	if r.err == nil {
		t.Error("reading past the end gave no error")
	}
	bad := &xdrReader{b: []byte{0, 0, 0, 200, 1}}
	bad.opaque(100)
	if bad.err == nil || !strings.Contains(bad.err.Error(), "length") {
		t.Errorf("oversized opaque: %v", bad.err)
	}
}

func TestGroupsAllow(t *testing.T) {
	a := mustAddr(t, "10.0.0.21")
	for _, c := range []struct {
		groups []string
		want   bool
	}{
		{nil, true},
		{[]string{"*"}, true},
		{[]string{"10.0.0.0/24"}, true},
		{[]string{"10.0.1.0/24", "10.0.0.21"}, true},
		{[]string{"10.0.1.0/24"}, false},
		{[]string{"@netgroup", "other.example.com"}, false},
	} {
		if got := groupsAllow(c.groups, a); got != c.want {
			t.Errorf("%v: %v", c.groups, got)
		}
	}
}

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestIsThisHost(t *testing.T) {
	h, _ := os.Hostname()
	for host, want := range map[string]bool{"127.0.0.1": true, "::1": true, "[::1]": true, "localhost": true, h: true, "192.0.2.77": false, "": false} {
		if got := IsThisHost(context.Background(), host); got != want {
			t.Errorf("%q: %v, want %v", host, got, want)
		}
	}
}

func TestCheckWriteOverNFSNothingListens(t *testing.T) {
	p := freePort(t)
	r := CheckWriteOverNFS(context.Background(), WriteCheck{Server: ServerCheck{Host: "127.0.0.1", ExportPath: "/srv/es", Timeout: time.Second, PortmapPort: p}, UID: 1000, GID: 1000})
	wantStatus(t, []Result{r}, "nfs.server.write", Fail, "portmapper", "connection refused", "uid 1000 gid 1000")
	r = CheckWriteOverNFS(context.Background(), WriteCheck{Server: ServerCheck{Host: "127.0.0.1", ExportPath: "/srv/es", Timeout: time.Second, MountPort: p, NFSPort: p}, UID: 1000, GID: 1000})
	wantStatus(t, []Result{r}, "nfs.server.write", Fail, "mount request", "connection refused")
}
