package ui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/esmigrate/esmigrate/steps"
)

// preflightScreen: the cluster and share checks as a live checklist, and the NFS / path.repo setup commands.
type preflightScreen struct {
	screenBase

	seq    int
	list   checklist
	ran    string // what the checks ran for (plan fingerprint)
	panel  int    // 0 checks, 1 commands
	distro string
	script string
	text   string
	cmdErr string
	cmdOff int
	msg    string
	msgErr bool
	form   *huh.Form
	nfs    nfsFields
	ck     checkKeys
	keys   struct{ Rerun, Panel, Edit, Copy, Save, Distro, Next key.Binding }
}

type nfsFields struct{ Server, Export, Mount, Clients, UIDGID string }

type savedMsg struct {
	path string
	err  error
}

func newPreflight(c *Common, s *Session, be Backend) *preflightScreen {
	m := &preflightScreen{screenBase: screenBase{c: c, s: s, be: be}, ck: newCheckKeys(c)}
	m.keys.Rerun = bind(c, "r", "r", "key.rerun")
	m.keys.Panel = bind(c, "tab", "tab", "key.panel")
	m.keys.Edit = bind(c, "e", "e", "key.edit")
	m.keys.Copy = bind(c, "c", "c", "key.copy")
	m.keys.Save = bind(c, "w", "w", "key.save")
	m.keys.Distro = bind(c, "d", "d", "key.distro")
	m.keys.Next = bind(c, "enter", "enter", "key.next")
	m.list = newChecklist(s.Acked)
	return m
}

func (m *preflightScreen) fingerprint() string {
	p := m.s.Plan
	return strings.Join([]string{p.Source.URL, p.Target.URL, p.Repository.SourceLocation, p.Repository.TargetLocation,
		strconv.FormatBool(p.Repository.Shared), p.Repository.SourceLocal, p.Repository.TargetLocal, p.NFS.Server}, "|")
}

func (m *preflightScreen) Enter() tea.Cmd {
	m.genCommands()
	if m.ran == m.fingerprint() && !m.list.running {
		m.render()
		return nil
	}
	return m.rerun()
}

func (m *preflightScreen) rerun() tea.Cmd {
	m.seq++
	seq := m.seq
	m.ran = m.fingerprint()
	m.msg = ""
	p, creds, src, dst, be := m.s.Plan, m.s.Creds, m.s.Src, m.s.Dst, m.be
	cmd := m.list.start(m.c.Ctx, seq, func(ctx context.Context, emit func(steps.Event)) ([]steps.Check, error) {
		return be.ClusterChecks(ctx, p, creds, src, dst, false, emit)
	})
	m.render()
	return cmd
}

// genCommands regenerates the setup commands (pure computation) for the plan's NFS details.
func (m *preflightScreen) genCommands() {
	if m.distro == "" {
		m.distro = m.s.Distro
		if m.distro == "" {
			m.distro = "rhel"
		}
	}
	setup, err := m.be.SetupCommands(m.s.Plan, m.distro)
	if err != nil {
		m.script, m.text, m.cmdErr = "", "", err.Error()
		return
	}
	m.script, m.text, m.cmdErr = setup.Script(), setup.Text(), ""
}

func (m *preflightScreen) Update(msg tea.Msg) tea.Cmd {
	defer m.render()
	if cmd, ok := m.list.update(msg, m.seq); ok {
		return cmd
	}
	switch msg := msg.(type) {
	case savedMsg:
		if msg.err != nil {
			m.msg, m.msgErr = m.c.T("pf.savefail", msg.err.Error()), true
		} else {
			m.msg, m.msgErr = m.c.T("pf.saved", msg.path), false
		}
		return nil
	}
	if m.form != nil {
		return m.updateForm(msg)
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	switch {
	case key.Matches(k, m.keys.Panel):
		m.panel = 1 - m.panel
		return nil
	case key.Matches(k, m.keys.Rerun):
		return m.rerun()
	case key.Matches(k, m.keys.Edit):
		return m.openForm()
	case key.Matches(k, m.keys.Distro):
		if m.distro == "rhel" {
			m.distro = "debian"
		} else {
			m.distro = "rhel"
		}
		m.genCommands()
		return nil
	case key.Matches(k, m.keys.Copy) && m.script != "":
		m.msg, m.msgErr = m.c.T("pf.copied", len(m.script)), false
		return tea.SetClipboard(m.script)
	case key.Matches(k, m.keys.Save) && m.script != "":
		script := m.script
		path := "esmigrate-nfs-setup-" + m.distro + ".sh"
		return ioCmd(func() tea.Msg {
			name, err := saveNew(path, []byte(script))
			return savedMsg{path: name, err: err}
		})
	case key.Matches(k, m.keys.Next):
		if m.list.passable() {
			if m.list.acked {
				m.s.AcceptWarns = true
			}
			return goTo(scrRepository)
		}
		return nil
	}
	if m.panel == 1 {
		switch {
		case key.Matches(k, m.ck.Up):
			m.cmdOff = max(m.cmdOff-1, 0)
		case key.Matches(k, m.ck.Down):
			m.cmdOff++
		case k.String() == "pgdown":
			m.cmdOff += m.h / 2
		case k.String() == "pgup":
			m.cmdOff = max(m.cmdOff-m.h/2, 0)
		}
		return nil
	}
	m.list.key(k, m.ck)
	return nil
}

func (m *preflightScreen) openForm() tea.Cmd {
	p := m.s.Plan
	m.nfs = nfsFields{Server: p.NFS.Server, Export: p.NFS.Export, Mount: p.NFS.MountPoint, Clients: strings.Join(p.NFS.Clients, " ")}
	if m.nfs.Export == "" {
		m.nfs.Export = p.Repository.SourceLocation
	}
	if m.nfs.Mount == "" {
		m.nfs.Mount = p.Repository.SourceLocation
	}
	if p.NFS.UID > 0 || p.NFS.GID > 0 {
		m.nfs.UIDGID = fmt.Sprintf("%d:%d", p.NFS.UID, p.NFS.GID)
	} else {
		m.nfs.UIDGID = "1000:1000"
	}
	t := m.c.T
	f := &m.nfs
	m.form = huh.NewForm(huh.NewGroup(
		huh.NewInput().Title(t("pf.nfs.server")).Value(&f.Server),
		huh.NewInput().Title(t("pf.nfs.export")).Value(&f.Export),
		huh.NewInput().Title(t("pf.nfs.mount")).Value(&f.Mount),
		huh.NewInput().Title(t("pf.nfs.clients")).Value(&f.Clients),
		huh.NewInput().Title(t("pf.nfs.uid")).Value(&f.UIDGID).Validate(func(s string) error {
			if _, _, ok := parseUIDGID(s); !ok {
				return errors.New(t("pf.nfs.uid.bad"))
			}
			return nil
		}),
	).Title(t("pf.nfs.title"))).WithTheme(formTheme(m.c.Glyphs)).WithShowHelp(false).WithWidth(m.w).WithHeight(max(m.h-1, 8))
	return m.form.Init()
}

func parseUIDGID(s string) (int, int, bool) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return 0, 0, false
	}
	u, err1 := strconv.Atoi(a)
	g, err2 := strconv.Atoi(b)
	return u, g, err1 == nil && err2 == nil && u >= 0 && g >= 0
}

func (m *preflightScreen) updateForm(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	var done bool
	if m.form, cmd, done = editForm(m.form, msg); !done {
		return cmd
	}
	n := &m.s.Plan.NFS
	n.Server, n.Export, n.MountPoint = strings.TrimSpace(m.nfs.Server), strings.TrimSpace(m.nfs.Export), strings.TrimSpace(m.nfs.Mount)
	n.Clients = strings.Fields(m.nfs.Clients)
	n.UID, n.GID, _ = parseUIDGID(m.nfs.UIDGID)
	m.form = nil
	m.panel = 1
	m.genCommands()
	return tea.Batch(cmd, m.rerun())
}

func (m *preflightScreen) SetSize(w, h int) {
	m.w, m.h = w, h
	if m.form != nil {
		m.form = m.form.WithWidth(w).WithHeight(max(h-1, 8))
	}
	m.render()
}

func (m *preflightScreen) render() {
	if m.form != nil {
		m.view = m.form.View()
		return
	}
	st := m.c.Styles
	p := m.s.Plan
	tgt := p.Repository.TargetLocation
	if p.Repository.Shared || tgt == "" {
		tgt = p.Repository.SourceLocation
	}
	head := []string{fit(m.c.T("pf.location", p.Repository.SourceLocation, tgt), m.w, m.c.Glyphs.Ellipsis)}
	status := m.list.status(m.c, "pf.blocked", "pf.needack", "pf.ready")
	foot := []string{fit(status, m.w, m.c.Glyphs.Ellipsis)}
	if m.msg != "" {
		foot = append(foot, flash(m.c, fit(m.msg, m.w, m.c.Glyphs.Ellipsis), m.msgErr))
	}
	bodyH := max(m.h-len(head)-len(foot)-1, 3)
	var body string
	tabs := func(active int) string {
		a, b := m.c.T("pf.title"), m.c.T("pf.commands", m.distro)
		if active == 0 {
			return st.StepActive.Render(a) + "  " + st.Subtle.Render(b)
		}
		return st.Subtle.Render(a) + "  " + st.StepActive.Render(b)
	}
	if m.panel == 0 {
		body = m.list.render(m.c, m.w, bodyH)
	} else {
		text := m.text
		if m.cmdErr != "" {
			text = wrap(m.c.T("pf.commands.missing", m.cmdErr), m.w)
		}
		lines := strings.Split(text, "\n")
		m.cmdOff = min(m.cmdOff, max(len(lines)-bodyH, 0))
		end := min(m.cmdOff+bodyH, len(lines))
		var out []string
		for _, l := range lines[m.cmdOff:end] {
			out = append(out, fit(l, m.w, m.c.Glyphs.Ellipsis))
		}
		body = strings.Join(out, "\n")
	}
	m.view = strings.Join(head, "\n") + "\n" + tabs(m.panel) + "\n" + padLines(body, bodyH) + "\n" + strings.Join(foot, "\n")
}

func (m *preflightScreen) ShortHelp() []key.Binding {
	if m.form != nil {
		return []key.Binding{bind(m.c, "enter", "enter", "key.next"), bind(m.c, "esc", "esc", "key.cancel")}
	}
	if m.panel == 1 {
		return []key.Binding{m.keys.Panel, m.keys.Copy, m.keys.Save, m.keys.Distro, m.keys.Edit, m.keys.Next}
	}
	b := []key.Binding{m.keys.Next, m.ck.Expand, m.keys.Rerun}
	if _, warn, _ := m.list.counts(); warn > 0 && !m.list.acked {
		b = append(b, m.ck.Ack)
	}
	return append(b, m.keys.Panel, m.keys.Edit)
}

func (m *preflightScreen) FullHelp() [][]key.Binding {
	return [][]key.Binding{{m.ck.Up, m.ck.Down, m.ck.Expand, m.ck.Ack, m.keys.Rerun},
		{m.keys.Panel, m.keys.Copy, m.keys.Save, m.keys.Distro, m.keys.Edit}, {m.keys.Next}}
}
func (m *preflightScreen) CanGoBack() bool { return m.form == nil && !m.list.running }
func (m *preflightScreen) Capturing() bool { return m.form != nil }
