// Package checklist is the live list of checks that the pre-flight, repository and review screens share: checks
// appear as the engine reports them, a spinner shows while more are coming, and each expands to its full title,
// what was found and the fix.
package checklist

import (
	"context"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/common"
)

// Work runs checks, reporting each as an event as it ends, and returns them all.
type Work func(ctx context.Context, emit func(steps.Event)) ([]steps.Check, error)

// Model is a checklist.
type Model struct {
	Checks   []steps.Check
	running  bool
	err      error
	cursor   int
	offset   int
	expanded map[string]bool
	acked    bool
	spin     int
	id       int // the stream of the checks running now (common.NewID)
	// known are the warnings the operator accepted on an earlier screen (shared by the screens): when every
	// warning of this list is one of them, the list counts as accepted.
	known map[string]bool
	// cancel ends the checks running now: a new start replaces them (their messages are stale already).
	cancel context.CancelFunc
}

// New is an empty list; known are the warnings accepted on any screen (the session's).
func New(known map[string]bool) *Model {
	return &Model{expanded: map[string]bool{}, known: known}
}

// Start runs work, the checks, on their own goroutine (at most five minutes), with the spinner; the list fills
// as the checks come (Update). Checks still running from an earlier start are cancelled: nobody reads their
// results any more.
func (l *Model) Start(ctx context.Context, work Work) tea.Cmd {
	if l.cancel != nil {
		l.cancel()
	}
	l.Checks, l.running, l.err, l.cursor, l.offset, l.acked = nil, true, nil, 0, 0, false
	l.expanded = map[string]bool{}
	l.id = common.NewID()
	ctx, l.cancel = context.WithTimeout(ctx, 5*time.Minute)
	return tea.Batch(common.StartStream(l.id, func(emit func(steps.Event)) (any, error) {
		return work(ctx, emit)
	}), common.SpinTick(l.id))
}

// Update takes what the list's work sends: its checks as they come, and the spinner's ticks. It reports whether
// msg was one of those.
func (l *Model) Update(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case common.StreamMsg:
		if msg.ID != l.id {
			return nil, false
		}
		l.add(msg.Events)
		if !msg.Done {
			return msg.Next(), true
		}
		l.finish(msg.Err)
		return nil, true
	case common.SpinMsg:
		if msg.ID != l.id {
			return nil, false
		}
		if l.running {
			l.spin++
			return common.SpinTick(msg.ID), true
		}
		return nil, true
	}
	return nil, false
}

// finish marks the list complete.
func (l *Model) finish(err error) {
	l.running, l.err = false, err
	if l.cancel != nil {
		l.cancel() // the checks ended: this frees the time-out's timer
	}
	if l.known == nil {
		return
	}
	all := true
	for _, c := range l.Checks {
		if c.Status == steps.Warn && !l.known[c.ID] {
			all = false
		}
	}
	if all {
		l.acked = true
	}
}

// add takes the check events of a stream.
func (l *Model) add(events []steps.Event) {
	for _, e := range events {
		if e.Kind == steps.KindCheck && e.Check != nil {
			l.Checks = append(l.Checks, *e.Check)
			// Problems open by themselves: their fix is what the operator needs to read.
			if e.Check.Status != steps.OK {
				l.expanded[l.key(len(l.Checks)-1)] = true
			}
		}
	}
}

func (l *Model) key(i int) string { return l.Checks[i].ID + "#" + strconv.Itoa(i) }

// Running tells whether checks are still coming.
func (l *Model) Running() bool { return l.running }

// Err is why the checks could not run (nil when they ran).
func (l *Model) Err() error { return l.err }

// Acked tells whether the list's warnings are accepted.
func (l *Model) Acked() bool { return l.acked }

// Counts are the checks by status.
func (l *Model) Counts() (ok, warn, fail int) {
	for _, c := range l.Checks {
		switch c.Status {
		case steps.OK:
			ok++
		case steps.Warn:
			warn++
		default:
			fail++
		}
	}
	return
}

// Passable: the checks ended, none failed, and the warnings (if any) are accepted.
func (l *Model) Passable() bool {
	_, warn, fail := l.Counts()
	return !l.running && l.err == nil && fail == 0 && (warn == 0 || l.acked)
}

// Ack accepts the list's warnings (once the checks ended); it reports whether there were any.
func (l *Model) Ack() bool {
	_, warn, _ := l.Counts()
	if warn == 0 || l.running {
		return false
	}
	l.acked = true
	for _, c := range l.Checks {
		if c.Status == steps.Warn && l.known != nil {
			l.known[c.ID] = true
		}
	}
	return true
}

// Key handles moving, expanding and accepting; it reports whether it used the key.
func (l *Model) Key(k tea.KeyPressMsg, km *common.KeyMap) bool {
	switch {
	case key.Matches(k, km.Up):
		l.cursor = max(l.cursor-1, 0)
	case key.Matches(k, km.Down):
		l.cursor = min(l.cursor+1, max(len(l.Checks)-1, 0))
	case key.Matches(k, km.Expand):
		if l.cursor < len(l.Checks) {
			id := l.key(l.cursor)
			l.expanded[id] = !l.expanded[id]
		}
	case key.Matches(k, km.Ack):
		l.Ack()
	default:
		return false
	}
	return true
}

// Expanded tells whether check i shows its details.
func (l *Model) Expanded(i int) bool { return l.expanded[l.key(i)] }

// Render draws the list in at most h lines of width w, keeping the cursor's check in view. A collapsed check is
// one line, cut with an ellipsis when too long; expanded (space), its whole title and its details wrap.
func (l *Model) Render(c *common.Common, w, h int) string {
	st, g := c.Styles, c.Glyphs
	var blocks [][]string
	for i, ch := range l.Checks {
		exp := l.expanded[l.key(i)]
		ptr := "  "
		if i == l.cursor {
			ptr = st.Bold.Render(g.Pointer) + " "
		}
		var lines []string
		if exp {
			for j, s := range Lines(c, ch, w-2) {
				if j == 0 {
					lines = append(lines, ptr+s)
				} else {
					lines = append(lines, "  "+s)
				}
			}
		} else {
			// Collapsed, the evidence follows the title as it is (its details, expanded, say in which language).
			line := Line(c, ch, false)
			if ev := c.ASCII(c.L.Msg(ch.EvidenceText())); ev != "" {
				line += st.Subtle.Render("  " + ev)
			}
			lines = append(lines, ptr+common.Fit(line, w-2, g.Ellipsis))
		}
		blocks = append(blocks, lines)
	}
	if l.running {
		blocks = append(blocks, []string{"  " + g.Spinner[l.spin%len(g.Spinner)] + " " + c.T("pf.running")})
	}
	// Scroll so that the cursor's block is visible.
	if l.cursor < l.offset {
		l.offset = l.cursor
	}
	for {
		n := 0
		for i := l.offset; i < len(blocks) && i <= l.cursor; i++ {
			n += len(blocks[i])
		}
		if n <= h || l.offset >= l.cursor {
			break
		}
		l.offset++
	}
	var out []string
	for i := l.offset; i < len(blocks) && len(out) < h; i++ {
		out = append(out, blocks[i]...)
	}
	if len(out) > h {
		out = out[:h]
	}
	return strings.Join(out, "\n")
}

// RenderAll draws every check with its whole title and what was found, wrapped to w, problems with their
// details (the review, which scrolls as a whole and has no cursor).
func (l *Model) RenderAll(c *common.Common, w int) []string {
	var out []string
	for _, ch := range l.Checks {
		if ch.Status != steps.OK {
			for _, s := range Lines(c, ch, w-2) {
				out = append(out, "  "+s)
			}
			continue
		}
		line := Line(c, ch, false)
		if ev := c.ASCII(c.L.Msg(ch.EvidenceText())); ev != "" {
			line += c.Styles.Subtle.Render("  " + ev)
		}
		for _, s := range strings.Split(common.Wrap(line, w-4), "\n") {
			out = append(out, "  "+s)
		}
	}
	if l.running {
		out = append(out, "  "+c.Glyphs.Spinner[l.spin%len(c.Glyphs.Spinner)]+" "+c.T("pf.running"))
	}
	return out
}

// statusGlyph is a check's status sign, styled.
func statusGlyph(c *common.Common, s steps.Status) string {
	st, g := c.Styles, c.Glyphs
	switch s {
	case steps.OK:
		return st.OK.Render(g.CheckOK)
	case steps.Warn:
		return st.Warn.Render(g.CheckWarn)
	}
	return st.Error.Render(g.CheckFail)
}

// Line is one check's line: the expand sign, the status and the title (in the wizard's language).
func Line(c *common.Common, ch steps.Check, expanded bool) string {
	st, g := c.Styles, c.Glyphs
	title := c.Text(ch.TitleText())
	exp := g.Expand
	if expanded {
		exp = g.Collapse
	}
	if exp != "" {
		exp += " "
	}
	style := st.OK
	switch ch.Status {
	case steps.Warn:
		style = st.Warn
	case steps.Fail:
		style = st.Error
	}
	return exp + statusGlyph(c, ch.Status) + " " + style.Render(title)
}

// Lines is an expanded check wrapped to w: its whole title, then, indented, what was found and the fix.
func Lines(c *common.Common, ch steps.Check, w int) []string {
	head := strings.Split(common.Wrap(Line(c, ch, true), w), "\n")
	out := []string{head[0]}
	const indent = "    "
	for _, s := range head[1:] {
		out = append(out, indent+s)
	}
	for _, s := range Details(c, ch, w-len(indent)) {
		out = append(out, indent+s)
	}
	return out
}

// Details are a check's details wrapped to w: what the engine found and the fix (labelled as English where a
// check read from elsewhere has them without a key).
func Details(c *common.Common, ch steps.Check, w int) []string {
	var out []string
	add := func(text string, style func(...string) string) {
		for _, s := range strings.Split(common.Wrap(text, w), "\n") {
			out = append(out, style(s))
		}
	}
	plain := func(s ...string) string { return strings.Join(s, "") }
	if ev := c.Text(ch.EvidenceText()); ev != "" {
		add(c.T("pf.evidence", ev), plain)
	}
	if fix := c.Text(ch.FixText()); fix != "" {
		add(c.T("pf.fix", fix), c.Styles.Warn.Render)
	}
	return out
}

// Status is the one line under a checklist: what is needed to go on (catalogue keys of the screen's words).
func (l *Model) Status(c *common.Common, blockedKey, ackKey, readyKey string) string {
	st := c.Styles
	ok, warn, fail := l.Counts()
	sum := c.T("pf.summary", ok, warn, fail)
	sep := c.ASCII(" · ")
	switch {
	case l.err != nil:
		return st.Error.Render(c.T("misc.error", c.Err(l.err)))
	case l.running:
		return st.Subtle.Render(sum)
	case fail > 0:
		return st.Error.Render(sum + sep + c.T(blockedKey))
	case warn > 0 && !l.acked:
		return st.Warn.Render(sum + sep + c.T(ackKey))
	case warn > 0:
		if readyKey == "pf.ready" {
			readyKey = "pf.go"
		}
		return st.OK.Render(sum + sep + c.T("pf.acked") + " " + c.T(readyKey))
	}
	return st.OK.Render(sum + sep + c.T(readyKey))
}
