package ui

import (
	"testing"

	"github.com/esmigrate/esmigrate/steps"
)

// toCatchUp runs the fake migration and opens the Catch-up screen from its report (l).
func (h *harness) toCatchUp() {
	h.t.Helper()
	h.toReview()
	h.keys("enter", "y")
	h.at(scrReport)
	h.keys("l")
	h.at(scrCatchUp)
}

// The Catch-up screen shows the changed indices with their operations, the last round and the next estimate;
// r runs one round, a runs rounds until the next is under the threshold; esc goes back to the report.
func TestCatchUpScreenShowsTheChangedIndicesAndRunsRounds(t *testing.T) {
	be := &fakeBackend{}
	h := newHarness(t, "en", 100, 30, be)
	h.toCatchUp()
	h.must("logs-2026.11.02")
	h.must("1,234")
	h.must("12.3s")
	h.mustWrapped("Next round estimated at 4.2s, under the threshold of 30s")
	h.keys("r")
	h.keys("a")
	if len(be.catchUps) != 2 || be.catchUps[0].Rounds != 1 || be.catchUps[1].Rounds != 0 {
		t.Fatalf("catch-up calls: %+v", be.catchUps)
	}
	h.must("3.9s") // the second round, from the engine's status
	h.keys("esc")
	h.at(scrReport)
}

// A target index the restore cannot go over is deleted and restored whole only after the target cluster's name
// was typed: a wrong name allows nothing.
func TestCatchUpDeletesOnlyAfterTheTargetClusterNameIsTyped(t *testing.T) {
	be := &fakeBackend{}
	h := newHarness(t, "en", 100, 30, be)
	h.toCatchUp()
	h.keys("x")
	h.typeText("source-cluster")
	h.keys("enter", "r")
	h.keys("x")
	h.typeText("target-cluster")
	h.keys("enter", "r")
	if len(be.allowDel) != 2 || be.allowDel[0] || !be.allowDel[1] {
		t.Fatalf("deletion allowed per round: %v (want false, then true)", be.allowDel)
	}
}

// The cut-over starts only with the source cluster's name typed, and then shows the freeze measured and the
// content verification; a wrong name sends nothing.
func TestCutoverNeedsTheSourceClusterNameTyped(t *testing.T) {
	be := &fakeBackend{}
	h := newHarness(t, "en", 100, 30, be)
	h.toCatchUp()
	h.keys("c")
	h.at(scrCutover)
	h.mustWrapped("Write block on 3 source index(es) of source-cluster")
	h.keys("enter")
	h.typeText("target-cluster")
	h.keys("enter")
	if len(be.confirms) != 0 {
		t.Fatalf("a wrong name started the cut-over: %v", be.confirms)
	}
	h.mustWrapped(`"target-cluster" is not the source cluster's name (source-cluster): nothing was changed`)
	h.keys("enter")
	h.typeText("source-cluster")
	h.keys("enter")
	if len(be.confirms) != 1 || be.confirms[0] != "source-cluster" {
		t.Fatalf("cut-over confirmations: %v", be.confirms)
	}
	h.must("Write freeze over after 00:03.4")
	h.mustWrapped("3 of 3 index(es) identical, 0 document(s) differ")
	h.keys("R", "y")
	if be.rollbacks != 1 {
		t.Fatalf("rollbacks: %d", be.rollbacks)
	}
	h.must("Rolled back")
}

// A state file whose cut-over runs (the block may be on) opens the wizard on the Cut-over screen, which says
// so with the freeze so far: enter continues it without a new confirmation, R rolls it back.
func TestTheWizardStartsOnACutoverThatRuns(t *testing.T) {
	for _, roll := range []bool{false, true} {
		be := &fakeBackend{cut: sampleCutover()}
		h := newHarnessWith(t, "en", 100, 30, be, func(s *Session) {
			st := sampleState("esmigrate-state.json", true)
			st.Live = &steps.LiveState{Cutover: sampleCutover()}
			withState(st, steps.Credentials{})(s)
		})
		h.at(scrCutover)
		h.mustWrapped("the write block may be on 3 source index(es)")
		h.must("WRITE FREEZE 00:02.5")
		if roll {
			h.keys("R", "y")
			if be.rollbacks != 1 || len(be.confirms) != 0 {
				t.Fatalf("rollback: %d rollbacks, %v cut-overs", be.rollbacks, be.confirms)
			}
			continue
		}
		h.keys("enter")
		if len(be.confirms) != 1 || be.confirms[0] != "" {
			t.Fatalf("the running cut-over should continue without a new confirmation: %v", be.confirms)
		}
	}
}
