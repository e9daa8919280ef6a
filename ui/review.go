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
	"github.com/esmigrate/esmigrate/ui/components/checklist"
	"github.com/esmigrate/esmigrate/ui/components/typedconfirm"
)

// reviewScreen: the plan in words, the choices left to make, the selection's checks (conflicts), and the exact
// requests as curl. It scrolls as a whole; the curl commands are never wrapped (a command cut in two cannot be
// copied from the screen): lines wider than the screen scroll sideways.
type reviewScreen struct {
	screenBase

	list     *checklist.Model
	requests []steps.PlannedRequest
	reqErr   error
	off      int // first line shown
	xoff     int // columns the requests are scrolled sideways
	asking   bool
	msg      string
	msgErr   bool
	recheck  bool // a choice changed what the checks decide: they run again
	// needReindex is how many selected indices the target cannot restore (steps.NeedsReindex), found on Enter:
	// View must stay cheap with thousands of indices.
	needReindex int
	reqSeq      int // the requests asked for last (they change with the throttles and their confirmation)
	reqGot      int // the last requests' answer taken (tests wait for it)
	// The shares' throughput (m): the engine's probe running, or why it failed; what it measured and proposes is
	// the session's Advice.
	measuring  bool
	measureSeq int
	measureErr error
	// typing: the typed confirmation of the target's recovery throttle (the target cluster's name) has the keys.
	typing bool
	input  typedconfirm.Model
	// tpAt is the first line of the throughput lines in the content; toTP scrolls there at the next render (when
	// the probe answers and when the confirmation is asked: what is confirmed stays in sight).
	tpAt int
	toTP bool
	// batches and reindexed are how the run moves the selection (steps.RunBatchesOf): the batches of snapshot and
	// restore, and the indices that go by _reindex from remote in a last batch.
	batches   []steps.Batch
	reindexed []esclient.Index
}

// reviewChoice is one choice the review offers before the start: a key cycles it through its values. To add
// one: an entry in choices() (its key in the key map, its catalogue words, where it lives in the plan); the
// screen shows it, lists its key in the help and applies it.
type reviewChoice struct {
	key    key.Binding
	title  string   // what is chosen
	values []string // the values, in order
	labels []string // how each reads
	get    func() string
	set    func(string)
}

// choices are the review's choices, in order: the verification mode (what "verified" will prove), and, when
// selected indices cannot be restored into the target, whether they go by _reindex from remote (the checks run
// again: the reindex checks decide then).
func (m *reviewScreen) choices() []reviewChoice {
	out := []reviewChoice{{key: m.c.Keys.Verify, title: m.c.T("rv.verify"), values: steps.VerifyModes,
		labels: []string{m.c.T("rv.v.count"), m.c.T("rv.v.seqno"), m.c.T("rv.v.content")},
		get:    func() string { return verifyMode(m.s.Plan.Verify) }, set: func(v string) { m.s.Plan.Verify = v }}}
	if n := m.needReindex; n > 0 {
		out = append(out, reviewChoice{key: m.c.Keys.Reindex, title: m.c.T("rv.reindex", n), values: []string{"off", "on"},
			labels: []string{m.c.T("rv.rx.off"), m.c.T("rv.rx.on")},
			get: func() string {
				if m.s.Plan.Restore.ReindexFromRemote {
					return "on"
				}
				return "off"
			},
			set: func(v string) { m.s.Plan.Restore.ReindexFromRemote = v == "on"; m.recheck = true }})
	}
	return out
}

// verifyMode is the plan's verification mode, the engine's default when the plan leaves it empty.
func verifyMode(m string) string {
	if m == "" {
		return steps.VerifySeqNo
	}
	return m
}

type requestsMsg struct {
	seq  int
	reqs []steps.PlannedRequest
	err  error
}

// adviceMsg is what the engine's probe of the shares measured and proposes.
type adviceMsg struct {
	seq    int
	advice steps.Advice
	paths  sharePaths // the plan's repository paths the probe measured
	err    error
}

func newReview(c *Common, s *Session, be Backend) *reviewScreen {
	return &reviewScreen{screenBase: screenBase{c: c, s: s, be: be}, list: checklist.New(s.Acked), input: typedconfirm.New()}
}

func (m *reviewScreen) Enter() tea.Cmd {
	m.requests, m.reqErr, m.off, m.xoff, m.asking, m.msg = nil, nil, 0, 0, false, ""
	m.typing = false
	m.input.Close()
	if m.s.dropStaleAdvice(); m.s.AdviceStale {
		m.measureErr = nil // of the paths before, too
	}
	p, creds, src, dst, be := m.s.Plan, m.s.Creds, m.s.Src, m.s.Dst, m.be
	sel := steps.Select(m.s.Indices, p)
	m.needReindex = len(steps.NeedsReindex(src, dst, sel))
	batches := m.s.Batches
	m.batches, m.reindexed = steps.RunBatchesOf(p, src, dst, batches)
	checks := m.list.Start(m.c.Ctx, func(ctx context.Context, emit func(steps.Event)) ([]steps.Check, error) {
		return be.SelectionChecks(ctx, p, creds, src, dst, sel, emit)
	})
	m.render()
	return tea.Batch(checks, m.loadRequests())
}

// loadRequests asks the engine for the requests a run of the plan as it is now sends, with the confirmations
// given (the target's settings appear once their confirmation is typed). The indices that go by _reindex from
// remote have their definitions read on the source (one read each).
func (m *reviewScreen) loadRequests() tea.Cmd {
	m.reqSeq++
	seq := m.reqSeq
	p, creds, o, src, dst, batches, be := m.s.Plan, m.s.Creds, m.s.runOptions(), m.s.Src, m.s.Dst, m.s.Batches, m.be
	return ioTimeout(m.c.Ctx, 2*time.Minute, func(ctx context.Context) tea.Msg {
		reqs, err := be.PlannedRequests(ctx, p, creds, o, src, dst, batches)
		return requestsMsg{seq: seq, reqs: reqs, err: err}
	})
}

// measure asks the engine to probe the shares (it writes a bounded probe file on each, and removes it).
func (m *reviewScreen) measure() tea.Cmd {
	if m.measuring {
		return nil
	}
	m.measureSeq++
	seq := m.measureSeq
	m.measuring, m.measureErr, m.msg = true, nil, ""
	p, creds, src, dst, be := m.s.Plan, m.s.Creds, m.s.Src, m.s.Dst, m.be
	paths := sharePathsOf(p)
	return ioTimeout(m.c.Ctx, 2*time.Minute, func(ctx context.Context) tea.Msg {
		a, err := be.MeasureShares(ctx, p, creds, src, dst)
		return adviceMsg{seq: seq, advice: a, paths: paths, err: err}
	})
}

// takeThrottles takes the proposal into the plan: the source repository's max_snapshot_bytes_per_sec at once;
// the target's indices.recovery.max_bytes_per_sec, a setting of the whole target cluster, only after the typed
// confirmation (the prompt opens). Once confirmed, u takes the target's setting back out.
func (m *reviewScreen) takeThrottles() tea.Cmd {
	if m.s.TargetConfirmed {
		m.s.TargetConfirmed = false
		m.s.Plan.Restore.TargetRecoveryMaxBytesPerSec = ""
		m.msg, m.msgErr = m.c.T("rv.tp.dropped", steps.RecoverySetting), false
		return m.loadRequests()
	}
	a := m.s.Advice
	if a == nil && m.s.TargetRecovery == "" {
		m.msg, m.msgErr = m.c.T("rv.tp.nothing"), true
		if m.s.AdviceStale {
			m.msg = m.c.T("rv.tp.nothing.stale")
		}
		return nil
	}
	if a != nil {
		m.s.Plan.Repository.MaxSnapshotBytesPerSec = a.SnapshotSetting()
		m.msg, m.msgErr = m.c.T("rv.tp.taken", a.SnapshotSetting()), false
		if a.RestoreSetting() != "" {
			m.s.TargetRecovery = a.RestoreSetting()
		}
	}
	if m.s.TargetRecovery == "" {
		return m.loadRequests() // no proposal for the target (its read was not measured)
	}
	m.typing, m.toTP = true, true
	return tea.Batch(m.loadRequests(), m.input.Ask())
}

// targetWord is what the operator types to let the run change the target's setting: the target cluster's name.
func (m *reviewScreen) targetWord() string {
	if n := m.s.Dst.Info.ClusterName; n != "" {
		return n
	}
	return "target"
}

// typed handles a key while the confirmation has the keys.
func (m *reviewScreen) typed(k tea.KeyPressMsg) tea.Cmd {
	out, typed, cmd := m.input.Update(k, m.c.Keys, m.targetWord())
	switch out {
	case typedconfirm.Cancelled:
		m.typing = false
		m.msg, m.msgErr = m.c.T("rv.tp.cancelled", steps.RecoverySetting), false
	case typedconfirm.Mismatched:
		m.typing = false
		m.msg, m.msgErr = m.c.T("rv.tp.mismatch", typed, m.targetWord(), steps.RecoverySetting), true
	case typedconfirm.Confirmed:
		m.typing = false
		m.s.TargetConfirmed = true
		m.s.Plan.Restore.TargetRecoveryMaxBytesPerSec = m.s.TargetRecovery
		m.msg, m.msgErr = m.c.T("rv.tp.confirmed", steps.RecoverySetting, m.s.TargetRecovery), false
		return m.loadRequests()
	}
	return cmd
}

// all is every request a run sends, in order: the repositories', the metadata step's (the metadata screen's
// choice), then the batches'.
func (m *reviewScreen) all() []steps.PlannedRequest {
	if !m.s.Plan.Metadata.Copy || len(m.s.MetaRequests) == 0 {
		return m.requests
	}
	var out []steps.PlannedRequest
	added := false
	for _, r := range m.requests {
		if !added && r.Phase != steps.PhaseRepository {
			out, added = append(out, m.s.MetaRequests...), true
		}
		out = append(out, r)
	}
	if !added {
		out = append(out, m.s.MetaRequests...)
	}
	return out
}

// curl is every request, as the clipboard gets it.
func (m *reviewScreen) curl() string {
	var b strings.Builder
	for _, r := range m.all() {
		b.WriteString("# " + m.c.L.Msg(r.What) + "\n" + strings.Join(r.Lines(m.c.L), "\n") + "\n\n")
	}
	return b.String()
}

func (m *reviewScreen) Update(msg tea.Msg) tea.Cmd {
	defer m.render()
	if cmd, ok := m.list.Update(msg); ok {
		return cmd
	}
	km := m.c.Keys
	switch msg := msg.(type) {
	case requestsMsg:
		if msg.seq == m.reqSeq {
			m.requests, m.reqErr, m.reqGot = msg.reqs, msg.err, msg.seq
		}
		return nil
	case adviceMsg:
		if msg.seq != m.measureSeq {
			return nil
		}
		m.measuring, m.measureErr, m.toTP = false, msg.err, true
		if msg.err == nil {
			m.s.setAdvice(msg.advice, msg.paths)
		}
		return nil
	case savedMsg:
		if msg.err != nil {
			m.msg, m.msgErr = m.c.T("pf.savefail", m.c.Err(msg.err)), true
		} else {
			m.msg, m.msgErr = m.c.T("rv.plansaved", msg.path), false
		}
		return nil
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	if m.typing {
		return m.typed(k)
	}
	if m.asking {
		switch {
		case key.Matches(k, km.Yes):
			m.asking = false
			return goTo(scrRun)
		case key.Matches(k, km.No):
			m.asking = false
		}
		return nil
	}
	for _, ch := range m.choices() {
		if key.Matches(k, ch.key) {
			cur := ch.get()
			next := ch.values[0]
			for i, v := range ch.values {
				if v == cur {
					next = ch.values[(i+1)%len(ch.values)]
				}
			}
			ch.set(next)
			if m.recheck {
				m.recheck = false
				return m.Enter()
			}
			return nil
		}
	}
	page := max(m.h-3, 1)
	switch {
	case key.Matches(k, km.Up):
		m.off = max(m.off-1, 0)
	case key.Matches(k, km.Down):
		m.off++
	case key.Matches(k, km.PgUp):
		m.off = max(m.off-page, 0)
	case key.Matches(k, km.PgDown) || k.String() == "space":
		m.off += page
	case key.Matches(k, km.Sideways):
		step := max(m.w/2, 10)
		if s := k.String(); s == "left" || s == "h" {
			m.xoff = max(m.xoff-step, 0)
		} else if m.xoff+m.w < m.widest() {
			m.xoff += step
		}
	case key.Matches(k, km.Measure):
		return m.measure()
	case key.Matches(k, km.Throttle):
		return m.takeThrottles()
	case key.Matches(k, km.Ack):
		m.list.Ack() // only warnings, once the checks ended
	case key.Matches(k, km.Copy) && len(m.all()) > 0:
		text := m.curl()
		m.msg, m.msgErr = m.c.T("pf.copied", len(text)), false
		return m.s.clipboard(text)
	case key.Matches(k, km.SavePlan):
		path := m.s.PlanPath
		if path == "" {
			path = steps.NextTo(m.s.Plan.StateFile, "esmigrate-plan.yaml")
		}
		plan := m.s.Plan
		return ioCmd(func() tea.Msg {
			name, err := saveNew(path, plan.YAMLFor)
			return savedMsg{path: name, err: err}
		})
	case key.Matches(k, km.Start):
		if m.list.Passable() {
			if m.list.Acked() {
				m.s.AcceptWarns = true
			}
			m.asking = true
		}
	}
	return nil
}

// widest is the widest curl line.
func (m *reviewScreen) widest() int {
	w := 0
	for _, r := range m.all() {
		for _, l := range r.Lines(m.c.L) {
			w = max(w, common.Width(l))
		}
	}
	return w
}

func (m *reviewScreen) SetSize(w, h int) { m.w, m.h = w, h; m.render() }

// content is the whole text of the review, scrolled as one. Prose wraps to the width; curl commands do not.
func (m *reviewScreen) content() []string {
	st := m.c.Styles
	p := m.s.Plan
	var out []string
	add := func(s string) { out = append(out, strings.Split(common.Wrap(s, m.w), "\n")...) }
	out = append(out, st.Header.Render(m.c.T("rv.plan")))
	var total int64
	n := 0
	for _, b := range m.s.Batches {
		total += b.PrimaryBytes
		n += len(b.Indices)
	}
	add(m.c.T("rv.p.clusters", n, steps.HumanBytes(total), clusterName(m.s.Src, p.Source.URL), clusterName(m.s.Dst, p.Target.URL)))
	how := m.c.T("rv.p.shared")
	if !p.Repository.Shared {
		how = m.c.T("rv.p.copy", p.TargetLocalPath())
	}
	add(m.c.T("rv.p.repo", p.Repository.Name, p.Repository.SourceLocation, how))
	if len(m.batches) > 0 || len(m.reindexed) == 0 {
		add(m.c.T("rv.p.batches", len(m.batches)))
	}
	for _, b := range m.batches {
		add(m.c.T("rv.p.batch", b.Number, len(b.Indices), steps.HumanBytes(b.PrimaryBytes), m.c.ASCII(strings.Join(b.Names(), ", "))))
	}
	if rx := m.reindexed; len(rx) > 0 {
		var size int64
		names := make([]string, len(rx))
		for i, ix := range rx {
			size += ix.PrimaryBytes
			names[i] = ix.Name
		}
		add(m.c.T("rv.p.rxbatch", len(m.batches)+1, len(rx), steps.HumanBytes(size), m.c.ASCII(strings.Join(names, ", "))))
	}
	if r := p.Restore; r.RenamePattern != "" && len(m.s.Batches) > 0 && len(m.s.Batches[0].Indices) > 0 {
		ex := m.s.Batches[0].Indices[0].Name
		add(m.c.T("rv.p.rename", r.RenamePattern, r.RenameReplacement, ex, steps.TargetName(ex, r)))
	}
	add(m.c.T("rv.p.state", p.StateFile, p.ReportDir))
	if inv := m.s.Meta; inv != nil && p.Metadata.Copy {
		add(m.c.T("rv.p.meta", len(inv.Selected()), len(m.s.MetaRequests)))
	} else if inv != nil {
		add(m.c.T("rv.p.meta.off"))
	}
	switch steps.LifecycleRemedy(p) {
	case steps.LifecycleIgnore:
		add(m.c.T("rv.p.lc.ignore"))
	case steps.LifecyclePause:
		add(m.c.T("rv.p.lc.pause"))
	}
	// The choices, one line each with its key, at the end of the plan (the screen's height goes to the checks
	// and the requests).
	for _, ch := range m.choices() {
		cur := ch.get()
		for i, v := range ch.values {
			if v == cur {
				cur = ch.labels[i]
			}
		}
		add(st.Bold.Render(ch.key.Help().Key) + "  " + ch.title + ": " + cur)
	}
	m.tpAt = len(out)
	for _, l := range m.throughput() {
		add(l)
	}
	out = append(out, "", st.Header.Render(m.c.T("rv.conflicts")))
	if !m.list.Running() && len(m.list.Checks) == 0 && m.list.Err() == nil {
		out = append(out, m.c.T("rv.noconflict"))
	}
	out = append(out, m.list.RenderAll(m.c, m.w)...)
	out = append(out, "", st.Header.Render(m.c.T("rv.requests")))
	if m.reqErr != nil {
		add(m.c.T("misc.error", m.c.Err(m.reqErr)))
	}
	if len(m.all()) > 0 && m.widest() > m.w {
		add(st.Subtle.Render(m.c.T("rv.sideways")))
	}
	for _, r := range m.all() {
		out = append(out, m.sideways(st.Subtle.Render("# "+m.c.Text(r.What))))
		for _, l := range r.Lines(m.c.L) {
			out = append(out, m.sideways(m.c.ASCII(l)))
		}
	}
	return out
}

// sideways is a request's line at the screen's sideways scroll (common.Sideways).
func (m *reviewScreen) sideways(l string) string { return m.c.Sideways(l, m.xoff, m.w) }

func clusterName(s steps.ClusterSummary, url string) string {
	if s.Info.ClusterName == "" {
		return url
	}
	return s.Info.ClusterName + " (" + url + ")"
}

func (m *reviewScreen) render() {
	st, g := m.c.Styles, m.c.Glyphs
	lines := m.content()
	var foot []string
	switch {
	case m.typing:
		foot = append(foot, st.Warn.Render(common.Wrap(m.c.T("rv.tp.type", m.targetWord(), steps.RecoverySetting, m.s.TargetRecovery), m.w)), m.input.View())
	case m.asking:
		foot = append(foot, st.Warn.Render(common.Fit(m.c.T("rv.confirm"), m.w, g.Ellipsis)))
	default:
		foot = append(foot, common.Fit(m.list.Status(m.c, "rv.blocked", "rv.needack", "rv.ready"), m.w, g.Ellipsis))
	}
	if m.msg != "" {
		foot = append(foot, m.c.Flash(common.Fit(m.msg, m.w, g.Ellipsis), m.msgErr))
	}
	foot = strings.Split(strings.Join(foot, "\n"), "\n") // the prompt wraps
	h := max(m.h-len(foot), 1)
	if m.toTP {
		m.off, m.toTP = m.tpAt, false
	}
	m.off = min(m.off, max(len(lines)-h, 0))
	end := min(m.off+h, len(lines))
	m.view = common.PadLines(common.Clip(strings.Join(lines[m.off:end], "\n"), m.w, h), h) + "\n" + strings.Join(foot, "\n")
}

func (m *reviewScreen) ShortHelp() []key.Binding {
	km := m.c.Keys
	if m.typing {
		return []key.Binding{km.Confirm, km.Cancel}
	}
	if m.asking {
		return []key.Binding{km.Yes, km.No}
	}
	b := []key.Binding{km.Start, km.PgDown, km.Sideways, km.Copy, km.SavePlan, km.Measure}
	if m.s.Advice != nil || m.s.TargetRecovery != "" {
		b = append(b, km.Throttle)
	}
	for _, ch := range m.choices() {
		b = append(b, ch.key)
	}
	if _, warn, _ := m.list.Counts(); warn > 0 && !m.list.Acked() {
		b = append([]key.Binding{km.Ack}, b...)
	}
	return append(b, km.Back)
}

func (m *reviewScreen) FullHelp() [][]key.Binding {
	km := m.c.Keys
	var chs []key.Binding
	for _, ch := range m.choices() {
		chs = append(chs, ch.key)
	}
	return [][]key.Binding{{km.Up, km.Down, km.PgUp, km.PgDown, km.Sideways}, append(chs, km.Measure, km.Throttle, km.Ack, km.Copy, km.SavePlan, km.Start)}
}
func (m *reviewScreen) CanGoBack() bool { return !m.asking && !m.typing }
func (m *reviewScreen) Capturing() bool { return m.typing }

// throughput are the review's lines about the throttles: the shares' probe (m) and what it measured, the
// engine's proposal (u takes it), and what the plan will set: the source repository's snapshot throttle, and
// whether the target's recovery throttle changes (only once confirmed) or not.
func (m *reviewScreen) throughput() []string {
	st := m.c.Styles
	key := func(b key.Binding) string { return st.Bold.Render(b.Help().Key) + "  " }
	km := m.c.Keys
	var out []string
	a := m.s.Advice
	switch {
	case m.measuring:
		out = append(out, key(km.Measure)+m.c.T("rv.tp.measuring"))
	case m.measureErr != nil:
		out = append(out, key(km.Measure)+m.c.T("rv.tp.failed", m.c.Err(m.measureErr)))
	case a == nil && m.s.AdviceStale:
		out = append(out, key(km.Measure)+m.c.T("rv.tp.stale"))
	case a == nil:
		out = append(out, key(km.Measure)+m.c.T("rv.tp.none"))
	case a.RestorePerNode > 0:
		out = append(out, key(km.Measure)+m.c.T("rv.tp.measured", a.SourceDir, steps.HumanBytes(int64(a.SourceWrite)), a.TargetDir,
			steps.HumanBytes(int64(a.TargetRead)), steps.HumanBytes(a.ProbeBytes)),
			key(km.Throttle)+m.c.T("rv.tp.propose", a.SnapshotSetting(), a.SourceNodes, steps.RecoverySetting, a.RestoreSetting(), a.TargetNodes))
	default:
		out = append(out, key(km.Measure)+m.c.T("rv.tp.measured.cached", a.SourceDir, steps.HumanBytes(int64(a.SourceWrite)), steps.HumanBytes(a.ProbeBytes)),
			key(km.Throttle)+m.c.T("rv.tp.propose.cached", a.SnapshotSetting(), a.SourceNodes))
	}
	p := m.s.Plan
	if v := p.Repository.MaxSnapshotBytesPerSec; v != "" {
		out = append(out, "   "+m.c.T("rv.tp.snapshot", v))
	}
	switch {
	case m.s.TargetConfirmed:
		out = append(out, "   "+m.c.T("rv.tp.target.on", steps.RecoverySetting, p.Restore.TargetRecoveryMaxBytesPerSec))
	case m.s.TargetRecovery != "":
		out = append(out, "   "+m.c.T("rv.tp.target.off", steps.RecoverySetting, m.s.TargetRecovery))
	}
	return out
}
