package ui

import (
	"context"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/esmigrate/esmigrate/steps"
)

// reviewScreen: the plan in words, the selection's checks (conflicts), and the exact requests as curl.
type reviewScreen struct {
	screenBase

	seq      int
	list     checklist
	requests []steps.PlannedRequest
	reqErr   error
	off      int
	asking   bool
	msg      string
	msgErr   bool
	keys     struct{ Up, Down, PgUp, PgDown, Ack, Save, Copy, Start, Yes, No key.Binding }
}

type requestsMsg struct {
	seq  int
	reqs []steps.PlannedRequest
	err  error
}

func newReview(c *Common, s *Session, be Backend) *reviewScreen {
	m := &reviewScreen{screenBase: screenBase{c: c, s: s, be: be}}
	m.keys.Up, m.keys.Down = upDown(c, "key.scroll", "key.scroll")
	m.keys.PgUp = bind(c, "pgup", "pgup", "key.pgup")
	m.keys.PgDown = bind(c, "pgdown space", "pgdn", "key.pgdown")
	m.keys.Ack = bind(c, "a", "a", "key.ack")
	m.keys.Save = bind(c, "w", "w", "key.saveplan")
	m.keys.Copy = bind(c, "c", "c", "key.copy")
	m.keys.Start = bind(c, "enter", "enter", "key.start")
	m.keys.Yes = bind(c, "y", "y", "key.yes")
	m.keys.No = bind(c, "n esc", "n", "key.no")
	m.list = newChecklist(s.Acked)
	return m
}

func (m *reviewScreen) Enter() tea.Cmd {
	m.seq++
	seq := m.seq
	m.requests, m.reqErr, m.off, m.asking, m.msg = nil, nil, 0, false, ""
	p, creds, src, dst, be := m.s.Plan, m.s.Creds, m.s.Src, m.s.Dst, m.be
	sel := steps.Select(m.s.Indices, p)
	batches := m.s.Batches
	checks := m.list.start(m.c.Ctx, seq, func(ctx context.Context, emit func(steps.Event)) ([]steps.Check, error) {
		return be.SelectionChecks(ctx, p, creds, src, dst, sel, emit)
	})
	m.render()
	return tea.Batch(checks, ioCmd(func() tea.Msg {
		reqs, err := be.PlannedRequests(p, creds, batches)
		return requestsMsg{seq: seq, reqs: reqs, err: err}
	}))
}

func (m *reviewScreen) curl() string {
	var b strings.Builder
	for _, r := range m.requests {
		b.WriteString("# " + r.What + "\n" + r.Curl + "\n\n")
	}
	return b.String()
}

func (m *reviewScreen) Update(msg tea.Msg) tea.Cmd {
	defer m.render()
	if cmd, ok := m.list.update(msg, m.seq); ok {
		return cmd
	}
	switch msg := msg.(type) {
	case requestsMsg:
		if msg.seq == m.seq {
			m.requests, m.reqErr = msg.reqs, msg.err
		}
		return nil
	case savedMsg:
		if msg.err != nil {
			m.msg, m.msgErr = m.c.T("pf.savefail", msg.err.Error()), true
		} else {
			m.msg, m.msgErr = m.c.T("rv.plansaved", msg.path), false
		}
		return nil
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	if m.asking {
		switch {
		case key.Matches(k, m.keys.Yes):
			m.asking = false
			return goTo(scrRun)
		case key.Matches(k, m.keys.No):
			m.asking = false
		}
		return nil
	}
	page := max(m.h-3, 1)
	switch {
	case key.Matches(k, m.keys.Up):
		m.off = max(m.off-1, 0)
	case key.Matches(k, m.keys.Down):
		m.off++
	case key.Matches(k, m.keys.PgUp):
		m.off = max(m.off-page, 0)
	case key.Matches(k, m.keys.PgDown):
		m.off += page
	case key.Matches(k, m.keys.Ack):
		m.list.key(k, checkKeys{Ack: m.keys.Ack}) // it accepts only warnings, once the checks ended
	case key.Matches(k, m.keys.Copy) && len(m.requests) > 0:
		text := m.curl()
		m.msg, m.msgErr = m.c.T("pf.copied", len(text)), false
		return tea.SetClipboard(text)
	case key.Matches(k, m.keys.Save):
		path := m.s.PlanPath
		if path == "" {
			path = "esmigrate-plan.yaml"
		}
		data := m.s.Plan.YAML()
		return ioCmd(func() tea.Msg {
			name, err := saveNew(path, data)
			return savedMsg{path: name, err: err}
		})
	case key.Matches(k, m.keys.Start):
		if m.list.passable() {
			if m.list.acked {
				m.s.AcceptWarns = true
			}
			m.asking = true
		}
	}
	return nil
}

func (m *reviewScreen) SetSize(w, h int) { m.w, m.h = w, h; m.render() }

// content is the whole text of the review, scrolled as one.
func (m *reviewScreen) content() []string {
	st := m.c.Styles
	p := m.s.Plan
	var out []string
	add := func(s string) { out = append(out, strings.Split(wrap(s, m.w), "\n")...) }
	out = append(out, st.Header.Render(m.c.T("rv.plan")))
	var total int64
	n := 0
	for _, b := range m.s.Batches {
		total += b.PrimaryBytes
		n += len(b.Indices)
	}
	add(m.c.T("rv.p.clusters", n, steps.HumanBytes(total), clusterName(m.s.Src, p.Source.URL), clusterName(m.s.Dst, p.Target.URL)))
	how := m.c.T("rv.p.shared")
	if !p.Repository.Shared {
		how = m.c.T("rv.p.copy", p.TargetLocalPath())
	}
	add(m.c.T("rv.p.repo", p.Repository.Name, p.Repository.SourceLocation, how))
	add(m.c.T("rv.p.batches", len(m.s.Batches)))
	for _, b := range m.s.Batches {
		add(m.c.T("rv.p.batch", b.Number, len(b.Indices), steps.HumanBytes(b.PrimaryBytes), strings.Join(b.Names(), ", ")))
	}
	if r := p.Restore; r.RenamePattern != "" && len(m.s.Batches) > 0 && len(m.s.Batches[0].Indices) > 0 {
		ex := m.s.Batches[0].Indices[0].Name
		add(m.c.T("rv.p.rename", r.RenamePattern, r.RenameReplacement, ex, steps.TargetName(ex, r)))
	}
	add(m.c.T("rv.p.state", p.StateFile, p.ReportDir))
	out = append(out, "", st.Header.Render(m.c.T("rv.conflicts")))
	if !m.list.running && len(m.list.checks) == 0 && m.list.err == nil {
		out = append(out, m.c.T("rv.noconflict"))
	}
	if len(m.list.checks) > 0 || m.list.running {
		m.list.cursor = -1 // no cursor: the review scrolls as a whole
		text := m.list.render(m.c, m.w, 1000)
		m.list.cursor = 0
		out = append(out, strings.Split(text, "\n")...)
	}
	out = append(out, "", st.Header.Render(m.c.T("rv.requests")))
	if m.reqErr != nil {
		add(m.c.T("misc.error", m.reqErr.Error()))
	}
	for _, r := range m.requests {
		out = append(out, st.Subtle.Render("# "+r.What))
		for _, l := range strings.Split(r.Curl, "\n") {
			out = append(out, strings.Split(wrap(l, m.w), "\n")...)
		}
	}
	return out
}

func clusterName(s steps.ClusterSummary, url string) string {
	if s.Info.ClusterName == "" {
		return url
	}
	return s.Info.ClusterName + " (" + url + ")"
}

func (m *reviewScreen) render() {
	st := m.c.Styles
	lines := m.content()
	var foot []string
	switch {
	case m.asking:
		foot = append(foot, st.Warn.Render(fit(m.c.T("rv.confirm"), m.w, m.c.Glyphs.Ellipsis)))
	default:
		foot = append(foot, fit(m.list.status(m.c, "rv.blocked", "rv.needack", "rv.ready"), m.w, m.c.Glyphs.Ellipsis))
	}
	if m.msg != "" {
		foot = append(foot, flash(m.c, fit(m.msg, m.w, m.c.Glyphs.Ellipsis), m.msgErr))
	}
	h := max(m.h-len(foot), 1)
	m.off = min(m.off, max(len(lines)-h, 0))
	end := min(m.off+h, len(lines))
	m.view = padLines(clip(strings.Join(lines[m.off:end], "\n"), m.w, h), h) + "\n" + strings.Join(foot, "\n")
}

func (m *reviewScreen) ShortHelp() []key.Binding {
	if m.asking {
		return []key.Binding{m.keys.Yes, m.keys.No}
	}
	b := []key.Binding{m.keys.Start, m.keys.PgDown, m.keys.Copy, m.keys.Save}
	if _, warn, _ := m.list.counts(); warn > 0 && !m.list.acked {
		b = append([]key.Binding{m.keys.Ack}, b...)
	}
	return append(b, m.c.Keys.Back)
}

func (m *reviewScreen) FullHelp() [][]key.Binding {
	return [][]key.Binding{{m.keys.Up, m.keys.Down, m.keys.PgUp, m.keys.PgDown}, {m.keys.Ack, m.keys.Copy, m.keys.Save, m.keys.Start}}
}
func (m *reviewScreen) CanGoBack() bool { return !m.asking }
func (m *reviewScreen) Capturing() bool { return false }
