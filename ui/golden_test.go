package ui

import (
	"fmt"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/esmigrate/esmigrate/steps"
)

// Golden files of every screen at 80x24 and 120x40, in English and Chinese.
//
// They render the root model's View at a fixed size with the fake engine and compare the text without styles
// with github.com/charmbracelet/x/exp/golden (update with `go test ./ui -run Golden -update`). We tried
// teatest v2 first: its output is the renderer's stream of cursor movements and partial-line updates, which
// differs with timing and cannot be read in a review; the rendered screen can (teatest_test.go still runs the
// real program loop once).
func TestGolden(t *testing.T) {
	type step struct {
		name string
		to   func(h *harness)
		prep func(s *Session) // the state file the wizard starts on
	}
	unfinished := withState(sampleState("esmigrate-state.json", false), steps.Credentials{})
	screens := []step{
		{"0-resume", func(h *harness) {}, unfinished},
		{"0-resume-startover", func(h *harness) { h.keys("n") }, unfinished},
		{"0-resume-password", func(h *harness) { h.keys("enter"); h.typeText("secret") }, func(s *Session) {
			st := sampleState("esmigrate-state.json", false)
			st.Plan.Source.Username = "elastic"
			withState(st, steps.Credentials{})(s)
		}},
		{"0-finished", func(h *harness) {}, withState(sampleState("esmigrate-state.json", true), steps.Credentials{})},
		{"1-connect", func(h *harness) {}, nil},
		{"2-preflight", func(h *harness) { h.toPreflight() }, nil},
		{"3-repository", func(h *harness) {
			h.toRepository()
			for i := 0; i < 12 && h.m.screens[scrRepository].(*repositoryScreen).form != nil; i++ {
				h.keys("enter")
			}
		}, nil},
		{"4-indices", func(h *harness) {
			h.toIndices()
			h.typeText("logs")
			h.keys("ctrl+t", "ctrl+u")
			h.send(previewTickMsg{seq: h.m.screens[scrIndices].(*indicesScreen).previewSeq})
		}, nil},
		{"4-indices-help", func(h *harness) { h.toIndices(); h.keys("?") }, nil},
		{"5-review", func(h *harness) { h.toReview() }, nil},
		{"5-review-sideways", func(h *harness) {
			h.toReview()
			h.keys("pgdown", "right")
		}, nil},
		{"6-run", func(h *harness) {
			h.be.block = true
			h.toReview()
			h.keys("enter", "y")
		}, nil},
		{"7-report", func(h *harness) {
			h.toReview()
			h.keys("enter", "y", "1", "x")
		}, nil},
	}
	for _, sc := range screens {
		for _, lang := range []string{"en", "zh"} {
			for _, size := range [][2]int{{80, 24}, {120, 40}} {
				t.Run(fmt.Sprintf("%s/%s/%dx%d", sc.name, lang, size[0], size[1]), func(t *testing.T) {
					be := &fakeBackend{}
					h := newHarnessWith(t, lang, size[0], size[1], be, sc.prep)
					sc.to(h)
					golden.RequireEqual(t, h.screen()+"\n")
					if be.block {
						h.keys("q", "y")
						h.settle()
					}
				})
			}
		}
	}
}
