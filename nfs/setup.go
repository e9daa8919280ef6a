package nfs

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/esmigrate/esmigrate/i18n"
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
		errs = append(errs, i18n.Errorf("setup.noserver"))
	}
	if !filepath.IsAbs(s.ExportPath) {
		errs = append(errs, i18n.Errorf("setup.export.abs", s.ExportPath))
	}
	if s.MountPoint != "" && !filepath.IsAbs(s.MountPoint) {
		errs = append(errs, i18n.Errorf("setup.mount.abs", s.MountPoint))
	}
	if len(s.Clients) == 0 {
		errs = append(errs, i18n.Errorf("setup.noclient"))
	}
	if s.UID < 0 || s.GID < 0 {
		errs = append(errs, i18n.Errorf("setup.nouid"))
	}
	switch s.NFSVersion {
	case "", "3", "4", "4.0", "4.1", "4.2":
	default:
		errs = append(errs, i18n.Errorf("setup.version", s.NFSVersion))
	}
	if len(errs) == 0 {
		return nil
	}
	return &SetupError{errs}
}

// SetupError is everything missing from a SetupSpec, one line each.
type SetupError struct{ Errs []error }

func (e *SetupError) Error() string { return e.Localize().String() }

// Localize is the mistakes as a message, a line each.
func (e *SetupError) Localize() i18n.Msg {
	var ms []i18n.Msg
	for _, err := range e.Errs {
		ms = append(ms, i18n.MsgOf(err))
	}
	return i18n.List("list.line", ms)
}

// Unwrap is the mistakes.
func (e *SetupError) Unwrap() []error { return e.Errs }

// SetupStep is one step on one kind of host, for the wizard to show and for the script.
type SetupStep struct {
	Role     string   // "server" or "client"
	Hosts    []string // the hosts it runs on
	Title    i18n.Msg
	Why      i18n.Msg // one line: what it does and why
	Commands []string // shell commands, in order (their output stays English: a server's locale may not be UTF-8)
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
	add := func(role string, hosts []string, title, why i18n.Msg, cmds ...string) {
		st = append(st, SetupStep{Role: role, Hosts: hosts, Title: title, Why: why, Commands: cmds})
	}
	m := i18n.M
	switch d {
	case RHEL:
		add("server", srv, m("setup.install.server"), m("setup.install.server.rhel"),
			"yum install -y nfs-utils")
		add("server", srv, m("setup.start.server"), m("setup.start.server.rhel"),
			"systemctl enable rpcbind nfs-server", "systemctl start rpcbind nfs-server")
		add("server", srv, m("setup.firewall"), m("setup.firewall.rhel"),
			"if systemctl is-active --quiet firewalld; then",
			"  firewall-cmd --permanent --add-service=nfs --add-service=rpc-bind --add-service=mountd",
			"  firewall-cmd --reload",
			"fi")
	case Debian:
		add("server", srv, m("setup.install.server"), m("setup.install.server.debian"),
			"apt-get update", "apt-get install -y nfs-kernel-server")
		add("server", srv, m("setup.start.server"), m("setup.start.server.debian"),
			"systemctl enable --now rpcbind nfs-kernel-server")
		fw := []string{"if command -v ufw >/dev/null && ufw status | grep -q 'Status: active'; then"}
		for _, c := range spec.Clients {
			fw = append(fw, fmt.Sprintf("  ufw allow from %s to any port 2049 proto tcp", shq(c)),
				fmt.Sprintf("  ufw allow from %s to any port 111", shq(c)))
		}
		fw = append(fw, "fi")
		why := m("setup.firewall.debian")
		if v3 {
			why = m("setup.firewall.debian.v3")
		}
		add("server", srv, m("setup.firewall"), why, fw...)
	}
	add("server", srv, m("setup.mkdir"), m("setup.mkdir.why", owner),
		"mkdir -p "+exp,
		fmt.Sprintf("chown %s %s", owner, exp),
		"chmod 0750 "+exp)
	add("server", srv, m("setup.export"), m("setup.export.why", spec.UID, spec.GID, owner),
		fmt.Sprintf("grep -qxF %s /etc/exports || printf '%%s\\n' %s >>/etc/exports", shq(line), shq(line)))
	add("server", srv, m("setup.apply"), m("setup.apply.why"),
		"exportfs -ra", "exportfs -v")

	cl := spec.Clients
	switch d {
	case RHEL:
		cmds := []string{"yum install -y nfs-utils"}
		if v3 {
			cmds = append(cmds, "systemctl enable rpcbind", "systemctl start rpcbind")
		}
		add("client", cl, m("setup.install.client"), m("setup.install.client.rhel"), cmds...)
	case Debian:
		add("client", cl, m("setup.install.client"), m("setup.install.client.debian"),
			"apt-get update", "apt-get install -y nfs-common")
	}
	add("client", cl, m("setup.mount"), m("setup.mount.why"),
		"mkdir -p "+mnt,
		fmt.Sprintf("mountpoint -q %s || mount -t nfs -o %s %s %s", mnt, mountOpts, shq(source), mnt))
	add("client", cl, m("setup.fstab"), m("setup.fstab.why"),
		// the mount point goes through the environment: awk -v would decode the \040 escapes fstab keeps
		fmt.Sprintf("M=%s awk '$2 == ENVIRON[\"M\"] {found=1} END {exit !found}' /etc/fstab || printf '%%s\\n' %s >>/etc/fstab", shq(escapeFstab(spec.MountPoint)), shq(fstab)))
	add("client", cl, m("setup.check"), m("setup.check.why"),
		"if id elasticsearch >/dev/null 2>&1; then",
		fmt.Sprintf("  su -s /bin/sh elasticsearch -c %s", shq(fmt.Sprintf("touch %s/.esmigrate-write-test && rm %s/.esmigrate-write-test", mnt, mnt))),
		"else",
		"  echo 'no elasticsearch user on this host yet: install Elasticsearch, then check again' >&2",
		"fi")
	add("client", cl, m("setup.pathrepo"), m("setup.pathrepo.why"),
		"if grep -qE '^[[:space:]]*path\\.repo[[:space:]]*:' /etc/elasticsearch/elasticsearch.yml; then",
		fmt.Sprintf("  echo %s >&2", shq("path.repo is already set in /etc/elasticsearch/elasticsearch.yml: add "+spec.MountPoint+" to its list by hand")),
		"else",
		fmt.Sprintf("  printf '%%s\\n' %s >>/etc/elasticsearch/elasticsearch.yml", shq(yml)),
		"fi")
	add("client", cl, m("setup.restart"), m("setup.restart.why"),
		"echo 'now restart Elasticsearch on this node when the cluster is green: systemctl restart elasticsearch'")
	return Setup{Spec: spec, Distro: d, steps: st}
}

func (s Setup) distroName() string {
	if s.Distro == Debian {
		return "Debian/Ubuntu"
	}
	return "RHEL/CentOS 7+"
}

func roleMsg(role string) i18n.Msg { return i18n.M("setup.role." + role) }

// ScriptName is the name the setup script is saved under unless another is chosen.
const ScriptName = "esmigrate-nfs-setup.sh"

// Script returns a bash script with one function per role; it runs nothing unless given "server" or "client".
// It tells to run it as ScriptName; ScriptFor names another file.
func (s Setup) Script() string { return s.ScriptFor(ScriptName) }

// ScriptFor is Script saved as name: the commands it tells you to run name that file (its base name: the
// script is copied to each host).
func (s Setup) ScriptFor(name string) string { return s.ScriptIn(name, i18n.English) }

// ScriptIn is ScriptFor with its comments in l's language (the commands and what they print stay as they are).
func (s Setup) ScriptIn(name string, l *i18n.Localizer) string {
	name = filepath.Base(name)
	var b strings.Builder
	sp := s.Spec
	fmt.Fprintf(&b, "#!/usr/bin/env bash\n")
	for _, line := range strings.Split(l.T("setup.script.head", s.distroName()), "\n") {
		fmt.Fprintf(&b, "# %s\n", line)
	}
	fmt.Fprintf(&b, "#\n")
	fmt.Fprintf(&b, "#   %s\n", l.T("setup.script.server", sp.Server, sp.ExportPath))
	fmt.Fprintf(&b, "#   %s\n", l.T("setup.script.clients", strings.Join(sp.Clients, " "), sp.MountPoint, sp.NFSVersion))
	fmt.Fprintf(&b, "#   %s\n#\n", l.T("setup.script.uid", sp.UID, sp.GID))
	fmt.Fprintf(&b, "# %s\n", l.T("setup.script.run"))
	hosts := append([]string{sp.Server}, sp.Clients...)
	fmt.Fprintf(&b, "#   %s\n", l.T("setup.script.on", sp.Server+":"+pad(sp.Server, hosts), fmt.Sprintf("bash %s server", name)))
	for _, c := range sp.Clients {
		fmt.Fprintf(&b, "#   %s\n", l.T("setup.script.on", c+":"+pad(c, hosts), fmt.Sprintf("bash %s client", name)))
	}
	fmt.Fprintf(&b, "# %s\nset -euo pipefail\n", l.T("setup.script.again"))
	for _, role := range []string{"server", "client"} {
		fmt.Fprintf(&b, "\n%s() {\n", role)
		hosts, steps := s.roleSteps(role)
		fmt.Fprintf(&b, "  # ===== %s =====\n", l.T("setup.script.role", roleMsg(role), strings.Join(hosts, ", ")))
		for i, st := range steps {
			fmt.Fprintf(&b, "\n  # %d. %s\n", i+1, l.Msg(st.Title))
			for _, line := range wrapIn(l, l.Msg(st.Why), 110) {
				fmt.Fprintf(&b, "  #    %s\n", line)
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
func (s Setup) Text() string { return s.TextIn(i18n.English) }

// TextIn is Text in l's language (the commands stay as they are).
func (s Setup) TextIn(l *i18n.Localizer) string {
	var b strings.Builder
	sp := s.Spec
	fmt.Fprintf(&b, "%s\n", l.T("setup.text.title", s.distroName()))
	fmt.Fprintf(&b, "%s\n", l.T("setup.text.summary", sp.Server, sp.ExportPath, strings.Join(sp.Clients, ", "), sp.MountPoint, sp.NFSVersion, sp.UID, sp.GID))
	for _, role := range []string{"server", "client"} {
		hosts, steps := s.roleSteps(role)
		fmt.Fprintf(&b, "\n%s\n", l.T("setup.text.role", roleMsg(role), strings.Join(hosts, ", ")))
		for i, st := range steps {
			fmt.Fprintf(&b, "\n%d. %s\n", i+1, l.Msg(st.Title))
			for _, line := range wrapIn(l, l.Msg(st.Why), 100) {
				fmt.Fprintf(&b, "   %s\n", line)
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

// wrapIn wraps text for l's language: English at spaces (wrap); Chinese, which has no spaces between words,
// by display width (two cells a character) between any two Chinese characters, never inside a command or a
// name written in Latin letters, and never before closing punctuation. Hand-written: x/ansi's Wrap breaks at
// hyphens (inside "--now"), its Wordwrap never inside a run of Chinese.
func wrapIn(l *i18n.Localizer, text string, width int) []string {
	if l.Lang() == "en" {
		return wrap(text, width)
	}
	var atoms []string // each with the spaces before it
	var cur strings.Builder
	pending := ""
	flush := func() {
		if cur.Len() > 0 {
			atoms = append(atoms, pending+cur.String())
			cur.Reset()
			pending = ""
		}
	}
	for _, r := range text {
		switch {
		case r == ' ':
			flush()
			pending += " "
		case ansi.StringWidth(string(r)) == 2:
			flush()
			if strings.ContainsRune("，。；：）、！？」』", r) && len(atoms) > 0 && pending == "" {
				atoms[len(atoms)-1] += string(r) // closing punctuation stays with what it closes
				continue
			}
			atoms = append(atoms, pending+string(r))
			pending = ""
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	var out []string
	line := ""
	for _, a := range atoms {
		if line != "" && ansi.StringWidth(line+a) > width {
			out = append(out, line)
			a = strings.TrimLeft(a, " ")
			line = ""
		}
		line += a
	}
	if line != "" {
		out = append(out, line)
	}
	return out
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
