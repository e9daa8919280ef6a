package steps

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/i18n"
)

// liveEngine is an engine on a state with one finished batch that moved 100 MB through snapshot, copy and
// restore in 10 s (10 MB/s), its snapshot started at t0.
func liveEngine(t0 time.Time) *Engine {
	e := &Engine{plan: DefaultPlan(), state: &State{Live: &LiveState{}}}
	e.state.Batches = []BatchState{{Number: 1, Done: true, Snapshot: "s-1",
		Indices: []IndexState{{Name: "a", Target: "a", PrimaryBytes: 100 << 20, Result: ResultChanged}},
		Times: map[Phase]PhaseTime{
			PhaseSnapshot: {Start: t0, End: t0.Add(4 * time.Second)},
			PhaseTransfer: {Start: t0.Add(4 * time.Second), End: t0.Add(7 * time.Second)},
			PhaseRestore:  {Start: t0.Add(7 * time.Second), End: t0.Add(10 * time.Second)},
		}}}
	return e
}

// The next round's estimate comes from the round's own figures: the new bytes its snapshot wrote, at the pace
// they accumulated since the snapshot before (the batch's), over the time since the round's snapshot began, at
// the first pass's pace; plus the part of the round's time that its bytes do not explain.
func TestTheNextRoundIsEstimatedFromTheSnapshotsNewBytes(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	e := liveEngine(t0)
	// Round 1 starts 100 s after the batch's snapshot, its snapshot wrote 10 MB (1 s at 10 MB/s), it took 5 s:
	// 4 s do not depend on its bytes.
	start := t0.Add(100 * time.Second)
	rs := RoundState{Number: 1, Started: start, Ended: start.Add(5 * time.Second), SnapshotBytes: 10 << 20,
		Changed: []ChangedIndex{{Name: "a"}},
		Batch:   BatchState{Times: map[Phase]PhaseTime{PhaseSnapshot: {Start: start, End: start.Add(time.Second)}}}}
	e.state.Live.Rounds = []RoundState{rs}
	// At its end: 10 MB came in 100 s; in the 5 s since its snapshot began, 0.5 MB: 0.05 s to move, plus 4 s.
	if got, want := e.nextRoundEstimate(&e.state.Live.Rounds[0], rs.Ended), 4050*time.Millisecond; absDiff(got, want) > 5*time.Millisecond {
		t.Errorf("estimate at the round's end: %s, want %s", got, want)
	}
	// 95 s later, 10 MB more have come in: the estimate grows with the time since the round's snapshot.
	if got, want := e.nextRoundEstimate(&e.state.Live.Rounds[0], start.Add(100*time.Second)), 5*time.Second; absDiff(got, want) > 5*time.Millisecond {
		t.Errorf("estimate 100 s after the round's snapshot: %s, want %s", got, want)
	}
	// The operations count plays no part: a round whose snapshot wrote nothing new is estimated at its fixed
	// part, however many operations it caught up with.
	e.state.Live.Rounds[0].SnapshotBytes = 0
	e.state.Live.Rounds[0].Changed[0].Ops = 1_000_000
	if got := e.nextRoundEstimate(&e.state.Live.Rounds[0], rs.Ended); got != 5*time.Second {
		t.Errorf("a round that wrote nothing new: %s, want its own 5 s", got)
	}
}

func absDiff(a, b time.Duration) time.Duration {
	if a > b {
		return a - b
	}
	return b - a
}

// The rounds are said to stall when the last one took at least 90% of the one before and is followed by an
// estimate as long; a first round never stalls, a round much shorter than the one before does not.
func TestRoundsThatNoLongerGetShorterAreSaidToStall(t *testing.T) {
	r := func(d, next time.Duration) RoundSummary { return RoundSummary{Duration: d, NextEstimate: next} }
	for _, c := range []struct {
		rounds []RoundSummary
		want   bool
	}{
		{[]RoundSummary{r(10*time.Second, 9*time.Second)}, false},
		{[]RoundSummary{r(10*time.Second, 9*time.Second), r(5*time.Second, 3*time.Second)}, false},
		{[]RoundSummary{r(10*time.Second, 9*time.Second), r(9500*time.Millisecond, 9*time.Second)}, true},
		{[]RoundSummary{r(10*time.Second, 9*time.Second), {Final: true, Duration: time.Second}}, false},
	} {
		if got := stalled(c.rounds); got != c.want {
			t.Errorf("%+v: stalled %v, want %v", c.rounds, got, c.want)
		}
	}
}

// The plan's live section is checked like the rest of the plan, each mistake naming its field, and does not
// change the plan's fingerprint (a state file stays valid when the threshold or the aliases change).
func TestTheLiveSectionOfThePlan(t *testing.T) {
	p := DefaultPlan()
	h := p.Hash()
	p.Live = LivePlan{Threshold: Duration{10 * time.Second}, MaxRounds: 3, Aliases: map[string]string{"orders": "orders-v2"}}
	if err := p.Live.validate(); err != nil {
		t.Fatal(err)
	}
	if p.Hash() != h {
		t.Error("the live section changed the plan's fingerprint")
	}
	if p.Live.ThresholdOrDefault() != 10*time.Second || (LivePlan{}).ThresholdOrDefault() != 30*time.Second {
		t.Error("threshold defaults")
	}
	for field, l := range map[string]LivePlan{
		"live.threshold":  {Threshold: Duration{100 * time.Millisecond}},
		"live.max_rounds": {MaxRounds: 1000},
		"live.aliases":    {Aliases: map[string]string{"Orders": "x"}},
	} {
		err := l.validate()
		pe, ok := err.(*PlanError)
		if !ok || pe.Field != field {
			t.Errorf("%+v: %v, want an error naming %s", l, err, field)
		}
	}
}

// Every message key the live procedure says (engine and commands) is in both catalogues.
func TestTheLiveMessagesAreInBothCatalogues(t *testing.T) {
	re := regexp.MustCompile(`"(live\.[a-z0-9.]*[a-z0-9])"`)
	files, _ := filepath.Glob("*.go")
	more, _ := filepath.Glob("../cmd_*.go")
	n := 0
	for _, f := range append(files, more...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			k := m[1]
			if k == "live.threshold" || k == "live.max_rounds" || k == "live.aliases" {
				continue // plan fields, not messages
			}
			n++
			for _, lang := range i18n.Languages {
				if _, ok := i18n.Format(lang, k); !ok {
					t.Errorf("%s: %q is not in the %s catalogue", f, k, lang)
				}
			}
		}
	}
	if n < 50 {
		t.Fatalf("found %d keys: the pattern no longer matches the code", n)
	}
}
