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
const rpcMethod = "asked with esmigrate's built-in ONC RPC client (pure Go: rpcinfo and showmount are not needed; `rpcinfo -p HOST` and `showmount -e HOST` show the same)"

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
	res := Result{ID: "nfs.server.resolve", Title: "NFS server name resolves"}
	if host == "" {
		res.Status = Fail
		res.Evidence = "no NFS server given and none found in the mount table"
		res.Fix = "give the NFS server's name or address"
		return append(out, res)
	}
	rctx, cancel := context.WithTimeout(ctx, c.Timeout)
	addrs, err := net.DefaultResolver.LookupHost(rctx, host)
	cancel()
	if err != nil || len(addrs) == 0 {
		res.Status = Fail
		res.Evidence = fmt.Sprintf("cannot resolve %s: %v", host, err)
		res.Fix = fmt.Sprintf("check the name %s (DNS or /etc/hosts), or use the server's IP address", host)
		return append(out, res)
	}
	ip := pickAddr(addrs)
	res.Status = OK
	res.Evidence = fmt.Sprintf("%s is %s", host, strings.Join(addrs, ", "))
	out = append(out, res)

	// 1. portmapper
	pm := Result{ID: "nfs.server.portmapper", Title: "Portmapper (rpcbind) answers"}
	var maps []rpcMapping
	pmAddr := net.JoinHostPort(ip, fmt.Sprint(c.PortmapPort))
	pmErr := rpcDo(ctx, pmAddr, c.Timeout, func(ctx context.Context, r *rpcConn) error {
		var err error
		maps, err = r.pmapDump(ctx)
		return err
	})
	if pmErr == nil {
		pm.Status = OK
		pm.Evidence = fmt.Sprintf("%s lists %s; %s", pmAddr, summarizeMaps(maps), rpcMethod)
	} else {
		pm.Status = Fail // may become Warn below when NFSv4 answers without it
		pm.Evidence = fmt.Sprintf("%s: %s; %s", pmAddr, netErrText(pmErr, c.Timeout), rpcMethod)
		pm.Fix = netFix(pmErr, host, fmt.Sprintf("%d/tcp and %d/udp (rpcbind)", c.PortmapPort, c.PortmapPort),
			"start rpcbind on "+host+": systemctl enable --now rpcbind")
	}

	// 2. NFS
	nfsPort := c.NFSPort
	if nfsPort == 0 {
		nfsPort = findPort(maps, progNFS, 0)
	}
	if nfsPort == 0 {
		nfsPort = 2049
	}
	nr := Result{ID: "nfs.server.nfs", Title: "NFS service answers"}
	nfsAddr := net.JoinHostPort(ip, fmt.Sprint(nfsPort))
	var versions []string
	var verErrs []string
	nfsErr := rpcDo(ctx, nfsAddr, c.Timeout, func(ctx context.Context, r *rpcConn) error {
		for _, v := range []uint32{3, 4} {
			err := r.null(ctx, progNFS, v)
			var re *rpcError
			switch {
			case err == nil:
				versions = append(versions, fmt.Sprint(v))
			case errors.As(err, &re):
				verErrs = append(verErrs, fmt.Sprintf("v%d: %v", v, err))
			default:
				return err
			}
		}
		return nil
	})
	switch {
	case nfsErr != nil:
		nr.Status = Fail
		nr.Evidence = fmt.Sprintf("%s: %s", nfsAddr, netErrText(nfsErr, c.Timeout))
		nr.Fix = netFix(nfsErr, host, fmt.Sprintf("%d/tcp (nfs)", nfsPort), "start the NFS server on "+host+": systemctl enable --now nfs-server (Debian: nfs-kernel-server)")
	case len(versions) == 0:
		nr.Status = Fail
		nr.Evidence = fmt.Sprintf("%s accepts connections but answers neither NFSv3 nor NFSv4: %s", nfsAddr, strings.Join(verErrs, "; "))
		nr.Fix = fmt.Sprintf("check that port %d on %s is really the NFS server", nfsPort, host)
	default:
		nr.Status = OK
		nr.Evidence = fmt.Sprintf("%s answers NFS version %s (NULL call)", nfsAddr, strings.Join(versions, " and "))
		if len(verErrs) > 0 {
			nr.Evidence += "; " + strings.Join(verErrs, "; ")
		}
	}
	v4 := nfsErr == nil && slices.Contains(versions, "4")
	if pmErr != nil && v4 {
		pm.Status = Warn
		pm.Fix += "; NFSv4 mounts work without the portmapper, NFSv3 mounts and export listing do not"
	}
	out = append(out, pm, nr)

	// 3. mountd
	md := Result{ID: "nfs.server.mountd", Title: "mountd answers"}
	mPort := c.MountPort
	if mPort == 0 {
		mPort = findPort(maps, progMount, 3)
	}
	if mPort == 0 {
		md.Status = Fail
		if pmErr != nil {
			md.Evidence = "mountd's port is unknown: the portmapper did not answer"
		} else {
			md.Evidence = "the portmapper has no mountd v3 over TCP"
		}
		md.Fix = "start the NFS server's mountd on " + host + " (systemctl restart nfs-server); NFSv3 mounts need it"
		if v4 {
			md.Status = Warn
			md.Fix += "; NFSv4-only mounts work without it, but the export list cannot be checked"
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
			return fmt.Errorf("export list: %w", err)
		}
		if c.ExportPath != "" {
			if mntStatus, _, err = r.mountMnt(ctx, exportPath, 0, 0); err != nil {
				return fmt.Errorf("mount request: %w", err)
			}
		}
		return nil
	})
	if mdErr != nil {
		md.Status = Fail
		md.Evidence = fmt.Sprintf("%s: %s", mAddr, netErrText(mdErr, c.Timeout))
		md.Fix = netFix(mdErr, host, fmt.Sprintf("%d/tcp (mountd; pin it with mountd --port or RPCMOUNTDOPTS so the firewall can allow it)", mPort),
			"restart the NFS server on "+host+" (systemctl restart nfs-server)")
		return append(out, md)
	}
	md.Status = OK
	md.Evidence = fmt.Sprintf("%s answers MOUNT v3", mAddr)
	out = append(out, md)
	if c.ExportPath == "" {
		return out
	}

	// 4. export list
	ex := Result{ID: "nfs.server.exports", Title: "Export list contains the path"}
	var listed []string
	var hit *exportEntry
	for i, e := range exports {
		g := "everyone"
		if len(e.Groups) > 0 {
			g = strings.Join(e.Groups, ",")
		}
		listed = append(listed, e.Dir+" ("+g+")")
		if path.Clean(e.Dir) == exportPath || (hit == nil && under(exportPath, path.Clean(e.Dir))) {
			hit = &exports[i]
		}
	}
	listing := "empty"
	if len(listed) > 0 {
		listing = strings.Join(listed, "; ")
	}
	me := describeLocal(local)
	switch {
	case hit == nil:
		ex.Status = Fail
		ex.Evidence = fmt.Sprintf("%s exports: %s; %s is not among them", host, listing, exportPath)
		ex.Fix = fmt.Sprintf("export %s on %s to %s (see the setup commands), then exportfs -ra; some servers hide exports a host may not mount, so also check that %s is in the export's client list", exportPath, host, me, me)
	case !groupsAllow(hit.Groups, local):
		ex.Status = Warn
		ex.Evidence = fmt.Sprintf("%s exports %s to %s; this host (%s) matches none of them by address (names and netgroups are not resolved here)", host, hit.Dir, strings.Join(hit.Groups, ","), me)
		ex.Fix = fmt.Sprintf("add %s to the client list of %s in /etc/exports on %s, then exportfs -ra", me, hit.Dir, host)
	default:
		ex.Status = OK
		ex.Evidence = fmt.Sprintf("%s exports: %s", host, listing)
		if path.Clean(hit.Dir) != exportPath {
			ex.Evidence += fmt.Sprintf("; %s is reached through the export %s", exportPath, hit.Dir)
		}
	}
	out = append(out, ex)

	// 5. may this host mount it?
	mr := Result{ID: "nfs.server.mount", Title: "Server lets this host mount the export"}
	port := "an unprivileged source port"
	if reserved {
		port = "a reserved source port, as the kernel client does"
	}
	if mntStatus == 0 {
		mr.Status = OK
		mr.Evidence = fmt.Sprintf("MNT %s from %s (%s) succeeded; unmounted again", exportPath, me, port)
		return append(out, mr)
	}
	mr.Status = Fail
	mr.Evidence = fmt.Sprintf("MNT %s from %s (%s): %s", exportPath, me, port, mountStatusText(mntStatus))
	switch mntStatus {
	case 13, 1:
		mr.Fix = fmt.Sprintf("%s refuses %s for %s: add this host to the export's client list in /etc/exports on %s and run exportfs -ra", host, me, exportPath, host)
		if !reserved {
			mr.Fix += "; or run esmigrate as root (the default 'secure' option refuses unprivileged ports)"
		}
	case 2:
		mr.Fix = fmt.Sprintf("%s does not exist on %s: create it there (mkdir -p) and export it", exportPath, host)
	default:
		mr.Fix = fmt.Sprintf("see the NFS server's log on %s", host)
	}
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
func summarizeMaps(maps []rpcMapping) string {
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
		return "no programs"
	}
	return strings.Join(s, "; ")
}

func netErrText(err error, timeout time.Duration) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused: nothing listens there"
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return fmt.Sprintf("no answer within %s", timeout)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "host unreachable: " + err.Error()
	}
	return err.Error()
}

// netFix turns a connection error into what to do: refused = the service is down, silence = a firewall.
func netFix(err error, host, ports, startIt string) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return startIt + "; if it runs, a firewall on " + host + " rejects " + ports
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return fmt.Sprintf("a firewall between this host and %s drops %s: open them (RHEL: firewall-cmd --permanent --add-service={nfs,rpc-bind,mountd} && firewall-cmd --reload)", host, ports)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "check the network route to " + host
	}
	var re *rpcError
	if errors.As(err, &re) {
		return "the service on " + host + " answered but refused the call: check that it is the NFS server"
	}
	var nr *notRPCError
	if errors.As(err, &nr) {
		return i18n.M("nfs.rpc.notrpc.fix", host, ports).String()
	}
	return "check the NFS server " + host
}

func describeLocal(a netip.Addr) string {
	h, _ := os.Hostname()
	switch {
	case a.IsValid() && h != "":
		return fmt.Sprintf("%s (%s)", a, h)
	case a.IsValid():
		return a.String()
	case h != "":
		return h
	}
	return "this host"
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
