package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/i18n"
)

// Every text the wizard walk waits for is a message of the English catalogue (a key that is gone fails here,
// not in a benchmark run), and none is found in the header every screen has (a step's name is on every screen).
func TestWizardWalkWordsAreInTheCatalogue(t *testing.T) {
	src, err := os.ReadFile("wizard.go")
	if err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`shown\("([^"]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(used) < 10 {
		t.Fatalf("found %d shown(…) calls in wizard.go; the walk waits for more screens than that", len(used))
	}
	for _, u := range used {
		if _, ok := i18n.Format("en", u[1]); !ok {
			t.Errorf("wizard.go waits for %q, which the English catalogue does not have", u[1])
			continue
		}
		if regexp.MustCompile(shown(u[1])).MatchString(wizardHeader()) {
			t.Errorf("wizard.go waits for %q, which the header of every screen shows: %q", u[1], wizardHeader())
		}
	}
}

// A catalogue message becomes a pattern of its text with the values given, and any text for the others.
func TestShownMatchesTheWizardsTextWithTheValuesGiven(t *testing.T) {
	en := i18n.New("en")
	cases := []struct {
		re, text string
		match    bool
	}{
		{shown("ix.shown", 3, nil), en.T("ix.shown", 3, 120), true},
		{shown("ix.shown", 4, nil), en.T("ix.shown", 3, 120), false},
		{shown("rep.result", 3, 0, 0, 0, nil), en.T("rep.result", 3, 0, 0, 0, 2), true},
		{shown("rep.result", 3, 0, 0, 0, nil), en.T("rep.result", 3, 1, 0, 0, 2), false},
		{shown("check.verify-repo-source", "wizard", nil), en.T("check.verify-repo-source", "wizard", "/srv/a (b)"), true},
		{shown("rv.confirm"), en.T("rv.confirm"), true},
	}
	for _, c := range cases {
		if got := regexp.MustCompile(c.re).MatchString(c.text); got != c.match {
			t.Errorf("/%s/ on %q: match %v, want %v", c.re, c.text, got, c.match)
		}
	}
}

// wizardHeader is the wizard's header as capture-pane shows it: every step's name (styles do not show).
func wizardHeader() string {
	en := i18n.New("en")
	var steps []string
	for n := 1; en.Has(fmt.Sprintf("step.%d", n)); n++ {
		steps = append(steps, fmt.Sprintf("%d %s", n, en.T(fmt.Sprintf("step.%d", n))))
	}
	return en.T("app.title") + "  " + strings.Join(steps, " › ")
}

// walkScreen is every text the walk waits for, on one screen, as the wizard words them, under the header that
// every screen has (it names every step); without lacks the screen of one message key.
func walkScreen(without string) func() string {
	en := i18n.New("en")
	lines := []string{wizardHeader()}
	for _, l := range []struct {
		key  string
		args []any
	}{
		{"connect.url", nil}, {"connect.hint.done", nil}, {"pf.title", nil}, {"pf.ready", nil}, {"repo.choose", nil},
		{"check.verify-repo-source", []any{"wizard", "/srv"}}, {"ix.filter", nil}, {"ix.shown", []any{3, 10}},
		{"ix.totals", []any{3, "1mb", "30", 3}}, {"ix.opts.title", nil}, {"ix.batches", []any{"1gb", 1, "1mb"}},
		{"md.title", nil}, {"md.count", []any{0, 0}}, {"rv.p.clusters", []any{3, "1mb", "src", "dst"}}, {"rv.ready", nil}, {"rv.confirm", nil},
		{"rep.result", []any{3, 0, 0, 0, 1}},
	} {
		if l.key != without {
			lines = append(lines, en.T(l.key, l.args...))
		}
	}
	screen := strings.Join(lines, "\n")
	return func() string { return screen }
}

func testDriver(t *testing.T, capture func() string) *wizardDriver {
	var sent []string
	return &wizardDriver{pid: "0", capture: capture, screenFile: filepath.Join(t.TempDir(), "screen.txt"), patience: 200 * time.Millisecond,
		send: func(args ...string) { sent = append(sent, strings.Join(args, " ")) }}
}

// The walk goes through the metadata screen (between indices and review), and a wizard that does not show a
// screen the walk expects stops it with an error that names the screen and shows what the wizard showed: the
// harness fails instead of writing "not measured".
func TestWizardWalkFailsLoudlyWhenAScreenIsNotReached(t *testing.T) {
	if err := testDriver(t, walkScreen("")).migrate("bench-*", 3); err != nil {
		t.Fatalf("every screen shown, the walk failed: %v", err)
	}
	for key, screen := range map[string]string{"md.title": "the metadata screen", "rv.p.clusters": "the review screen", "rep.result": "the report"} {
		d := testDriver(t, walkScreen(key))
		err := d.migrate("bench-*", 3)
		if err == nil {
			t.Fatalf("without %s the walk ended without an error", key)
		}
		if !strings.Contains(err.Error(), "did not reach "+screen) || !strings.Contains(err.Error(), i18n.New("en").T("ix.opts.title")) {
			t.Errorf("without %s: the error does not name %s and show the screen: %v", key, screen, err)
		}
		if b, _ := os.ReadFile(d.screenFile); !strings.Contains(string(b), i18n.New("en").T("pf.title")) {
			t.Errorf("without %s: the screen was not saved to %s: %q", key, d.screenFile, b)
		}
	}
}
