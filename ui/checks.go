package ui

import (
	"context"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/esmigrate/esmigrate/steps"
)

// checklist is the live list of checks shared by the pre-flight, repository and review screens: checks appear
// as the engine reports them, a spinner shows while more are coming, and each expands to its evidence and fix.
type checklist struct {
	checks   []steps.Check
	running  bool
	err      error
	cursor   int
	offset   int
	expanded map[string]bool
	acked    bool
	spin     int
	// known are the warnings the operator accepted on an earlier screen (shared by the screens): when every
	// warning of this list is one of them, the list counts as accepted.
	known map[string]bool
	// cancel ends the checks running now: a new start replaces them (their messages are stale already).
	cancel context.CancelFunc
}

// newChecklist is an empty list; known are the warnings accepted on any screen (the session's).
func newChecklist(known map[string]bool) checklist {
	return checklist{expanded: map[string]bool{}, known: known}
}

// start runs work, the checks, on their own goroutine (at most five minutes) as the stream seq, with the
// spinner; the list fills as the checks come (update). Checks still running from an earlier start are
// cancelled: nobody reads their results any more.
func (l *checklist) start(ctx context.Context, seq int, work func(ctx context.Context, emit func(steps.Event)) ([]steps.Check, error)) tea.Cmd {
	if l.cancel != nil {
		l.cancel()
	}
	l.reset()
	ctx, l.cancel = context.WithTimeout(ctx, 5*time.Minute)
	return tea.Batch(startStream(seq, func(emit func(steps.Event)) (any, error) {
		return work(ctx, emit)
	}), spinTick(seq))
}

// update takes what the list's work sends: the checks of the stream seq as they come, and the spinner's
// ticks. It reports whether msg was one of those (a stale one is dropped).
func (l *checklist) update(msg tea.Msg, seq int) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case streamMsg:
		if msg.id != seq {
			return nil, true
		}
		l.add(msg.events)
		if !msg.done {
			return msg.s.next(msg.id), true
		}
		l.finish(msg.err)
		return nil, true
	case spinMsg:
		if msg.seq == seq && l.running {
			l.spin++
			return spinTick(msg.seq), true
		}
		return nil, true
	}
	return nil, false
}

// finish marks the list complete.
func (l *checklist) finish(err error) {
	l.running, l.err = false, err
	if l.cancel != nil {
		l.cancel() // the checks ended: this frees the time-out's timer
	}
	if l.known == nil {
		return
	}
	all := true
	for _, c := range l.checks {
		if c.Status == steps.Warn && !l.known[c.ID] {
			all = false
		}
	}
	if all {
		l.acked = true
	}
}

func (l *checklist) reset() {
	l.checks, l.running, l.err, l.cursor, l.offset, l.acked = nil, true, nil, 0, 0, false
	l.expanded = map[string]bool{}
}

// add takes the check events of a stream.
func (l *checklist) add(events []steps.Event) {
	for _, e := range events {
		if e.Kind == steps.KindCheck && e.Check != nil {
			l.checks = append(l.checks, *e.Check)
			// Problems open by themselves: their fix is what the operator needs to read.
			if e.Check.Status != steps.OK {
				l.expanded[l.id(len(l.checks)-1)] = true
			}
		}
	}
}

func (l *checklist) id(i int) string { return l.checks[i].ID + "#" + strconv.Itoa(i) }

func (l *checklist) counts() (ok, warn, fail int) {
	for _, c := range l.checks {
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

// blocked: a failure, or warnings not yet accepted, or still running.
func (l *checklist) passable() bool {
	_, warn, fail := l.counts()
	return !l.running && l.err == nil && fail == 0 && (warn == 0 || l.acked)
}

// key handles moving and expanding; it reports whether it used the key.
func (l *checklist) key(k tea.KeyPressMsg, ks checkKeys) bool {
	switch {
	case key.Matches(k, ks.Up):
		l.cursor = max(l.cursor-1, 0)
	case key.Matches(k, ks.Down):
		l.cursor = min(l.cursor+1, max(len(l.checks)-1, 0))
	case key.Matches(k, ks.Expand):
		if l.cursor < len(l.checks) {
			id := l.id(l.cursor)
			l.expanded[id] = !l.expanded[id]
		}
	case key.Matches(k, ks.Ack):
		_, warn, _ := l.counts()
		if warn > 0 && !l.running {
			l.acked = true
			for _, c := range l.checks {
				if c.Status == steps.Warn && l.known != nil {
					l.known[c.ID] = true
				}
			}
		}
	default:
		return false
	}
	return true
}

type checkKeys struct{ Up, Down, Expand, Ack key.Binding }

func newCheckKeys(c *Common) checkKeys {
	ks := checkKeys{Expand: bind(c, "space right", "space", "key.expand"), Ack: bind(c, "a", "a", "key.ack")}
	ks.Up, ks.Down = upDown(c, "key.up", "key.down")
	return ks
}

// render draws the list in at most h lines of width w, keeping the cursor in view.
func (l *checklist) render(c *Common, w, h int) string {
	st, g := c.Styles, c.Glyphs
	type block struct{ lines []string }
	var blocks []block
	for i, ch := range l.checks {
		exp := l.expanded[l.id(i)]
		line := checkLine(c, ch, exp)
		if !exp && ch.Evidence != "" {
			line += st.Subtle.Render("  " + c.ascii(ch.Evidence))
		}
		line = fit(line, w-2, g.Ellipsis)
		if i == l.cursor {
			line = st.Bold.Render(g.Pointer) + " " + line
		} else {
			line = "  " + line
		}
		b := block{lines: []string{line}}
		if exp {
			for _, s := range checkDetails(c, ch, w-6) {
				b.lines = append(b.lines, "      "+s)
			}
		}
		blocks = append(blocks, b)
	}
	if l.running {
		blocks = append(blocks, block{lines: []string{"  " + g.Spinner[l.spin%len(g.Spinner)] + " " + c.T("pf.running")}})
	}
	// Scroll so that the cursor's block is visible (no cursor: from the top).
	if l.cursor < 0 {
		l.offset = 0
	} else if l.cursor < l.offset {
		l.offset = l.cursor
	}
	for {
		n := 0
		for i := l.offset; i < len(blocks) && i <= l.cursor; i++ {
			n += len(blocks[i].lines)
		}
		if n <= h || l.offset >= l.cursor {
			break
		}
		l.offset++
	}
	var out []string
	for i := l.offset; i < len(blocks) && len(out) < h; i++ {
		out = append(out, blocks[i].lines...)
	}
	if len(out) > h {
		out = out[:h]
	}
	return strings.Join(out, "\n")
}

// checkDetails are an expanded check's lines, wrapped to w: its original title when the screen shows a
// translation, what the engine found and the fix (both as the engine wrote them, labelled).
func checkDetails(c *Common, ch steps.Check, w int) []string {
	var out []string
	add := func(text string, style func(...string) string) {
		for _, s := range strings.Split(wrap(c.ascii(text), w), "\n") {
			out = append(out, style(s))
		}
	}
	plain := func(s ...string) string { return strings.Join(s, "") }
	if t := c.checkTitle(ch); t != ch.Title {
		add(c.T("pf.title.en", ch.Title), c.Styles.Subtle.Render)
	}
	add(c.T("pf.evidence", ch.Evidence), plain)
	if ch.Fix != "" {
		add(c.T("pf.fix", ch.Fix), c.Styles.Warn.Render)
	}
	return out
}

// status is the one line under a checklist: what is needed to go on.
func (l *checklist) status(c *Common, blockedKey, ackKey, readyKey string) string {
	st := c.Styles
	ok, warn, fail := l.counts()
	sum := c.T("pf.summary", ok, warn, fail)
	switch {
	case l.err != nil:
		return st.Error.Render(c.T("misc.error", l.err.Error()))
	case l.running:
		return st.Subtle.Render(sum)
	case fail > 0:
		return st.Error.Render(sum + c.ascii(" · ") + c.T(blockedKey))
	case warn > 0 && !l.acked:
		return st.Warn.Render(sum + c.ascii(" · ") + c.T(ackKey))
	case warn > 0:
		if readyKey == "pf.ready" {
			readyKey = "pf.go"
		}
		return st.OK.Render(sum + c.ascii(" · ") + c.T("pf.acked") + " " + c.T(readyKey))
	}
	return st.OK.Render(sum + c.ascii(" · ") + c.T(readyKey))
}
