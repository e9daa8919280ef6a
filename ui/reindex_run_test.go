package ui

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
)

// reindexRunEvents are a run whose first batch went by snapshot and restore and whose second goes by _reindex
// from remote, half through its first index, each event with the estimate the engine's estimator makes of it
// (the events are what steps emits; the estimate is steps' own, not the test's).
func reindexRunEvents() []steps.Event {
	st := &steps.State{Plan: steps.DefaultPlan(), Batches: []steps.BatchState{
		{Number: 1, Phase: steps.PhaseSnapshot, Indices: []steps.IndexState{{Name: "logs-2026.11.02", PrimaryBytes: 7 << 20}}},
		{Number: 2, Phase: steps.PhaseReindex, Reindex: true, Indices: []steps.IndexState{
			{Name: "articles", PrimaryBytes: 1536 << 10}, {Name: "metrics-small", PrimaryBytes: 96 << 10}}},
	}}
	est := steps.NewEstimator(st, true, steps.Hints{})
	at := fixedTime
	var out []steps.Event
	add := func(e steps.Event) {
		at = at.Add(time.Second)
		e.Time, e.Batches = at, 2
		est.Observe(e)
		e.Estimate = est.Estimate(at, e)
		out = append(out, e)
	}
	for _, p := range []steps.Phase{steps.PhaseSnapshot, steps.PhaseRestore, steps.PhaseVerify, steps.PhaseCleanup} {
		add(steps.Event{Kind: steps.KindStart, Phase: p, Batch: 1})
		add(steps.Event{Kind: steps.KindDone, Phase: p, Batch: 1})
	}
	add(steps.Event{Kind: steps.KindStart, Phase: steps.PhaseReindex, Batch: 2})
	add(steps.Event{Kind: steps.KindStart, Phase: steps.PhaseReindex, Batch: 2, Index: "articles", Msg: i18n.M("rx.start", "articles", "articles")})
	for _, done := range []int64{500, 1500} {
		add(steps.Event{Kind: steps.KindProgress, Phase: steps.PhaseReindex, Batch: 2, Index: "articles",
			Done: steps.Counts{Docs: done}, Total: steps.Counts{Docs: 3000}})
		add(steps.Event{Kind: steps.KindProgress, Phase: steps.PhaseReindex, Batch: 2,
			Done: steps.Counts{Bytes: int64(1536<<10) * done / 3000, Docs: done}, Total: steps.Counts{Bytes: 1632 << 10}, DocRate: 1000})
	}
	return out
}

// The run screen shows the reindex phase like the others: the batch's line names it as running, the phase has
// its bar (bytes as far as the documents, and the documents' rate), the index its bar with its documents, and
// the overall bar moved with it. The screen draws the events; it computes nothing.
func TestTheRunScreenShowsTheReindexPhasesProgress(t *testing.T) {
	be := &fakeBackend{block: true, runEvents: reindexRunEvents()}
	h := newHarness(t, "en", 100, 30, be)
	h.toReview()
	h.keys("enter", "y")
	h.at(scrRun)
	h.must("Batch 2/2")
	h.must("● reindex")
	screen := h.screen()
	if !regexp.MustCompile(`Batch 1/2 +✓ snapshot .*✓ restore +✓ verify`).MatchString(screen) {
		t.Errorf("batch 1's phases are not all done:\n%s", screen)
	}
	if !regexp.MustCompile(`Batch 2/2 +● reindex *(\n|$)`).MatchString(screen) {
		t.Errorf("batch 2 should show its reindex running, and no snapshot or restore:\n%s", screen)
	}
	line := func(prefix string) string {
		for _, l := range strings.Split(screen, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), prefix) {
				return l
			}
		}
		t.Fatalf("no line %q:\n%s", prefix, screen)
		return ""
	}
	// The phase: half of articles' bytes of the batch's 1.6mb; the index: 1,500 of 3,000 documents, 50%.
	if l := line("reindex"); !strings.Contains(l, "768.0kb/1.6mb") || !strings.Contains(l, "1,000 docs/s") || !strings.Contains(l, "47%") {
		t.Errorf("the reindex phase's bar: %q", l)
	}
	if l := line("articles"); !strings.Contains(l, "1,500/3,000 docs") || !strings.Contains(l, "50%") {
		t.Errorf("the index's bar: %q", l)
	}
	if l := line("Overall"); strings.Contains(l, " 0%") {
		t.Errorf("the overall bar did not move with the reindex: %q", l)
	}
	h.keys("q", "y")
	h.settle()
}
