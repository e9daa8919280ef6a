//go:build integration

package ui_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// esmigrate serve end to end: the real binary is the SSH server; real OpenSSH clients (ssh, keys made by
// ssh-keygen) run in tmux as people would run them; the migration runs against the test clusters.

// server is esmigrate serve on a loopback port (port 0: the kernel's choice, read from its log).
type server struct {
	t       *testing.T
	w       *wizardRun
	keys    string // directory of the clients' keys
	args    []string
	env     []string
	cmd     *exec.Cmd
	exited  chan error
	logPath string
	port    int
}

// The test's clients: two operators, one viewer, and a stranger whose key no file lists.
var clientKeys = []string{"op1", "op2", "viewer", "stranger"}

func startServer(t *testing.T, w *wizardRun, env ...string) *server {
	t.Helper()
	for _, tool := range []string{"ssh", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed for this test (apt-get install openssh-client): %v", tool, err)
		}
	}
	s := &server{t: t, w: w, keys: t.TempDir(), env: env}
	for _, k := range clientKeys {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", k+"@test", "-f", filepath.Join(s.keys, k)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	cat := func(name string, keys ...string) string {
		var b []byte
		for _, k := range keys {
			pub, err := os.ReadFile(filepath.Join(s.keys, k+".pub"))
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, pub...)
		}
		path := filepath.Join(s.keys, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	s.args = []string{"serve", "--listen", "127.0.0.1:0", "--operators", cat("operators", "op1", "op2"),
		"--authorized-keys", cat("watchers", "viewer"),
		"--source", w.env.SourceURL, "--target", w.env.TargetURL, "--repository", w.repo,
		"--source-location", w.srcLoc, "--target-location", w.dstLoc,
		"--state", filepath.Join(w.dir, "state.json"), "--report-dir", filepath.Join(w.dir, "reports")}
	s.start()
	t.Cleanup(func() { s.stop(false) })
	return s
}

// start runs the server and waits until it listens.
func (s *server) start() {
	s.t.Helper()
	s.logPath = filepath.Join(s.w.dir, fmt.Sprintf("serve-%d.log", time.Now().UnixNano()))
	logf, err := os.Create(s.logPath)
	if err != nil {
		s.t.Fatal(err)
	}
	s.cmd = exec.Command(s.w.bin, s.args...)
	s.cmd.Dir = s.w.dir
	s.cmd.Env = append(append(os.Environ(), "LANG=C.UTF-8"), s.env...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start esmigrate serve: %v", err)
	}
	s.exited = make(chan error, 1)
	go func() { s.exited <- s.cmd.Wait(); logf.Close() }()
	listening := regexp.MustCompile(`msg=listening address=127\.0\.0\.1:(\d+)`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(s.logPath)
		if m := listening.FindSubmatch(b); m != nil {
			fmt.Sscan(string(m[1]), &s.port)
			return
		}
		select {
		case err := <-s.exited:
			s.t.Fatalf("esmigrate serve exited (%v):\n%s", err, b)
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("esmigrate serve does not listen after 30s:\n%s", b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop ends the server with SIGTERM, as systemd does, and wants it to exit 0 (when strict) once it saved the
// migration's state.
func (s *server) stop(strict bool) {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	defer func() { s.cmd = nil }() // stopped: the next stop (the test's clean-up) has nothing to do
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exited:
		if strict && err != nil {
			b, _ := os.ReadFile(s.logPath)
			s.t.Fatalf("esmigrate serve stopped with %v:\n%s", err, b)
		}
	case <-time.After(90 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
		if strict {
			s.t.Fatal("esmigrate serve did not stop within 90s of SIGTERM")
		}
	}
}

func (s *server) log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// ssh is the OpenSSH client command of a key (its locale sent along, as Debian's ssh_config does).
func (s *server) ssh(key string) string {
	return fmt.Sprintf("env LANG=C.UTF-8 ssh -t -p %d -i %s -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o SendEnv=LANG 127.0.0.1",
		s.port, filepath.Join(s.keys, key))
}

// attach starts a client in a tmux of its own, 100x32: with the throttles the review shows, its requests still show.
func (s *server) attach(key string) *tmux { return s.attachSized(key, 100, 32) }

func (s *server) attachSized(key string, w, h int) *tmux {
	return startTmux(s.t, s.ssh(key)+"; sleep 3600", w, h)
}

// watch records every screen a viewer's tmux shows while the test runs (for the promise that it never shows
// a credential), until stopped.
type watch struct {
	mu      sync.Mutex
	screens []string
	stop    chan struct{}
	done    chan struct{}
}

func recordScreens(s *tmux) *watch {
	w := &watch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			scr := s.screen()
			w.mu.Lock()
			if n := len(w.screens); n == 0 || w.screens[n-1] != scr {
				w.screens = append(w.screens, scr)
			}
			w.mu.Unlock()
			select {
			case <-w.stop:
				return
			case <-time.After(150 * time.Millisecond):
			}
		}
	}()
	return w
}

func (w *watch) end() []string {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.screens
}

// Two clients attach: the operator drives the whole migration, the viewer watches: first the waiting screen
// with what has been chosen, then the live progress and the end. The viewer's confirmation keys are refused
// and say why; the password of the source's user (given to the server in its environment, as under systemd)
// never appears on any screen the viewer was shown.
func TestServeOneDrivesOneWatches(t *testing.T) {
	w := newWizardRun(t)
	const password = "pw-e2e-S3cret"
	srv := startServer(t, w, "ES_SOURCE_USER=esmigrate", "ES_SOURCE_PASSWORD="+password)
	viewer := srv.attachSized("viewer", 80, 24) // the smallest terminal the wizard promises to fit
	seen := recordScreens(viewer)
	viewer.waitFor(`viewer@test, watching read-only; no operator is connected`, 30*time.Second)
	viewer.waitFor(`No operator is connected; the wizard waits at step 1 of 8 \(Connect\)`, 5*time.Second)

	op := srv.attach("op1")
	viewer.waitFor(`op1@test drives the wizard, at step 1 of 8 \(Connect\)`, 30*time.Second)
	viewer.keys("Enter")
	viewer.waitFor(`Read-only: you watch as viewer@test\. Only a key of the operators file can start,`, 5*time.Second)

	// The source's form has two more fields (user, password: masked) than the helper's walk expects.
	op.waitFor(`URL of a node`, 60*time.Second)
	op.keys("Enter", "Enter")
	w.startWith(t, op, throttles{}, func() {
		// On the review: the viewer sees what was chosen, and its y (the start's confirmation) does nothing.
		viewer.waitFor(`at step 6 of 8 \(Review\)`, 30*time.Second)
		for _, want := range []string{`Source\s+` + regexp.QuoteMeta(w.env.SourceURL), `Repository\s+` + w.repo + ` at\s+` + wrappedAnywhere(w.srcLoc),
			`Indices\s+3 selected, [0-9.]+mb, in 2 batch\(es\) \(at most 8mb each\)`, `Restore as\s+\(\.\+\) › ` + regexp.QuoteMeta(w.prefix+"$1")} {
			viewer.waitFor(want, 10*time.Second)
		}
		viewer.keys("Enter", "y")
		viewer.waitFor(`Read-only: you watch as viewer@test`, 5*time.Second)
		if strings.Contains(op.screen(), "Start the migration now?") {
			t.Fatalf("the viewer's enter reached the wizard:\n%s", op.screen())
		}
	})
	viewer.waitFor(`Overall`, 60*time.Second)
	viewer.waitFor(`Batch 1/2`, 60*time.Second)
	t.Logf("the viewer during the run:\n%s", viewer.screen())
	viewer.keys("p") // a viewer cannot pause either
	viewer.waitFor(`Read-only: you watch as viewer@test`, 5*time.Second)

	op.waitFor(`3 verified, 0 mismatched, 0 failed, 0 pending, in 2 batch\(es\)`, 10*time.Minute)
	viewer.waitFor(`Finished: 3 verified, 0 mismatched, 0 failed, 0 pending\.`, time.Minute)
	viewer.waitFor(`Report:\s*\S*esmigrate-report`, 5*time.Second) // a path too long for the line starts the next one
	t.Logf("the viewer at the end:\n%s", viewer.screen())
	for _, ix := range w.indices {
		src, dst := count(t, w.env.SourceURL, ix), count(t, w.env.TargetURL, w.prefix+ix)
		if src == 0 || src != dst {
			t.Errorf("%s: %d docs on the source, %d in %s on the target", ix, src, dst, w.prefix+ix)
		}
	}
	screens := seen.end()
	if len(screens) < 5 {
		t.Fatalf("only %d different screens recorded from the viewer", len(screens))
	}
	for _, scr := range screens {
		if strings.Contains(scr, password) {
			t.Fatalf("the viewer was shown the source's password:\n%s", scr)
		}
	}
	srv.stop(true)
	cleanupRepo(t, w)
}

// The driver's connection is killed while the target restores (its ssh client dies with its terminal): the
// migration goes on in the server; a new session attaches and sees it finish.
func TestServeDriverDroppedMidRestoreANewSessionSeesTheEnd(t *testing.T) {
	w := newWizardRun(t)
	srv := startServer(t, w)
	op := srv.attach("op1")
	// The restore is throttled (per node) so that it runs for seconds: there is a restore to drop out of.
	w.startWith(t, op, throttles{restore: "1mb"}, nil)
	waitActiveRestore(t, w, 3*time.Minute)
	exec.Command("tmux", "-L", op.socket, "kill-server").Run() // the terminal goes, and its ssh with it
	if !activeRestore(t, w) {
		t.Fatal("the restore had ended when the driver's connection was killed: the test proves nothing")
	}
	waitLog(t, srv, `msg="session detached" who=op1@test`, 30*time.Second)

	again := srv.attach("op2")
	again.waitFor(`(Overall|Report files)`, 60*time.Second)
	again.waitFor(`3 verified, 0 mismatched, 0 failed, 0 pending, in 2 batch\(es\)`, 10*time.Minute)
	for _, ix := range w.indices {
		src, dst := count(t, w.env.SourceURL, ix), count(t, w.env.TargetURL, w.prefix+ix)
		if src == 0 || src != dst {
			t.Errorf("%s: %d docs on the source, %d in %s on the target", ix, src, dst, w.prefix+ix)
		}
	}
	srv.stop(true)
	cleanupRepo(t, w)
}

// A key that no file lists is refused, with a message that names it and says what to do; the server offers
// no password authentication.
func TestServeUnknownKeyRefused(t *testing.T) {
	w := newWizardRun(t)
	srv := startServer(t, w)
	fp, err := exec.Command("ssh-keygen", "-lf", filepath.Join(srv.keys, "stranger.pub")).Output()
	if err != nil {
		t.Fatal(err)
	}
	fingerprint := strings.Fields(string(fp))[1]
	// OpenSSH shows a server's words at its default log level (INFO): without LogLevel=ERROR here.
	cmd := exec.Command("ssh", "-p", fmt.Sprint(srv.port), "-i", filepath.Join(srv.keys, "stranger"), "-o", "IdentitiesOnly=yes",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=no", "127.0.0.1")
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 255 {
		t.Fatalf("ssh with an unknown key: %v (want exit 255, refused)\n%s", err, out)
	}
	for _, want := range []string{"esmigrate serve: the key " + fingerprint + " is not allowed here",
		"Ask whoever runs the server to add your public key", "Permission denied (publickey,keyboard-interactive)"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the client was not told %q:\n%s", want, out)
		}
	}
	if strings.Count(string(out), "is not allowed here") != 1 {
		t.Errorf("the refusal was said %d times, want once:\n%s", strings.Count(string(out), "is not allowed here"), out)
	}
	if strings.Contains(string(out), "password") {
		t.Errorf("the server offered password authentication:\n%s", out)
	}
	waitLog(t, srv, `refused: no key of the operators' or watchers' files.* keys=`+regexp.QuoteMeta(fingerprint), 10*time.Second)
}

// The operator pauses while the snapshot runs: every session is told that the snapshot runs on and where the
// migration will hold, then that it holds. The server is stopped (SIGTERM) and started again on the same state
// file: it goes on with the migration, still paused; the operator resumes it and it finishes.
func TestServePauseShownToEveryViewerAndKeptAcrossARestart(t *testing.T) {
	w := newWizardRun(t)
	srv := startServer(t, w)
	op := srv.attach("op1")
	viewer := srv.attach("viewer")
	viewer.waitFor(`op1@test drives`, 30*time.Second)
	w.startWith(t, op, throttles{snapshot: "1mb"}, nil)
	op.waitFor(`batch 1/2 snapshot: start`, 2*time.Minute)
	op.keys("p")
	const pausing = `Pausing: Elasticsearch cannot pause a running snapshot\. The snapshot of batch 1 runs to its end`
	op.waitFor(pausing, 30*time.Second)
	viewer.waitFor(pausing, 30*time.Second)
	// Batches run in a pipeline (#13): after batch 1's snapshot, its copy and batch 2's snapshot are both next,
	// and the pause holds whichever reaches it first; both lanes hold (the share check below sees no copy).
	const held = `Paused before the (copy of batch 1|snapshot of batch 2): nothing of this migration runs now\.`
	op.waitFor(held, 2*time.Minute)
	viewer.waitFor(held, 30*time.Second)
	viewer.waitFor(`An operator resumes it\.`, 5*time.Second)
	if _, err := os.Stat(filepath.Join(w.dir, "state.json.paused")); err != nil {
		t.Fatalf("the pause is not written down next to the state file: %v", err)
	}

	srv.stop(true)
	waitLog(t, srv, `msg="migration ended"`, 5*time.Second)
	srv.start()
	waitLog(t, srv, `the migration was paused when the server stopped`, 10*time.Second)
	waitLog(t, srv, `msg="migration started"`, 30*time.Second)
	op2 := srv.attach("op1")
	op2.waitFor(held, 2*time.Minute)
	watcher := srv.attach("viewer")
	watcher.waitFor(held, 60*time.Second)
	// Held: the copy has not started (nothing in the target's share).
	if files, _ := filepath.Glob(filepath.Join(w.dstLoc, "*")); len(files) > 0 {
		t.Fatalf("paused before the copy, yet the target's share has %v", files)
	}
	op2.keys("p")
	watcher.waitFor(`Resumed: the migration goes on\.`, 30*time.Second)
	op2.waitFor(`3 verified, 0 mismatched, 0 failed, 0 pending, in 2 batch\(es\)`, 10*time.Minute)
	watcher.waitFor(`Finished: 3 verified, 0 mismatched, 0 failed, 0 pending\.`, time.Minute)
	if _, err := os.Stat(filepath.Join(w.dir, "state.json.paused")); !os.IsNotExist(err) {
		t.Errorf("the pause file outlived the pause: %v", err)
	}
	for _, ix := range w.indices {
		src, dst := count(t, w.env.SourceURL, ix), count(t, w.env.TargetURL, w.prefix+ix)
		if src == 0 || src != dst {
			t.Errorf("%s: %d docs on the source, %d in %s on the target", ix, src, dst, w.prefix+ix)
		}
	}
	srv.stop(true)
	cleanupRepo(t, w)
}

func waitLog(t *testing.T, s *server, re string, timeout time.Duration) {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(timeout)
	for {
		if rx.MatchString(s.log()) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server's log never said /%s/:\n%s", re, s.log())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// activeRestore tells, from the target's recovery API, whether one of this run's indices is being restored
// from a snapshot now.
func activeRestore(t *testing.T, w *wizardRun) bool {
	t.Helper()
	resp, err := http.Get(w.env.TargetURL + "/_cat/recovery/" + w.prefix + "*?active_only=true&format=json&h=index,type,stage")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rows []struct{ Index, Type, Stage string }
	if resp.StatusCode == http.StatusNotFound {
		return false
	}
	if err := json.NewDecoder(bufio.NewReader(resp.Body)).Decode(&rows); err != nil {
		t.Fatalf("recovery: %v", err)
	}
	for _, r := range rows {
		if strings.EqualFold(r.Type, "snapshot") {
			return true
		}
	}
	return false
}

func waitActiveRestore(t *testing.T, w *wizardRun, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for !activeRestore(t, w) {
		select {
		case <-ctx.Done():
			t.Fatal("no restore of this run's indices was seen on the target")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// wrappedAnywhere matches s even where the screen broke it across lines: a path longer than the column (CI
// checks out under a deeper directory than a developer's clone) wraps mid-word onto an indented line.
func wrappedAnywhere(s string) string {
	parts := make([]string, 0, len(s))
	for _, r := range s {
		parts = append(parts, regexp.QuoteMeta(string(r)))
	}
	return strings.Join(parts, `\s*`)
}
