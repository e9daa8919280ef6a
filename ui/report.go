package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/esmigrate/esmigrate/steps"
)

// reportScreen: the verification table, the report files and the final clean-up.
type reportScreen struct {
	screenBase

	off      int
	choose   [3]bool // snapshots, copied files, repositories
	confirm  []int   // choices still to confirm, in order
	input    textinput.Model
	cleaning bool
	msg      string
	msgErr   bool
	seq      int
	looked   bool // the report files of a finished migration were looked for
	keys     struct{ Up, Down, One, Two, Three, Clean, Quit, Enter, Cancel, New key.Binding }
}

// reportFilesMsg: where a finished migration's report files are (found in its report directory).
type reportFilesMsg struct{ markdown, json string }

func newReport(c *Common, s *Session, be Backend) *reportScreen {
	m := &reportScreen{screenBase: screenBase{c: c, s: s, be: be}}
	m.keys.Up, m.keys.Down = upDown(c, "key.up", "key.down")
	m.keys.One = bind(c, "1", "1", "rep.c.snapshots")
	m.keys.Two = bind(c, "2", "2", "rep.c.files")
	m.keys.Three = bind(c, "3", "3", "rep.c.repos")
	m.keys.Clean = bind(c, "x", "x", "key.cleanup")
	m.keys.Quit = bind(c, "q ctrl+c", "q", "key.finish")
	m.keys.Enter = bind(c, "enter", "enter", "key.accept")
	m.keys.Cancel = bind(c, "esc", "esc", "key.cancel")
	m.keys.New = bind(c, "n", "n", "key.new")
	m.input = textinput.New()
	m.input.Prompt = "> "
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
			m.msg, m.msgErr = m.c.T("rep.c.failed", msg.err.Error()), true
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
		if len(m.confirm) > 0 {
			switch {
			case key.Matches(msg, m.keys.Cancel):
				m.confirm = nil
				m.input.Blur()
				return nil
			case key.Matches(msg, m.keys.Enter):
				want := m.confirmWord(m.confirm[0])
				if strings.TrimSpace(m.input.Value()) != want {
					m.msg, m.msgErr = m.c.T("rep.c.mismatch", want), true
					m.confirm = nil
					m.input.Blur()
					return nil
				}
				m.confirm = m.confirm[1:]
				m.input.SetValue("")
				if len(m.confirm) > 0 {
					return nil
				}
				m.input.Blur()
				return m.cleanup()
			}
			var cmd tea.Cmd
			m.input, cmd = m.input.Update(msg)
			return cmd
		}
		if m.cleaning {
			return nil
		}
		switch {
		case key.Matches(msg, m.keys.Quit):
			return quitWith(nil)
		case key.Matches(msg, m.keys.New) && m.earlier():
			return goTo(scrResume)
		case key.Matches(msg, m.keys.Up):
			m.off = max(m.off-1, 0)
		case key.Matches(msg, m.keys.Down):
			m.off++
		case key.Matches(msg, m.keys.One):
			m.choose[0] = !m.choose[0]
		case key.Matches(msg, m.keys.Two) && !m.s.Plan.Repository.Shared:
			m.choose[1] = !m.choose[1]
		case key.Matches(msg, m.keys.Three):
			m.choose[2] = !m.choose[2]
		case key.Matches(msg, m.keys.Clean):
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
			m.input.SetValue("")
			return m.input.Focus()
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
		top = append(top, strings.Split(st.OK.Render(wrap(m.c.T("rep.earlier", m.s.Plan.StateFile, saved), m.w)), "\n")...)
	}
	top = append(top, st.Bold.Render(m.c.T("rep.result", r.Verified, r.Mismatched, r.Failed, r.Pending, r.Batches)))
	// The table: Index | Docs src → dst | Size | Time | Result
	docsW, sizeW, timeW, resW := 22, 9, 8, 10
	nameW := max(m.w-docsW-sizeW-timeW-resW-5, 12)
	hdr := fit(m.c.T("rep.col.index"), nameW, g.Ellipsis) + " " + fitRight(m.c.T("rep.col.docs"), docsW) + " " +
		fitRight(m.c.T("rep.col.size"), sizeW) + " " + fitRight(m.c.T("rep.col.time"), timeW) + " " + fit(m.c.T("rep.col.result"), resW, "")
	top = append(top, st.Header.Render(hdr))

	switch {
	case r.JSON != "" && r.Markdown == "":
		bottom = append(bottom, wrap(m.c.T("rep.files1", r.JSON), m.w))
	case r.JSON != "":
		bottom = append(bottom, wrap(m.c.T("rep.files", r.Markdown, r.JSON), m.w))
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
		bottom = append(bottom, fit(fmt.Sprintf(" %d %s %s", i+1, box, m.choiceText(i)), m.w, g.Ellipsis))
	}
	if len(m.confirm) > 0 {
		i := m.confirm[0]
		bottom = append(bottom, st.Warn.Render(wrap(m.c.T("rep.c.type", m.confirmWord(i), m.choiceText(i)), m.w)), m.input.View())
	}
	if m.msg != "" {
		bottom = append(bottom, flash(m.c, wrap(m.msg, m.w), m.msgErr))
	}

	bottom = strings.Split(strings.Join(bottom, "\n"), "\n")
	rowsH := max(m.h-len(top)-len(bottom), 1)
	m.off = min(m.off, max(len(r.Rows)-rowsH, 0))
	var rows []string
	for i := m.off; i < len(r.Rows) && len(rows) < rowsH; i++ {
		row := r.Rows[i]
		var total time.Duration
		for _, d := range row.Times {
			total += d
		}
		res := m.c.T("rep.res." + row.Result)
		rs := st.Warn
		switch row.Result {
		case steps.ResultVerified:
			res, rs = g.OK+" "+res, st.OK
		case steps.ResultMismatch, steps.ResultFailed:
			res, rs = g.Fail+" "+res, st.Error
		}
		name := row.Index
		if row.Target != "" && row.Target != row.Index {
			name += " " + g.Arrow + " " + row.Target
		}
		docs := humanCount(row.SourceDocs) + " " + g.Arrow + " " + humanCount(row.TargetDocs)
		rows = append(rows, fit(name, nameW, g.Ellipsis)+" "+fitRight(docs, docsW)+" "+fitRight(steps.HumanBytes(row.PrimaryBytes), sizeW)+" "+
			fitRight(duration(total), timeW)+" "+rs.Render(fit(res, resW, "")))
	}
	m.view = strings.Join(top, "\n") + "\n" + padLines(strings.Join(rows, "\n"), rowsH) + "\n" + strings.Join(bottom, "\n")
}

func (m *reportScreen) ShortHelp() []key.Binding {
	if len(m.confirm) > 0 {
		return []key.Binding{m.keys.Enter, m.keys.Cancel}
	}
	b := []key.Binding{m.keys.Quit, bind(m.c, "1 2 3", "1/2/3", "key.toggle"), m.keys.Clean, m.keys.Down}
	if m.earlier() {
		b = append([]key.Binding{m.keys.Quit, m.keys.New}, b[1:]...)
	}
	return b
}

func (m *reportScreen) FullHelp() [][]key.Binding {
	last := []key.Binding{m.keys.Quit}
	if m.earlier() {
		last = append(last, m.keys.New)
	}
	return [][]key.Binding{{m.keys.Up, m.keys.Down}, {m.keys.One, m.keys.Two, m.keys.Three, m.keys.Clean}, last}
}
func (m *reportScreen) CanGoBack() bool { return false }
func (m *reportScreen) Capturing() bool { return len(m.confirm) > 0 }
