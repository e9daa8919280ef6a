package ui

import (
	"errors"

	tea "charm.land/bubbletea/v2"
	"strings"
	"testing"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/steps"
)

// The metadata screen on the fake clusters (fakeMetadata): what the logs indices use is chosen, the operator's
// choices go into the plan's metadata section (which the run and the saved plan get), a conflict is
// overwritten only after its name is typed, and the lifecycle remedy is chosen here.

// cursorTo moves the metadata screen's cursor to an item.
func (h *harness) cursorTo(id string) {
	h.t.Helper()
	scr := h.m.screens[scrMetadata].(*metadataScreen)
	h.send(keyMsgHome())
	for i := 0; i < 20; i++ {
		if en, ok := scr.current(); ok && en.ID() == id {
			return
		}
		h.keys("down")
	}
	h.t.Fatalf("no item %s on the screen:\n%s", id, h.screen())
}

func TestTheMetadataScreenChoosesWhatTheIndicesUseAndTheChoicesGoIntoThePlan(t *testing.T) {
	h := newHarness(t, "en", 120, 40, nil)
	h.toMetadata()
	h.must("4 of 7 chosen")
	for _, id := range []string{"index_template/logs", "component_template/logs-mappings", "ingest_pipeline/logs-parse", "ilm_policy/logs-policy"} {
		en, _ := h.s.Meta.Entry(idKind(id), idName(id))
		if !en.Selected {
			t.Errorf("%s is used by the logs indices and should be chosen", id)
		}
	}
	if got := h.be.metaSel.Indices; len(got) != 3 {
		t.Errorf("the inventory was read for %d indices, want the 3 selected", len(got))
	}
	// Leave the policy out, add the unused stored script.
	h.cursorTo("ilm_policy/logs-policy")
	h.keys("space")
	h.cursorTo("stored_script/tag-hosts")
	h.keys("space")
	mp := h.s.Plan.Metadata
	if !mp.Copy || strings.Join(mp.Exclude, ",") != "ilm_policy/logs-policy" || strings.Join(mp.Include, ",") != "stored_script/tag-hosts" {
		t.Fatalf("the plan's section: %+v", mp)
	}
	h.must("4 of 7 chosen")
	h.keys("enter")
	h.at(scrReview)
	h.must("Metadata: 4 item(s) chosen")
	// The requests of the step come after the repository's and before the snapshots'.
	scr := h.m.screens[scrReview].(*reviewScreen)
	var phases []string
	for _, r := range scr.all() {
		phases = append(phases, string(r.Phase))
	}
	if got := strings.Join(phases, " "); got != "repository metadata metadata snapshot" {
		t.Errorf("the review's requests, by phase: %s", got)
	}
	y := string(h.s.Plan.YAML())
	if !strings.Contains(y, "copy: true") || !strings.Contains(y, "- ilm_policy/logs-policy") || !strings.Contains(y, "- stored_script/tag-hosts") {
		t.Errorf("the saved plan lacks the choices:\n%s", y)
	}
	h.keys("enter", "y")
	h.settle()
	if rp := h.be.runPlan.Metadata; !rp.Copy || len(rp.Exclude) != 1 || len(rp.Include) != 1 {
		t.Errorf("the run got %+v", rp)
	}
	if h.be.runOpts.AllowMetadataOverwrite {
		t.Error("nothing was confirmed for overwriting")
	}
}

func idKind(id string) esclient.MetaKind {
	k, _, _ := strings.Cut(id, "/")
	return esclient.MetaKind(k)
}
func idName(id string) string { _, n, _ := strings.Cut(id, "/"); return n }

func TestAConflictIsOverwrittenOnlyAfterItsNameIsTyped(t *testing.T) {
	h := newHarness(t, "en", 120, 40, nil)
	h.toMetadata()
	h.cursorTo("ingest_pipeline/logs-parse")
	h.must("differs: keep")
	// The details show how it differs.
	h.keys("d")
	h.must(`~ description: "parse the logs" on the source, "the target's own" on the target`)
	h.keys("esc")
	h.at(scrMetadata)
	h.must("4 of 7 chosen")
	// A wrong name changes nothing.
	h.keys("o")
	h.must(`Type "logs-parse" to overwrite the target's ingest pipeline logs-parse`)
	h.typeText("logs")
	h.keys("enter")
	h.must(`that is not "logs-parse"; nothing changed`)
	if len(h.s.Plan.Metadata.Overwrite) != 0 || h.s.MetaConfirmed {
		t.Fatalf("a wrong name confirmed the overwrite: %+v", h.s.Plan.Metadata)
	}
	// The right one: overwritten, and the request is there.
	h.keys("o")
	h.typeText("logs-parse")
	h.keys("enter")
	h.must("differs: overwrite")
	if strings.Join(h.s.Plan.Metadata.Overwrite, ",") != "ingest_pipeline/logs-parse" || !h.s.MetaConfirmed {
		t.Fatalf("the overwrite: %+v", h.s.Plan.Metadata)
	}
	h.keys("tab")
	h.must("# overwrite the ingest pipeline logs-parse on the target")
	h.must("PUT 'http://10.0.0.2:9200/_ingest/pipeline/logs-parse'")
	h.keys("tab")
	h.keys("enter")
	h.at(scrReview)
	h.keys("enter", "y")
	h.settle()
	if !h.be.runOpts.AllowMetadataOverwrite || len(h.be.runPlan.Metadata.Overwrite) != 1 {
		t.Errorf("the run: %+v %+v", h.be.runOpts, h.be.runPlan.Metadata)
	}
}

func TestTakingAnOverwriteBackNeedsNoConfirmation(t *testing.T) {
	h := newHarness(t, "en", 120, 40, nil)
	h.toMetadata()
	h.cursorTo("ingest_pipeline/logs-parse")
	h.keys("o")
	h.typeText("logs-parse")
	h.keys("enter", "o")
	h.must("is kept as it is on the target")
	if len(h.s.Plan.Metadata.Overwrite) != 0 {
		t.Fatalf("%+v", h.s.Plan.Metadata)
	}
	// An item that does not differ cannot be overwritten.
	h.cursorTo("index_template/logs")
	h.keys("o")
	h.must("only an item that differs on the target can be overwritten")
}

func TestTheLifecycleRemedyIsChosenOnTheMetadataScreen(t *testing.T) {
	h := newHarness(t, "en", 120, 40, nil)
	h.toMetadata()
	h.must("Lifecycle: 3 index(es) name a policy; restored with it")
	h.keys("i")
	h.must("restored without it")
	if steps.LifecycleRemedy(h.s.Plan) != steps.LifecycleIgnore || !strings.Contains(strings.Join(h.s.Plan.Restore.IgnoreIndexSettings, ","), "index.lifecycle.name") {
		t.Fatalf("ignore: %+v", h.s.Plan.Restore)
	}
	// Stopping ILM on the target asks for its name.
	h.keys("i")
	h.must(`Type the target cluster's name "target-cluster"`)
	h.typeText("source-cluster")
	h.keys("enter")
	if h.s.Plan.Restore.PauseILM {
		t.Fatal("the wrong name stopped ILM")
	}
	h.keys("i")
	h.typeText("target-cluster")
	h.keys("enter")
	h.must("ILM paused first")
	if !h.s.Plan.Restore.PauseILM || len(h.s.Plan.Restore.IgnoreIndexSettings) != 0 {
		t.Fatalf("pause: %+v", h.s.Plan.Restore)
	}
	h.keys("enter")
	h.must("Lifecycle: ILM is stopped on the target before the first restore")
	h.keys("esc")
	h.at(scrMetadata)
	h.keys("i")
	if steps.LifecycleRemedy(h.s.Plan) != steps.LifecycleKeep {
		t.Fatalf("back to keep: %+v", h.s.Plan.Restore)
	}
}

func TestAMetadataScreenThatCannotReadGoesOnWithoutTheStep(t *testing.T) {
	be := &fakeBackend{metaErr: errors.New("403 Forbidden: action [indices:admin/index_template/get] is unauthorized")}
	h := newHarness(t, "en", 80, 24, be)
	h.toMetadata()
	h.mustWrapped("is unauthorized")
	h.mustWrapped("r: read again; enter: go on without them")
	h.keys("enter")
	h.at(scrReview)
	if h.s.Plan.Metadata.Copy {
		t.Error("nothing could be read: nothing is copied")
	}
}

func TestTheMetadataScreenInChinese(t *testing.T) {
	h := newHarness(t, "zh", 80, 24, nil)
	h.toMetadata()
	h.must("已选 4 / 7")
	h.must("不同：保留")
	h.cursorTo("component_template/logs-mappings")
	h.must("被所选索引用到：被索引模板 logs 引用（composed_of）")
	h.mustNot("(English)", "every word of the list is in the catalogue")
}

func keyMsgHome() tea.KeyPressMsg { return tea.KeyPressMsg{Code: tea.KeyHome} }
