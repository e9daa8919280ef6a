package steps

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esmigrate/esmigrate/esclient"
)

func throttleEngine(t *testing.T, o Options) (*Engine, string, string) {
	t.Helper()
	srcDir, dstDir := t.TempDir(), t.TempDir()
	p := DefaultPlan()
	p.Source.URL, p.Target.URL = "http://127.0.0.1:1", "http://127.0.0.1:2"
	p.Repository.SourceLocation, p.Repository.TargetLocation = filepath.Join(srcDir, "repo"), filepath.Join(dstDir, "repo")
	p.Indices = []string{"logs"}
	e, err := New(p, o)
	if err != nil {
		t.Fatal(err)
	}
	return e, srcDir, dstDir
}

func dataNodes(n int) ClusterSummary {
	var s ClusterSummary
	for i := 0; i < n; i++ {
		s.Nodes = append(s.Nodes, esclient.Node{Name: "n" + string(rune('1'+i)), Roles: []string{"data", "master"}})
	}
	s.Nodes = append(s.Nodes, esclient.Node{Name: "coordinating", Roles: []string{"ingest"}}) // not a data node
	return s
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// The pre-flight's probe of the shares proposes per-node throttles that share the measured rate among the data
// nodes that use the share at once (never below Elasticsearch's 40mb default), and leaves nothing on the shares.
func TestTheShareProbeProposesPerNodeThrottlesAndLeavesNothingBehind(t *testing.T) {
	e, srcDir, dstDir := throttleEngine(t, Options{MeasureShares: true})
	c, ok := e.throughputCheck(context.Background(), dataNodes(2), dataNodes(3))
	if !ok || c.Status != OK {
		t.Fatalf("no throughput check: %+v", c)
	}
	a := e.Advice()
	if a == nil || a.SourceWrite <= 0 || a.ProbeBytes <= 0 || a.SourceNodes != 2 || a.TargetNodes != 3 {
		t.Fatalf("advice: %+v", a)
	}
	if a.SourceDir != srcDir || a.TargetDir != dstDir {
		t.Errorf("probed %s and %s, want the repositories' nearest existing parents %s and %s", a.SourceDir, a.TargetDir, srcDir, dstDir)
	}
	const mb = 1 << 20
	// each proposal, times the nodes that share the share, stays within what the share did (or is the default)
	if a.SnapshotPerNode < 40*mb || (a.SnapshotPerNode > 40*mb && float64(a.SnapshotPerNode*2) > a.SourceWrite) {
		t.Errorf("snapshot throttle %d per node for 2 nodes on a share writing %.0f B/s", a.SnapshotPerNode, a.SourceWrite)
	}
	if a.CacheDropped {
		if a.RestorePerNode < 40*mb || (a.RestorePerNode > 40*mb && float64(a.RestorePerNode*3) > a.TargetRead) {
			t.Errorf("restore throttle %d per node for 3 nodes on a share reading %.0f B/s", a.RestorePerNode, a.TargetRead)
		}
		if !strings.Contains(c.Fix, "restore.target_recovery_max_bytes_per_sec: "+a.RestoreSetting()) {
			t.Errorf("the fix does not say how to apply the target's proposal: %s", c.Fix)
		}
	} else if a.RestorePerNode != 0 || strings.Contains(c.Fix, "target_recovery") {
		t.Errorf("a read figure from the page cache gave a proposal for the target: %+v, %s", a, c.Fix)
	}
	if !strings.Contains(c.Fix, "max_snapshot_bytes_per_sec: "+a.SnapshotSetting()) || !strings.HasSuffix(a.SnapshotSetting(), "mb") {
		t.Errorf("the fix does not give the snapshot proposal as a plan value: %s", c.Fix)
	}
	// the repositories' directories do not exist yet: the probe ran in their parents, and left nothing there
	for _, d := range []string{srcDir, dstDir} {
		if left := entries(t, d); len(left) != 0 {
			t.Errorf("%s holds %v after the probe", d, left)
		}
	}
}

// Unless asked, the pre-flight writes nothing to the shares.
func TestTheShareProbeRunsOnlyWhenAsked(t *testing.T) {
	e, srcDir, dstDir := throttleEngine(t, Options{})
	if c, ok := e.throughputCheck(context.Background(), dataNodes(1), dataNodes(1)); ok {
		t.Fatalf("a throughput check without MeasureShares: %+v", c)
	}
	if e.Advice() != nil {
		t.Error("advice without a measure")
	}
	for _, d := range []string{srcDir, dstDir} {
		if len(entries(t, d)) != 0 {
			t.Errorf("%s was written to", d)
		}
	}
}

// A target recovery throttle in the plan is a setting of the whole target cluster: the plan validates it as a
// size, and it does not change the plan's hash (a resume with another value is the same migration).
func TestTheTargetRecoveryThrottleIsASizeAndNotPartOfWhatIsMigrated(t *testing.T) {
	p := DefaultPlan()
	p.Source.URL, p.Target.URL = "http://127.0.0.1:1", "http://127.0.0.1:2"
	p.Repository.SourceLocation, p.Repository.Shared = "/r", true
	p.Indices = []string{"logs"}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	h := p.Hash()
	p.Restore.TargetRecoveryMaxBytesPerSec = "fast"
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "restore.target_recovery_max_bytes_per_sec") {
		t.Errorf("a throttle of %q: %v", p.Restore.TargetRecoveryMaxBytesPerSec, err)
	}
	p.Restore.TargetRecoveryMaxBytesPerSec = "200mb"
	if err := p.Validate(); err != nil {
		t.Error(err)
	}
	if p.Hash() != h {
		t.Error("the target's recovery throttle changed the plan's hash")
	}
	back, err := ParsePlan(p.YAML(), "plan.yaml")
	if err != nil || back.Restore.TargetRecoveryMaxBytesPerSec != "200mb" {
		t.Errorf("the plan file does not keep the throttle: %q %v", back.Restore.TargetRecoveryMaxBytesPerSec, err)
	}
}

// The requests the review shows include the change of the target's recovery throttle, and its put-back after
// the last batch, exactly when a run sends them: the plan sets the throttle and the operator confirmed it.
func TestPlannedRequestsShowTheTargetRecoveryThrottleOnlyWhenConfirmedAndItsPutBackLast(t *testing.T) {
	plan := func(throttle string) Plan {
		p := DefaultPlan()
		p.Source.URL, p.Target.URL = "http://127.0.0.1:1", "http://127.0.0.1:2"
		p.Repository.SourceLocation, p.Repository.Shared = "/r", true
		p.Indices = []string{"logs"}
		p.Restore.TargetRecoveryMaxBytesPerSec = throttle
		return p
	}
	batches := []Batch{{Number: 1, Indices: []esclient.Index{{Name: "logs", Primaries: 1}}}, {Number: 2, Indices: []esclient.Index{{Name: "logs-2", Primaries: 1}}}}
	settings := func(p Plan, allow bool) []PlannedRequest {
		e, err := New(p, Options{AllowTargetSettings: allow})
		if err != nil {
			t.Fatal(err)
		}
		var out []PlannedRequest
		reqs, err := e.PlannedRequests(context.Background(), ClusterSummary{}, ClusterSummary{}, batches)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range reqs {
			if strings.Contains(r.Curl, "/_cluster/settings") {
				if !strings.HasPrefix(r.Curl, "curl -sS -X PUT 'http://127.0.0.1:2/_cluster/settings'") {
					t.Errorf("a settings request not to the target: %s", r.Curl)
				}
				r.Batch = i // where it is among the requests
				out = append(out, r)
			}
		}
		if len(out) == 2 && (out[0].Batch != 2 || out[1].Batch != len(reqs)-1) {
			t.Errorf("the change is request %d and its put-back %d of %d: want the change right after the two repositories and the put-back last",
				out[0].Batch, out[1].Batch, len(reqs))
		}
		return out
	}
	if got := settings(plan("123mb"), false); len(got) != 0 {
		t.Errorf("unconfirmed, the review lists %d change(s) of the target's settings", len(got))
	}
	if got := settings(plan(""), true); len(got) != 0 {
		t.Errorf("without a throttle in the plan, the review lists %d change(s) of the target's settings", len(got))
	}
	got := settings(plan("123mb"), true)
	if len(got) != 2 {
		t.Fatalf("confirmed, %d settings request(s), want the change and its put-back", len(got))
	}
	if !strings.Contains(got[0].Curl, `{"persistent":{"indices.recovery.max_bytes_per_sec":"123mb"}}`) {
		t.Errorf("the change: %s", got[0].Curl)
	}
	if !strings.Contains(got[1].Curl, `{"persistent":{"indices.recovery.max_bytes_per_sec":"`+SettingBeforePlaceholder+`"}}`) || got[1].Phase != PhaseCleanup {
		t.Errorf("the put-back: %s (%s)", got[1].Curl, got[1].Phase)
	}
}

// A share this host does not see is not measured: the probe would land on whatever disk holds the nearest
// existing parent. It says so, and how to mount it, and writes nothing.
func TestAShareThisHostDoesNotSeeIsNotProbed(t *testing.T) {
	e, srcDir, _ := throttleEngine(t, Options{})
	e.plan.Repository.SourceLocation = filepath.Join(srcDir, "not-mounted", "es_backup", "repo")
	_, err := e.MeasureShares(context.Background(), dataNodes(1), dataNodes(1))
	if err == nil || !strings.Contains(err.Error(), "not-mounted/es_backup/repo is not on this host") ||
		!strings.Contains(err.Error(), "repository.source_local_path") {
		t.Fatalf("measured a share this host does not see: %v", err)
	}
	if left := entries(t, srcDir); len(left) != 0 {
		t.Errorf("%s holds %v", srcDir, left)
	}
}

// The confirmation of the target's setting is recorded with the migration: a resume takes a record of it for
// the value the plan has (a confirmed start, or a change that was sent, as state files before the record had),
// and no other value, nor a state without any record.
func TestAResumeTakesTheRecordedConfirmationOfTheTargetSettingForItsValueOnly(t *testing.T) {
	st := &State{Plan: DefaultPlan()}
	st.Plan.Restore.TargetRecoveryMaxBytesPerSec = "200mb"
	if name, v, ok := st.UnconfirmedTargetSetting(); !ok || name != RecoverySetting || v != "200mb" {
		t.Fatalf("a state without a record: unconfirmed %q %q %v, want %s 200mb asked for", name, v, ok, RecoverySetting)
	}
	st.TargetSettings = []SettingChange{{Name: RecoverySetting, New: "300mb", Confirmed: true}}
	if _, _, ok := st.UnconfirmedTargetSetting(); !ok {
		t.Fatal("a confirmation of 300mb was taken for the plan's 200mb")
	}
	st.TargetSettings = []SettingChange{{Name: RecoverySetting, New: "200mb", Confirmed: true}}
	if _, _, ok := st.UnconfirmedTargetSetting(); ok {
		t.Fatal("the recorded confirmation of 200mb was not taken")
	}
	old := "40mb"
	st.TargetSettings = []SettingChange{{Name: RecoverySetting, Old: &old, New: "200mb", Sent: true, Restored: true}}
	if _, _, ok := st.UnconfirmedTargetSetting(); ok {
		t.Fatal("a change that was sent (a state file written before the record) does not count as confirmed")
	}
	st.Plan.Restore.TargetRecoveryMaxBytesPerSec = ""
	if _, _, ok := st.UnconfirmedTargetSetting(); ok {
		t.Fatal("a plan that changes nothing on the target asks for a confirmation")
	}
	var none *State
	if none.TargetSettingConfirmed(RecoverySetting, "200mb") {
		t.Fatal("no state confirms anything")
	}
}
