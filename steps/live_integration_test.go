//go:build integration

package steps_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/testenv/envtest"
	"github.com/esmigrate/esmigrate/testenv/faultproxy"
)

// Live migrations (issue #15): a writer process indexes, updates and deletes documents of the source indices
// while the first pass runs; catch-up rounds bring the target up to date; a cut-over blocks the writes, runs
// the last round and measures the freeze. Every fault a test is named after is asserted to have happened: the
// writer's own statistics say it changed documents (and that the block refused its writes), the source's
// settings read directly say whether the block is on.

var writerBinary struct {
	once sync.Once
	path string
	err  error
}

// writerProcess is a running testenv/writer: the application that writes to the source.
type writerProcess struct {
	t     *testing.T
	cmd   *exec.Cmd
	stats string
	done  chan struct{}
}

// writerStats is what testenv/writer writes to its statistics file.
type writerStats struct {
	Indexed      int64     `json:"indexed"`
	Updated      int64     `json:"updated"`
	Deleted      int64     `json:"deleted"`
	Blocked      int64     `json:"blocked"`
	Failed       int64     `json:"failed"`
	Unblocked    int64     `json:"unblocked"`
	FirstBlocked time.Time `json:"first_blocked"`
	LastBlocked  time.Time `json:"last_blocked"`
	LastOK       time.Time `json:"last_ok"`
	Errors       []string  `json:"errors"`
}

func (s writerStats) changed() int64 { return s.Indexed + s.Updated + s.Deleted }

// startWriter starts the writer on the source indices at rate operations per second; it stops with the test.
func startWriter(t *testing.T, url string, rate int, indices ...string) *writerProcess {
	return startWriterWith(t, url, rate, nil, indices...)
}

func startWriterWith(t *testing.T, url string, rate int, args []string, indices ...string) *writerProcess {
	t.Helper()
	writerBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "esmigrate-writer")
		if err != nil {
			writerBinary.err = err
			return
		}
		writerBinary.path = filepath.Join(dir, "writer")
		if out, err := exec.Command("go", "build", "-o", writerBinary.path, "github.com/esmigrate/esmigrate/testenv/writer").CombinedOutput(); err != nil {
			writerBinary.err = fmt.Errorf("build the writer: %v\n%s", err, out)
		}
	})
	if writerBinary.err != nil {
		t.Fatal(writerBinary.err)
	}
	w := &writerProcess{t: t, stats: filepath.Join(t.TempDir(), "writer.json"), done: make(chan struct{})}
	argv := []string{"--url", url, "--indices", strings.Join(indices, ","), "--rate", fmt.Sprint(rate), "--stats", w.stats, "--id-prefix", envtest.Unique("w")}
	w.cmd = exec.Command(writerBinary.path, append(argv, args...)...)
	w.cmd.Stderr = os.Stderr
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { w.cmd.Wait(); close(w.done) }()
	t.Cleanup(func() { w.stop() })
	return w
}

// stop ends the writer and returns what it did.
func (w *writerProcess) stop() writerStats {
	select {
	case <-w.done:
	default:
		w.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-w.done:
		case <-time.After(30 * time.Second):
			w.cmd.Process.Kill()
			<-w.done
		}
	}
	return w.read()
}

// read is what the writer has done so far (its statistics file, written every second).
func (w *writerProcess) read() writerStats {
	var s writerStats
	b, err := os.ReadFile(w.stats)
	if err != nil {
		return s
	}
	json.Unmarshal(b, &s)
	return s
}

// waitChanged waits until the writer has changed at least n documents (it writes every 100 ms).
func (w *writerProcess) waitChanged(n int64) writerStats {
	w.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if s := w.read(); s.changed() >= n {
			return s
		}
		time.Sleep(200 * time.Millisecond)
	}
	w.t.Fatalf("the writer did not change %d documents in 2 minutes: %+v", n, w.read())
	return writerStats{}
}

// liveIndices creates the test's own source indices (two, two shards each, 2,000 documents), so that its
// writer changes nothing another test reads.
func liveIndices(t *testing.T, url, id string) []string {
	o := ownerOf(t, url)
	names := []string{id + "-orders", id + "-users"}
	for _, n := range names {
		o.index(n, 2, 2000, nil)
	}
	return names
}

// blockOf reads index.blocks.write of source indices directly (not through esmigrate): "true", or "" when unset.
func blockOf(t *testing.T, url string, indices ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, ix := range indices {
		resp, err := http.Get(url + "/" + ix + "/_settings/index.blocks.write?flat_settings=true")
		if err != nil {
			t.Fatal(err)
		}
		var raw map[string]struct {
			Settings map[string]string `json:"settings"`
		}
		json.NewDecoder(resp.Body).Decode(&raw)
		resp.Body.Close()
		out[ix] = raw[ix].Settings["index.blocks.write"]
	}
	return out
}

// writeOne indexes one document directly and returns the error type Elasticsearch answered with ("" when
// it was written).
func writeOne(t *testing.T, url, index string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/"+index+"/_doc?refresh=true", strings.NewReader(`{"probe":true}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Error struct {
			Type string `json:"type"`
		} `json:"error"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode >= 300 && out.Error.Type == "" {
		return fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	return out.Error.Type
}

// liftBlock lifts a write block the test finds left behind, so that the next tests can write (and says so).
func liftBlock(t *testing.T, url string, indices ...string) {
	for ix, v := range blockOf(t, url, indices...) {
		if v == "true" {
			req, _ := http.NewRequest("PUT", url+"/"+ix+"/_settings", strings.NewReader(`{"index.blocks.write":null}`))
			req.Header.Set("Content-Type", "application/json")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
	}
}

// liveMigration is a migration of the test's own indices with a writer running during its first pass.
func liveMigration(t *testing.T, rate int) (*migration, []string, *writerProcess) {
	t.Helper()
	env := envtest.Load(t)
	id := envtest.Unique("live")
	names := liveIndices(t, env.SourceURL, id)
	m := newMigration(t, false, names...)
	t.Cleanup(func() { liftBlock(t, m.plan.Source.URL, names...) })
	w := startWriter(t, m.plan.Source.URL, rate, names...)
	w.waitChanged(20)
	return m, names, w
}

func (m *migration) catchUp(o steps.CatchUpOptions) (*steps.LiveStatus, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return m.engine(steps.Options{}).CatchUp(ctx, o)
}

func (m *migration) cutover(o steps.CutoverOptions) (*steps.Report, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return m.engine(steps.Options{}).Cutover(ctx, o)
}

func (m *migration) rollback() (*steps.CutoverState, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return m.engine(steps.Options{}).Rollback(ctx)
}

func clusterName(t *testing.T, url string) string {
	t.Helper()
	c, _ := esclient.New(esclient.Config{Role: "owner", URL: url})
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.ClusterName
}

// The rounds converge: the writer changes documents during the first pass (its report says the indices
// changed), the first round brings the target up to date with an incremental snapshot (it writes less than
// the indices hold) and restores over the closed indices; catch-up ends ready, with the next round estimated
// under the threshold. The writer keeps writing throughout.
func TestLiveCatchUpRoundsConvergeWhileTheSourceIsWritten(t *testing.T) {
	m, names, w := liveMigration(t, 100)
	rep, err := m.run(steps.Options{AcceptWarnings: true})
	if err == nil || rep == nil || rep.Changed == 0 {
		t.Fatalf("the first pass while the writer runs must report changed indices (the fault this test needs): %v %+v", err, rep)
	}
	before := w.read()
	if before.changed() == 0 {
		t.Fatalf("the writer changed nothing: %+v", before)
	}
	st, err := m.catchUp(steps.CatchUpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Rounds) == 0 || !st.Ready {
		t.Fatalf("catch-up should end ready after at least one round: %+v", st)
	}
	for _, r := range st.Rounds {
		// Incremental: the snapshot wrote some of the indices' files, not all (RestoredBytes is every file of
		// the restored primaries).
		if r.Failed || r.SnapshotBytes <= 0 || r.SnapshotBytes >= r.RestoredBytes {
			t.Errorf("round %d: its snapshot wrote %d bytes of the indices' %d: %+v", r.Number, r.SnapshotBytes, r.RestoredBytes, r)
		}
		if r.ReusedBytes <= 0 {
			t.Errorf("round %d reused nothing on the target: %+v", r.Number, r)
		}
	}
	if after := w.read(); after.changed() <= before.changed() || after.Blocked > 0 {
		t.Errorf("the writer should have kept writing during catch-up, unblocked: before %+v, after %+v", before, after)
	}
	_ = names
}

// After the cut-over, content verification finds no difference, the freeze is measured, the block was really
// on (the writer's writes were refused, and the source's settings say so), the target indices are writable,
// and the alias points at the target. Rollback then leaves the source writable: its settings have no block,
// and the writer's writes go through again.
func TestLiveCutoverVerifiesContentThenRollbackLeavesTheSourceWritable(t *testing.T) {
	m, names, w := liveMigration(t, 100)
	if _, err := m.run(steps.Options{AcceptWarnings: true}); err == nil {
		t.Fatal("the first pass while the writer runs should report changed indices")
	}
	if _, err := m.catchUp(steps.CatchUpOptions{}); err != nil {
		t.Fatal(err)
	}
	target := steps.TargetName(names[0], m.plan.Restore)
	alias := m.id + "-orders-current"
	rep, err := m.cutover(steps.CutoverOptions{Confirm: clusterName(t, m.plan.Source.URL), Aliases: map[string]string{alias: target}})
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Live.Cutover
	if !c.Done() || c.Freeze <= 0 || c.SeqNoVerified != len(names) {
		t.Fatalf("cut-over: %+v", c)
	}
	if c.Content == nil || c.Content.Differences != 0 || c.Content.Verified != len(names) {
		t.Fatalf("content verification after the freeze: %+v", c.Content)
	}
	for ix, v := range blockOf(t, m.plan.Source.URL, names...) {
		if v != "true" {
			t.Errorf("the source index %s is not write-blocked after the cut-over (%q)", ix, v)
		}
	}
	// The writer ran throughout: its writes were refused from the block on.
	ws := w.waitBlocked()
	if ws.Blocked == 0 || ws.FirstBlocked.Before(c.BlockRequestedAt) {
		t.Errorf("the writer's writes should have been refused by the block from %s: %+v", c.BlockRequestedAt, ws)
	}
	for _, n := range names {
		tn := steps.TargetName(n, m.plan.Restore)
		if typ := writeOne(t, m.plan.Target.URL, tn); typ != "" {
			t.Errorf("the target index %s is not writable after the cut-over: %s", tn, typ)
		}
	}
	if holders, err := m.dst.AliasHolders(context.Background(), alias); err != nil || len(holders) != 1 || holders[0] != target {
		t.Errorf("alias %s should point at %s: %v %v", alias, target, holders, err)
	}
	md, _ := os.ReadFile(rep.Markdown)
	if !strings.Contains(string(md), "Write freeze") || !strings.Contains(string(md), "0 document(s) differ") {
		t.Errorf("the report should show the freeze and the content verification:\n%s", md)
	}

	if _, err := m.rollback(); err != nil {
		t.Fatal(err)
	}
	for ix, v := range blockOf(t, m.plan.Source.URL, names...) {
		if v != "" {
			t.Errorf("the source index %s still has index.blocks.write=%q after the rollback", ix, v)
		}
	}
	for _, n := range names {
		if typ := writeOne(t, m.plan.Source.URL, n); typ != "" {
			t.Errorf("the source index %s is not writable after the rollback: %s", n, typ)
		}
	}
	if holders, _ := m.dst.AliasHolders(context.Background(), alias); len(holders) != 0 {
		t.Errorf("the rollback should have taken alias %s back (it pointed nowhere before): %v", alias, holders)
	}
	unblocked := w.waitUnblocked()
	if unblocked.Unblocked == 0 {
		t.Errorf("the writer's writes should go through again after the rollback: %+v", unblocked)
	}
}

func (w *writerProcess) waitBlocked() writerStats {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if s := w.read(); s.Blocked > 0 {
			return s
		}
		time.Sleep(200 * time.Millisecond)
	}
	return w.read()
}

func (w *writerProcess) waitUnblocked() writerStats {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if s := w.read(); s.Unblocked > 0 {
			return s
		}
		time.Sleep(200 * time.Millisecond)
	}
	return w.read()
}

// A cut-over killed (SIGKILL) while the source is blocked: the block really is on (read from the source), the
// state file says so, and then either `esmigrate resume` finishes the cut-over, saying first that the block is
// on, or `esmigrate cutover --rollback` lifts it. The restore of the last round is held for a few seconds by
// a proxy in front of the target, so that the kill lands inside the freeze.
func TestLiveKillDuringTheFreezeThenResume(t *testing.T)   { testKillDuringFreeze(t, false) }
func TestLiveKillDuringTheFreezeThenRollback(t *testing.T) { testKillDuringFreeze(t, true) }

func testKillDuringFreeze(t *testing.T, rollback bool) {
	m, names, w := liveMigration(t, 100)
	held := make(chan struct{}, 1)
	var holding sync.Mutex
	hold := false
	p := faultproxy.Start(t, m.plan.Target.URL, faultproxy.Options{Fault: func(rw http.ResponseWriter, r *http.Request) bool {
		holding.Lock()
		h := hold
		holding.Unlock()
		if h && r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/_restore") {
			select {
			case held <- struct{}{}:
			default:
			}
			// Held, then refused: the cut-over is killed meanwhile, and the restore never reaches the target.
			time.Sleep(10 * time.Second)
			http.Error(rw, `{"error":{"type":"held_by_the_test","reason":"held"},"status":503}`, http.StatusServiceUnavailable)
			return true
		}
		return false
	}})
	realTarget := m.plan.Target.URL
	m.plan.Target.URL = p.URL
	defer func() { m.plan.Target.URL = realTarget }()
	if _, err := m.run(steps.Options{AcceptWarnings: true}); err == nil {
		t.Fatal("the first pass while the writer runs should report changed indices")
	}
	w.waitChanged(w.read().changed() + 20) // something changed after the first pass: the last round has work
	holding.Lock()
	hold = true
	holding.Unlock()

	cmd := exec.Command(binary, "cutover", "--state", m.plan.StateFile, "--confirm", clusterName(t, m.plan.Source.URL))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-held:
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the cut-over never reached its last round's restore:\n%s", out.String())
	}
	blocks := blockOf(t, m.plan.Source.URL, names...)
	cmd.Process.Kill() // SIGKILL: no chance to save anything
	cmd.Wait()
	for ix, v := range blocks {
		if v != "true" {
			t.Fatalf("the block should be on %s when the cut-over is killed (the fault this test needs): %q\n%s", ix, v, out.String())
		}
	}
	st, err := steps.ReadState(m.plan.StateFile)
	if err != nil {
		t.Fatal(err)
	}
	if c := st.Live.Cutover; !c.BlockMayBeOn() || c.Done() {
		t.Fatalf("the state file should say that the block may be on: %+v", c)
	}
	if ws := w.waitBlocked(); ws.Blocked == 0 {
		t.Fatalf("the writer's writes should be refused while the block is on: %+v", ws)
	}
	holding.Lock()
	hold = false
	holding.Unlock()

	var next *exec.Cmd
	if rollback {
		next = exec.Command(binary, "cutover", "--rollback", "--state", m.plan.StateFile)
	} else {
		next = exec.Command(binary, "resume", "--state", m.plan.StateFile)
	}
	got, err := next.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", next.Args, err, got)
	}
	st, err = steps.ReadState(m.plan.StateFile)
	if err != nil {
		t.Fatal(err)
	}
	c := st.Live.Cutover
	if rollback {
		for ix, v := range blockOf(t, m.plan.Source.URL, names...) {
			if v != "" {
				t.Errorf("%s is still blocked after the rollback (%q):\n%s", ix, v, got)
			}
		}
		for _, n := range names {
			if typ := writeOne(t, m.plan.Source.URL, n); typ != "" {
				t.Errorf("the source index %s is not writable after the rollback: %s", n, typ)
			}
		}
		if !c.RolledBack {
			t.Errorf("the state should say rolled back: %+v", c)
		}
		return
	}
	if !strings.Contains(string(got), "a cut-over is running: the write block may be on") {
		t.Errorf("resume should say first that the block may be on:\n%s", got)
	}
	if !c.Done() || c.Freeze <= 0 || c.Content == nil || c.Content.Differences != 0 {
		t.Errorf("resume should have finished the cut-over, content identical: %+v\n%s", c, got)
	}
	for ix, v := range blockOf(t, m.plan.Source.URL, names...) {
		if v != "true" {
			t.Errorf("the source index %s should stay blocked after the cut-over finished (%q)", ix, v)
		}
	}
}

// A cut-over without the source cluster's name typed changes nothing: no request reaches the source but
// reads (recorded at the wire), no block, and the state records no cut-over.
func TestLiveCutoverWithoutTheTypedNameChangesNothing(t *testing.T) {
	m, names, w := liveMigration(t, 50)
	if _, err := m.run(steps.Options{AcceptWarnings: true}); err == nil {
		t.Fatal("the first pass while the writer runs should report changed indices")
	}
	w.stop()
	p := faultproxy.Start(t, m.plan.Source.URL, faultproxy.Options{Record: true})
	real := m.plan.Source.URL
	m.plan.Source.URL = p.URL
	_, err := m.cutover(steps.CutoverOptions{Confirm: "not-the-name"})
	m.plan.Source.URL = real
	var ie *steps.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), clusterName(t, real)) {
		t.Fatalf("a wrong name should be refused as input, naming what to type: %v", err)
	}
	for _, r := range p.Recorded() {
		if r.Method != "GET" && r.Method != "HEAD" {
			t.Errorf("%s %s reached the source without a confirmation", r.Method, r.Path)
		}
	}
	if len(p.Recorded()) == 0 {
		t.Errorf("nothing reached the source at all: the proxy was not in the path")
	}
	for ix, v := range blockOf(t, real, names...) {
		if v != "" {
			t.Errorf("%s is blocked: %q", ix, v)
		}
	}
	if st, _ := steps.ReadState(m.plan.StateFile); st.Live != nil && st.Live.Cutover != nil {
		t.Errorf("the state records a cut-over: %+v", st.Live.Cutover)
	}
}

// recoveryReuse reads a target index's primaries' last recovery directly (GET <index>/_recovery, not through
// esmigrate): the files and bytes it reused from the index's own store, of how many, and the snapshot it came
// from.
func recoveryReuse(t *testing.T, url, index string) (files, reusedFiles int, bytes, reusedBytes int64, snapshot string) {
	t.Helper()
	resp, err := http.Get(url + "/" + index + "/_recovery")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw map[string]struct {
		Shards []struct {
			Type    string `json:"type"`
			Primary bool   `json:"primary"`
			Source  struct {
				Snapshot string `json:"snapshot"`
			} `json:"source"`
			Index struct {
				Size struct {
					Total  int64 `json:"total_in_bytes"`
					Reused int64 `json:"reused_in_bytes"`
				} `json:"size"`
				Files struct {
					Total  int `json:"total"`
					Reused int `json:"reused"`
				} `json:"files"`
			} `json:"index"`
		} `json:"shards"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	for _, s := range raw[index].Shards {
		if !s.Primary || s.Type != "SNAPSHOT" {
			continue
		}
		files += s.Index.Files.Total
		reusedFiles += s.Index.Files.Reused
		bytes += s.Index.Size.Total
		reusedBytes += s.Index.Size.Reused
		snapshot = s.Source.Snapshot
	}
	return
}

// Each target kind reuses the files of the closed index when a round's snapshot is restored over it, as
// _recovery says (files.reused, size.reused_in_bytes, read directly): Elasticsearch 7.17 and 8.19 from a 7.17
// source with a writer that indexes, updates and deletes; OpenSearch 2.19 from a 7.10 source (it cannot read a
// repository written by 7.17) with a writer that only indexes: measured here, OpenSearch 2.19 reuses nothing of
// a segment in which a document was updated or deleted since (Elasticsearch keeps those deletions in a
// per-commit file and reuses the segment), so that a round there copies every segment the writes touched; the
// test "opensearch219-updates" shows it. The cut-over on each then leaves the restored index writable although
// its snapshot holds the block (ignore_index_settings), and content verification finds the two sides identical.
func TestLiveCatchUpReusesFilesOnEveryTargetKind(t *testing.T) {
	for _, kind := range []string{"es717", "es819", "opensearch219", "opensearch219-updates"} {
		t.Run(kind, func(t *testing.T) {
			env := envtest.Load(t)
			id := envtest.Unique("reuse")
			srcURL := env.SourceURL
			opensearch := strings.HasPrefix(kind, "opensearch")
			if opensearch {
				srcURL = envtest.Legacy(t).LegacyURL
			}
			names := liveIndices(t, srcURL, id)
			m := newMigration(t, false, names...)
			switch kind {
			case "es819":
				m.plan.Target.URL = envtest.Extra(t, "next")
			case "opensearch219", "opensearch219-updates":
				m.fromLegacy()
				m.plan.Target.URL = envtest.Extra(t, "opensearch")
			}
			m.dst, _ = esclient.New(esclient.Config{Role: "target", URL: m.plan.Target.URL})
			t.Cleanup(func() { liftBlock(t, srcURL, names...) })
			if _, err := m.run(steps.Options{AcceptWarnings: true}); err != nil {
				t.Fatal(err)
			}
			// A few writes after the first pass: the fault a round exists for.
			var args []string
			if kind == "opensearch219" {
				args = []string{"--inserts-only"}
			}
			w := startWriterWith(t, srcURL, 50, args, names...)
			w.waitChanged(30)
			w.stop()
			st, err := m.catchUp(steps.CatchUpOptions{Rounds: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Rounds) != 1 || st.Rounds[0].Indices == 0 {
				t.Fatalf("one round over the changed indices expected: %+v", st)
			}
			round := steps.RoundSnapshotName(m.plan, m.stateOf().MigrationID, 1)
			for _, n := range names {
				tn := steps.TargetName(n, m.plan.Restore)
				files, reusedFiles, size, reused, snap := recoveryReuse(t, m.plan.Target.URL, tn)
				t.Logf("%s: reused %d of %d files, %d of %d bytes, from %s", tn, reusedFiles, files, reused, size, snap)
				if kind == "opensearch219-updates" {
					// Every segment got an update or a delete (the writer spreads them over the index): nothing
					// of it is reused, and the round restored the index whole over the closed one.
					if snap != round || reusedFiles >= files {
						t.Errorf("%s: %d of %d files reused from %q", tn, reusedFiles, files, snap)
					}
					continue
				}
				if snap != round || reusedFiles == 0 || reused == 0 || reusedFiles > files || reused > size {
					t.Errorf("%s: the restore of %s over the closed index should reuse files: %d of %d files, %d of %d bytes, from %q",
						tn, round, reusedFiles, files, reused, size, snap)
				}
			}
			rep, err := m.cutover(steps.CutoverOptions{Confirm: clusterName(t, srcURL)})
			if err != nil {
				t.Fatal(err)
			}
			if c := rep.Live.Cutover; !c.Done() || c.Content == nil || c.Content.Differences != 0 {
				t.Fatalf("cut-over: %+v", c)
			}
			for _, n := range names {
				tn := steps.TargetName(n, m.plan.Restore)
				if typ := writeOne(t, m.plan.Target.URL, tn); typ != "" {
					t.Errorf("%s is not writable after the cut-over (the block of the snapshot came with it?): %s", tn, typ)
				}
				if typ := writeOne(t, srcURL, n); typ != "cluster_block_exception" {
					t.Errorf("the source index %s should refuse writes after the cut-over: %q", n, typ)
				}
			}
			if _, err := m.rollback(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func (m *migration) stateOf() *steps.State {
	m.t.Helper()
	st, err := steps.ReadState(m.plan.StateFile)
	if err != nil {
		m.t.Fatal(err)
	}
	return st
}

// A whole live migration, first pass, catch-up, cut-over and rollback, seen at the source's wire (a recording
// proxy in front of it): every request is a read, a refresh, a search, a snapshot of the plan's repository, or
// (the one exception) the cut-over's write block and its lifting, on the migration's own indices only and only
// after the cut-over was confirmed. The rule is this test's own, written apart from esmigrate's guard.
func TestLiveMigrationChangesNothingOnTheSourceButTheConfirmedBlock(t *testing.T) {
	m, names, w := liveMigration(t, 50)
	realURL := m.plan.Source.URL
	p := faultproxy.Start(t, realURL, faultproxy.Options{Record: true})
	m.plan.Source.URL = p.URL
	defer func() { m.plan.Source.URL = realURL }()
	if _, err := m.run(steps.Options{AcceptWarnings: true}); err == nil {
		t.Fatal("the first pass while the writer runs should report changed indices")
	}
	if _, err := m.catchUp(steps.CatchUpOptions{Rounds: 1}); err != nil {
		t.Fatal(err)
	}
	confirmed := len(p.Recorded())
	if _, err := m.cutover(steps.CutoverOptions{Confirm: clusterName(t, realURL), NoContent: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.rollback(); err != nil {
		t.Fatal(err)
	}
	w.stop()
	own := map[string]bool{}
	for _, n := range names {
		own[n] = true
	}
	seen := map[string]int{}
	for i, r := range p.Recorded() {
		why := mayReachSource(r, m.plan.Repository.Name)
		if why == "" {
			continue
		}
		kind := cutoverRequest(r, own)
		switch {
		case kind == "":
			t.Errorf("a request that may change the source reached it: %s %s %s: %s", r.Method, r.Path, r.Body, why)
		case i < confirmed:
			t.Errorf("%s reached the source before the cut-over was confirmed: %s %s", kind, r.Method, r.Path)
		default:
			seen[kind]++
		}
	}
	if seen["block"] == 0 || seen["lift"] == 0 {
		t.Errorf("the rule should have judged the block and its lifting: %v", seen)
	}
}

// cutoverRequest is this test's rule for the cut-over's exception: "block" for PUT <indices>/_block/write and
// "lift" for PUT <indices>/_settings whose body only sets index.blocks.write to null or false, every index one
// of the migration's; "" for anything else.
func cutoverRequest(r faultproxy.Recorded, own map[string]bool) string {
	segs := strings.Split(strings.Trim(r.Path, "/"), "/")
	if r.Method != "PUT" || len(segs) < 2 {
		return ""
	}
	for _, n := range strings.Split(segs[0], ",") {
		if !own[n] {
			return ""
		}
	}
	switch {
	case len(segs) == 3 && segs[1] == "_block" && segs[2] == "write" && len(r.Body) == 0:
		return "block"
	case len(segs) == 2 && segs[1] == "_settings":
		var body map[string]any
		if json.Unmarshal(r.Body, &body) != nil || len(body) != 1 {
			return ""
		}
		if v, ok := body["index.blocks.write"]; ok && (v == nil || v == false) {
			return "lift"
		}
	}
	return ""
}

// The writer updates and deletes a routed document with its routing, as the application that indexed it would:
// its updates replace the document on its shard, they do not add a second document with the same _id on the
// shard the _id hashes to, and its deletes remove it. The index holds routed documents only, on two shards.
func TestWriterUpdatesAndDeletesRoutedDocumentsWithTheirRouting(t *testing.T) {
	env := envtest.Load(t)
	o := ownerOf(t, env.SourceURL)
	name := envtest.Unique("routed")
	o.index(name, 2, 0, nil)
	var b strings.Builder
	for i := range 40 {
		fmt.Fprintf(&b, `{"index":{"_id":"d-%d","routing":"u%d"}}`+"\n"+`{"n":%d}`+"\n", i, i, i)
	}
	if out := o.do("POST", "/"+name+"/_bulk", b.String(), "refresh", "true"); out["errors"] == true {
		t.Fatalf("bulk: %v", out)
	}
	w := startWriterWith(t, env.SourceURL, 200, []string{"--max-ops", "150"}, name)
	<-w.done
	ws := w.read()
	if ws.Updated == 0 || ws.Deleted == 0 || ws.Failed > 0 {
		t.Fatalf("the writer should have updated and deleted routed documents, without failure: %+v", ws)
	}
	o.do("POST", "/"+name+"/_refresh", nil)
	byID := map[string][]string{}
	for k := range contentOf(t, env.SourceURL, name) {
		byID[k.id] = append(byID[k.id], k.routing)
	}
	deleted := 0
	for i := range 40 {
		id, want := fmt.Sprintf("d-%d", i), fmt.Sprintf("u%d", i)
		switch got := byID[id]; {
		case len(got) == 0:
			deleted++
		case len(got) > 1 || got[0] != want:
			t.Errorf("%s should be one document routed by %s; the index holds it with the routings %q", id, want, got)
		}
	}
	if deleted == 0 {
		t.Errorf("the writer's %d deletes removed none of the routed documents", ws.Deleted)
	}
}
