package checklist

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/common"
)

func newCommon(lang string, utf8 bool) *common.Common {
	return common.New(context.Background(), common.Options{Lang: lang, UTF8: utf8, Color: true})
}

// loaded is a list that got its checks.
func loaded(checks ...steps.Check) *Model {
	l := New(map[string]bool{})
	var events []steps.Event
	for i := range checks {
		events = append(events, steps.Event{Kind: steps.KindCheck, Check: &checks[i]})
	}
	l.running = true
	l.add(events)
	l.finish(nil)
	return l
}

var longCheck = steps.Check{ID: "path-repo-source", Status: steps.Warn,
	Title:    "path.repo on every source node covers /mnt/very/long/share/path/that/goes/on/esmigrate-repository-2026",
	Evidence: "source-1, source-2 and source-3 list /mnt/very/long/share/path/that/goes/on in path.repo",
	Fix:      "nothing to do"}

// Starting the checks again cancels those still running: nobody reads their results any more.
func TestRestartCancelsTheRunningChecks(t *testing.T) {
	l := New(nil)
	started := make(chan context.Context, 2)
	work := func(ctx context.Context, _ func(steps.Event)) ([]steps.Check, error) {
		started <- ctx
		<-ctx.Done()
		return nil, ctx.Err()
	}
	for _, cmd := range l.Start(context.Background(), work)().(tea.BatchMsg) {
		go cmd() // the stream (it waits for the work) and the spinner's tick
	}
	first := <-started
	l.Start(context.Background(), work)
	select {
	case <-first.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the first checks still run after the second start")
	}
}

// A check line cut with an ellipsis expands (space) to its whole text: title, paths and all.
func TestACutCheckExpandsToItsFullText(t *testing.T) {
	c := newCommon("en", true)
	l := loaded(steps.Check{ID: "compat-versions", Title: "Snapshot compatibility", Status: steps.OK, Evidence: "7.17 → 7.17"}, longCheck)
	l.expanded = map[string]bool{} // collapsed, as an OK check is
	collapsed := ansi.Strip(l.Render(c, 80, 20))
	if !strings.Contains(collapsed, "…") || strings.Contains(collapsed, "esmigrate-repository-2026") {
		t.Fatalf("the long check is not cut when collapsed:\n%s", collapsed)
	}
	l.Key(tea.KeyPressMsg{Code: tea.KeyDown}, c.Keys)
	l.Key(tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}, c.Keys)
	expanded := ansi.Strip(l.Render(c, 80, 20))
	flat := strings.Join(strings.Fields(expanded), " ")
	for _, want := range []string{longCheck.Title, longCheck.Evidence, "Fix: nothing to do"} {
		if !strings.Contains(flat, want) {
			t.Errorf("expanded, the check does not show %q:\n%s", want, expanded)
		}
	}
	for _, line := range strings.Split(expanded, "\n") {
		if ansi.StringWidth(line) > 80 {
			t.Errorf("line wider than 80: %q", line)
		}
		if strings.HasSuffix(line, "…") {
			t.Errorf("an expanded line is still cut: %q", line)
		}
	}
	// Paths are never broken inside: at a space, or whole on a line of their own.
	if !strings.Contains(expanded, "/mnt/very/long/share/path/that/goes/on/esmigrate-repository-2026") {
		t.Errorf("the path was broken across lines:\n%s", expanded)
	}
}

// Without UTF-8 a check row reads as words: the pointer, then "[ok]", "[!!]" or "[xx]" (not "> + +").
func TestASCIICheckRowsRead(t *testing.T) {
	c := newCommon("en", false)
	l := loaded(steps.Check{ID: "a", Title: "First", Status: steps.OK}, steps.Check{ID: "b", Title: "Second", Status: steps.Fail, Evidence: "bad"})
	out := ansi.Strip(l.Render(c, 80, 20))
	if !strings.HasPrefix(out, "> [ok] First") || !strings.Contains(out, "  [xx] Second") || strings.Contains(out, "+ +") {
		t.Fatalf("ASCII rows:\n%s", out)
	}
	for _, r := range out {
		if r > 127 {
			t.Fatalf("non-ASCII %q:\n%s", r, out)
		}
	}
}

// The review's rendering shows every check whole, wrapped, with no cursor and nothing cut.
func TestRenderAllShowsEveryCheckWhole(t *testing.T) {
	c := newCommon("zh", true)
	l := loaded(longCheck)
	out := ansi.Strip(strings.Join(l.RenderAll(c, 80), "\n"))
	flat := strings.Join(strings.Fields(out), "")
	if strings.Contains(out, "…") || !strings.Contains(flat, strings.ReplaceAll(longCheck.Evidence, " ", "")) {
		t.Fatalf("not whole:\n%s", out)
	}
}
