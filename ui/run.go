package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/progress"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/esmigrate/esmigrate/steps"
)

// runScreen follows the engine's run: overall, per phase and per index progress, and a log of events.
type runScreen struct {
	screenBase

	seq      int
	running  bool
	stopping bool
	askStop  bool
	cancel   context.CancelFunc
	started  time.Time
	now      time.Time

	batches  int
	batch    int                    // current batch
	phase    steps.Phase            // current phase
	phaseSt  map[string]string      // "batch/phase" → "run" | "done" | "fail"
	phaseEv  map[string]steps.Event // last progress of a (batch, phase)
	indexEv  map[string]steps.Event // last progress of an index in the current (batch, phase)
	indexOrd []string
	log      []string
	logOff   int // lines scrolled up from the bottom

	report *steps.Report
	err    error
	pfErr  *steps.PreflightError
	bar    progress.Model
	keys   struct{ Stop, Yes, No, Next, Accept, Up, Down key.Binding }
}

func newRun(c *Common, s *Session, be Backend) *runScreen {
	m := &runScreen{screenBase: screenBase{c: c, s: s, be: be}}
	m.bar = progress.New(progress.WithFillCharacters(c.Glyphs.BarFull, c.Glyphs.BarEmpty), progress.WithColors(lipgloss.Color("6")))
	m.bar.EmptyColor = lipgloss.Color("8")
	m.keys.Stop = bind(c, "q ctrl+c", "q", "key.stop")
	m.keys.Yes = bind(c, "y", "y", "key.yes")
	m.keys.No = bind(c, "n esc", "n", "key.no")
	m.keys.Next = bind(c, "enter", "enter", "key.next")
	m.keys.Accept = bind(c, "a", "a", "key.accept")
	m.keys.Up = bind(c, "up pgup", "↑/pgup", "key.scroll")
	m.keys.Down = bind(c, "down pgdown", "↓/pgdown", "key.scroll")
	return m
}

// runTickMsg moves the elapsed time on, once a second while the run goes.
type runTickMsg struct{ seq int }

func runTick(seq int) tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return runTickMsg{seq} })
}

func (m *runScreen) Enter() tea.Cmd {
	if m.running || m.report != nil {
		m.render()
		return nil
	}
	return m.start()
}

func (m *runScreen) start() tea.Cmd {
	m.seq++
	seq := m.seq
	ctx, cancel := context.WithCancel(m.c.Ctx)
	m.cancel = cancel
	m.running, m.stopping, m.askStop = true, false, false
	m.err, m.pfErr, m.report = nil, nil, nil
	m.started = m.c.Now()
	m.now = m.started
	m.phaseSt, m.phaseEv, m.indexEv, m.indexOrd = map[string]string{}, map[string]steps.Event{}, map[string]steps.Event{}, nil
	m.batch, m.phase, m.batches = 0, "", len(m.s.Batches)
	if m.s.Resuming && m.s.Prev != nil {
		m.seed(m.s.Prev)
	}
	p, creds, accept, be := m.s.Plan, m.s.Creds, m.s.AcceptWarns, m.be
	end := make(chan error, 1)
	m.s.runEnd = end
	m.addLog(m.c.T("run.starting"))
	m.render()
	return tea.Batch(startStream(seq, func(emit func(steps.Event)) (any, error) {
		rep, err := be.Run(ctx, p, creds, accept, emit)
		end <- err
		return rep, err
	}), runTick(seq))
}

// seed shows what a resumed migration had done before: its finished batches and phases.
func (m *runScreen) seed(st *steps.State) {
	order := map[steps.Phase]int{}
	for i, p := range steps.BatchPhases {
		order[p] = i
	}
	for _, b := range st.Batches {
		for _, p := range m.phases() {
			if b.Done || order[p] < order[b.Phase] {
				m.phaseSt[key2(b.Number, p)] = "done"
			}
		}
		if !b.Done && m.batch == 0 {
			m.batch = b.Number
		}
	}
}

func key2(batch int, phase steps.Phase) string { return fmt.Sprintf("%d/%s", batch, phase) }

func (m *runScreen) addLog(line string) {
	m.log = append(m.log, line)
	if len(m.log) > 1000 {
		m.log = m.log[len(m.log)-1000:]
	}
}

func (m *runScreen) apply(e steps.Event) {
	if e.Batches > 0 {
		m.batches = e.Batches
	}
	newBatch := e.Batch > 0 && e.Batch != m.batch
	if e.Batch > 0 {
		m.batch = e.Batch
	}
	if slices.Contains(steps.BatchPhases, e.Phase) && e.Batch > 0 {
		k := key2(e.Batch, e.Phase)
		if m.phase != e.Phase || newBatch {
			m.indexEv, m.indexOrd = map[string]steps.Event{}, nil
		}
		m.phase = e.Phase
		switch e.Kind {
		case steps.KindStart:
			if e.Index == "" {
				m.phaseSt[k] = "run"
				m.indexEv, m.indexOrd = map[string]steps.Event{}, nil
			}
		case steps.KindDone:
			if e.Index == "" {
				m.phaseSt[k] = "done"
				ev := m.phaseEv[k]
				if ev.Total.Bytes > 0 {
					ev.Done = ev.Total
				}
				ev.Kind = steps.KindDone
				m.phaseEv[k] = ev
			}
		case steps.KindError:
			m.phaseSt[k] = "fail"
		case steps.KindProgress:
			if e.Index == "" {
				m.phaseEv[k] = e
				if m.phaseSt[k] == "" {
					m.phaseSt[k] = "run"
				}
			}
		}
		if e.Index != "" && (e.Kind == steps.KindProgress || e.Kind == steps.KindDone) {
			if _, seen := m.indexEv[e.Index]; !seen {
				m.indexOrd = append(m.indexOrd, e.Index)
			}
			if e.Kind == steps.KindDone && e.Total == (steps.Counts{}) {
				e.Total, e.Done = steps.Counts{Files: 1}, steps.Counts{Files: 1}
			}
			m.indexEv[e.Index] = e
		}
	}
	if e.Kind != steps.KindProgress {
		m.addLog(m.c.ascii(e.Time.Format("15:04:05") + " " + m.c.eventText(e)))
	}
}

// phases are the phases shown for a batch (no transfer with shared storage).
func (m *runScreen) phases() []steps.Phase {
	if m.s.Plan.Repository.Shared {
		return []steps.Phase{steps.PhaseSnapshot, steps.PhaseRestore, steps.PhaseVerify}
	}
	return []steps.Phase{steps.PhaseSnapshot, steps.PhaseTransfer, steps.PhaseRestore, steps.PhaseVerify}
}

// overall is how far the whole run is, 0..1: batches weighted by their size, phases equally within a batch.
func (m *runScreen) overall() float64 {
	if m.batches == 0 {
		return 0
	}
	weights := make([]float64, m.batches)
	var sum float64
	for i := range weights {
		weights[i] = 1
		if len(m.s.Batches) == m.batches && m.s.Batches[i].PrimaryBytes > 0 {
			weights[i] = float64(m.s.Batches[i].PrimaryBytes)
		}
		sum += weights[i]
	}
	phases := m.phases()
	var done float64
	for b := 1; b <= m.batches; b++ {
		var f float64
		for _, p := range phases {
			k := key2(b, p)
			switch m.phaseSt[k] {
			case "done":
				f++
			case "run":
				f += m.phaseEv[k].Fraction()
			}
		}
		done += weights[b-1] * f / float64(len(phases))
	}
	return done / sum
}

func (m *runScreen) Update(msg tea.Msg) tea.Cmd {
	defer m.render()
	switch msg := msg.(type) {
	case streamMsg:
		if msg.id != m.seq {
			return nil
		}
		for _, e := range msg.events {
			m.apply(e)
		}
		if !msg.done {
			return msg.s.next(msg.id)
		}
		return m.finished(msg.result, msg.err)
	case runTickMsg:
		if msg.seq == m.seq && m.running {
			m.now = m.c.Now()
			return runTick(msg.seq)
		}
		return nil
	case tea.KeyPressMsg:
		if m.askStop {
			switch {
			case key.Matches(msg, m.keys.Yes):
				m.askStop, m.stopping = false, true
				m.addLog(m.c.T("run.stopping"))
				m.cancel()
			case key.Matches(msg, m.keys.No):
				m.askStop = false
			}
			return nil
		}
		switch {
		case key.Matches(msg, m.keys.Stop):
			if m.running {
				if !m.stopping {
					m.askStop = true
				}
				return nil
			}
			return quitWith(m.err)
		case key.Matches(msg, m.keys.Up):
			m.logOff = min(m.logOff+logStep(msg), max(len(m.log)-1, 0))
		case key.Matches(msg, m.keys.Down):
			m.logOff = max(m.logOff-logStep(msg), 0)
		case key.Matches(msg, m.keys.Accept) && m.pfErr != nil && m.pfErr.Warnings:
			m.s.AcceptWarns = true
			return m.start()
		case key.Matches(msg, m.keys.Next) && m.report != nil:
			return goTo(scrReport)
		}
	}
	return nil
}

// logStep is how many lines a key scrolls the log: a page (ten lines) or one.
func logStep(k tea.KeyPressMsg) int {
	if s := k.String(); s == "pgup" || s == "pgdown" {
		return 10
	}
	return 1
}

func (m *runScreen) finished(result any, err error) tea.Cmd {
	m.running = false
	m.now = m.c.Now()
	if m.cancel != nil {
		m.cancel()
	}
	rep, _ := result.(*steps.Report)
	m.err = err
	var stop *steps.StoppedError
	if errors.As(err, &stop) {
		m.addLog(m.c.T("run.stopped", stop.StatePath))
		if m.stopping {
			return quitWith(err)
		}
	}
	var pe *steps.PreflightError
	if errors.As(err, &pe) {
		m.pfErr = pe
		return nil
	}
	if err != nil {
		m.addLog(m.c.T("misc.error", err.Error()))
	}
	if rep != nil && stop == nil {
		m.report = rep
		m.s.Report = rep
		return goTo(scrReport)
	}
	return nil
}

func (m *runScreen) SetSize(w, h int) { m.w, m.h = w, h; m.render() }

func (m *runScreen) barLine(label string, f float64, right string, labelW int) string {
	barW := max(m.w-labelW-width(right)-3, 10)
	m.bar.SetWidth(barW)
	return fit(label, labelW, m.c.Glyphs.Ellipsis) + " " + m.bar.ViewAs(f) + " " + right
}

func (m *runScreen) counts(e steps.Event) string {
	var parts []string
	switch {
	case e.Total.Bytes > 0:
		parts = append(parts, steps.HumanBytes(e.Done.Bytes)+"/"+steps.HumanBytes(e.Total.Bytes))
	case e.Total.Shards > 0:
		parts = append(parts, m.c.T("run.shards", e.Done.Shards, e.Total.Shards))
	case e.Total.Files > 0:
		parts = append(parts, m.c.T("run.files", e.Done.Files, e.Total.Files))
	}
	if e.Rate > 0 {
		parts = append(parts, steps.HumanBytes(int64(e.Rate))+"/s")
	}
	if e.ETA > 0 {
		parts = append(parts, m.c.T("run.eta", duration(e.ETA)))
	}
	return strings.Join(parts, " ")
}

func (m *runScreen) render() {
	if m.w == 0 {
		return
	}
	st, g := m.c.Styles, m.c.Glyphs
	var lines []string
	elapsed := m.now.Sub(m.started)
	if m.started.IsZero() {
		elapsed = 0
	}
	f := m.overall()
	right := m.c.T("run.elapsed", duration(elapsed))
	if m.running && f > 0.02 && elapsed >= 2*time.Second {
		left := time.Duration(float64(elapsed) * (1 - f) / f)
		right += " " + m.c.T("run.eta", duration(left))
	}
	lines = append(lines, m.barLine(st.Bold.Render(m.c.T("run.overall")), f, right, 10))

	if m.batch > 0 {
		// Every batch's phases when there is room (a window around the current one), else the current one.
		first, last := m.batch, m.batch
		if room := m.h/4 - 1; room > 1 && m.batches > 1 {
			first = max(1, m.batch-room/2)
			last = min(m.batches, first+room-1)
			first = max(1, last-room+1)
		}
		for b := first; b <= last; b++ {
			lines = append(lines, m.batchLine(b))
		}
		if m.phase != "" {
			k := key2(m.batch, m.phase)
			ev := m.phaseEv[k]
			frac := ev.Fraction()
			if m.phaseSt[k] == "done" {
				frac = 1
			}
			lines = append(lines, m.barLine(m.c.T("run.phase."+string(m.phase)), frac, m.counts(ev), 10))
			names := append([]string(nil), m.indexOrd...)
			sort.Strings(names)
			maxIdx := max(m.h-len(lines)-8, 0)
			for i, n := range names {
				if i >= maxIdx {
					lines = append(lines, st.Subtle.Render(fmt.Sprintf("  %s +%d", g.Ellipsis, len(names)-i)))
					break
				}
				ie := m.indexEv[n]
				lines = append(lines, m.barLine("  "+n, ie.Fraction(), m.counts(ie), 24))
			}
		}
	}

	// The end of the run, or the stop dialog.
	var tail []string
	switch {
	case m.askStop:
		sp := m.s.Plan.StateFile
		box := st.Box.Width(min(m.w-2, 76)).Render(st.Warn.Render(m.c.T("run.stop.title")) + "\n" +
			wrap(m.c.T("run.stop.body", sp, sp), min(m.w-6, 72)) + "\n\n" + st.Bold.Render(m.c.T("run.stop.ask")))
		tail = strings.Split(box, "\n")
	case m.pfErr != nil:
		tail = append(tail, st.Error.Render(m.c.T("run.preflight")))
		for _, c := range m.pfErr.Checks {
			tail = append(tail, checkLine(m.c, c, false))
			for _, l := range checkDetails(m.c, c, m.w-4) {
				tail = append(tail, "    "+l)
			}
		}
		if m.pfErr.Warnings {
			tail = append(tail, st.Bold.Render(m.c.T("run.acceptrestart")))
		}
	case !m.running && m.err != nil:
		tail = append(tail, st.Error.Render(m.c.T("run.failed")), wrap(m.err.Error(), m.w), m.c.T("run.quitdone"))
	}

	logH := m.h - len(lines) - len(tail) - 1
	title := g.Rule + g.Rule + " " + m.c.T("run.log") + " "
	lines = append(lines, st.Subtle.Render(title+strings.Repeat(g.Rule, max(m.w-width(title), 0))))
	if logH > 0 {
		end := len(m.log) - m.logOff
		start := max(end-logH+1, 0)
		for _, l := range m.log[start:end] {
			lines = append(lines, ansiCut(l, m.w))
		}
	}
	if len(tail) > 0 {
		body := clip(strings.Join(lines, "\n"), m.w, m.h-len(tail))
		m.view = body + "\n" + strings.Join(tail, "\n")
		return
	}
	m.view = strings.Join(lines, "\n")
}

// batchLine is one batch's phases: done, running, failed or still to come.
func (m *runScreen) batchLine(b int) string {
	st, g := m.c.Styles, m.c.Glyphs
	label := m.c.T("run.batch", b, m.batches)
	if b == m.batch {
		label = st.Bold.Render(label)
	} else {
		label = st.Subtle.Render(label)
	}
	parts := []string{label}
	for _, p := range m.phases() {
		name := m.c.T("run.phase." + string(p))
		switch m.phaseSt[key2(b, p)] {
		case "done":
			parts = append(parts, st.OK.Render(g.OK+" "+name))
		case "run":
			parts = append(parts, st.Bold.Render(g.Run+" "+name))
		case "fail":
			parts = append(parts, st.Error.Render(g.Fail+" "+name))
		default:
			parts = append(parts, st.Subtle.Render(g.Pending+" "+name))
		}
	}
	return strings.Join(parts, "  ")
}

func ansiCut(s string, w int) string { return fit(strings.ReplaceAll(s, "\n", " "), w, "") }

func (m *runScreen) ShortHelp() []key.Binding {
	switch {
	case m.askStop:
		return []key.Binding{m.keys.Yes, m.keys.No}
	case m.running:
		return []key.Binding{m.keys.Stop, m.keys.Up, m.keys.Down}
	case m.pfErr != nil && m.pfErr.Warnings:
		return []key.Binding{m.keys.Accept, m.c.Keys.Back, bind(m.c, "q", "q", "key.quit")}
	case m.report != nil:
		return []key.Binding{m.keys.Next, bind(m.c, "q", "q", "key.quit")}
	}
	return []key.Binding{m.c.Keys.Back, bind(m.c, "q", "q", "key.quit")}
}

func (m *runScreen) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.ShortHelp(), {m.keys.Up, m.keys.Down}}
}

// CanGoBack: not while it runs or after it ended, nor from a resumed run (the steps before were not taken).
func (m *runScreen) CanGoBack() bool { return !m.running && m.report == nil && !m.s.Resuming }
func (m *runScreen) Capturing() bool { return false }

// checkLine renders one check: glyph, title and status.
func checkLine(c *Common, ch steps.Check, expanded bool) string {
	st, g := c.Styles, c.Glyphs
	ch.Title = c.ascii(c.checkTitle(ch))
	exp := g.Expand
	if expanded {
		exp = g.Collapse
	}
	switch ch.Status {
	case steps.OK:
		return exp + " " + st.OK.Render(g.OK+" "+ch.Title)
	case steps.Warn:
		return exp + " " + st.Warn.Render(g.Warn+" "+ch.Title)
	default:
		return exp + " " + st.Error.Render(g.Fail+" "+ch.Title)
	}
}
