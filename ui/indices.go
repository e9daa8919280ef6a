package ui

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/common"
	"github.com/esmigrate/esmigrate/ui/components/indextable"
)

// indicesScreen: the index picker (type to filter, space to select) and the restore options.
type indicesScreen struct {
	screenBase

	seq      int
	loading  bool
	loadErr  error
	loadedAt string // the source URL the list was read from
	t        *indextable.Model

	globbing bool
	glob     string
	msg      string
	msgErr   bool

	previewSeq int
	preview    []steps.Batch

	form *huh.Form
	opts restoreFields
}

type restoreFields struct {
	RenamePattern, RenameReplacement, Replicas, BatchMax, InFlight string
	PutBack, Aliases, Global                                       bool
}

type indicesMsg struct {
	seq int
	all []esclient.Index
	err error
}

type previewTickMsg struct{ seq int }

type previewMsg struct {
	seq     int
	batches []steps.Batch
}

func newIndices(c *Common, s *Session, be Backend) *indicesScreen {
	return &indicesScreen{screenBase: screenBase{c: c, s: s, be: be}}
}

func (m *indicesScreen) Enter() tea.Cmd {
	if m.t != nil && m.loadedAt == m.s.Plan.Source.URL {
		m.render()
		return m.schedulePreview()
	}
	m.seq++
	seq := m.seq
	m.loading, m.loadErr = true, nil
	p, creds, be, ctx := m.s.Plan, m.s.Creds, m.be, m.c.Ctx
	m.render()
	return ioTimeout(ctx, 2*time.Minute, func(ctx context.Context) tea.Msg {
		all, err := be.ListIndices(ctx, p, creds)
		return indicesMsg{seq: seq, all: all, err: err}
	})
}

// SetIndices loads a list directly (tests, benchmarks).
func (m *indicesScreen) SetIndices(all []esclient.Index) {
	m.loading = false
	m.s.Indices = all
	m.loadedAt = m.s.Plan.Source.URL
	chosen := map[string]bool{}
	if len(m.s.Plan.Indices) > 0 {
		for _, ix := range steps.Select(all, m.s.Plan).Indices {
			chosen[ix.Name] = true
		}
	}
	m.t = indextable.New(all, func(ix esclient.Index) bool { return chosen[ix.Name] })
	m.render()
}

func (m *indicesScreen) rowsH() int { return max(m.h-7, 3) }

func (m *indicesScreen) schedulePreview() tea.Cmd {
	m.previewSeq++
	seq := m.previewSeq
	return tea.Tick(150*time.Millisecond, func(time.Time) tea.Msg { return previewTickMsg{seq} })
}

func (m *indicesScreen) Update(msg tea.Msg) tea.Cmd {
	defer m.render()
	switch msg := msg.(type) {
	case indicesMsg:
		if msg.seq != m.seq {
			return nil
		}
		m.loading = false
		if msg.err != nil {
			m.loadErr = msg.err
			return nil
		}
		m.SetIndices(msg.all)
		return m.schedulePreview()
	case previewTickMsg:
		if msg.seq != m.previewSeq || m.t == nil {
			return nil
		}
		sel, p, seq := m.t.Selected(), m.s.Plan, msg.seq
		return ioCmd(func() tea.Msg {
			batches, _ := steps.BatchPreview(p, sel)
			return previewMsg{seq: seq, batches: batches}
		})
	case previewMsg:
		if msg.seq == m.previewSeq {
			m.preview = msg.batches
		}
		return nil
	}
	if m.form != nil {
		return m.updateForm(msg)
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok || m.t == nil {
		if ok && m.loadErr != nil && k.String() == "r" {
			m.loadedAt = ""
			return m.Enter()
		}
		if ok && k.String() == "esc" {
			return goTo(scrRepository)
		}
		return nil
	}
	return m.key(k)
}

func (m *indicesScreen) key(k tea.KeyPressMsg) tea.Cmd {
	t, km := m.t, m.c.Keys
	if m.globbing {
		switch {
		case key.Matches(k, km.Cancel):
			m.globbing = false
		case key.Matches(k, km.Confirm):
			m.globbing = false
			n, err := t.SelectGlob(strings.TrimSpace(m.glob))
			if err != nil {
				m.msg, m.msgErr = m.c.T("ix.glob.bad", m.glob, err.Error()), true
				return nil
			}
			m.msg, m.msgErr = m.c.T("ix.glob.done", m.glob, n), false
			return m.schedulePreview()
		case k.String() == "backspace":
			m.glob = dropLast(m.glob)
		default:
			if k.Text != "" {
				m.glob += k.Text
			}
		}
		return nil
	}
	h := m.rowsH()
	switch {
	case key.Matches(k, km.RowUp):
		t.Move(-1, h)
	case key.Matches(k, km.RowDown):
		t.Move(1, h)
	case key.Matches(k, km.PgUp):
		t.Move(-h, h)
	case key.Matches(k, km.PgDown):
		t.Move(h, h)
	case key.Matches(k, km.Home):
		t.Move(-t.Shown(), h)
	case key.Matches(k, km.End):
		t.Move(t.Shown(), h)
	case key.Matches(k, km.Toggle):
		t.Toggle()
		return m.schedulePreview()
	case key.Matches(k, km.All):
		t.ToggleVisible()
		return m.schedulePreview()
	case key.Matches(k, km.Glob):
		m.globbing, m.glob = true, ""
	case key.Matches(k, km.SortLeft):
		t.SortBy(t.SortCol()-1, t.SortDesc())
	case key.Matches(k, km.SortRight):
		t.SortBy(t.SortCol()+1, t.SortDesc())
	case key.Matches(k, km.Reverse):
		t.SortBy(t.SortCol(), !t.SortDesc())
	case key.Matches(k, km.Hidden):
		t.ShowHidden(!t.Hidden())
	case key.Matches(k, km.Clear):
		t.SetFilter("")
	case key.Matches(k, km.Options):
		return m.openForm()
	case key.Matches(k, km.Next):
		if n, _, _, _, closed := t.Totals(); n-closed == 0 {
			m.msg, m.msgErr = m.c.T("ix.none"), true
			return nil
		}
		m.commit()
		return goTo(scrMetadata)
	case key.Matches(k, km.Back):
		if t.Filter() != "" {
			t.SetFilter("")
			return nil
		}
		return goTo(scrRepository)
	case k.String() == "backspace":
		if t.Filter() != "" {
			t.SetFilter(dropLast(t.Filter()))
		}
	default:
		// Everything else types into the filter (j, k, q and ? too: index names have them).
		if k.Text != "" && k.Mod == 0 || k.Text != "" && k.Mod == tea.ModShift {
			t.SetFilter(t.Filter() + k.Text)
		}
	}
	t.Scroll(h)
	return nil
}

func dropLast(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return s
	}
	return string(r[:len(r)-1])
}

// commit writes the selection into the plan: the exact names (closed ones are left out by the engine with a
// reason in the report), and the batches the planner makes of them.
func (m *indicesScreen) commit() {
	sel := m.t.Selected()
	names := make([]string, 0, len(sel))
	for _, ix := range sel {
		names = append(names, ix.Name)
	}
	m.s.Plan.Indices = names
	m.s.Plan.Exclude = nil
	m.s.Batches, _ = steps.BatchPreview(m.s.Plan, sel)
}

func (m *indicesScreen) openForm() tea.Cmd {
	r := m.s.Plan.Restore
	m.opts = restoreFields{RenamePattern: r.RenamePattern, RenameReplacement: r.RenameReplacement,
		Replicas: strconv.Itoa(r.ReplicasDuringRestore), BatchMax: m.s.Plan.BatchMaxSize, InFlight: strconv.Itoa(m.s.Plan.InFlight()),
		PutBack: r.RestoreReplicas, Aliases: r.IncludeAliases, Global: r.IncludeGlobalState}
	t := m.c.T
	o := &m.opts
	m.form = huh.NewForm(
		huh.NewGroup(
			huh.NewInput().Title(t("ix.opts.renamep")).Value(&o.RenamePattern).Validate(func(s string) error {
				if _, err := regexp.Compile(s); err != nil {
					return errors.New(t("ix.opts.regex", err.Error()))
				}
				return nil
			}),
			huh.NewInput().Title(t("ix.opts.renamer")).Value(&o.RenameReplacement).Validate(func(s string) error {
				if (strings.TrimSpace(o.RenamePattern) == "") != (strings.TrimSpace(s) == "") {
					return errors.New(t("ix.opts.pair"))
				}
				return nil
			}),
			huh.NewInput().Title(t("ix.opts.batch")).Value(&o.BatchMax).Validate(func(s string) error {
				if _, err := steps.ParseBytes(s); err != nil {
					return errors.New(t("repo.size.bad"))
				}
				return nil
			}),
			huh.NewInput().Title(t("ix.opts.inflight")).Value(&o.InFlight).Validate(func(s string) error {
				if n, err := strconv.Atoi(strings.TrimSpace(s)); err != nil || n < 1 || n > steps.MaxBatchesInFlight {
					return errors.New(t("ix.opts.inflight.bad", steps.MaxBatchesInFlight))
				}
				return nil
			}),
		).Title(t("ix.opts.title")),
		huh.NewGroup(
			huh.NewInput().Title(t("ix.opts.replicas")).Value(&o.Replicas).Validate(func(s string) error {
				if n, err := strconv.Atoi(strings.TrimSpace(s)); err != nil || n < -1 {
					return errors.New(t("ix.opts.int"))
				}
				return nil
			}),
			huh.NewConfirm().Title(t("ix.opts.putback")).Value(&o.PutBack).Affirmative(t("misc.yes")).Negative(t("misc.no")),
			huh.NewConfirm().Title(t("ix.opts.aliases")).Value(&o.Aliases).Affirmative(t("misc.yes")).Negative(t("misc.no")),
			huh.NewConfirm().Title(t("ix.opts.global")).Value(&o.Global).Affirmative(t("misc.yes")).Negative(t("misc.no")),
		).Title(t("ix.opts.title")),
	).WithTheme(m.c.Styles.Form).WithShowHelp(false).WithWidth(m.w).WithHeight(max(m.h-1, 8))
	return m.form.Init()
}

func (m *indicesScreen) updateForm(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	var done bool
	if m.form, cmd, done = editForm(m.form, msg); done {
		o := m.opts
		r := &m.s.Plan.Restore
		r.RenamePattern, r.RenameReplacement = strings.TrimSpace(o.RenamePattern), strings.TrimSpace(o.RenameReplacement)
		r.ReplicasDuringRestore, _ = strconv.Atoi(strings.TrimSpace(o.Replicas))
		r.RestoreReplicas, r.IncludeAliases, r.IncludeGlobalState = o.PutBack, o.Aliases, o.Global
		m.s.Plan.BatchMaxSize = strings.TrimSpace(o.BatchMax)
		m.s.Plan.BatchesInFlight, _ = strconv.Atoi(strings.TrimSpace(o.InFlight))
		m.form = nil
		return tea.Batch(cmd, m.schedulePreview())
	}
	return cmd
}

func (m *indicesScreen) SetSize(w, h int) {
	m.w, m.h = w, h
	if m.form != nil {
		m.form = m.form.WithWidth(w).WithHeight(max(h-1, 8))
	}
	if m.t != nil {
		m.t.Scroll(m.rowsH())
	}
	m.render()
}

func (m *indicesScreen) render() {
	st, g := m.c.Styles, m.c.Glyphs
	if m.loading || m.t == nil {
		switch {
		case m.loadErr != nil:
			m.view = st.Error.Render(m.c.T("misc.error", problemOf(m.c, m.loadErr))) + "\n" + fixOf(m.c, m.loadErr)
		default:
			m.view = m.c.T("ix.loading")
		}
		return
	}
	if m.form != nil {
		m.view = m.form.View()
		return
	}
	t := m.t
	var b strings.Builder
	// Line 1: the filter, or the pattern prompt.
	var left string
	switch {
	case m.globbing:
		left = st.Bold.Render(m.c.T("ix.glob")) + m.glob + "_"
	case t.Filter() == "":
		left = st.Bold.Render(m.c.T("ix.filter")) + st.Subtle.Render(m.c.T("ix.filter.ph"))
	default:
		left = st.Bold.Render(m.c.T("ix.filter")) + t.Filter() + "_"
	}
	hid := m.c.T("ix.hiddenoff")
	if t.Hidden() {
		hid = m.c.T("ix.hiddenon")
	}
	right := st.Subtle.Render(m.c.T("ix.shown", t.Shown(), t.Len()) + m.c.ASCII(" · ") + hid)
	if gap := m.w - common.Width(left) - common.Width(right); gap < 1 {
		b.WriteString(common.Fit(left, m.w, "") + "\n")
	} else {
		b.WriteString(left + strings.Repeat(" ", gap) + right + "\n")
	}
	b.WriteString(strings.Join(t.Render(m.c, m.w, m.rowsH()), "\n") + "\n")
	n, bytes, docs, shards, closed := t.Totals()
	b.WriteString(st.Bold.Render(common.Fit(m.c.T("ix.totals", n, steps.HumanBytes(bytes), common.HumanCount(docs), shards), m.w, g.Ellipsis)) + "\n")
	var largest int64
	for _, bt := range m.preview {
		largest = max(largest, bt.PrimaryBytes)
	}
	batchLine := m.c.T("ix.batches", m.s.Plan.BatchMaxSize, len(m.preview), steps.HumanBytes(largest))
	if len(m.preview) > 0 {
		var parts []string
		for _, bt := range m.preview {
			parts = append(parts, fmt.Sprintf("%d:%s/%d", bt.Number, steps.HumanBytes(bt.PrimaryBytes), len(bt.Indices)))
		}
		batchLine += "  " + st.Subtle.Render(strings.Join(parts, " "))
	}
	b.WriteString(common.Fit(batchLine, m.w, g.Ellipsis) + "\n")
	b.WriteString(common.Fit(m.restoreSummary(), m.w, g.Ellipsis) + "\n")
	switch {
	case m.msg != "":
		b.WriteString(m.c.Flash(common.Fit(m.msg, m.w, g.Ellipsis), m.msgErr))
	case closed > 0:
		b.WriteString(st.Warn.Render(common.Fit(m.c.T("ix.closed", closed), m.w, g.Ellipsis)))
	}
	m.view = b.String()
}

func (m *indicesScreen) restoreSummary() string {
	r := m.s.Plan.Restore
	yn := func(b bool) string {
		if b {
			return m.c.T("ix.on")
		}
		return m.c.T("ix.off")
	}
	rep := strconv.Itoa(r.ReplicasDuringRestore)
	if r.ReplicasDuringRestore < 0 {
		rep = m.c.T("ix.keep")
	}
	rename := m.c.T("ix.off")
	if r.RenamePattern != "" {
		rename = r.RenamePattern + " " + m.c.Glyphs.Arrow + " " + r.RenameReplacement
	}
	return m.c.T("ix.opts.summary", rep, yn(r.IncludeAliases), yn(r.IncludeGlobalState), rename)
}

func (m *indicesScreen) ShortHelp() []key.Binding {
	km := m.c.Keys
	if m.form != nil {
		return []key.Binding{km.FormNext, km.Cancel}
	}
	if m.globbing {
		return []key.Binding{km.Confirm, km.Cancel}
	}
	return []key.Binding{km.Toggle, km.All, km.Glob, km.Sort, km.Options, km.Next}
}

func (m *indicesScreen) FullHelp() [][]key.Binding {
	km := m.c.Keys
	if m.form != nil {
		return [][]key.Binding{{km.FormNext, km.FormPrev, km.Cancel}}
	}
	return [][]key.Binding{{km.RowUp, km.RowDown, km.PgUp, km.PgDown, km.Home, km.End}, {km.Toggle, km.All, km.Glob, km.Hidden, km.Clear},
		{km.Sort, km.Reverse, km.Options, km.Next, km.Back}}
}

// esc clears the filter first; the screen handles it.
func (m *indicesScreen) CanGoBack() bool { return false }
func (m *indicesScreen) Capturing() bool { return m.form != nil || m.globbing }
