//go:build integration

package ui_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/i18n/i18ntest"
	"github.com/esmigrate/esmigrate/testenv/envtest"
)

// The wizard end to end, as an operator runs it: the real binary inside tmux (send-keys, capture-pane), against
// the real test clusters, a two-batch migration with the repository copy, then the doc counts on the target.
// TestWizardOverSSH does the same through a real SSH session.

// wizardRun is one migration's names: unique, so that runs and other packages' tests do not collide on the
// shared clusters.
type wizardRun struct {
	env     envtest.Env
	id      string
	dir     string // working directory (state, reports)
	bin     string
	repo    string
	srcLoc  string
	dstLoc  string
	prefix  string // target index prefix (rename)
	indices []string
	words   screenWords // what the screens say at each step, in the run's language
	env2    string      // the locale and terminal variables the wizard runs with
}

// screenWords are the patterns the walk waits for, in one language.
type screenWords struct {
	connect, connected, preflight, checksDone, ready, acceptWarnings, failed, repository, reaches, filter, shown,
	selected, options, batches, metadata, metaChosen, plan, reviewReady, confirm, running, result, reportFiles, typeToConfirm, cleaned string
}

// english are the English screens' words (the catalogue's en.yaml).
var english = screenWords{
	connect: `URL of a node`, connected: `Both clusters answer`, preflight: `Pre-flight checks`,
	checksDone: `(All checks passed|press a to accept|Warnings accepted|A check failed|Error: )`, ready: "All checks passed",
	acceptWarnings: "press a to accept", failed: `^(A check failed|Error: )$`, repository: `Source repository`,
	reaches: `Every source node reaches repository %s`, filter: `Filter:`, shown: `3 of \d+ shown`, selected: `Selected: 3 index\(es\)`,
	options: `Restore options`, batches: `Batches under 8mb: 2`, metadata: `Templates, pipelines, lifecycle policies, stored scripts`,
	metaChosen: `\d+ of \d+ chosen`, plan: `Metadata: `,
	reviewReady: `(Ready\. enter: start|press a to accept)`, confirm: `Start the migration now\?`, running: `(Overall|Report files)`,
	result: `3 verified, 0 mismatched, 0 failed, 0 pending, in 2 batch\(es\)`, reportFiles: `Report files:\s*\S*esmigrate-report`,
	typeToConfirm: `Type "%s" to confirm`, cleaned: `Done: delete the migration's snapshots`,
}

// chinese are the Chinese screens' words (zh.yaml): the same walk, read in Chinese.
var chinese = screenWords{
	connect: `节点地址`, connected: `两个集群都已连通`, preflight: `预检`,
	checksDone: `(全部检查通过|按 a 接受并继续|按 a 接受。|已接受警告|有检查失败|错误：)`, ready: "全部检查通过",
	acceptWarnings: "按 a 接受", failed: `^(有检查失败|错误：)$`, repository: `源集群的仓库`,
	reaches: `源集群每个节点都能访问仓库 %s`, filter: `过滤：`, shown: `显示 3 / \d+`, selected: `已选：3 个索引`,
	options: `恢复选项`, batches: `每批不超过 8mb：共 2 批`, metadata: `模板、管道、生命周期策略、存储脚本`,
	metaChosen: `已选 \d+ / \d+`, plan: `元数据：`,
	reviewReady: `(准备就绪。回车：开始迁移|按 a 接受)`, confirm: `现在开始迁移吗？`, running: `(总进度|报告文件)`,
	result: `3 个校验通过，0 个不一致，0 个失败，0 个未完成，共 2 批`, reportFiles: `报告文件：\s*\S*esmigrate-report`,
	typeToConfirm: `输入 "%s" 以确认`, cleaned: `完成：删除本次迁移的快照`,
}

func newWizardRun(t *testing.T) *wizardRun {
	t.Helper()
	env := envtest.Load(t)
	for _, tool := range []string{"tmux"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed for this test (apt-get install %s): %v", tool, tool, err)
		}
	}
	id := envtest.Unique("uie2e")
	w := &wizardRun{env: env, id: id, dir: t.TempDir(), repo: id,
		srcLoc: filepath.Join(env.SourceRepoDir, id), dstLoc: filepath.Join(env.TargetRepoDir, id), prefix: id + "-",
		indices: []string{"logs-2026.11.01", "logs-2026.11.02", "logs-2026.11.03"}, words: english, env2: "LANG=C.UTF-8 TERM=xterm-256color"}
	w.bin = filepath.Join(w.dir, "esmigrate")
	build := exec.Command("go", "build", "-o", w.bin, "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		for _, ix := range w.indices {
			req, _ := http.NewRequest(http.MethodDelete, env.TargetURL+"/"+w.prefix+ix, nil)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
		os.RemoveAll(w.dstLoc)
	})
	return w
}

// command is the shell command that starts the wizard (in w.dir, with w.env2: UTF-8, English by default).
func (w *wizardRun) command() string {
	return fmt.Sprintf("cd %s && env "+w.env2+" %s --source %s --target %s --repository %s --source-location %s --target-location %s --state %s --report-dir %s; echo $? > %s; sleep 3600",
		w.dir, w.bin, w.env.SourceURL, w.env.TargetURL, w.repo, w.srcLoc, w.dstLoc,
		filepath.Join(w.dir, "state.json"), filepath.Join(w.dir, "reports"), filepath.Join(w.dir, "rc"))
}

// tmux is one private tmux server with one window.
type tmux struct {
	t      *testing.T
	socket string
}

func startTmux(t *testing.T, cmd string, width, height int) *tmux {
	t.Helper()
	s := &tmux{t: t, socket: "esmigrate-" + envtest.Unique("t")}
	start := exec.Command("tmux", "-L", s.socket, "-f", "/dev/null", "new-session", "-d", "-s", "w",
		"-x", fmt.Sprint(width), "-y", fmt.Sprint(height), cmd)
	start.Env = append(os.Environ(), "TERM=xterm-256color") // CI has no terminal and may have no TERM
	out, err := start.CombinedOutput()
	if err != nil {
		t.Fatalf("tmux: %v\n%s", err, out)
	}
	t.Cleanup(s.stop)
	return s
}

// stop ends the tmux server (and what runs in it).
func (s *tmux) stop() { exec.Command("tmux", "-L", s.socket, "kill-server").Run() }

func (s *tmux) keys(keys ...string) {
	s.t.Helper()
	for _, k := range keys {
		if out, err := exec.Command("tmux", "-L", s.socket, "send-keys", "-t", "w", k).CombinedOutput(); err != nil {
			s.t.Fatalf("send-keys %s: %v\n%s", k, err, out)
		}
		time.Sleep(120 * time.Millisecond)
	}
}

func (s *tmux) literal(text string) {
	s.t.Helper()
	if out, err := exec.Command("tmux", "-L", s.socket, "send-keys", "-t", "w", "-l", text).CombinedOutput(); err != nil {
		s.t.Fatalf("send-keys -l: %v\n%s", err, out)
	}
	time.Sleep(200 * time.Millisecond)
}

func (s *tmux) screen() string {
	out, _ := exec.Command("tmux", "-L", s.socket, "capture-pane", "-p", "-t", "w").Output()
	return string(out)
}

// waitFor waits until the screen matches re and returns the first submatch (or the match).
func (s *tmux) waitFor(re string, timeout time.Duration) string {
	s.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(timeout)
	for {
		scr := s.screen()
		if m := rx.FindStringSubmatch(scr); m != nil {
			return m[len(m)-1]
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the screen never showed /%s/ in %s:\n%s", re, timeout, scr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// passChecks waits for a checklist to finish, accepts warnings, fails on failures, and goes on.
func (s *tmux) passChecks(timeout time.Duration) { s.passChecksIn(english, timeout) }

func (s *tmux) passChecksIn(w screenWords, timeout time.Duration) {
	s.t.Helper()
	got := s.waitFor(w.checksDone, timeout)
	switch {
	case regexp.MustCompile(w.failed).MatchString(got):
		s.t.Fatalf("checks failed:\n%s", s.screen())
	case strings.HasPrefix(got, w.acceptWarnings):
		s.keys("a")
	}
	s.keys("Enter")
}

// drive walks the wizard through a two-batch migration with the copy and checks the result.
func (w *wizardRun) drive(t *testing.T, s *tmux) {
	w.start(t, s, "")
	w.finish(t, s)
}

// start walks the wizard from the connection to the start of the migration (snapshotThrottle: per node, "" for
// none).
func (w *wizardRun) start(t *testing.T, s *tmux, snapshotThrottle string) {
	w.startWith(t, s, throttles{snapshot: snapshotThrottle}, nil)
}

// throttles are the repository form's limits (per second; "" for none).
type throttles struct{ snapshot, restore, copy string }

// startWith is start with the repository's throttles; atReview, when set, is called on the review screen once
// it is ready, before the migration is started.
func (w *wizardRun) startWith(t *testing.T, s *tmux, th throttles, atReview func()) {
	say := w.words
	// 1 Connect: the form is prefilled from the flags; enter through it, the connections are tested.
	s.waitFor(say.connect, 60*time.Second)
	for i := 0; i < 8; i++ {
		s.keys("Enter")
	}
	s.waitFor(say.connected, 60*time.Second)
	s.keys("Enter")

	// 2 Pre-flight.
	s.waitFor(say.preflight, 30*time.Second)
	s.passChecksIn(say, 3*time.Minute)

	// 3 Repository: new repository, the flag's locations, copy to the target's share, no throttles.
	s.waitFor(say.repository, 60*time.Second)
	for i := 0; i < 7; i++ {
		s.keys("Enter")
	}
	for _, limit := range []string{th.snapshot, th.restore, th.copy} {
		if limit != "" {
			s.literal(limit)
		}
		s.keys("Enter")
	}
	s.waitFor(fmt.Sprintf(say.reaches, w.repo), 2*time.Minute)
	s.passChecksIn(say, 3*time.Minute)

	// 4 Indices: filter, select all shown, restore options (rename into this run's names, 8mb batches, no
	// aliases: other tests' indices may hold them).
	s.waitFor(say.filter, 60*time.Second)
	s.literal("logs-2026.11")
	s.waitFor(say.shown, 10*time.Second)
	s.keys("C-t")
	s.waitFor(say.selected, 10*time.Second)
	s.keys("C-e")
	s.waitFor(say.options, 10*time.Second)
	s.literal("(.+)")
	s.keys("Enter")
	s.literal(w.prefix + "$1")
	s.keys("Enter", "C-u")
	s.literal("8mb")
	s.keys("Enter", "Enter", "Enter", "Enter", "n", "n") // batches in flight as they are (2), replicas, put back, no aliases, no global state
	s.waitFor(say.batches, 10*time.Second)
	s.keys("Enter")

	// 5 Metadata: what the indices use, as the wizard chooses it by default.
	s.waitFor(say.metadata, 60*time.Second)
	s.waitFor(say.metaChosen, 10*time.Second)
	s.keys("Enter")

	// 6 Review.
	// The plan comes first (its metadata and lifecycle lines included); the requests may be below the fold.
	s.waitFor(say.plan, 30*time.Second)
	if got := s.waitFor(say.reviewReady, 2*time.Minute); strings.HasPrefix(got, say.acceptWarnings) {
		s.keys("a")
	}
	if atReview != nil {
		atReview()
	}
	s.keys("Enter")
	s.waitFor(say.confirm, 10*time.Second)
	s.keys("y")
}

// finish waits for the run and the report, checks the target, cleans up through the wizard and quits.
func (w *wizardRun) finish(t *testing.T, s *tmux) {
	say := w.words
	// 7 Run, then 8 Report.
	s.waitFor(say.running, 60*time.Second)
	s.waitFor(say.result, 10*time.Minute)
	s.waitFor(say.reportFiles, 10*time.Second) // a path too long for the line starts the next one

	// The doc counts on the target match the source's.
	for _, ix := range w.indices {
		src, dst := count(t, w.env.SourceURL, ix), count(t, w.env.TargetURL, w.prefix+ix)
		if src == 0 || src != dst {
			t.Errorf("%s: %d docs on the source, %d in %s on the target", ix, src, dst, w.prefix+ix)
		}
	}

	// Clean-up through the wizard: delete the snapshots and unregister the repositories, each confirmed by typing.
	s.keys("1", "3", "x")
	s.waitFor(fmt.Sprintf(say.typeToConfirm, w.repo), 10*time.Second)
	s.literal(w.repo)
	s.keys("Enter")
	s.literal(w.repo)
	s.keys("Enter")
	s.waitFor(say.cleaned, 2*time.Minute)
	s.keys("q")
	rc := waitFile(t, filepath.Join(w.dir, "rc"), 30*time.Second)
	if strings.TrimSpace(rc) != "0" {
		t.Fatalf("esmigrate exited %s:\n%s", rc, s.screen())
	}
	reports, _ := filepath.Glob(filepath.Join(w.dir, "reports", "esmigrate-report-*.md"))
	if len(reports) == 0 {
		t.Fatal("no report file written")
	}
}

func count(t *testing.T, url, index string) int64 {
	t.Helper()
	http.Post(url+"/"+index+"/_refresh", "application/json", nil)
	resp, err := http.Get(url + "/" + index + "/_count")
	if err != nil {
		t.Fatalf("count %s: %v", index, err)
	}
	defer resp.Body.Close()
	var c struct {
		Count int64 `json:"count"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != 200 {
		t.Fatalf("count %s: HTTP %d %v", index, resp.StatusCode, err)
	}
	return c.Count
}

func waitFile(t *testing.T, path string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was not written in %s", path, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestWizardInTmux(t *testing.T) {
	w := newWizardRun(t)
	s, raw := startRecordedTmux(t, w.command(), 100, 30)
	w.drive(t, s)
	// With colours (no NO_COLOR), the recording sees them: what the Chinese test finds absent can be seen.
	if b, _ := os.ReadFile(raw); len(colourEscapes(string(b))) == 0 {
		t.Errorf("no colour escape recorded from a wizard with colours (%d bytes recorded)", len(b))
	}
}

// startRecordedTmux is startTmux with the pane's whole output stream recorded in a file (tmux pipe-pane); the
// command starts a second later, when the recording is in place.
func startRecordedTmux(t *testing.T, cmd string, width, height int) (*tmux, string) {
	t.Helper()
	raw := filepath.Join(t.TempDir(), "pane.raw")
	s := startTmux(t, "sleep 1; "+cmd, width, height)
	if out, err := exec.Command("tmux", "-L", s.socket, "pipe-pane", "-t", "w", "-o", "cat >> "+raw).CombinedOutput(); err != nil {
		t.Fatalf("pipe-pane: %v\n%s", err, out)
	}
	return s, raw
}

// The whole migration in Chinese without colour, as an operator with LANG=zh_CN.UTF-8 and NO_COLOR runs it: the
// walk waits for every screen's Chinese words (connect to clean-up), the engine's checks, events and report say
// themselves in Chinese (nothing labelled as English, no English of the catalogue on any screen seen), and not
// one colour escape is written to the terminal (the pane's whole output stream is recorded and read).
func TestWizardInChineseWithoutColourInTmux(t *testing.T) {
	w := newWizardRun(t)
	w.words, w.env2 = chinese, "LANG=zh_CN.UTF-8 NO_COLOR=1 TERM=xterm-256color"
	s, raw := startRecordedTmux(t, w.command(), 100, 30)
	stop := make(chan struct{})
	screens := make(chan []string, 1)
	go func() { // every screen the walk passes through, sampled
		var seen []string
		defer func() { screens <- seen }()
		for {
			select {
			case <-stop:
				return
			case <-time.After(300 * time.Millisecond):
			}
			if scr := s.screen(); len(seen) == 0 || seen[len(seen)-1] != scr {
				seen = append(seen, scr)
			}
		}
	}()
	w.start(t, s, "")
	w.finish(t, s)
	close(stop)
	seen := <-screens

	// English of ours on a Chinese screen: the label of a text without a key, and words of the catalogue's
	// English screens and engine messages.
	english := []string{"英文原文", "Pre-flight", "Repository", "Overall", "verified", "Every source node", "Selected indices",
		"Target disk space", "took ", "snapshot ", "copying repository", "register repository", "restore snapshot", "report written"}
	for _, scr := range seen {
		for _, e := range english {
			if strings.Contains(scr, e) {
				t.Errorf("%q on a Chinese screen:\n%s", e, scr)
			}
		}
		// And by the catalogues' rule: no word of our English that Chinese never uses (i18ntest).
		if w := i18ntest.EnglishOfOurs(scr); len(w) > 0 {
			t.Errorf("English of ours %q on a Chinese screen:\n%s", w, scr)
		}
	}
	if len(seen) < 20 {
		t.Errorf("only %d screens seen: the sampling did not follow the walk", len(seen))
	}

	b, err := os.ReadFile(raw)
	if err != nil || len(b) < 10000 {
		t.Fatalf("the pane's output was not recorded (%d bytes, %v)", len(b), err)
	}
	if !strings.Contains(string(b), "预检") || !strings.Contains(string(b), "总进度") {
		t.Errorf("the recorded output is not the Chinese wizard's")
	}
	if c := colourEscapes(string(b)); len(c) > 0 {
		t.Errorf("colour escapes written with NO_COLOR: %q (of %d)", c[:min(len(c), 5)], len(c))
	}
	// The report written is in Chinese too.
	reports, _ := filepath.Glob(filepath.Join(w.dir, "reports", "esmigrate-report-*.md"))
	if md, _ := os.ReadFile(reports[0]); !strings.Contains(string(md), "# esmigrate 迁移报告") {
		t.Errorf("the report is not in Chinese:\n%s", md)
	}
}

// sgrRE is a Select Graphic Rendition sequence; colourEscapes lists those that set a colour (foreground or
// background: 30–38, 40–48, 90–97, 100–107). Bold, reverse video and resets (39, 49, 0) are not colours.
var sgrRE = regexp.MustCompile(`\x1b\[([0-9;:]*)m`)

func colourEscapes(out string) []string {
	var found []string
	for _, m := range sgrRE.FindAllStringSubmatch(out, -1) {
		params := strings.FieldsFunc(m[1], func(r rune) bool { return r == ';' || r == ':' })
		for i := 0; i < len(params); i++ {
			var n int
			fmt.Sscan(params[i], &n)
			switch {
			case n == 38 || n == 48 || n == 58:
				found = append(found, m[0])
				i = len(params)
			case n >= 30 && n <= 37, n >= 40 && n <= 47, n >= 90 && n <= 97, n >= 100 && n <= 107:
				found = append(found, m[0])
			}
		}
	}
	return found
}

// sshd is Debian's openssh-server on a loopback port with a throw-away host key and key authentication,
// started for one test and stopped after it.
type sshd struct {
	port int
	key  string // the client's private key
	user string
}

func startSSHD(t *testing.T) *sshd {
	t.Helper()
	bin := "/usr/sbin/sshd"
	for _, tool := range []string{bin, "ssh", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed for this test (apt-get install openssh-server openssh-client): %v", tool, err)
		}
	}
	dir := t.TempDir()
	for _, k := range []string{"host", "client"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, err := os.ReadFile(filepath.Join(dir, "client.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
AuthorizedKeysFile %s
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
PidFile %s
AllowUsers %s
`, port, filepath.Join(dir, "host"), filepath.Join(dir, "authorized_keys"), filepath.Join(dir, "sshd.pid"), me.Username)
	cfg := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = os.MkdirAll("/run/sshd", 0o755) // privilege separation directory (as root)
	cmd := exec.Command(bin, "-D", "-e", "-f", cfg)
	logf, _ := os.Create(filepath.Join(dir, "sshd.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sshd: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "sshd.log"))
			t.Fatalf("sshd does not listen on %d: %v\n%s", port, err, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
	s := &sshd{port: port, key: filepath.Join(dir, "client"), user: me.Username}
	// One non-interactive login proves the key works before the wizard depends on it.
	if out, err := exec.Command("ssh", append(s.options(), "true")...).CombinedOutput(); err != nil {
		b, _ := os.ReadFile(filepath.Join(dir, "sshd.log"))
		t.Fatalf("ssh login: %v\n%s\nsshd:\n%s", err, out, b)
	}
	return s
}

func (s *sshd) options() []string {
	return []string{"-p", fmt.Sprint(s.port), "-i", s.key, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", s.user + "@127.0.0.1"}
}

func TestWizardOverSSH(t *testing.T) {
	w := newWizardRun(t)
	s := startSSHD(t)
	// Only TERM crosses SSH (ssh sends it); the locale is the remote shell's, set here as a login would.
	remote := fmt.Sprintf("cd %s && env LANG=C.UTF-8 %s --source %s --target %s --repository %s --source-location %s --target-location %s --state %s --report-dir %s; echo $? > %s",
		w.dir, w.bin, w.env.SourceURL, w.env.TargetURL, w.repo, w.srcLoc, w.dstLoc,
		filepath.Join(w.dir, "state.json"), filepath.Join(w.dir, "reports"), filepath.Join(w.dir, "rc"))
	args := append([]string{"ssh", "-t"}, s.options()...)
	cmd := strings.Join(args, " ") + " '" + remote + "'; sleep 3600"
	tm := startTmux(t, cmd, 100, 30)
	w.drive(t, tm)
}

// The operator quits while the migration runs: the wizard explains, stops following, exits with 3, and
// `esmigrate resume` finishes the same migration.
func TestWizardStopAndResume(t *testing.T) {
	w := newWizardRun(t)
	s := startTmux(t, w.command(), 100, 30)
	w.start(t, s, "2mb") // slow snapshots, so that there is time to stop
	// Stop once a batch runs (as the hang-up test does): stopped during the run's own pre-flight, nothing was
	// started and there is nothing to resume (the run then says to start again).
	s.waitFor(`Batch 1/2`, 60*time.Second)
	s.keys("q")
	s.waitFor(`Elasticsearch keeps going`, 10*time.Second)
	s.waitFor(`resume --state`, 1*time.Second)
	s.keys("y")
	rc := waitFile(t, filepath.Join(w.dir, "rc"), 60*time.Second)
	if strings.TrimSpace(rc) != "3" {
		t.Fatalf("esmigrate exited %s after stopping, want 3 (stopped):\n%s", rc, s.screen())
	}
	resume := exec.Command(w.bin, "resume", "--state", filepath.Join(w.dir, "state.json"))
	resume.Dir = w.dir
	out, err := resume.CombinedOutput()
	if err != nil {
		t.Fatalf("esmigrate resume: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "3 verified, 0 mismatched, 0 failed, 0 pending") {
		t.Fatalf("resume did not finish the migration:\n%s", out)
	}
	for _, ix := range w.indices {
		src, dst := count(t, w.env.SourceURL, ix), count(t, w.env.TargetURL, w.prefix+ix)
		if src == 0 || src != dst {
			t.Errorf("%s: %d docs on the source, %d in %s on the target", ix, src, dst, w.prefix+ix)
		}
	}
	cleanupRepo(t, w)
}

// The operator quits while the migration runs, then starts the wizard again with the same arguments: it finds
// the unfinished migration in the state file, resumes it on r, and finishes it (doc counts equal, clean-up
// through the wizard, exit 0).
func TestWizardQuitThenStartAgainResumes(t *testing.T) {
	w := newWizardRun(t)
	s := startTmux(t, w.command(), 100, 30)
	w.start(t, s, "2mb")
	s.waitFor(`Batch 1/2`, 60*time.Second)
	s.keys("q")
	s.waitFor(`Elasticsearch keeps going`, 10*time.Second)
	s.keys("y")
	rcPath := filepath.Join(w.dir, "rc")
	if rc := waitFile(t, rcPath, 60*time.Second); strings.TrimSpace(rc) != "3" {
		t.Fatalf("esmigrate exited %s after stopping, want 3 (stopped):\n%s", rc, s.screen())
	}
	s.stop()
	os.Remove(rcPath)

	again := startTmux(t, w.command(), 100, 30)
	again.waitFor(`An unfinished migration`, 60*time.Second)
	again.waitFor(`Batches\s+\d of 2 done`, 5*time.Second)
	again.waitFor(`Stopped in\s+(batch \d of 2: \w+|before the first batch)`, 5*time.Second)
	again.keys("r")
	w.finish(t, again)
	if _, err := os.Stat(filepath.Join(w.dir, "state.json")); err != nil {
		t.Fatalf("the state file is gone after the resume: %v", err)
	}
}

// unfinishedBatches reads a state file as JSON (not through the engine's own reader: the test judges what was
// left on disk) and counts the batches not done.
func unfinishedBatches(t *testing.T, path string) int {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the state file after the hang-up: %v", err)
	}
	var st struct {
		Batches []struct {
			Done bool `json:"done"`
		} `json:"batches"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatalf("the state file after the hang-up is not JSON: %v", err)
	}
	n := 0
	for _, b := range st.Batches {
		if !b.Done {
			n++
		}
	}
	return n
}

// cleanupRepo removes what a migration that was not cleaned up through the wizard left: its snapshots'
// repository registrations (the files go with the test's directories).
func cleanupRepo(t *testing.T, w *wizardRun) {
	for _, url := range []string{w.env.SourceURL, w.env.TargetURL} {
		req, _ := http.NewRequest(http.MethodDelete, url+"/_snapshot/"+w.repo, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	os.RemoveAll(w.srcLoc)
}

// The SSH session drops while the migration runs (tmux goes away: the wizard gets SIGHUP): the state is saved
// and `esmigrate resume` finishes the migration.
func TestWizardHangUpThenResume(t *testing.T) {
	w := newWizardRun(t)
	s := startTmux(t, w.command(), 100, 30)
	w.start(t, s, "2mb")
	// Hang up once a batch runs: the state file exists from then on (before, during the run's own pre-flight,
	// there is nothing to resume, and the test would not be about a hang-up any more).
	s.waitFor(`Batch 1/2`, 60*time.Second)
	exec.Command("tmux", "-L", s.socket, "kill-server").Run()
	deadline := time.Now().Add(90 * time.Second)
	for {
		// What the hung-up wizard left, read before each attempt: the one before the resume that runs must show
		// the migration unfinished, or the hang-up interrupted nothing and the test proves nothing.
		left := unfinishedBatches(t, filepath.Join(w.dir, "state.json"))
		resume := exec.Command(w.bin, "resume", "--state", filepath.Join(w.dir, "state.json"))
		resume.Dir = w.dir
		out, err := resume.CombinedOutput()
		if err == nil {
			if left == 0 {
				t.Fatalf("the hang-up interrupted nothing: every batch was done before the resume:\n%s", out)
			}
			if !strings.Contains(string(out), "3 verified, 0 mismatched, 0 failed, 0 pending") {
				t.Fatalf("resume did not finish the migration:\n%s", out)
			}
			break
		}
		// The hung-up wizard may still hold the state file's lock while it saves and exits.
		if !strings.Contains(string(out), "already working") || time.Now().After(deadline) {
			t.Fatalf("esmigrate resume: %v\n%s", err, out)
		}
		time.Sleep(time.Second)
	}
	for _, ix := range w.indices {
		src, dst := count(t, w.env.SourceURL, ix), count(t, w.env.TargetURL, w.prefix+ix)
		if src == 0 || src != dst {
			t.Errorf("%s: %d docs on the source, %d in %s on the target", ix, src, dst, w.prefix+ix)
		}
	}
	cleanupRepo(t, w)
}
