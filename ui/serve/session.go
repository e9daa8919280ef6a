package serve

import (
	"context"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui"
	"github.com/esmigrate/esmigrate/ui/common"
	"github.com/esmigrate/esmigrate/ui/components/progressview"
)

// sessionModel is one SSH session's program model. While the session drives it shows the wizard's frames and
// hands the wizard its keys; otherwise it watches: the waiting screen with what the operator chose, then the
// run's live progress and log, drawn for this terminal (its size, its language) from the run's events. A key
// that would change anything is refused there, with why.
type sessionModel struct {
	h    *Hub
	ctx  context.Context
	id   int
	c    *common.Common
	help help.Model

	v       view
	started bool // a first view arrived
	runID   int
	prog    *progressview.Model
	log     []string
	logOff  int
	pause   string // what the engine last said of a pause ("" none)
	held    bool
	now     time.Time

	notice    string
	noticeErr bool
	askTake   bool
	fullHelp  bool

	out string
}

func newSessionModel(ctx context.Context, h *Hub, id int, c *common.Common) *sessionModel {
	m := &sessionModel{h: h, ctx: ctx, id: id, c: c, help: help.New(), now: time.Now()}
	m.help.Styles = c.Styles.Help
	if !c.Glyphs.UTF8 {
		m.help.Ellipsis, m.help.ShortSeparator, m.help.FullSeparator = "...", " | ", "   "
	}
	m.prog = progressview.New(c, false, 0)
	m.render()
	return m
}

// tickMsg moves the elapsed time on.
type tickMsg struct{}

func tick() tea.Cmd { return tea.Tick(time.Second, func(time.Time) tea.Msg { return tickMsg{} }) }

func (m *sessionModel) Init() tea.Cmd {
	h, id := m.h, m.id
	return tea.Batch(func() tea.Msg { return viewMsg{h.view(id, 0)} }, tick())
}

func (m *sessionModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	m.render()
	return m, cmd
}

func (m *sessionModel) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case viewMsg:
		return m.apply(msg.v)
	case tickMsg:
		m.now = m.c.Now()
		return tick()
	case tea.WindowSizeMsg:
		m.c.Width, m.c.Height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		m.h.Resize(m.id, msg.Width, msg.Height)
		return nil
	case tea.PasteMsg:
		if m.v.Driving && m.h.Key(m.id, msg) {
			return nil
		}
		m.refuse()
		return nil
	case tea.KeyPressMsg:
		if m.v.Driving && m.h.Key(m.id, msg) {
			return nil
		}
		return m.watchKey(msg)
	}
	return nil
}

// apply takes a view of the hub: the frame for a driver, the run's new events for everyone.
func (m *sessionModel) apply(v view) tea.Cmd {
	if v.Leave {
		return tea.Quit
	}
	if v.Run.ID != m.runID {
		m.runID, m.log, m.logOff, m.pause, m.held = v.Run.ID, nil, 0, "", false
		m.prog = progressview.New(m.c, v.Choices.Shared, v.Choices.Batches)
		if v.Run.Seed != nil {
			m.prog.Seed(v.Run.Seed) // a resumed migration: what it had done before
		}
	}
	for _, e := range v.Events {
		m.event(e)
	}
	if !v.Notice.IsZero() {
		m.notice, m.noticeErr = m.c.Text(v.Notice), true
	}
	if v.Driving && !m.v.Driving {
		m.askTake, m.fullHelp = false, false
	}
	m.v, m.started = v, true
	next := m.h.next(m.ctx, m.id, v.Cursor)
	if v.Copy != "" {
		return tea.Batch(tea.SetClipboard(v.Copy), next)
	}
	return next
}

func (m *sessionModel) event(e steps.Event) {
	m.prog.Apply(e)
	switch e.Kind {
	case steps.KindProgress:
		return
	case steps.KindPausing, steps.KindPaused:
		m.pause, m.held = m.c.Text(e.MessageText()), e.Kind == steps.KindPaused
	case steps.KindResumed:
		m.pause, m.held = "", false
	}
	m.log = append(m.log, m.c.ASCII(e.Time.Format("15:04:05")+" "+e.Text(m.c.L)))
	if len(m.log) > 1000 {
		m.log = m.log[len(m.log)-1000:]
	}
}

// watchKey answers a key of a session that does not drive.
func (m *sessionModel) watchKey(k tea.KeyPressMsg) tea.Cmd {
	km := m.c.Keys
	m.notice = ""
	switch {
	case m.askTake:
		m.askTake = false
		if key.Matches(k, km.Yes) {
			m.h.TakeOver(m.id)
		}
		return nil
	case m.fullHelp:
		m.fullHelp = false
		return nil
	case key.Matches(k, km.Help):
		m.fullHelp = true
	case key.Matches(k, km.Quit), key.Matches(k, km.Leave):
		return tea.Quit
	case key.Matches(k, km.Redraw):
		return tea.ClearScreen
	case key.Matches(k, km.ScrollUp):
		m.logOff = min(m.logOff+logStep(k), max(len(m.log)-1, 0))
	case key.Matches(k, km.ScrollDown):
		m.logOff = max(m.logOff-logStep(k), 0)
	case key.Matches(k, km.TakeOver) && m.v.You.Operator:
		if m.v.Driver == "" {
			m.h.TakeOver(m.id)
			return nil
		}
		m.askTake = true
	default:
		m.refuse()
	}
	return nil
}

// refuse says why a key that would act does nothing here: a viewer watches read-only; an operator who does
// not drive takes over first.
func (m *sessionModel) refuse() {
	m.noticeErr = true
	switch {
	case m.v.You.Operator && m.v.Driver != "":
		m.notice = m.c.T("serve.refused.notdriving", m.v.Driver)
	case m.v.You.Operator:
		m.notice = m.c.T("serve.refused.nodriver")
	default:
		m.notice = m.c.T("serve.refused.readonly", m.v.You.Name)
	}
}

func logStep(k tea.KeyPressMsg) int {
	if s := k.String(); s == "pgup" || s == "pgdown" {
		return 10
	}
	return 1
}

func (m *sessionModel) View() tea.View {
	v := tea.NewView(m.out)
	v.AltScreen = true
	v.WindowTitle = "esmigrate"
	return v
}

// Render is what the session shows (tests).
func (m *sessionModel) Render() string { return m.out }

func (m *sessionModel) render() {
	w, h := m.c.Width, m.c.Height
	if m.v.Driving {
		m.out = m.c.ASCII(m.v.Frame)
		return
	}
	if w < 80 || h < 24 {
		msg := common.Wrap(m.c.T("misc.toosmall", w, h), max(w, 10))
		m.out = common.PadLines(common.Clip(msg, max(w, 1), max(h, 1)), max(h, 1))
		return
	}
	st := m.c.Styles
	notice := ""
	switch {
	case m.askTake:
		notice = st.Warn.Render(common.Wrap(m.c.T("serve.takeover.ask", m.v.Driver), w))
	case m.notice != "":
		notice = m.c.Flash(common.Wrap(m.notice, w), m.noticeErr)
	}
	notice = common.Clip(notice, w, 2)
	noticeH := max(strings.Count(notice, "\n")+1, 1)
	bodyH := h - 3 - noticeH // header, notice, rule, footer
	var body string
	switch {
	case m.fullHelp:
		body = st.Bold.Render(m.c.T("help.title")) + "\n" + m.c.FullHelp(m.keys(), w)
	case !m.started:
		body = m.c.T("misc.loading")
	case m.v.Run.ID == 0:
		body = m.waiting(w)
	default:
		body = m.progress(w, bodyH)
	}
	body = common.PadLines(common.Clip(body, w, bodyH), bodyH)
	rule := st.Subtle.Render(strings.Repeat(m.c.Glyphs.Rule, w))
	m.out = m.header(w) + "\n" + body + "\n" + notice + "\n" + rule + "\n" + common.Clip(m.footer(w), w, 1)
	if !m.c.Glyphs.UTF8 {
		m.out = common.ToASCII(m.out)
	}
}

// header names the app and says who this session is and who drives.
func (m *sessionModel) header(w int) string {
	st := m.c.Styles
	var who string
	switch {
	case !m.started:
	case m.v.You.Operator && m.v.Driver != "":
		who = m.c.T("serve.you.operator.watching", m.v.You.Name, m.v.Driver)
	case m.v.You.Operator:
		who = m.c.T("serve.you.operator.nodriver", m.v.You.Name)
	case m.v.Driver != "":
		who = m.c.T("serve.you.viewer", m.v.You.Name, m.v.Driver)
	default:
		who = m.c.T("serve.you.viewer.nodriver", m.v.You.Name)
	}
	return common.Fit(st.Title.Render(m.c.T("app.title"))+"  "+who, w, m.c.Glyphs.Ellipsis)
}

func (m *sessionModel) keys() [][]key.Binding {
	km := m.c.Keys
	first := []key.Binding{km.ScrollUp, km.ScrollDown}
	if m.v.You.Operator {
		first = append([]key.Binding{km.TakeOver}, first...)
	}
	return [][]key.Binding{first, {km.Help, km.Redraw, km.Leave}}
}

func (m *sessionModel) footer(w int) string {
	km := m.c.Keys
	if m.askTake {
		return m.help.ShortHelpView([]key.Binding{km.Yes, km.No})
	}
	bs := m.keys()
	return m.help.ShortHelpView(append(bs[0], km.Leave, km.Help))
}

// waiting is the screen before the migration starts: who drives and where, and what has been chosen so far.
func (m *sessionModel) waiting(w int) string {
	st, ch := m.c.Styles, m.v.Choices
	var b strings.Builder
	b.WriteString(st.Bold.Render(m.c.T("serve.waiting.title")) + "\n")
	step := m.c.T("serve.step.resume")
	if ch.Step > 0 {
		step = m.c.T("serve.step", ch.Step, ui.Steps, m.c.T("step."+strconv.Itoa(ch.Step)))
	}
	where := m.c.T("serve.waiting.nodriver", step)
	if m.v.Driver != "" {
		where = m.c.T("serve.waiting.driver", m.v.Driver, step)
	}
	b.WriteString(common.Wrap(where, w) + "\n\n")
	b.WriteString(st.Bold.Render(m.c.T("serve.chosen")) + "\n")
	none := st.Subtle.Render(m.c.T("serve.notyet"))
	or := func(s string) string {
		if s == "" {
			return none
		}
		return s
	}
	rows := [][2]string{
		{m.c.T("serve.row.source"), or(strings.TrimSpace(ch.Source + "  " + ch.SourceProduct))},
		{m.c.T("serve.row.target"), or(strings.TrimSpace(ch.Target + "  " + ch.TargetProduct))},
	}
	repo := none
	switch {
	case ch.Step < 3 && !ch.Resuming:
	case ch.Shared:
		repo = m.c.T("serve.repo.shared", ch.Repository, ch.SourceLocation)
	default:
		repo = m.c.T("serve.repo.copied", ch.Repository, ch.SourceLocation, ch.TargetLocation)
	}
	rows = append(rows, [2]string{m.c.T("serve.row.repository"), repo})
	ix := none
	if ch.Selected > 0 {
		ix = m.c.T("serve.indices", ch.Selected, steps.HumanBytes(ch.SelectedBytes), ch.Batches)
		if ch.BatchMax != "" {
			ix += " " + m.c.T("serve.batchmax", ch.BatchMax)
		}
	} else if len(ch.Patterns) > 0 {
		ix = m.c.T("serve.patterns", strings.Join(ch.Patterns, ", "))
	}
	rows = append(rows, [2]string{m.c.T("serve.row.indices"), ix})
	if ch.Rename != "" {
		rows = append(rows, [2]string{m.c.T("serve.row.rename"), ch.Rename + " " + m.c.Glyphs.Pointer + " " + ch.RenameTo})
	}
	if ch.Accepted > 0 {
		rows = append(rows, [2]string{m.c.T("serve.row.warnings"), m.c.T("serve.accepted", ch.Accepted)})
	}
	lw := 0
	for _, r := range rows {
		lw = max(lw, common.Width(r[0]))
	}
	// A value too long for its line goes on below it, wrapped at spaces: a path or a URL is never cut.
	vw := max(w-lw-4, 10)
	for _, r := range rows {
		for i, l := range strings.Split(common.Wrap(m.c.ASCII(r[1]), vw), "\n") {
			label := ""
			if i == 0 {
				label = r[0]
			}
			b.WriteString("  " + common.Fit(label, lw, "") + "  " + l + "\n")
		}
	}
	b.WriteString("\n")
	if m.v.You.Operator {
		b.WriteString(common.Wrap(m.c.T("serve.waiting.operator"), w))
	} else {
		b.WriteString(common.Wrap(m.c.T("serve.waiting.viewer"), w))
	}
	return b.String()
}

// progress is the run as the operator sees it: the bars, the pause, how it ended, and the log.
func (m *sessionModel) progress(w, h int) string {
	st, g, run := m.c.Styles, m.c.Glyphs, m.v.Run
	end := m.now
	if !run.Running && !run.Ended.IsZero() {
		end = run.Ended
	}
	lines := m.prog.Render(m.c, w, max(h-8, 2), m.now, end.Sub(run.Started), run.Running)
	if run.Running && m.pause != "" {
		text := m.pause
		if m.held {
			text += " " + m.c.T("serve.pause.byoperator")
		}
		for _, l := range strings.Split(common.Wrap(text, w-2), "\n") {
			lines = append(lines, st.Warn.Render(g.Pointer+" "+l))
		}
	}
	switch {
	case run.Running:
	case run.Stopped:
		lines = append(lines, st.Warn.Render(m.c.T("serve.run.stopped")))
	case run.Report != nil:
		r := run.Report
		lines = append(lines, st.Bold.Render(m.c.T("serve.run.done", r.Verified, r.Mismatched, r.Failed, r.Pending)))
		if r.Markdown != "" {
			// Wrapped, never cut: the path is what the viewer needs to open the report.
			lines = append(lines, strings.Split(common.Wrap(m.c.T("serve.run.report", r.Markdown), w), "\n")...)
		}
	}
	if !run.Running && !run.Err.IsZero() && !run.Stopped {
		lines = append(lines, st.Error.Render(m.c.T("run.failed")))
		lines = append(lines, strings.Split(common.Wrap(m.c.Text(run.Err), w), "\n")...)
	}
	title := g.Rule + g.Rule + " " + m.c.T("run.log") + " "
	lines = append(lines, st.Subtle.Render(title+strings.Repeat(g.Rule, max(w-common.Width(title), 0))))
	if logH := h - len(lines); logH > 0 {
		end := len(m.log) - m.logOff
		start := max(end-logH, 0)
		for _, l := range m.log[start:end] {
			lines = append(lines, common.Fit(strings.ReplaceAll(l, "\n", " "), w, ""))
		}
	}
	return strings.Join(lines, "\n")
}
