package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/common"
	"github.com/esmigrate/esmigrate/ui/components/typedconfirm"
)

// reportScreen: the verification table, the report files and the final clean-up.
type reportScreen struct {
	screenBase

	off      int
	choose   [3]bool // snapshots, copied files, repositories
	confirm  []int   // choices still to confirm, in order
	input    typedconfirm.Model
	cleaning bool
	msg      string
	msgErr   bool
	seq      int
	looked   bool // the report files of a finished migration were looked for
}

// reportFilesMsg: where a finished migration's report files are (found in its report directory).
type reportFilesMsg struct{ markdown, json string }

func newReport(c *Common, s *Session, be Backend) *reportScreen {
	m := &reportScreen{screenBase: screenBase{c: c, s: s, be: be}}
	m.input = typedconfirm.New()
	return m
}

func (m *reportScreen) Enter() tea.Cmd {
	m.render()
	if r := m.s.Report; r != nil && r.JSON == "" && m.earlier() && !m.looked {
		m.looked = true
		dir, saved := m.s.Plan.ReportDir, m.s.Prev.Updated
		return ioCmd(func() tea.Msg { return findReports(dir, saved) })
	}
	return nil
}

// liveReady: the first pass is over and something is on the target: catch-up rounds can follow (a live
// migration), from the migration's state file.
func (m *reportScreen) liveReady() bool {
	r := m.s.Report
	return r != nil && r.Finished && r.Verified+r.Changed > 0 && m.s.Plan.StateFile != ""
}

// earlier: the report is of a migration that had finished before the wizard started (its state file).
func (m *reportScreen) earlier() bool { return m.s.Prev != nil && m.s.Prev.Finished }

// findReports finds the report files a run wrote into dir last before its state was saved at saved (their
// names carry the time they were written, in UTC).
func findReports(dir string, saved time.Time) reportFilesMsg {
	if dir == "" {
		dir = "."
	}
	names, _ := filepath.Glob(filepath.Join(dir, "esmigrate-report-*.json"))
	limit := saved.UTC().Format("20060102-150405")
	best := ""
	for _, n := range names {
		stamp := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(n), "esmigrate-report-"), ".json")
		if stamp <= limit && stamp > best {
			best = stamp
		}
	}
	if best == "" {
		return reportFilesMsg{}
	}
	base := filepath.Join(dir, "esmigrate-report-"+best)
	md := base + ".md"
	if _, err := os.Stat(md); err != nil {
		md = ""
	}
	return reportFilesMsg{markdown: md, json: base + ".json"}
}

// confirmWord is what the operator types to confirm choice i.
func (m *reportScreen) confirmWord(i int) string {
	if i == 1 {
		return filepath.Base(filepath.Clean(m.s.Plan.TargetLocalPath()))
	}
	return m.s.Plan.Repository.Name
}

func (m *reportScreen) choiceText(i int) string {
	switch i {
	case 0:
		return m.c.T("rep.c.snapshots")
	case 1:
		return m.c.T("rep.c.files", m.s.Plan.TargetLocalPath())
	}
	return m.c.T("rep.c.repos")
}

type cleanupMsg struct {
	seq int
	err error
}

func (m *reportScreen) Update(msg tea.Msg) tea.Cmd {
	defer m.render()
	switch msg := msg.(type) {
	case reportFilesMsg:
		if m.s.Report != nil {
			m.s.Report.Markdown, m.s.Report.JSON = msg.markdown, msg.json
		}
		return nil
	case cleanupMsg:
		if msg.seq != m.seq {
			return nil
		}
		m.cleaning = false
		if msg.err != nil {
			m.msg, m.msgErr = m.c.T("rep.c.failed", m.c.Err(msg.err)), true
			return nil
		}
		var done []string
		for i, ch := range m.choose {
			if ch {
				done = append(done, m.choiceText(i))
			}
		}
		m.msg, m.msgErr = m.c.T("rep.c.done", strings.Join(done, "; ")), false
		m.choose = [3]bool{}
		return nil
	case tea.KeyPressMsg:
		km := m.c.Keys
		if len(m.confirm) > 0 {
			want := m.confirmWord(m.confirm[0])
			out, _, cmd := m.input.Update(msg, km, want)
			switch out {
			case typedconfirm.Typing:
				return cmd
			case typedconfirm.Cancelled:
				m.confirm = nil
			case typedconfirm.Mismatched:
				m.msg, m.msgErr = m.c.T("rep.c.mismatch", want), true
				m.confirm = nil
			case typedconfirm.Confirmed:
				if m.confirm = m.confirm[1:]; len(m.confirm) > 0 {
					return m.input.Ask() // the next choice's name
				}
				return m.cleanup()
			}
			return nil
		}
		if m.cleaning {
			return nil
		}
		switch {
		case key.Matches(msg, km.Finish):
			return quitWith(nil)
		case key.Matches(msg, km.New) && m.earlier():
			return goTo(scrResume)
		case key.Matches(msg, km.Live) && m.liveReady():
			return goTo(scrCatchUp)
		case key.Matches(msg, km.Up):
			m.off = max(m.off-1, 0)
		case key.Matches(msg, km.Down):
			m.off++
		case key.Matches(msg, km.CleanSnapshots):
			m.choose[0] = !m.choose[0]
		case key.Matches(msg, km.CleanFiles) && !m.s.Plan.Repository.Shared:
			m.choose[1] = !m.choose[1]
		case key.Matches(msg, km.CleanRepos):
			m.choose[2] = !m.choose[2]
		case key.Matches(msg, km.Clean):
			m.confirm = nil
			for i, ch := range m.choose {
				if ch {
					m.confirm = append(m.confirm, i)
				}
			}
			if len(m.confirm) == 0 {
				m.msg, m.msgErr = m.c.T("rep.c.none"), true
				return nil
			}
			m.msg = ""
			return m.input.Ask()
		}
	}
	return nil
}

func (m *reportScreen) cleanup() tea.Cmd {
	m.seq++
	seq := m.seq
	m.cleaning = true
	m.msg, m.msgErr = m.c.T("rep.c.running"), false
	o := steps.CleanupOptions{DeleteSnapshots: m.choose[0], DeleteCopiedFiles: m.choose[1], UnregisterRepositories: m.choose[2]}
	p, creds, be, ctx := m.s.Plan, m.s.Creds, m.be, m.c.Ctx
	return ioTimeout(ctx, 10*time.Minute, func(ctx context.Context) tea.Msg {
		return cleanupMsg{seq: seq, err: be.Cleanup(ctx, p, creds, o, o.DeleteCopiedFiles, nil)}
	})
}

func (m *reportScreen) SetSize(w, h int) { m.w, m.h = w, h; m.render() }

func (m *reportScreen) render() {
	st, g := m.c.Styles, m.c.Glyphs
	r := m.s.Report
	if r == nil {
		m.view = m.c.T("misc.loading")
		return
	}
	var top, bottom []string
	if m.earlier() {
		saved := m.s.Prev.Updated.In(m.c.Now().Location()).Format("2006-01-02 15:04:05")
		top = append(top, common.WrapLines(m.c.T("rep.earlier", m.s.Plan.StateFile, saved), m.w, st.OK.Render)...)
	}
	top = append(top, st.Bold.Render(m.c.T("rep.result", r.Verified, r.Mismatched, r.Failed, r.Pending, r.Batches)))
	if r.Changed+r.Unverified > 0 {
		top = append(top, common.WrapLines(m.c.T("rep.result2", r.Changed, r.Unverified), m.w, st.Error.Render)...)
	}
	cols := m.columns(r)
	top = append(top, st.Header.Render(cols.header(m.c)))

	switch {
	case r.JSON != "" && r.Markdown == "":
		bottom = append(bottom, common.Wrap(m.c.T("rep.files1", r.JSON), m.w))
	case r.JSON != "":
		bottom = append(bottom, common.Wrap(m.c.T("rep.files", r.Markdown, r.JSON), m.w))
	default:
		bottom = append(bottom, m.c.T("rep.nofiles"))
	}
	if r.Pending > 0 {
		bottom = append(bottom, st.Warn.Render(m.c.T("rep.resume", m.s.Plan.StateFile)))
	}
	bottom = append(bottom, st.Bold.Render(m.c.T("rep.cleanup")))
	for i := 0; i < 3; i++ {
		if i == 1 && m.s.Plan.Repository.Shared {
			continue
		}
		box := g.Uncheck
		if m.choose[i] {
			box = g.Check
		}
		bottom = append(bottom, common.Fit(fmt.Sprintf(" %d %s %s", i+1, box, m.choiceText(i)), m.w, g.Ellipsis))
	}
	if len(m.confirm) > 0 {
		i := m.confirm[0]
		bottom = append(bottom, st.Warn.Render(common.Wrap(m.c.T("rep.c.type", m.confirmWord(i), m.choiceText(i)), m.w)), m.input.View())
	}
	if m.msg != "" {
		bottom = append(bottom, m.c.Flash(common.Wrap(m.msg, m.w), m.msgErr))
	}

	bottom = strings.Split(strings.Join(bottom, "\n"), "\n")
	m.view, m.off = common.Scrolled(top, len(r.Rows), func(i int) string { return cols.row(m.c, r.Rows[i]) }, bottom, m.h, m.off)
}

// reportColumns are the widths of the report's table, from its labels in the wizard's language and its values:
// the documents as "source → target" with both numbers right-aligned, so that the arrows of every row align.
type reportColumns struct{ name, src, dst, size, time, result int }

func (m *reportScreen) columns(r *steps.Report) reportColumns {
	c := m.c
	cols := reportColumns{src: common.Width(c.T("rep.col.src")), dst: common.Width(c.T("rep.col.dst")),
		size: max(common.Width(c.T("rep.col.size")), 8), time: max(common.Width(c.T("rep.col.time")), 7),
		result: common.Width(c.T("rep.col.result"))}
	for _, row := range r.Rows {
		cols.src = max(cols.src, common.Width(common.HumanCount(row.SourceDocs)))
		cols.dst = max(cols.dst, common.Width(common.HumanCount(row.TargetDocs)))
		cols.result = max(cols.result, common.Width(resultText(c, row)))
	}
	arrow := common.Width(c.Glyphs.Arrow) + 2
	cols.name = max(m.w-cols.src-arrow-cols.dst-cols.size-cols.time-cols.result-4, 12)
	return cols
}

func (cols reportColumns) header(c *Common) string {
	arrow := strings.Repeat(" ", common.Width(c.Glyphs.Arrow)+2)
	return common.Fit(c.T("rep.col.index"), cols.name, c.Glyphs.Ellipsis) + " " + common.FitRight(c.T("rep.col.src"), cols.src) + arrow +
		common.FitRight(c.T("rep.col.dst"), cols.dst) + " " + common.FitRight(c.T("rep.col.size"), cols.size) + " " +
		common.FitRight(c.T("rep.col.time"), cols.time) + " " + common.Fit(c.T("rep.col.result"), cols.result, "")
}

// resultText is a row's result as the table shows it: its sign and word.
func resultText(c *Common, row steps.ReportRow) string {
	g := c.Glyphs
	res := c.T("rep.res." + row.Result)
	switch row.Result {
	case steps.ResultVerified:
		return g.OK + " " + res
	case steps.ResultMismatch, steps.ResultFailed, steps.ResultChanged, steps.ResultUnverified:
		return g.Fail + " " + res
	}
	return g.Warn + " " + res
}

func (cols reportColumns) row(c *Common, row steps.ReportRow) string {
	st, g := c.Styles, c.Glyphs
	var total time.Duration
	for _, d := range row.Times {
		total += d
	}
	rs := st.Warn
	switch row.Result {
	case steps.ResultVerified:
		rs = st.OK
	case steps.ResultMismatch, steps.ResultFailed, steps.ResultChanged, steps.ResultUnverified:
		rs = st.Error
	}
	name := c.ASCII(row.Index)
	if row.Target != "" && row.Target != row.Index {
		name += " " + g.Arrow + " " + c.ASCII(row.Target)
	}
	res := resultText(c, row)
	return common.Fit(name, cols.name, g.Ellipsis) + " " + common.FitRight(common.HumanCount(row.SourceDocs), cols.src) + " " + g.Arrow + " " +
		common.FitRight(common.HumanCount(row.TargetDocs), cols.dst) + " " + common.FitRight(steps.HumanBytes(row.PrimaryBytes), cols.size) + " " +
		common.FitRight(common.Duration(total), cols.time) + " " + rs.Render(common.Fit(res, cols.result, ""))
}

func (m *reportScreen) ShortHelp() []key.Binding {
	km := m.c.Keys
	if len(m.confirm) > 0 {
		return []key.Binding{km.Confirm, km.Cancel}
	}
	b := []key.Binding{km.Finish, km.CleanChoose, km.Clean, km.Down}
	if m.earlier() {
		b = append([]key.Binding{km.Finish, km.New}, b[1:]...)
	}
	if m.liveReady() {
		b = append([]key.Binding{b[0], km.Live}, b[1:]...)
	}
	return b
}

func (m *reportScreen) FullHelp() [][]key.Binding {
	km := m.c.Keys
	last := []key.Binding{km.Finish}
	if m.earlier() {
		last = append(last, km.New)
	}
	if m.liveReady() {
		last = append(last, km.Live)
	}
	return [][]key.Binding{{km.Up, km.Down}, {km.CleanSnapshots, km.CleanFiles, km.CleanRepos, km.Clean}, last}
}
func (m *reportScreen) CanGoBack() bool { return false }
func (m *reportScreen) Capturing() bool { return len(m.confirm) > 0 }
