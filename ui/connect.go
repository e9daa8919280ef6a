package ui

import (
	"context"
	"errors"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/common"
)

const (
	authNone   = "none"
	authBasic  = "basic"
	authAPIKey = "apikey"
)

// clusterFields are the form values of one cluster.
type clusterFields struct {
	URL, Auth, User, Password, APIKey, CA string
	Insecure                              bool
}

// probeResult is the outcome of a test connection.
type probeResult struct {
	running bool
	sum     steps.ClusterSummary
	err     error
	done    bool
}

type probeMsg struct {
	seq  int
	role string
	sum  steps.ClusterSummary
	err  error
}

// connectScreen: the source and target forms and the test connection.
type connectScreen struct {
	screenBase

	src, dst clusterFields
	form     *huh.Form
	editing  bool
	seq      int
	probes   map[string]*probeResult
	spin     int
}

func newConnect(c *Common, s *Session, be Backend) *connectScreen {
	m := &connectScreen{screenBase: screenBase{c: c, s: s, be: be}, probes: map[string]*probeResult{}}
	m.src = fieldsFrom(s.Plan.Source, s.Creds.SourcePassword, s.Creds.SourceAPIKey)
	m.dst = fieldsFrom(s.Plan.Target, s.Creds.TargetPassword, s.Creds.TargetAPIKey)
	return m
}

func fieldsFrom(cp steps.ClusterPlan, password, apiKey string) clusterFields {
	f := clusterFields{URL: cp.URL, User: cp.Username, Password: password, APIKey: apiKey, CA: cp.CACert, Insecure: cp.Insecure, Auth: authNone}
	switch {
	case apiKey != "":
		f.Auth = authAPIKey
	case cp.Username != "":
		f.Auth = authBasic
	}
	return f
}

func (m *connectScreen) validateURL(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return errors.New(m.c.T("connect.url.missing"))
	}
	if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		return errors.New(m.c.T("connect.url.scheme"))
	}
	return nil
}

func (m *connectScreen) groups(role string, f *clusterFields) []*huh.Group {
	t := m.c.T
	title := t("role." + role)
	main := huh.NewGroup(
		huh.NewInput().Title(t("connect.url")).Description(t("connect.url.desc")).Value(&f.URL).Validate(m.validateURL),
		huh.NewSelect[string]().Title(t("connect.auth")).Inline(true).Value(&f.Auth).Options(
			huh.NewOption(t("connect.auth.none"), authNone),
			huh.NewOption(t("connect.auth.basic"), authBasic),
			huh.NewOption(t("connect.auth.apikey"), authAPIKey)),
		huh.NewInput().Title(t("connect.ca")).Value(&f.CA),
		huh.NewConfirm().Title(t("connect.insecure")).Description(t("connect.insecure.desc")).Value(&f.Insecure).
			Affirmative(t("misc.yes")).Negative(t("misc.no")),
	).Title(title)
	basic := huh.NewGroup(
		huh.NewInput().Title(t("connect.user")).Value(&f.User),
		huh.NewInput().Title(t("connect.password")).EchoMode(huh.EchoModePassword).Value(&f.Password),
	).Title(title).WithHideFunc(func() bool { return f.Auth != authBasic })
	apikey := huh.NewGroup(
		huh.NewInput().Title(t("connect.apikey")).EchoMode(huh.EchoModePassword).Value(&f.APIKey),
	).Title(title).WithHideFunc(func() bool { return f.Auth != authAPIKey })
	return []*huh.Group{main, basic, apikey}
}

func (m *connectScreen) newForm() tea.Cmd {
	gs := append(m.groups("source", &m.src), m.groups("target", &m.dst)...)
	m.form = huh.NewForm(gs...).WithTheme(m.c.Styles.Form).WithShowHelp(false).WithWidth(m.w).WithHeight(max(m.h-5, 8))
	m.editing = true
	return m.form.Init()
}

func (m *connectScreen) Enter() tea.Cmd {
	if m.form == nil {
		cmd := m.newForm()
		m.render()
		return cmd
	}
	m.render()
	return nil
}

// apply copies the form into the plan and the credentials.
func (m *connectScreen) apply() {
	set := func(cp *steps.ClusterPlan, pw, key *string, f *clusterFields) {
		// user:password@ typed into the URL goes into the user and password fields: never kept in the URL,
		// which is shown, saved into plans and written into the state.
		if clean, user, upw, has := steps.SplitURLCredentials(strings.TrimSpace(f.URL)); user != "" || has {
			f.URL, f.Auth = clean, authBasic
			if user != "" {
				f.User = user
			}
			if has {
				f.Password = upw
			}
		}
		cp.URL = strings.TrimRight(strings.TrimSpace(f.URL), "/")
		cp.CACert, cp.Insecure = strings.TrimSpace(f.CA), f.Insecure
		cp.Username, *pw, *key = "", "", ""
		switch f.Auth {
		case authBasic:
			cp.Username, *pw = strings.TrimSpace(f.User), f.Password
		case authAPIKey:
			*key = strings.TrimSpace(f.APIKey)
		}
	}
	set(&m.s.Plan.Source, &m.s.Creds.SourcePassword, &m.s.Creds.SourceAPIKey, &m.src)
	set(&m.s.Plan.Target, &m.s.Creds.TargetPassword, &m.s.Creds.TargetAPIKey, &m.dst)
}

func (m *connectScreen) test() tea.Cmd {
	m.apply()
	m.seq = common.NewID()
	seq := m.seq
	p, creds, be := m.s.Plan, m.s.Creds, m.be
	var cmds []tea.Cmd
	for _, role := range []string{"source", "target"} {
		m.probes[role] = &probeResult{running: true}
		cmds = append(cmds, ioTimeout(m.c.Ctx, 30*time.Second, func(ctx context.Context) tea.Msg {
			sum, err := be.Probe(ctx, p, role, creds)
			return probeMsg{seq: seq, role: role, sum: sum, err: err}
		}))
	}
	cmds = append(cmds, common.SpinTick(seq))
	return tea.Batch(cmds...)
}

func (m *connectScreen) ok() bool {
	s, d := m.probes["source"], m.probes["target"]
	return s != nil && d != nil && s.done && d.done && s.err == nil && d.err == nil && m.sameErr() == ""
}

func (m *connectScreen) sameErr() string {
	s, d := m.probes["source"], m.probes["target"]
	if s != nil && d != nil && s.done && d.done && s.err == nil && d.err == nil &&
		s.sum.Info.ClusterUUID != "" && s.sum.Info.ClusterUUID == d.sum.Info.ClusterUUID {
		return m.c.T("connect.same", s.sum.Info.ClusterUUID)
	}
	return ""
}

func (m *connectScreen) running() bool {
	for _, p := range m.probes {
		if p.running {
			return true
		}
	}
	return false
}

func (m *connectScreen) Update(msg tea.Msg) tea.Cmd {
	defer m.render()
	switch msg := msg.(type) {
	case probeMsg:
		if msg.seq != m.seq {
			return nil
		}
		m.probes[msg.role] = &probeResult{sum: msg.sum, err: msg.err, done: true}
		if m.ok() {
			m.s.Src, m.s.Dst = m.probes["source"].sum, m.probes["target"].sum
		}
		return nil
	case common.SpinMsg:
		if msg.ID == m.seq && m.running() {
			m.spin++
			return common.SpinTick(msg.ID)
		}
		return nil
	case tea.KeyPressMsg:
		km := m.c.Keys
		if key.Matches(msg, km.Test) {
			return m.test()
		}
		if !m.editing {
			switch {
			case key.Matches(msg, km.Edit):
				return m.newForm()
			case key.Matches(msg, km.Next) && m.ok():
				m.s.fillDefaults()
				m.s.Notice = "" // said; coming back, the form gets its lines again
				return goTo(scrPreflight)
			}
			return nil
		}
	}
	if m.editing && m.form != nil {
		var cmd tea.Cmd
		var done bool
		if m.form, cmd, done = stepForm(m.form, msg); done {
			m.editing = false
			return tea.Batch(cmd, m.test())
		}
		return cmd
	}
	return nil
}

func (m *connectScreen) SetSize(w, h int) {
	m.w, m.h = w, h
	if m.form != nil {
		m.form = m.form.WithWidth(w).WithHeight(max(h-5, 8))
	}
	m.render()
}

func (m *connectScreen) probeLines() []string {
	var out []string
	st, g := m.c.Styles, m.c.Glyphs
	for _, role := range []string{"source", "target"} {
		p := m.probes[role]
		name := m.c.T("role." + role)
		switch {
		case p == nil:
		case p.running:
			url := m.s.Plan.Source.URL
			if role == "target" {
				url = m.s.Plan.Target.URL
			}
			out = append(out, g.Spinner[m.spin%len(g.Spinner)]+" "+m.c.T("connect.testing", url))
		case p.err != nil:
			out = append(out, st.Error.Render(g.Fail+" "+m.c.T("connect.fail", name)))
			out = append(out, common.Wrap("  "+problemOf(m.c, p.err), m.w))
			var ee *esclient.Error
			if errors.As(p.err, &ee) && ee.Fix != "" {
				out = append(out, common.Wrap("  "+m.c.T("connect.fix", m.c.Text(ee.FixText())), m.w))
			}
		default:
			i := p.sum.Info
			line := g.OK + " " + m.c.T("connect.ok", name, i.ClusterName, i.Distribution, i.VersionText, p.sum.Health.Status, len(p.sum.Nodes))
			out = append(out, st.OK.Render(line))
		}
	}
	if e := m.sameErr(); e != "" {
		out = append(out, st.Error.Render(g.Fail+" "+e))
	}
	return out
}

func (m *connectScreen) render() {
	var b strings.Builder
	notice := 0
	if m.s.Notice != "" {
		text := common.Wrap(m.s.Notice, m.w)
		notice = strings.Count(text, "\n") + 1
		b.WriteString(m.c.Styles.OK.Render(text) + "\n")
	}
	if m.s.Prefilled != "" {
		b.WriteString(m.c.Styles.Subtle.Render(m.c.T("connect.prefilled", m.s.Prefilled)) + "\n")
	}
	lines := m.probeLines()
	switch {
	case m.editing && m.form != nil:
		b.WriteString(m.c.Styles.Subtle.Render(m.c.T("connect.hint.form")) + "\n")
		formH := m.h - 2 - len(lines)
		formH -= notice
		b.WriteString(common.Clip(m.form.View(), m.w, max(formH, 3)))
		if len(lines) > 0 {
			b.WriteString("\n" + strings.Join(lines, "\n"))
		}
	default:
		b.WriteString(m.summary())
		b.WriteString("\n" + strings.Join(lines, "\n") + "\n\n")
		switch {
		case m.ok():
			b.WriteString(m.c.Styles.Bold.Render(m.c.T("connect.hint.done")))
		case !m.running():
			b.WriteString(m.c.T("connect.hint.failed"))
		}
	}
	m.view = b.String()
}

// summary shows the two clusters as entered (never the secrets).
func (m *connectScreen) summary() string {
	var b strings.Builder
	for _, r := range []struct {
		role string
		f    clusterFields
	}{{"source", m.src}, {"target", m.dst}} {
		auth := m.c.T("connect.auth." + r.f.Auth)
		if r.f.Auth == authBasic {
			auth += " (" + r.f.User + ")"
		}
		b.WriteString(m.c.Styles.Bold.Render(m.c.T("role."+r.role)) + "  " + r.f.URL + "  " + m.c.Styles.Subtle.Render(auth) + "\n")
	}
	return b.String()
}

func (m *connectScreen) ShortHelp() []key.Binding {
	km := m.c.Keys
	if m.editing {
		return []key.Binding{km.FormNext, km.FormPrev, km.FormOption, km.Test}
	}
	if m.ok() {
		return []key.Binding{km.Next, km.Edit, km.Test}
	}
	return []key.Binding{km.Edit, km.Test}
}

func (m *connectScreen) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }
func (m *connectScreen) CanGoBack() bool           { return false }
func (m *connectScreen) Capturing() bool           { return m.editing }
