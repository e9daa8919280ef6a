package ui

import (
	"context"
	"errors"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/common"
	"github.com/esmigrate/esmigrate/ui/components/checklist"
	"github.com/esmigrate/esmigrate/ui/components/progressview"
)

// runScreen follows the engine's run: the progress (progressview: overall, per batch, phase and index, all
// from the engine's estimate) and a log of events.
type runScreen struct {
	screenBase

	seq      int
	running  bool
	stopping bool
	askStop  bool
	cancel   context.CancelFunc
	started  time.Time
	now      time.Time

	prog   *progressview.Model
	log    []string
	logOff int // lines scrolled up from the bottom

	report *steps.Report
	err    error
	pfErr  *steps.PreflightError

	// The pause (steps/pause.go): asked by p, and what the engine last said of it (KindPausing: what runs on
	// and where it will hold; KindPaused: it holds). pauseText is empty when no pause is on.
	pauseAsked bool
	pauseText  string
	pauseHeld  bool
}

func newRun(c *Common, s *Session, be Backend) *runScreen {
	return &runScreen{screenBase: screenBase{c: c, s: s, be: be}, prog: progressview.New(c, s.Plan.Repository.Shared, len(s.Batches))}
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
	m.seq = common.NewID()
	seq := m.seq
	ctx, cancel := context.WithCancel(m.c.Ctx)
	m.cancel = cancel
	m.running, m.stopping, m.askStop = true, false, false
	m.err, m.pfErr, m.report = nil, nil, nil
	m.started = m.c.Now()
	m.now = m.started
	m.prog = progressview.New(m.c, m.s.Plan.Repository.Shared, len(m.s.Batches))
	if m.s.Resuming && m.s.Prev != nil {
		m.prog.Seed(m.s.Prev)
	}
	m.pauseAsked, m.pauseText, m.pauseHeld = m.s.Pause.Paused(), "", false
	p, creds, be, gate := m.s.Plan, m.s.Creds, m.be, m.s.Pause
	o := m.s.runOptions()
	end := make(chan error, 1)
	m.s.runEnd = end
	m.addLog(m.c.T("run.starting"))
	m.render()
	return tea.Batch(common.StartStream(seq, func(emit func(steps.Event)) (any, error) {
		rep, err := be.Run(ctx, p, creds, o, gate, emit)
		end <- err
		return rep, err
	}), runTick(seq))
}

func (m *runScreen) addLog(line string) {
	m.log = append(m.log, line)
	if len(m.log) > 1000 {
		m.log = m.log[len(m.log)-1000:]
	}
}

func (m *runScreen) apply(e steps.Event) {
	m.prog.Apply(e)
	switch e.Kind {
	case steps.KindPausing, steps.KindPaused:
		m.pauseText, m.pauseHeld = m.c.Text(e.MessageText()), e.Kind == steps.KindPaused
	case steps.KindResumed:
		m.pauseText, m.pauseHeld = "", false
	}
	if e.Kind != steps.KindProgress {
		m.addLog(m.c.ASCII(e.Time.Format("15:04:05") + " " + e.Text(m.c.L)))
	}
}

func (m *runScreen) Update(msg tea.Msg) tea.Cmd {
	defer m.render()
	km := m.c.Keys
	switch msg := msg.(type) {
	case common.StreamMsg:
		if msg.ID != m.seq {
			return nil
		}
		for _, e := range msg.Events {
			m.apply(e)
		}
		if !msg.Done {
			return msg.Next()
		}
		return m.finished(msg.Result, msg.Err)
	case runTickMsg:
		if msg.seq == m.seq && m.running {
			m.now = m.c.Now()
			return runTick(msg.seq)
		}
		return nil
	case tea.KeyPressMsg:
		if m.askStop {
			switch {
			case key.Matches(msg, km.Yes):
				m.askStop, m.stopping = false, true
				m.addLog(m.c.T("run.stopping"))
				m.cancel()
			case key.Matches(msg, km.No):
				m.askStop = false
			}
			return nil
		}
		switch {
		case key.Matches(msg, km.Pause) && m.running && m.s.Pause != nil:
			return m.togglePause()
		case key.Matches(msg, km.Stop) && m.s.Served:
			// In esmigrate serve the migration outlives the session: q leaves (asks), p pauses.
			return askLeave
		case key.Matches(msg, km.Stop):
			if m.running {
				if !m.stopping {
					m.askStop = true
				}
				return nil
			}
			return quitWith(m.err)
		case key.Matches(msg, km.ScrollUp):
			m.logOff = min(m.logOff+logStep(msg), max(len(m.log)-1, 0))
		case key.Matches(msg, km.ScrollDown):
			m.logOff = max(m.logOff-logStep(msg), 0)
		case key.Matches(msg, km.AcceptRestart) && m.pfErr != nil && m.pfErr.Warnings:
			m.s.AcceptWarns = true
			return m.start()
		case key.Matches(msg, km.Next) && m.report != nil:
			return goTo(scrReport)
		}
	}
	return nil
}

// togglePause asks the engine to pause or to go on (the switch is turned in a command: the engine's watcher
// says what the pause means on its own goroutine).
func (m *runScreen) togglePause() tea.Cmd {
	gate := m.s.Pause
	m.pauseAsked = !m.pauseAsked
	if m.pauseAsked {
		return func() tea.Msg { gate.Pause(); return nil }
	}
	return func() tea.Msg { gate.Resume(); return nil }
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
		if stop.NothingStarted {
			m.addLog(m.c.T("run.stopped.early"))
		} else {
			m.addLog(m.c.T("run.stopped", stop.StatePath))
		}
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
		m.addLog(m.c.T("misc.error", m.c.Err(err)))
	}
	if rep != nil && stop == nil {
		m.report = rep
		m.s.Report = rep
		return goTo(scrReport)
	}
	return nil
}

func (m *runScreen) SetSize(w, h int) { m.w, m.h = w, h; m.render() }

func (m *runScreen) render() {
	if m.w == 0 {
		return
	}
	st, g := m.c.Styles, m.c.Glyphs
	elapsed := m.now.Sub(m.started)
	if m.started.IsZero() {
		elapsed = 0
	}
	lines := m.prog.Render(m.c, m.w, max(m.h-8, 2), m.now, elapsed, m.running)
	if m.running && (m.pauseAsked || m.pauseText != "") {
		text := m.pauseText
		if text == "" {
			text = m.c.T("run.pause.asked")
		}
		if m.pauseHeld {
			text += " " + m.c.T("run.pause.resumekey")
		}
		for _, l := range strings.Split(common.Wrap(text, m.w-2), "\n") {
			lines = append(lines, st.Warn.Render(g.Pointer+" "+l))
		}
	}

	// The end of the run, or the stop dialog.
	var tail []string
	switch {
	case m.askStop:
		sp := m.s.Plan.StateFile
		box := st.Box.Width(min(m.w-2, 76)).Render(st.Warn.Render(m.c.T("run.stop.title")) + "\n" +
			common.Wrap(m.c.T("run.stop.body", sp, sp), min(m.w-6, 72)) + "\n\n" + st.Bold.Render(m.c.T("run.stop.ask")))
		tail = strings.Split(box, "\n")
	case m.pfErr != nil:
		tail = append(tail, st.Error.Render(m.c.T("run.preflight")))
		for _, c := range m.pfErr.Checks {
			for _, l := range checklist.Lines(m.c, c, m.w-2) {
				tail = append(tail, "  "+l)
			}
		}
		if m.pfErr.Warnings {
			tail = append(tail, st.Bold.Render(m.c.T("run.acceptrestart")))
		}
	case !m.running && m.err != nil:
		tail = append(tail, st.Error.Render(m.c.T("run.failed")))
		tail = append(tail, strings.Split(common.Wrap(m.c.Err(m.err), m.w), "\n")...)
		tail = append(tail, m.c.T("run.quitdone"))
	}

	logH := m.h - len(lines) - len(tail) - 1
	title := g.Rule + g.Rule + " " + m.c.T("run.log") + " "
	lines = append(lines, st.Subtle.Render(title+strings.Repeat(g.Rule, max(m.w-common.Width(title), 0))))
	if logH > 0 {
		end := len(m.log) - m.logOff
		start := max(end-logH+1, 0)
		for _, l := range m.log[start:end] {
			lines = append(lines, common.Fit(strings.ReplaceAll(l, "\n", " "), m.w, ""))
		}
	}
	if len(tail) > 0 {
		body := common.Clip(strings.Join(lines, "\n"), m.w, m.h-len(tail))
		m.view = body + "\n" + strings.Join(tail, "\n")
		return
	}
	m.view = strings.Join(lines, "\n")
}

func (m *runScreen) ShortHelp() []key.Binding {
	km := m.c.Keys
	stop := km.Stop
	if m.s.Served {
		stop = km.Leave // q leaves the session; the migration goes on in the server
	}
	switch {
	case m.askStop:
		return []key.Binding{km.Yes, km.No}
	case m.running && m.s.Pause != nil && m.pauseAsked:
		return []key.Binding{km.Unpause, stop, km.ScrollUp, km.ScrollDown}
	case m.running && m.s.Pause != nil:
		return []key.Binding{km.Pause, stop, km.ScrollUp, km.ScrollDown}
	case m.running:
		return []key.Binding{stop, km.ScrollUp, km.ScrollDown}
	case m.pfErr != nil && m.pfErr.Warnings:
		return []key.Binding{km.AcceptRestart, km.Back, km.Leave}
	case m.report != nil:
		return []key.Binding{km.Next, km.Leave}
	}
	return []key.Binding{km.Back, km.Leave}
}

func (m *runScreen) FullHelp() [][]key.Binding {
	km := m.c.Keys
	return [][]key.Binding{m.ShortHelp(), {km.ScrollUp, km.ScrollDown}}
}

// CanGoBack: not while it runs or after it ended, nor from a resumed run (the steps before were not taken).
func (m *runScreen) CanGoBack() bool { return !m.running && m.report == nil && !m.s.Resuming }
func (m *runScreen) Capturing() bool { return false }
