package steps

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
)

// listing reads items the way a cluster's answers are read (numbers as json.Number).
func listing(t *testing.T, kind esclient.MetaKind, answer string) []esclient.MetaItem {
	t.Helper()
	items, err := esclient.ParseMetaListing(kind, []byte(answer))
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func sourceListing(t *testing.T) esclient.MetaListing {
	var l esclient.MetaListing
	l.Items = append(l.Items, listing(t, esclient.MetaIndexTemplate, `{"index_templates":[
		{"name":"logs","index_template":{"index_patterns":["logs-*"],"priority":10,"composed_of":["logs-mappings"],
			"template":{"settings":{"index":{"default_pipeline":"logs-parse"}}}}},
		{"name":"logs-low","index_template":{"index_patterns":["logs-*"],"priority":1}},
		{"name":"metrics","index_template":{"index_patterns":["metrics-*"],"priority":1}}]}`)...)
	l.Items = append(l.Items, listing(t, esclient.MetaComponentTemplate, `{"component_templates":[
		{"name":"logs-mappings","component_template":{"template":{"mappings":{"properties":{"msg":{"type":"text"}}},
			"settings":{"index.lifecycle.name":"logs-policy"}}}},
		{"name":"unused-ct","component_template":{"template":{}}}]}`)...)
	l.Items = append(l.Items, listing(t, esclient.MetaLegacyTemplate, `{
		"old-logs":{"order":0,"index_patterns":["logs-*"],"settings":{},"mappings":{},"aliases":{}},
		"articles":{"order":1,"index_patterns":["articles*"],"settings":{"index":{"final_pipeline":"enrich"}},"mappings":{},"aliases":{}},
		".monitoring-es":{"order":0,"index_patterns":["articles*"]}}`)...)
	l.Items = append(l.Items, listing(t, esclient.MetaPipeline, `{
		"logs-parse":{"processors":[{"pipeline":{"name":"common"}},{"foreach":{"field":"x","processor":{"script":{"id":"tag-script"}}}}]},
		"common":{"processors":[{"set":{"field":"a","value":"b"}}]},
		"enrich":{"processors":[]},
		"for-writers":{"processors":[]},
		"xpack_monitoring_7":{"processors":[]}}`)...)
	l.Items = append(l.Items, listing(t, esclient.MetaStoredScript, `{"metadata":{"stored_scripts":{
		"tag-script":{"lang":"painless","source":"ctx.t = 1"},
		"search-tpl":{"lang":"mustache","source":"{}"}}}}`)...)
	l.Items = append(l.Items, listing(t, esclient.MetaILMPolicy, `{"logs-policy":{"version":3,"modified_date":"x","policy":{"phases":{"delete":{"min_age":"30d","actions":{"delete":{}}}}}}}`)...)
	return l
}

func TestMetadataChoosesWhatTheSelectedIndicesUseAndWhatThatNames(t *testing.T) {
	uses := []IndexUse{
		{Name: "logs-2024.01.01", Settings: map[string]string{"index.default_pipeline": "logs-parse", "index.lifecycle.name": "logs-policy"}},
		{Name: "articles", Settings: map[string]string{"index.final_pipeline": "_none"}},
	}
	inv := BuildMetadataInventory(sourceListing(t), esclient.MetaListing{}, es("7.17.29"), es("7.17.29"), uses, MetadataPlan{})
	var chosen []string
	for _, e := range inv.Selected() {
		chosen = append(chosen, e.ID())
	}
	want := []string{
		// the composable template of highest priority creates logs-*; its component template, the pipeline its
		// settings name, the policy the component names; the pipeline and script the pipeline names
		"index_template/logs", "component_template/logs-mappings", "ingest_pipeline/logs-parse", "ingest_pipeline/common",
		"stored_script/tag-script", "ilm_policy/logs-policy",
		// articles has no composable template: the legacy one applies, with the pipeline it names
		"legacy_template/articles", "ingest_pipeline/enrich",
	}
	for _, w := range want {
		if !containsStr(chosen, w) {
			t.Errorf("%s should be chosen; chosen: %v", w, chosen)
		}
	}
	for _, not := range []string{"index_template/logs-low", "index_template/metrics", "legacy_template/old-logs", "legacy_template/.monitoring-es",
		"component_template/unused-ct", "ingest_pipeline/for-writers", "ingest_pipeline/xpack_monitoring_7", "stored_script/search-tpl"} {
		if containsStr(chosen, not) {
			t.Errorf("%s should not be chosen by default", not)
		}
	}
	mon, _ := inv.Entry(esclient.MetaLegacyTemplate, ".monitoring-es")
	if !strings.Contains(mon.Why.String(), "built in") || mon.Selected {
		t.Errorf("a dot template is the cluster's own, even when its pattern matches: %+v", mon)
	}
	p, _ := inv.Entry(esclient.MetaStoredScript, "tag-script")
	if len(p.UsedBy) == 0 || !strings.Contains(p.UsedBy[0].String(), "ingest pipeline logs-parse (script processor)") {
		t.Errorf("the script is used through the pipeline: %+v", p.UsedBy)
	}
}

func TestMetadataIncludeAndExcludeOverrideUse(t *testing.T) {
	uses := []IndexUse{{Name: "logs-1", Settings: map[string]string{}}}
	mp := MetadataPlan{Include: []string{"stored_script/*", "ingest_pipeline/for-writers"}, Exclude: []string{"index_template/logs", "stored_script/tag-*"}}
	inv := BuildMetadataInventory(sourceListing(t), esclient.MetaListing{}, es("7.17.29"), es("7.17.29"), uses, mp)
	sel := map[string]bool{}
	for _, e := range inv.Selected() {
		sel[e.ID()] = true
	}
	if !sel["stored_script/search-tpl"] || !sel["ingest_pipeline/for-writers"] {
		t.Errorf("include adds items: %v", sel)
	}
	if sel["index_template/logs"] || sel["stored_script/tag-script"] {
		t.Errorf("exclude wins over use and include: %v", sel)
	}
}

func TestMetadataComparesWithTheTargetAndShowsTheDifferences(t *testing.T) {
	src := sourceListing(t)
	var dst esclient.MetaListing
	// articles: the same template written flat, with 1 as a number and no empty objects: identical
	dst.Items = append(dst.Items, listing(t, esclient.MetaLegacyTemplate, `{"articles":{"order":1,"index_patterns":["articles*"],"settings":{"index.final_pipeline":"enrich"}}}`)...)
	// common: another processor value
	dst.Items = append(dst.Items, listing(t, esclient.MetaPipeline, `{"common":{"processors":[{"set":{"field":"a","value":"c"}}],"description":"theirs"}}`)...)
	uses := []IndexUse{{Name: "logs-1", Settings: map[string]string{"index.default_pipeline": "logs-parse"}}, {Name: "articles"}}
	inv := BuildMetadataInventory(src, dst, es("7.17.29"), es("7.17.29"), uses, MetadataPlan{})
	a, _ := inv.Entry(esclient.MetaLegacyTemplate, "articles")
	if a.State != MetaIdentical {
		t.Errorf("articles is the same on both sides: %s %v", a.State, a.Diff)
	}
	c, _ := inv.Entry(esclient.MetaPipeline, "common")
	want := []string{
		`- description: "theirs" (only on the target)`,
		`~ processors[0].set.value: "b" on the source, "c" on the target`,
	}
	if c.State != MetaDifferent || strings.Join(i18n.Strings(c.Diff), "\n") != strings.Join(want, "\n") {
		t.Errorf("common differs:\n%s\nwant\n%s", strings.Join(i18n.Strings(c.Diff), "\n"), strings.Join(want, "\n"))
	}
	l, _ := inv.Entry(esclient.MetaIndexTemplate, "logs")
	if l.State != MetaAbsent {
		t.Errorf("logs is not on the target: %s", l.State)
	}
}

func TestMetadataForOpenSearchLeavesOutWhatItHasNotAndSaysWhy(t *testing.T) {
	it := listing(t, esclient.MetaIndexTemplate, `{"index_templates":[{"name":"t","index_template":{
		"index_patterns":["t-*"],"allow_auto_create":true,"data_stream":{"hidden":false},
		"template":{"settings":{"index":{"lifecycle":{"name":"p"},"number_of_shards":"2","routing":{"allocation":{"include":{"_tier_preference":"data_content"}}}}}}}}]}`)[0]
	put, notes, refusal := TranslateMeta(it, es("7.10.2"), os_("2.19.1"))
	if !refusal.IsZero() {
		t.Fatal(refusal)
	}
	b, _ := json.Marshal(put.Body)
	got := string(b)
	for _, gone := range []string{"allow_auto_create", "lifecycle", "_tier_preference"} {
		if strings.Contains(got, gone) {
			t.Errorf("%s should be left out for OpenSearch: %s", gone, got)
		}
	}
	for _, kept := range []string{`"number_of_shards":"2"`, `"hidden":false`, `"index_patterns":["t-*"]`} {
		if !strings.Contains(got, kept) {
			t.Errorf("%s should be kept: %s", kept, got)
		}
	}
	all := strings.Join(i18n.Strings(notes), "\n")
	for _, say := range []string{"allow_auto_create left out: OpenSearch does not know it", "index.lifecycle.name left out: OpenSearch has no ILM",
		"index.routing.allocation.include._tier_preference left out: OpenSearch has no data tiers"} {
		if !strings.Contains(all, say) {
			t.Errorf("notes should say %q:\n%s", say, all)
		}
	}
	if it.Body["allow_auto_create"] == nil {
		t.Error("the translation must not change the source's item")
	}
	ilm := esclient.MetaItem{Kind: esclient.MetaILMPolicy, Name: "p", Body: map[string]any{"policy": map[string]any{}}}
	if _, _, refusal := TranslateMeta(ilm, es("7.10.2"), os_("2.19.1")); !strings.Contains(refusal.String(), "OpenSearch has no ILM") {
		t.Errorf("an ILM policy has no documented ISM equivalent: %q", refusal)
	}
}

func TestMetadataForAnOlderElasticsearchLeavesOutNewerTemplateFields(t *testing.T) {
	it := listing(t, esclient.MetaIndexTemplate, `{"index_templates":[{"name":"t","index_template":{
		"index_patterns":["t-*"],"allow_auto_create":true,"ignore_missing_component_templates":["x"],"deprecated":true}}]}`)[0]
	put, notes, _ := TranslateMeta(it, es("8.19.21"), es("7.17.29"))
	if _, ok := put.Body["allow_auto_create"]; !ok {
		t.Error("7.17 knows allow_auto_create (7.11+)")
	}
	for _, f := range []string{"ignore_missing_component_templates", "deprecated"} {
		if _, ok := put.Body[f]; ok {
			t.Errorf("7.17 does not know %s", f)
		}
	}
	if len(notes) != 2 || !strings.Contains(notes[0].String(), "Elasticsearch before 8.") {
		t.Errorf("notes: %v", notes)
	}
}

func TestMetadataUnwrapsA6xMappingTypeForElasticsearch7(t *testing.T) {
	it := listing(t, esclient.MetaLegacyTemplate, `{"t":{"index_patterns":["t-*"],"mappings":{"doc":{"properties":{"a":{"type":"keyword"}}}}}}`)[0]
	put, notes, _ := TranslateMeta(it, es("6.8.23"), es("7.17.29"))
	if dig(put.Body, "mappings", "properties", "a", "type") != "keyword" || len(notes) != 1 || !strings.Contains(notes[0].String(), "mapping type [doc] removed") {
		t.Errorf("%v %v", put.Body, notes)
	}
	typeless := listing(t, esclient.MetaLegacyTemplate, `{"t":{"index_patterns":["t-*"],"mappings":{"properties":{"a":{"type":"keyword"}}}}}`)[0]
	if _, notes, _ := TranslateMeta(typeless, es("6.8.23"), es("7.17.29")); len(notes) != 0 {
		t.Errorf("a typeless mapping is left alone: %v", notes)
	}
}

func TestMetadataPlanSectionIsValidatedAndKeepsOldPlansHashes(t *testing.T) {
	p := DefaultPlan()
	p.Source.URL, p.Target.URL = "http://a:9200", "http://b:9200"
	p.Repository.SourceLocation, p.Repository.TargetLocation = "/s", "/t"
	p.Indices = []string{"logs-*"}
	before := p.Hash()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	p.Metadata = MetadataPlan{}
	if p.Hash() != before {
		t.Error("an empty metadata section must not change the plan's hash (state files of older plans)")
	}
	for _, bad := range []MetadataPlan{
		{Include: []string{"templates/logs"}},
		{Exclude: []string{"index_template"}},
		{OnConflict: "replace"},
	} {
		q := p
		q.Metadata = bad
		err := q.Validate()
		var pe *PlanError
		if err == nil || !asPlanError(err, &pe) || !strings.HasPrefix(pe.Field, "metadata.") {
			t.Errorf("%+v: want a metadata.* error, got %v", bad, err)
		}
	}
	y := "version: 1\nsource: {url: 'http://a:9200'}\ntarget: {url: 'http://b:9200'}\nrepository: {name: r, source_location: /s, target_location: /t}\nindices: [a]\n" +
		"metadata:\n  copy: true\n  include: [ingest_pipeline/x]\n  on_conflict: overwrite\n"
	got, err := ParsePlan([]byte(y), "plan.yaml")
	if err != nil || !got.Metadata.Copy || got.Metadata.OnConflict != MetaConflictOverwrite || got.Metadata.Include[0] != "ingest_pipeline/x" {
		t.Errorf("%v %+v", err, got.Metadata)
	}
	_, err = ParsePlan([]byte(strings.Replace(y, "on_conflict: overwrite", "on_conflict: clobber", 1)), "plan.yaml")
	if err == nil || !strings.Contains(err.Error(), "plan.yaml:9: metadata.on_conflict") {
		t.Errorf("the error names the line and field: %v", err)
	}
}

func asPlanError(err error, pe **PlanError) bool {
	e, ok := err.(*PlanError)
	*pe = e
	return ok
}

func TestSimpleMatchIsElasticsearchWildcardMatching(t *testing.T) {
	for _, c := range []struct {
		p, s string
		ok   bool
	}{{"logs-*", "logs-2024", true}, {"*", "x", true}, {"a*b*c", "axxbyyc", true}, {"a*b*c", "axxbyy", false},
		{"logs-?", "logs-1", false}, {"[ab]", "a", false}, {"[ab]", "[ab]", true}, {"*-x", "a-x-x", true}, {"a", "ab", false}} {
		if simpleMatch(c.p, c.s) != c.ok {
			t.Errorf("simpleMatch(%q, %q) = %v", c.p, c.s, !c.ok)
		}
	}
}

func TestMetadataReportSectionSaysWhatHappenedAndWhy(t *testing.T) {
	r := &Report{Metadata: &MetadataResult{Counts: map[string]int{MetaCreated: 1, MetaRefused: 1, MetaSkipped: 1},
		Items: []MetadataOutcome{
			{Kind: esclient.MetaIndexTemplate, Name: "logs", Result: MetaCreated, Notes: []i18n.Msg{i18n.Text("allow_auto_create left out: OpenSearch does not know it")}},
			{Kind: esclient.MetaStoredScript, Name: "s", Result: MetaRefused, Reason: i18n.M("meta.refused", "illegal_argument_exception: unable to put stored script with unsupported lang [painless]"), Fix: i18n.Text("install lang-painless")},
			{Kind: esclient.MetaPipeline, Name: "p|q", Result: MetaSkipped, Reason: i18n.Text("differs"), Diff: []i18n.Msg{i18n.M("meta.diff.both", "description", `"a"`, `"b"`)}},
		}}}
	md := r.MarkdownText()
	for _, want := range []string{"## Metadata", "1 created, 1 skipped, 1 refused", "| stored script | s | refused | the target cannot take this item",
		`p\|q`, "allow_auto_create left out", "differs: `~ description"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains((&Report{}).MarkdownText(), "Metadata") {
		t.Error("no metadata section when the step did not run")
	}
}

func TestRefusalFixExplainsTheRunnersAnswers(t *testing.T) {
	for reason, want := range map[string]string{
		"No processor type exists with name [set]":                     `no "set" processor`,
		"unable to put stored script with unsupported lang [painless]": `no "painless" script language (module lang-painless)`,
		"unknown setting [index.lifecycle.name] please check that any": "does not know the setting index.lifecycle.name",
		"[1:33] [index_template] unknown field [allow_auto_create]":    `does not know the field "allow_auto_create"`,
		"index template [b] has index patterns [x*] matching patterns from existing templates [a] with patterns (a => [x*]) that have the same priority [5]": "another priority",
	} {
		if got := RefusalFix(esclient.MetaIndexTemplate, reason).String(); !strings.Contains(got, want) {
			t.Errorf("%q: %q lacks %q", reason, got, want)
		}
	}
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
