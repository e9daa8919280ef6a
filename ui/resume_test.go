package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
)

// sampleState is a two-batch migration: batch 1 verified, batch 2 stopped in its restore (or, finished, both
// verified). Its plan is not the harness's: the source has a user, the indices are named.
func sampleState(path string, finished bool) *steps.State {
	p := steps.DefaultPlan()
	p.Source.URL, p.Target.URL = "http://10.0.0.1:9200", "http://10.0.0.2:9200"
	p.Indices = []string{"logs-2026.11.*"}
	p.Repository.SourceLocation, p.Repository.TargetLocation = "/data/source-repo", "/data/target-repo"
	p.StateFile, p.ReportDir = path, "testdata/reports"
	ix := func(name string, bytes, docs int64, result string) steps.IndexState {
		st := steps.IndexState{Name: name, Target: name, PrimaryBytes: bytes, Primaries: 1, SourceDocs: docs, Result: result}
		if result == steps.ResultVerified {
			st.TargetDocs = docs
		}
		return st
	}
	at := fixedTime.Add(-10 * time.Minute)
	times := map[steps.Phase]steps.PhaseTime{steps.PhaseSnapshot: {Start: at.Add(-time.Minute), End: at.Add(-50 * time.Second)}}
	st := &steps.State{Version: 1, PlanHash: p.Hash(), Plan: p, Created: at.Add(-time.Hour), Updated: at,
		Source: steps.ClusterID{Name: "source-cluster", UUID: "source-uuid", Version: "7.17.29", Product: "Elasticsearch 7.17.29"},
		Target: steps.ClusterID{Name: "target-cluster", UUID: "target-uuid", Version: "7.17.29", Product: "Elasticsearch 7.17.29"},
		Batches: []steps.BatchState{
			{Number: 1, Snapshot: "esmigrate-1", Done: true, SnapshotStarted: true, Times: times,
				Indices: []steps.IndexState{ix("logs-2026.11.02", 7<<20, 20000, steps.ResultVerified)}},
			{Number: 2, Snapshot: "esmigrate-2", Phase: steps.PhaseRestore, SnapshotStarted: true, RestoreStarted: true, Times: times,
				Indices: []steps.IndexState{ix("logs-2026.11.01", 4<<20, 12000, steps.ResultPending), ix("logs-2026.11.03", 2<<20, 6000, steps.ResultPending)}},
		}}
	if finished {
		b := &st.Batches[1]
		b.Phase, b.Done = "", true
		for i := range b.Indices {
			b.Indices[i].Result, b.Indices[i].TargetDocs = steps.ResultVerified, b.Indices[i].SourceDocs
		}
		st.Finished = true
	}
	return st
}

// withState is a harness whose wizard started on a state file holding st (the state is given, not read).
func withState(st *steps.State, creds steps.Credentials) func(s *Session) {
	return func(s *Session) {
		s.Plan.StateFile = st.Plan.StateFile
		s.Prev, s.PrevCreds = st, creds
	}
}

// writeState writes st as the engine does (with its previous version beside it).
func writeState(t *testing.T, st *steps.State) {
	t.Helper()
	store, err := steps.OpenStore(st.Plan.StateFile)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for i := 0; i < 2; i++ { // twice: the second save keeps the first as .prev
		if err := store.Save(st); err != nil {
			t.Fatal(err)
		}
	}
}

func TestResumeScreenShowsTheMigrationAndResumes(t *testing.T) {
	be := &fakeBackend{block: true, runEvents: []steps.Event{
		{Kind: steps.KindLog, Phase: steps.PhasePlan, Msg: i18n.M("run.resuming", "esmigrate-state.json", 2, 2, i18n.M("run.phase.restore"))},
		{Kind: steps.KindStart, Phase: steps.PhaseRestore, Batch: 2}}}
	st := sampleState("esmigrate-state.json", false)
	h := newHarnessWith(t, "en", 100, 30, be, withState(st, steps.Credentials{}))
	h.at(scrResume)
	h.must("An unfinished migration")
	h.mustWrapped("The state file esmigrate-state.json holds a migration that has not finished (last saved 2026-11-25 09:50:00)")
	h.must("source-cluster (http://10.0.0.1:9200)")
	h.must("1 of 2 done")
	h.must("batch 2 of 2: restore")
	h.keys("down", "up", "enter")
	h.at(scrRun)
	if be.ran != 1 || be.runPlan.StateFile != "esmigrate-state.json" || strings.Join(be.runPlan.Indices, ",") != "logs-2026.11.*" {
		t.Fatalf("run %d times with the plan %+v, want the state's", be.ran, be.runPlan)
	}
	if be.runPlan.Hash() != st.PlanHash {
		t.Fatal("the resumed plan is not the state's (the engine would refuse the state file)")
	}
	if !be.runAccept || !h.s.Resuming {
		t.Fatalf("accept warnings %v, resuming %v", be.runAccept, h.s.Resuming)
	}
	// What was done before shows as done: batch 1 whole, batch 2's snapshot and transfer.
	h.must("Batch 1/2  ✓ snapshot  ✓ transfer  ✓ restore  ✓ verify")
	h.must("✓ transfer  ● restore")
	// No way back into the steps before: they were not taken in this session.
	h.keys("q", "y")
	h.settle()
	h.keys("esc")
	h.at(scrRun)
}

func TestResumeKeyAndReport(t *testing.T) {
	be := &fakeBackend{}
	h := newHarnessWith(t, "en", 80, 24, be, withState(sampleState("esmigrate-state.json", false), steps.Credentials{}))
	h.keys("r")
	h.at(scrReport) // the fake run ends at once
	h.must("3 verified")
	h.mustNot("already finished", "a run of this session is called finished before")
}

func TestResumeAsksForAMissingPassword(t *testing.T) {
	be := &fakeBackend{}
	st := sampleState("esmigrate-state.json", false)
	st.Plan.Source.Username, st.Plan.Target.Username = "elastic", "admin"
	h := newHarnessWith(t, "en", 80, 24, be, withState(st, steps.Credentials{TargetPassword: "from-env"}))
	h.keys("r")
	h.at(scrResume)
	h.must("Password for elastic on the Source cluster (not shown)")
	h.mustNot("admin", "asks for the target's password, which the environment gave")
	h.typeText("s3cret?q")
	h.mustNot("s3cret", "the password shows")
	h.must("********")
	h.keys("enter")
	h.at(scrReport)
	if be.runCreds.SourcePassword != "s3cret?q" || be.runCreds.TargetPassword != "from-env" {
		t.Fatalf("credentials %+v", be.runCreds)
	}
	if strings.Contains(string(be.runPlan.YAML()), "s3cret") {
		t.Fatal("the password went into the plan")
	}
}

func TestResumePasswordCanBeLeft(t *testing.T) {
	st := sampleState("esmigrate-state.json", false)
	st.Plan.Source.Username = "elastic"
	h := newHarnessWith(t, "en", 80, 24, nil, withState(st, steps.Credentials{}))
	h.keys("enter")
	h.must("Password for elastic")
	h.keys("esc")
	h.at(scrResume)
	if strings.Contains(h.screen(), "Password for") || h.be.ran != 0 {
		t.Fatalf("esc does not leave the password (runs %d):\n%s", h.be.ran, h.screen())
	}
}

func TestStartOverMovesTheStateAsideOnlyWhenConfirmed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "esmigrate-state.json")
	st := sampleState(path, false)
	writeState(t, st)
	before, _ := os.ReadFile(path)
	h := newHarnessWith(t, "en", 120, 40, nil, withState(st, steps.Credentials{}))
	fresh := h.s.Plan
	h.keys("down", "enter")
	h.must("Start over: nothing is deleted.")
	h.mustWrapped("--state " + filepath.Join(dir, "esmigrate-state-20261125-100000.json"))
	moved := path + ".done-20261125-100000"
	h.mustWrapped(moved)
	// esc goes back to the choice; n comes again.
	h.keys("esc")
	h.mustNot("nothing is deleted.", "esc stays in start over")
	h.keys("n")
	h.typeText("state.json")
	h.keys("enter")
	h.must(`that is not "esmigrate-state.json"; nothing was moved`)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the state file moved without the confirmation: %v", err)
	}
	h.typeText("esmigrate-state.json")
	h.keys("enter")
	h.at(scrConnect)
	h.mustWrapped("Moved the old state file " + path + " to " + moved)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the state file is still there: %v", err)
	}
	if after, err := os.ReadFile(moved); err != nil || string(after) != string(before) {
		t.Fatalf("moved state: %v (same content %v)", err, string(after) == string(before))
	}
	if _, err := os.Stat(moved + ".prev"); err != nil {
		t.Fatalf("the previous version did not go with it: %v", err)
	}
	if h.s.Prev != nil || h.s.Resuming || h.s.Plan.Source.URL != fresh.Source.URL || len(h.s.Plan.Indices) != 0 {
		t.Fatalf("after start over: prev %v resuming %v plan %+v", h.s.Prev != nil, h.s.Resuming, h.s.Plan)
	}
	h.toPreflight()
}

func TestStartOverDoesNotMoveAStateInUse(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "esmigrate-state.json")
	st := sampleState(path, false)
	writeState(t, st)
	other, err := steps.OpenStore(path) // another esmigrate works on it
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	h := newHarnessWith(t, "en", 120, 40, nil, withState(st, steps.Credentials{}))
	h.keys("n")
	h.typeText("esmigrate-state.json")
	h.keys("enter")
	h.at(scrResume)
	h.must("Could not move it")
	h.must("already working on")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("moved under a running esmigrate: %v", err)
	}
}

func TestStartOverNeverReplacesAFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "esmigrate-state.json")
	st := sampleState(path, false)
	writeState(t, st)
	taken := path + ".done-20261125-100000"
	if err := os.WriteFile(taken, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarnessWith(t, "en", 120, 40, nil, withState(st, steps.Credentials{}))
	h.keys("n")
	h.typeText("esmigrate-state.json")
	h.keys("enter")
	h.mustWrapped("already exists")
	if b, _ := os.ReadFile(taken); string(b) != "keep me" {
		t.Fatal("a file was replaced")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}

func TestFinishedStateShowsItsReport(t *testing.T) {
	be := &fakeBackend{}
	st := sampleState("esmigrate-state.json", true)
	st.Plan.Source.Username = "elastic"
	h := newHarnessWith(t, "en", 120, 40, be, withState(st, steps.Credentials{SourcePassword: "pw"}))
	h.at(scrReport)
	h.mustWrapped("This migration has already finished (state file esmigrate-state.json, saved 2026-11-25 09:50:00)")
	h.must("3 verified, 0 mismatched, 0 failed, 0 pending, in 2 batch(es)")
	h.must("logs-2026.11.03")
	// The newest report written before the state was saved, not the later one of another run.
	h.mustWrapped("Report files: testdata/reports/esmigrate-report-20261125-094959.md, testdata/reports/esmigrate-report-20261125-094959.json")
	if be.ran != 0 {
		t.Fatal("a finished migration ran again")
	}
	// The clean-up works on the finished migration's plan and credentials.
	h.keys("1", "x")
	h.typeText("esmigrate")
	h.keys("enter")
	if len(be.cleaned) != 1 || h.s.Creds.SourcePassword != "pw" || h.s.Plan.Source.Username != "elastic" {
		t.Fatalf("clean-up %+v with %+v", be.cleaned, h.s.Plan.Source)
	}
	// n: start over (the same screen as for an unfinished one); esc comes back.
	h.keys("n")
	h.at(scrResume)
	h.must("Start over: nothing is deleted.")
	h.mustNot("Resume", "a finished migration offers to resume")
	h.keys("esc")
	h.at(scrReport)
}

func TestNewSessionReadsTheStateFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	st := sampleState("elsewhere.json", false)
	st.Plan.Source.Username, st.Plan.Source.PasswordEnv = "elastic", "ESM_TEST_SOURCE_PW"
	st.Plan.StateFile = path
	writeState(t, st)
	t.Setenv("ESM_TEST_SOURCE_PW", "from-the-state-plan-variable")

	p := steps.DefaultPlan()
	p.Source.URL, p.Target.URL, p.StateFile = "http://a:9200", "http://b:9200", path
	s := NewSession(Options{Plan: p, Credentials: steps.Credentials{TargetPassword: "flag"}})
	if s.Prev == nil || s.Prev.Plan.StateFile != path || len(s.Prev.Batches) != 2 {
		t.Fatalf("prev %+v", s.Prev)
	}
	if s.PrevCreds.SourcePassword != "from-the-state-plan-variable" || s.PrevCreds.TargetPassword != "flag" {
		t.Fatalf("credentials for the resume %+v", s.PrevCreds)
	}
	if s.Creds.SourcePassword != "" || s.Plan.Source.URL != "http://a:9200" {
		t.Fatalf("the new migration's values changed: %+v %+v", s.Creds, s.Plan.Source)
	}
	if got := s.startScreen(); got != scrResume {
		t.Fatalf("starts on %d", got)
	}

	// No state file: the connection, as always.
	p.StateFile = filepath.Join(dir, "none.json")
	if s := NewSession(Options{Plan: p}); s.Prev != nil || s.startScreen() != scrConnect {
		t.Fatal("a state without a file")
	}
}

// The connection screen says the notice (the old state file moved aside) once: coming back, it is gone.
func TestConnectNoticeSaidOnce(t *testing.T) {
	h := newHarnessWith(t, "en", 80, 24, nil, func(s *Session) { s.Notice = "Moved the old state file away." })
	h.must("Moved the old state file away.")
	h.toPreflight()
	h.keys("esc")
	h.at(scrConnect)
	h.mustNot("Moved the old state file", "the notice is said once")
}

// The target's indices.recovery.max_bytes_per_sec that the operator confirmed when the migration started is
// recorded in the state: the wizard's resume asks nothing more, and the run goes on with the plan's value (the
// engine takes the record as the confirmation).
func TestAResumeTakesTheTargetSettingConfirmedWhenTheMigrationStarted(t *testing.T) {
	be := &fakeBackend{}
	st := sampleState("esmigrate-state.json", false)
	st.Plan.Restore.TargetRecoveryMaxBytesPerSec = "380mb"
	st.TargetSettings = []steps.SettingChange{{Name: steps.RecoverySetting, New: "380mb", Confirmed: true}}
	h := newHarnessWith(t, "en", 100, 30, be, withState(st, steps.Credentials{}))
	h.keys("r")
	h.at(scrReport)
	if be.ran != 1 || be.runPlan.Restore.TargetRecoveryMaxBytesPerSec != "380mb" {
		t.Fatalf("run %d times with the target's throttle %q, want once with the confirmed 380mb", be.ran, be.runPlan.Restore.TargetRecoveryMaxBytesPerSec)
	}
}

// A state that holds no confirmation of the plan's target setting (written before the engine recorded one): the
// resume asks for the target cluster's name first; a wrong word says so and resumes nothing; the name resumes
// with the run allowed to change the setting.
func TestAResumeWithoutARecordedConfirmationAsksForTheTargetClustersName(t *testing.T) {
	be := &fakeBackend{}
	st := sampleState("esmigrate-state.json", false)
	st.Plan.Restore.TargetRecoveryMaxBytesPerSec = "380mb"
	h := newHarnessWith(t, "en", 100, 30, be, withState(st, steps.Credentials{}))
	h.keys("r")
	h.at(scrResume)
	h.mustWrapped(`type the target cluster's name "target-cluster" to confirm it and resume`)
	h.mustWrapped("sets the target's indices.recovery.max_bytes_per_sec to 380mb")
	h.typeText("target")
	h.keys("enter")
	h.at(scrResume)
	h.mustWrapped(`"target" is not the target cluster's name (target-cluster): the migration was not resumed`)
	if be.ran != 0 {
		t.Fatal("a wrong word resumed the migration")
	}
	h.keys("r")
	h.typeText("target-cluster")
	h.keys("esc")
	h.at(scrResume)
	if be.ran != 0 || h.s.TargetConfirmed {
		t.Fatal("esc resumed the migration or confirmed the target's setting")
	}
	h.keys("r")
	h.typeText("target-cluster")
	h.keys("enter")
	h.at(scrReport)
	if be.ran != 1 || !be.runOpts.AllowTargetSettings || be.runPlan.Restore.TargetRecoveryMaxBytesPerSec != "380mb" {
		t.Fatalf("run %d times, allowed %v, target's throttle %q: want once, allowed, 380mb", be.ran, be.runOpts.AllowTargetSettings,
			be.runPlan.Restore.TargetRecoveryMaxBytesPerSec)
	}
}
