//go:build integration

package steps_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/testenv/envtest"
	"github.com/esmigrate/esmigrate/testenv/faultproxy"
)

// started runs the binary and returns its combined output line by line.
type started struct {
	cmd   *exec.Cmd
	lines chan string
	all   []string
	mu    sync.Mutex
	done  chan struct{}
}

func start(t *testing.T, env []string, args ...string) *started {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &started{cmd: cmd, lines: make(chan string, 4096), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.mu.Lock()
			s.all = append(s.all, sc.Text())
			s.mu.Unlock()
			select {
			case s.lines <- sc.Text():
			default:
			}
		}
		close(s.lines)
	}()
	go func() { cmd.Wait(); pw.Close(); close(s.done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-s.done })
	return s
}

// waitFor reads lines until one satisfies ok (true) or the process ends (false).
func (s *started) waitFor(ok func(string) bool) bool {
	for l := range s.lines {
		if ok(l) {
			return true
		}
	}
	return false
}

func (s *started) wait() (int, string) {
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd.ProcessState.ExitCode(), strings.Join(s.all, "\n")
}

func inProgress(phase steps.Phase) func(string) bool {
	return func(l string) bool {
		m := progressLine.FindStringSubmatch(l)
		return m != nil && m[1] == string(phase) && m[2] != "0" && m[2] != "100"
	}
}

func writePlan(t *testing.T, p steps.Plan) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(f, p.YAML(), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// The SSH session hangs up in the middle of a phase: esmigrate saves its state and stops (exit 3) with the
// resume command, Elasticsearch finishes what it started, and resume follows it to the end.
func TestHangUpDuringSnapshot(t *testing.T) { testHangUp(t, steps.PhaseSnapshot) }
func TestHangUpDuringCopy(t *testing.T)     { testHangUp(t, steps.PhaseTransfer) }
func TestHangUpDuringRestore(t *testing.T)  { testHangUp(t, steps.PhaseRestore) }

func testHangUp(t *testing.T, phase steps.Phase) {
	m := newMigration(t, false, "logs-2026.11.02", "metrics-small")
	switch phase {
	case steps.PhaseSnapshot:
		m.plan.Repository.MaxSnapshotBytesPerSec = "2mb"
	case steps.PhaseTransfer:
		m.plan.Copy.BandwidthLimit = "2mb"
	case steps.PhaseRestore:
		m.plan.Repository.MaxRestoreBytesPerSec = "2mb"
	}
	run := start(t, nil, "run", "--plan", writePlan(t, m.plan), "--accept-warnings")
	if !run.waitFor(inProgress(phase)) {
		_, out := run.wait()
		t.Fatalf("never saw %s in progress:\n%s", phase, out)
	}
	run.cmd.Process.Signal(syscall.SIGHUP)
	code, out := run.wait()
	if code != 3 || !strings.Contains(out, "esmigrate resume --state "+m.plan.StateFile) || !strings.Contains(out, "Elasticsearch finishes what it started") {
		t.Fatalf("after the hang-up: exit %d, want 3 and the resume command:\n%s", code, out)
	}
	st, err := steps.ReadState(m.plan.StateFile)
	if err != nil || st.Batches[0].Phase != phase {
		t.Fatalf("state after the hang-up: %+v %v", st, err)
	}
	if phase == steps.PhaseSnapshot {
		// Elasticsearch goes on without esmigrate.
		deadline := time.Now().Add(time.Minute)
		for {
			s, ok, _ := m.src.Snapshot(context.Background(), m.plan.Repository.Name, st.Batches[0].Snapshot)
			if ok && s.State == "SUCCESS" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the snapshot did not finish on its own: %+v", s)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	out2, err := exec.Command(binary, "resume", "--state", m.plan.StateFile).CombinedOutput()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, out2)
	}
	m.countsEqual("logs-2026.11.02", "metrics-small")
	if n := strings.Count(out+string(out2), "_restore?"); n != 1 {
		t.Errorf("%d restore requests over both runs, want 1", n)
	}
	if n := len(m.snapshots()); n != 1 {
		t.Errorf("%d snapshots, want 1", n)
	}
}

// restartCluster restarts one test cluster (source, target or legacy) with its data, as an operator restarting
// a node would.
func restartCluster(t *testing.T, env envtest.Env, name string) error {
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "testenv", "cluster.sh")
	cmd := exec.Command(script, "restart", name)
	cmd.Env = append(os.Environ(), "ESM_TESTENV_DIR="+env.Dir, "SEED=0")
	// The restarted node's configuration names the other clusters by port (the target's reindex whitelist names
	// the source): give cluster.sh the ports these clusters run on, not its defaults.
	for v, u := range map[string]string{"SOURCE_PORT": env.SourceURL, "TARGET_PORT": env.TargetURL, "LEGACY_PORT": env.LegacyURL,
		"NEXT_PORT": env.NextURL, "OPENSEARCH_PORT": env.OpenSearchURL} {
		if i := strings.LastIndex(u, ":"); i > 0 && u != "" {
			cmd.Env = append(cmd.Env, v+"="+u[i+1:])
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return errors.New(err.Error() + ": " + string(out))
	}
	return nil
}

// The target restarts while the migration needs it: the restart is started as the restore phase begins, and
// the engine is held until the target really refuses connections, so that its first request of the phase finds
// the target down. The test fails when no retry was logged (the fault did not happen, or was not waited for).
func TestTargetRestartedDuringTheMigrationIsWaitedFor(t *testing.T) {
	m := newMigration(t, false, "logs-2026.11.02", "metrics-small")
	var once sync.Once
	restarted := make(chan error, 1)
	down := false
	e := m.engine(steps.Options{AcceptWarnings: true}, func(ev steps.Event) {
		if ev.Phase == steps.PhaseRestore && ev.Kind == steps.KindStart {
			once.Do(func() {
				go func() { restarted <- restartCluster(t, m.env, "target") }()
				// Hold the engine (events are delivered on its goroutine) until the target is gone.
				deadline := time.Now().Add(2 * time.Minute)
				for time.Now().Before(deadline) {
					if _, err := http.Get(m.env.TargetURL); err != nil {
						down = true
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
			})
		}
	})
	rep, err := e.Run(context.Background())
	if rerr := <-restarted; rerr != nil {
		t.Fatalf("restart: %v", rerr)
	}
	if !down {
		t.Fatal("the target never went down: the fault did not happen")
	}
	if err != nil {
		t.Fatalf("the migration did not survive the target's restart: %v", err)
	}
	if rep.Verified != 2 {
		t.Fatalf("verified %d of 2", rep.Verified)
	}
	m.countsEqual("logs-2026.11.02", "metrics-small")
	retried := false
	for _, ev := range m.events {
		if ev.Level == steps.LevelWarn && strings.Contains(ev.Message, "target") && strings.Contains(ev.Message, "retrying in") {
			retried = true
		}
	}
	if !retried {
		t.Fatal("no retry was logged although the target was down when the restore began")
	}
}

func TestSourceRestartedDuringTheSnapshotIsTakenAgain(t *testing.T) {
	m := newMigration(t, false, "logs-2026.11.02", "metrics-small")
	m.plan.Repository.MaxSnapshotBytesPerSec = "1mb"
	var once sync.Once
	restarted := make(chan error, 1)
	e := m.engine(steps.Options{AcceptWarnings: true}, func(ev steps.Event) {
		if ev.Phase == steps.PhaseSnapshot && ev.Kind == steps.KindProgress && ev.Fraction() > 0 && ev.Fraction() < 1 {
			once.Do(func() { go func() { restarted <- restartCluster(t, m.env, "source") }() })
		}
	})
	rep, err := e.Run(context.Background())
	if rerr := <-restarted; rerr != nil {
		t.Fatalf("restart: %v", rerr)
	}
	if err != nil {
		// Elasticsearch may have recorded the interrupted snapshot as failed: the error says so and the next
		// run deletes it and takes it again.
		if !strings.Contains(err.Error(), "snapshot") || !strings.Contains(err.Error(), "resume") {
			t.Fatalf("error after the source restarted: %v", err)
		}
		if rep, err = m.engine(steps.Options{AcceptWarnings: true}).Run(context.Background()); err != nil {
			t.Fatalf("resume after the source restarted: %v", err)
		}
	}
	if rep.Verified != 2 {
		t.Fatalf("verified %d of 2", rep.Verified)
	}
	m.countsEqual("logs-2026.11.02", "metrics-small")
	if n := len(m.snapshots()); n != 1 {
		t.Errorf("%d snapshots in the repository, want 1", n)
	}
	// The restart did interrupt the snapshot: the engine said it takes it again (it vanished) or that the
	// interrupted one failed. A snapshot that finished before the restart would prove nothing.
	interrupted := false
	for _, ev := range m.events {
		if strings.Contains(ev.Message, "taking it again") || strings.Contains(ev.Message, "deleting it and taking it again") ||
			ev.Kind == steps.KindError && strings.Contains(ev.Message, "ended") {
			interrupted = true
		}
	}
	if !interrupted {
		t.Fatal("the snapshot was not interrupted by the source's restart: the fault did not happen")
	}
}

func TestASnapshotOfARedIndexStopsWithTheIndexAndTheReason(t *testing.T) {
	env := envtest.Load(t)
	// A source index of the test's own, which goes red between the pre-flight and the snapshot.
	owner, _ := esclient.New(esclient.Config{Role: "source", URL: env.SourceURL})
	name := envtest.Unique("red")
	create := func(settings map[string]any) {
		if err := owner.Do(context.Background(), i18n.Text("create"), esclient.Request{Method: "PUT", Path: "/" + name,
			Params: map[string][]string{"wait_for_active_shards": {"0"}}, Body: map[string]any{"settings": settings}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	create(map[string]any{"number_of_shards": 1, "number_of_replicas": 0})
	t.Cleanup(func() { owner.DeleteIndices(context.Background(), []string{name}) })
	m := newMigration(t, false, name, "metrics-small")
	e := m.engine(steps.Options{AcceptWarnings: true}, func(ev steps.Event) {
		if ev.Phase == steps.PhasePreflight && ev.Kind == steps.KindDone {
			owner.DeleteIndices(context.Background(), []string{name})
			create(map[string]any{"number_of_shards": 1, "number_of_replicas": 0, "index.routing.allocation.require._name": "no-such-node"})
		}
	})
	rep, err := e.Run(context.Background())
	if err == nil {
		t.Fatal("a snapshot of a red index succeeded")
	}
	if !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "primary") {
		t.Errorf("the error does not name the index and the reason: %v", err)
	}
	if rep == nil || rep.Verified != 0 {
		t.Errorf("report: %+v", rep)
	}
	// The red index is refused by the pre-flight when it is red from the start.
	m2 := newMigration(t, false, name)
	_, err = m2.run(steps.Options{AcceptWarnings: true})
	var pe *steps.PreflightError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "red: "+name) {
		t.Errorf("pre-flight of a red index: %v", err)
	}
}

func TestARestoreThatFailsForOneIndexLetsTheOthersFinish(t *testing.T) {
	env := envtest.Legacy(t)
	legacy, _ := esclient.New(esclient.Config{Role: "legacy", URL: env.LegacyURL})
	m := newMigration(t, false, "metrics-small")
	// An index whose analyzer reads a stop-word file that exists on the legacy nodes but not on the target.
	words := "esmigrate-stopwords.txt"
	for _, node := range []string{"node_1", "node_2"} {
		os.WriteFile(filepath.Join(env.Dir, "legacy", node, "config", words), []byte("the\na\n"), 0o644)
	}
	name := m.id + "-stops"
	body := map[string]any{
		"settings": map[string]any{"number_of_replicas": 0, "analysis": map[string]any{
			"filter":   map[string]any{"my_stop": map[string]any{"type": "stop", "stopwords_path": words}},
			"analyzer": map[string]any{"my_text": map[string]any{"type": "custom", "tokenizer": "standard", "filter": []string{"my_stop"}}}}},
		"mappings": map[string]any{"properties": map[string]any{"text": map[string]any{"type": "text", "analyzer": "my_text"}}},
	}
	if err := legacy.Do(context.Background(), i18n.Text("create"), esclient.Request{Method: "PUT", Path: "/" + name, Body: body}, nil); err != nil {
		t.Fatal(err)
	}
	legacy.Do(context.Background(), i18n.Text("index"), esclient.Request{Method: "PUT", Path: "/" + name + "/_doc/1", Params: map[string][]string{"refresh": {"true"}}, Body: map[string]any{"text": "the quick fox"}}, nil)
	t.Cleanup(func() { legacy.DeleteIndices(context.Background(), []string{name}) })
	m.plan.Source.URL = env.LegacyURL
	m.plan.Indices = []string{name, "metrics-small"}
	m.plan.Repository.SourceLocation = filepath.Join(env.SharedRepoDir, m.id)
	m.src, _ = esclient.New(esclient.Config{Role: "source", URL: env.LegacyURL, ReadOnly: true})
	rep, err := m.run(steps.Options{AcceptWarnings: true, StallTimeout: 2 * time.Minute})
	if err == nil {
		t.Fatal("a failed index did not make the run fail")
	}
	results := map[string]steps.ReportRow{}
	for _, r := range rep.Rows {
		results[r.Index] = r
	}
	if results["metrics-small"].Result != steps.ResultVerified {
		t.Errorf("the healthy index did not finish: %+v", results["metrics-small"])
	}
	bad := results[name]
	if bad.Result != steps.ResultFailed || !strings.Contains(bad.Reason, words) {
		t.Errorf("the failing index is not named with its reason: %+v", bad)
	}
	md, _ := os.ReadFile(rep.Markdown)
	if !strings.Contains(string(md), name) || !strings.Contains(string(md), "## Problems") {
		t.Errorf("the report does not name the failure:\n%s", md)
	}
	m.countsEqual("metrics-small")
}

func TestTheTargetShareFillingUpStopsTheCopyWithoutAHalfFile(t *testing.T) {
	m := newMigration(t, false, "logs-2026.11.02")
	// A small filesystem as the target's share: a tmpfs mounted inside the target's path.repo.
	mnt := m.plan.Repository.TargetLocation
	os.MkdirAll(mnt, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount a small tmpfs at %s (needs root): %v %s", mnt, err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	filler := filepath.Join(mnt, "filler")
	var once sync.Once
	m.plan.Copy.BandwidthLimit = "8mb"
	e := m.engine(steps.Options{AcceptWarnings: true}, func(ev steps.Event) {
		// Someone else fills the share while the copy runs.
		if ev.Phase == steps.PhaseTransfer && ev.Kind == steps.KindProgress {
			once.Do(func() { os.WriteFile(filler, make([]byte, 10<<20), 0o644) })
		}
	})
	_, err := e.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "full") && !strings.Contains(err.Error(), "free") {
		t.Fatalf("copy into a full share: %v", err)
	}
	// No file under its real name differs from the source.
	srcDir := m.plan.Repository.SourceLocation
	filepath.WalkDir(mnt, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == filler || strings.HasPrefix(d.Name(), ".esmigrate") {
			return nil
		}
		rel, _ := filepath.Rel(mnt, p)
		if sum(t, p) != sum(t, filepath.Join(srcDir, rel)) {
			t.Errorf("%s looks complete but differs from the source", rel)
		}
		return nil
	})
	// Space freed: the next run finishes the copy and the migration.
	os.Remove(filler)
	if _, err := m.engine(steps.Options{AcceptWarnings: true}).Run(context.Background()); err != nil {
		t.Fatalf("after freeing space: %v", err)
	}
	m.countsEqual("logs-2026.11.02")
}

func sum(t *testing.T, path string) [32]byte {
	b, err := os.ReadFile(path)
	if err != nil {
		return [32]byte{}
	}
	return sha256.Sum256(b)
}

func TestASecondEsmigrateOnTheSameStateIsRefused(t *testing.T) {
	m := newMigration(t, false, "logs-2026.11.02")
	m.plan.Repository.MaxSnapshotBytesPerSec = "1mb"
	plan := writePlan(t, m.plan)
	first := start(t, nil, "run", "--plan", plan, "--accept-warnings")
	if !first.waitFor(inProgress(steps.PhaseSnapshot)) {
		_, out := first.wait()
		t.Fatalf("first run:\n%s", out)
	}
	out, err := exec.Command(binary, "run", "--plan", plan, "--accept-warnings").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "is already working on "+m.plan.StateFile) {
		t.Errorf("second run: %v\n%s", err, out)
	}
	out, err = exec.Command(binary, "resume", "--state", m.plan.StateFile).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "already working on") {
		t.Errorf("resume while running: %v\n%s", err, out)
	}
	if code, out := first.wait(); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	m.countsEqual("logs-2026.11.02")
}

func TestAStateFileOfAnotherPlanOrDamagedIsRefused(t *testing.T) {
	m := newMigration(t, true, "metrics-small")
	if out, err := exec.Command(binary, "run", "--plan", writePlan(t, m.plan), "--accept-warnings").CombinedOutput(); err != nil {
		t.Fatalf("first plan: %v\n%s", err, out)
	}
	other := m.plan
	other.Indices = []string{"empty-index"}
	out, err := exec.Command(binary, "run", "--plan", writePlan(t, other), "--accept-warnings").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "belongs to another plan") {
		t.Errorf("another plan on the same state: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(m.plan.StateFile)
	os.WriteFile(m.plan.StateFile, b[:len(b)/2], 0o600)
	out, err = exec.Command(binary, "resume", "--state", m.plan.StateFile).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "is damaged") || !strings.Contains(string(out), ".prev") {
		t.Errorf("truncated state: %v\n%s", err, out)
	}
}

// Nothing a whole migration sends writes to the source. A proxy in front of the real source records every
// request that reached it (after esmigrate's own guard, at the wire), and each is judged by this test's own
// rule, mayReachSource, written apart from the guard. The migration verifies content and deletes its snapshots,
// so that the counts, the sequence numbers, the point-in-time or scroll reads and the snapshot deletions are on
// the wire too: from a 7.17 source (point in time) and from a 7.10 one (scroll). Independently of any request,
// the source's indices are compared before and after: same documents, same sequence numbers, same settings.
func TestNoRequestOfAWholeMigrationWritesToTheSource(t *testing.T) {
	for _, from := range []string{"es717", "es710"} {
		t.Run(from, func(t *testing.T) {
			indices := []string{"logs-2026.11.01", "articles", "empty-index"}
			m := newMigration(t, false, indices...)
			if from == "es710" {
				m.fromLegacy()
			}
			before := sourceFingerprint(t, m.plan.Source.URL, indices)
			realURL := m.plan.Source.URL
			p := faultproxy.Start(t, realURL, faultproxy.Options{Record: true})
			m.plan.Source.URL = p.URL
			m.plan.Verify = steps.VerifyContent
			m.plan.Cleanup.DeleteSnapshots = true
			rep, err := m.run(steps.Options{AcceptWarnings: true})
			m.plan.Source.URL = realURL // the test's own clean-up goes to the cluster directly
			if err != nil {
				t.Fatal(err)
			}
			if rep.Verified != len(indices) {
				t.Fatalf("verified %d of %d: %+v", rep.Verified, len(indices), rep.Rows)
			}
			sent := p.Recorded()
			seen := map[string]bool{}
			for _, r := range sent {
				if why := mayReachSource(r, m.plan.Repository.Name); why != "" {
					t.Errorf("a request that may change the source reached it: %s %s?%s %s: %s", r.Method, r.Path, r.RawQuery, r.Body, why)
				}
				seen[wireKind(r)] = true
			}
			// The rule judged the requests of every step, content verification's included.
			want := []string{"PUT snapshot", "DELETE snapshot", "POST _msearch", "GET _stats"}
			if from == "es717" {
				want = append(want, "POST _pit", "POST _search", "DELETE _pit")
			} else {
				want = append(want, "POST index/_search", "POST _search/scroll", "DELETE _search/scroll")
			}
			for _, w := range want {
				if !seen[w] {
					t.Errorf("no %s reached the source: the rule did not see that step (seen: %v)", w, seen)
				}
			}
			if after := sourceFingerprint(t, realURL, indices); after != before {
				t.Errorf("the source's indices changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// sourceFingerprint is what the source's indices are, read directly: every primary's sequence numbers, the
// top-level document counts, the number of replicas and the index UUIDs. A write of any kind changes it.
func sourceFingerprint(t *testing.T, url string, indices []string) string {
	t.Helper()
	c, _ := esclient.New(esclient.Config{Role: "owner", URL: url})
	ctx := context.Background()
	seq, err := c.SeqNos(ctx, indices)
	if err != nil {
		t.Fatal(err)
	}
	counts, _, err := c.Counts(ctx, indices)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.IndexDetails(ctx, indices)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, ix := range indices {
		fmt.Fprintf(&b, "%s uuid=%s docs=%d replicas=%s seq=", ix, seq[ix].UUID, counts[ix], d[ix].Settings["index.number_of_replicas"])
		for _, sh := range seq[ix].Shards() {
			fmt.Fprintf(&b, "%d:%d/%d,", sh, seq[ix].Primaries[sh].Max, seq[ix].Primaries[sh].LocalCheckpoint)
		}
		b.WriteString("; ")
	}
	return b.String()
}

// wireKind names a recorded request's kind for the test's coverage check.
func wireKind(r faultproxy.Recorded) string {
	segs := strings.Split(strings.Trim(r.Path, "/"), "/")
	switch {
	case segs[0] == "_snapshot" && len(segs) == 3 && !strings.HasPrefix(segs[2], "_"):
		return r.Method + " snapshot"
	case len(segs) == 2 && !strings.HasPrefix(segs[0], "_") && segs[1] == "_search":
		return r.Method + " index/_search"
	case len(segs) == 2 && !strings.HasPrefix(segs[0], "_") && segs[1] == "_pit":
		return r.Method + " _pit"
	case len(segs) >= 2 && segs[1] == "_stats":
		return r.Method + " _stats"
	}
	return r.Method + " " + strings.Join(segs, "/")
}

// mayReachSource is this test's own rule of what may reach a source cluster, written apart from esmigrate's
// guard and from what esmigrate happens to send. A request passes when it only reads (GET, HEAD); when it
// registers, verifies or unregisters the plan's own repository, or takes or deletes a snapshot in it (never a
// restore, a clone or a clean-up); when it is a refresh, a count or a search (the _search and _msearch APIs, a
// scroll's next page, ending a scroll); or when it opens or closes a point in time, with no body (on 7.x before
// 7.13 the same shape is the typed document API, which needs a body to write anything). It returns why a request
// breaks the rule, "" when it does not.
func mayReachSource(r faultproxy.Recorded, repo string) string {
	var segs []string
	if r.Path == "/" {
		segs = []string{""} // the root: only read
	}
	for _, raw := range strings.Split(strings.Trim(r.Path, "/"), "/") {
		if r.Path == "/" {
			break
		}
		s, err := url.PathUnescape(raw)
		if err != nil || s == "" || s == "." || s == ".." || strings.Contains(s, "/") {
			return fmt.Sprintf("path segment %q cannot be read one way only", raw)
		}
		segs = append(segs, s)
	}
	q, _ := url.ParseQuery(r.RawQuery)
	index := func(s string) bool { return !strings.HasPrefix(s, "_") } // an index name, not an API
	is := func(parts ...string) bool {
		if len(parts) != len(segs) {
			return false
		}
		for i, p := range parts {
			if p == "<index>" && index(segs[i]) || p == segs[i] {
				continue
			}
			return false
		}
		return true
	}
	m := r.Method
	switch {
	case m == "GET" || m == "HEAD":
		return ""
	case segs[0] == "":
		return "a write to the cluster's root"
	case segs[0] == "_snapshot":
		switch {
		case len(segs) < 2 || segs[1] != repo:
			return "a snapshot API of another repository than the plan's"
		case len(segs) == 2 && (m == "PUT" || m == "POST" || m == "DELETE"):
			return ""
		case len(segs) == 3 && segs[2] == "_verify" && m == "POST":
			return ""
		case len(segs) == 3 && !strings.HasPrefix(segs[2], "_") && !strings.ContainsAny(segs[2], ",*") && (m == "PUT" || m == "POST" || m == "DELETE"):
			return ""
		}
		return "a snapshot API other than register, verify, take or delete one snapshot"
	case m == "POST" && (is("_refresh") || is("<index>", "_refresh")):
		return ""
	case m == "POST" && (is("_count") || is("<index>", "_count") || is("_msearch") || is("_search") || is("<index>", "_search") || is("_search", "scroll")):
		return ""
	case m == "POST" && is("_cluster", "allocation", "explain"):
		return ""
	case m == "DELETE" && is("_search", "scroll"):
		if strings.Contains(string(r.Body), "_all") {
			return "ends every scroll of the cluster, not ours"
		}
		return ""
	case m == "POST" && (is("<index>", "_pit") || is("<index>", "_search", "point_in_time")):
		if len(r.Body) > 0 || q.Get("keep_alive") == "" {
			return "opening a point in time takes a keep_alive and no body"
		}
		return ""
	case m == "DELETE" && (is("_pit") || is("_search", "point_in_time")):
		return ""
	}
	return "not a read, a refresh, a count, a search, a point in time or a snapshot of the plan's repository"
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestCredentialsAreNeverWrittenAnywhere(t *testing.T) {
	const password = "pw-9f8e7d-Very-Secret"
	m := newMigration(t, false, "metrics-small")
	sp := faultproxy.Start(t, m.env.SourceURL, faultproxy.Options{User: "elastic", Password: password})
	tp := faultproxy.Start(t, m.env.TargetURL, faultproxy.Options{TLS: true, User: "admin", Password: password})
	m.plan.Source.URL, m.plan.Source.Username = sp.URL, "elastic"
	m.plan.Target.URL, m.plan.Target.Username, m.plan.Target.CACert = tp.URL, "admin", tp.CAFile
	env := []string{"ES_SOURCE_PASSWORD=" + password, "ES_TARGET_PASSWORD=" + password}
	planFile := writePlan(t, m.plan)
	dry := start(t, env, "run", "--plan", planFile, "--accept-warnings", "--dry-run")
	code, dryOut := dry.wait()
	if code != 0 {
		t.Fatalf("dry run: exit %d\n%s", code, dryOut)
	}
	run := start(t, env, "run", "--plan", planFile, "--accept-warnings")
	code, out := run.wait()
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	if !strings.Contains(dryOut, `-u "elastic:$ES_SOURCE_PASSWORD"`) || !strings.Contains(dryOut, `-u "admin:$ES_TARGET_PASSWORD"`) {
		t.Errorf("curl commands do not use placeholders:\n%s", dryOut)
	}
	secrets := []string{password, base64.StdEncoding.EncodeToString([]byte("elastic:" + password)), base64.StdEncoding.EncodeToString([]byte("admin:" + password))}
	check := func(what, content string) {
		for _, s := range secrets {
			if strings.Contains(content, s) {
				t.Errorf("%s contains a credential", what)
			}
		}
	}
	check("the output", out+dryOut)
	for _, dir := range []string{filepath.Dir(m.plan.StateFile), m.plan.ReportDir, filepath.Dir(planFile)} {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			b, _ := os.ReadFile(p)
			check(p, string(b))
			if info, _ := d.Info(); strings.HasPrefix(d.Name(), "esmigrate-") || strings.HasPrefix(d.Name(), "state.json") {
				if info.Mode().Perm() != 0o600 {
					t.Errorf("%s has mode %v, want 0600", p, info.Mode().Perm())
				}
			}
			return nil
		})
	}
	m.countsEqual("metrics-small")
}

func TestInsecureIsWarnedAboutOnEveryRun(t *testing.T) {
	m := newMigration(t, true, "metrics-small")
	p := faultproxy.Start(t, m.env.TargetURL, faultproxy.Options{TLS: true})
	m.plan.Target.URL, m.plan.Target.Insecure = p.URL, true
	plan := writePlan(t, m.plan)
	for i := 0; i < 2; i++ {
		out, err := exec.Command(binary, "run", "--plan", plan, "--accept-warnings", "--dry-run").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "WARNING: --insecure") {
			t.Errorf("run %d: %v\n%s", i+1, err, out)
		}
	}
	// Without --insecure (and without the CA) the same cluster is refused.
	m.plan.Target.Insecure = false
	out, err := exec.Command(binary, "run", "--plan", writePlan(t, m.plan), "--accept-warnings", "--dry-run").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--ca-cert") {
		t.Errorf("TLS verification is not on by default: %v\n%s", err, out)
	}
}

func TestDeletingAnIndexOnTheTargetNeedsTheExplicitFlag(t *testing.T) {
	m := newMigration(t, true, "metrics-small")
	m.plan.OnConflict = steps.ConflictDelete
	taken := steps.TargetName("metrics-small", m.plan.Restore)
	if err := m.dst.Do(context.Background(), i18n.Text("create"), esclient.Request{Method: "PUT", Path: "/" + taken}, nil); err != nil {
		t.Fatal(err)
	}
	plan := writePlan(t, m.plan)
	out, err := exec.Command(binary, "run", "--plan", plan, "--accept-warnings").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "already on the target: "+taken) {
		t.Fatalf("on_conflict: delete without --allow-delete-target: %v\n%s", err, out)
	}
	if ex, _ := m.dst.Exists(context.Background(), []string{taken}); !ex[taken] {
		t.Fatal("the target index was deleted without the flag")
	}
	out, err = exec.Command(binary, "run", "--plan", plan, "--accept-warnings", "--allow-delete-target").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "delete existing target indices "+taken) {
		t.Fatalf("with --allow-delete-target: %v\n%s", err, out)
	}
	m.countsEqual("metrics-small")
}

// A target name that is an alias on the target is not "an index in the way": with on_conflict: delete and the
// explicit flag, the run stops at the pre-flight naming the alias and the index behind it, and that index, which
// is not the migration's, is still there with its document afterwards (read from the cluster itself).
func TestATargetNameThatIsAnAliasOnTheTargetIsNeverDeletedThrough(t *testing.T) {
	m := newMigration(t, true, "metrics-small")
	m.plan.OnConflict = steps.ConflictDelete
	ctx := context.Background()
	taken := steps.TargetName("metrics-small", m.plan.Restore)
	other := m.id + "-not-ours"
	create := esclient.Request{Method: "PUT", Path: "/" + other, Body: map[string]any{"aliases": map[string]any{taken: map[string]any{}}}}
	if err := m.dst.Do(ctx, i18n.Text("create"), create, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.dst.Do(ctx, i18n.Text("delete"), esclient.Request{Method: "DELETE", Path: "/" + other}, nil) })
	if err := m.dst.Do(ctx, i18n.Text("index"), esclient.Request{Method: "PUT", Path: "/" + other + "/_doc/1", Params: url.Values{"refresh": {"true"}}, Body: map[string]any{"kept": true}}, nil); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binary, "run", "--plan", writePlan(t, m.plan), "--accept-warnings", "--allow-delete-target").CombinedOutput()
	if err == nil || !strings.Contains(string(out), taken+" → "+other) || !strings.Contains(string(out), "is an alias there") {
		t.Fatalf("a target name that is an alias of %s was not refused with both names: %v\n%s", other, err, out)
	}
	if strings.Contains(string(out), "DELETE") && strings.Contains(string(out), "/"+other) {
		t.Errorf("a DELETE of %s was shown or sent:\n%s", other, out)
	}
	var count struct {
		Count int `json:"count"`
	}
	if err := m.dst.Do(ctx, i18n.Text("count"), esclient.Request{Method: "GET", Path: "/" + other + "/_count"}, &count); err != nil || count.Count != 1 {
		t.Fatalf("the index behind the alias, not the migration's, is gone or changed: %v, %d document(s)", err, count.Count)
	}
}

// The wire rule itself refuses what could change a source, so that the test above can fail.
func TestTheWireRuleRefusesWritesToTheSource(t *testing.T) {
	for _, r := range []faultproxy.Recorded{
		{Method: "PUT", Path: "/logs/_doc/1", Body: []byte(`{"a":1}`)}, {Method: "POST", Path: "/logs/_doc", Body: []byte(`{}`)},
		{Method: "POST", Path: "/_bulk"}, {Method: "DELETE", Path: "/logs"}, {Method: "PUT", Path: "/logs/_settings"},
		{Method: "POST", Path: "/logs/_delete_by_query"}, {Method: "POST", Path: "/logs/_update/1"}, {Method: "POST", Path: "/logs/_forcemerge"},
		{Method: "POST", Path: "/_snapshot/other/s1"}, {Method: "POST", Path: "/_snapshot/esm/s1/_restore"}, {Method: "DELETE", Path: "/_snapshot/esm/*"},
		{Method: "POST", Path: "/logs/_pit", RawQuery: "keep_alive=1m", Body: []byte(`{"a":1}`)}, {Method: "POST", Path: "/logs/_pit"},
		{Method: "POST", Path: "/logs/_search/point_in_time", Body: []byte(`{"a":1}`)}, {Method: "DELETE", Path: "/_search/scroll", Body: []byte(`{"scroll_id":["_all"]}`)},
		{Method: "POST", Path: "/logs/%2e%2e/_refresh"}, {Method: "PUT", Path: "/"}, {Method: "POST", Path: "/logs/_close"},
		// What the old guard let through (#11 item 6): a read's name after a document write or delete.
		{Method: "PUT", Path: "/logs/_doc/_count", Body: []byte(`{"a":1}`)}, {Method: "DELETE", Path: "/logs/_doc/_search"},
		{Method: "POST", Path: "/logs/_doc/_count", Body: []byte(`{"a":1}`)}, {Method: "PUT", Path: "/_snapshot/esm/_verify"},
		{Method: "POST", Path: "/_snapshot/esm/_cleanup"}, {Method: "DELETE", Path: "/_snapshot/esm/_all"},
	} {
		if mayReachSource(r, "esm") == "" {
			t.Errorf("%s %s %s passed the wire rule", r.Method, r.Path, r.Body)
		}
	}
}

// One writer per repository: a writable registration of the repository's location under another name on the
// target is refused before anything is snapshotted, and the target's own registration is read-only.
func TestASecondWriterOnTheRepositoryIsRefused(t *testing.T) {
	m := newMigration(t, true, "metrics-small")
	other := m.id + "-writer"
	if err := m.dst.CreateRepository(context.Background(), esclient.RepositorySpec{Name: other, Location: m.plan.Repository.TargetLocation}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.dst.DeleteRepository(context.Background(), other) })
	if r, ok, _ := m.dst.Repository(context.Background(), other); !ok || r.ReadOnly() {
		t.Fatalf("the test's writable repository is not there: %+v", r)
	}
	_, err := m.run(steps.Options{AcceptWarnings: true})
	if err == nil || !strings.Contains(err.Error(), "already writes to "+m.plan.Repository.TargetLocation) || !strings.Contains(err.Error(), "two writers") {
		t.Fatalf("a second writer was not refused: %v", err)
	}
	if n := len(m.snapshots()); n != 0 {
		t.Errorf("%d snapshot(s) taken with a second writer on the repository", n)
	}
}
