package ui

import (
	"testing"

	"github.com/esmigrate/esmigrate/steps"
)

// v on the review changes the verification mode, shown with what it proves, and the run gets that mode.
func TestReviewChoosesTheVerificationMode(t *testing.T) {
	be := &fakeBackend{}
	h := newHarness(t, "en", 120, 40, be)
	h.toReview()
	h.must("Verification: seqno —")
	h.keys("v")
	h.must("Verification: content — seqno and every document compared")
	h.keys("v")
	h.must("Verification: count — top-level document counts only")
	h.keys("v", "v")
	h.must("Verification: content")
	h.keys("enter", "y")
	h.at(scrReport)
	if be.runPlan.Verify != steps.VerifyContent {
		t.Errorf("the run got verify %q, want content", be.runPlan.Verify)
	}
}
