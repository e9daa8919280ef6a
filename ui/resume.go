package ui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/common"
	"github.com/esmigrate/esmigrate/ui/components/typedconfirm"
)

// resumeScreen is the start screen when the state file holds a migration that has not finished: which one it
// is, and the choice to resume it (straight to the run, asking first for a password the plan needs and nobody
// gave) or to start over (nothing is deleted: another state file, or this one moved aside after a typed
// confirmation). It is not one of the seven steps.
type resumeScreen struct {
	screenBase

	fresh  steps.Plan // the plan and credentials for a new migration (flags, environment), for "start over"
	freshC steps.Credentials
	mode   resumeMode
	cursor int // 0 resume, 1 start over
	pw     []pwField
	pwi    int
	input  textinput.Model    // the confirmation of the move
	target typedconfirm.Model // the target cluster's name, for a target setting the state holds no confirmation of
	stamp  string             // when "start over" was chosen: names the moved file
	moving bool
	msg    string
	msgErr bool
}

type resumeMode int

const (
	rsChoose    resumeMode = iota // resume or start over
	rsPassword                    // the passwords the plan needs
	rsStartOver                   // another state file, or move this one aside
	rsTarget                      // the target cluster's name typed: the plan changes a target setting unconfirmed
)

// pwField asks for one cluster's password (masked).
type pwField struct {
	role, user string
	input      textinput.Model
}

// movedMsg: the state file was moved aside (or could not be).
type movedMsg struct {
	from, to string
	err      error
}

func newResume(c *Common, s *Session, be Backend) *resumeScreen {
	m := &resumeScreen{screenBase: screenBase{c: c, s: s, be: be}, fresh: s.Plan, freshC: s.Creds}
	m.input = newPrompt(false)
	m.target = typedconfirm.New()
	return m
}

// newPrompt is a one-line text field, masked for secrets.
func newPrompt(secret bool) textinput.Model {
	in := textinput.New()
	in.Prompt = "> "
	if secret {
		in.EchoMode = textinput.EchoPassword
		in.EchoCharacter = '*'
	}
	return in
}

// startScreen chooses the first screen for the state file read at start: the resume screen for an unfinished
// migration, the report of a finished one, else the connection. NewModel calls it once, before the program runs.
func (s *Session) startScreen() screenID {
	switch {
	case s.Prev == nil:
		return scrConnect
	case s.Prev.Live != nil && s.Prev.Live.Cutover.Active():
		// A cut-over runs: the write block may be on the source. It is said first, with continue and rollback.
		s.Plan, s.Creds = s.Prev.Plan, s.PrevCreds
		return scrCutover
	case s.Prev.Finished:
		s.Plan, s.Creds = s.Prev.Plan, s.PrevCreds // for the clean-up
		s.Report = steps.StateReport(s.Prev)
		return scrReport
	}
	return scrResume
}

func (m *resumeScreen) Enter() tea.Cmd {
	m.msg, m.msgErr = "", false
	if m.s.Prev != nil && m.s.Prev.Finished {
		// From the report of a finished migration: only "start over" makes sense.
		cmd := m.startOver()
		m.render()
		return cmd
	}
	m.mode = rsChoose
	if m.s.AutoResume {
		// esmigrate serve after its own restart: the migration goes on as `esmigrate resume` would, unless a
		// password is missing (then this screen asks the operator for it).
		m.s.AutoResume = false
		if _, _, unconfirmed := m.s.Prev.UnconfirmedTargetSetting(); len(m.missing()) == 0 && !unconfirmed {
			return m.resume()
		}
	}
	m.render()
	return nil
}

// missing lists the clusters whose user needs a password that neither flags, the environment nor a prompt gave.
func (m *resumeScreen) missing() []pwField {
	var out []pwField
	p, cr := m.s.Prev.Plan, m.s.PrevCreds
	if p.Source.Username != "" && cr.SourcePassword == "" && cr.SourceAPIKey == "" {
		out = append(out, pwField{role: "source", user: p.Source.Username, input: newPrompt(true)})
	}
	if p.Target.Username != "" && cr.TargetPassword == "" && cr.TargetAPIKey == "" {
		out = append(out, pwField{role: "target", user: p.Target.Username, input: newPrompt(true)})
	}
	return out
}

// choose acts on the highlighted choice.
func (m *resumeScreen) choose(i int) tea.Cmd {
	if i == 1 {
		return m.startOver()
	}
	if m.pw = m.missing(); len(m.pw) > 0 {
		m.mode, m.pwi = rsPassword, 0
		return m.pw[0].input.Focus()
	}
	return m.confirmOrResume()
}

// confirmOrResume resumes, or first asks for the target cluster's name when the state's plan changes a target
// setting and the state holds no confirmation of it (a state file written before the engine recorded one): the
// engine takes a recorded confirmation, and refuses the change without one.
func (m *resumeScreen) confirmOrResume() tea.Cmd {
	if _, _, ok := m.s.Prev.UnconfirmedTargetSetting(); ok && !m.s.TargetConfirmed {
		m.mode = rsTarget
		m.msg = ""
		return m.target.Ask()
	}
	return m.resume()
}

// targetName is the name the resume's confirmation of a target setting asks for: the target cluster's, as the
// state recorded it.
func (m *resumeScreen) targetName() string { return m.s.Prev.Target.Name }

func (m *resumeScreen) keyTarget(k tea.KeyPressMsg) tea.Cmd {
	out, typed, cmd := m.target.Update(k, m.c.Keys, m.targetName())
	switch out {
	case typedconfirm.Cancelled:
		m.mode = rsChoose
	case typedconfirm.Mismatched:
		m.mode = rsChoose
		name, v, _ := m.s.Prev.UnconfirmedTargetSetting()
		m.msg, m.msgErr = m.c.T("rs.target.mismatch", typed, m.targetName(), name, v), true
	case typedconfirm.Confirmed:
		m.mode = rsChoose
		m.s.TargetConfirmed = true
		return m.resume()
	}
	return cmd
}

// resume goes to the run with the state's plan: the engine goes on from the state file.
func (m *resumeScreen) resume() tea.Cmd {
	st := m.s.Prev
	m.s.Plan, m.s.Creds = st.Plan, m.s.PrevCreds
	m.s.Resuming = true
	m.s.AcceptWarns = true // the pre-flight ran before the first start (as `esmigrate resume`)
	m.s.Batches = batchesOf(st)
	m.s.Report = nil
	return goTo(scrRun)
}

// batchesOf describes the state's batches as the run screen weighs them.
func batchesOf(st *steps.State) []steps.Batch {
	var out []steps.Batch
	for _, b := range st.Batches {
		sb := steps.Batch{Number: b.Number}
		for _, ix := range b.Indices {
			sb.Indices = append(sb.Indices, esclient.Index{Name: ix.Name, PrimaryBytes: ix.PrimaryBytes, Primaries: ix.Primaries})
			sb.PrimaryBytes += ix.PrimaryBytes
			sb.Shards += ix.Primaries
		}
		out = append(out, sb)
	}
	return out
}

func (m *resumeScreen) startOver() tea.Cmd {
	m.mode = rsStartOver
	m.stamp = m.c.Now().Format("20060102-150405")
	m.input.SetValue("")
	return m.input.Focus()
}

// statePath is the state file the wizard started on.
func (m *resumeScreen) statePath() string { return m.s.Prev.Plan.StateFile }

func (m *resumeScreen) movedTo() string { return m.statePath() + ".done-" + m.stamp }

// otherState proposes a state file name that does not name the old one.
func (m *resumeScreen) otherState() string {
	return filepath.Join(filepath.Dir(m.statePath()), "esmigrate-state-"+m.stamp+".json")
}

// moveAside renames the state file (and its previous version) to `to`, holding the state's lock so that it
// never moves under a running esmigrate. It deletes nothing and never replaces a file.
func moveAside(from, to string) tea.Cmd {
	return ioCmd(func() tea.Msg {
		store, err := steps.OpenStore(from)
		if err != nil {
			return movedMsg{from: from, to: to, err: err}
		}
		defer store.Close()
		for _, p := range [][2]string{{from, to}, {from + ".prev", to + ".prev"}} {
			if _, err := os.Stat(p[0]); errors.Is(err, os.ErrNotExist) && p[0] != from {
				continue
			}
			if _, err := os.Lstat(p[1]); err == nil {
				return movedMsg{from: from, to: to, err: fmt.Errorf("%s already exists", p[1])}
			}
			if err := os.Rename(p[0], p[1]); err != nil {
				return movedMsg{from: from, to: to, err: err}
			}
		}
		return movedMsg{from: from, to: to}
	})
}

func (m *resumeScreen) Update(msg tea.Msg) tea.Cmd {
	defer m.render()
	switch msg := msg.(type) {
	case movedMsg:
		m.moving = false
		if msg.err != nil {
			m.msg, m.msgErr = m.c.T("rs.so.failed", m.c.Err(msg.err)), true
			return nil
		}
		// A new migration: the plan from the flags, nothing of the old one's progress.
		m.s.Prev, m.s.Resuming, m.s.Report, m.s.Batches = nil, false, nil, nil
		m.s.Plan, m.s.Creds = m.fresh, m.freshC
		m.s.Notice = m.c.T("rs.so.moved", msg.from, msg.to)
		m.input.Blur()
		return goTo(scrConnect)
	case tea.KeyPressMsg:
		if m.moving {
			return nil
		}
		switch m.mode {
		case rsPassword:
			return m.keyPassword(msg)
		case rsStartOver:
			return m.keyStartOver(msg)
		case rsTarget:
			return m.keyTarget(msg)
		}
		km := m.c.Keys
		switch {
		case key.Matches(msg, km.Up):
			m.cursor = 0
		case key.Matches(msg, km.Down):
			m.cursor = 1
		case key.Matches(msg, km.Resume):
			return m.choose(0)
		case key.Matches(msg, km.StartOver):
			return m.choose(1)
		case key.Matches(msg, km.Choose):
			return m.choose(m.cursor)
		}
		return nil
	}
	// The cursor's blinking, pasted text.
	switch m.mode {
	case rsPassword:
		var cmd tea.Cmd
		m.pw[m.pwi].input, cmd = m.pw[m.pwi].input.Update(msg)
		return cmd
	case rsStartOver:
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return cmd
	}
	return nil
}

func (m *resumeScreen) keyPassword(k tea.KeyPressMsg) tea.Cmd {
	km := m.c.Keys
	switch {
	case key.Matches(k, km.Back):
		m.pw, m.mode = nil, rsChoose
		return nil
	case key.Matches(k, km.Confirm):
		m.pw[m.pwi].input.Blur()
		if m.pwi+1 < len(m.pw) {
			m.pwi++
			return m.pw[m.pwi].input.Focus()
		}
		for _, f := range m.pw {
			if f.role == "source" {
				m.s.PrevCreds.SourcePassword = f.input.Value()
			} else {
				m.s.PrevCreds.TargetPassword = f.input.Value()
			}
		}
		m.pw = nil // the fields held the secrets: only the credentials keep them
		m.mode = rsChoose
		return m.confirmOrResume()
	}
	var cmd tea.Cmd
	m.pw[m.pwi].input, cmd = m.pw[m.pwi].input.Update(k)
	return cmd
}

func (m *resumeScreen) keyStartOver(k tea.KeyPressMsg) tea.Cmd {
	km := m.c.Keys
	switch {
	case key.Matches(k, km.Back):
		m.input.Blur()
		m.msg = ""
		if m.s.Prev.Finished {
			return goTo(scrReport)
		}
		m.mode = rsChoose
		return nil
	case key.Matches(k, km.Confirm):
		want := filepath.Base(m.statePath())
		if strings.TrimSpace(m.input.Value()) != want {
			m.msg, m.msgErr = m.c.T("rs.so.mismatch", want), true
			m.input.SetValue("")
			return nil
		}
		m.moving = true
		m.msg, m.msgErr = "", false
		return moveAside(m.statePath(), m.movedTo())
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(k)
	return cmd
}

func (m *resumeScreen) SetSize(w, h int) { m.w, m.h = w, h; m.render() }

// facts are the migration's description: label and value.
func (m *resumeScreen) facts() [][2]string {
	st, t := m.s.Prev, m.c.T
	p := st.Plan
	cluster := func(id steps.ClusterID, url string) string {
		if id.Name == "" {
			return url
		}
		return id.Name + " (" + url + ")"
	}
	mode := t("repo.mode.copy")
	if p.Repository.Shared {
		mode = t("repo.mode.shared")
	}
	done := 0
	var next *steps.BatchState
	for i := range st.Batches {
		if st.Batches[i].Done {
			done++
		} else if next == nil {
			next = &st.Batches[i]
		}
	}
	out := [][2]string{
		{t("role.source"), cluster(st.Source, p.Source.URL)},
		{t("role.target"), cluster(st.Target, p.Target.URL)},
		{t("rs.l.repo"), t("rs.repo", p.Repository.Name, mode)},
		{t("rs.l.batches"), t("rs.batches", done, len(st.Batches))},
	}
	// Where it stands, said once and consistently with the title: a finished migration has a result, an
	// unfinished one the point where it stopped.
	switch {
	case st.Finished:
		r := steps.StateReport(st)
		out = append(out, [2]string{t("rs.l.result"), t("rep.result", r.Verified, r.Mismatched, r.Failed, r.Pending, r.Batches)})
	case next != nil:
		out = append(out, [2]string{t("rs.l.stopped"), t("rs.stopped", next.Number, len(st.Batches), t("run.phase."+string(next.Phase)))})
		if next.Error != "" {
			out = append(out, [2]string{t("rs.l.error"), m.c.Text(next.Why())})
		}
	case len(st.Batches) > 0:
		out = append(out, [2]string{t("rs.l.stopped"), t("rs.afterlast")})
	default:
		out = append(out, [2]string{t("rs.l.stopped"), t("rs.notstarted")})
	}
	return out
}

func (m *resumeScreen) render() {
	if m.s.Prev == nil || m.w == 0 {
		m.view = ""
		return
	}
	st, g := m.c.Styles, m.c.Glyphs
	w := m.w
	var lines []string
	add := func(s string) { lines = append(lines, strings.Split(common.Wrap(s, w), "\n")...) }
	saved := m.s.Prev.Updated.In(m.c.Now().Location()).Format("2006-01-02 15:04:05")
	if m.s.Prev.Finished {
		lines = append(lines, st.Header.Render(m.c.T("rs.title.finished")))
		add(m.c.T("rs.state.finished", m.statePath(), saved))
	} else {
		lines = append(lines, st.Header.Render(m.c.T("rs.title")))
		add(m.c.T("rs.state", m.statePath(), saved))
	}
	lines = append(lines, "")
	facts := m.facts()
	labelW := 0
	for _, f := range facts {
		labelW = max(labelW, common.Width(f[0]))
	}
	for _, f := range facts {
		lines = append(lines, common.Fit("  "+st.Bold.Render(common.Fit(f[0], labelW, ""))+"  "+m.c.ASCII(f[1]), w, g.Ellipsis))
	}
	lines = append(lines, "")
	if m.mode == rsChoose {
		for i, key := range []string{"rs.resume", "rs.startover"} {
			name, what, _ := strings.Cut(m.c.T(key), "\t")
			ptr := "  "
			if i == m.cursor {
				ptr = st.Bold.Render(g.Pointer) + " "
				name = st.StepActive.Render(name)
			} else {
				name = st.Bold.Render(name)
			}
			lines = append(lines, ptr+name)
			for _, l := range strings.Split(common.Wrap(what, w-4), "\n") {
				lines = append(lines, "    "+st.Subtle.Render(l))
			}
		}
	}
	switch m.mode {
	case rsPassword:
		lines = append(lines, st.Bold.Render(strings.Split(m.c.T("rs.resume"), "\t")[0]))
		add(m.c.T("rs.pw.why"))
		for i, f := range m.pw {
			label := m.c.T("rs.pw", f.user, m.c.T("role."+f.role))
			if i == m.pwi {
				label = st.Bold.Render(label)
			}
			lines = append(lines, label, f.input.View())
		}
	case rsStartOver:
		lines = append(lines, st.Warn.Render(m.c.T("rs.so.title")))
		add(g.Bullet + " " + m.c.T("rs.so.other", m.otherState()))
		add(g.Bullet + " " + m.c.T("rs.so.move", m.movedTo()))
		add(st.Bold.Render(m.c.T("rs.so.type", filepath.Base(m.statePath()))))
		lines = append(lines, m.input.View())
	case rsTarget:
		name, v, _ := m.s.Prev.UnconfirmedTargetSetting()
		lines = append(lines, st.Bold.Render(strings.Split(m.c.T("rs.resume"), "\t")[0]))
		add(st.Warn.Render(m.c.T("rs.target.type", m.targetName(), name, v)))
		lines = append(lines, m.target.View())
	}
	if m.msg != "" {
		lines = append(lines, m.c.Flash(common.Wrap(m.msg, w), m.msgErr))
	}
	m.view = strings.Join(lines, "\n")
}

func (m *resumeScreen) ShortHelp() []key.Binding {
	km := m.c.Keys
	switch m.mode {
	case rsPassword, rsStartOver:
		return []key.Binding{km.Confirm, km.Back}
	case rsTarget:
		return []key.Binding{km.Confirm, km.Cancel}
	}
	return []key.Binding{km.Choose, km.Resume, km.StartOver, km.Down}
}

func (m *resumeScreen) FullHelp() [][]key.Binding {
	km := m.c.Keys
	return [][]key.Binding{{km.Up, km.Down, km.Choose}, {km.Resume, km.StartOver}}
}
func (m *resumeScreen) CanGoBack() bool { return false }
func (m *resumeScreen) Capturing() bool { return m.mode != rsChoose }
