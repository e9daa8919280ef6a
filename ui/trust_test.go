package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/common"
)

// Tests of issue 14's promises that span screens: help, keys in text fields, no colors, ASCII, the review's
// commands, and state screens that agree.

// The ? overlay shows every key of every screen at 80 columns, in both languages.
func TestHelpShowsEveryKeyAt80Columns(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		h := newHarness(t, lang, 80, 24, &fakeBackend{block: true})
		steps := []func(){func() {}, h.toPreflight, func() { h.keys("a", "enter") }, func() {
			for i := 0; i < 12 && h.m.screens[scrRepository].(*repositoryScreen).form != nil; i++ {
				h.keys("enter")
			}
			h.keys("a", "enter")
		}, func() { h.typeText("logs"); h.keys("ctrl+t", "enter") }, func() { h.keys("enter", "y") }}
		for _, step := range steps {
			step()
			scr := h.m.screens[h.m.cur]
			open := func() {
				if scr.Capturing() {
					h.send(tea.KeyPressMsg{Code: tea.KeyF1}) // ? is typed in a text field
				} else {
					h.keys("?")
				}
			}
			open()
			if !h.m.fullHelp {
				t.Fatalf("%s screen %d: ? did not open the help", lang, h.m.cur)
			}
			out := h.screen()
			flat := strings.Join(strings.Fields(out), " ")
			for _, g := range scr.FullHelp() {
				for _, b := range g {
					if !strings.Contains(flat, b.Help().Key) || !strings.Contains(flat, strings.Join(strings.Fields(b.Help().Desc), " ")) {
						t.Errorf("%s screen %d: the help lacks %q %q:\n%s", lang, h.m.cur, b.Help().Key, b.Help().Desc, out)
					}
				}
			}
			for _, l := range strings.Split(out, "\n") {
				if ansi.StringWidth(l) > 80 {
					t.Errorf("%s screen %d: a help line is %d wide", lang, h.m.cur, ansi.StringWidth(l))
				}
			}
			open()
			if h.m.fullHelp {
				t.Fatalf("%s: the help did not close", lang)
			}
		}
		h.keys("q", "y")
		h.settle()
	}
}

// Inside a text field ? is typed; f1 shows the help there, and the footer says so.
func TestQuestionMarkIsTypedInTextFields(t *testing.T) {
	h := newHarness(t, "en", 80, 24, nil)
	scr := h.m.screens[scrConnect].(*connectScreen)
	h.keys("ctrl+u") // the URL field's own key: clear it
	h.typeText("http://a?b")
	if h.m.fullHelp || !strings.Contains(h.screen(), "http://a?b") {
		t.Fatalf("? was not typed into the field (help open: %v):\n%s", h.m.fullHelp, h.screen())
	}
	h.must("f1 more keys")
	h.send(tea.KeyPressMsg{Code: tea.KeyF1})
	if !h.m.fullHelp {
		t.Fatalf("f1 did not open the help in a text field:\n%s", h.screen())
	}
	h.keys("x") // any key closes it, and is not typed
	if h.m.fullHelp || strings.Contains(scr.src.URL, "x") {
		t.Fatalf("help %v, URL %q", h.m.fullHelp, scr.src.URL)
	}
}

// Without colors the chosen yes/no button is in brackets (the theme's colors alone told them apart), and the
// index table's cursor row stays in reverse video.
func TestWithoutColorTheChoiceShows(t *testing.T) {
	c := common.New(context.Background(), common.Options{Lang: "en", UTF8: true, Color: false})
	p := steps.DefaultPlan()
	p.Source.URL, p.Target.URL = "http://10.0.0.1:9200", "http://10.0.0.2:9200"
	s := &Session{Plan: p, Acked: map[string]bool{}}
	be := &fakeBackend{}
	h := &harness{t: t, be: be, c: c, s: s, m: NewModel(c, s, be)}
	h.run(h.m.Init())
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.keys("enter", "enter", "enter") // URL, authentication, CA: the "skip TLS verification?" question
	yes, no := c.T("misc.yes"), c.T("misc.no")
	h.must("[" + no + "]")
	h.must(" " + yes + " ")
	h.keys("left")
	h.must("[" + yes + "]")
	h.keys("right")
	// The index table: the cursor row is reverse video, which needs no color.
	for i := 0; i < 5; i++ {
		h.keys("enter")
	}
	h.toIndicesFromConnect()
	if !strings.Contains(h.m.Render(), "\x1b[7m") {
		t.Fatalf("no reverse video for the cursor row:\n%q", h.m.Render())
	}
}

// toIndicesFromConnect goes on from a connection screen whose form is done.
func (h *harness) toIndicesFromConnect() {
	h.t.Helper()
	h.keys("enter")
	h.at(scrPreflight)
	h.keys("a", "enter")
	for i := 0; i < 12 && h.m.screens[scrRepository].(*repositoryScreen).form != nil; i++ {
		h.keys("enter")
	}
	h.keys("a", "enter")
	h.at(scrIndices)
}

// Under LANG=C nothing drawn is non-ASCII, on any screen, the help and the run and report included; an index
// name in another script is shown with question marks.
func TestASCIIEverywhere(t *testing.T) {
	be := &fakeBackend{indices: append(sampleIndices(), esclient.Index{Name: "日志-2026", Health: "green", Status: "open", Primaries: 1})}
	c := NewCommon(nil, "zh", false) // Chinese asked for: English it is, in ASCII
	s := &Session{Plan: steps.DefaultPlan(), Acked: map[string]bool{}, PlanPath: filepath.Join(t.TempDir(), "plan.yaml")}
	s.Plan.Source.URL, s.Plan.Target.URL = "http://a:9200", "http://b:9200"
	m := NewModel(c, s, be)
	h := &harness{t: t, m: m, be: be, c: c, s: s}
	h.run(m.Init())
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	check := func(where string) {
		t.Helper()
		for _, r := range h.m.Render() {
			if r > 127 {
				t.Fatalf("%s: non-ASCII %q on an ASCII terminal:\n%s", where, r, h.screen())
			}
		}
	}
	check("connect")
	h.toPreflight()
	check("pre-flight")
	h.keys("?")
	check("help")
	h.keys("?")
	h.keys("a", "enter")
	for i := 0; i < 12 && h.m.screens[scrRepository].(*repositoryScreen).form != nil; i++ {
		h.keys("enter")
		check("repository form")
	}
	h.keys("a", "enter")
	h.keys("ctrl+x")
	check("indices")
	h.typeText("logs")
	h.keys("ctrl+t", "enter")
	check("review")
	h.keys("enter", "y")
	check("report")
	if strings.Contains(h.screen(), "down down") {
		t.Fatalf("the help reads \"down down\":\n%s", h.screen())
	}
}

// The review never wraps a curl command: each line is whole or cut at the edge with a sign, and the sideways
// keys bring the rest into view.
func TestReviewCurlNeverWraps(t *testing.T) {
	h := newHarness(t, "en", 80, 24, nil)
	h.toReview()
	scr := h.m.screens[scrReview].(*reviewScreen)
	long := scr.requests[0].Curl
	if ansi.StringWidth(long) <= 80 {
		t.Fatalf("the sample request fits: %q", long)
	}
	find := func() string {
		for _, l := range strings.Split(h.screen(), "\n") {
			if strings.Contains(l, "curl -sS -X PUT 'http://10.0.0.1:9200/_snapshot/esmigrate'") || strings.Contains(l, "Content-Type") {
				return l
			}
		}
		return ""
	}
	for i := 0; i < 20 && find() == ""; i++ {
		h.keys("down")
	}
	line := find()
	if !strings.HasPrefix(long, strings.TrimSuffix(line, "→")) || !strings.HasSuffix(line, "→") {
		t.Fatalf("the command is not shown from its start and cut with a sign: %q", line)
	}
	// Its next line is not a continuation of it (nothing wrapped).
	if strings.Contains(h.screen(), "\napplication/json") {
		t.Fatalf("the command wrapped:\n%s", h.screen())
	}
	h.keys("right")
	moved := ""
	for _, l := range strings.Split(h.screen(), "\n") {
		if strings.HasPrefix(l, "←") && strings.Contains(l, `"type":"fs"`) {
			moved = l
		}
	}
	if moved == "" {
		t.Fatalf("right did not scroll the commands sideways:\n%s", h.screen())
	}
}

// A finished migration is finished on every screen: its report, and the start-over screen reached from it,
// never "has not finished" nor "stopped before the first batch".
func TestFinishedMigrationScreensAgree(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		h := newHarnessWith(t, lang, 120, 40, nil, withState(sampleState(filepath.Join(t.TempDir(), "esmigrate-state.json"), true), steps.Credentials{}))
		h.at(scrReport)
		h.keys("n")
		h.at(scrResume)
		c := h.c
		h.must(c.T("rs.title.finished"))
		for _, contradiction := range []string{c.T("rs.title"), c.T("rs.l.stopped"), c.T("rs.notstarted"), "has not finished"} {
			h.mustNot(contradiction, "a finished migration")
		}
		h.must(c.T("rep.result", 3, 0, 0, 0, 2))
	}
	// Every batch done but the run stopped before it wrote the report: not "before the first batch".
	st := sampleState(filepath.Join(t.TempDir(), "esmigrate-state.json"), true)
	st.Finished = false
	h := newHarnessWith(t, "en", 120, 40, nil, withState(st, steps.Credentials{}))
	h.at(scrResume)
	h.must("after the last batch")
	h.mustNot("before the first batch", "every batch is done")
}

// One key map: bindings are made in ui/common only.
func TestOneKeyMap(t *testing.T) {
	for _, glob := range []string{"*.go", "components/*/*.go", "serve/*.go"} {
		for f, src := range goSources(t, glob) {
			if strings.Contains(src, "key.NewBinding(") || strings.Contains(src, "WithKeys(") {
				t.Errorf("%s makes its own key bindings: they belong in ui/common/keymap.go", f)
			}
		}
	}
	km, _ := os.ReadFile("common/keymap.go")
	if n := strings.Count(string(km), `b("enter"`); n != 4 {
		t.Errorf("enter is bound %d times in the key map, want 4 (continue, start, choose, accept)", n)
	}
}

// The index screen's batch preview is the planner's: the screen does not batch on its own.
func TestIndexPreviewAsksThePlanner(t *testing.T) {
	src := goSources(t, "indices.go")["indices.go"]
	for _, own := range []string{"PlanBatches(", "50 << 30", "Closed()"} {
		if strings.Contains(src, own) {
			t.Errorf("indices.go calls %s: batching policy belongs to steps.BatchPreview", own)
		}
	}
	h := newHarness(t, "en", 80, 24, nil)
	h.toReview()
	want, _ := steps.BatchPreview(h.s.Plan, h.m.screens[scrIndices].(*indicesScreen).t.Selected())
	if len(want) != len(h.s.Batches) || want[0].PrimaryBytes != h.s.Batches[0].PrimaryBytes {
		t.Fatalf("the screen's batches %+v, the planner's %+v", h.s.Batches, want)
	}
}
