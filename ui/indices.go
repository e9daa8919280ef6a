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
)

// indicesScreen: the index picker (type to filter, space to select) and the restore options.
type indicesScreen struct {
	screenBase

	seq      int
	loading  bool
	loadErr  error
	loadedAt string // the source URL the list was read from
	t        *indexTable

	globbing bool
	glob     string
	msg      string
	msgErr   bool

	previewSeq int
	preview    []steps.Batch

	form *huh.Form
	opts restoreFields
	keys indexKeys
}

type indexKeys struct {
	Up, Down, PgUp, PgDown, Home, End, Toggle, All, Glob, SortL, SortR, Reverse, Hidden, Options, Clear, Next, Back key.Binding
}

type restoreFields struct {
	RenamePattern, RenameReplacement, Replicas, BatchMax string
	PutBack, Aliases, Global                             bool
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
	m := &indicesScreen{screenBase: screenBase{c: c, s: s, be: be}}
	m.keys = indexKeys{
		Up:      bind(c, "up", "↑", "key.up"),
		Down:    bind(c, "down", "↓", "key.down"),
		PgUp:    bind(c, "pgup", "pgup", "key.pgup"),
		PgDown:  bind(c, "pgdown", "pgdn", "key.pgdown"),
		Home:    bind(c, "home", "home", "key.up"),
		End:     bind(c, "end", "end", "key.down"),
		Toggle:  bind(c, "space", "space", "key.toggle"),
		All:     bind(c, "ctrl+t", "ctrl+t", "key.all"),
		Glob:    bind(c, "ctrl+g", "ctrl+g", "key.glob"),
		SortL:   bind(c, "left", "←", "key.sort"),
		SortR:   bind(c, "right", "→", "key.sort"),
		Reverse: bind(c, "ctrl+r", "ctrl+r", "key.reverse"),
		Hidden:  bind(c, "ctrl+x", "ctrl+x", "key.hidden"),
		Options: bind(c, "ctrl+e", "ctrl+e", "key.options"),
		Clear:   bind(c, "ctrl+u", "ctrl+u", "key.clear"),
		Next:    bind(c, "enter", "enter", "key.next"),
		Back:    bind(c, "esc", "esc", "key.back"),
	}
	if !c.Glyphs.UTF8 {
		m.keys.Up.SetHelp("up", c.T("key.up"))
		m.keys.Down.SetHelp("down", c.T("key.down"))
		m.keys.SortL.SetHelp("left/right", c.T("key.sort"))
	} else {
		m.keys.SortL.SetHelp("←/→", c.T("key.sort"))
	}
	return m
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
	m.t = newIndexTable(all, func(ix esclient.Index) bool { return chosen[ix.Name] })
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
		sel, batchMax, seq := m.t.Selected(), m.s.Plan.BatchMaxSize, msg.seq
		return ioCmd(func() tea.Msg {
			return previewMsg{seq: seq, batches: planBatches(sel, batchMax)}
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
	t := m.t
	if m.globbing {
		switch k.String() {
		case "esc":
			m.globbing = false
		case "enter":
			m.globbing = false
			n, err := t.SelectGlob(strings.TrimSpace(m.glob))
			if err != nil {
				m.msg, m.msgErr = err.Error(), true
				return nil
			}
			m.msg, m.msgErr = m.c.T("ix.glob.done", m.glob, n), false
			return m.schedulePreview()
		case "backspace":
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
	case key.Matches(k, m.keys.Up):
		t.Move(-1, h)
	case key.Matches(k, m.keys.Down):
		t.Move(1, h)
	case key.Matches(k, m.keys.PgUp):
		t.Move(-h, h)
	case key.Matches(k, m.keys.PgDown):
		t.Move(h, h)
	case key.Matches(k, m.keys.Home):
		t.Move(-len(t.visible), h)
	case key.Matches(k, m.keys.End):
		t.Move(len(t.visible), h)
	case key.Matches(k, m.keys.Toggle):
		t.Toggle()
		return m.schedulePreview()
	case key.Matches(k, m.keys.All):
		t.ToggleVisible()
		return m.schedulePreview()
	case key.Matches(k, m.keys.Glob):
		m.globbing, m.glob = true, ""
	case key.Matches(k, m.keys.SortL):
		t.SortBy(t.sortCol-1, t.sortDesc)
	case key.Matches(k, m.keys.SortR):
		t.SortBy(t.sortCol+1, t.sortDesc)
	case key.Matches(k, m.keys.Reverse):
		t.SortBy(t.sortCol, !t.sortDesc)
	case key.Matches(k, m.keys.Hidden):
		t.ShowHidden(!t.showHidden)
	case key.Matches(k, m.keys.Clear):
		t.SetFilter("")
	case key.Matches(k, m.keys.Options):
		return m.openForm()
	case key.Matches(k, m.keys.Next):
		if t.selCount-t.selClosed == 0 {
			m.msg, m.msgErr = m.c.T("ix.none"), true
			return nil
		}
		m.commit()
		return goTo(scrReview)
	case k.String() == "esc":
		if t.filter != "" {
			t.SetFilter("")
			return nil
		}
		return goTo(scrRepository)
	case k.String() == "backspace":
		if t.filter != "" {
			t.SetFilter(dropLast(t.filter))
		}
	default:
		if k.Text != "" && k.Mod == 0 || k.Text != "" && k.Mod == tea.ModShift {
			t.SetFilter(t.filter + k.Text)
		}
	}
	t.scroll(h)
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
// reason in the report).
func (m *indicesScreen) commit() {
	sel := m.t.Selected()
	names := make([]string, 0, len(sel))
	for _, ix := range sel {
		names = append(names, ix.Name)
	}
	m.s.Plan.Indices = names
	m.s.Plan.Exclude = nil
	m.s.Batches = planBatches(sel, m.s.Plan.BatchMaxSize)
}

// planBatches splits the selection's open indices (a snapshot cannot take a closed one) into batches of at most
// batchMax (the plan's text; 50gb, the default, when it does not parse).
func planBatches(sel []esclient.Index, batchMax string) []steps.Batch {
	maxB, err := steps.ParseBytes(batchMax)
	if err != nil {
		maxB = 50 << 30
	}
	open := make([]esclient.Index, 0, len(sel))
	for _, ix := range sel {
		if !ix.Closed() {
			open = append(open, ix)
		}
	}
	return steps.PlanBatches(open, maxB)
}

func (m *indicesScreen) openForm() tea.Cmd {
	r := m.s.Plan.Restore
	m.opts = restoreFields{RenamePattern: r.RenamePattern, RenameReplacement: r.RenameReplacement,
		Replicas: strconv.Itoa(r.ReplicasDuringRestore), BatchMax: m.s.Plan.BatchMaxSize,
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
	).WithTheme(formTheme(m.c.Glyphs)).WithShowHelp(false).WithWidth(m.w).WithHeight(max(m.h-1, 8))
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
		m.t.scroll(m.rowsH())
	}
	m.render()
}

// column widths: check, name (the rest), health, status, docs, size, shards, aliases.
func (m *indicesScreen) cols() (nameW, aliasW int) {
	aliasW = 12
	if m.w >= 110 {
		aliasW = 24
	}
	fixed := 4 + 7 + 7 + 12 + 10 + 7 + aliasW + 1
	return max(m.w-fixed, 12), aliasW
}

func (m *indicesScreen) header() string {
	t := m.t
	nameW, aliasW := m.cols()
	arrow := map[bool]string{false: "^", true: "v"}
	if m.c.Glyphs.UTF8 {
		arrow = map[bool]string{false: "▲", true: "▼"}
	}
	h := func(col int, label string) string {
		if t.sortCol == col {
			return label + arrow[t.sortDesc]
		}
		return label
	}
	return "    " + fit(h(colName, m.c.T("ix.col.name")), nameW, "") + " " +
		fit(h(colHealth, m.c.T("ix.col.health")), 6, "") + " " +
		fit(h(colStatus, m.c.T("ix.col.status")), 6, "") + " " +
		fitRight(h(colDocs, m.c.T("ix.col.docs")), 11) + " " +
		fitRight(h(colSize, m.c.T("ix.col.size")), 9) + " " +
		fitRight(h(colShards, m.c.T("ix.col.shards")), 6) + " " +
		fit(h(colAliases, m.c.T("ix.col.aliases")), aliasW, "")
}

func (m *indicesScreen) row(i int, cursor bool) string {
	st, g := m.c.Styles, m.c.Glyphs
	r := &m.t.rows[i]
	nameW, aliasW := m.cols()
	box := g.Uncheck
	if r.selected {
		box = g.Check
	}
	status := r.ix.Status
	health := r.ix.Health
	if health == "" {
		health = "-"
	}
	line := box + " " + fit(r.ix.Name, nameW, g.Ellipsis) + " " + fit(health, 6, "") + " " + fit(status, 6, "") + " " +
		fitRight(humanCount(r.ix.Docs), 11) + " " + fitRight(steps.HumanBytes(r.ix.PrimaryBytes), 9) + " " +
		fitRight(strconv.Itoa(r.ix.Primaries), 6) + " " + fit(r.aliases, aliasW, g.Ellipsis)
	switch {
	case cursor:
		return st.Cursor.Render(line)
	case r.selected:
		return st.Selected.Render(line)
	case r.special || r.ix.Closed():
		return st.Subtle.Render(line)
	}
	return line
}

func (m *indicesScreen) render() {
	st := m.c.Styles
	if m.loading || m.t == nil {
		switch {
		case m.loadErr != nil:
			m.view = st.Error.Render(m.c.T("misc.error", problemOf(m.loadErr))) + "\n" + fixOf(m.c, m.loadErr)
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
	if m.globbing {
		left = st.Bold.Render(m.c.T("ix.glob")) + m.glob + "_"
	} else if t.filter == "" {
		left = st.Bold.Render(m.c.T("ix.filter")) + st.Subtle.Render(m.c.T("ix.filter.ph"))
	} else {
		left = st.Bold.Render(m.c.T("ix.filter")) + t.filter + "_"
	}
	hid := m.c.T("ix.hiddenoff")
	if t.showHidden {
		hid = m.c.T("ix.hiddenon")
	}
	right := st.Subtle.Render(m.c.T("ix.shown", len(t.visible), len(t.rows)) + m.c.ascii(" · ") + hid)
	gap := m.w - width(left) - width(right)
	if gap < 1 {
		b.WriteString(fit(left, m.w, "") + "\n")
	} else {
		b.WriteString(left + strings.Repeat(" ", gap) + right + "\n")
	}
	b.WriteString(st.Header.Render(fit(m.header(), m.w, "")) + "\n")
	h := m.rowsH()
	n := 0
	for vi := t.offset; vi < len(t.visible) && n < h; vi++ {
		b.WriteString(m.row(t.visible[vi], vi == t.cursor) + "\n")
		n++
	}
	for ; n < h; n++ {
		b.WriteString("\n")
	}
	b.WriteString(st.Bold.Render(fit(m.c.T("ix.totals", t.selCount, steps.HumanBytes(t.selBytes), humanCount(t.selDocs), t.selShards), m.w, m.c.Glyphs.Ellipsis)) + "\n")
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
	b.WriteString(fit(batchLine, m.w, m.c.Glyphs.Ellipsis) + "\n")
	b.WriteString(fit(m.restoreSummary(), m.w, m.c.Glyphs.Ellipsis) + "\n")
	switch {
	case m.msg != "":
		b.WriteString(flash(m.c, fit(m.msg, m.w, m.c.Glyphs.Ellipsis), m.msgErr))
	case t.selClosed > 0:
		b.WriteString(st.Warn.Render(fit(m.c.T("ix.closed", t.selClosed), m.w, m.c.Glyphs.Ellipsis)))
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
	if m.form != nil {
		return []key.Binding{bind(m.c, "enter", "enter", "key.next"), bind(m.c, "esc", "esc", "key.cancel")}
	}
	if m.globbing {
		return []key.Binding{bind(m.c, "enter", "enter", "key.accept"), bind(m.c, "esc", "esc", "key.cancel")}
	}
	return []key.Binding{m.keys.Toggle, m.keys.All, m.keys.Glob, m.keys.SortL, m.keys.Options, m.keys.Next}
}

func (m *indicesScreen) FullHelp() [][]key.Binding {
	k := m.keys
	return [][]key.Binding{{k.Up, k.Down, k.PgUp, k.PgDown, k.Home, k.End}, {k.Toggle, k.All, k.Glob, k.Hidden, k.Clear},
		{k.SortL, k.Reverse, k.Options, k.Next, k.Back}}
}

// esc clears the filter first; the screen handles it.
func (m *indicesScreen) CanGoBack() bool { return false }
func (m *indicesScreen) Capturing() bool { return m.form != nil || m.globbing }

// problemOf is an error's text without its fix when the fix is shown on its own line (see fixOf).
func problemOf(err error) string {
	var ee *esclient.Error
	if errors.As(err, &ee) {
		return ee.Problem()
	}
	return err.Error()
}

// fixOf renders the fix of an engine error, if it has one.
func fixOf(c *Common, err error) string {
	var ee *esclient.Error
	if errors.As(err, &ee) && ee.Fix != "" {
		return c.T("misc.fix", ee.Fix)
	}
	return ""
}
