package steps

import (
	"sort"
	"strings"
	"testing"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
)

func TestThePlanFileWritesTheMetadataSectionAndReadsItBack(t *testing.T) {
	p := DefaultPlan()
	p.Source.URL, p.Target.URL = "http://a:9200", "http://b:9200"
	p.Repository.SourceLocation, p.Repository.TargetLocation = "/s", "/t"
	p.Indices = []string{"logs-*"}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	// A plan without the section: the file written for it names every field, and reads back as the same plan
	// (the same hash, so that its state file is still its own).
	y := string(p.YAML())
	for _, want := range []string{"\nmetadata:\n  copy: false", "on_conflict: skip", "pause_ilm: false", "never with include_global_state"} {
		if !strings.Contains(y, want) {
			t.Errorf("the plan file lacks %q:\n%s", want, y)
		}
	}
	back, err := ParsePlan([]byte(y), "plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if back.Hash() != p.Hash() {
		t.Errorf("a plan read back from its file hashes differently: %s, not %s (%+v)", back.Hash(), p.Hash(), back.Metadata)
	}
	// Every field of the section, and the lifecycle pause, go there and back.
	p.Metadata = MetadataPlan{Copy: true, Include: []string{"ingest_pipeline/*"}, Exclude: []string{"index_template/old"},
		OnConflict: MetaConflictSkip, Overwrite: []string{"legacy_template/logs"}}
	p.Restore.PauseILM = true
	back, err = ParsePlan(p.YAML(), "plan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := back.Metadata
	if !m.Copy || m.Include[0] != "ingest_pipeline/*" || m.Exclude[0] != "index_template/old" || m.Overwrite[0] != "legacy_template/logs" ||
		m.OnConflict != MetaConflictSkip || !back.Restore.PauseILM || back.Hash() != p.Hash() {
		t.Errorf("read back: %+v pause_ilm=%v", m, back.Restore.PauseILM)
	}
	q := p
	q.Metadata.Overwrite = []string{"templates/x"}
	if err := q.Validate(); err == nil || !strings.Contains(err.Error(), "metadata.overwrite") {
		t.Errorf("a bad metadata.overwrite entry is refused with its field: %v", err)
	}
}

func TestAConflictIsOverwrittenOnlyWhereThePlanNamesIt(t *testing.T) {
	mp := MetadataPlan{Overwrite: []string{"legacy_template/logs*"}}
	if !mp.overwrites(esclient.MetaLegacyTemplate, "logs-a") || mp.overwrites(esclient.MetaIndexTemplate, "logs-a") || mp.overwrites(esclient.MetaLegacyTemplate, "other") {
		t.Error("metadata.overwrite names kind/name with wildcards")
	}
	if !(MetadataPlan{OnConflict: MetaConflictOverwrite}).overwrites(esclient.MetaPipeline, "x") {
		t.Error("on_conflict: overwrite overwrites every conflict")
	}
}

// inventory builds an inventory from a source listing and a target listing, as the pre-flight does.
func inventory(t *testing.T, dst esclient.MetaListing, mp MetadataPlan) *MetadataInventory {
	uses := []IndexUse{{Name: "logs-2024.01.01", Settings: map[string]string{"index.default_pipeline": "for-writers"}}}
	return BuildMetadataInventory(sourceListing(t), dst, es("7.17.29"), es("7.17.29"), uses, mp)
}

func TestTheMetadataCheckWarnsWhenTheIndicesUseWhatTheTargetLacksAndNothingCopiesIt(t *testing.T) {
	c := MetadataCheck(inventory(t, esclient.MetaListing{}, MetadataPlan{}), MetadataPlan{}, false)
	if c.Status != Warn || !strings.Contains(c.Evidence, "metadata.copy is off") || !strings.Contains(c.Evidence, "ingest_pipeline/for-writers") ||
		!strings.Contains(c.Fix, "copy: true") {
		t.Errorf("%+v", c)
	}
	zh := i18n.New("zh").Msg(c.EvidenceMsg)
	if !strings.Contains(zh, "metadata.copy 未开启") || !strings.Contains(zh, "ingest_pipeline/for-writers") {
		t.Errorf("the evidence in Chinese: %s", zh)
	}
	// The same on a target that has everything: nothing to say.
	src := sourceListing(t)
	c = MetadataCheck(inventory(t, src, MetadataPlan{}), MetadataPlan{}, false)
	if c.Status != OK {
		t.Errorf("the target has every item: %+v", c)
	}
}

func TestTheMetadataCheckSaysWhatTheStepWillDoAndWarnsOfWhatItLeaves(t *testing.T) {
	mp := MetadataPlan{Copy: true}
	c := MetadataCheck(inventory(t, esclient.MetaListing{}, mp), mp, false)
	if c.Status != OK || !strings.Contains(c.Evidence, "to create") {
		t.Errorf("everything absent is created: %+v", c)
	}
	// The pipeline differs on the target: kept as it is there, unless the plan names it and the operator
	// confirmed.
	dst := esclient.MetaListing{}
	for _, it := range sourceListing(t).Items {
		if it.Kind == esclient.MetaPipeline && it.Name == "for-writers" {
			it.Body = map[string]any{"description": "the target's own", "processors": []any{}}
			dst.Items = append(dst.Items, it)
		}
	}
	c = MetadataCheck(inventory(t, dst, mp), mp, false)
	if c.Status != Warn || !strings.Contains(c.Evidence, "kept as they are there: ingest_pipeline/for-writers") {
		t.Errorf("a conflict kept: %+v", c)
	}
	mp.Overwrite = []string{"ingest_pipeline/for-writers"}
	c = MetadataCheck(inventory(t, dst, mp), mp, false)
	if c.Status != Warn || !strings.Contains(c.Evidence, "not confirmed") || !strings.Contains(c.Fix, "--allow-metadata-overwrite") {
		t.Errorf("an overwrite not confirmed: %+v", c)
	}
	c = MetadataCheck(inventory(t, dst, mp), mp, true)
	if c.Status != OK || !strings.Contains(c.Evidence, "1 to overwrite (ingest_pipeline/for-writers)") {
		t.Errorf("an overwrite confirmed: %+v", c)
	}
}

func chosenIDs(inv *MetadataInventory) []string {
	var out []string
	for _, e := range inv.Selected() {
		out = append(out, e.ID())
	}
	sort.Strings(out)
	return out
}

func TestChoosingAnItemByHandBringsWhatItNamesAndLeavingOneOutExcludesIt(t *testing.T) {
	uses := []IndexUse{{Name: "articles", Settings: map[string]string{}}}
	mp := MetadataPlan{Copy: true}
	inv := BuildMetadataInventory(sourceListing(t), esclient.MetaListing{}, es("7.17.29"), es("7.17.29"), uses, mp)
	if got := strings.Join(chosenIDs(inv), " "); got != "ingest_pipeline/enrich legacy_template/articles" {
		t.Fatalf("used by articles: %s", got)
	}
	// The operator chooses the logs template: its component template, the pipeline its settings name (and what
	// that pipeline names), and the policy the component template names come with it.
	logs, _ := inv.Entry(esclient.MetaIndexTemplate, "logs")
	mp = mp.WithChosen(logs, true)
	inv.Choose(mp)
	got := chosenIDs(inv)
	for _, want := range []string{"index_template/logs", "component_template/logs-mappings", "ingest_pipeline/logs-parse", "ingest_pipeline/common",
		"stored_script/tag-script", "ilm_policy/logs-policy"} {
		if !containsStr(got, want) {
			t.Errorf("%s should come with index_template/logs: %v", want, got)
		}
	}
	if mp.Include[0] != "index_template/logs" || len(mp.Exclude) != 0 {
		t.Errorf("the section: %+v", mp)
	}
	ct, _ := inv.Entry(esclient.MetaComponentTemplate, "logs-mappings")
	if !strings.Contains(ct.Why.String(), "named by the index template logs (composed_of)") || !strings.Contains(i18n.New("zh").Msg(ct.Why), "被已选的索引模板 logs 引用") {
		t.Errorf("why: %q / %q", ct.Why.String(), i18n.New("zh").Msg(ct.Why))
	}
	// Leaving out an item the indices use excludes it by its exact name; choosing it again removes that.
	enrich, _ := inv.Entry(esclient.MetaPipeline, "enrich")
	mp = mp.WithChosen(enrich, false)
	inv.Choose(mp)
	if containsStr(chosenIDs(inv), "ingest_pipeline/enrich") || mp.Exclude[0] != "ingest_pipeline/enrich" {
		t.Errorf("left out: %v %+v", chosenIDs(inv), mp)
	}
	mp = mp.WithChosen(enrich, true)
	inv.Choose(mp)
	if !containsStr(chosenIDs(inv), "ingest_pipeline/enrich") || len(mp.Exclude) != 0 || len(mp.Include) != 1 {
		t.Errorf("chosen again: %v %+v", chosenIDs(inv), mp)
	}
	// A hand-chosen item left out again is simply no longer included.
	mp = mp.WithChosen(logs, false)
	inv.Choose(mp)
	if containsStr(chosenIDs(inv), "index_template/logs") || len(mp.Include) != 0 {
		t.Errorf("unchosen: %v %+v", chosenIDs(inv), mp)
	}
	// One conflict to overwrite, by its exact name, and back.
	mp = mp.WithOverwrite(enrich, true)
	if !mp.Overwrites(enrich) || mp.Overwrites(logs) {
		t.Errorf("overwrite: %+v", mp)
	}
	if mp = mp.WithOverwrite(enrich, false); mp.Overwrites(enrich) {
		t.Errorf("overwrite undone: %+v", mp)
	}
}
