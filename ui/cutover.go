package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/common"
	"github.com/esmigrate/esmigrate/ui/components/typedconfirm"
)

// cutoverScreen: the cut-over of a live migration (steps/cutover.go). Before: a checklist (the catch-up's
// estimate against the threshold, the source indices to block, the aliases, how to roll back) and the typed
// confirmation, the source cluster's name. During: the write freeze's timer, live, and the cut-over's steps.
// After: the freeze measured, content verification, and the rollback. When the state file says a cut-over
// runs (the block may be on), the wizard starts here.
type cutoverScreen struct {
	liveBase // confirm: the source cluster's name, typed to start the cut-over

	cut      *steps.CutoverState // the cut-over as the engine last said (nil: none)
	rep      *steps.Report
	now      time.Time
	askBack  bool // rollback asked, y/n
	steps    []string
	rolled   bool
	lastStep string
}

// freezeTickMsg moves the freeze timer on while a cut-over runs.
type freezeTickMsg struct{ seq int }

func freezeTick(seq int) tea.Cmd {
	return tea.Tick(100*time.Millisecond, func(time.Time) tea.Msg { return freezeTickMsg{seq} })
}

// rollbackMsg: the rollback ended.
type rollbackMsg struct {
	seq int
	cut *steps.CutoverState
	err error
}

func newCutover(c *Common, s *Session, be Backend) *cutoverScreen {
	return &cutoverScreen{liveBase: newLiveBase(c, s, be)}
}

func (m *cutoverScreen) Enter() tea.Cmd {
	m.now = m.c.Now()
	if m.running {
		m.render()
		return nil
	}
	cmd := m.loadStatus()
	m.render()
	return cmd
}

// active: the state says a cut-over runs (the block may be on): it is continued, not confirmed again.
func (m *cutoverScreen) active() bool { return m.cut != nil && m.cut.Active() && !m.running }

// start runs the cut-over (or continues the one that runs) with what the operator typed.
func (m *cutoverScreen) start(confirm string) tea.Cmd {
	seq, ctx := m.begin()
	m.rep, m.steps, m.rolled = nil, nil, false
	m.now = m.c.Now()
	p, creds, be := m.s.Plan, m.s.Creds, m.be
	m.render()
	return tea.Batch(m.startWork(seq, func(emit func(steps.Event)) (any, error) {
		return be.Cutover(ctx, p, creds, steps.CutoverOptions{Confirm: confirm}, emit)
	}), freezeTick(seq))
}

func (m *cutoverScreen) rollback() tea.Cmd {
	m.seq = common.NewID()
	seq := m.seq
	m.running, m.err, m.msg = true, nil, m.c.T("co.rollingback")
	p, creds, be := m.s.Plan, m.s.Creds, m.be
	return ioTimeout(m.c.Ctx, 10*time.Minute, func(ctx context.Context) tea.Msg {
		cut, err := be.Rollback(ctx, p, creds, nil)
		return rollbackMsg{seq: seq, cut: cut, err: err}
	})
}

func (m *cutoverScreen) apply(e steps.Event) {
	if e.Live != nil {
		m.st = e.Live
		if e.Live.Cutover != nil {
			m.cut = e.Live.Cutover
		}
	}
	if e.Phase != steps.PhaseCutover && e.Round == 0 || e.Kind == steps.KindProgress {
		if e.Round > 0 && e.Kind == steps.KindProgress && e.Index == "" {
			m.lastStep = m.c.T("co.round", m.c.T("run.phase."+string(e.Phase)), fmt.Sprintf("%.0f%%", 100*e.Fraction()))
		}
		return
	}
	if e.Kind == steps.KindLog || e.Kind == steps.KindError {
		m.steps = append(m.steps, m.c.ASCII(e.Time.Format("15:04:05")+" "+m.c.Text(e.MessageText())))
		if len(m.steps) > 100 {
			m.steps = m.steps[len(m.steps)-100:]
		}
	}
}

func (m *cutoverScreen) Update(msg tea.Msg) tea.Cmd {
	defer m.render()
	km := m.c.Keys
	switch msg := msg.(type) {
	case liveStatusMsg:
		if !m.tookStatus(msg) {
			return nil
		}
		if msg.st != nil {
			m.cut = msg.st.Cutover
		}
		if m.active() {
			// The block may be on: the timer runs from the state's block time.
			return freezeTick(m.seq)
		}
		return nil
	case freezeTickMsg:
		if msg.seq != m.seq || !(m.running || m.active()) {
			return nil
		}
		m.now = m.c.Now()
		return freezeTick(msg.seq)
	case common.StreamMsg:
		if next, ended := msg.Follow(m.seq, m.apply); !ended {
			return next
		}
		m.running, m.lastStep = false, ""
		m.now = m.c.Now()
		if rep, ok := msg.Result.(*steps.Report); ok && rep != nil {
			m.rep = rep
			m.s.Report = rep
			if rep.Live != nil && rep.Live.Cutover != nil {
				m.cut = rep.Live.Cutover
			}
		}
		m.err = msg.Err
		return nil
	case rollbackMsg:
		if msg.seq != m.seq {
			return nil
		}
		m.running, m.msg = false, ""
		m.err = msg.err
		if msg.cut != nil {
			m.cut = msg.cut
		}
		m.rolled = msg.err == nil
		return nil
	case tea.KeyPressMsg:
		if m.askBack {
			m.askBack = false
			if key.Matches(msg, km.Yes) {
				return m.rollback()
			}
			return nil
		}
		if m.confirm.Asking() {
			switch out, typed, cmd := m.confirm.Update(msg, km, m.word()); out {
			case typedconfirm.Typing:
				return cmd
			case typedconfirm.Mismatched:
				m.msg, m.msgErr = m.c.T("co.mismatch", typed, m.word()), true
			case typedconfirm.Confirmed:
				return m.start(typed)
			}
			return nil
		}
		if m.running {
			if key.Matches(msg, km.Stop) && m.stop() {
				m.msg, m.msgErr = m.c.T("co.stopping", m.s.Plan.StateFile), true
			}
			return nil
		}
		switch {
		case key.Matches(msg, km.Rollback) && m.cut != nil && !m.cut.RolledBack:
			m.askBack = true
		case key.Matches(msg, km.Finish) && m.cut.Done():
			return quitWith(nil)
		case key.Matches(msg, km.Next) && m.active():
			return m.start("")
		case key.Matches(msg, km.Next) && m.st != nil && (m.cut == nil || m.cut.RolledBack):
			m.msg = ""
			return m.confirm.Ask()
		}
	}
	return nil
}

// word is what the operator types to confirm: the source cluster's name.
func (m *cutoverScreen) word() string {
	if m.st != nil && m.st.Source != "" {
		return m.st.Source
	}
	return m.s.Src.Info.ClusterName
}

func (m *cutoverScreen) SetSize(w, h int) {
	m.w, m.h = w, h
	m.confirm.SetWidth(max(w-4, 10))
	m.render()
}

// checkLines is one item of the checklist: its status and title, wrapped, then why it matters (dimmed).
func (m *cutoverScreen) checkLines(ch steps.Check) []string {
	st, g := m.c.Styles, m.c.Glyphs
	glyph, style := st.OK.Render(g.CheckOK), st.OK
	if ch.Status == steps.Warn {
		glyph, style = st.Warn.Render(g.CheckWarn), st.Warn
	}
	indent := strings.Repeat(" ", common.Width(g.CheckOK)+1)
	var out []string
	for i, l := range strings.Split(common.Wrap(ch.TitleIn(m.c.L), m.w-len(indent)), "\n") {
		prefix := indent
		if i == 0 {
			prefix = glyph + " "
		}
		out = append(out, prefix+style.Render(l))
	}
	if note := m.c.Text(ch.EvidenceText()); note != "" {
		for _, l := range strings.Split(common.Wrap(note, m.w-len(indent)), "\n") {
			out = append(out, indent+st.Subtle.Render(l))
		}
	}
	return out
}

// checks are the checklist before the confirmation, as check lines (the engine's state, in the wizard's words).
func (m *cutoverScreen) checks() []steps.Check {
	ls := m.st
	var out []steps.Check
	add := func(status steps.Status, title i18n.Msg, evidence i18n.Msg) {
		out = append(out, steps.Check{Status: status, Title: title.String(), TitleMsg: title, EvidenceMsg: evidence, Evidence: evidence.String()})
	}
	add(steps.OK, i18n.M("co.ck.firstpass", ls.Indices), i18n.Msg{})
	switch {
	case len(ls.Changed) == 0:
		add(steps.OK, i18n.M("co.ck.uptodate"), i18n.Msg{})
	case !ls.Estimated:
		add(steps.Warn, i18n.M("co.ck.noround", len(ls.Changed)), i18n.M("co.ck.noround.why"))
	case ls.Ready:
		add(steps.OK, i18n.M("co.ck.estimate", fmtDur(ls.NextEstimate), common.Duration(ls.Threshold)), i18n.Msg{})
	default:
		add(steps.Warn, i18n.M("co.ck.over", fmtDur(ls.NextEstimate), common.Duration(ls.Threshold)), i18n.M("co.ck.over.why"))
	}
	add(steps.OK, i18n.M("co.ck.block", ls.Indices, ls.Source), i18n.M("co.ck.block.why"))
	if len(m.s.Plan.Live.Aliases) == 0 {
		add(steps.OK, i18n.M("co.ck.noaliases"), i18n.Msg{})
	}
	for _, a := range sortedAliases(m.s.Plan.Live.Aliases) {
		add(steps.OK, i18n.M("co.ck.alias", a[0], a[1]), i18n.Msg{})
	}
	add(steps.OK, i18n.M("co.ck.content"), i18n.Msg{})
	add(steps.OK, i18n.M("co.ck.rollback", ls.StateFile), i18n.Msg{})
	return out
}

func sortedAliases(m map[string]string) [][2]string {
	var out [][2]string
	for a, ix := range m {
		out = append(out, [2]string{a, ix})
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j][0] < out[i][0] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func (m *cutoverScreen) render() {
	st := m.c.Styles
	wrap := func(s string, style func(...string) string) []string { return common.WrapLines(s, m.w, style) }
	lines, more := m.head("co.title")
	switch {
	case !more:
	case m.running || m.cut != nil && !m.cut.RolledBack && !m.cut.BlockRequestedAt.IsZero():
		lines = append(lines, m.freezeLines()...)
	default:
		if m.rolled {
			lines = append(lines, wrap(m.c.T("co.rolledback"), st.OK.Render)...)
		}
		for _, ch := range m.checks() {
			lines = append(lines, m.checkLines(ch)...)
		}
		lines = append(lines, "")
		lines = append(lines, wrap(m.c.T("co.type", m.word(), m.st.Indices), st.Warn.Render)...)
		if m.confirm.Asking() {
			lines = append(lines, m.confirm.View())
		}
	}
	if m.err != nil && m.st != nil {
		lines = append(lines, wrap(m.c.T("co.failed", m.c.Err(m.err)), st.Error.Render)...)
	}
	if m.askBack {
		lines = append(lines, wrap(m.c.T("co.askrollback"), st.Warn.Render)...)
	}
	lines = append(lines, m.flash()...)
	if len(lines) > m.h {
		// The newest lines matter most (the timer stays at the top).
		head := 3
		lines = append(lines[:head], lines[len(lines)-(m.h-head):]...)
	}
	m.view = strings.Join(lines, "\n")
}

// freezeLines: the freeze's timer (live while it runs), what the cut-over did, and what comes next.
func (m *cutoverScreen) freezeLines() []string {
	st, g := m.c.Styles, m.c.Glyphs
	c := m.cut
	var out []string
	wrap := func(s string, style func(...string) string) { out = append(out, common.WrapLines(s, m.w, style)...) }
	freeze := time.Duration(0)
	if c != nil {
		freeze = c.FreezeSoFar(m.now)
	}
	switch {
	case c == nil || c.BlockRequestedAt.IsZero():
		wrap(m.c.T("co.blocking"), st.Warn.Render)
	case c.FreezeEnd.IsZero():
		wrap(m.c.T("co.freeze.live", fmtClock(freeze), len(c.Indices)), st.Error.Render)
	default:
		wrap(m.c.T("co.freeze.over", fmtClock(freeze)), st.OK.Render)
	}
	if c != nil {
		mark := func(done bool, key string, args ...any) {
			glyph := g.Pending
			style := st.Subtle
			if done {
				glyph, style = g.OK, st.OK
			}
			out = append(out, style.Render(common.Fit(glyph+" "+m.c.T(key, args...), m.w, g.Ellipsis)))
		}
		mark(!c.BlockSetAt.IsZero(), "co.s.block", len(c.Indices))
		mark(c.Phase != steps.CutoverBlock && c.Phase != steps.CutoverRound, "co.s.round")
		mark(c.SeqNoVerified > 0, "co.s.verify", c.SeqNoVerified, len(c.Indices))
		mark(!c.FreezeEnd.IsZero(), "co.s.aliases", len(c.Aliases))
		mark(c.Content != nil, "co.s.content")
		if m.lastStep != "" && m.running {
			out = append(out, st.Bold.Render(common.Fit(g.Run+" "+m.lastStep, m.w, g.Ellipsis)))
		}
	}
	switch {
	case m.running:
	case c != nil && c.Done():
		if ct := c.Content; ct != nil {
			style := st.OK.Render
			if ct.Differences > 0 || ct.Verified < ct.Indices {
				style = st.Error.Render
			}
			wrap(m.c.T("co.content", ct.Verified, ct.Indices, ct.Differences), style)
		}
		wrap(m.c.T("co.done", m.s.Plan.StateFile), st.Warn.Render)
	case m.active():
		since := c.BlockRequestedAt.In(m.c.Now().Location()).Format("15:04:05")
		wrap(m.c.T("co.active", len(c.Indices), since, steps.CutoverPhaseMsg(c.Phase)), st.Error.Render)
	}
	if n := len(m.steps); n > 0 {
		for _, l := range m.steps[max(n-4, 0):] {
			out = append(out, st.Subtle.Render(common.Fit(l, m.w, g.Ellipsis)))
		}
	}
	return out
}

// fmtClock writes the freeze as a timer: 00:03.4, 1:02:03.4.
func fmtClock(d time.Duration) string {
	d = d.Round(100 * time.Millisecond)
	h, mi := int(d.Hours()), int(d.Minutes())%60
	s := d.Seconds() - float64(int(d.Minutes())*60)
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%04.1f", h, mi, s)
	}
	return fmt.Sprintf("%02d:%04.1f", mi, s)
}

func (m *cutoverScreen) ShortHelp() []key.Binding {
	km := m.c.Keys
	switch {
	case m.confirm.Asking():
		return []key.Binding{km.Confirm, km.Cancel}
	case m.askBack:
		return []key.Binding{km.Yes, km.No}
	case m.running:
		return []key.Binding{km.Stop}
	case m.cut.Done():
		return []key.Binding{km.Finish, km.Rollback}
	case m.active():
		return []key.Binding{km.Next, km.Rollback}
	}
	return []key.Binding{km.Next, km.Back}
}

func (m *cutoverScreen) FullHelp() [][]key.Binding {
	km := m.c.Keys
	return [][]key.Binding{{km.Next, km.Stop}, {km.Rollback, km.Finish}}
}

func (m *cutoverScreen) CanGoBack() bool {
	return !m.running && !m.confirm.Asking() && !m.askBack && (m.cut == nil || m.cut.RolledBack)
}
func (m *cutoverScreen) Capturing() bool { return m.confirm.Asking() }
