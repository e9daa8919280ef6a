package nfs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/esmigrate/esmigrate/i18n"
)

// ServerCheck says which NFS server to ask and what about.
type ServerCheck struct {
	Host       string        // the server named in the mount (Mount.Server) or given by the user
	ExportPath string        // the export to look for ("" = only reachability)
	Timeout    time.Duration // per step (connect, each call); 0 = 5s

	// Ports, overridable for tests. PortmapPort 0 = 111. NFSPort and MountPort 0 = as the portmapper says
	// (NFS falls back to 2049, which NFSv4 clients use without asking).
	PortmapPort, NFSPort, MountPort int
}

// How the checks ask; said in the evidence so an operator can reproduce them.
var rpcMethod = i18n.M("nfs.rpc.method")

// CheckServer asks the NFS server whether it answers: portmapper (111), NFS (2049, NULL call for v3 and v4),
// mountd (its port from the portmapper), the export list (does it contain ExportPath, for which clients), and a
// real MNT call for ExportPath (does the server let this host mount it). Connection refused means the service
// is down; no answer within the time-out means a firewall drops the packets.
func CheckServer(ctx context.Context, c ServerCheck) []Result {
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.PortmapPort == 0 {
		c.PortmapPort = 111
	}
	var out []Result
	host := strings.TrimSuffix(strings.TrimPrefix(c.Host, "["), "]")

	// 0. resolve
	res := newResult("nfs.server.resolve")
	if host == "" {
		res.say(Fail, i18n.M("nfs.server.none"), i18n.M("nfs.server.none.fix"))
		return append(out, res)
	}
	rctx, cancel := context.WithTimeout(ctx, c.Timeout)
	addrs, err := net.DefaultResolver.LookupHost(rctx, host)
	cancel()
	if err != nil || len(addrs) == 0 {
		res.say(Fail, i18n.M("nfs.server.unresolved", host, err), i18n.M("nfs.server.unresolved.fix", host))
		return append(out, res)
	}
	ip := pickAddr(addrs)
	res.say(OK, i18n.M("nfs.server.resolved", host, strings.Join(addrs, ", ")), i18n.Msg{})
	out = append(out, res)

	// 1. portmapper
	pm := newResult("nfs.server.portmapper")
	var maps []rpcMapping
	pmAddr := net.JoinHostPort(ip, fmt.Sprint(c.PortmapPort))
	pmErr := rpcDo(ctx, pmAddr, c.Timeout, func(ctx context.Context, r *rpcConn) error {
		var err error
		maps, err = r.pmapDump(ctx)
		return err
	})
	if pmErr == nil {
		pm.say(OK, i18n.Join("list.semi", i18n.M("nfs.server.lists", pmAddr, summarizeMaps(maps)), rpcMethod), i18n.Msg{})
	} else {
		// Fail; it may become Warn below when NFSv4 answers without it
		pm.say(Fail, i18n.Join("list.semi", i18n.Join("list.colon", i18n.Name(pmAddr), netErrText(pmErr, c.Timeout)), rpcMethod),
			netFix(pmErr, host, fmt.Sprintf("%d/tcp, %d/udp (rpcbind)", c.PortmapPort, c.PortmapPort), i18n.M("nfs.server.rpcbind.start", host)))
	}

	// 2. NFS
	nfsPort := c.NFSPort
	if nfsPort == 0 {
		nfsPort = findPort(maps, progNFS, 0)
	}
	if nfsPort == 0 {
		nfsPort = 2049
	}
	nr := newResult("nfs.server.nfs")
	nfsAddr := net.JoinHostPort(ip, fmt.Sprint(nfsPort))
	var versions []string
	var verErrs []i18n.Msg
	nfsErr := rpcDo(ctx, nfsAddr, c.Timeout, func(ctx context.Context, r *rpcConn) error {
		for _, v := range []uint32{3, 4} {
			err := r.null(ctx, progNFS, v)
			var re *rpcError
			switch {
			case err == nil:
				versions = append(versions, fmt.Sprint(v))
			case errors.As(err, &re):
				verErrs = append(verErrs, i18n.Join("list.colon", i18n.Name(fmt.Sprintf("v%d", v)), i18n.MsgOf(err)))
			default:
				return err
			}
		}
		return nil
	})
	switch {
	case nfsErr != nil:
		nr.say(Fail, i18n.Join("list.colon", i18n.Name(nfsAddr), netErrText(nfsErr, c.Timeout)),
			netFix(nfsErr, host, fmt.Sprintf("%d/tcp (nfs)", nfsPort), i18n.M("nfs.server.nfs.start", host)))
	case len(versions) == 0:
		nr.say(Fail, i18n.M("nfs.server.nfs.neither", nfsAddr, i18n.List("list.semi", verErrs)), i18n.M("nfs.server.nfs.neither.fix", nfsPort, host))
	default:
		ev := i18n.M("nfs.server.nfs.ok", nfsAddr, i18n.List("list.and", versions))
		nr.say(OK, i18n.List("list.semi", append([]i18n.Msg{ev}, verErrs...)), i18n.Msg{})
	}
	v4 := nfsErr == nil && slices.Contains(versions, "4")
	if pmErr != nil && v4 {
		pm.Status = Warn
		pm.setFix(i18n.Join("list.semi", pm.FixMsg, i18n.M("nfs.server.v4only")))
	}
	out = append(out, pm, nr)

	// 3. mountd
	md := newResult("nfs.server.mountd")
	mPort := c.MountPort
	if mPort == 0 {
		mPort = findPort(maps, progMount, 3)
	}
	if mPort == 0 {
		ev := i18n.M("nfs.server.mountd.noport")
		if pmErr != nil {
			ev = i18n.M("nfs.server.mountd.unknown")
		}
		md.say(Fail, ev, i18n.M("nfs.server.mountd.fix", host))
		if v4 {
			md.Status = Warn
			md.setFix(i18n.Join("list.semi", md.FixMsg, i18n.M("nfs.server.mountd.v4")))
		}
		out = append(out, md)
		return out
	}
	mAddr := net.JoinHostPort(ip, fmt.Sprint(mPort))
	var exports []exportEntry
	var mntStatus uint32
	var reserved bool
	var local netip.Addr
	exportPath := path.Clean(c.ExportPath)
	mdErr := rpcDo(ctx, mAddr, c.Timeout, func(ctx context.Context, r *rpcConn) error {
		reserved = r.reserved
		if ta, ok := r.c.LocalAddr().(*net.TCPAddr); ok {
			local, _ = netip.AddrFromSlice(ta.IP)
			local = local.Unmap()
		}
		if err := r.null(ctx, progMount, 3); err != nil {
			return err
		}
		var err error
		if exports, err = r.mountExport(ctx); err != nil {
			return i18n.Errorf("nfs.server.exportlist", err)
		}
		if c.ExportPath != "" {
			if mntStatus, _, err = r.mountMnt(ctx, exportPath, 0, 0); err != nil {
				return i18n.Errorf("nfs.server.mountrequest", err)
			}
		}
		return nil
	})
	if mdErr != nil {
		md.say(Fail, i18n.Join("list.colon", i18n.Name(mAddr), netErrText(mdErr, c.Timeout)),
			netFix(mdErr, host, fmt.Sprintf("%d/tcp (mountd: mountd --port, RPCMOUNTDOPTS)", mPort), i18n.M("nfs.server.restart", host)))
		return append(out, md)
	}
	md.say(OK, i18n.M("nfs.server.mountd.ok", mAddr), i18n.Msg{})
	out = append(out, md)
	if c.ExportPath == "" {
		return out
	}

	// 4. export list
	ex := newResult("nfs.server.exports")
	var listed []i18n.Msg
	var hit *exportEntry
	for i, e := range exports {
		if len(e.Groups) > 0 {
			listed = append(listed, i18n.Name(e.Dir+" ("+strings.Join(e.Groups, ",")+")"))
		} else {
			listed = append(listed, i18n.M("nfs.server.toall", e.Dir))
		}
		if path.Clean(e.Dir) == exportPath || (hit == nil && under(exportPath, path.Clean(e.Dir))) {
			hit = &exports[i]
		}
	}
	listing := i18n.M("nfs.server.emptylist")
	if len(listed) > 0 {
		listing = i18n.List("list.semi", listed)
	}
	me := describeLocal(local)
	switch {
	case hit == nil:
		ex.say(Fail, i18n.M("nfs.server.notexported", host, listing, exportPath), i18n.M("nfs.server.notexported.fix", exportPath, host, me))
	case !groupsAllow(hit.Groups, local):
		ex.say(Warn, i18n.M("nfs.server.notclient", host, hit.Dir, strings.Join(hit.Groups, ","), me), i18n.M("nfs.server.notclient.fix", me, hit.Dir, host))
	default:
		ev := i18n.M("nfs.server.exportlist.ok", host, listing)
		if path.Clean(hit.Dir) != exportPath {
			ev = i18n.Join("list.semi", ev, i18n.M("nfs.server.through", exportPath, hit.Dir))
		}
		ex.say(OK, ev, i18n.Msg{})
	}
	out = append(out, ex)

	// 5. may this host mount it?
	mr := newResult("nfs.server.mount")
	port := i18n.M("nfs.server.port.unprivileged")
	if reserved {
		port = i18n.M("nfs.server.port.reserved")
	}
	if mntStatus == 0 {
		mr.say(OK, i18n.M("nfs.server.mnt.ok", exportPath, me, port), i18n.Msg{})
		return append(out, mr)
	}
	var fix i18n.Msg
	switch mntStatus {
	case 13, 1:
		fix = i18n.M("nfs.server.mnt.refused.fix", host, me, exportPath)
		if !reserved {
			fix = i18n.Join("list.semi", fix, i18n.M("nfs.server.mnt.root.fix"))
		}
	case 2:
		fix = i18n.M("nfs.server.mnt.noent.fix", exportPath, host)
	default:
		fix = i18n.M("nfs.server.mnt.log.fix", host)
	}
	mr.say(Fail, i18n.M("nfs.server.mnt.failed", exportPath, me, port, mountStatusText(mntStatus)), fix)
	return append(out, mr)
}

// rpcDo dials addr and runs f with a deadline of timeout for the connect and for the whole exchange.
func rpcDo(ctx context.Context, addr string, timeout time.Duration, f func(context.Context, *rpcConn) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r, err := dialRPC(ctx, addr, timeout)
	if err != nil {
		return err
	}
	defer r.Close()
	return f(ctx, r)
}

func pickAddr(addrs []string) string {
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil && ip.Is4() {
			return a
		}
	}
	return addrs[0]
}

func findPort(maps []rpcMapping, prog, vers uint32) int {
	for _, m := range maps {
		if m.Prog == prog && m.Proto == ipprotoTCP && (vers == 0 || m.Vers == vers) {
			return int(m.Port)
		}
	}
	return 0
}

// summarizeMaps groups registrations as rpcinfo -s does: "nfs v3,v4 tcp/2049".
func summarizeMaps(maps []rpcMapping) i18n.Msg {
	type key struct {
		prog, proto, port uint32
	}
	vers := map[key][]string{}
	var keys []key
	for _, m := range maps {
		k := key{m.Prog, m.Proto, m.Port}
		if _, ok := vers[k]; !ok {
			keys = append(keys, k)
		}
		vers[k] = append(vers[k], fmt.Sprint(m.Vers))
	}
	sort.SliceStable(keys, func(i, j int) bool { return keys[i].prog < keys[j].prog })
	var s []string
	for _, k := range keys {
		proto := "udp"
		if k.proto == ipprotoTCP {
			proto = "tcp"
		}
		s = append(s, fmt.Sprintf("%s v%s %s/%d", progName(k.prog), strings.Join(vers[k], ","), proto, k.port))
	}
	if len(s) == 0 {
		return i18n.M("nfs.server.noprograms")
	}
	return i18n.Name(strings.Join(s, "; "))
}

func netErrText(err error, timeout time.Duration) i18n.Msg {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return i18n.M("nfs.net.refused")
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return i18n.M("es.reason.silent", timeout.String())
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return i18n.M("nfs.net.unreachable", err)
	}
	return i18n.MsgOf(err)
}

// netFix turns a connection error into what to do: refused = the service is down, silence = a firewall.
func netFix(err error, host, ports string, startIt i18n.Msg) i18n.Msg {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return i18n.Join("list.semi", startIt, i18n.M("nfs.net.firewall.rejects", host, ports))
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return i18n.M("nfs.net.firewall.drops", host, ports)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return i18n.M("nfs.net.route", host)
	}
	var re *rpcError
	if errors.As(err, &re) {
		return i18n.M("nfs.net.rpcrefused", host)
	}
	var nr *notRPCError
	if errors.As(err, &nr) {
		return i18n.M("nfs.rpc.notrpc.fix", host, ports)
	}
	return i18n.M("nfs.net.check", host)
}

func describeLocal(a netip.Addr) i18n.Msg {
	h, _ := os.Hostname()
	switch {
	case a.IsValid() && h != "":
		return i18n.Name(fmt.Sprintf("%s (%s)", a, h))
	case a.IsValid():
		return i18n.Name(a.String())
	case h != "":
		return i18n.Name(h)
	}
	return i18n.M("nfs.thishost")
}

// groupsAllow says whether an export's groups admit addr by address: "*", an empty list, an address or a
// network. Host names, wildcards and @netgroups would need the server's resolver, so they do not match here;
// the MNT call is the authoritative answer.
func groupsAllow(groups []string, addr netip.Addr) bool {
	if len(groups) == 0 {
		return true
	}
	for _, g := range groups {
		if g == "*" || g == "(everyone)" || g == "everyone" {
			return true
		}
		if !addr.IsValid() {
			continue
		}
		if p, err := netip.ParsePrefix(g); err == nil && p.Contains(addr) {
			return true
		}
		if a, err := netip.ParseAddr(g); err == nil && a.Unmap() == addr {
			return true
		}
		if h, _ := os.Hostname(); h != "" && (g == h || strings.HasPrefix(g, h+".")) {
			return true
		}
	}
	return false
}

// IsThisHost says whether host (a name or an address, as in the mount source) is this machine: a loopback
// address, one of its interface addresses, or its host name. The engine uses it to decide whether the
// /etc/exports checks (CheckExports, CheckExportsApplied) apply on this host.
func IsThisHost(ctx context.Context, host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "" {
		return false
	}
	if h, err := os.Hostname(); err == nil && (strings.EqualFold(host, h) || strings.HasPrefix(strings.ToLower(host), strings.ToLower(h)+".")) {
		return true
	}
	var addrs []string
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []string{a.String()}
	} else {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		addrs, _ = net.DefaultResolver.LookupHost(ctx, host)
	}
	local := map[netip.Addr]bool{}
	if ifaddrs, err := net.InterfaceAddrs(); err == nil {
		for _, ia := range ifaddrs {
			if p, err := netip.ParsePrefix(ia.String()); err == nil {
				local[p.Addr().Unmap()] = true
			}
		}
	}
	for _, s := range addrs {
		a, err := netip.ParseAddr(s)
		if err != nil {
			continue
		}
		if a = a.Unmap(); a.IsLoopback() || local[a] {
			return true
		}
	}
	return false
}
