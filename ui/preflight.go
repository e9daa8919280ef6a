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

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/nfs"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/common"
	"github.com/esmigrate/esmigrate/ui/components/checklist"
)

// preflightScreen: the cluster and share checks as a live checklist, and the NFS / path.repo setup commands.
type preflightScreen struct {
	screenBase

	list   *checklist.Model
	ran    string // what the checks ran for (plan fingerprint)
	panel  int    // 0 checks, 1 commands
	distro string
	setup  nfs.Setup
	script string
	text   string
	cmdErr string
	cmdOff int
	msg    string
	msgErr bool
	form   *huh.Form
	nfs    nfsFields
}

type nfsFields struct{ Server, Export, Mount, Clients, UIDGID string }

type savedMsg struct {
	path string
	err  error
}

// esUserMsg: the uid:gid Elasticsearch runs as, as the pre-flight finds it.
type esUserMsg struct{ uidgid string }

func newPreflight(c *Common, s *Session, be Backend) *preflightScreen {
	m := &preflightScreen{screenBase: screenBase{c: c, s: s, be: be}}
	m.list = checklist.New(s.Acked)
	return m
}

// fingerprint is what the checks depend on. The setup form's values are not in it: they only make commands.
func (m *preflightScreen) fingerprint() string {
	p := m.s.Plan
	return strings.Join([]string{p.Source.URL, p.Target.URL, p.Repository.SourceLocation, p.Repository.TargetLocation,
		strconv.FormatBool(p.Repository.Shared), p.Repository.SourceLocal, p.Repository.TargetLocal, p.NFS.Server}, "|")
}

func (m *preflightScreen) Enter() tea.Cmd {
	if m.s.Setup.Server == "" && m.s.Setup.Export == "" && len(m.s.Setup.Clients) == 0 {
		m.s.Setup = m.s.Plan.NFS
	}
	m.genCommands()
	if m.ran == m.fingerprint() && !m.list.Running() {
		m.render()
		return nil
	}
	return m.rerun()
}

func (m *preflightScreen) rerun() tea.Cmd {
	m.ran = m.fingerprint()
	m.msg = ""
	p, creds, src, dst, be := m.s.Plan, m.s.Creds, m.s.Src, m.s.Dst, m.be
	cmd := m.list.Start(m.c.Ctx, func(ctx context.Context, emit func(steps.Event)) ([]steps.Check, error) {
		return be.ClusterChecks(ctx, p, creds, src, dst, false, emit)
	})
	nodes, ctx := append(append([]esclient.Node{}, src.Nodes...), dst.Nodes...), m.c.Ctx
	user := ioCmd(func() tea.Msg {
		u, g, ok := be.ElasticsearchUser(ctx, p, nodes)
		if !ok {
			return esUserMsg{}
		}
		return esUserMsg{fmt.Sprintf("%d:%d", u, g)}
	})
	m.render()
	return tea.Batch(cmd, user)
}

// setupPlan is the plan the setup commands are made from: the plan with the form's NFS values.
func (m *preflightScreen) setupPlan() steps.Plan {
	p := m.s.Plan
	p.NFS = m.s.Setup
	if p.NFS.UID == 0 && p.NFS.GID == 0 {
		if u, g, ok := parseUIDGID(m.s.ESUser); ok {
			p.NFS.UID, p.NFS.GID = u, g
		}
	}
	return p
}

// genCommands regenerates the setup commands (pure computation) for the form's NFS details.
func (m *preflightScreen) genCommands() {
	if m.distro == "" {
		m.distro = m.s.Distro
		if m.distro == "" {
			m.distro = "rhel"
		}
	}
	setup, err := m.be.SetupCommands(m.setupPlan(), m.distro)
	if err != nil {
		m.script, m.text, m.cmdErr = "", "", m.c.Err(err)
		return
	}
	m.setup, m.script, m.text, m.cmdErr = setup, setup.ScriptIn(nfs.ScriptName, m.c.L), setup.TextIn(m.c.L), ""
}

func (m *preflightScreen) Update(msg tea.Msg) tea.Cmd {
	defer m.render()
	if cmd, ok := m.list.Update(msg); ok {
		return cmd
	}
	km := m.c.Keys
	switch msg := msg.(type) {
	case savedMsg:
		if msg.err != nil {
			m.msg, m.msgErr = m.c.T("pf.savefail", m.c.Err(msg.err)), true
		} else {
			m.msg, m.msgErr = m.c.T("pf.saved", msg.path), false
		}
		return nil
	case esUserMsg:
		m.s.ESUser = msg.uidgid
		m.genCommands()
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
	case key.Matches(k, km.Panel):
		m.panel = 1 - m.panel
		return nil
	case key.Matches(k, km.Rerun):
		return m.rerun()
	case key.Matches(k, km.Edit):
		return m.openForm()
	case key.Matches(k, km.Distro):
		if m.distro == "rhel" {
			m.distro = "debian"
		} else {
			m.distro = "rhel"
		}
		m.genCommands()
		return nil
	case key.Matches(k, km.Copy) && m.script != "":
		m.msg, m.msgErr = m.c.T("pf.copied", len(m.script)), false
		return m.s.clipboard(m.script)
	case key.Matches(k, km.Save) && m.script != "":
		// Next to the state file, and naming itself in the commands it tells you to run.
		setup := m.setup
		path := steps.NextTo(m.s.Plan.StateFile, "esmigrate-nfs-setup-"+m.distro+".sh")
		return ioCmd(func() tea.Msg {
			name, err := saveNew(path, func(name string) []byte { return []byte(setup.ScriptIn(name, m.c.L)) })
			return savedMsg{path: name, err: err}
		})
	case key.Matches(k, km.Next):
		if m.list.Passable() {
			if m.list.Acked() {
				m.s.AcceptWarns = true
			}
			return goTo(scrRepository)
		}
		return nil
	}
	if m.panel == 1 {
		switch {
		case key.Matches(k, km.Up):
			m.cmdOff = max(m.cmdOff-1, 0)
		case key.Matches(k, km.Down):
			m.cmdOff++
		case key.Matches(k, km.PgDown):
			m.cmdOff += m.h / 2
		case key.Matches(k, km.PgUp):
			m.cmdOff = max(m.cmdOff-m.h/2, 0)
		}
		return nil
	}
	m.list.Key(k, km)
	return nil
}

func (m *preflightScreen) openForm() tea.Cmd {
	n, p := m.s.Setup, m.s.Plan
	m.nfs = nfsFields{Server: n.Server, Export: n.Export, Mount: n.MountPoint, Clients: strings.Join(n.Clients, " ")}
	if m.nfs.Export == "" {
		m.nfs.Export = p.Repository.SourceLocation
	}
	if m.nfs.Mount == "" {
		m.nfs.Mount = p.Repository.SourceLocation
	}
	switch {
	case n.UID > 0 || n.GID > 0:
		m.nfs.UIDGID = fmt.Sprintf("%d:%d", n.UID, n.GID)
	case m.s.ESUser != "":
		m.nfs.UIDGID = m.s.ESUser // what the pre-flight found
	}
	t := m.c.T
	f := &m.nfs
	uidTitle := t("pf.nfs.uid")
	if m.s.ESUser != "" {
		uidTitle = t("pf.nfs.uid.found", m.s.ESUser)
	}
	m.form = huh.NewForm(huh.NewGroup(
		huh.NewInput().Title(t("pf.nfs.server")).Value(&f.Server),
		huh.NewInput().Title(t("pf.nfs.export")).Value(&f.Export),
		huh.NewInput().Title(t("pf.nfs.mount")).Value(&f.Mount),
		huh.NewInput().Title(t("pf.nfs.clients")).Value(&f.Clients),
		huh.NewInput().Title(uidTitle).Placeholder("uid:gid").Value(&f.UIDGID).Validate(func(s string) error {
			if _, _, ok := parseUIDGID(s); !ok && strings.TrimSpace(s) != "" {
				return errors.New(t("pf.nfs.uid.bad"))
			}
			return nil
		}),
	).Title(t("pf.nfs.title")).Description(t("pf.nfs.desc"))).WithTheme(m.c.Styles.Form).WithShowHelp(false).WithWidth(m.w).WithHeight(max(m.h-1, 8))
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

// updateForm edits the setup form. Its values make the commands only: the checks do not run again, and what
// they found stands.
func (m *preflightScreen) updateForm(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	var done bool
	if m.form, cmd, done = editForm(m.form, msg); !done {
		return cmd
	}
	n := &m.s.Setup
	n.Server, n.Export, n.MountPoint = strings.TrimSpace(m.nfs.Server), strings.TrimSpace(m.nfs.Export), strings.TrimSpace(m.nfs.Mount)
	n.Clients = strings.Fields(m.nfs.Clients)
	n.UID, n.GID = 0, 0
	if u, g, ok := parseUIDGID(m.nfs.UIDGID); ok {
		n.UID, n.GID = u, g
	}
	m.form = nil
	m.panel = 1
	m.genCommands()
	return cmd
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
	st, g := m.c.Styles, m.c.Glyphs
	p := m.s.Plan
	tgt := p.Repository.TargetLocation
	if p.Repository.Shared || tgt == "" {
		tgt = p.Repository.SourceLocation
	}
	head := []string{common.Fit(m.c.T("pf.location", p.Repository.SourceLocation, tgt), m.w, g.Ellipsis)}
	status := m.list.Status(m.c, "pf.blocked", "pf.needack", "pf.ready")
	foot := []string{common.Fit(status, m.w, g.Ellipsis)}
	if m.msg != "" {
		foot = append(foot, m.c.Flash(common.Fit(m.msg, m.w, g.Ellipsis), m.msgErr))
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
		body = m.list.Render(m.c, m.w, bodyH)
	} else {
		text := m.text
		if m.cmdErr != "" {
			text = common.Wrap(m.c.T("pf.commands.missing", m.cmdErr), m.w)
		}
		lines := strings.Split(text, "\n")
		m.cmdOff = min(m.cmdOff, max(len(lines)-bodyH, 0))
		end := min(m.cmdOff+bodyH, len(lines))
		var out []string
		for _, l := range lines[m.cmdOff:end] {
			out = append(out, common.Fit(m.c.ASCII(l), m.w, g.Ellipsis))
		}
		body = strings.Join(out, "\n")
	}
	m.view = strings.Join(head, "\n") + "\n" + tabs(m.panel) + "\n" + common.PadLines(body, bodyH) + "\n" + strings.Join(foot, "\n")
}

func (m *preflightScreen) ShortHelp() []key.Binding {
	km := m.c.Keys
	if m.form != nil {
		return []key.Binding{km.FormNext, km.Cancel}
	}
	if m.panel == 1 {
		return []key.Binding{km.Panel, km.Copy, km.Save, km.Distro, km.Edit, km.Next}
	}
	b := []key.Binding{km.Next, km.Expand, km.Rerun}
	if _, warn, _ := m.list.Counts(); warn > 0 && !m.list.Acked() {
		b = append(b, km.Ack)
	}
	return append(b, km.Panel, km.Edit)
}

func (m *preflightScreen) FullHelp() [][]key.Binding {
	km := m.c.Keys
	if m.form != nil {
		return [][]key.Binding{{km.FormNext, km.FormPrev, km.Cancel}}
	}
	return [][]key.Binding{{km.Up, km.Down, km.PgUp, km.PgDown, km.Expand, km.Ack, km.Rerun},
		{km.Panel, km.Copy, km.Save, km.Distro, km.Edit}, {km.Next}}
}
func (m *preflightScreen) CanGoBack() bool { return m.form == nil && !m.list.Running() }
func (m *preflightScreen) Capturing() bool { return m.form != nil }
