package progressview

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/common"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func newCommon(lang string) *common.Common {
	return common.New(context.Background(), common.Options{Lang: lang, UTF8: true, Color: true})
}

// The per-index bars are those of the current batch and phase: a new batch starts them afresh even when its
// first event is progress in the phase the last batch was in (a resumed run).
func TestIndexBarsFollowTheBatch(t *testing.T) {
	m := New(newCommon("en"), false, 2)
	progress := func(batch int, index string) steps.Event {
		return steps.Event{Kind: steps.KindProgress, Phase: steps.PhaseRestore, Batch: batch, Batches: 2, Index: index,
			Done: steps.Counts{Bytes: 1}, Total: steps.Counts{Bytes: 2}}
	}
	m.Apply(progress(1, "a"))
	m.Apply(progress(1, "b"))
	if !slices.Equal(m.Indices(), []string{"a", "b"}) {
		t.Fatalf("batch 1 shows %v", m.Indices())
	}
	m.Apply(progress(2, "c"))
	if !slices.Equal(m.Indices(), []string{"c"}) || m.Batch() != 2 {
		t.Fatalf("batch %d shows %v, want only batch 2's index", m.Batch(), m.Indices())
	}
}

// The overall bar and the time left are the engine's estimate, counting down between events.
func TestOverallIsTheEnginesEstimate(t *testing.T) {
	m := New(newCommon("en"), false, 1)
	if _, _, known := m.Overall(t0); known {
		t.Fatal("an estimate before any event")
	}
	m.Apply(steps.Event{Time: t0, Kind: steps.KindProgress, Phase: steps.PhaseSnapshot, Batch: 1, Batches: 1,
		Estimate: &steps.Estimate{Done: 30, Total: 120, ETA: time.Minute}})
	f, eta, _ := m.Overall(t0.Add(10 * time.Second))
	if f != 0.25 || eta != 50*time.Second {
		t.Fatalf("overall %.2f, ETA %s: want the estimate's 0.25 and 60s less the 10s since", f, eta)
	}
	out := ansi.Strip(strings.Join(m.Render(newCommon("en"), 80, 20, t0.Add(10*time.Second), time.Minute, true), "\n"))
	if !strings.Contains(out, "25%") || !strings.Contains(out, "ETA 50s") {
		t.Fatalf("render:\n%s", out)
	}
}

// Every bar has the same length, whatever its label and figures, in both languages and at both sizes.
func TestBarsHaveEqualLength(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		for _, w := range []int{80, 120} {
			c := newCommon(lang)
			m := New(c, false, 2)
			est := &steps.Estimate{Done: 1, Total: 3, ETA: 90 * time.Second, Subject: 0.5}
			m.Apply(steps.Event{Time: t0, Kind: steps.KindStart, Phase: steps.PhaseRestore, Batch: 1, Batches: 2})
			m.Apply(steps.Event{Time: t0, Kind: steps.KindProgress, Phase: steps.PhaseRestore, Batch: 1, Batches: 2, Rate: 3 << 20,
				Done: steps.Counts{Bytes: 40 << 20}, Total: steps.Counts{Bytes: 80 << 20}, Estimate: est})
			for _, ix := range []string{"a", "logs-nginx-2026.11.01-with-a-long-name", "中文索引"} {
				m.Apply(steps.Event{Time: t0, Kind: steps.KindProgress, Phase: steps.PhaseRestore, Batch: 1, Batches: 2, Index: ix,
					Done: steps.Counts{Bytes: 1 << 20}, Total: steps.Counts{Bytes: 123456789}, Estimate: est})
			}
			lines := m.Render(c, w, 20, t0, 75*time.Second, true)
			full, empty := string(c.Glyphs.BarFull), string(c.Glyphs.BarEmpty)
			var lengths []int
			for _, l := range lines {
				l = ansi.Strip(l)
				if !strings.Contains(l, full) && !strings.Contains(l, empty) {
					continue
				}
				first := strings.IndexAny(l, full+empty)
				last := strings.LastIndexAny(l, full+empty)
				lengths = append(lengths, ansi.StringWidth(l[first:last+len(empty)]))
				if ansi.StringWidth(l) > w {
					t.Errorf("%s %d: line %d wide: %q", lang, w, ansi.StringWidth(l), l)
				}
			}
			if len(lengths) != 5 {
				t.Fatalf("%s %d: %d bars, want overall, phase and three indices:\n%s", lang, w, len(lengths), ansi.Strip(strings.Join(lines, "\n")))
			}
			for _, n := range lengths[1:] {
				if n != lengths[0] {
					t.Errorf("%s %d: bar lengths %v", lang, w, lengths)
					break
				}
			}
		}
	}
}

// Content verification's progress is in documents, with their rate.
func TestContentVerificationShowsDocumentsReadAndTheirRate(t *testing.T) {
	ev := steps.Event{Kind: steps.KindProgress, Phase: steps.PhaseVerify, Batch: 1, Batches: 1,
		Done: steps.Counts{Docs: 25000}, Total: steps.Counts{Docs: 100000}, DocRate: 12345, Message: "content"}
	if got := counts(newCommon("en"), ev); !strings.Contains(got, "25,000/100,000 docs") || !strings.Contains(got, "12,345 docs/s") {
		t.Errorf("counts %q", got)
	}
}

// A batch that goes by _reindex from remote shows its reindex, and its content verification once that starts;
// never the snapshot, copy and restore it does not have. A resumed run's finished reindex batch shows done.
func TestAReindexBatchShowsItsOwnPhases(t *testing.T) {
	c := newCommon("en")
	m := New(c, false, 2)
	m.Seed(&steps.State{Batches: []steps.BatchState{
		{Number: 1, Done: true, Reindex: true}, {Number: 2, Phase: steps.PhaseReindex, Reindex: true}}})
	ev := func(kind steps.Kind, p steps.Phase) steps.Event {
		return steps.Event{Time: t0, Kind: kind, Phase: p, Batch: 2, Batches: 2}
	}
	m.Apply(ev(steps.KindStart, steps.PhaseReindex))
	out := ansi.Strip(strings.Join(m.Render(c, 100, 20, t0, time.Second, true), "\n"))
	for _, want := range []string{`Batch 1/2  ✓ reindex *\n`, `Batch 2/2  ● reindex *\n`} {
		if !regexp.MustCompile(want).MatchString(out + "\n") {
			t.Errorf("want %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "snapshot") || strings.Contains(out, "restore") {
		t.Errorf("a reindex batch shows phases it does not have:\n%s", out)
	}
	m.Apply(ev(steps.KindStart, steps.PhaseVerify))
	out = ansi.Strip(strings.Join(m.Render(c, 100, 20, t0, time.Second, true), "\n"))
	if !strings.Contains(out, "Batch 2/2  ✓ reindex  ● verify") {
		t.Errorf("the content verification of the reindexed indices:\n%s", out)
	}
}
