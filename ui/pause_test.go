package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
)

// The run screen's pause: p turns the engine's pause gate; what the screen says of the pause is what the engine
// said (steps/pause.go), in the wizard's language.

func withPause(served bool) func(s *Session) {
	return func(s *Session) {
		s.Pause = steps.NewPauseGate(false)
		s.Served = served
	}
}

func waitGate(t *testing.T, g *steps.PauseGate, paused bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for g.Paused() != paused {
		if time.Now().After(deadline) {
			t.Fatalf("the gate is not paused=%v", paused)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestThePauseKeyPausesAndResumesTheMigration(t *testing.T) {
	h := newHarnessWith(t, "en", 100, 30, &fakeBackend{block: true}, withPause(false))
	h.toReview()
	h.keys("enter", "y")
	h.at(scrRun)
	h.must("p pause the migration")
	h.keys("p")
	waitGate(t, h.s.Pause, true)
	h.must("Pausing…")
	h.must("p resume the migration")
	h.keys("p")
	waitGate(t, h.s.Pause, false)
	h.must("p pause the migration")
	h.mustNot("Pausing…", "the pause was resumed")
}

func TestThePauseSaysWhatTheEngineSaid(t *testing.T) {
	for _, c := range []struct{ lang, pausing, held string }{
		{"en", "Pausing: Elasticsearch cannot pause a running snapshot.", "Paused before the copy of batch 1: nothing of this migration runs now. p: resume."},
		{"zh", "正在暂停：Elasticsearch 无法暂停进行中的快照。", "已暂停，停在第 1 批的复制之前"},
	} {
		pausing := i18n.M("steps.pause.pausing.snapshot", 1)
		held := i18n.M("steps.pause.held.transfer", 1)
		events := []steps.Event{
			{Kind: steps.KindStart, Phase: steps.PhaseSnapshot, Batch: 1},
			{Kind: steps.KindPausing, Phase: steps.PhaseSnapshot, Msg: pausing, Message: pausing.String()},
		}
		h := newHarnessWith(t, c.lang, 100, 30, &fakeBackend{block: true, runEvents: events}, withPause(false))
		h.toReview()
		h.keys("enter", "y")
		h.at(scrRun)
		h.mustWrapped(c.pausing)
		h2 := newHarnessWith(t, c.lang, 100, 30, &fakeBackend{block: true, runEvents: append(events,
			steps.Event{Kind: steps.KindDone, Phase: steps.PhaseSnapshot, Batch: 1},
			steps.Event{Kind: steps.KindPaused, Phase: steps.PhaseTransfer, Msg: held, Message: held.String()})}, withPause(false))
		h2.toReview()
		h2.keys("enter", "y")
		h2.at(scrRun)
		h2.mustWrapped(c.held)
	}
}

// Served (esmigrate serve), q on the run screen leaves the session and never stops the migration: the stop
// dialog does not come, the engine is not cancelled.
func TestServedRunScreenLeavesInsteadOfStopping(t *testing.T) {
	be := &fakeBackend{block: true}
	h := newHarnessWith(t, "en", 100, 30, be, withPause(true))
	h.toReview()
	h.keys("enter", "y")
	h.at(scrRun)
	h.must("q quit")
	h.keys("q")
	h.must("Leave? The wizard and the migration stay in esmigrate serve for the next session. (y/n)")
	h.mustNot("keeps going", "served, q does not offer to stop the migration")
	h.keys("y")
	h.settle()
	if h.m.Err() != nil {
		t.Fatalf("the wizard ended with %v", h.m.Err())
	}
	if strings.Contains(h.screen(), "Stopped") {
		t.Fatalf("the migration was stopped:\n%s", h.screen())
	}
	h.at(scrRun)
}
