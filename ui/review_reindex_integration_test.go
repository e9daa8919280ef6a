//go:build integration

package ui

import (
	"strings"
	"testing"

	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/testenv/envtest"
)

// The review lists, for the indices that go by _reindex from remote, the requests the run sends for them: the
// wizard's screens before it answer from the fake (7.17 indices, an OpenSearch target), the review's requests
// come from the real engine, which reads each index's definition on the real 7.17 source and addresses the real
// OpenSearch 2.19 target. Nothing is sent to change anything: the engine only reads.
func TestTheReviewShowsTheReindexRequestsOfIndicesTheTargetCannotRestore(t *testing.T) {
	env := envtest.Load(t)
	os2 := envtest.Extra(t, "opensearch")
	be := &fakeBackend{openSearchTarget: true, planned: EngineBackend()}
	for _, ix := range sampleIndices() {
		ix.CreatedVersion = "7.17.29"
		be.indices = append(be.indices, ix)
	}
	h := newHarnessWith(t, "en", 160, 200, be, func(s *Session) {
		s.Plan.Source.URL, s.Plan.Target.URL = env.SourceURL, os2
	})
	h.toReview()
	h.settle()
	scr := h.m.screens[scrReview].(*reviewScreen)
	await := func() {
		if !h.await(func() bool { return len(scr.requests) > 0 || scr.reqErr != nil }) {
			t.Fatalf("the review never got its requests:\n%s", h.screen())
		}
		if scr.reqErr != nil {
			t.Fatalf("planned requests: %v", scr.reqErr)
		}
	}
	await()
	// Refused: the review lists the snapshot (the pre-flight will fail it).
	h.must("# snapshot logs-2026.")
	h.must("# restore logs-2026.")
	h.keys("x") // by _reindex from remote
	h.settle()
	await()
	h.must("x  3 index(es) the target cannot restore: by _reindex from remote")
	for _, ix := range []string{"logs-2026.11.01", "logs-2026.11.02", "logs-2026.11.03"} {
		h.must("# create index " + ix + " with the mappings and settings of " + ix)
		h.must("# reindex " + ix + " from the source into " + ix)
	}
	h.mustNot("# restore ", "the indices go by _reindex")
	h.mustNot("# snapshot ", "the indices go by _reindex")
	var rx int
	for _, r := range scr.all() {
		if r.Phase == steps.PhaseReindex && strings.Contains(r.Curl, "-X POST '"+os2+"/_reindex?wait_for_completion=false'") &&
			strings.Contains(r.Curl, `"host":"`+env.SourceURL+`"`) {
			rx++
		}
	}
	if rx != 3 {
		t.Errorf("%d _reindex requests pulling from the source in the review's requests, want 3:\n%s", rx, scr.curl())
	}
}
