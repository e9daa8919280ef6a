package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/common"
	"github.com/esmigrate/esmigrate/ui/components/typedconfirm"
)

// catchUpScreen: a live migration's catch-up rounds (steps/catchup.go). It shows the migrated indices whose
// source changed since their snapshot with the operations they took, the rounds so far (time, what the snapshot
// wrote, what the restore reused) and the next round's estimate against the threshold; it runs one round, or
// rounds until the next is estimated under the threshold, and leads to the cut-over. After the report.
type catchUpScreen struct {
	liveBase // confirm: the target cluster's name, typed to allow delete + restore

	round    string // what the running round does now
	log      []string
	off      int
	allowDel bool
}

func newCatchUp(c *Common, s *Session, be Backend) *catchUpScreen {
	return &catchUpScreen{liveBase: newLiveBase(c, s, be)}
}

func (m *catchUpScreen) Enter() tea.Cmd {
	if m.running {
		m.render()
		return nil
	}
	return m.load()
}

// load reads where the live migration stands (a few reads on each cluster).
func (m *catchUpScreen) load() tea.Cmd {
	cmd := m.loadStatus()
	m.render()
	return cmd
}

// start runs catch-up rounds: one, or until the next is estimated under the threshold (rounds 0).
func (m *catchUpScreen) start(rounds int) tea.Cmd {
	seq, ctx := m.begin()
	m.round = ""
	p, creds, be, allow := m.s.Plan, m.s.Creds, m.be, m.allowDel
	m.addLog(m.c.T("cu.starting"))
	m.render()
	return m.startWork(seq, func(emit func(steps.Event)) (any, error) {
		return be.CatchUp(ctx, p, creds, steps.CatchUpOptions{Rounds: rounds}, allow, emit)
	})
}

func (m *catchUpScreen) addLog(line string) {
	m.log = append(m.log, line)
	if len(m.log) > 500 {
		m.log = m.log[len(m.log)-500:]
	}
}

func (m *catchUpScreen) apply(e steps.Event) {
	if e.Live != nil {
		m.st = e.Live
	}
	if e.Round > 0 && (e.Kind == steps.KindStart || e.Kind == steps.KindProgress) && e.Index == "" {
		m.round = m.c.T("run.round", e.Round) + " " + m.c.T("run.phase."+string(e.Phase))
		if e.Kind == steps.KindProgress {
			m.round += fmt.Sprintf(" %.0f%%", 100*e.Fraction())
		}
	}
	if e.Kind != steps.KindProgress {
		m.addLog(m.c.ASCII(e.Time.Format("15:04:05") + " " + e.Text(m.c.L)))
	}
}

func (m *catchUpScreen) Update(msg tea.Msg) tea.Cmd {
	defer m.render()
	km := m.c.Keys
	switch msg := msg.(type) {
	case liveStatusMsg:
		m.tookStatus(msg)
		return nil
	case common.StreamMsg:
		if next, ended := msg.Follow(m.seq, m.apply); !ended {
			return next
		}
		m.running, m.round = false, ""
		if st, ok := msg.Result.(*steps.LiveStatus); ok && st != nil {
			m.st = st
		}
		m.err = msg.Err
		return nil
	case tea.KeyPressMsg:
		if m.confirm.Asking() {
			switch out, typed, cmd := m.confirm.Update(msg, km, m.targetName()); out {
			case typedconfirm.Typing:
				return cmd
			case typedconfirm.Mismatched:
				m.msg, m.msgErr = m.c.T("cu.mismatch", typed, m.targetName()), true
			case typedconfirm.Confirmed:
				m.allowDel = true
				m.msg, m.msgErr = m.c.T("cu.allowed"), false
			}
			return nil
		}
		if m.running {
			if key.Matches(msg, km.Stop) && m.stop() {
				m.addLog(m.c.T("cu.stopping"))
			}
			return nil
		}
		switch {
		case key.Matches(msg, km.Round):
			return m.start(1)
		case key.Matches(msg, km.Rounds):
			return m.start(0)
		case key.Matches(msg, km.ToCutover):
			return goTo(scrCutover)
		case key.Matches(msg, km.AllowDelete) && !m.allowDel:
			m.msg = ""
			return m.confirm.Ask()
		case key.Matches(msg, km.Up):
			m.off = max(m.off-1, 0)
		case key.Matches(msg, km.Down):
			m.off++
		}
	}
	return nil
}

// targetName is what the operator types to allow deleting a target index the restore cannot go over.
func (m *catchUpScreen) targetName() string {
	if m.st != nil && m.st.Target != "" {
		return m.st.Target
	}
	return m.s.Dst.Info.ClusterName
}

func (m *catchUpScreen) SetSize(w, h int) { m.w, m.h = w, h; m.render() }

func (m *catchUpScreen) render() {
	st, g := m.c.Styles, m.c.Glyphs
	var bottom []string
	wrap := func(s string, style func(...string) string) []string { return common.WrapLines(s, m.w, style) }
	top, more := m.head("cu.title")
	if !more {
		m.view = strings.Join(top, "\n")
		return
	}
	ls := m.st
	top = append(top, wrap(m.c.T("cu.summary", len(ls.Changed), ls.Indices, common.Duration(ls.Threshold)), fmtPlain)...)

	// The changed indices: index → target, operations since the snapshot their target copy came from.
	cols := m.changedColumns(ls)
	top = append(top, st.Header.Render(common.Fit(m.c.T("cu.col.index"), cols[0], g.Ellipsis)+" "+
		common.FitRight(m.c.T("cu.col.ops"), cols[1])+" "+common.Fit(m.c.T("cu.col.since"), cols[2], "")))
	var rows []string
	for _, ci := range ls.Changed {
		name := m.c.ASCII(ci.Name)
		if ci.Target != ci.Name {
			name += " " + g.Arrow + " " + m.c.ASCII(ci.Target)
		}
		ops := common.HumanCount(ci.Ops)
		switch {
		case ci.Recreated:
			ops = m.c.T("cu.recreated")
		case ci.InFlight:
			ops = m.c.T("cu.inflight")
		}
		rows = append(rows, common.Fit(name, cols[0], g.Ellipsis)+" "+common.FitRight(ops, cols[1])+" "+common.Fit(m.c.ASCII(ci.Since), cols[2], g.Ellipsis))
	}
	if len(rows) == 0 {
		rows = append(rows, st.OK.Render(m.c.T("cu.nochange")))
	}
	for _, s := range ls.Skipped {
		rows = append(rows, st.Warn.Render(common.Fit(g.Warn+" "+m.c.ASCII(s.Index)+": "+m.c.Verbatim(s.Reason), m.w, g.Ellipsis)))
	}

	// The rounds so far, the last ones.
	bottom = append(bottom, st.Header.Render(m.roundLine(m.c.T("cu.col.round"), m.c.T("cu.col.time"), m.c.T("cu.col.wrote"), m.c.T("cu.col.reused"), m.c.T("cu.col.next"))))
	if len(ls.Rounds) == 0 {
		bottom = append(bottom, st.Subtle.Render(common.Fit(m.c.T("cu.norounds"), m.w, g.Ellipsis)))
	}
	from := max(len(ls.Rounds)-3, 0)
	for _, r := range ls.Rounds[from:] {
		name := fmt.Sprint(r.Number)
		if r.Final {
			name += " " + m.c.T("cu.final")
		}
		next := fmtDur(r.NextEstimate)
		if r.Final || r.Failed {
			next = "-"
		}
		line := m.roundLine(name, fmtDur(r.Duration), steps.HumanBytes(r.SnapshotBytes),
			steps.HumanBytes(r.ReusedBytes)+"/"+steps.HumanBytes(r.RestoredBytes), next)
		if r.Failed {
			line = st.Error.Render(line)
		}
		bottom = append(bottom, line)
	}
	// The next round and what to do.
	switch {
	case len(ls.Changed) == 0:
		bottom = append(bottom, wrap(m.c.T("cu.uptodate"), st.OK.Render)...)
	case !ls.Estimated:
		bottom = append(bottom, wrap(m.c.T("cu.noestimate"), fmtPlain)...)
	case ls.Ready:
		bottom = append(bottom, wrap(m.c.T("cu.ready", fmtDur(ls.NextEstimate), common.Duration(ls.Threshold)), st.OK.Render)...)
	case ls.Stalled:
		bottom = append(bottom, wrap(m.c.T("cu.stalled", fmtDur(ls.NextEstimate), common.Duration(ls.Threshold)), st.Warn.Render)...)
	default:
		bottom = append(bottom, wrap(m.c.T("cu.next", fmtDur(ls.NextEstimate), common.Duration(ls.Threshold)), st.Warn.Render)...)
	}
	if m.running {
		spin := m.round
		if spin == "" {
			spin = m.c.T("cu.running")
		}
		bottom = append(bottom, st.Bold.Render(common.Fit(g.Run+" "+spin, m.w, g.Ellipsis)))
		for _, l := range m.log[max(len(m.log)-2, 0):] {
			bottom = append(bottom, st.Subtle.Render(common.Fit(l, m.w, g.Ellipsis)))
		}
	}
	if m.allowDel {
		bottom = append(bottom, wrap(m.c.T("cu.allowed"), st.Warn.Render)...)
	}
	if m.confirm.Asking() {
		bottom = append(bottom, wrap(m.c.T("cu.confirmdelete", m.targetName()), st.Warn.Render)...)
		bottom = append(bottom, m.confirm.View())
	}
	if m.err != nil {
		bottom = append(bottom, wrap(m.c.T("cu.failed", m.c.Err(m.err)), st.Error.Render)...)
	}
	bottom = append(bottom, m.flash()...)
	m.view, m.off = common.Scrolled(top, len(rows), func(i int) string { return rows[i] }, bottom, m.h, m.off)
}

func fmtPlain(s ...string) string { return strings.Join(s, "") }

// fmtDur writes a round's time to a tenth of a second below a minute (a round of 4.1 s is not "4s").
func fmtDur(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return common.Duration(d)
}

// changedColumns are the widths of the changed-indices table: the name takes what the others leave.
func (m *catchUpScreen) changedColumns(ls *steps.LiveStatus) [3]int {
	ops := common.Width(m.c.T("cu.col.ops"))
	since := common.Width(m.c.T("cu.col.since"))
	for _, ci := range ls.Changed {
		ops = max(ops, common.Width(common.HumanCount(ci.Ops)), common.Width(m.c.T("cu.recreated")))
		since = max(since, common.Width(ci.Since))
	}
	since = min(since, max(m.w/3, 10))
	return [3]int{max(m.w-ops-since-2, 12), ops, since}
}

// roundLine is one row of the rounds table, at fixed widths.
func (m *catchUpScreen) roundLine(round, took, wrote, reused, next string) string {
	w := [5]int{max(common.Width(m.c.T("cu.col.round")), 14), max(common.Width(m.c.T("cu.col.time")), 8), max(common.Width(m.c.T("cu.col.wrote")), 10),
		max(common.Width(m.c.T("cu.col.reused")), 19), max(common.Width(m.c.T("cu.col.next")), 8)}
	return common.Fit(common.Fit(round, w[0], m.c.Glyphs.Ellipsis)+" "+common.FitRight(took, w[1])+" "+common.FitRight(wrote, w[2])+" "+
		common.FitRight(reused, w[3])+" "+common.FitRight(next, w[4]), m.w, m.c.Glyphs.Ellipsis)
}

func (m *catchUpScreen) ShortHelp() []key.Binding {
	km := m.c.Keys
	switch {
	case m.confirm.Asking():
		return []key.Binding{km.Confirm, km.Cancel}
	case m.running:
		return []key.Binding{km.Stop}
	}
	return []key.Binding{km.Round, km.Rounds, km.ToCutover, km.Back}
}

func (m *catchUpScreen) FullHelp() [][]key.Binding {
	km := m.c.Keys
	return [][]key.Binding{{km.Round, km.Rounds, km.Stop}, {km.ToCutover, km.AllowDelete}, {km.Up, km.Down}}
}

func (m *catchUpScreen) CanGoBack() bool { return !m.running && !m.confirm.Asking() }
func (m *catchUpScreen) Capturing() bool { return m.confirm.Asking() }
