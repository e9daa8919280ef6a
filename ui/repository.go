package ui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/common"
	"github.com/esmigrate/esmigrate/ui/components/checklist"
)

// repositoryScreen: choose or create the repository, say how the target sees it, set the throttles; then
// register and verify it on both clusters.
type repositoryScreen struct {
	screenBase

	seq      int
	loading  bool
	loadErr  error
	src, dst steps.RepositoryView
	form     *huh.Form
	f        repoFields
	list     *checklist.Model
	verified bool   // the checklist below belongs to the current values
	forURLs  string // the clusters the repositories were read from
}

type repoFields struct {
	Choice, Name, Location, Storage, TLocation, SLocal, TLocal, SnapMax, RestMax, CopyMax string
}

const choiceNew = "\x00new"

type reposMsg struct {
	seq      int
	src, dst steps.RepositoryView
	err      error
}

func newRepository(c *Common, s *Session, be Backend) *repositoryScreen {
	return &repositoryScreen{screenBase: screenBase{c: c, s: s, be: be}, list: checklist.New(s.Acked)}
}

func (m *repositoryScreen) Enter() tea.Cmd {
	urls := m.s.Plan.Source.URL + " " + m.s.Plan.Target.URL
	if m.verified && m.form == nil && m.forURLs == urls {
		m.render()
		return nil
	}
	m.forURLs, m.verified, m.form = urls, false, nil
	m.seq++
	seq := m.seq
	m.loading, m.loadErr = true, nil
	p, creds, be, ctx := m.s.Plan, m.s.Creds, m.be, m.c.Ctx
	m.render()
	return ioTimeout(ctx, time.Minute, func(ctx context.Context) tea.Msg {
		src, dst, err := be.Repositories(ctx, p, creds)
		return reposMsg{seq: seq, src: src, dst: dst, err: err}
	})
}

func sizeOK(t func(string, ...any) string) func(string) error {
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		if _, err := steps.ParseBytes(s); err != nil {
			return errors.New(t("repo.size.bad"))
		}
		return nil
	}
}

func absOK(t func(string, ...any) string, optional bool) func(string) error {
	return func(s string) error {
		s = strings.TrimSpace(s)
		if s == "" && optional {
			return nil
		}
		if !filepath.IsAbs(s) {
			return errors.New(t("repo.abs"))
		}
		return nil
	}
}

func (m *repositoryScreen) openForm() tea.Cmd {
	p := m.s.Plan
	r := p.Repository
	m.f = repoFields{Choice: choiceNew, Name: r.Name, Location: r.SourceLocation, TLocation: r.TargetLocation,
		SLocal: r.SourceLocal, TLocal: r.TargetLocal, SnapMax: r.MaxSnapshotBytesPerSec, RestMax: r.MaxRestoreBytesPerSec,
		CopyMax: p.Copy.BandwidthLimit, Storage: "copy"}
	if r.Shared {
		m.f.Storage = "shared"
	}
	t := m.c.T
	opts := []huh.Option[string]{huh.NewOption(t("repo.new"), choiceNew)}
	for _, repo := range m.src.Repositories {
		if repo.Type != "fs" {
			continue
		}
		opts = append(opts, huh.NewOption(t("repo.use", repo.Name, repo.Location()), repo.Name))
		if repo.Name == r.Name && filepath.Clean(repo.Location()) == filepath.Clean(r.SourceLocation) {
			m.f.Choice = repo.Name
		}
	}
	f := &m.f
	m.form = huh.NewForm(
		huh.NewGroup(
			huh.NewSelect[string]().Title(t("repo.choose")).Options(opts...).Value(&f.Choice),
		).Title(t("repo.title")),
		huh.NewGroup(
			huh.NewInput().Title(t("repo.name")).Value(&f.Name).Validate(steps.ValidateRepositoryName),
			huh.NewInput().Title(t("repo.location")).Value(&f.Location).Suggestions(pathRepos(m.s.Src)).Validate(absOK(t, false)),
		).Title(t("repo.title")).WithHideFunc(func() bool { return f.Choice != choiceNew }),
		huh.NewGroup(
			huh.NewSelect[string]().Title(t("repo.storage")).Options(
				huh.NewOption(t("repo.copy"), "copy"), huh.NewOption(t("repo.shared"), "shared")).Value(&f.Storage),
		).Title(t("repo.title")),
		huh.NewGroup(
			huh.NewInput().Title(t("repo.tlocation")).Value(&f.TLocation).Suggestions(pathRepos(m.s.Dst)).Validate(absOK(t, false)),
			huh.NewInput().Title(t("repo.slocal")).Value(&f.SLocal).Validate(absOK(t, true)),
			huh.NewInput().Title(t("repo.tlocal")).Value(&f.TLocal).Validate(absOK(t, true)),
		).Title(t("repo.title")).WithHideFunc(func() bool { return f.Storage != "copy" }),
		huh.NewGroup(
			huh.NewInput().Title(t("repo.snapthrottle")).Value(&f.SnapMax).Validate(sizeOK(t)),
			huh.NewInput().Title(t("repo.restthrottle")).Value(&f.RestMax).Validate(sizeOK(t)),
			huh.NewInput().Title(t("repo.copythrottle")).Value(&f.CopyMax).Validate(sizeOK(t)),
		).Title(t("repo.title")),
	).WithTheme(m.c.Styles.Form).WithShowHelp(false).WithWidth(m.w).WithHeight(m.formH())
	return m.form.Init()
}

func (m *repositoryScreen) formH() int { return max(m.h-m.existingH()-1, 8) }

func (m *repositoryScreen) existingH() int { return min(len(m.existingLines()), max(m.h/3, 3)) }

// pathRepos lists the path.repo entries of a cluster's nodes (suggestions for the location).
func pathRepos(s steps.ClusterSummary) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range s.Nodes {
		for _, p := range n.PathRepo {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

func (m *repositoryScreen) apply() {
	f := m.f
	r := &m.s.Plan.Repository
	if f.Choice != choiceNew {
		for _, repo := range m.src.Repositories {
			if repo.Name == f.Choice {
				r.Name, r.SourceLocation = repo.Name, repo.Location()
			}
		}
	} else {
		r.Name, r.SourceLocation = strings.TrimSpace(f.Name), filepath.Clean(strings.TrimSpace(f.Location))
	}
	r.Shared = f.Storage == "shared"
	if r.Shared {
		r.TargetLocation, r.SourceLocal, r.TargetLocal = r.SourceLocation, "", ""
	} else {
		r.TargetLocation = filepath.Clean(strings.TrimSpace(f.TLocation))
		r.SourceLocal, r.TargetLocal = strings.TrimSpace(f.SLocal), strings.TrimSpace(f.TLocal)
	}
	r.MaxSnapshotBytesPerSec, r.MaxRestoreBytesPerSec = strings.TrimSpace(f.SnapMax), strings.TrimSpace(f.RestMax)
	m.s.Plan.Copy.BandwidthLimit = strings.TrimSpace(f.CopyMax)
}

func (m *repositoryScreen) verify() tea.Cmd {
	m.verified = true
	p, creds, src, dst, be := m.s.Plan, m.s.Creds, m.s.Src, m.s.Dst, m.be
	return m.list.Start(m.c.Ctx, func(ctx context.Context, emit func(steps.Event)) ([]steps.Check, error) {
		return be.ClusterChecks(ctx, p, creds, src, dst, true, emit)
	})
}

func (m *repositoryScreen) Update(msg tea.Msg) tea.Cmd {
	defer m.render()
	if cmd, ok := m.list.Update(msg); ok {
		return cmd
	}
	km := m.c.Keys
	if msg, ok := msg.(reposMsg); ok {
		if msg.seq != m.seq {
			return nil
		}
		m.loading = false
		m.src, m.dst, m.loadErr = msg.src, msg.dst, msg.err
		return m.openForm()
	}
	if m.form != nil {
		if isEsc(msg) && !m.verified {
			return goTo(scrPreflight)
		}
		var cmd tea.Cmd
		var done bool
		if m.form, cmd, done = editForm(m.form, msg); done {
			m.form = nil
			m.apply()
			return tea.Batch(cmd, m.verify())
		}
		return cmd
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	switch {
	case key.Matches(k, km.Edit) && !m.list.Running():
		return m.openForm()
	case key.Matches(k, km.Rerun) && !m.list.Running():
		return m.verify()
	case key.Matches(k, km.Next):
		if m.list.Passable() {
			if m.list.Acked() {
				m.s.AcceptWarns = true
			}
			return goTo(scrIndices)
		}
		return nil
	}
	m.list.Key(k, km)
	return nil
}

func (m *repositoryScreen) SetSize(w, h int) {
	m.w, m.h = w, h
	if m.form != nil {
		m.form = m.form.WithWidth(w).WithHeight(m.formH())
	}
	m.render()
}

func (m *repositoryScreen) existingLines() []string {
	var out []string
	for _, side := range []struct {
		role string
		v    steps.RepositoryView
	}{{"source", m.src}, {"target", m.dst}} {
		if len(side.v.Repositories) == 0 {
			out = append(out, m.c.T("role."+side.role)+": "+m.c.T("repo.none"))
			continue
		}
		for _, r := range side.v.Repositories {
			line := fmt.Sprintf("%s: %s (%s %s", m.c.T("role."+side.role), r.Name, r.Type, r.Location())
			if r.ReadOnly() {
				line += ", " + m.c.T("repo.readonly")
			}
			line += ") " + m.c.T("repo.snapshots", len(side.v.Snapshots[r.Name]))
			out = append(out, line)
		}
	}
	return out
}

func (m *repositoryScreen) render() {
	st := m.c.Styles
	if m.loading {
		m.view = m.c.T("repo.loading")
		return
	}
	var head []string
	if m.loadErr != nil {
		head = append(head, st.Error.Render(common.Wrap(m.c.T("misc.error", m.c.Err(m.loadErr)), m.w)))
	}
	head = append(head, common.Fit(m.c.T("repo.pathrepo", strings.Join(pathRepos(m.s.Src), ", "), strings.Join(pathRepos(m.s.Dst), ", ")), m.w, m.c.Glyphs.Ellipsis))
	ex := m.existingLines()
	exH := m.existingH()
	head = append(head, st.Bold.Render(m.c.T("repo.existing")))
	for i, l := range ex {
		if i >= exH {
			break
		}
		head = append(head, st.Subtle.Render(common.Fit("  "+l, m.w, m.c.Glyphs.Ellipsis)))
	}
	if m.form != nil {
		m.view = strings.Join(head, "\n") + "\n" + common.Clip(m.form.View(), m.w, max(m.h-len(head), 3))
		return
	}
	r := m.s.Plan.Repository
	mode := m.c.T("repo.mode.copy")
	if r.Shared {
		mode = m.c.T("repo.mode.shared")
	}
	head = append(head, st.Bold.Render(common.Fit(m.c.T("repo.plan", r.Name, r.SourceLocation, r.TargetLocation, mode), m.w, m.c.Glyphs.Ellipsis)))
	status := m.list.Status(m.c, "pf.blocked", "pf.needack", "pf.ready")
	bodyH := max(m.h-len(head)-1, 3)
	m.view = strings.Join(head, "\n") + "\n" + common.PadLines(m.list.Render(m.c, m.w, bodyH), bodyH) + "\n" + common.Fit(status, m.w, m.c.Glyphs.Ellipsis)
}

func (m *repositoryScreen) ShortHelp() []key.Binding {
	km := m.c.Keys
	if m.form != nil {
		return []key.Binding{km.FormNext, km.FormPrev}
	}
	b := []key.Binding{km.Next, km.Expand, km.Edit, km.Rerun}
	if _, warn, _ := m.list.Counts(); warn > 0 && !m.list.Acked() {
		b = append(b, km.Ack)
	}
	return b
}

func (m *repositoryScreen) FullHelp() [][]key.Binding {
	km := m.c.Keys
	if m.form != nil {
		return [][]key.Binding{{km.FormNext, km.FormPrev, km.FormOption, km.Back}}
	}
	return [][]key.Binding{{km.Up, km.Down, km.Expand, km.Ack}, {km.Edit, km.Rerun, km.Next}}
}
func (m *repositoryScreen) CanGoBack() bool {
	return !m.list.Running() && (m.form == nil || !m.verified)
}
func (m *repositoryScreen) Capturing() bool { return m.form != nil }
