package nfs

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/esmigrate/esmigrate/i18n"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata/golden", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./nfs/ -run Setup -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the generated text (go test ./nfs/ -run Setup -update rewrites it after a deliberate change):\n%s", p, firstDiff(string(want), got))
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < max(len(al), len(bl)); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + ":\n- " + x + "\n+ " + y
		}
	}
	return ""
}

var setupCases = []struct {
	name   string
	spec   SetupSpec
	distro Distro
}{
	{"rhel", SetupSpec{Server: "nfs1.example.com", ExportPath: "/srv/es_backup", Clients: []string{"es-old-1", "es-old-2", "es-new-1"},
		MountPoint: "/mnt/es_backup", UID: 996, GID: 994}, RHEL},
	{"debian", SetupSpec{Server: "10.0.0.5", ExportPath: "/srv/es_backup", Clients: []string{"10.0.0.21", "10.0.0.22"},
		MountPoint: "/mnt/es_backup", UID: 112, GID: 117, NFSVersion: "4.2"}, Debian},
	{"rhel-nfs3-spaces", SetupSpec{Server: "nfs1", ExportPath: "/srv/es backup", Clients: []string{"10.0.0.0/24"},
		MountPoint: "/mnt/es backup", UID: 1000, GID: 1000, NFSVersion: "3"}, RHEL},
	{"debian-nfs3", SetupSpec{Server: "fd00::5", ExportPath: "/exports/es", Clients: []string{"es1", "es2"},
		UID: 1000, GID: 1000, NFSVersion: "3"}, Debian},
}

func TestSetupGolden(t *testing.T) {
	for _, c := range setupCases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.spec.Validate(); err != nil {
				t.Fatal(err)
			}
			s := GenerateSetup(c.spec, c.distro)
			golden(t, "setup-"+c.name+".sh", s.Script())
			golden(t, "setup-"+c.name+".txt", s.Text())
			if c.name == "rhel" || c.name == "debian" {
				golden(t, "setup-"+c.name+".zh.sh", s.ScriptIn(ScriptName, i18n.New("zh")))
				golden(t, "setup-"+c.name+".zh.txt", s.TextIn(i18n.New("zh")))
			}
		})
	}
}

// In Chinese the script says the same commands; only its comments are Chinese (a server's shell may not read
// UTF-8 output, so what the commands print stays English).
func TestSetupScriptInChineseRunsTheSameCommands(t *testing.T) {
	commands := func(script string) []string {
		var out []string
		for _, l := range strings.Split(script, "\n") {
			if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
				out = append(out, l)
			}
		}
		return out
	}
	for _, c := range setupCases {
		s := GenerateSetup(c.spec, c.distro)
		en, zh := s.Script(), s.ScriptIn(ScriptName, i18n.New("zh"))
		if strings.Join(commands(en), "\n") != strings.Join(commands(zh), "\n") {
			t.Errorf("%s: the Chinese script's commands differ from the English one's", c.name)
		}
		han := 0
		for _, r := range zh {
			if r >= 0x4e00 && r <= 0x9fff {
				han++
			}
		}
		if han < 200 || strings.Contains(zh, "Install the NFS") {
			t.Errorf("%s: the Chinese script's comments are not Chinese (%d Han characters)", c.name, han)
		}
	}
}

// The scripts must at least be valid bash, and run nothing without an argument.
func TestSetupScriptIsBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is needed to check the generated scripts:", err)
	}
	for _, c := range setupCases {
		f := filepath.Join(t.TempDir(), "setup.sh")
		os.WriteFile(f, []byte(GenerateSetup(c.spec, c.distro).Script()), 0o755)
		if out, err := exec.Command(bash, "-n", f).CombinedOutput(); err != nil {
			t.Errorf("%s: bash -n: %v\n%s", c.name, err, out)
		}
		out, err := exec.Command(bash, f).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "usage:") {
			t.Errorf("%s: without an argument the script must only print its usage; got %v: %s", c.name, err, out)
		}
	}
}

// The exports line the setup writes must pass esmigrate's own exports check.
func TestSetupExportsLineRoundTrip(t *testing.T) {
	dir := t.TempDir()
	uid, gid := os.Geteuid(), os.Getegid()
	spec := SetupSpec{Server: "nfs1", ExportPath: dir, Clients: []string{"es1", "10.0.0.0/24"}, UID: uid, GID: gid}
	s := GenerateSetup(spec, RHEL)
	var line string
	for _, st := range s.Steps() {
		if strings.HasPrefix(st.Title.String(), "Export it") {
			line = st.Commands[0]
		}
	}
	// grep -qxF 'LINE' /etc/exports || ...: take the quoted line
	start, end := strings.Index(line, "'"), strings.Index(line, "' /etc/exports")
	if start < 0 || end < 0 {
		t.Fatalf("unexpected command %q", line)
	}
	f := exportsFile(t, line[start+1:end]+"\n")
	for _, r := range CheckExports([]string{f}, dir, uid, gid) {
		if r.Status != OK {
			t.Errorf("generated export line fails the check: %s", r)
		}
	}
}

// The fstab step must add its line once, however often it runs, also for a mount point with a space.
func TestSetupFstabStepIdempotent(t *testing.T) {
	spec := SetupSpec{Server: "nfs1", ExportPath: "/srv/es backup", Clients: []string{"es1"}, MountPoint: "/mnt/es backup", UID: 1, GID: 1}
	var cmd string
	for _, st := range GenerateSetup(spec, Debian).Steps() {
		if st.Title.String() == "Mount it at every boot" {
			cmd = st.Commands[0]
		}
	}
	fstab := filepath.Join(t.TempDir(), "fstab")
	os.WriteFile(fstab, []byte("UUID=x / ext4 defaults 0 1\n"), 0o644)
	cmd = strings.ReplaceAll(cmd, "/etc/fstab", fstab)
	for i := 0; i < 2; i++ {
		if out, err := exec.Command("bash", "-euo", "pipefail", "-c", cmd).CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	f, _ := os.Open(fstab)
	defer f.Close()
	es, err := ParseFstab(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[1].File != "/mnt/es backup" || es[1].Spec != "nfs1:/srv/es backup" || es[1].VFSType != "nfs" {
		t.Fatalf("fstab after two runs: %+v", es)
	}
}

func TestSetupValidate(t *testing.T) {
	err := SetupSpec{ExportPath: "rel", UID: -1, GID: -1, NFSVersion: "5"}.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"server", "absolute", "no client", "uid/gid", "NFS version"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q not in %v", want, err)
		}
	}
}

func TestDetectDistro(t *testing.T) {
	for f, want := range map[string]Distro{"centos7": RHEL, "rocky9": RHEL, "debian12": Debian, "ubuntu22": Debian, "alpine": "", "missing": ""} {
		if got := DetectDistro(filepath.Join("testdata/os-release", f)); got != want {
			t.Errorf("%s: %q, want %q", f, got, want)
		}
	}
	if d := DetectDistro(""); d != Debian && d != RHEL && d != "" {
		t.Errorf("this machine: %q", d)
	}
}
