package nfs

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Distro is the family of the hosts the setup commands are for.
type Distro string

const (
	RHEL   Distro = "rhel"   // RHEL, CentOS 7+, Rocky, Alma, Oracle Linux, Fedora, Amazon Linux: yum, firewalld
	Debian Distro = "debian" // Debian, Ubuntu: apt-get, ufw when enabled
)

// DetectDistro reads os-release(5) ("" = /etc/os-release) and returns RHEL or Debian by ID and ID_LIKE, or ""
// when it cannot tell (the wizard then asks).
func DetectDistro(osReleasePath string) Distro {
	if osReleasePath == "" {
		osReleasePath = "/etc/os-release"
	}
	f, err := os.Open(osReleasePath)
	if err != nil {
		return ""
	}
	defer f.Close()
	var ids []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if ok && (k == "ID" || k == "ID_LIKE") {
			ids = append(ids, strings.Fields(strings.Trim(v, `"'`))...)
		}
	}
	for _, id := range ids {
		switch strings.ToLower(id) {
		case "rhel", "centos", "fedora", "rocky", "almalinux", "ol", "amzn", "scientific":
			return RHEL
		case "debian", "ubuntu", "linuxmint", "raspbian":
			return Debian
		}
	}
	return ""
}

// SetupSpec describes the share to set up.
type SetupSpec struct {
	Server     string   // NFS server host name or address, as clients will mount it
	ExportPath string   // directory on the server
	Clients    []string // every Elasticsearch node (host names, addresses or networks as exports(5) takes them)
	MountPoint string   // where the clients mount it ("" = ExportPath); this goes into path.repo
	UID, GID   int      // the uid/gid Elasticsearch runs as; all_squash maps every client's writes to them
	NFSVersion string   // "4.1" (default), "4.2", "4", "3"
}

// Validate says what is missing from the spec.
func (s SetupSpec) Validate() error {
	var errs []error
	if s.Server == "" {
		errs = append(errs, errors.New("the NFS server's name or address is missing"))
	}
	if !filepath.IsAbs(s.ExportPath) {
		errs = append(errs, fmt.Errorf("the export path %q must be absolute", s.ExportPath))
	}
	if s.MountPoint != "" && !filepath.IsAbs(s.MountPoint) {
		errs = append(errs, fmt.Errorf("the mount point %q must be absolute", s.MountPoint))
	}
	if len(s.Clients) == 0 {
		errs = append(errs, errors.New("no client: list every Elasticsearch node of both clusters"))
	}
	if s.UID < 0 || s.GID < 0 {
		errs = append(errs, errors.New("the Elasticsearch uid/gid is missing (run `id elasticsearch` on a node)"))
	}
	switch s.NFSVersion {
	case "", "3", "4", "4.0", "4.1", "4.2":
	default:
		errs = append(errs, fmt.Errorf("NFS version %q: use 3, 4, 4.1 or 4.2", s.NFSVersion))
	}
	return errors.Join(errs...)
}

// SetupStep is one step on one kind of host, for the wizard to show and for the script.
type SetupStep struct {
	Role     string   // "server" or "client"
	Hosts    []string // the hosts it runs on
	Title    string
	Why      string   // one line: what it does and why
	Commands []string // shell commands, in order
}

// Setup is the generated procedure. Nothing here runs anything.
type Setup struct {
	Spec   SetupSpec
	Distro Distro
	steps  []SetupStep
}

// Steps returns the steps in order, server first.
func (s Setup) Steps() []SetupStep { return s.steps }

// GenerateSetup writes the commands that set up an NFS share for Elasticsearch snapshots on the server and on
// every client, for RHEL/CentOS 7+ or Debian/Ubuntu. Missing fields are filled with defaults (NFSv4.1, mount
// point = export path); check Spec.Validate first to tell the user what is missing.
func GenerateSetup(spec SetupSpec, d Distro) Setup {
	if spec.NFSVersion == "" {
		spec.NFSVersion = "4.1"
	}
	if spec.MountPoint == "" {
		spec.MountPoint = spec.ExportPath
	}
	if d != Debian {
		d = RHEL
	}
	spec.ExportPath = filepath.Clean(spec.ExportPath)
	spec.MountPoint = filepath.Clean(spec.MountPoint)
	v3 := strings.HasPrefix(spec.NFSVersion, "3")
	srv := []string{spec.Server}
	owner := fmt.Sprintf("%d:%d", spec.UID, spec.GID)
	exp, mnt := shq(spec.ExportPath), shq(spec.MountPoint)
	line := exportsLine(spec.ExportPath, spec.Clients, spec.UID, spec.GID)
	source := spec.Server + ":" + spec.ExportPath
	if strings.Contains(spec.Server, ":") { // IPv6 address
		source = "[" + spec.Server + "]:" + spec.ExportPath
	}
	mountOpts := "vers=" + spec.NFSVersion + ",hard"
	fstab := fmt.Sprintf("%s %s nfs %s,_netdev 0 0", escapeFstab(source), escapeFstab(spec.MountPoint), mountOpts)
	yml := fmt.Sprintf("path.repo: [%q]", spec.MountPoint)

	var st []SetupStep
	add := func(role string, hosts []string, title, why string, cmds ...string) {
		st = append(st, SetupStep{Role: role, Hosts: hosts, Title: title, Why: why, Commands: cmds})
	}
	switch d {
	case RHEL:
		add("server", srv, "Install the NFS server", "nfs-utils has the kernel NFS server's tools (exportfs, rpc.mountd) and rpcbind.",
			"yum install -y nfs-utils")
		add("server", srv, "Start the NFS server now and at boot", "rpcbind registers mountd for NFSv3 clients and showmount; nfs-server starts nfsd and mountd. Two commands rather than enable --now, which the systemctl of early CentOS 7 releases lacks.",
			"systemctl enable rpcbind nfs-server", "systemctl start rpcbind nfs-server")
		add("server", srv, "Open the firewall for NFS", "firewalld blocks NFS by default: nfs is 2049/tcp, rpc-bind 111, mountd its own port.",
			"if systemctl is-active --quiet firewalld; then",
			"  firewall-cmd --permanent --add-service=nfs --add-service=rpc-bind --add-service=mountd",
			"  firewall-cmd --reload",
			"fi")
	case Debian:
		add("server", srv, "Install the NFS server", "nfs-kernel-server has the kernel NFS server's tools (exportfs, rpc.mountd) and pulls in rpcbind.",
			"apt-get update", "apt-get install -y nfs-kernel-server")
		add("server", srv, "Start the NFS server now and at boot", "rpcbind registers mountd for NFSv3 clients and showmount; nfs-kernel-server starts nfsd and mountd.",
			"systemctl enable --now rpcbind nfs-kernel-server")
		fw := []string{"if command -v ufw >/dev/null && ufw status | grep -q 'Status: active'; then"}
		for _, c := range spec.Clients {
			fw = append(fw, fmt.Sprintf("  ufw allow from %s to any port 2049 proto tcp", shq(c)),
				fmt.Sprintf("  ufw allow from %s to any port 111", shq(c)))
		}
		fw = append(fw, "fi")
		why := "Only when ufw is enabled (Debian has no firewall by default): NFS is 2049/tcp, the portmapper 111."
		if v3 {
			why += " NFSv3 also needs mountd, whose port is random unless pinned with RPCMOUNTDOPTS=\"--port 20048\" in /etc/default/nfs-kernel-server."
		}
		add("server", srv, "Open the firewall for NFS", why, fw...)
	}
	add("server", srv, "Create the exported directory, owned by the Elasticsearch uid",
		fmt.Sprintf("Elasticsearch runs as %s on the nodes; the directory must be writable by that uid on the server, where ownership is decided.", owner),
		"mkdir -p "+exp,
		fmt.Sprintf("chown %s %s", owner, exp),
		"chmod 0750 "+exp)
	add("server", srv, "Export it to the Elasticsearch nodes",
		fmt.Sprintf("rw and sync so acknowledged snapshot files are on disk; all_squash with anonuid=%d,anongid=%d makes every node write as %s even where its local elasticsearch uid differs.", spec.UID, spec.GID, owner),
		fmt.Sprintf("grep -qxF %s /etc/exports || printf '%%s\\n' %s >>/etc/exports", shq(line), shq(line)))
	add("server", srv, "Apply the exports", "exportfs -ra re-reads /etc/exports and reports errors; -v shows what is exported now.",
		"exportfs -ra", "exportfs -v")

	cl := spec.Clients
	switch d {
	case RHEL:
		cmds := []string{"yum install -y nfs-utils"}
		if v3 {
			cmds = append(cmds, "systemctl enable rpcbind", "systemctl start rpcbind")
		}
		add("client", cl, "Install the NFS client", "nfs-utils has mount.nfs; NFSv3 also needs rpcbind and statd for locking.", cmds...)
	case Debian:
		add("client", cl, "Install the NFS client", "nfs-common has mount.nfs (and statd for NFSv3 locking).",
			"apt-get update", "apt-get install -y nfs-common")
	}
	add("client", cl, "Mount the share", "hard: a slow server makes Elasticsearch wait instead of getting I/O errors that leave half-written snapshot files.",
		"mkdir -p "+mnt,
		fmt.Sprintf("mountpoint -q %s || mount -t nfs -o %s %s %s", mnt, mountOpts, shq(source), mnt))
	add("client", cl, "Mount it at every boot", "Without the line the mount point is an empty local directory after a reboot, and Elasticsearch would write snapshots there; _netdev waits for the network.",
		// the mount point goes through the environment: awk -v would decode the \040 escapes fstab keeps
		fmt.Sprintf("M=%s awk '$2 == ENVIRON[\"M\"] {found=1} END {exit !found}' /etc/fstab || printf '%%s\\n' %s >>/etc/fstab", shq(escapeFstab(spec.MountPoint)), shq(fstab)))
	add("client", cl, "Check that Elasticsearch's user can write", "Writes a file as the elasticsearch user, the way Elasticsearch will.",
		"if id elasticsearch >/dev/null 2>&1; then",
		fmt.Sprintf("  su -s /bin/sh elasticsearch -c %s", shq(fmt.Sprintf("touch %s/.esmigrate-write-test && rm %s/.esmigrate-write-test", mnt, mnt))),
		"else",
		"  echo 'no elasticsearch user on this host yet: install Elasticsearch, then check again' >&2",
		"fi")
	add("client", cl, "Allow the path in elasticsearch.yml",
		"Elasticsearch refuses an fs repository outside path.repo ('doesn't match any of the locations specified by path.repo'). If path.repo is already set, add the mount point to its list by hand.",
		"if grep -qE '^[[:space:]]*path\\.repo[[:space:]]*:' /etc/elasticsearch/elasticsearch.yml; then",
		fmt.Sprintf("  echo %s >&2", shq("path.repo is already set in /etc/elasticsearch/elasticsearch.yml: add "+spec.MountPoint+" to its list by hand")),
		"else",
		fmt.Sprintf("  printf '%%s\\n' %s >>/etc/elasticsearch/elasticsearch.yml", shq(yml)),
		"fi")
	add("client", cl, "Restart Elasticsearch, one node at a time",
		"path.repo is read at start-up only. Restart one node, wait until GET _cluster/health is green (yellow for a one-node cluster), then the next; this script does not restart anything.",
		"echo 'now restart Elasticsearch on this node when the cluster is green: systemctl restart elasticsearch'")
	return Setup{Spec: spec, Distro: d, steps: st}
}

func (s Setup) distroName() string {
	if s.Distro == Debian {
		return "Debian/Ubuntu"
	}
	return "RHEL/CentOS 7+"
}

// ScriptName is the name the setup script is saved under unless another is chosen.
const ScriptName = "esmigrate-nfs-setup.sh"

// Script returns a bash script with one function per role; it runs nothing unless given "server" or "client".
// It tells to run it as ScriptName; ScriptFor names another file.
func (s Setup) Script() string { return s.ScriptFor(ScriptName) }

// ScriptFor is Script saved as name: the commands it tells you to run name that file (its base name: the
// script is copied to each host).
func (s Setup) ScriptFor(name string) string {
	name = filepath.Base(name)
	var b strings.Builder
	sp := s.Spec
	fmt.Fprintf(&b, "#!/usr/bin/env bash\n")
	fmt.Fprintf(&b, "# NFS share for Elasticsearch snapshots, for %s. Generated by esmigrate; read it before running it:\n", s.distroName())
	fmt.Fprintf(&b, "# it installs packages and changes the firewall, /etc/exports, /etc/fstab and elasticsearch.yml.\n#\n")
	fmt.Fprintf(&b, "#   NFS server:        %s, exporting %s\n", sp.Server, sp.ExportPath)
	fmt.Fprintf(&b, "#   clients:           %s, mounting it on %s (NFS %s)\n", strings.Join(sp.Clients, " "), sp.MountPoint, sp.NFSVersion)
	fmt.Fprintf(&b, "#   Elasticsearch uid: %d:%d\n#\n", sp.UID, sp.GID)
	fmt.Fprintf(&b, "# Run it as root on each host with the host's role:\n")
	hosts := append([]string{sp.Server}, sp.Clients...)
	fmt.Fprintf(&b, "#   on %s:%s bash %s server\n", sp.Server, pad(sp.Server, hosts), name)
	for _, c := range sp.Clients {
		fmt.Fprintf(&b, "#   on %s:%s bash %s client\n", c, pad(c, hosts), name)
	}
	fmt.Fprintf(&b, "# Every step can be run again safely.\nset -euo pipefail\n")
	for _, role := range []string{"server", "client"} {
		fmt.Fprintf(&b, "\n%s() {\n", role)
		hosts, steps := s.roleSteps(role)
		fmt.Fprintf(&b, "  # ===== on the NFS %s: %s =====\n", role, strings.Join(hosts, ", "))
		for i, st := range steps {
			fmt.Fprintf(&b, "\n  # %d. %s\n", i+1, st.Title)
			for _, l := range wrap(st.Why, 110) {
				fmt.Fprintf(&b, "  #    %s\n", l)
			}
			for _, c := range st.Commands {
				fmt.Fprintf(&b, "  %s\n", c)
			}
		}
		fmt.Fprintf(&b, "}\n")
	}
	fmt.Fprintf(&b, "\ncase \"${1:-}\" in\n  server) server ;;\n  client) client ;;\n")
	fmt.Fprintf(&b, "  *) echo \"usage: $0 server|client (see the comments at the top)\" >&2; exit 2 ;;\nesac\n")
	return b.String()
}

// Text returns the steps as plain text for the wizard: per host, numbered, with the commands indented.
func (s Setup) Text() string {
	var b strings.Builder
	sp := s.Spec
	fmt.Fprintf(&b, "NFS share for Elasticsearch snapshots (%s)\n", s.distroName())
	fmt.Fprintf(&b, "Server %s exports %s; clients %s mount it on %s (NFS %s); Elasticsearch runs as %d:%d.\n",
		sp.Server, sp.ExportPath, strings.Join(sp.Clients, ", "), sp.MountPoint, sp.NFSVersion, sp.UID, sp.GID)
	for _, role := range []string{"server", "client"} {
		hosts, steps := s.roleSteps(role)
		fmt.Fprintf(&b, "\nOn the NFS %s (%s), as root:\n", role, strings.Join(hosts, ", "))
		for i, st := range steps {
			fmt.Fprintf(&b, "\n%d. %s\n", i+1, st.Title)
			for _, l := range wrap(st.Why, 100) {
				fmt.Fprintf(&b, "   %s\n", l)
			}
			for _, c := range st.Commands {
				fmt.Fprintf(&b, "     %s\n", c)
			}
		}
	}
	return b.String()
}

// roleSteps are the hosts of a role ("server": the NFS server, "client": the Elasticsearch nodes) and its steps,
// in order.
func (s Setup) roleSteps(role string) (hosts []string, steps []SetupStep) {
	hosts = []string{s.Spec.Server}
	if role == "client" {
		hosts = s.Spec.Clients
	}
	for _, st := range s.steps {
		if st.Role == role {
			steps = append(steps, st)
		}
	}
	return hosts, steps
}

func pad(s string, all []string) string {
	w := 0
	for _, a := range all {
		w = max(w, len(a))
	}
	return strings.Repeat(" ", w-len(s)+1)
}

// wrap breaks text into lines of at most width runes at spaces.
func wrap(text string, width int) []string {
	var out []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			out = append(out, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		out = append(out, line)
	}
	return out
}
