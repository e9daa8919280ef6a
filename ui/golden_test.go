package ui

import (
	"fmt"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
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
	}
	screens := []step{
		{"1-connect", func(h *harness) {}},
		{"2-preflight", func(h *harness) { h.toPreflight() }},
		{"3-repository", func(h *harness) {
			h.toRepository()
			for i := 0; i < 12 && h.m.screens[scrRepository].(*repositoryScreen).form != nil; i++ {
				h.keys("enter")
			}
		}},
		{"4-indices", func(h *harness) {
			h.toIndices()
			h.typeText("logs")
			h.keys("ctrl+t", "ctrl+u")
			h.send(previewTickMsg{seq: h.m.screens[scrIndices].(*indicesScreen).previewSeq})
		}},
		{"5-review", func(h *harness) { h.toReview() }},
		{"6-run", func(h *harness) {
			h.be.block = true
			h.toReview()
			h.keys("enter", "y")
		}},
		{"7-report", func(h *harness) {
			h.toReview()
			h.keys("enter", "y", "1", "x")
		}},
	}
	for _, sc := range screens {
		for _, lang := range []string{"en", "zh"} {
			for _, size := range [][2]int{{80, 24}, {120, 40}} {
				t.Run(fmt.Sprintf("%s/%s/%dx%d", sc.name, lang, size[0], size[1]), func(t *testing.T) {
					be := &fakeBackend{}
					h := newHarness(t, lang, size[0], size[1], be)
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
