package ui

import (
	"strconv"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/esmigrate/esmigrate/ui/common"
)

// screenID is a step of the wizard, in order.
type screenID int

const (
	scrConnect screenID = iota
	scrPreflight
	scrRepository
	scrIndices
	scrMetadata
	scrReview
	scrRun
	scrReport
	scrResume // the start screen of an unfinished migration: not one of the steps
	// A live migration after the report (not numbered steps either): catch-up rounds, then the cut-over.
	scrCatchUp
	scrCutover
	numScreens
)

// numSteps are the steps the header shows.
const numSteps = scrResume

// screen is one step. Screens are pointers changed only in Update; View returns what Update prepared.
type screen interface {
	// Enter is called each time the screen becomes the active one.
	Enter() tea.Cmd
	Update(msg tea.Msg) tea.Cmd
	View() string
	SetSize(w, h int)
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
	// CanGoBack tells whether esc may leave the screen backwards now (nothing running, nothing lost).
	CanGoBack() bool
	// Capturing tells whether the screen takes every key for a text field (then ? and q are typed, not keys:
	// f1 shows the help there).
	Capturing() bool
}

// Messages between screens and the root.
type (
	navMsg      struct{ to screenID }
	quitMsg     struct{ err error }
	askLeaveMsg struct{}
)

// LeaveMsg is how a served wizard (Session.Served) ends its operator's session: the wizard itself goes on in
// the server (esmigrate serve ends the SSH session that drives it).
type LeaveMsg struct{}

// askLeave asks the root to ask whether to leave (a served run's q).
func askLeave() tea.Msg { return askLeaveMsg{} }

func leave() tea.Msg { return LeaveMsg{} }

func goTo(s screenID) tea.Cmd    { return func() tea.Msg { return navMsg{s} } }
func quitWith(err error) tea.Cmd { return func() tea.Msg { return quitMsg{err} } }

// Model is the root: it owns the step order, the shared state, the help footer and the screens, routes
// global keys and forwards everything else to the active screen.
type Model struct {
	c        *Common
	s        *Session
	be       Backend
	screens  [numScreens]screen
	cur      screenID
	reached  screenID
	help     help.Model
	fullHelp bool
	askQuit  bool
	err      error // returned by Run
	view     string
}

// NewModel builds the wizard for a session.
func NewModel(c *Common, s *Session, be Backend) *Model {
	m := &Model{c: c, s: s, be: be, help: help.New()}
	m.help.Styles = c.Styles.Help
	if !c.Glyphs.UTF8 {
		m.help.Ellipsis = "..."
		m.help.ShortSeparator = " | "
		m.help.FullSeparator = "   "
	}
	m.screens = [numScreens]screen{
		newConnect(c, s, be),
		newPreflight(c, s, be),
		newRepository(c, s, be),
		newIndices(c, s, be),
		newMetadata(c, s, be),
		newReview(c, s, be),
		newRun(c, s, be),
		newReport(c, s, be),
		newResume(c, s, be),
		newCatchUp(c, s, be),
		newCutover(c, s, be),
	}
	m.cur = s.startScreen()
	m.layout()
	return m
}

// Err is how the wizard ended (nil, or a *steps.StoppedError when the operator stopped a run).
func (m *Model) Err() error { return m.err }

// Current is the active screen (tests).
func (m *Model) Current() screenID { return m.cur }

// Steps is how many steps the wizard has (the header shows them; esmigrate serve tells its watchers where the
// operator is among them).
const Steps = int(numSteps)

// Step is the step the wizard shows, 1 (connect) to Steps (report); 0 on the start screen of an unfinished
// migration.
func (m *Model) Step() int {
	if m.live() {
		return int(scrReport) + 1 // the live screens follow the report
	}
	if m.cur >= numSteps {
		return 0
	}
	return int(m.cur) + 1
}

// Init starts the first screen.
func (m *Model) Init() tea.Cmd {
	cmd := m.screens[m.cur].Enter()
	m.render()
	return cmd
}

// Update routes a message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	m.render()
	return m, cmd
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	scr := m.screens[m.cur]
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.Width, m.c.Height = msg.Width, msg.Height
		m.layout()
		return nil
	case navMsg:
		m.cur = msg.to
		if m.cur > m.reached {
			m.reached = m.cur
		}
		m.fullHelp = false
		m.layout()
		return m.screens[m.cur].Enter()
	case quitMsg:
		if m.s.Served {
			return leave
		}
		m.err = msg.err
		return tea.Quit
	case askLeaveMsg:
		m.askQuit = true
		return nil
	case tea.KeyPressMsg:
		if m.askQuit {
			switch msg.String() {
			case "y", "Y", "ctrl+c":
				m.askQuit = false
				if m.s.Served {
					return leave
				}
				return tea.Quit
			default:
				m.askQuit = false
				return nil
			}
		}
		km := m.c.Keys
		switch {
		case key.Matches(msg, km.Quit):
			if (m.cur == scrRun || m.cur == scrReport) && !m.s.Served {
				// The run screen explains what stopping means; the report screen quits.
				return scr.Update(msg)
			}
			m.askQuit = true
			return nil
		case key.Matches(msg, km.Redraw):
			return tea.ClearScreen
		case key.Matches(msg, km.HelpInField) || !scr.Capturing() && key.Matches(msg, km.Help):
			m.fullHelp = !m.fullHelp
			m.layout()
			return nil
		case m.fullHelp:
			// The help covers the screen: any other key closes it (and does nothing else).
			m.fullHelp = false
			m.layout()
			return nil
		case !scr.Capturing() && key.Matches(msg, km.Back) && scr.CanGoBack() && m.cur > 0:
			return goTo(m.previous())
		}
	}
	return scr.Update(msg)
}

// live tells whether the active screen is one of a live migration's (after the report).
func (m *Model) live() bool { return m.cur == scrCatchUp || m.cur == scrCutover }

// previous is the screen esc goes back to.
func (m *Model) previous() screenID {
	switch m.cur {
	case scrCatchUp:
		return scrReport
	case scrCutover:
		return scrCatchUp
	}
	return m.cur - 1
}

// chrome is the height of the header, the rule above the footer and the footer (one line, full help or not).
const chrome = 3

func (m *Model) layout() {
	w, h := m.c.Width, m.c.Height
	m.help.SetWidth(w)
	for _, s := range m.screens {
		s.SetSize(w, max(h-chrome, 1))
	}
}

func (m *Model) header() string {
	st := m.c.Styles
	title := st.Title.Render(m.c.T("app.title"))
	var parts, compact []string
	cur := m.cur
	switch {
	case m.live():
		cur = numSteps // every step done
	case cur >= numSteps:
		cur = -1 // before the first step
	}
	for i := scrConnect; i < numSteps; i++ {
		n := strconv.Itoa(int(i) + 1)
		name := m.c.T("step." + n)
		label := n + " " + name
		switch {
		case i == cur:
			parts = append(parts, st.StepActive.Render(label))
			compact = append(compact, st.StepActive.Render(label))
		case i < cur:
			parts = append(parts, st.StepDone.Render(label))
			compact = append(compact, st.StepDone.Render(n))
		default:
			parts = append(parts, st.Step.Render(label))
			compact = append(compact, st.Step.Render(n))
		}
	}
	sep := " " + m.c.Glyphs.Pointer + " "
	if m.live() {
		label := m.c.T("step.catchup")
		if m.cur == scrCutover {
			label = m.c.T("step.cutover")
		}
		parts = append(parts, st.StepActive.Render(label))
		compact = append(compact, st.StepActive.Render(label))
	}
	line := title + "  " + strings.Join(parts, st.Step.Render(sep))
	if common.Width(line) > m.c.Width {
		line = title + "  " + strings.Join(compact, " ")
	}
	return common.Fit(line, m.c.Width, "")
}

func (m *Model) footer() string {
	scr := m.screens[m.cur]
	if m.askQuit {
		ask := m.c.T("misc.quit.ask")
		if m.s.Served {
			ask = m.c.T("misc.leave.ask")
		}
		return m.c.Styles.Warn.Render(common.Fit(ask, m.c.Width, m.c.Glyphs.Ellipsis))
	}
	helpKey := m.c.Keys.Help
	if scr.Capturing() {
		helpKey = m.c.Keys.HelpInField // ? is typed into the field
	}
	if m.fullHelp {
		return m.help.ShortHelpView([]key.Binding{helpKey, m.c.Keys.Back})
	}
	// "? more keys" always shows: the screen's keys get the rest of the line.
	more := m.help.ShortHelpView([]key.Binding{helpKey})
	sep := m.help.Styles.ShortSeparator.Render(m.help.ShortSeparator)
	avail := max(m.c.Width-common.Width(more)-common.Width(sep), 10)
	h := m.help
	h.SetWidth(avail)
	left := h.ShortHelpView(scr.ShortHelp())
	if common.Width(left) > avail { // help adds an item that does not fit when its ellipsis would not fit either
		left = ansi.Truncate(left, avail, m.c.Glyphs.Ellipsis)
	}
	return left + sep + more
}

func (m *Model) render() {
	w, h := m.c.Width, m.c.Height
	if w < 80 || h < 24 {
		msg := common.Wrap(m.c.T("misc.toosmall", w, h), max(w, 10))
		m.view = common.PadLines(common.Clip(msg, max(w, 1), max(h, 1)), max(h, 1))
		return
	}
	bodyH := h - chrome
	var body string
	if m.fullHelp {
		scr := m.screens[m.cur]
		km := m.c.Keys
		helpKey := km.Help
		if scr.Capturing() {
			helpKey = km.HelpInField
		}
		groups := append(scr.FullHelp(), []key.Binding{km.Back, helpKey, km.Redraw, km.Quit})
		body = m.c.Styles.Bold.Render(m.c.T("help.title")) + "\n" + m.c.FullHelp(groups, w)
	} else {
		body = m.screens[m.cur].View()
	}
	body = common.PadLines(common.Clip(body, w, bodyH), bodyH)
	rule := m.c.Styles.Subtle.Render(strings.Repeat(m.c.Glyphs.Rule, w))
	m.view = m.header() + "\n" + body + "\n" + rule + "\n" + common.Clip(m.footer(), w, 1)
	if !m.c.Glyphs.UTF8 {
		// A terminal without UTF-8 gets nothing else, whatever a form, an engine message or an index name holds.
		m.view = common.ToASCII(m.view)
	}
}

// View shows what Update prepared.
func (m *Model) View() tea.View {
	v := tea.NewView(m.view)
	v.AltScreen = true
	v.WindowTitle = "esmigrate"
	return v
}

// Render is the current screen as text (golden files and tests).
func (m *Model) Render() string { return m.view }
