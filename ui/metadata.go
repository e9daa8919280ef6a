package ui

import (
	"context"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/common"
	"github.com/esmigrate/esmigrate/ui/components/typedconfirm"
)

// metadataScreen: what a migration moves besides the indices (steps/metadata.go). Templates, ingest pipelines,
// lifecycle policies and stored scripts of the source, by kind; what the selected indices use is chosen (the
// engine's Choose decides, the screen only edits the plan's metadata section); how each compares with the target
// (absent, identical, different, or not copyable there), with the differences and why in the details (d); a
// conflict is kept as it is on the target unless the operator types its name to overwrite it (o); the curl of
// every request the step will send (tab). When selected indices name a lifecycle policy, the lifecycle remedy
// (i: keep, restore without the lifecycle settings, or stop ILM on the target after typing its name).
type metadataScreen struct {
	screenBase

	seq      int
	loading  bool
	err      error
	readFor  string // the clusters and indices the inventory was read for: read again when they change
	inv      *steps.MetadataInventory
	cursor   int
	off      int
	mode     metaMode
	detOff   int // the details' scroll
	reqOff   int // the requests' scroll
	xoff     int // the requests scrolled sideways
	reqSeq   int
	reqGot   int // the last requests' answer taken (tests wait for it)
	reqErr   error
	asking   metaAsk // a typed confirmation in progress
	askWord  string  // what must be typed
	askEntry steps.MetadataEntry
	input    typedconfirm.Model
	msg      string
	msgErr   bool
}

type metaMode int

const (
	metaList metaMode = iota
	metaDetails
	metaRequests
)

type metaAsk int

const (
	askNothing metaAsk = iota
	askOverwrite
	askPause
)

type inventoryMsg struct {
	seq int
	inv *steps.MetadataInventory
	err error
}

type metaRequestsMsg struct {
	seq  int
	reqs []steps.PlannedRequest
	err  error
}

func newMetadata(c *Common, s *Session, be Backend) *metadataScreen {
	m := &metadataScreen{screenBase: screenBase{c: c, s: s, be: be}}
	m.input = typedconfirm.New()
	return m
}

// readKey is what the inventory depends on.
func (m *metadataScreen) readKey() string {
	p := m.s.Plan
	return p.Source.URL + " " + p.Target.URL + " " + strings.Join(p.Indices, ",")
}

func (m *metadataScreen) Enter() tea.Cmd {
	m.mode, m.msg = metaList, ""
	if m.inv != nil && m.readFor == m.readKey() {
		m.render()
		return m.requests()
	}
	return m.load()
}

func (m *metadataScreen) load() tea.Cmd {
	m.seq++
	seq := m.seq
	m.loading, m.err, m.inv, m.cursor, m.off = true, nil, nil, 0, 0
	m.readFor = m.readKey()
	if !m.s.metaSeen && metaSectionEmpty(m.s.Plan.Metadata) {
		// What the selected indices use is chosen by default (issue #16): the wizard copies it unless the
		// operator leaves it out here. A plan without the section copies nothing (headless default).
		m.s.Plan.Metadata.Copy = true
	}
	m.s.metaSeen = true
	p, creds, src, dst, be := m.s.Plan, m.s.Creds, m.s.Src, m.s.Dst, m.be
	sel := steps.Select(m.s.Indices, p)
	m.render()
	return ioTimeout(m.c.Ctx, 2*time.Minute, func(ctx context.Context) tea.Msg {
		inv, err := be.InspectMetadata(ctx, p, creds, src, dst, sel)
		return inventoryMsg{seq: seq, inv: inv, err: err}
	})
}

func metaSectionEmpty(mp steps.MetadataPlan) bool {
	return !mp.Copy && len(mp.Include) == 0 && len(mp.Exclude) == 0 && len(mp.Overwrite) == 0 && mp.OnConflict == ""
}

// requests asks the engine for the curl of every request the step will send, as chosen now.
func (m *metadataScreen) requests() tea.Cmd {
	if m.inv == nil {
		return nil
	}
	m.reqSeq++
	seq := m.reqSeq
	p, creds, inv, be, ok := m.s.Plan, m.s.Creds, m.inv, m.be, m.s.MetaConfirmed
	return ioCmd(func() tea.Msg {
		reqs, err := be.MetadataRequests(p, creds, inv, ok)
		return metaRequestsMsg{seq: seq, reqs: reqs, err: err}
	})
}

func (m *metadataScreen) Update(msg tea.Msg) tea.Cmd {
	defer m.render()
	switch msg := msg.(type) {
	case inventoryMsg:
		if msg.seq != m.seq {
			return nil
		}
		m.loading, m.err = false, msg.err
		if msg.err == nil {
			m.inv = msg.inv
			m.inv.Choose(m.s.Plan.Metadata)
			m.s.Meta = m.inv
		}
		return m.requests()
	case metaRequestsMsg:
		if msg.seq == m.reqSeq {
			m.s.MetaRequests, m.reqErr, m.reqGot = msg.reqs, msg.err, msg.seq
		}
		return nil
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return nil
}

func (m *metadataScreen) entries() []steps.MetadataEntry {
	if m.inv == nil {
		return nil
	}
	return m.inv.Entries
}

func (m *metadataScreen) current() (steps.MetadataEntry, bool) {
	es := m.entries()
	if m.cursor < 0 || m.cursor >= len(es) {
		return steps.MetadataEntry{}, false
	}
	return es[m.cursor], true
}

func (m *metadataScreen) key(k tea.KeyPressMsg) tea.Cmd {
	km := m.c.Keys
	if m.asking != askNothing {
		out, _, cmd := m.input.Update(k, km, m.askWord)
		ask := m.asking
		switch out {
		case typedconfirm.Typing:
			return cmd
		case typedconfirm.Cancelled:
			m.asking = askNothing
		case typedconfirm.Mismatched:
			m.asking = askNothing
			m.msg, m.msgErr = m.c.T("md.mismatch", m.askWord), true
		case typedconfirm.Confirmed:
			m.asking = askNothing
			if ask == askOverwrite {
				m.s.Plan.Metadata = m.s.Plan.Metadata.WithOverwrite(m.askEntry, true)
				m.s.MetaConfirmed = true
				m.msg, m.msgErr = m.c.T("md.overwrite.on", m.askEntry.ID()), false
				return m.requests()
			}
			m.s.Plan = steps.WithLifecycleRemedy(m.s.Plan, steps.LifecyclePause)
			m.msg, m.msgErr = m.c.T("md.lc.paused"), false
		}
		return nil
	}
	switch m.mode {
	case metaDetails:
		switch {
		case key.Matches(k, km.Up):
			m.detOff = max(m.detOff-1, 0)
		case key.Matches(k, km.Down):
			m.detOff++
		case key.Matches(k, km.PgUp):
			m.detOff = max(m.detOff-m.h/2, 0)
		case key.Matches(k, km.PgDown):
			m.detOff += m.h / 2
		case key.Matches(k, km.MetaDetails) || key.Matches(k, km.Cancel):
			m.mode = metaList
		case key.Matches(k, km.Overwrite):
			return m.overwrite()
		}
		return nil
	case metaRequests:
		switch {
		case key.Matches(k, km.Up):
			m.reqOff = max(m.reqOff-1, 0)
		case key.Matches(k, km.Down):
			m.reqOff++
		case key.Matches(k, km.PgUp):
			m.reqOff = max(m.reqOff-m.h/2, 0)
		case key.Matches(k, km.PgDown):
			m.reqOff += m.h / 2
		case key.Matches(k, km.Sideways):
			step := max(m.w/2, 10)
			if s := k.String(); s == "left" || s == "h" {
				m.xoff = max(m.xoff-step, 0)
			} else if m.xoff+m.w < m.widest() {
				m.xoff += step
			}
		case key.Matches(k, km.Copy) && len(m.s.MetaRequests) > 0:
			text := m.curl()
			m.msg, m.msgErr = m.c.T("pf.copied", len(text)), false
			return m.s.clipboard(text)
		case key.Matches(k, km.Requests) || key.Matches(k, km.Cancel):
			m.mode = metaList
		}
		return nil
	}
	if m.inv == nil {
		switch {
		case key.Matches(k, km.Rerun) && !m.loading:
			return m.load()
		case key.Matches(k, km.Next) && !m.loading:
			// Nothing could be read: the migration goes on without the step (the review's check says so).
			m.s.Plan.Metadata.Copy = false
			return goTo(scrReview)
		}
		return nil
	}
	n := len(m.entries())
	page := max(m.listH()-1, 1)
	switch {
	case key.Matches(k, km.Up):
		m.cursor = max(m.cursor-1, 0)
	case key.Matches(k, km.Down):
		m.cursor = min(m.cursor+1, max(n-1, 0))
	case key.Matches(k, km.PgUp):
		m.cursor = max(m.cursor-page, 0)
	case key.Matches(k, km.PgDown):
		m.cursor = min(m.cursor+page, max(n-1, 0))
	case key.Matches(k, km.Home):
		m.cursor = 0
	case key.Matches(k, km.End):
		m.cursor = max(n-1, 0)
	case key.Matches(k, km.Toggle):
		if en, ok := m.current(); ok {
			m.s.Plan.Metadata = m.s.Plan.Metadata.WithChosen(en, !en.Selected)
			m.inv.Choose(m.s.Plan.Metadata)
			return m.requests()
		}
	case key.Matches(k, km.MetaDetails):
		if _, ok := m.current(); ok {
			m.mode, m.detOff = metaDetails, 0
		}
	case key.Matches(k, km.Overwrite):
		return m.overwrite()
	case key.Matches(k, km.Lifecycle) && len(m.inv.Managed) > 0:
		return m.lifecycle()
	case key.Matches(k, km.Requests):
		m.mode, m.reqOff = metaRequests, 0
	case key.Matches(k, km.Rerun):
		return m.load()
	case key.Matches(k, km.Next):
		m.s.Plan.Metadata.Copy = len(m.inv.Selected()) > 0
		return goTo(scrReview)
	}
	return nil
}

// overwrite asks for the name of the current conflict to overwrite it, or takes the overwrite back.
func (m *metadataScreen) overwrite() tea.Cmd {
	en, ok := m.current()
	if !ok {
		return nil
	}
	switch {
	case en.State != steps.MetaDifferent:
		m.msg, m.msgErr = m.c.T("md.overwrite.noconflict"), true
	case m.s.Plan.Metadata.Overwrites(en):
		m.s.Plan.Metadata = m.s.Plan.Metadata.WithOverwrite(en, false)
		m.msg, m.msgErr = m.c.T("md.overwrite.off", en.ID()), false
		return m.requests()
	case !en.Selected:
		m.msg, m.msgErr = m.c.T("md.overwrite.notchosen"), true
	default:
		m.asking, m.askWord, m.askEntry, m.msg = askOverwrite, en.Name, en, ""
		return m.input.Ask()
	}
	return nil
}

// lifecycle turns the lifecycle remedy: keep → restore without the lifecycle settings → stop ILM (typed) →
// keep.
func (m *metadataScreen) lifecycle() tea.Cmd {
	switch steps.LifecycleRemedy(m.s.Plan) {
	case steps.LifecycleKeep:
		m.s.Plan = steps.WithLifecycleRemedy(m.s.Plan, steps.LifecycleIgnore)
		m.msg, m.msgErr = "", false
	case steps.LifecycleIgnore:
		m.asking, m.askWord, m.msg = askPause, m.pauseWord(), ""
		return m.input.Ask()
	default:
		m.s.Plan = steps.WithLifecycleRemedy(m.s.Plan, steps.LifecycleKeep)
		m.msg, m.msgErr = "", false
	}
	return nil
}

// pauseWord is what the operator types to stop ILM on the target: the target cluster's name.
func (m *metadataScreen) pauseWord() string {
	if n := m.s.Dst.Info.ClusterName; n != "" {
		return n
	}
	return "pause"
}

// curl is every request, as the clipboard gets it.
func (m *metadataScreen) curl() string {
	var b strings.Builder
	for _, r := range m.s.MetaRequests {
		b.WriteString("# " + m.c.L.Msg(r.What) + "\n" + strings.Join(r.Lines(m.c.L), "\n") + "\n\n")
	}
	return b.String()
}

func (m *metadataScreen) widest() int {
	w := 0
	for _, r := range m.s.MetaRequests {
		for _, l := range r.Lines(m.c.L) {
			w = max(w, common.Width(l))
		}
	}
	return w
}

func (m *metadataScreen) SetSize(w, h int) { m.w, m.h = w, h; m.render() }

// footH is the lines under the list: the current item's why, the lifecycle line, the status or prompt.
func (m *metadataScreen) footH() int {
	n := 3
	if m.inv != nil && len(m.inv.Managed) > 0 {
		n++
	}
	if m.asking != askNothing {
		n++
	}
	return n
}

// listH is the rows the list has (its header included).
func (m *metadataScreen) listH() int { return max(m.h-2-m.footH(), 3) }

// kindText is a kind in words.
func (m *metadataScreen) kindText(en steps.MetadataEntry) string {
	return m.c.Text(en.Kind.TitleMsg())
}

// stateText is how an item compares with the target, and what the step does with it.
func (m *metadataScreen) stateText(en steps.MetadataEntry) string {
	switch en.State {
	case steps.MetaAbsent:
		return m.c.T("md.s.absent")
	case steps.MetaIdentical:
		return m.c.T("md.s.identical")
	case steps.MetaDifferent:
		if m.s.Plan.Metadata.Overwrites(en) && m.s.MetaConfirmed {
			return m.c.T("md.s.overwrite")
		}
		return m.c.T("md.s.keep")
	}
	return m.c.T("md.s.notcopyable")
}

func (m *metadataScreen) render() {
	st, g := m.c.Styles, m.c.Glyphs
	switch {
	case m.loading:
		m.view = m.c.T("md.loading")
		return
	case m.err != nil:
		m.view = st.Error.Render(common.Wrap(m.c.T("misc.error", problemOf(m.c, m.err)), m.w)) + "\n" + fixOf(m.c, m.err) + "\n\n" +
			common.Wrap(m.c.T("md.unread"), m.w)
		return
	case m.inv == nil:
		m.view = ""
		return
	}
	switch m.mode {
	case metaDetails:
		m.renderDetails()
		return
	case metaRequests:
		m.renderRequests()
		return
	}
	es := m.entries()
	var lines []string
	chosen := len(m.inv.Selected())
	title := st.Bold.Render(m.c.T("md.title"))
	right := st.Subtle.Render(m.c.T("md.count", chosen, len(es)))
	if gap := m.w - common.Width(title) - common.Width(right); gap >= 1 {
		lines = append(lines, title+strings.Repeat(" ", gap)+right)
	} else {
		lines = append(lines, common.Fit(title, m.w, g.Ellipsis))
	}
	lines = append(lines, st.Subtle.Render(common.Fit(m.c.T("md.how"), m.w, g.Ellipsis)))
	rows := m.listH() - 1
	if len(es) == 0 {
		lines = append(lines, "", common.Wrap(m.c.T("md.none"), m.w))
	} else {
		kw, sw := m.colWidths()
		nw := max(m.w-4-kw-sw-3, 8)
		head := "    " + common.Fit(m.c.T("md.h.kind"), kw, "") + " " + common.Fit(m.c.T("md.h.name"), nw, "") + " " +
			common.Fit(m.c.T("md.h.target"), sw, "")
		lines = append(lines, st.Header.Render(common.Fit(head, m.w, "")))
		m.off = min(max(m.off, m.cursor-rows+1), m.cursor)
		m.off = max(m.off, 0)
		for i := m.off; i < len(es) && i < m.off+rows; i++ {
			en := es[i]
			box := g.Uncheck
			if en.Selected {
				box = g.Check
			}
			line := box + " " + common.Fit(m.kindText(en), kw, g.Ellipsis) + " " + common.Fit(m.c.ASCII(en.Name), nw, g.Ellipsis) + " " +
				common.Fit(m.stateText(en), sw, g.Ellipsis)
			line = common.Fit(line, m.w, g.Ellipsis)
			switch {
			case i == m.cursor:
				line = st.Cursor.Render(line)
			case en.State == steps.MetaNotCopyable || !en.Builtin.IsZero():
				line = st.Subtle.Render(line)
			case en.Selected:
				line = st.Selected.Render(line)
			}
			lines = append(lines, line)
		}
	}
	body := common.PadLines(strings.Join(lines, "\n"), m.h-m.footH())
	var foot []string
	if en, ok := m.current(); ok {
		why := m.c.Text(en.Why)
		if len(en.UsedBy) > 0 {
			why += m.c.T("md.sep") + m.c.Text(en.UsedBy[0])
		}
		foot = append(foot, st.Subtle.Render(common.Fit(g.Pointer+" "+why, m.w, g.Ellipsis)))
	} else {
		foot = append(foot, "")
	}
	if len(m.inv.Managed) > 0 {
		foot = append(foot, common.Fit(m.lifecycleLine(), m.w, g.Ellipsis))
	}
	foot = append(foot, common.Fit(m.summary(), m.w, g.Ellipsis))
	switch {
	case m.asking == askOverwrite:
		foot = append(foot, st.Warn.Render(common.Fit(m.c.T("md.overwrite.type", m.askWord, m.kindText(m.askEntry), m.askEntry.Name), m.w, g.Ellipsis)), m.input.View())
	case m.asking == askPause:
		foot = append(foot, st.Warn.Render(common.Fit(m.c.T("md.lc.type", m.askWord), m.w, g.Ellipsis)), m.input.View())
	case m.msg != "":
		foot = append(foot, m.c.Flash(common.Fit(m.msg, m.w, g.Ellipsis), m.msgErr))
	default:
		foot = append(foot, "")
	}
	m.view = body + "\n" + strings.Join(foot, "\n")
}

// colWidths are the kind and state columns' widths: their longest label in the language shown.
func (m *metadataScreen) colWidths() (kind, state int) {
	for _, k := range []string{"legacy_template", "index_template", "component_template", "ingest_pipeline", "ilm_policy", "ism_policy", "stored_script"} {
		kind = max(kind, common.Width(m.c.Text(esclient.MetaKind(k).TitleMsg())))
	}
	for _, s := range []string{"md.s.absent", "md.s.identical", "md.s.keep", "md.s.overwrite", "md.s.notcopyable", "md.h.target"} {
		state = max(state, common.Width(m.c.T(s)))
	}
	return kind, state
}

// summary counts what the step will do with the chosen items.
func (m *metadataScreen) summary() string {
	var create, same, over, kept, refused int
	for _, en := range m.inv.Selected() {
		switch en.State {
		case steps.MetaAbsent:
			create++
		case steps.MetaIdentical:
			same++
		case steps.MetaDifferent:
			if m.s.Plan.Metadata.Overwrites(en) && m.s.MetaConfirmed {
				over++
			} else {
				kept++
			}
		default:
			refused++
		}
	}
	return m.c.T("md.summary", create, same, over, kept, refused)
}

func (m *metadataScreen) lifecycleLine() string {
	n := len(m.inv.Managed)
	switch steps.LifecycleRemedy(m.s.Plan) {
	case steps.LifecycleIgnore:
		return m.c.T("md.lc.ignore", n)
	case steps.LifecyclePause:
		return m.c.T("md.lc.pause", n)
	}
	return m.c.T("md.lc.keep", n)
}

// renderDetails: the current item, why it is chosen, what uses it, what the translation for the target
// changes, and how it differs from the target's.
func (m *metadataScreen) renderDetails() {
	st, g := m.c.Styles, m.c.Glyphs
	en, _ := m.current()
	var out []string
	add := func(s string) { out = append(out, strings.Split(common.Wrap(s, m.w), "\n")...) }
	add(st.Bold.Render(m.kindText(en) + " " + m.c.ASCII(en.Name)))
	add(m.c.T("md.d.state", m.stateText(en)))
	yes := m.c.T("misc.no")
	if en.Selected {
		yes = m.c.T("misc.yes")
	}
	add(m.c.T("md.d.chosen", yes, m.c.Text(en.Why)))
	if len(en.UsedBy) > 0 {
		out = append(out, "", st.Header.Render(m.c.T("md.d.uses")))
		for _, u := range en.UsedBy {
			add(g.Bullet + " " + m.c.Text(u))
		}
	}
	if !en.NotCopyable.IsZero() {
		out = append(out, "", st.Header.Render(m.c.T("md.d.notcopyable")))
		add(m.c.Text(en.NotCopyable))
	}
	if len(en.Notes) > 0 {
		out = append(out, "", st.Header.Render(m.c.T("md.d.notes")))
		for _, n := range en.Notes {
			add(g.Bullet + " " + m.c.Text(n))
		}
	}
	if en.State == steps.MetaDifferent {
		out = append(out, "", st.Header.Render(m.c.T("md.d.diff", len(en.Diff))))
		for _, d := range en.Diff {
			add(m.c.ASCII(m.c.Text(d)))
		}
		key := m.c.T("md.d.overwrite")
		if m.s.Plan.Metadata.Overwrites(en) && m.s.MetaConfirmed {
			key = m.c.T("md.d.keep")
		}
		out = append(out, "")
		add(st.Subtle.Render(key))
	}
	h := max(m.h-1, 1)
	m.detOff = min(m.detOff, max(len(out)-h, 0))
	end := min(m.detOff+h, len(out))
	foot := st.Subtle.Render(common.Fit(m.c.T("md.d.foot"), m.w, g.Ellipsis))
	if m.asking == askOverwrite {
		foot = st.Warn.Render(common.Fit(m.c.T("md.overwrite.type", m.askWord, m.kindText(m.askEntry), m.askEntry.Name), m.w, g.Ellipsis)) + "\n" + m.input.View()
		h--
		end = min(m.detOff+h, len(out))
	} else if m.msg != "" {
		foot = m.c.Flash(common.Fit(m.msg, m.w, g.Ellipsis), m.msgErr)
	}
	m.view = common.PadLines(common.Clip(strings.Join(out[m.detOff:end], "\n"), m.w, h), h) + "\n" + foot
}

// renderRequests: every request the step will send, as curl, never wrapped (scrolled sideways instead).
func (m *metadataScreen) renderRequests() {
	st, g := m.c.Styles, m.c.Glyphs
	var out []string
	out = append(out, st.Header.Render(m.c.T("md.r.title", len(m.s.MetaRequests))))
	if m.reqErr != nil {
		out = append(out, st.Error.Render(m.c.T("misc.error", m.c.Err(m.reqErr))))
	}
	if len(m.s.MetaRequests) == 0 {
		out = append(out, common.Wrap(m.c.T("md.r.none"), m.w))
	} else if m.widest() > m.w {
		out = append(out, strings.Split(st.Subtle.Render(common.Wrap(m.c.T("rv.sideways"), m.w)), "\n")...)
	}
	for _, r := range m.s.MetaRequests {
		out = append(out, m.sideways(st.Subtle.Render("# "+m.c.Text(r.What))))
		for _, l := range r.Lines(m.c.L) {
			out = append(out, m.sideways(m.c.ASCII(l)))
		}
	}
	h := max(m.h-1, 1)
	m.reqOff = min(m.reqOff, max(len(out)-h, 0))
	end := min(m.reqOff+h, len(out))
	foot := st.Subtle.Render(common.Fit(m.c.T("md.r.foot"), m.w, g.Ellipsis))
	if m.msg != "" {
		foot = m.c.Flash(common.Fit(m.msg, m.w, g.Ellipsis), m.msgErr)
	}
	m.view = common.PadLines(common.Clip(strings.Join(out[m.reqOff:end], "\n"), m.w, h), h) + "\n" + foot
}

// sideways is a request's line at the screen's sideways scroll (common.Sideways).
func (m *metadataScreen) sideways(l string) string { return m.c.Sideways(l, m.xoff, m.w) }

func (m *metadataScreen) ShortHelp() []key.Binding {
	km := m.c.Keys
	switch {
	case m.asking != askNothing:
		return []key.Binding{km.Confirm, km.Cancel}
	case m.mode == metaDetails:
		return []key.Binding{km.Scroll, km.Overwrite, km.MetaDetails}
	case m.mode == metaRequests:
		return []key.Binding{km.Scroll, km.Sideways, km.Copy, km.Requests}
	case m.inv == nil:
		return []key.Binding{km.Rerun, km.Next, km.Back}
	}
	b := []key.Binding{km.Toggle, km.MetaDetails, km.Overwrite}
	if len(m.inv.Managed) > 0 {
		b = append(b, km.Lifecycle)
	}
	return append(b, km.Requests, km.Next, km.Back)
}

func (m *metadataScreen) FullHelp() [][]key.Binding {
	km := m.c.Keys
	return [][]key.Binding{{km.Up, km.Down, km.PgUp, km.PgDown, km.Home, km.End},
		{km.Toggle, km.MetaDetails, km.Overwrite, km.Lifecycle, km.Requests, km.Copy, km.Sideways}, {km.Rerun, km.Next}}
}

// esc closes the details and the requests first; on the list it goes back to the indices.
func (m *metadataScreen) CanGoBack() bool { return m.mode == metaList && m.asking == askNothing }
func (m *metadataScreen) Capturing() bool { return m.asking != askNothing }
