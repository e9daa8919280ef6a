//go:build integration

package nfs

// Integration tests against a real NFS server: nfs-ganesha started by testenv/nfs.sh on 127.0.0.1. They fail,
// never skip, when it is not running: start it with `testenv/nfs.sh start` (as root).

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

type nfsTestEnv struct {
	Host, Export, SquashExport, DeniedExport, ROExport string
}

// loadNFSEnv reads ESM_NFS_* from the environment or from the env file testenv/nfs.sh wrote.
func loadNFSEnv(t *testing.T) nfsTestEnv {
	t.Helper()
	vars := map[string]string{}
	var files []string
	if d := os.Getenv("ESM_NFS_RUN_DIR"); d != "" {
		files = append(files, filepath.Join(d, "env"))
	}
	if d := os.Getenv("ESM_TESTENV_DIR"); d != "" {
		files = append(files, filepath.Join(d, "nfs", "env"))
	}
	_, here, _, _ := runtime.Caller(0)
	files = append(files, filepath.Join(filepath.Dir(here), "..", "testenv", ".run", "nfs", "env"))
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			k, v, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export "), "=")
			if ok {
				vars[k] = strings.Trim(v, `'"`)
			}
		}
		fh.Close()
		break
	}
	get := func(k string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return vars[k]
	}
	e := nfsTestEnv{Host: get("ESM_NFS_HOST"), Export: get("ESM_NFS_EXPORT"), SquashExport: get("ESM_NFS_EXPORT_SQUASH"), DeniedExport: get("ESM_NFS_EXPORT_DENIED"), ROExport: get("ESM_NFS_EXPORT_RO")}
	if e.Host == "" || e.Export == "" || e.SquashExport == "" || e.DeniedExport == "" || e.ROExport == "" {
		t.Fatalf("no NFS test server: ESM_NFS_HOST and ESM_NFS_EXPORT{,_SQUASH,_DENIED,_RO} are not set and none of %v has them; start it with `sudo testenv/nfs.sh start`", files)
	}
	port := get("ESM_NFS_PORT")
	if port == "" {
		port = "2049"
	}
	c, err := net.DialTimeout("tcp", net.JoinHostPort(e.Host, port), 5*time.Second)
	if err != nil {
		t.Fatalf("the NFS test server %s does not answer on port %s (%v): start it with `sudo testenv/nfs.sh start`", e.Host, port, err)
	}
	c.Close()
	return e
}

func TestIntegrationServerExportOK(t *testing.T) {
	e := loadNFSEnv(t)
	for _, exp := range []string{e.Export, e.SquashExport, e.Export + "/"} {
		rs := CheckServer(context.Background(), ServerCheck{Host: e.Host, ExportPath: exp, Timeout: 5 * time.Second})
		for _, r := range rs {
			if r.Status != OK {
				t.Errorf("%s: %s", exp, r)
			}
		}
		wantStatus(t, rs, "nfs.server.portmapper", OK, "nfs v3,4 tcp/2049", "mountd")
		wantStatus(t, rs, "nfs.server.nfs", OK, "NFS version 3 and 4")
		wantStatus(t, rs, "nfs.server.exports", OK, e.Export)
		wantStatus(t, rs, "nfs.server.mount", OK, "succeeded")
		if len(rs) != 6 {
			t.Errorf("want 6 results, got %d: %v", len(rs), rs)
		}
	}
}

// The server does not let this host mount the denied export (ganesha hides it from the export list too) nor a
// path it does not export.
func TestIntegrationServerExportRefused(t *testing.T) {
	e := loadNFSEnv(t)
	for _, exp := range []string{e.DeniedExport, filepath.Join(filepath.Dir(e.Export), "not-exported")} {
		rs := CheckServer(context.Background(), ServerCheck{Host: e.Host, ExportPath: exp, Timeout: 5 * time.Second})
		wantStatus(t, rs, "nfs.server.portmapper", OK)
		wantStatus(t, rs, "nfs.server.mountd", OK)
		wantStatus(t, rs, "nfs.server.exports", Fail, "is not among them", exp)
		wantStatus(t, rs, "nfs.server.mount", Fail, "MNT3ERR_ACCES", "client list")
	}
}

// Against the real server's host with ports where nothing listens.
func TestIntegrationServerNothingListens(t *testing.T) {
	e := loadNFSEnv(t)
	p := freePort(t)
	rs := CheckServer(context.Background(), ServerCheck{Host: e.Host, ExportPath: e.Export, Timeout: 2 * time.Second, PortmapPort: p, NFSPort: p, MountPort: p})
	wantStatus(t, rs, "nfs.server.portmapper", Fail, "connection refused")
	wantStatus(t, rs, "nfs.server.nfs", Fail, "connection refused")
	wantStatus(t, rs, "nfs.server.mountd", Fail, "connection refused")
	// the real portmapper, but NFS on a dead port: the portmapper's word is not taken for the NFS service
	rs = CheckServer(context.Background(), ServerCheck{Host: e.Host, ExportPath: e.Export, Timeout: 2 * time.Second, NFSPort: p})
	wantStatus(t, rs, "nfs.server.portmapper", OK)
	wantStatus(t, rs, "nfs.server.nfs", Fail, "connection refused")
	wantStatus(t, rs, "nfs.server.mount", OK)
}

// The built-in RPC client sees what the system's rpcinfo and showmount see (nfs-common must be installed).
func TestIntegrationServerAgreesWithSystemTools(t *testing.T) {
	e := loadNFSEnv(t)
	showmount, err := exec.LookPath("showmount")
	if err != nil {
		t.Fatal("showmount is needed for this comparison: apt-get install -y nfs-common")
	}
	out, err := exec.Command(showmount, "--no-headers", "-e", e.Host).CombinedOutput()
	if err != nil {
		t.Fatalf("showmount -e %s: %v: %s", e.Host, err, out)
	}
	var theirs []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			theirs = append(theirs, f[0])
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var ours []string
	err = rpcDo(ctx, e.Host+":111", 5*time.Second, func(ctx context.Context, r *rpcConn) error {
		port, err := r.pmapGetport(ctx, progMount, 3)
		if err != nil || port == 0 {
			t.Fatalf("GETPORT mountd: %d %v", port, err)
		}
		return rpcDo(ctx, e.Host+":"+strconv.Itoa(port), 5*time.Second, func(ctx context.Context, m *rpcConn) error {
			ex, err := m.mountExport(ctx)
			for _, x := range ex {
				ours = append(ours, x.Dir)
			}
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(ours)
	sort.Strings(theirs)
	if strings.Join(ours, " ") != strings.Join(theirs, " ") {
		t.Errorf("export list: ours %v, showmount %v", ours, theirs)
	}
	rpcinfo, err := exec.LookPath("rpcinfo")
	if err != nil {
		t.Fatal("rpcinfo is needed for this comparison: apt-get install -y rpcbind")
	}
	out, err = exec.Command(rpcinfo, "-p", e.Host).CombinedOutput()
	if err != nil {
		t.Fatalf("rpcinfo -p: %v: %s", err, out)
	}
	rs := CheckServer(ctx, ServerCheck{Host: e.Host, Timeout: 5 * time.Second})
	pm, _ := statusOf(rs, "nfs.server.portmapper")
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) == 5 && f[2] == "tcp" && (f[4] == "nfs" || f[4] == "mountd") {
			if !strings.Contains(pm.Evidence, f[4]) || !strings.Contains(pm.Evidence, "tcp/"+f[3]) {
				t.Errorf("rpcinfo lists %s on tcp/%s, our evidence: %s", f[4], f[3], pm.Evidence)
			}
		}
	}
}

// The exported directory itself, checked as a repository path on the server host.
func TestIntegrationRepositoryPathOnExport(t *testing.T) {
	e := loadNFSEnv(t)
	rs := CheckRepositoryPath(context.Background(), PathCheck{Path: e.Export, ESUID: os.Geteuid(), ESGID: os.Getegid(), ClusterNodes: 1, BytesNeeded: 1 << 20})
	wantStatus(t, rs, "repo.path", OK)
	wantStatus(t, rs, "repo.writable", OK)
	wantStatus(t, rs, "repo.space", OK)
}
