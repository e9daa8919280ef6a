//go:build integration

package steps_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/testenv/envtest"
)

var binary string

// atExit runs after the package's tests: clean-ups of fixtures that several tests share.
var atExit []func()

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "esmigrate-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "esmigrate")
	if out, err := exec.Command("go", "build", "-o", binary, "github.com/esmigrate/esmigrate").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build esmigrate: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	for _, f := range atExit {
		f()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// migration is one test's plan and what it saw.
type migration struct {
	t      *testing.T
	env    envtest.Env
	id     string
	plan   steps.Plan
	mu     sync.Mutex
	events []steps.Event
	src    *esclient.Client
	dst    *esclient.Client
	// set by bad-input rows: the file a planted link points at, and whether a listener got a TLS hello
	victim      string
	sawTLSHello atomic.Bool
}

// newMigration plans a migration of the given source indices, restored under "<id>-<name>" so that tests do
// not collide on the shared target cluster.
func newMigration(t *testing.T, shared bool, indices ...string) *migration {
	t.Helper()
	env := envtest.Load(t)
	id := envtest.Unique("m")
	p := steps.DefaultPlan()
	p.Source.URL, p.Target.URL = env.SourceURL, env.TargetURL
	p.Repository.Name = id
	if shared {
		p.Repository.Shared = true
		p.Repository.SourceLocation = filepath.Join(env.SharedRepoDir, id)
		p.Repository.TargetLocation = p.Repository.SourceLocation
	} else {
		p.Repository.SourceLocation = filepath.Join(env.SourceRepoDir, id)
		p.Repository.TargetLocation = filepath.Join(env.TargetRepoDir, id)
	}
	p.Indices = indices
	p.Restore.RenamePattern, p.Restore.RenameReplacement = "(.+)", id+"-$1"
	dir := t.TempDir()
	p.StateFile = filepath.Join(dir, "state.json")
	p.ReportDir = filepath.Join(dir, "reports")
	p.PollInterval = steps.Duration{Duration: 200 * time.Millisecond}
	m := &migration{t: t, env: env, id: id, plan: p}
	var err error
	if m.src, err = esclient.New(esclient.Config{Role: "source", URL: env.SourceURL, ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	if m.dst, err = esclient.New(esclient.Config{Role: "target", URL: p.Target.URL}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.cleanup)
	return m
}

func (m *migration) cleanup() {
	ctx := context.Background()
	var names []string
	for _, ix := range m.plan.Indices {
		names = append(names, steps.TargetName(ix, m.plan.Restore))
	}
	if all, err := m.dst.Indices(ctx); err == nil {
		for _, ix := range all {
			if strings.HasPrefix(ix.Name, m.id+"-") {
				names = append(names, ix.Name)
			}
		}
	}
	if exists, err := m.dst.Exists(ctx, names); err == nil && len(exists) > 0 {
		var del []string
		for n := range exists {
			del = append(del, n)
		}
		m.dst.DeleteIndices(ctx, del)
	}
	m.dst.DeleteRepository(ctx, m.plan.TargetRepoName())
	if src, err := esclient.New(esclient.Config{Role: "source", URL: m.plan.Source.URL}); err == nil {
		if snaps, err := src.Snapshots(ctx, m.plan.Repository.Name); err == nil {
			for _, s := range snaps {
				src.DeleteSnapshot(ctx, m.plan.Repository.Name, s.Name)
			}
		}
		src.DeleteRepository(ctx, m.plan.Repository.Name)
	}
	if !m.plan.Repository.Shared {
		os.RemoveAll(m.plan.Repository.TargetLocation)
	}
	os.RemoveAll(m.plan.Repository.SourceLocation)
}

// fromLegacy makes the 7.10 "legacy" cluster (two nodes, OSS: no point in time) the migration's source. Its
// second node sees only the shared directory, so the repository goes there.
func (m *migration) fromLegacy() {
	m.t.Helper()
	env := envtest.Legacy(m.t)
	m.plan.Source.URL = env.LegacyURL
	if !m.plan.Repository.Shared { // a shared repository is in the shared directory already
		m.plan.Repository.SourceLocation = filepath.Join(env.SharedRepoDir, m.id)
	}
	m.src, _ = esclient.New(esclient.Config{Role: "source", URL: env.LegacyURL, ReadOnly: true})
}

func (m *migration) engine(o steps.Options, hooks ...func(steps.Event)) *steps.Engine {
	m.t.Helper()
	o = withEvents(m, o, hooks...)
	if o.StallTimeout == 0 {
		o.StallTimeout = 2 * time.Minute
	}
	e, err := steps.New(m.plan, o)
	if err != nil {
		m.t.Fatal(err)
	}
	return e
}

func (m *migration) run(o steps.Options) (*steps.Report, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return m.engine(o).Run(ctx)
}

func (m *migration) requests(phase steps.Phase) []steps.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []steps.Event
	for _, e := range m.events {
		if e.Kind == steps.KindRequest && e.Phase == phase {
			out = append(out, e)
		}
	}
	return out
}

// countsEqual checks every planned index against its target copy with fresh _count requests.
func (m *migration) countsEqual(indices ...string) {
	m.t.Helper()
	ctx := context.Background()
	for _, ix := range indices {
		target := steps.TargetName(ix, m.plan.Restore)
		if err := m.dst.Refresh(ctx, target); err != nil {
			m.t.Errorf("%s: %v", target, err)
			continue
		}
		a, err1 := m.src.Count(ctx, ix)
		b, err2 := m.dst.Count(ctx, target)
		if err1 != nil || err2 != nil || a != b {
			m.t.Errorf("%s → %s: source %d, target %d (%v %v)", ix, target, a, b, err1, err2)
		}
	}
}

func (m *migration) snapshots() []esclient.Snapshot {
	m.t.Helper()
	src, _ := esclient.New(esclient.Config{Role: "source", URL: m.plan.Source.URL, ReadOnly: true})
	snaps, err := src.Snapshots(context.Background(), m.plan.Repository.Name)
	if esclient.IsType(err, esclient.TypeUnreachable) || esclient.IsType(err, esclient.TypeTLS) || esclient.IsType(err, esclient.TypeNotES) {
		return nil // a test of a wrong source URL: nothing can have been taken there
	}
	if err != nil && !esclient.IsType(err, "repository_missing_exception") {
		m.t.Fatal(err)
	}
	return snaps
}

func TestThreeIndicesInTwoBatchesThroughSeparateSharesWithTheCopy(t *testing.T) {
	m := newMigration(t, false, "logs-2026.11.01", "logs-2026.11.03", "metrics-small")
	m.plan.BatchMaxSize = "4mb"
	rep, err := m.run(steps.Options{AcceptWarnings: true})
	if err != nil {
		t.Fatalf("migration: %v", err)
	}
	if rep.Batches != 2 || rep.Verified != 3 || rep.Failed+rep.Mismatched+rep.Pending != 0 {
		t.Fatalf("report: %d batches, %d verified, %d failed, %d mismatched, %d pending", rep.Batches, rep.Verified, rep.Failed, rep.Mismatched, rep.Pending)
	}
	m.countsEqual("logs-2026.11.01", "logs-2026.11.03", "metrics-small")

	// The copy put the repository in the target's share, and the target reads it read-only.
	if _, err := os.Stat(filepath.Join(m.plan.Repository.TargetLocation, "index.latest")); err != nil {
		t.Errorf("no repository copied to the target share: %v", err)
	}
	repo, ok, err := m.dst.Repository(context.Background(), m.plan.TargetRepoName())
	if err != nil || !ok || !repo.ReadOnly() {
		t.Errorf("target repository %+v ok=%v err=%v: want it registered read-only", repo, ok, err)
	}
	if n := len(m.snapshots()); n != 2 {
		t.Errorf("%d snapshots in the repository, want one per batch (2)", n)
	}
	// Replicas: restored with 0, the original value put back after verification.
	d, err := m.dst.IndexDetails(context.Background(), []string{m.id + "-logs-2026.11.01"})
	if err != nil || d[m.id+"-logs-2026.11.01"].Settings["index.number_of_replicas"] != "1" {
		t.Errorf("number_of_replicas not put back to 1: %v %v", d[m.id+"-logs-2026.11.01"].Settings["index.number_of_replicas"], err)
	}
	// Aliases came along (renamed indices keep their aliases).
	all, _ := m.dst.Indices(context.Background())
	for _, ix := range all {
		if ix.Name == m.id+"-logs-2026.11.03" && !contains(ix.Aliases, "logs") {
			t.Errorf("alias logs not restored on %s: %v", ix.Name, ix.Aliases)
		}
	}
	// State and report files are private.
	for _, f := range []string{m.plan.StateFile, rep.JSON, rep.Markdown} {
		st, err := os.Stat(f)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v; want 0600", f, st.Mode().Perm(), err)
		}
	}
	if len(m.requests(steps.PhaseRestore)) != 2 {
		t.Errorf("want exactly one restore request per batch, got %d", len(m.requests(steps.PhaseRestore)))
	}
}

func TestSharedStorageRegistersTheTargetReadOnlyAndCopiesNothing(t *testing.T) {
	m := newMigration(t, true, "articles", "empty-index")
	rep, err := m.run(steps.Options{AcceptWarnings: true})
	if err != nil {
		t.Fatalf("migration: %v", err)
	}
	if rep.Verified != 2 {
		t.Fatalf("verified %d of 2: %+v", rep.Verified, rep.Rows)
	}
	m.countsEqual("articles", "empty-index")
	repo, ok, _ := m.dst.Repository(context.Background(), m.plan.TargetRepoName())
	if !ok || !repo.ReadOnly() || repo.Location() != m.plan.Repository.SourceLocation {
		t.Errorf("target repository %+v: want read-only at the shared location", repo)
	}
	for _, e := range m.events {
		if e.Phase == steps.PhaseTransfer && e.Kind == steps.KindProgress {
			t.Fatalf("shared storage copied something: %v", e)
		}
	}
	// articles has nested documents: the verification compares top-level counts (_count), not _cat/indices.
	for _, r := range rep.Rows {
		if r.Index == "articles" && r.SourceDocs != 3000 {
			t.Errorf("articles verified with %d documents, want the 3000 top-level ones", r.SourceDocs)
		}
	}
}

func TestRenameRestoreGivesEveryIndexItsNewName(t *testing.T) {
	m := newMigration(t, true, "logs-*")
	m.plan.Restore.RenamePattern, m.plan.Restore.RenameReplacement = "logs-(.+)", m.id+"-archive-$1"
	rep, err := m.run(steps.Options{AcceptWarnings: true})
	if err != nil {
		t.Fatalf("migration: %v", err)
	}
	want := map[string]string{"logs-2026.11.01": m.id + "-archive-2026.11.01", "logs-2026.11.02": m.id + "-archive-2026.11.02", "logs-2026.11.03": m.id + "-archive-2026.11.03"}
	if len(rep.Rows) != 3 {
		t.Fatalf("rows: %+v", rep.Rows)
	}
	for _, r := range rep.Rows {
		if want[r.Index] != r.Target || r.Result != steps.ResultVerified {
			t.Errorf("%s → %s (%s), want %s verified", r.Index, r.Target, r.Result, want[r.Index])
		}
	}
	exists, _ := m.dst.Exists(context.Background(), []string{want["logs-2026.11.02"], "logs-2026.11.02"})
	if !exists[want["logs-2026.11.02"]] || exists["logs-2026.11.02"] {
		t.Errorf("target names: %v", exists)
	}
}

func TestAnIndexAlreadyOnTheTargetIsRefusedBeforeAnySnapshot(t *testing.T) {
	m := newMigration(t, true, "metrics-small")
	taken := steps.TargetName("metrics-small", m.plan.Restore)
	// Someone already has an index of that name on the target.
	err := m.dst.Do(context.Background(), i18n.Text("create"), esclient.Request{Method: "PUT", Path: "/" + taken}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.run(steps.Options{AcceptWarnings: true})
	var pe *steps.PreflightError
	if !errors.As(err, &pe) {
		t.Fatalf("want a pre-flight failure, got %v", err)
	}
	found := false
	for _, c := range pe.Checks {
		if c.ID == "conflicts" && strings.Contains(c.Evidence, taken) && strings.Contains(c.Fix, "rename") {
			found = true
		}
	}
	if !found {
		t.Errorf("no conflict check naming %s with a fix: %v", taken, pe)
	}
	if n := len(m.snapshots()); n != 0 {
		t.Errorf("%d snapshot(s) taken despite the conflict", n)
	}
	if n, _ := m.dst.Count(context.Background(), taken); n != 0 {
		t.Errorf("the existing target index was changed: %d documents", n)
	}
}

func TestAVersionPairThatCannotRestoreIsRefused(t *testing.T) {
	env := envtest.Legacy(t)
	m := newMigration(t, true, "metrics-small")
	// 7.17 source into an older 7.10 target: Elasticsearch cannot restore into an older version.
	m.plan.Target.URL = env.LegacyURL
	m.dst, _ = esclient.New(esclient.Config{Role: "target", URL: env.LegacyURL})
	_, err := m.run(steps.Options{AcceptWarnings: true})
	var pe *steps.PreflightError
	if !errors.As(err, &pe) {
		t.Fatalf("want a pre-flight failure, got %v", err)
	}
	var compat *steps.Check
	for i, c := range pe.Checks {
		if c.ID == "compat-versions" {
			compat = &pe.Checks[i]
		}
	}
	if compat == nil || !strings.Contains(compat.Evidence, "older") || !strings.Contains(compat.Fix, "upgrade the target") {
		t.Fatalf("compatibility check: %+v", compat)
	}
	if n := len(m.snapshots()); n != 0 {
		t.Errorf("%d snapshot(s) taken for an impossible restore", n)
	}
}

func TestAnOlderClusterMigratesIntoANewerOne(t *testing.T) {
	env := envtest.Legacy(t)
	m := newMigration(t, false, "logs-2026.11.03", "articles")
	m.plan.Source.URL = env.LegacyURL
	// The legacy cluster's second node lacks its own share in path.repo; both have the shared directory.
	m.plan.Repository.SourceLocation = filepath.Join(env.SharedRepoDir, m.id)
	m.src, _ = esclient.New(esclient.Config{Role: "source", URL: env.LegacyURL, ReadOnly: true})
	rep, err := m.run(steps.Options{AcceptWarnings: true})
	if err != nil {
		t.Fatalf("7.10 → 7.17: %v", err)
	}
	if rep.Verified != 2 || !strings.Contains(rep.Source.Product, "7.10") || !strings.Contains(rep.Target.Product, "7.17") {
		t.Fatalf("report: %+v", rep)
	}
	m.countsEqual("logs-2026.11.03", "articles")
}

func TestDryRunSendsNothingThatChangesAnything(t *testing.T) {
	m := newMigration(t, false, "metrics-small", "logs-2026.11.01")
	var changes []esclient.Sent
	var mu sync.Mutex
	e := m.engine(steps.Options{DryRun: true, AcceptWarnings: true, ObserveRequests: func(s esclient.Sent) {
		if s.Method != "GET" && s.Method != "HEAD" && !strings.HasSuffix(strings.SplitN(s.Path, "?", 2)[0], "/_refresh") {
			mu.Lock()
			changes = append(changes, s)
			mu.Unlock()
		}
	}})
	if _, err := e.Run(context.Background()); err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if len(changes) > 0 {
		t.Errorf("dry run sent %d changing request(s), first %s %s", len(changes), changes[0].Method, changes[0].Path)
	}
	var curls []string
	for _, e := range m.events {
		if e.Kind == steps.KindRequest {
			curls = append(curls, e.Curl)
		}
	}
	joined := strings.Join(curls, "\n")
	for _, want := range []string{"PUT '" + m.plan.Source.URL + "/_snapshot/" + m.id, "_restore?wait_for_completion=false", "/_settings"} {
		if !strings.Contains(joined, want) {
			t.Errorf("dry run did not print %q:\n%s", want, joined)
		}
	}
	if _, err := os.Stat(m.plan.StateFile); err == nil {
		t.Error("dry run wrote a state file")
	}
	if n := len(m.snapshots()); n != 0 {
		t.Errorf("dry run took %d snapshot(s)", n)
	}
}

// Resume after the process is killed: the snapshot, the copy and the restore each get slowed down (repository
// throttles, copy bandwidth limit) so that the kill lands in the middle of them.
func TestResumeAfterKillDuringSnapshot(t *testing.T) { testResumeAfterKill(t, steps.PhaseSnapshot) }
func TestResumeAfterKillDuringCopy(t *testing.T)     { testResumeAfterKill(t, steps.PhaseTransfer) }
func TestResumeAfterKillDuringRestore(t *testing.T)  { testResumeAfterKill(t, steps.PhaseRestore) }

var progressLine = regexp.MustCompile(`batch 1/\d+ (\w+): +(\d+)%`)

func testResumeAfterKill(t *testing.T, phase steps.Phase) {
	m := newMigration(t, false, "logs-2026.11.02", "logs-2026.11.03", "metrics-small")
	m.plan.BatchMaxSize = "7mb"
	switch phase {
	case steps.PhaseSnapshot:
		m.plan.Repository.MaxSnapshotBytesPerSec = "2mb"
	case steps.PhaseTransfer:
		m.plan.Copy.BandwidthLimit = "2mb"
	case steps.PhaseRestore:
		m.plan.Repository.MaxRestoreBytesPerSec = "2mb"
	}
	planFile := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(planFile, m.plan.YAML(), 0o600); err != nil {
		t.Fatal(err)
	}

	// First run: killed with SIGKILL as soon as the phase shows progress between 1% and 99%.
	cmd := exec.Command(binary, "run", "--plan", planFile, "--accept-warnings")
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	var first []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		first = append(first, line)
		if mm := progressLine.FindStringSubmatch(line); mm != nil && mm[1] == string(phase) && mm[2] != "0" && mm[2] != "100" && !killed {
			cmd.Process.Signal(syscall.SIGKILL)
			killed = true
		}
	}
	cmd.Wait()
	if !killed {
		t.Fatalf("never saw %s in progress to kill it:\n%s", phase, strings.Join(first, "\n"))
	}
	st, err := steps.ReadState(m.plan.StateFile)
	if err != nil {
		t.Fatalf("state after the kill: %v", err)
	}
	if st.Batches[0].Done || st.Batches[0].Phase != phase {
		t.Fatalf("state after the kill: batch 1 in %s (done %v), want %s", st.Batches[0].Phase, st.Batches[0].Done, phase)
	}

	// Second run: esmigrate resume goes on from the state file.
	res := exec.Command(binary, "resume", "--state", m.plan.StateFile)
	b, err := res.CombinedOutput()
	second := string(b)
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, second)
	}
	m.countsEqual("logs-2026.11.02", "logs-2026.11.03", "metrics-small")
	if n := len(m.snapshots()); n != len(st.Batches) {
		t.Errorf("%d snapshots for %d batches: a snapshot was taken twice", n, len(st.Batches))
	}
	// Nothing done twice: the resumed run neither starts batch 1's snapshot again nor, once the restore was
	// sent, sends it again.
	if phase != steps.PhaseSnapshot && strings.Contains(second, "batch 1/2 snapshot: start snapshot") {
		t.Errorf("resume started batch 1's snapshot again:\n%s", second)
	}
	if st.Batches[0].RestoreStarted && strings.Contains(second, "batch 1/2 restore: restore snapshot") {
		t.Errorf("resume sent batch 1's restore again:\n%s", second)
	}
	if strings.Count(strings.Join(first, "\n")+second, "_restore?") != len(st.Batches) {
		t.Errorf("want exactly one restore request per batch over both runs:\n%s\n---\n%s", strings.Join(first, "\n"), second)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestAMigrationIntoElasticsearch8(t *testing.T) {
	next := envtest.Extra(t, "next")
	m := newMigration(t, false, "logs-2026.11.03", "articles", "empty-index")
	m.plan.Target.URL = next
	m.dst, _ = esclient.New(esclient.Config{Role: "target", URL: next})
	rep, err := m.run(steps.Options{AcceptWarnings: true})
	if err != nil {
		t.Fatalf("7.17 → 8: %v", err)
	}
	if rep.Verified != 3 || !strings.Contains(rep.Target.Product, "Elasticsearch 8.") {
		t.Fatalf("report: %+v", rep)
	}
	m.countsEqual("logs-2026.11.03", "articles", "empty-index")
}

func TestAMigrationFromElasticsearch7IntoOpenSearch2(t *testing.T) {
	legacy := envtest.Extra(t, "legacy")
	os2 := envtest.Extra(t, "opensearch")
	m := newMigration(t, true, "logs-2026.11.03", "metrics-small")
	m.plan.Source.URL, m.plan.Target.URL = legacy, os2
	m.src, _ = esclient.New(esclient.Config{Role: "source", URL: legacy, ReadOnly: true})
	m.dst, _ = esclient.New(esclient.Config{Role: "target", URL: os2})
	rep, err := m.run(steps.Options{AcceptWarnings: true})
	if err != nil {
		t.Fatalf("Elasticsearch 7.10 → OpenSearch 2: %v", err)
	}
	if rep.Verified != 2 || !strings.Contains(rep.Target.Product, "OpenSearch 2.") {
		t.Fatalf("report: %+v", rep)
	}
	m.countsEqual("logs-2026.11.03", "metrics-small")
}

func TestElasticsearch717IntoOpenSearchIsRefused(t *testing.T) {
	os2 := envtest.Extra(t, "opensearch")
	m := newMigration(t, true, "metrics-small")
	m.plan.Target.URL = os2
	m.dst, _ = esclient.New(esclient.Config{Role: "target", URL: os2})
	_, err := m.run(steps.Options{AcceptWarnings: true})
	if err == nil || !strings.Contains(err.Error(), "OpenSearch forked from Elasticsearch 7.10.2") {
		t.Fatalf("7.17 → OpenSearch: %v", err)
	}
}

// The same pair with the reindex path: OpenSearch pulls every index from the 7.17 source (its nodes allow the
// source: testenv/cluster.sh), the run takes no snapshot, and each index is verified by count. The counts are read
// again by the test's own clients.
func TestElasticsearch717IntoOpenSearchGoesByReindexFromRemote(t *testing.T) {
	os2 := envtest.Extra(t, "opensearch")
	m := newMigration(t, true, "metrics-small", "articles")
	m.plan.Target.URL = os2
	m.plan.Restore.ReindexFromRemote = true
	m.plan.Restore.IncludeAliases = false // the source's alias "content" may be another test's on the target
	m.dst, _ = esclient.New(esclient.Config{Role: "target", URL: os2})
	rep, err := m.run(steps.Options{AcceptWarnings: true})
	if err != nil {
		t.Fatalf("7.17 → OpenSearch by reindex: %v", err)
	}
	if rep.Verified != 2 || len(rep.Rows) != 2 {
		t.Fatalf("report: %+v", rep)
	}
	for _, row := range rep.Rows {
		if row.Verification != steps.VerifyCount || !row.Reindexed || row.SourceDocs == 0 || row.SourceDocs != row.TargetDocs {
			t.Errorf("%+v", row)
		}
	}
	if md, err := os.ReadFile(rep.Markdown); err != nil || !strings.Contains(string(md), "they were moved by `_reindex` from remote") {
		t.Errorf("the report does not say which indices were reindexed (%v)", err)
	}
	m.countsEqual("metrics-small", "articles")
	if n := len(m.snapshots()); n != 0 {
		t.Errorf("the reindex path took %d snapshot(s)", n)
	}
	if len(m.requests(steps.PhaseReindex)) != 4 {
		t.Errorf("want a create and a reindex request per index: %+v", m.requests(steps.PhaseReindex))
	}
}

// A run stopped after the reindex path created the target index (before the documents were asked for) goes on
// into that index when resumed, and is verified; a target index of that name that this migration did not create
// is refused, and kept as it was.
func TestAStoppedReindexGoesOnIntoTheIndexItCreatedAndNoOther(t *testing.T) {
	os2 := envtest.Extra(t, "opensearch")
	m := newMigration(t, true, "metrics-small", "logs-2026.11.03")
	m.plan.Target.URL = os2
	m.plan.Restore.ReindexFromRemote = true
	m.dst, _ = esclient.New(esclient.Config{Role: "target", URL: os2})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := m.engine(steps.Options{AcceptWarnings: true}, func(ev steps.Event) {
		if ev.Kind == steps.KindRequest && ev.Phase == steps.PhaseReindex && strings.Contains(ev.Curl, "/_reindex?") {
			cancel() // the target index exists; the reindex request is not sent
		}
	}).Run(ctx)
	var stop *steps.StoppedError
	if !errors.As(err, &stop) {
		t.Fatalf("the run should have stopped: %v", err)
	}
	st, err := steps.ReadState(m.plan.StateFile)
	if err != nil {
		t.Fatal(err)
	}
	b := st.Batches[len(st.Batches)-1]
	if !b.Reindex || len(b.ReindexStarted) != 1 {
		t.Fatalf("the state after the stop: %+v", b)
	}
	started := steps.TargetName(b.ReindexStarted[0], m.plan.Restore)
	if n, _ := m.dst.Count(context.Background(), started); n != 0 {
		t.Fatalf("%s has %d documents before the resume: the reindex was sent", started, n)
	}
	// The other index's name is taken on the target by an index this migration did not create.
	other := steps.TargetName("metrics-small", m.plan.Restore)
	if other == started {
		other = steps.TargetName("logs-2026.11.03", m.plan.Restore)
	}
	mustDo(t, setupClient(t, os2), esclient.Request{Method: "PUT", Path: "/" + other})
	rep, err := m.engine(steps.Options{AcceptWarnings: true, Resuming: true}).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "exists on the target") {
		t.Fatalf("resume: the foreign %s should be refused: %v", other, err)
	}
	if n, _ := m.dst.Count(context.Background(), other); n != 0 {
		t.Errorf("the foreign %s got %d documents", other, n)
	}
	var row steps.ReportRow
	for _, r := range rep.Rows {
		if r.Target == started {
			row = r
		}
	}
	if row.Result != steps.ResultVerified || row.TargetDocs == 0 {
		t.Errorf("the index the migration created was not reindexed and verified on resume: %+v", row)
	}
	m.countsEqual(b.ReindexStarted[0])
}

// Per-batch clean-up with separate shares: each verified batch's snapshot is deleted through the source, and the
// next batch's copy still lands in the same target copy of the repository (on 7.10, whose repositories have no
// uuid, the copy recognises it by the marker it left).
func TestDeletingEachBatchsSnapshotKeepsTheCopiesGoing(t *testing.T) {
	env := envtest.Legacy(t)
	m := newMigration(t, false, "logs-2026.11.01", "logs-2026.11.03", "metrics-small")
	m.plan.Source.URL = env.LegacyURL
	m.plan.Repository.SourceLocation = filepath.Join(env.SharedRepoDir, m.id)
	m.src, _ = esclient.New(esclient.Config{Role: "source", URL: env.LegacyURL, ReadOnly: true})
	m.plan.BatchMaxSize = "4mb"
	m.plan.Cleanup.DeleteSnapshots = true
	rep, err := m.run(steps.Options{AcceptWarnings: true})
	if err != nil {
		t.Fatalf("migration: %v", err)
	}
	if rep.Batches < 2 || rep.Verified != 3 {
		t.Fatalf("report: %d batches, %d verified", rep.Batches, rep.Verified)
	}
	m.countsEqual("logs-2026.11.01", "logs-2026.11.03", "metrics-small")
	if n := len(m.snapshots()); n != 0 {
		t.Errorf("%d snapshot(s) left after per-batch clean-up", n)
	}
}

func TestThePlansFinalCleanUpUnregistersAndDeletesTheCopyOnlyWhenAllowed(t *testing.T) {
	m := newMigration(t, false, "metrics-small")
	m.plan.Cleanup = steps.CleanupPlan{DeleteSnapshots: true, DeleteCopiedFiles: true, UnregisterRepositories: true}
	if _, err := m.run(steps.Options{AcceptWarnings: true}); err != nil {
		t.Fatal(err)
	}
	m.countsEqual("metrics-small")
	if _, err := os.Stat(m.plan.Repository.TargetLocation); err != nil {
		t.Errorf("the copy was deleted without the confirmation: %v", err)
	}
	for _, c := range []*esclient.Client{m.src, m.dst} {
		if _, ok, _ := c.Repository(context.Background(), m.plan.Repository.Name); ok {
			t.Errorf("%s: repository still registered", c.Role())
		}
	}
	m2 := newMigration(t, false, "empty-index")
	m2.plan.Cleanup = steps.CleanupPlan{DeleteSnapshots: true, DeleteCopiedFiles: true}
	if _, err := m2.run(steps.Options{AcceptWarnings: true, AllowTargetDelete: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(m2.plan.Repository.TargetLocation); !os.IsNotExist(err) {
		t.Errorf("the copy is still there with the confirmation: %v", err)
	}
	m2.countsEqual("empty-index")
}
