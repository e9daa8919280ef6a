//go:build integration

package steps_test

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/testenv/envtest"
)

// Scale (issue 13): thousands of indices with long names in one migration, verification in a few requests,
// batches in a pipeline.

// manyIndices is a set of small source indices with long names, made once for the tests that need them and
// deleted after the package's tests (atExit).
type manyIndices struct {
	names []string
	err   error
}

var (
	manyOnce sync.Once
	many     manyIndices
)

// nameLen is the length of most names of the set: 60 characters, as daily indices of a busy cluster are named.
const nameLen = 60

// longNameBytes is the length of the set's first 300 names: with a test's rename ("<migration id>-", at most 12
// bytes) the target's names are 250 to 255 bytes, Elasticsearch's limit on an index name. They have Chinese in
// them: 3 bytes each in UTF-8, 9 in a request line (%E5%BA%94), so a name takes up to 400 bytes of a line.
const longNameBytes = 243

// theThousand creates 1,000 small indices on the source (3 documents each, one shard, no replica) in few
// requests: 300 of 243-byte names and 700 of 60-character names, each set as makeIndexSet makes it. A restore
// creates its block in one cluster-state update; creating 1,000 indices one by one took 85 s on the 7.17
// runner, and a bulk request that creates them 126 s. Both clusters get cluster.max_shards_per_node 5000
// (transient) for as long as the tests run: the default 1,000 per node counts unassigned replicas too.
func theThousand(t *testing.T) []string {
	t.Helper()
	manyOnce.Do(func() {
		env := envtest.Load(t)
		many.err = makeThousand(env)
	})
	if many.err != nil {
		t.Fatalf("creating the 1,000 source indices: %v", many.err)
	}
	return many.names
}

func makeThousand(env envtest.Env) error {
	id := envtest.Unique("l")
	prefix := id + "-应用日志-访问日志-生产环境-华东一区-nginx-access"
	prefix += strings.Repeat("x", longNameBytes-8-len(prefix)) // <prefix>-BBB-III
	long, err := makeIndexSet(env, id, prefix, 15, 20)
	if err != nil {
		return err
	}
	id = envtest.Unique("k")
	prefix = id + "-logs-nginx-access-prod-eu-west-1"
	prefix += strings.Repeat("x", nameLen-8-len(prefix)) // <prefix>-BBB-III is 60 characters
	short, err := makeIndexSet(env, id, prefix, 20, 35)
	if err != nil {
		return err
	}
	if len(long) != 300 || len(long[0]) != longNameBytes || len(short) != 700 || len(short[0]) != nameLen {
		return fmt.Errorf("%d names of %d bytes and %d of %d", len(long), len(long[0]), len(short), len(short[0]))
	}
	many.names = append(long, short...)
	return nil
}

// makeIndexSet creates blocks×perBlock indices named <prefix>-BBB-III of 3 documents each: a block by one bulk
// request (a legacy template gives them their settings), a snapshot of the block, and restores of it under the
// other blocks' names. It registers their deletion at the package's exit.
func makeIndexSet(env envtest.Env, id, prefix string, blocks, perBlock int) ([]string, error) {
	ctx := context.Background()
	src, err := esclient.New(esclient.Config{Role: "source", URL: env.SourceURL, Timeout: 6 * time.Minute}) // not read-only: it creates the test data
	if err != nil {
		return nil, err
	}
	dst, err := esclient.New(esclient.Config{Role: "target", URL: env.TargetURL})
	if err != nil {
		return nil, err
	}
	name := func(block, i int) string { return fmt.Sprintf("%s-%03d-%03d", prefix, block, i) }
	limits := func(v any) error {
		for _, c := range []*esclient.Client{src, dst} {
			if err := c.Do(ctx, i18n.Text("shard limit"), esclient.Request{Method: "PUT", Path: "/_cluster/settings",
				Body: map[string]any{"transient": map[string]any{"cluster.max_shards_per_node": v}}}, nil); err != nil {
				return err
			}
		}
		return nil
	}
	repo := "gen-" + id
	atExit = append(atExit, func() {
		var names []string
		for b := 0; b < blocks; b++ {
			for i := 0; i < perBlock; i++ {
				names = append(names, name(b, i))
			}
		}
		src.DeleteIndices(ctx, names)
		src.Do(ctx, i18n.Text(""), esclient.Request{Method: "DELETE", Path: "/_snapshot/" + repo + "/base"}, nil)
		src.Do(ctx, i18n.Text(""), esclient.Request{Method: "DELETE", Path: "/_snapshot/" + repo}, nil)
		src.Do(ctx, i18n.Text(""), esclient.Request{Method: "DELETE", Path: "/_template/" + id}, nil)
		os.RemoveAll(filepath.Join(env.SourceRepoDir, repo))
		limits(nil)
	})
	if err := limits(5000); err != nil {
		return nil, err
	}
	if err := src.Do(ctx, i18n.Text("template"), esclient.Request{Method: "PUT", Path: "/_template/" + id, Body: map[string]any{
		"index_patterns": []string{prefix + "*"}, "settings": map[string]any{"number_of_shards": 1, "number_of_replicas": 0},
		"mappings": map[string]any{"properties": map[string]any{"n": map[string]any{"type": "long"}, "msg": map[string]any{"type": "keyword"}}}}}, nil); err != nil {
		return nil, err
	}
	var bulk strings.Builder
	for i := 0; i < perBlock; i++ {
		for d := 0; d < 3; d++ {
			fmt.Fprintf(&bulk, "{\"index\":{\"_index\":%q}}\n{\"n\":%d,\"msg\":\"doc %d\"}\n", name(0, i), i, d)
		}
	}
	var res struct {
		Errors bool `json:"errors"`
	}
	if err := src.Do(ctx, i18n.Text("bulk"), esclient.Request{Method: "POST", Path: "/_bulk", Params: map[string][]string{"refresh": {"true"}}, Body: bulk.String()}, &res); err != nil || res.Errors {
		return nil, fmt.Errorf("bulk: %v (errors %v)", err, res.Errors)
	}
	if err := src.CreateRepository(ctx, esclient.RepositorySpec{Name: repo, Location: filepath.Join(env.SourceRepoDir, repo)}); err != nil {
		return nil, err
	}
	if err := src.Do(ctx, i18n.Text("snapshot"), esclient.Request{Method: "PUT", Path: "/_snapshot/" + repo + "/base",
		Params: map[string][]string{"wait_for_completion": {"true"}},
		Body:   map[string]any{"indices": prefix + "-000-*", "include_global_state": false}}, nil); err != nil {
		return nil, err
	}
	for b := 1; b < blocks; b++ {
		if err := src.Do(ctx, i18n.Text("restore"), esclient.Request{Method: "POST", Path: "/_snapshot/" + repo + "/base/_restore",
			Body: map[string]any{"indices": prefix + "-000-*", "include_global_state": false, "include_aliases": false,
				"rename_pattern": "(.+)-000-(\\d+)", "rename_replacement": fmt.Sprintf("$1-%03d-$2", b)}}, nil); err != nil {
			return nil, err
		}
	}
	// green: every restored primary started (restores queue behind a few recoveries per node at a time)
	var health struct {
		TimedOut bool `json:"timed_out"`
	}
	if err := src.Do(ctx, i18n.Text("wait"), esclient.Request{Method: "GET", Path: "/_cluster/health/" + prefix + "-*",
		Params: map[string][]string{"wait_for_status": {"green"}, "timeout": {"300s"}}}, &health); err != nil || health.TimedOut {
		return nil, fmt.Errorf("the restored indices are not green after 300s: %v", err)
	}
	var names []string
	for b := 0; b < blocks; b++ {
		for i := 0; i < perBlock; i++ {
			names = append(names, name(b, i))
		}
	}
	counts, why, err := src.Counts(ctx, names)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if counts[n] != 3 {
			return nil, fmt.Errorf("%s has %d documents (%s), want 3", n, counts[n], why[n])
		}
	}
	return names, nil
}

// requestCounter counts the requests each cluster gets, at the wire, by the phase the engine was in when they
// were sent (read from the engine's phase events).
type requestCounter struct {
	mu      sync.Mutex
	phase   steps.Phase
	byPhase map[steps.Phase]int
	long    []string
}

func (c *requestCounter) observe(s esclient.Sent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byPhase[c.phase]++
	if line := len(s.Method) + 1 + len(s.Path) + len(" HTTP/1.1"); line > 4096 {
		c.long = append(c.long, fmt.Sprintf("%s %.80s… (%d bytes)", s.Method, s.Path, line))
	}
}

func (c *requestCounter) event(e steps.Event) {
	if e.Kind == steps.KindStart && e.Index == "" && e.Phase != "" {
		c.mu.Lock()
		c.phase = e.Phase
		c.mu.Unlock()
	}
}

// migrateMany runs one migration of the named indices in one batch and checks every index verified with equal
// counts; it returns the requests per phase.
func migrateMany(t *testing.T, names []string) map[steps.Phase]int {
	m := newMigration(t, false, names...)
	m.plan.BatchMaxSize = "10gb"
	rc := &requestCounter{byPhase: map[steps.Phase]int{}}
	o := steps.Options{AcceptWarnings: true, ObserveRequests: rc.observe, StallTimeout: 5 * time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	rep, err := m.engine(o, rc.event).Run(ctx)
	if err != nil {
		t.Fatalf("migration of %d indices: %v", len(names), err)
	}
	t.Logf("%d indices of %d bytes: %s; requests by phase: %v", len(names), len(names[0]), time.Since(start).Round(time.Millisecond), rc.byPhase)
	if st, err := steps.ReadState(m.plan.StateFile); err == nil {
		var times []string
		for _, ph := range steps.BatchPhases {
			times = append(times, fmt.Sprintf("%s %s", ph, st.Batches[0].Times[ph].Duration().Round(time.Millisecond)))
		}
		t.Logf("phases: %s", strings.Join(times, ", "))
	}
	if rep.Batches != 1 || rep.Verified != len(names) {
		t.Fatalf("report: %d batch(es), %d of %d verified (%s)", rep.Batches, rep.Verified, len(names), rep.Summary())
	}
	if len(rc.long) > 0 {
		t.Errorf("%d request line(s) over 4,096 bytes, first %s", len(rc.long), rc.long[0])
	}
	// Every restored index has the source's documents, counted again here, outside the engine.
	targets := make([]string, len(names))
	for i, n := range names {
		targets[i] = steps.TargetName(n, m.plan.Restore)
	}
	if err := m.dst.RefreshExisting(context.Background(), targets); err != nil {
		t.Fatal(err)
	}
	got, why, err := m.dst.Counts(context.Background(), targets)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range targets {
		if got[n] != 3 {
			t.Errorf("%s has %d documents on the target (%s), want 3", n, got[n], why[n])
			break
		}
	}
	return rc.byPhase
}

// 300 indices of 60-character names used to stop at the restore (too_long_http_line_exception) with all 300
// pending, and resume failed the same way; these names are four times as long, nearly as long as Elasticsearch
// allows, and escape to up to 400 bytes each. Every request stays under the 4,096-byte line (counted at the
// wire), and the verification, which used to send five requests per index (1,500 here), sends a few per chunk of
// names that fits a request line.
func TestThreeHundredIndicesOfNearlyTheLongestNamesInOneBatch(t *testing.T) {
	names := theThousand(t)[:300]
	perPhase := migrateMany(t, names)
	// The verification's requests: refresh, counts (_msearch) and sequence numbers on both sides, the replicas put
	// back, health: each in as many requests as the names take in chunks of 3,500 bytes.
	chunks := len(esclient.ChunkIndices(names, 3500))
	t.Logf("names of %d bytes, %d in a request line: %d chunks of names", len(names[0]), len(url.PathEscape(names[0])), chunks)
	if limit := 8 * (chunks + 1); perPhase[steps.PhaseVerify] > limit {
		t.Errorf("verification sent %d requests for 300 indices, want at most %d (a few per chunk of %d names)", perPhase[steps.PhaseVerify], limit, 300/chunks)
	}
	if perPhase[steps.PhaseVerify] == 0 {
		t.Error("no request counted in the verification: the counter does not see the phase")
	}
}

// One migration of 1,000 small indices in a single batch: the 300 above and 700 of 60-character names.
func TestAThousandIndicesInOneBatch(t *testing.T) {
	migrateMany(t, theThousand(t))
}

// pipeIndices creates n indices of about the same size (docs documents of ~500 bytes) on the source for one test.
func pipeIndices(t *testing.T, env envtest.Env, n, docs int) []string {
	t.Helper()
	ctx := context.Background()
	src, _ := esclient.New(esclient.Config{Role: "source", URL: env.SourceURL})
	id := envtest.Unique("p")
	var names []string
	var bulk strings.Builder
	pad := strings.Repeat("lorem ipsum dolor sit amet ", 18)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%s-pipe-%d", id, i)
		names = append(names, name)
		if err := src.Do(ctx, i18n.Text("create"), esclient.Request{Method: "PUT", Path: "/" + name,
			Body: map[string]any{"settings": map[string]any{"number_of_shards": 1, "number_of_replicas": 0}}}, nil); err != nil {
			t.Fatal(err)
		}
		for d := 0; d < docs; d++ {
			fmt.Fprintf(&bulk, "{\"index\":{\"_index\":%q}}\n{\"d\":%d,\"text\":\"%s %d\"}\n", name, d, pad, d*7919%10007)
		}
	}
	t.Cleanup(func() { src.DeleteIndices(context.Background(), names) })
	var res struct {
		Errors bool `json:"errors"`
	}
	if err := src.Do(ctx, i18n.Text("bulk"), esclient.Request{Method: "POST", Path: "/_bulk", Params: map[string][]string{"refresh": {"true"}}, Body: bulk.String()}, &res); err != nil || res.Errors {
		t.Fatalf("bulk: %v (errors %v)", err, res.Errors)
	}
	// one segment each, so that the sizes the planner reads are the sizes the snapshot writes
	if err := src.Do(ctx, i18n.Text("merge"), esclient.Request{Method: "POST", Path: "/" + strings.Join(names, ",") + "/_forcemerge",
		Params: map[string][]string{"max_num_segments": {"1"}}}, nil); err != nil {
		t.Fatal(err)
	}
	return names
}

// batchCap is a batch_max_size that puts each of the indices in a batch of its own.
func batchCap(t *testing.T, src *esclient.Client, names []string) string {
	t.Helper()
	all, err := src.Indices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var biggest int64
	for _, ix := range all {
		if contains(names, ix.Name) && ix.PrimaryBytes > biggest {
			biggest = ix.PrimaryBytes
		}
	}
	return fmt.Sprint(biggest*3/2) + "b"
}

// timeline is what Elasticsearch itself recorded of a migration: each batch's snapshot start and end on the
// source, and the end of each restored index's recovery on the target.
type timeline struct {
	snapStart, snapEnd map[int]int64 // by batch
	restoreEnd         map[int]int64 // by batch: the last primary's recovery stop time
}

func readTimeline(t *testing.T, m *migration, st *steps.State) timeline {
	t.Helper()
	tl := timeline{snapStart: map[int]int64{}, snapEnd: map[int]int64{}, restoreEnd: map[int]int64{}}
	snaps := m.snapshots()
	for _, b := range st.Batches {
		for _, s := range snaps {
			if s.Name == b.Snapshot {
				tl.snapStart[b.Number], tl.snapEnd[b.Number] = s.StartMillis, s.EndMillis
			}
		}
		var targets []string
		for _, ix := range b.Indices {
			targets = append(targets, ix.Target)
		}
		shards, err := m.dst.Recovery(context.Background(), targets)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range shards {
			if s.Primary && s.Type == "SNAPSHOT" && s.StopMillis > tl.restoreEnd[b.Number] {
				tl.restoreEnd[b.Number] = s.StopMillis
			}
		}
		if tl.snapStart[b.Number] == 0 || tl.restoreEnd[b.Number] == 0 {
			t.Fatalf("batch %d: no snapshot or restore times on the clusters (%+v)", b.Number, tl)
		}
	}
	return tl
}

// overlaps counts the batches whose snapshot started before the previous batch's restore had finished.
// clockSlack is how far apart two times Elasticsearch reports may be for the same moment: a snapshot's
// start_time and a recovery's stop_time come from the node's cached clock (thread_pool.estimated_time_interval,
// 200ms by default), and a batch's verification and clean-up can take less than that (a sequential run once showed
// a snapshot "starting" 23 ms before the previous restore "ended"). Overlaps in a pipeline are seconds long.
const clockSlack = 250

func (tl timeline) overlaps(batches int) int {
	n := 0
	for b := 2; b <= batches; b++ {
		if tl.snapStart[b] < tl.restoreEnd[b-1]-clockSlack {
			n++
		}
	}
	return n
}

// A pipelined migration of four batches, verified: batch N+1's snapshot runs while batch N is copied, restored
// and verified. The overlap is judged by the clusters' own clocks (snapshot start times on the source, recovery
// stop times on the target), and the same migration with batches_in_flight: 1 shows none.
func TestAPipelinedMigrationOfFourBatches(t *testing.T) {
	env := envtest.Load(t)
	names := pipeIndices(t, env, 4, 3000)
	for _, inFlight := range []int{2, 1} {
		m := newMigration(t, false, names...)
		m.plan.BatchMaxSize = batchCap(t, m.src, names)
		m.plan.BatchesInFlight = inFlight
		// Throttled so that each snapshot and restore lasts long enough for the overlap to be seen.
		m.plan.Repository.MaxSnapshotBytesPerSec, m.plan.Repository.MaxRestoreBytesPerSec = "256kb", "256kb"
		start := time.Now()
		rep, err := m.run(steps.Options{AcceptWarnings: true})
		if err != nil {
			t.Fatalf("batches_in_flight %d: %v", inFlight, err)
		}
		took := time.Since(start)
		if rep.Batches != 4 || rep.Verified != 4 {
			t.Fatalf("batches_in_flight %d: %d batches, %d verified (%s)", inFlight, rep.Batches, rep.Verified, rep.Summary())
		}
		m.countsEqual(names...)
		st, err := steps.ReadState(m.plan.StateFile)
		if err != nil {
			t.Fatal(err)
		}
		tl := readTimeline(t, m, st)
		t.Logf("batches_in_flight %d: %s; snapshot starts %v, restore ends %v", inFlight, took.Round(time.Millisecond), tl.snapStart, tl.restoreEnd)
		switch o := tl.overlaps(4); {
		case inFlight == 2 && o == 0:
			t.Errorf("batches_in_flight 2: no snapshot started before the previous batch's restore had finished")
		case inFlight == 1 && o > 0:
			t.Errorf("batches_in_flight 1: %d snapshot(s) started before the previous batch's restore had finished", o)
		}
	}
}

// kill -9 while two batches are in flight (batch N restoring, batch N+1's snapshot running), then resume: every
// batch ends verified, no snapshot is taken twice, and no restore is sent twice.
func TestResumeAfterKillWithTwoBatchesInFlight(t *testing.T) {
	env := envtest.Load(t)
	names := pipeIndices(t, env, 4, 3000)
	m := newMigration(t, false, names...)
	m.plan.BatchMaxSize = batchCap(t, m.src, names)
	m.plan.BatchesInFlight = 2
	m.plan.Repository.MaxSnapshotBytesPerSec, m.plan.Repository.MaxRestoreBytesPerSec = "512kb", "512kb"
	planFile := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(planFile, m.plan.YAML(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "run", "--plan", planFile, "--accept-warnings")
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var first []string
	done := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			first = append(first, sc.Text())
		}
		close(done)
	}()
	// Watch the state file from outside; kill when one batch's restore was sent and the next batch's snapshot
	// was started, neither finished.
	var atKill *steps.State
	deadline := time.Now().Add(3 * time.Minute)
	for atKill == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		st, err := steps.ReadState(m.plan.StateFile)
		if err != nil {
			continue
		}
		for i := 0; i+1 < len(st.Batches); i++ {
			a, b := st.Batches[i], st.Batches[i+1]
			if a.Phase == steps.PhaseRestore && a.RestoreStarted && b.Phase == steps.PhaseSnapshot && b.SnapshotStarted {
				cmd.Process.Signal(syscall.SIGKILL)
				atKill = st
				break
			}
		}
	}
	cmd.Wait()
	<-done
	if atKill == nil {
		t.Fatalf("never saw two batches in flight (a restore and the next snapshot) to kill the run:\n%s", strings.Join(first, "\n"))
	}
	inFlight := 0
	for _, b := range atKill.Batches {
		if !b.Done && (b.SnapshotStarted || b.Phase != steps.PhaseSnapshot) {
			inFlight++
		}
	}
	if inFlight != 2 {
		t.Fatalf("at the kill %d batches were in flight, want 2: %+v", inFlight, atKill.Batches)
	}
	res := exec.Command(binary, "resume", "--state", m.plan.StateFile)
	b, err := res.CombinedOutput()
	second := string(b)
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, second)
	}
	m.countsEqual(names...)
	st, err := steps.ReadState(m.plan.StateFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range st.Batches {
		if !b.Done {
			t.Errorf("batch %d not done after the resume (%s)", b.Number, b.Phase)
		}
		for _, ix := range b.Indices {
			if ix.Result != steps.ResultVerified {
				t.Errorf("%s: %s %s", ix.Name, ix.Result, ix.Reason)
			}
		}
	}
	snaps := m.snapshots()
	var snapNames []string
	for _, s := range snaps {
		snapNames = append(snapNames, s.Name)
	}
	sort.Strings(snapNames)
	if len(snaps) != len(st.Batches) {
		t.Errorf("%d snapshots for %d batches: %v", len(snaps), len(st.Batches), snapNames)
	}
	all := strings.Join(first, "\n") + "\n" + second
	if n := strings.Count(all, "_restore?"); n != len(st.Batches) {
		t.Errorf("%d restore requests over both runs for %d batches:\n%s\n---\n%s", n, len(st.Batches), strings.Join(first, "\n"), second)
	}
	if n := strings.Count(all, "start snapshot "); n != len(st.Batches) {
		t.Errorf("%d snapshots started over both runs for %d batches", n, len(st.Batches))
	}
	// What resume said about the two batches it found under way.
	for _, want := range []string{fmt.Sprintf("batch %d of 4, restore", atKillBatch(atKill, steps.PhaseRestore)), fmt.Sprintf("batch %d of 4, snapshot", atKillBatch(atKill, steps.PhaseSnapshot))} {
		if !strings.Contains(second, want) {
			t.Errorf("resume did not say %q:\n%s", want, second)
		}
	}
}

func atKillBatch(st *steps.State, phase steps.Phase) int {
	for _, b := range st.Batches {
		if !b.Done && b.Phase == phase && (b.SnapshotStarted || phase != steps.PhaseSnapshot) {
			return b.Number
		}
	}
	return 0
}

// esmigrate copy alone, as on the NFS server: a repository the source wrote is copied to the target's share with
// the transfer's progress lines, the target restores from it, and a second run copies nothing.
func TestEsmigrateCopyAloneMakesARepositoryTheTargetRestoresFrom(t *testing.T) {
	env := envtest.Load(t)
	ctx := context.Background()
	m := newMigration(t, false, "metrics-small")
	src, _ := esclient.New(esclient.Config{Role: "source", URL: env.SourceURL})
	if err := src.CreateRepository(ctx, esclient.RepositorySpec{Name: m.id, Location: m.plan.Repository.SourceLocation, Compress: true}); err != nil {
		t.Fatal(err)
	}
	if err := src.Do(ctx, i18n.Text("snapshot"), esclient.Request{Method: "PUT", Path: "/_snapshot/" + m.id + "/s1",
		Params: map[string][]string{"wait_for_completion": {"true"}}, Body: map[string]any{"indices": "metrics-small", "include_global_state": false}}, nil); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binary, "copy", "--progress-interval", "1", m.plan.Repository.SourceLocation, m.plan.Repository.TargetLocation).CombinedOutput()
	if err != nil {
		t.Fatalf("esmigrate copy: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{"copying the repository " + m.plan.Repository.SourceLocation, "transfer: 100%", "files ", "copied "} {
		if !strings.Contains(text, want) {
			t.Errorf("the output lacks %q:\n%s", want, text)
		}
	}
	if err := m.dst.CreateRepository(ctx, esclient.RepositorySpec{Name: m.plan.TargetRepoName(), Location: m.plan.Repository.TargetLocation, ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	if err := m.dst.Do(ctx, i18n.Text("restore"), esclient.Request{Method: "POST", Path: "/_snapshot/" + m.plan.TargetRepoName() + "/s1/_restore",
		Params: map[string][]string{"wait_for_completion": {"true"}},
		Body:   map[string]any{"indices": "metrics-small", "rename_pattern": "(.+)", "rename_replacement": m.id + "-$1", "index_settings": map[string]any{"index.number_of_replicas": 0}}}, nil); err != nil {
		t.Fatalf("restore from the copy: %v", err)
	}
	m.countsEqual("metrics-small")
	again, err := exec.Command(binary, "copy", m.plan.Repository.SourceLocation, m.plan.Repository.TargetLocation).CombinedOutput()
	if err != nil || !strings.Contains(string(again), "copied 0 file(s)") {
		t.Errorf("a second run: %v\n%s", err, again)
	}
}

// A copy running into the target's share (esmigrate copy on the NFS server holds its lock): the migration's
// transfer waits for it, says so, and goes on when it is done.
func TestTheTransferWaitsForACopyRunningElsewhere(t *testing.T) {
	m := newMigration(t, false, "metrics-small")
	if err := os.MkdirAll(m.plan.Repository.TargetLocation, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(filepath.Join(m.plan.Repository.TargetLocation, ".esmigrate-copy.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	var waited sync.Once
	saw := make(chan struct{})
	e := m.engine(steps.Options{AcceptWarnings: true}, func(ev steps.Event) {
		if ev.Phase == steps.PhaseTransfer && strings.Contains(ev.Message, "another esmigrate copy into") {
			waited.Do(func() { close(saw) })
		}
	})
	go func() {
		select {
		case <-saw:
			time.Sleep(500 * time.Millisecond)
		case <-time.After(2 * time.Minute):
		}
		syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
		lock.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := e.Run(ctx)
	if err != nil {
		t.Fatalf("migration: %v", err)
	}
	select {
	case <-saw:
	default:
		t.Fatal("the transfer never said it waits for the other copy")
	}
	if rep.Verified != 1 {
		t.Fatalf("report: %s", rep.Summary())
	}
	m.countsEqual("metrics-small")
}
