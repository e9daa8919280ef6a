package ui

import (
	"strings"
	"testing"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/i18n/i18ntest"
	"github.com/esmigrate/esmigrate/steps"
)

// The review's throughput advice (issue 13 point 5): m has the engine probe the shares, the screen shows what it
// measured and proposes, u takes the proposal into the plan, and the target's indices.recovery.max_bytes_per_sec
// (a setting of the whole target cluster) goes into the plan, and the run may change it, only after the target
// cluster's name is typed.

// review is the review screen of a harness.
func (h *harness) review() *reviewScreen { return h.m.screens[scrReview].(*reviewScreen) }

// measured presses m on the review and waits for the engine's answer.
func (h *harness) measured() {
	h.t.Helper()
	h.keys("m")
	if !h.await(func() bool { return !h.review().measuring }) {
		h.t.Fatalf("the probe never answered:\n%s", h.screen())
	}
}

// allRequests is every line of the review's request list, read from the screen scrolled page by page.
func (h *harness) allRequests() string {
	h.t.Helper()
	// The requests come from the engine after each change: take its answer first.
	if !h.await(func() bool { return h.review().reqGot == h.review().reqSeq }) {
		h.t.Fatalf("the review's requests never came:\n%s", h.screen())
	}
	var seen []string
	last := ""
	for i := 0; i < 40; i++ {
		s := h.screen()
		if s == last {
			break
		}
		seen, last = append(seen, s), s
		h.keys("pgdown")
	}
	for i := 0; i < 40; i++ {
		h.keys("pgup")
	}
	return strings.Join(seen, "\n")
}

// startRun starts the migration from the review and returns what the engine was given.
func (h *harness) startRun() (steps.Plan, RunOptions) {
	h.t.Helper()
	h.keys("enter", "y")
	if !h.await(func() bool { h.be.mu.Lock(); defer h.be.mu.Unlock(); return h.be.ran > 0 }) {
		h.t.Fatalf("the run never started:\n%s", h.screen())
	}
	h.be.mu.Lock()
	defer h.be.mu.Unlock()
	return h.be.runPlan, h.be.runOpts
}

func TestTheReviewShowsTheMeasuredSharesAndTheProposedThrottles(t *testing.T) {
	h := newHarness(t, "en", 120, 40, nil)
	h.toReview()
	h.must("Share throughput: not measured")
	if h.be.measured != 0 {
		t.Fatal("the shares were probed before the operator asked")
	}
	h.measured()
	if h.be.measured != 1 {
		t.Fatalf("the engine was asked %d time(s) to probe the shares, want once", h.be.measured)
	}
	h.mustWrapped("the source share (/data/source-repo) writes 420.0mb/s, the target share (/data/target-repo) reads 380.0mb/s (a probe of 32.0mb")
	h.mustWrapped("Proposed: max_snapshot_bytes_per_sec 420mb per source node (1 data node(s)); the target's indices.recovery.max_bytes_per_sec 380mb per node (1 data node(s))")
	// Shown, not taken: the plan is the operator's until u.
	if p := h.s.Plan; p.Repository.MaxSnapshotBytesPerSec != "" || p.Restore.TargetRecoveryMaxBytesPerSec != "" {
		t.Fatalf("the probe changed the plan: %+v %+v", p.Repository, p.Restore)
	}
}

// A read that this host's page cache served gives no target proposal: u takes the snapshot throttle only, and
// asks nothing.
func TestAProbeReadFromThePageCacheProposesNothingForTheTarget(t *testing.T) {
	a := fakeAdvice()
	a.CacheDropped, a.TargetRead, a.RestorePerNode = false, 0, 0
	h := newHarness(t, "en", 120, 40, &fakeBackend{advice: &a})
	h.toReview()
	h.measured()
	h.mustWrapped("its read came from this host's page cache: no proposal for the target")
	h.mustNot("indices.recovery.max_bytes_per_sec", "no target proposal from a cached read")
	h.keys("u")
	if h.review().typing {
		t.Fatal("a confirmation for the target was asked without a proposal for it")
	}
	if got := h.s.Plan.Repository.MaxSnapshotBytesPerSec; got != "420mb" {
		t.Fatalf("snapshot throttle %q in the plan, want the proposal's 420mb", got)
	}
}

func TestTheProbesFailureIsShownWithItsCause(t *testing.T) {
	h := newHarness(t, "en", 120, 40, &fakeBackend{measureErr: errProbe})
	h.toReview()
	h.measured()
	h.mustWrapped("Share throughput: not measured: cannot create a probe file in /data/source-repo: permission denied")
	h.keys("u")
	h.must("Nothing measured yet: m measures the shares.")
}

var errProbe = errorString("cannot create a probe file in /data/source-repo: permission denied")

type errorString string

func (e errorString) Error() string { return string(e) }

// u takes the proposal into the plan: the source repository's snapshot throttle at once (the run registers the
// repository with it), the target's setting not without its confirmation. Leaving the prompt keeps the snapshot
// throttle only, and the screen and the run say that the target's setting is not changed.
func TestTakingTheProposalPutsTheSnapshotThrottleIntoThePlan(t *testing.T) {
	h := newHarness(t, "en", 120, 40, nil)
	h.toReview()
	h.measured()
	h.keys("u")
	if got := h.s.Plan.Repository.MaxSnapshotBytesPerSec; got != "420mb" {
		t.Fatalf("snapshot throttle %q in the plan, want the proposal's 420mb", got)
	}
	h.mustWrapped(`Type the target cluster's name "target-cluster" to set its indices.recovery.max_bytes_per_sec to 380mb for the migration`)
	h.keys("esc")
	h.mustWrapped("The target's indices.recovery.max_bytes_per_sec will not be changed: the plan keeps the snapshot throttle only.")
	h.mustWrapped("Snapshots: the source repository's max_snapshot_bytes_per_sec is 420mb per node.")
	h.mustWrapped("The target's indices.recovery.max_bytes_per_sec will not be changed (380mb proposed")
	if reqs := h.allRequests(); strings.Contains(reqs, "_cluster/settings") {
		t.Fatalf("the review lists a change of the target's settings that was not confirmed:\n%s", reqs)
	}
	p, o := h.startRun()
	if p.Repository.MaxSnapshotBytesPerSec != "420mb" {
		t.Errorf("the run's snapshot throttle is %q, want 420mb", p.Repository.MaxSnapshotBytesPerSec)
	}
	if o.AllowTargetSettings || p.Restore.TargetRecoveryMaxBytesPerSec != "" {
		t.Errorf("the run may change the target's setting without the confirmation: %+v, %q", o, p.Restore.TargetRecoveryMaxBytesPerSec)
	}
}

// A word that is not the target cluster's name changes nothing; the name does: the plan gets the target's
// throttle, the review's requests show the settings PUT and its put-back, and the run is allowed to send them.
func TestTheTargetSettingIsAppliedOnlyAfterTheTypedConfirmation(t *testing.T) {
	h := newHarness(t, "en", 120, 40, nil)
	h.toReview()
	h.measured()
	h.keys("u")
	h.typeText("target")
	h.keys("enter")
	h.mustWrapped(`"target" is not the target cluster's name (target-cluster): its indices.recovery.max_bytes_per_sec will not be changed`)
	if h.s.TargetConfirmed || h.s.Plan.Restore.TargetRecoveryMaxBytesPerSec != "" {
		t.Fatalf("a wrong word confirmed the target's setting: %v %q", h.s.TargetConfirmed, h.s.Plan.Restore.TargetRecoveryMaxBytesPerSec)
	}
	if reqs := h.allRequests(); strings.Contains(reqs, "_cluster/settings") {
		t.Fatalf("the review lists a change of the target's settings that was not confirmed:\n%s", reqs)
	}
	if h.be.plannedOpts.AllowTargetSettings {
		t.Fatal("the requests were asked for with the target's settings allowed")
	}

	h.keys("u")
	h.typeText("target-cluster")
	h.keys("enter")
	h.mustWrapped("The target's indices.recovery.max_bytes_per_sec goes to 380mb for the migration and is put back at its end (confirmed")
	// On the screen: the change after the repositories, its put-back after the last batch (the commands are cut at
	// the screen's edge); whole, in what c copies.
	reqs := h.allRequests()
	setSaid := "# set the target's indices.recovery.max_bytes_per_sec to 380mb for the migration"
	backSaid := "# put the target's indices.recovery.max_bytes_per_sec back as it was before the run"
	if strings.Count(reqs, "curl -sS -X PUT 'http://10.0.0.2:9200/_cluster/settings'") < 2 || !strings.Contains(reqs, setSaid) ||
		!strings.Contains(reqs, backSaid) || strings.Index(reqs, setSaid) > strings.Index(reqs, backSaid) {
		t.Fatalf("the review does not list the settings PUT and then its put-back:\n%s", reqs)
	}
	copied := h.review().curl()
	set := `curl -sS -X PUT 'http://10.0.0.2:9200/_cluster/settings' -H 'Content-Type: application/json' -d '{"persistent":{"indices.recovery.max_bytes_per_sec":"380mb"}}'`
	back := `curl -sS -X PUT 'http://10.0.0.2:9200/_cluster/settings' -H 'Content-Type: application/json' -d '{"persistent":{"indices.recovery.max_bytes_per_sec":"VALUE_BEFORE"}}'`
	if !strings.Contains(copied, set) || !strings.Contains(copied, back) || strings.Index(copied, set) > strings.Index(copied, back) {
		t.Fatalf("the copied commands lack the settings PUT or its put-back:\n%s", copied)
	}
	p, o := h.startRun()
	if !o.AllowTargetSettings || p.Restore.TargetRecoveryMaxBytesPerSec != "380mb" || p.Repository.MaxSnapshotBytesPerSec != "420mb" {
		t.Errorf("the run got %+v with the target's throttle %q and the snapshot throttle %q, want it allowed, 380mb and 420mb",
			o, p.Restore.TargetRecoveryMaxBytesPerSec, p.Repository.MaxSnapshotBytesPerSec)
	}
}

// Once confirmed, u takes the target's setting back out (the snapshot throttle stays).
func TestTheConfirmedTargetSettingCanBeTakenBack(t *testing.T) {
	h := newHarness(t, "en", 120, 40, nil)
	h.toReview()
	h.measured()
	h.keys("u")
	h.typeText("target-cluster")
	h.keys("enter")
	if !h.s.TargetConfirmed {
		t.Fatal("not confirmed")
	}
	h.keys("u")
	h.must("The target's indices.recovery.max_bytes_per_sec will not be changed.")
	if h.s.TargetConfirmed || h.s.Plan.Restore.TargetRecoveryMaxBytesPerSec != "" || h.s.Plan.Repository.MaxSnapshotBytesPerSec != "420mb" {
		t.Fatalf("after u: confirmed %v, target %q, snapshot %q", h.s.TargetConfirmed, h.s.Plan.Restore.TargetRecoveryMaxBytesPerSec,
			h.s.Plan.Repository.MaxSnapshotBytesPerSec)
	}
	_, o := h.startRun()
	if o.AllowTargetSettings {
		t.Error("the run may change the target's setting after it was taken back")
	}
}

// A plan file that sets the target's throttle starts the wizard with the value held out of the plan (the
// pre-flight would refuse it unconfirmed): the review offers it, and only the typed name puts it back.
func TestAPlanFilesTargetSettingWaitsForTheTypedConfirmation(t *testing.T) {
	p := steps.DefaultPlan()
	p.Source.URL, p.Target.URL = "http://10.0.0.1:9200", "http://10.0.0.2:9200"
	p.Restore.TargetRecoveryMaxBytesPerSec = "200mb"
	s := NewSession(Options{Plan: p})
	if s.Plan.Restore.TargetRecoveryMaxBytesPerSec != "" || s.TargetRecovery != "200mb" || s.TargetConfirmed {
		t.Fatalf("the session starts with the plan's %q, held %q, confirmed %v", s.Plan.Restore.TargetRecoveryMaxBytesPerSec, s.TargetRecovery, s.TargetConfirmed)
	}
	h := newHarnessWith(t, "en", 120, 40, nil, func(hs *Session) { hs.TargetRecovery = s.TargetRecovery })
	h.toReview()
	h.mustWrapped("The target's indices.recovery.max_bytes_per_sec will not be changed (200mb proposed: u asks for the typed confirmation).")
	h.keys("u")
	h.typeText("target-cluster")
	h.keys("enter")
	if !h.s.TargetConfirmed || h.s.Plan.Restore.TargetRecoveryMaxBytesPerSec != "200mb" || h.s.Plan.Repository.MaxSnapshotBytesPerSec != "" {
		t.Fatalf("confirmed %v, target %q, snapshot %q", h.s.TargetConfirmed, h.s.Plan.Restore.TargetRecoveryMaxBytesPerSec, h.s.Plan.Repository.MaxSnapshotBytesPerSec)
	}
}

// In Chinese the review's throughput lines, the proposal, the prompt and the probe's failure are all Chinese
// (the engine's error is a message of the catalogue).
func TestTheThroughputAdviceIsChineseOnAChineseScreen(t *testing.T) {
	for _, be := range []*fakeBackend{{}, {measureErr: i18n.Errorf("steps.probe.unseen", "/data/source-repo/esmigrate", "repository.source_local_path")}} {
		h := newHarness(t, "zh", 120, 40, be)
		h.toReview()
		h.measured()
		if be.measureErr == nil {
			h.keys("u")
			h.typeText("target-clu")
			h.mustWrapped(`输入目标集群名称 "target-cluster"`)
			h.mustWrapped("建议：每个源节点 max_snapshot_bytes_per_sec 420mb")
		} else {
			h.mustWrapped("共享目录吞吐量：无法测量：本机上没有 /data/source-repo/esmigrate")
		}
		if w := i18ntest.EnglishOfOurs(h.screen(), "source-cluster", "target-cluster"); len(w) > 0 {
			t.Errorf("English of ours %q on the Chinese screen:\n%s", w, h.screen())
		}
	}
}

// After m the operator goes back to the repository step and moves the source repository: the measurement was of
// the directories before, so the review drops it, says that the shares need measuring again, and u does not
// take the old proposal; m measures again.
func TestAShareMeasurementOfOtherRepositoryPathsIsDroppedAndAskedAgain(t *testing.T) {
	h := newHarness(t, "en", 120, 40, nil)
	h.toReview()
	h.measured()
	h.mustWrapped("the source share (/data/source-repo) writes 420.0mb/s")
	for i := 0; i < 6 && h.m.Current() != scrRepository; i++ {
		h.keys("esc")
	}
	h.at(scrRepository)
	h.keys("e")
	h.keys("enter", "enter") // new repository, its name
	h.keys("ctrl+u")
	h.typeText("/data/source-repo/elsewhere")
	for i := 0; i < 12 && h.m.screens[scrRepository].(*repositoryScreen).form != nil; i++ {
		h.keys("enter")
	}
	if got := h.s.Plan.Repository.SourceLocation; got != "/data/source-repo/elsewhere" {
		t.Fatalf("the repository step left the source location at %q", got)
	}
	h.keys("enter")
	h.at(scrIndices)
	h.keys("enter")
	h.at(scrMetadata)
	h.keys("enter")
	h.at(scrReview)
	h.mustWrapped("Share throughput: the repository paths changed after the shares were measured, so that measurement and its proposal no longer apply: m measures the shares again.")
	h.mustNot("420.0mb/s", "the measurement of the old paths is still shown")
	if h.s.Advice != nil {
		t.Fatalf("the session keeps the measurement of the old paths: %+v", h.s.Advice)
	}
	h.keys("u")
	h.must("The shares were measured at other repository paths: m measures them again.")
	if p := h.s.Plan; p.Repository.MaxSnapshotBytesPerSec != "" || h.review().typing {
		t.Fatalf("u took the old proposal: snapshot throttle %q, asking %v", p.Repository.MaxSnapshotBytesPerSec, h.review().typing)
	}
	h.measured()
	if h.be.measured != 2 {
		t.Fatalf("the shares were probed %d time(s), want twice", h.be.measured)
	}
	h.mustNot("the repository paths changed", "the new measurement is still called stale")
	h.mustWrapped("the source share (/data/source-repo) writes 420.0mb/s")
}

// Back and forth without a change of the paths keeps the measurement.
func TestAShareMeasurementSurvivesGoingBackWithoutChangingThePaths(t *testing.T) {
	h := newHarness(t, "en", 120, 40, nil)
	h.toReview()
	h.measured()
	h.keys("esc")
	h.at(scrMetadata)
	h.keys("enter")
	h.at(scrReview)
	h.mustWrapped("the source share (/data/source-repo) writes 420.0mb/s")
	if h.s.Advice == nil || h.s.AdviceStale {
		t.Fatal("the measurement was dropped although the paths did not change")
	}
}
