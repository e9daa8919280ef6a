package ui

import (
	"slices"
	"testing"

	"github.com/esmigrate/esmigrate/steps"
)

// The per-index bars are those of the current batch and phase: a new batch starts them afresh even when its
// first event is progress in the phase the last batch was in (a resumed run).
func TestRunIndexBarsFollowTheBatch(t *testing.T) {
	m := newRun(NewCommon(nil, "en", true), &Session{Plan: steps.DefaultPlan()}, &fakeBackend{})
	m.phaseSt, m.phaseEv, m.indexEv = map[string]string{}, map[string]steps.Event{}, map[string]steps.Event{}
	progress := func(batch int, index string) steps.Event {
		return steps.Event{Kind: steps.KindProgress, Phase: steps.PhaseRestore, Batch: batch, Batches: 2, Index: index,
			Done: steps.Counts{Bytes: 1}, Total: steps.Counts{Bytes: 2}}
	}
	m.apply(progress(1, "a"))
	m.apply(progress(1, "b"))
	if !slices.Equal(m.indexOrd, []string{"a", "b"}) {
		t.Fatalf("batch 1 shows %v", m.indexOrd)
	}
	m.apply(progress(2, "c"))
	if !slices.Equal(m.indexOrd, []string{"c"}) || m.batch != 2 {
		t.Fatalf("batch %d shows %v, want only batch 2's index", m.batch, m.indexOrd)
	}
}
