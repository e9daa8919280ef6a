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
		be   func(be *fakeBackend)
	}
	// A live migration: the state file records a cut-over whose block went on (the wizard starts on it).
	cutting := func(s *Session) {
		st := sampleState("esmigrate-state.json", true)
		st.Live = &steps.LiveState{Cutover: sampleCutover()}
		withState(st, steps.Credentials{})(s)
	}
	toCatchUp := func(h *harness) { h.toReview(); h.keys("enter", "y", "l") }
	toCutover := func(h *harness) { toCatchUp(h); h.keys("c", "enter"); h.typeText("source-clu") }
	unfinished := withState(sampleState("esmigrate-state.json", false), steps.Credentials{})
	screens := []step{
		{"0-resume", func(h *harness) {}, unfinished, nil},
		{"0-resume-startover", func(h *harness) { h.keys("n") }, unfinished, nil},
		{"0-resume-password", func(h *harness) { h.keys("enter"); h.typeText("secret") }, func(s *Session) {
			st := sampleState("esmigrate-state.json", false)
			st.Plan.Source.Username = "elastic"
			withState(st, steps.Credentials{})(s)
		}, nil},
		{"0-finished", func(h *harness) {}, withState(sampleState("esmigrate-state.json", true), steps.Credentials{}), nil},
		{"1-connect", func(h *harness) {}, nil, nil},
		{"2-preflight", func(h *harness) { h.toPreflight() }, nil, nil},
		{"3-repository", func(h *harness) {
			h.toRepository()
			for i := 0; i < 12 && h.m.screens[scrRepository].(*repositoryScreen).form != nil; i++ {
				h.keys("enter")
			}
		}, nil, nil},
		{"4-indices", func(h *harness) {
			h.toIndices()
			h.typeText("logs")
			h.keys("ctrl+t", "ctrl+u")
			h.send(previewTickMsg{seq: h.m.screens[scrIndices].(*indicesScreen).previewSeq})
		}, nil, nil},
		{"4-indices-help", func(h *harness) { h.toIndices(); h.keys("?") }, nil, nil},
		{"5-metadata", func(h *harness) { h.toMetadata(); h.keys("down") }, nil, nil},
		{"5-metadata-details", func(h *harness) { h.toMetadata(); h.keys("down", "d") }, nil, nil},
		{"5-metadata-overwrite", func(h *harness) { h.toMetadata(); h.keys("down", "o"); h.typeText("logs-") }, nil, nil},
		{"5-metadata-requests", func(h *harness) { h.toMetadata(); h.keys("tab") }, nil, nil},
		{"6-review", func(h *harness) { h.toReview() }, nil, nil},
		{"6-review-sideways", func(h *harness) {
			h.toReview()
			h.keys("pgdown", "right")
		}, nil, nil},
		// The shares measured (m), the proposal taken (u), the target cluster's name being typed to confirm the
		// target's recovery throttle.
		{"6-review-throughput", func(h *harness) {
			h.toReview()
			h.measured()
			h.keys("u")
			h.typeText("target-clu")
		}, nil, nil},
		{"7-run", func(h *harness) {
			h.be.block = true
			h.toReview()
			h.keys("enter", "y")
		}, nil, nil},
		{"8-report", func(h *harness) {
			h.toReview()
			h.keys("enter", "y", "1", "x")
		}, nil, nil},
		{"8-catchup", toCatchUp, nil, nil},
		{"8-catchup-round", func(h *harness) { toCatchUp(h); h.keys("r") }, nil, func(be *fakeBackend) { be.liveBlock = true }},
		{"8-catchup-rounds-done", func(h *harness) { toCatchUp(h); h.keys("a") }, nil, nil},
		{"9-cutover", toCutover, nil, nil},
		{"9-cutover-freeze", func(h *harness) { toCutover(h); h.typeText("ster"); h.keys("enter") }, nil, func(be *fakeBackend) { be.liveBlock = true }},
		{"9-cutover-done", func(h *harness) { toCutover(h); h.typeText("ster"); h.keys("enter") }, nil, nil},
		{"0-cutover-running", func(h *harness) {}, cutting, func(be *fakeBackend) { be.cut = sampleCutover() }},
	}
	for _, sc := range screens {
		for _, lang := range []string{"en", "zh"} {
			for _, size := range [][2]int{{80, 24}, {120, 40}} {
				t.Run(fmt.Sprintf("%s/%s/%dx%d", sc.name, lang, size[0], size[1]), func(t *testing.T) {
					be := &fakeBackend{}
					if sc.be != nil {
						sc.be(be)
					}
					h := newHarnessWith(t, lang, size[0], size[1], be, sc.prep)
					sc.to(h)
					golden.RequireEqual(t, h.screen()+"\n")
					if be.block || be.liveBlock {
						h.keys("q", "y")
						h.settle()
					}
				})
			}
		}
	}
}
