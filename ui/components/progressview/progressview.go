// Package progressview is the run's progress as the run screen draws it: the overall bar with the time left,
// every batch's phases, the current phase's bar and a bar per index. Every figure comes from the engine's one
// estimator (steps.Estimate on each event): the view computes no progress of its own.
package progressview

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/progress"
	"charm.land/lipgloss/v2"

	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/common"
)

// Phase states of a batch.
const (
	stRun  = "run"
	stDone = "done"
	stFail = "fail"
)

// Model is the progress of one run.
type Model struct {
	shared   bool
	batches  int
	batch    int                    // current batch
	phase    steps.Phase            // current phase
	phaseSt  map[string]string      // "batch/phase" → run, done, fail
	reindex  map[int]bool           // batches that go by _reindex from remote (their events say so)
	phaseEv  map[string]steps.Event // last event of a (batch, phase) about the whole phase
	indexEv  map[string]steps.Event // last event of an index in the current (batch, phase)
	indexOrd []string
	est      *steps.Estimate // the latest estimate and when it was made
	estAt    time.Time
	bar      progress.Model
}

// New is the progress of a run (shared storage: no copy phase).
func New(c *common.Common, shared bool, batches int) *Model {
	m := &Model{shared: shared, batches: batches, phaseSt: map[string]string{}, phaseEv: map[string]steps.Event{}, indexEv: map[string]steps.Event{},
		reindex: map[int]bool{}}
	m.bar = progress.New(progress.WithFillCharacters(c.Glyphs.BarFull, c.Glyphs.BarEmpty), progress.WithColors(lipgloss.Color("6")))
	m.bar.EmptyColor = lipgloss.Color("8")
	m.bar.ShowPercentage = true
	return m
}

func key2(batch int, phase steps.Phase) string { return fmt.Sprintf("%d/%s", batch, phase) }

// Seed shows what a resumed migration had done before: its finished batches and phases.
func (m *Model) Seed(st *steps.State) {
	order := map[steps.Phase]int{}
	for i, p := range steps.BatchPhases {
		order[p] = i
	}
	m.batches = len(st.Batches)
	for _, b := range st.Batches {
		if b.Reindex {
			m.reindex[b.Number] = true
			if b.Done {
				m.phaseSt[key2(b.Number, steps.PhaseReindex)] = stDone
			}
			if !b.Done && m.batch == 0 {
				m.batch = b.Number
			}
			continue
		}
		for _, p := range m.Phases() {
			if b.Done || order[p] < order[b.Phase] {
				m.phaseSt[key2(b.Number, p)] = stDone
			}
		}
		if !b.Done && m.batch == 0 {
			m.batch = b.Number
		}
	}
}

// Phases are the phases shown for a batch (no copy with shared storage).
func (m *Model) Phases() []steps.Phase {
	if m.shared {
		return []steps.Phase{steps.PhaseSnapshot, steps.PhaseRestore, steps.PhaseVerify}
	}
	return []steps.Phase{steps.PhaseSnapshot, steps.PhaseTransfer, steps.PhaseRestore, steps.PhaseVerify}
}

// PhasesOf are the phases shown for batch b: a batch that goes by _reindex from remote has its reindex, and the
// content verification of its indices once that starts (the plan asked for it).
func (m *Model) PhasesOf(b int) []steps.Phase {
	if !m.reindex[b] {
		return m.Phases()
	}
	if m.phaseSt[key2(b, steps.PhaseVerify)] != "" {
		return []steps.Phase{steps.PhaseReindex, steps.PhaseVerify}
	}
	return []steps.Phase{steps.PhaseReindex}
}

// Batch is the current batch (0 before the first).
func (m *Model) Batch() int { return m.batch }

// Indices are the indices with a bar in the current phase, in the order they appeared.
func (m *Model) Indices() []string { return m.indexOrd }

// Apply takes one event of the run.
func (m *Model) Apply(e steps.Event) {
	if e.Estimate != nil {
		m.est, m.estAt = e.Estimate, e.Time
	}
	if e.Batches > 0 {
		m.batches = e.Batches
	}
	newBatch := e.Batch > 0 && e.Batch != m.batch
	if e.Batch > 0 {
		m.batch = e.Batch
	}
	if !slices.Contains(steps.BatchPhases, e.Phase) && e.Phase != steps.PhaseReindex || e.Batch == 0 {
		return
	}
	if e.Phase == steps.PhaseReindex {
		m.reindex[e.Batch] = true
	}
	k := key2(e.Batch, e.Phase)
	if m.phase != e.Phase || newBatch {
		m.indexEv, m.indexOrd = map[string]steps.Event{}, nil
	}
	m.phase = e.Phase
	switch e.Kind {
	case steps.KindStart:
		if e.Index == "" {
			m.phaseSt[k] = stRun
			if m.reindex[e.Batch] && e.Phase == steps.PhaseVerify {
				// the reindexed indices' content is verified once they are all through (steps.reindexContent)
				m.phaseSt[key2(e.Batch, steps.PhaseReindex)] = stDone
			}
		}
	case steps.KindDone:
		if e.Index == "" {
			m.phaseSt[k] = stDone
			m.phaseEv[k] = e
		}
	case steps.KindError:
		m.phaseSt[k] = stFail
	case steps.KindProgress:
		if e.Index == "" {
			m.phaseEv[k] = e
			if m.phaseSt[k] == "" {
				m.phaseSt[k] = stRun
			}
		}
	}
	if e.Index != "" && (e.Kind == steps.KindProgress || e.Kind == steps.KindDone) {
		if _, seen := m.indexEv[e.Index]; !seen {
			m.indexOrd = append(m.indexOrd, e.Index)
		}
		m.indexEv[e.Index] = e
	}
}

// Overall is how far the whole run is and the time it still needs at now (the estimate's, less the time since
// it was made); known is false before the first estimate, eta 0 while it is not known yet.
func (m *Model) Overall(now time.Time) (fraction float64, eta time.Duration, known bool) {
	if m.est == nil {
		return 0, 0, false
	}
	eta = m.est.ETA
	if eta > 0 {
		eta = max(eta-now.Sub(m.estAt), time.Second)
	}
	return m.est.Fraction(), eta, true
}

// fraction is how far an event's subject is.
func fraction(e steps.Event) float64 { return e.Fraction() }

// Layout: every bar line is label, bar, figures; the label and the figures have the same widths on every line,
// so that every bar has the same length.
const figuresW = 30

func labelW(w int) int { return min(24, max(w/4, 10)) }

func (m *Model) barLine(c *common.Common, label string, f float64, right string, w int) string {
	lw := labelW(w)
	m.bar.SetWidth(max(w-lw-figuresW-2, 10))
	return common.Fit(label, lw, c.Glyphs.Ellipsis) + " " + m.bar.ViewAs(f) + " " + common.Fit(right, figuresW, c.Glyphs.Ellipsis)
}

// counts are an event's figures: bytes (or documents read, or shards, or files) and the speed.
func counts(c *common.Common, e steps.Event) string {
	var parts []string
	switch {
	case e.Total.Bytes > 0:
		parts = append(parts, steps.HumanBytes(e.Done.Bytes)+"/"+steps.HumanBytes(e.Total.Bytes))
	case e.Total.Docs > 0:
		parts = append(parts, c.T("run.docs", common.HumanCount(e.Done.Docs), common.HumanCount(e.Total.Docs)))
	case e.Total.Shards > 0:
		parts = append(parts, c.T("run.shards", e.Done.Shards, e.Total.Shards))
	case e.Total.Files > 0:
		parts = append(parts, c.T("run.files", e.Done.Files, e.Total.Files))
	}
	if e.Rate > 0 && e.Kind == steps.KindProgress {
		parts = append(parts, steps.HumanBytes(int64(e.Rate))+"/s")
	}
	if e.DocRate > 0 && e.Kind == steps.KindProgress {
		parts = append(parts, c.T("run.docrate", common.HumanCount(int64(e.DocRate))))
	}
	return strings.Join(parts, " ")
}

// Render is the progress in at most h lines of width w at now (elapsed: since the run started; running: the
// time left is shown only while it runs).
func (m *Model) Render(c *common.Common, w, h int, now time.Time, elapsed time.Duration, running bool) []string {
	st, g := c.Styles, c.Glyphs
	var lines []string
	f, eta, _ := m.Overall(now)
	right := c.T("run.elapsed", common.Duration(elapsed))
	if running && eta > 0 {
		right += " " + c.T("run.eta", common.Duration(eta))
	}
	lines = append(lines, m.barLine(c, st.Bold.Render(c.T("run.overall")), f, right, w))
	if m.batch == 0 {
		return lines
	}
	// Every batch's phases when there is room (a window around the current one), else the current one.
	first, last := m.batch, m.batch
	if room := h/4 - 1; room > 1 && m.batches > 1 {
		first = max(1, m.batch-room/2)
		last = min(m.batches, first+room-1)
		first = max(1, last-room+1)
	}
	for b := first; b <= last; b++ {
		lines = append(lines, common.Fit(m.batchLine(c, b), w, g.Ellipsis))
	}
	if m.phase == "" || !slices.Contains(m.PhasesOf(m.batch), m.phase) {
		return lines
	}
	k := key2(m.batch, m.phase)
	ev := m.phaseEv[k]
	pf := fraction(ev)
	if m.phaseSt[k] == stDone {
		pf = 1
	}
	lines = append(lines, m.barLine(c, c.T("run.phase."+string(m.phase)), pf, counts(c, ev), w))
	names := append([]string(nil), m.indexOrd...)
	sort.Strings(names)
	room := max(h-len(lines), 0)
	for i, n := range names {
		if i >= room-1 && len(names) > room {
			lines = append(lines, st.Subtle.Render(fmt.Sprintf("  %s +%d", g.Ellipsis, len(names)-i)))
			break
		}
		if i >= room {
			break
		}
		ie := m.indexEv[n]
		lines = append(lines, m.barLine(c, "  "+c.ASCII(n), fraction(ie), counts(c, ie), w))
	}
	return lines
}

// batchLine is one batch's phases: done, running, failed or still to come.
func (m *Model) batchLine(c *common.Common, b int) string {
	st, g := c.Styles, c.Glyphs
	label := c.T("run.batch", b, m.batches)
	if b == m.batch {
		label = st.Bold.Render(label)
	} else {
		label = st.Subtle.Render(label)
	}
	parts := []string{label}
	for _, p := range m.PhasesOf(b) {
		name := c.T("run.phase." + string(p))
		switch m.phaseSt[key2(b, p)] {
		case stDone:
			parts = append(parts, st.OK.Render(g.OK+" "+name))
		case stRun:
			parts = append(parts, st.Bold.Render(g.Run+" "+name))
		case stFail:
			parts = append(parts, st.Error.Render(g.Fail+" "+name))
		default:
			parts = append(parts, st.Subtle.Render(g.Pending+" "+name))
		}
	}
	return strings.Join(parts, "  ")
}
