package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// These tests go from a command line to the plan it makes and the exit code it ends with, in process, without
// a cluster: every case here must stop before the first request (a listener counts the connections).

// cli runs a command line and returns the exit code and everything it printed.
func cli(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := execute(args, strings.NewReader(""), &out, &out)
	return code, out.String()
}

// listener counts the connections made to it (it answers none).
func listener(t *testing.T) (url string, conns *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns = &atomic.Int64{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return "http://" + ln.Addr().String(), conns
}

// planFile writes a plan whose clusters are two counting listeners, and returns its path.
func planFile(t *testing.T, edit func(y string) string) (path, src, dst string, sent func() int64) {
	t.Helper()
	src, a := listener(t)
	dst, b := listener(t)
	dir := t.TempDir()
	y := `version: 1
source:
  url: ` + src + `
target:
  url: ` + dst + `
repository:
  source_location: /opt/data/es_backup
  shared: true
indices: [logs-*]
state_file: ` + filepath.Join(dir, "state.json") + `
report_dir: ` + filepath.Join(dir, "reports") + `
`
	if edit != nil {
		y = edit(y)
	}
	path = filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, src, dst, func() int64 { return a.Load() + b.Load() }
}

func clearEnv(t *testing.T) {
	for _, v := range []string{"ES_SOURCE_URL", "ES_TARGET_URL", "ES_SOURCE_USER", "ES_TARGET_USER", "ES_SOURCE_PASSWORD",
		"ES_TARGET_PASSWORD", "ES_SOURCE_API_KEY", "ES_TARGET_API_KEY", "LC_ALL", "LC_MESSAGES", "LANG"} {
		t.Setenv(v, "")
	}
}

func TestBadInputOnTheCommandLineExitsTwoBeforeAnyRequest(t *testing.T) {
	clearEnv(t)
	cases := []struct {
		name string
		args func(plan string) []string
		env  map[string]string
		want []string
	}{
		{"run without a plan", func(string) []string { return []string{"run"} }, nil, []string{"--plan is required"}},
		{"a plan file that is not there", func(string) []string { return []string{"run", "--plan", "/nonexistent/plan.yaml"} }, nil,
			[]string{"/nonexistent/plan.yaml: cannot read the plan file: no such file or directory"}},
		{"plan --plan on a file that is not there", func(string) []string { return []string{"plan", "--plan", "/nonexistent/plan.yaml"} }, nil,
			[]string{"cannot read the plan file"}},
		{"a CA file that is not there", func(p string) []string { return []string{"run", "--plan", p, "--ca-cert", "/nonexistent/ca.pem"} }, nil,
			[]string{"read CA certificate", "/nonexistent/ca.pem"}},
		{"an API key and a password", func(p string) []string {
			return []string{"run", "--plan", p, "--source-user", "elastic", "--source-password", "pw", "--source-api-key", "a2V5"}
		}, nil, []string{"both an API key and a user/password"}},
		{"a password without a user", func(p string) []string { return []string{"run", "--plan", p} },
			map[string]string{"ES_SOURCE_PASSWORD": "stray-pw-1234"}, []string{"a password was given but no user", "unset ES_SOURCE_PASSWORD"}},
		{"a size an int64 cannot hold", func(p string) []string { return []string{"run", "--plan", p, "--batch-max-size", "8192pb"} }, nil,
			[]string{`--batch-max-size (batch_max_size): "8192pb" is too large`}},
		{"a throttle that is not a size", func(p string) []string { return []string{"plan", "--plan", p, "--max-snapshot-bytes-per-sec", "fast"} }, nil,
			nil}, // plan writes what it is given; run checks it (next case)
		{"a throttle that is not a size, run", func(p string) []string { return []string{"run", "--plan", p, "--max-snapshot-bytes-per-sec", "fast"} }, nil,
			[]string{"--max-snapshot-bytes-per-sec (repository.max_snapshot_bytes_per_sec)", `"fast" is not a size`}},
		{"the same cluster twice", func(p string) []string { return []string{"run", "--plan", p, "--target", "http://127.0.0.1:1"} },
			map[string]string{"ES_SOURCE_URL": ""}, []string{"--target (target.url)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan, _, _, sent := planFile(t, nil)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			args := c.args(plan)
			if c.name == "the same cluster twice" {
				src := strings.TrimPrefix(strings.SplitN(strings.Split(mustRead(t, plan), "url: ")[1], "\n", 2)[0], "")
				args[len(args)-1] = src
			}
			code, out := cli(t, args...)
			if c.want == nil {
				if code != 0 {
					t.Errorf("exit %d:\n%s", code, out)
				}
				return
			}
			if code != exitUsage {
				t.Errorf("exit %d, want %d:\n%s", code, exitUsage, out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("the message lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "esmigrate: : ") || strings.Contains(out, "stray-pw-1234") {
				t.Errorf("an empty location or the password in the message:\n%s", out)
			}
			if n := sent(); n != 0 {
				t.Errorf("%d connection(s) were made", n)
			}
		})
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTheWizardMayBeGivenAPlanFileToSaveTo(t *testing.T) {
	clearEnv(t)
	// Not a terminal here: the wizard stops there, after it accepted --plan naming a file not yet written.
	code, out := cli(t, "--plan", filepath.Join(t.TempDir(), "new-plan.yaml"))
	if code != exitUsage || !strings.Contains(out, "the wizard needs a terminal") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestFlagsAndTheEnvironmentFillInAPlanWithoutURLs(t *testing.T) {
	clearEnv(t)
	plan, src, dst, sent := planFile(t, func(y string) string {
		return strings.Replace(strings.Replace(y, "url: http://", "url: # http://", 2), "url: # ", "url: \"\" # ", 2)
	})
	if !strings.Contains(mustRead(t, plan), "url: \"\" #") {
		t.Fatalf("the plan still has its URLs:\n%s", mustRead(t, plan))
	}
	t.Setenv("ES_SOURCE_URL", src)
	// Validated after the variable and the flag applied: it gets as far as connecting (the listeners answer
	// nothing), which is a failure (1), not bad input (2).
	code, out := cli(t, "run", "--plan", plan, "--target", dst)
	if code != exitError || !strings.Contains(out, "connect to "+src) {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if sent() == 0 {
		t.Errorf("the URLs from the environment and the flag were not used")
	}
}

func TestPlanWritesAFileThatNamesItselfAndReadsBack(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "p.yaml")
	args := []string{"plan", "--source", "http://elastic:pw-in-url-77@old:9200", "--target", "http://new:9200", "--source-location", "/r", "--shared",
		"--indices", "a", "--max-snapshot-bytes-per-sec", "100mb", "--max-restore-bytes-per-sec", "200mb", "--copy-bandwidth-limit", "50mb", "-o", out}
	code, msg := cli(t, args...)
	if code != 0 || !strings.Contains(msg, "wrote "+out) {
		t.Fatalf("exit %d: %s", code, msg)
	}
	y := mustRead(t, out)
	for _, w := range []string{"esmigrate run --plan " + out, "max_snapshot_bytes_per_sec: 100mb", "max_restore_bytes_per_sec: 200mb",
		"bandwidth_limit: 50mb", "username: elastic", "url: http://old:9200"} {
		if !strings.Contains(y, w) {
			t.Errorf("the plan lacks %q", w)
		}
	}
	if strings.Contains(y, "{{") || strings.Contains(y, "pw-in-url-77") {
		t.Errorf("a placeholder or the password in the plan:\n%s", y)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	// Never over the first one.
	if code, msg := cli(t, args...); code != 0 || !strings.Contains(msg, "wrote "+filepath.Join(dir, "p-1.yaml")) {
		t.Errorf("second plan: exit %d: %s", code, msg)
	}
	// Standard output names no file it cannot know, and no template either.
	_, std := cli(t, "plan", "--source", "http://old:9200")
	if strings.Contains(std, "{{") || !strings.Contains(std, "esmigrate run --plan plan.yaml") {
		t.Errorf("plan to standard output:\n%s", std)
	}
}

func TestNFSSetupWritesTheScriptItTellsYouToRun(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "setup-nfs.sh")
	code, msg := cli(t, "nfs-setup", "--server", "nfs1", "--client", "es1", "--distro", "debian", "-o", out)
	if code != 0 || !strings.Contains(msg, "bash "+out+" server") {
		t.Fatalf("exit %d: %s", code, msg)
	}
	script := mustRead(t, out)
	if !strings.Contains(script, "bash setup-nfs.sh server") || !strings.Contains(script, "bash setup-nfs.sh client") {
		t.Errorf("the script does not tell to run itself:\n%s", script[:400])
	}
}

func TestHelpListsTheExitCodesAndNamesFlagValues(t *testing.T) {
	clearEnv(t)
	_, help := cli(t, "run", "--help")
	for _, w := range []string{"Exit codes:", "2  bad usage or input", "3  stopped", "--plan FILE"} {
		if !strings.Contains(help, w) {
			t.Errorf("run --help lacks %q", w)
		}
	}
	if strings.Contains(help, "--plan esmigrate plan") {
		t.Errorf("garbled flag help:\n%s", help)
	}
}

func TestAPlanThatIsNotAMappingIsSaidWithoutGoTypes(t *testing.T) {
	clearEnv(t)
	path := filepath.Join(t.TempDir(), "plan.yaml")
	os.WriteFile(path, []byte("- version: 1\n- source: x\n"), 0o600)
	code, out := cli(t, "run", "--plan", path)
	if code != exitUsage || !strings.Contains(out, "expected a plan: a mapping of fields") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	for _, internal := range []string{"!!", "steps.", "unmarshal", "esmigrate: : "} {
		if strings.Contains(out, internal) {
			t.Errorf("%q shows through:\n%s", internal, out)
		}
	}
}

// esmigrate copy: bad usage exits 2 and names what is wrong; a directory that is no repository is said so.
func TestCopyCommandUsage(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"copy", dir}, exitUsage, "takes 2 argument(s), 1 given"},
		{[]string{"copy", "--workers", "0", dir, filepath.Join(dir, "t")}, exitUsage, "--workers 0"},
		{[]string{"copy", "--bandwidth-limit", "fast", dir, filepath.Join(dir, "t")}, exitUsage, "--bandwidth-limit"},
		{[]string{"copy", filepath.Join(dir, "missing"), filepath.Join(dir, "t")}, exitUsage, "the source repository"},
		{[]string{"copy", dir, filepath.Join(t.TempDir(), "t")}, exitError, "is not an Elasticsearch repository"},
	} {
		code, out := cli(t, c.args...)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d (want %d)\n%s", c.args, code, c.code, out)
		}
	}
}
