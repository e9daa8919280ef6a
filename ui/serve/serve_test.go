package serve

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui"
	"github.com/esmigrate/esmigrate/ui/common"
)

// The hub and the sessions' models without SSH (serve_integration_test.go in package ui has the real OpenSSH
// clients): the wizard runs in its own program as in the server; each session's model is fed the hub's views
// as its program would be, and what it shows is read from its rendered screen.

// fakeEngine is the engine of a run that the test releases; nothing else of the engine is asked for.
type fakeEngine struct {
	ui.Backend // nil: any other call fails the test by panicking
	events     []steps.Event
	started    chan struct{}
	release    chan struct{}
}

func newFakeEngine(events ...steps.Event) *fakeEngine {
	return &fakeEngine{events: events, started: make(chan struct{}), release: make(chan struct{})}
}

func (f *fakeEngine) Run(ctx context.Context, p steps.Plan, _ steps.Credentials, _ ui.RunOptions, _ *steps.PauseGate, on func(steps.Event)) (*steps.Report, error) {
	for _, e := range f.events {
		e.Batches = 2
		on(e)
	}
	close(f.started)
	select {
	case <-f.release:
	case <-ctx.Done():
		return nil, &steps.StoppedError{Phase: steps.PhaseRestore, Batch: 2, StatePath: p.StateFile}
	}
	on(steps.Event{Kind: steps.KindDone, Phase: steps.PhaseVerify, Batch: 2, Batches: 2})
	return &steps.Report{Batches: 2, Finished: true, Verified: 3, Markdown: "/reports/esmigrate-report-1.md"}, nil
}

// sampleState is an unfinished migration (batch 2 of 2 restoring), as a restarted server finds it.
func sampleState(t *testing.T, sourceURL string) *steps.State {
	dir := t.TempDir()
	p := steps.DefaultPlan()
	p.Source.URL, p.Target.URL = sourceURL, "http://127.0.0.1:9"
	p.Source.Username = "elastic"
	p.Indices = []string{"logs-*"}
	p.Repository.SourceLocation, p.Repository.TargetLocation = "/data/source-repo/esm", "/data/target-repo/esm"
	p.StateFile, p.ReportDir = filepath.Join(dir, "state.json"), dir
	ix := func(name string) steps.IndexState {
		return steps.IndexState{Name: name, Target: name, PrimaryBytes: 4 << 20, Primaries: 1, Result: steps.ResultPending}
	}
	st := &steps.State{Version: 1, PlanHash: p.Hash(), Plan: p, Created: time.Now(), Updated: time.Now(),
		Batches: []steps.BatchState{
			{Number: 1, Snapshot: "esmigrate-1", Done: true, Indices: []steps.IndexState{ix("logs-1")}},
			{Number: 2, Snapshot: "esmigrate-2", Phase: steps.PhaseRestore, SnapshotStarted: true, RestoreStarted: true,
				Indices: []steps.IndexState{ix("logs-2"), ix("logs-3")}},
		}}
	store, err := steps.OpenStore(p.StateFile)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Save(st); err != nil {
		t.Fatal(err)
	}
	return st
}

func startHub(t *testing.T, o HubOptions) *Hub {
	t.Helper()
	if o.Wizard.Lang == "" {
		o.Wizard.Lang = "en"
	}
	if o.Pause == nil {
		o.Pause = steps.NewPauseGate(false)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := NewHub(ctx, o)
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("the hub did not stop")
		}
	})
	return h
}

// session is one attached session's model, refreshed by hand from the hub's views.
type session struct {
	t *testing.T
	h *Hub
	m *sessionModel
}

func attachAs(t *testing.T, h *Hub, name string, operator bool) *session {
	t.Helper()
	id := h.Attach(Identity{Name: name, Fingerprint: "SHA256:" + name, Operator: operator}, 100, 30)
	c := common.New(context.Background(), common.Options{Lang: "en", UTF8: true, Color: false})
	c.Width, c.Height = 100, 30
	s := &session{t: t, h: h, m: newSessionModel(context.Background(), h, id, c)}
	s.refresh()
	return s
}

// refresh applies the hub's current view, as the session's program does when the hub says something changed.
func (s *session) refresh() tea.Cmd {
	_, cmd := s.m.Update(viewMsg{s.h.view(s.m.id, s.m.v.Cursor)})
	return cmd
}

// screen is what the session's terminal shows, without its styles.
func (s *session) screen() string { return ansi.Strip(s.m.Render()) }

// waitFor refreshes until the screen shows want.
func (s *session) waitFor(want string) string {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.refresh()
		scr := s.screen()
		if strings.Contains(scr, want) {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the session never showed %q:\n%s", want, scr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *session) key(k tea.KeyPressMsg) { s.m.Update(k) }

func press(r rune) tea.KeyPressMsg { return tea.KeyPressMsg{Code: r, Text: string(r)} }

var (
	enter = tea.KeyPressMsg{Code: tea.KeyEnter}
	ctrlC = tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	ctrlT = tea.KeyPressMsg{Code: 't', Mod: tea.ModCtrl}
)

func TestAnOperatorDrivesAndAViewerWaitsWithWhatWasChosen(t *testing.T) {
	p := steps.DefaultPlan()
	p.Source.URL, p.Target.URL = "http://10.0.0.1:9200", "http://10.0.0.2:9200"
	p.Indices = []string{"logs-2026.11.*"}
	p.StateFile = filepath.Join(t.TempDir(), "state.json")
	h := startHub(t, HubOptions{Wizard: ui.Options{Plan: p}, Engine: newFakeEngine()})
	op := attachAs(t, h, "alice@laptop", true)
	viewer := attachAs(t, h, "bob@desk", false)

	op.waitFor("URL of a node") // the wizard's connection form: alice drives
	scr := viewer.waitFor("Waiting for the operator")
	for _, want := range []string{"alice@laptop drives the wizard, at step 1 of 8 (Connect)", "http://10.0.0.1:9200", "http://10.0.0.2:9200",
		"patterns logs-2026.11.*", "bob@desk, watching read-only; alice@laptop drives"} {
		if !strings.Contains(scr, want) {
			t.Errorf("the viewer's waiting screen lacks %q:\n%s", want, scr)
		}
	}
}

// A viewer's keys that would act (enter, y, x, p, a, ctrl+t...) are refused with why, and never reach the
// wizard: the operator's screen does not change.
func TestAViewersConfirmationKeysAreRefused(t *testing.T) {
	p := steps.DefaultPlan()
	p.Source.URL, p.Target.URL = "http://10.0.0.1:9200", "http://10.0.0.2:9200"
	p.StateFile = filepath.Join(t.TempDir(), "state.json")
	h := startHub(t, HubOptions{Wizard: ui.Options{Plan: p}, Engine: newFakeEngine()})
	op := attachAs(t, h, "alice", true)
	viewer := attachAs(t, h, "bob", false)
	op.waitFor("URL of a node")
	before := op.waitFor("ctrl+t test connection • f1 more keys") // drawn at the operator's width (100 columns), not the first 80
	for _, k := range []tea.KeyPressMsg{enter, press('y'), press('x'), press('p'), press('a'), press('t'), ctrlT} {
		viewer.key(k)
		if scr := viewer.screen(); !strings.Contains(scr, "Read-only: you watch as bob. Only a key of the operators file can start, pause, confirm or clean up.") {
			t.Errorf("%s: the viewer was not told why:\n%s", k, scr)
		}
		if h.Key(viewer.m.id, k) {
			t.Errorf("%s: the hub takes a key from a session that does not drive", k)
		}
	}
	time.Sleep(200 * time.Millisecond)
	op.refresh()
	if op.screen() != before {
		t.Errorf("the operator's screen changed after the viewer's keys:\n%s\nbefore:\n%s", op.screen(), before)
	}
	if h.TakeOver(viewer.m.id) {
		t.Error("a viewer took over")
	}
}

func TestASecondOperatorTakesOverAndTheFirstIsTold(t *testing.T) {
	p := steps.DefaultPlan()
	p.StateFile = filepath.Join(t.TempDir(), "state.json")
	h := startHub(t, HubOptions{Wizard: ui.Options{Plan: p}, Engine: newFakeEngine()})
	first := attachAs(t, h, "alice", true)
	second := attachAs(t, h, "carol", true)
	first.waitFor("URL of a node")
	second.waitFor("operator carol, watching; alice drives (t: take over)")
	second.key(enter) // an operator who does not drive is told to take over first
	if !strings.Contains(second.screen(), "alice drives: press t to take over before you act.") {
		t.Errorf("an operator who does not drive was not told:\n%s", second.screen())
	}
	second.key(press('t'))
	second.waitFor("Take over from alice?")
	second.key(press('y'))
	second.waitFor("URL of a node")
	scr := first.waitFor("carol took over the wizard at")
	if !strings.Contains(scr, "operator alice, watching; carol drives") {
		t.Errorf("the first operator does not watch now:\n%s", scr)
	}
}

// The driver leaves (ctrl+c, y): its session ends, the wizard stays where it was, and the next operator who
// attaches drives it from there.
func TestTheDriverLeavesAndTheWizardWaitsForTheNext(t *testing.T) {
	p := steps.DefaultPlan()
	p.StateFile = filepath.Join(t.TempDir(), "state.json")
	h := startHub(t, HubOptions{Wizard: ui.Options{Plan: p}, Engine: newFakeEngine()})
	op := attachAs(t, h, "alice", true)
	op.waitFor("URL of a node")
	op.key(ctrlC)
	op.waitFor("Leave? The wizard and the migration stay in esmigrate serve")
	op.key(press('y'))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if cmd := op.refresh(); cmd != nil {
			if _, ok := cmd().(tea.QuitMsg); ok {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the driver's session did not end:\n%s", op.screen())
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.Detach(op.m.id)
	next := attachAs(t, h, "dave", true)
	next.waitFor("URL of a node")
}

// Restarted on the state file of an unfinished migration, the server goes on with it at once; a viewer that
// attaches while it runs sees its progress and its log, and no credential: neither the password in the
// source's URL nor the password the operator gave, though the engine's events held both (the operator's
// screen shows them: they were there to leak). Then it sees the migration finish.
func TestALateViewerSeesTheRunWithoutAnyCredential(t *testing.T) {
	const urlSecret, pwSecret = "S3cret-in-url", "pw-Secret-2"
	st := sampleState(t, "http://elastic:"+urlSecret+"@127.0.0.1:9")
	basic := base64.StdEncoding.EncodeToString([]byte("elastic:" + pwSecret))
	eng := newFakeEngine(
		steps.Event{Kind: steps.KindLog, Phase: steps.PhasePlan, Message: "resuming at " + st.Plan.Source.URL},
		steps.Event{Kind: steps.KindStart, Phase: steps.PhaseRestore, Batch: 2},
		steps.Event{Kind: steps.KindRequest, Phase: steps.PhaseRestore, Batch: 2, Message: "restore with " + pwSecret,
			Curl: "curl -H 'Authorization: Basic " + basic + "' http://127.0.0.1:9/_snapshot/esmigrate/esmigrate-2/_restore"},
		steps.Event{Kind: steps.KindProgress, Phase: steps.PhaseRestore, Batch: 2, Index: "logs-2", Done: steps.Counts{Bytes: 1 << 20}, Total: steps.Counts{Bytes: 4 << 20}},
		steps.Event{Kind: steps.KindProgress, Phase: steps.PhaseRestore, Batch: 2, Index: "logs-2", Done: steps.Counts{Bytes: 3 << 20}, Total: steps.Counts{Bytes: 4 << 20}},
		steps.Event{Kind: steps.KindProgress, Phase: steps.PhaseRestore, Batch: 2, Done: steps.Counts{Bytes: 3 << 20}, Total: steps.Counts{Bytes: 8 << 20}},
	)
	h := startHub(t, HubOptions{Wizard: ui.Options{Plan: st.Plan, Credentials: steps.Credentials{SourcePassword: pwSecret}}, Engine: eng})
	select {
	case <-eng.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not go on with the migration of its state file")
	}
	op := attachAs(t, h, "alice", true)
	opScr := op.waitFor(pwSecret)
	if !strings.Contains(opScr, urlSecret) {
		t.Fatalf("the operator's run screen does not show the URL's password: the test would prove nothing:\n%s", opScr)
	}
	viewer := attachAs(t, h, "bob", false)
	scr := viewer.waitFor("logs-2")
	for _, want := range []string{"Batch 2/2", "restore", "3.0mb/4.0mb", "resuming at http://elastic:***@127.0.0.1:9"} {
		if !strings.Contains(scr, want) {
			t.Errorf("the late viewer's screen lacks %q:\n%s", want, scr)
		}
	}
	close(eng.release)
	scr = viewer.waitFor("Finished: 3 verified, 0 mismatched, 0 failed, 0 pending.")
	for _, s := range []string{urlSecret, pwSecret, basic} {
		if strings.Contains(scr, s) {
			t.Errorf("the viewer was shown a credential %q:\n%s", s, scr)
		}
	}
	viewer.m.logOff = 0
	for _, l := range viewer.m.log {
		for _, s := range []string{urlSecret, pwSecret, basic} {
			if strings.Contains(l, s) {
				t.Errorf("a log line of the viewer holds a credential: %s", l)
			}
		}
	}
}

// p on the run screen pauses the migration; the pause is written down next to the state file, so that a
// restarted server starts paused; p again resumes and removes it.
func TestThePauseKeyTurnsTheGateAndIsRememberedAcrossRestarts(t *testing.T) {
	st := sampleState(t, "http://127.0.0.1:8")
	file := PauseFileFor(st.Plan.StateFile)
	gate, err := pauseGate(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	eng := newFakeEngine(steps.Event{Kind: steps.KindStart, Phase: steps.PhaseRestore, Batch: 2})
	h := startHub(t, HubOptions{Wizard: ui.Options{Plan: st.Plan, Credentials: steps.Credentials{SourcePassword: "x"}}, Engine: eng, Pause: gate})
	select {
	case <-eng.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not go on with the migration of its state file")
	}
	op := attachAs(t, h, "alice", true)
	op.waitFor("p pause the migration")
	op.key(press('p'))
	deadline := time.Now().Add(5 * time.Second)
	for !gate.Paused() {
		if time.Now().After(deadline) {
			t.Fatal("p did not pause the migration")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("the pause was not written down: %v", err)
	}
	if again, _ := pauseGate(file, nil); !again.Paused() {
		t.Error("a server started again would not be paused")
	}
	op.waitFor("p resume the migration")
	op.key(press('p'))
	for gate.Paused() {
		if time.Now().After(deadline) {
			t.Fatal("p did not resume the migration")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("the pause file is still there after resuming: %v", err)
	}
	close(eng.release)
}

// What the wizard copies (its c key: OSC 52) goes to the terminal of the session that drives, not to a viewer's.
func TestTheWizardsCopyReachesTheDriversTerminal(t *testing.T) {
	p := steps.DefaultPlan()
	p.StateFile = filepath.Join(t.TempDir(), "state.json")
	h := startHub(t, HubOptions{Wizard: ui.Options{Plan: p}, Engine: newFakeEngine()})
	op := attachAs(t, h, "alice", true)
	viewer := attachAs(t, h, "bob", false)
	op.waitFor("URL of a node")
	h.prog.Send(ui.ClipboardMsg{Text: "curl -X PUT ..."})
	deadline := time.Now().Add(10 * time.Second)
	for {
		v := h.view(op.m.id, op.m.v.Cursor)
		if v.Copy == "curl -X PUT ..." {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the copy never reached the driver's session")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if v := h.view(viewer.m.id, 0); v.Copy != "" {
		t.Errorf("a viewer's terminal got the copy %q", v.Copy)
	}
}
