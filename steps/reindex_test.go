package steps

import (
	"strings"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
)

func TestWhitelistLineKeepsTheNodesEntriesAndAddsTheSource(t *testing.T) {
	if got := WhitelistLine(nil, "10.0.0.5:9200"); got != `reindex.remote.whitelist: ["10.0.0.5:9200"]` {
		t.Error(got)
	}
	if got := WhitelistLine([]string{"other:9200"}, "10.0.0.5:9200"); got != `reindex.remote.whitelist: ["other:9200", "10.0.0.5:9200"]` {
		t.Error(got)
	}
	if got := WhitelistLine([]string{"10.0.0.*:9200"}, "10.0.0.5:9200"); got != `reindex.remote.whitelist: ["10.0.0.*:9200"]` {
		t.Errorf("a wildcard entry already covers it: %s", got)
	}
	for in, want := range map[string]string{"http://ES-1.example.com:9200": "es-1.example.com:9200", "https://es.example.com": "es.example.com:443",
		"http://10.0.0.5": "10.0.0.5:80"} {
		if got, err := SourceHostPort(in); err != nil || got != want {
			t.Errorf("%s: %s %v", in, got, err)
		}
	}
}

func TestReindexChecksNameTheNodesAndTheLine(t *testing.T) {
	dst := ClusterSummary{Role: "target", Info: esclient.Info{Distribution: esclient.OpenSearch, Version: esclient.Version{Major: 2, Minor: 19, Patch: 1}}}
	rs := esclient.ReindexSupport{Module: true, Whitelist: map[string][]string{"os-1": {"127.0.0.1:9200"}, "os-2": nil}}
	c := ReindexRemoteChecks(dst, rs, "http://127.0.0.1:9200", []string{"a"})
	if len(c) != 1 || c[0].Status != Fail || !strings.Contains(c[0].Evidence, "os-2: not set") || strings.Contains(c[0].Evidence, "os-1") ||
		!strings.Contains(c[0].Fix, "`reindex.remote.allowlist: [\"127.0.0.1:9200\"]` to opensearch.yml") || !strings.Contains(c[0].Fix, "target node(s) os-2") {
		t.Errorf("%+v", c)
	}
	rs.Whitelist["os-2"] = []string{"127.0.0.*:*"}
	if c := ReindexRemoteChecks(dst, rs, "http://127.0.0.1:9200", nil); c[0].Status != OK {
		t.Errorf("%+v", c)
	}
	rs.Module = false
	if c := ReindexRemoteChecks(dst, rs, "http://127.0.0.1:9200", nil); c[0].ID != "reindex-module" || c[0].Status != Fail || !strings.Contains(c[0].Fix, "intermediate cluster") {
		t.Errorf("%+v", c)
	}
}

// A reindexed copy gets its source's shape and analysis, the plan's replicas and index settings over them, and
// not the settings that would act twice or belong to the source (pipelines, lifecycle): those are named.
func TestAReindexedCopyTakesTheShapeAndNamesWhatItLeavesBehind(t *testing.T) {
	def := esclient.IndexDefinition{Settings: map[string]any{"number_of_shards": "3", "number_of_replicas": "2",
		"analysis.analyzer.my.type": "custom", "uuid": "abc", "creation_date": "1", "version.created": "6080099",
		"default_pipeline": "logs-parse", "lifecycle.name": "logs-policy", "refresh_interval": "30s"},
		Mappings: map[string]any{"properties": map[string]any{}}, Aliases: map[string]any{"logs": map[string]any{}}}
	r := RestorePlan{ReplicasDuringRestore: 0, IncludeAliases: false, IndexSettings: map[string]any{"index.refresh_interval": "1s"}}
	set, maps, aliases, left := ReindexDefinition(def, r)
	if set["number_of_shards"] != "3" || set["number_of_replicas"] != "0" || set["analysis.analyzer.my.type"] != "custom" || set["refresh_interval"] != "1s" {
		t.Errorf("settings: %v", set)
	}
	for _, k := range []string{"uuid", "creation_date", "version.created", "default_pipeline", "lifecycle.name"} {
		if _, ok := set[k]; ok {
			t.Errorf("%s should not be carried", k)
		}
	}
	if strings.Join(left, ",") != "default_pipeline,lifecycle.name" || maps == nil || aliases != nil {
		t.Errorf("left out %v, mappings %v, aliases %v", left, maps, aliases)
	}
}

// A batch that goes by _reindex from remote is estimated as what it is, one reindex phase (no snapshot, copy or
// restore that never come): its index's documents copied move the index's bar, the phase's and the overall one,
// and its end is the run's end. The headless line of a reindex event says how far, in documents. The events go
// through the engine's emitter, as a run's do.
func TestTheReindexPhasesProgressIsEstimatedAndPrinted(t *testing.T) {
	st := &State{Plan: DefaultPlan(), Batches: []BatchState{
		{Number: 1, Phase: PhaseReindex, Reindex: true, Indices: []IndexState{
			{Name: "articles", PrimaryBytes: 1 << 20}, {Name: "metrics-small", PrimaryBytes: 1 << 20}}}}}
	var got []Event
	at := time.Date(2026, 11, 30, 4, 0, 0, 0, time.UTC)
	em := newEmitter(func(e Event) { got = append(got, e) }, func() time.Time { return at })
	em.minGap = 0
	em.plan(st, false, Hints{})
	emit := func(e Event) Event {
		at = at.Add(time.Second)
		e.Batch, e.Batches = 1, 1
		em.emit(e)
		return got[len(got)-1]
	}
	emit(Event{Kind: KindStart, Phase: PhaseReindex})
	var subjects, overall []float64
	for _, done := range []int64{0, 1000, 2000, 3000} {
		ev := emit(Event{Kind: KindProgress, Phase: PhaseReindex, Index: "articles", Done: Counts{Docs: done}, Total: Counts{Docs: 3000}})
		subjects = append(subjects, ev.Estimate.Subject)
		overall = append(overall, ev.Estimate.Fraction())
	}
	if subjects[0] != 0 || subjects[1] < 0.3 || subjects[1] > 0.4 || subjects[3] != 1 {
		t.Errorf("articles' bar at 0, 1000, 2000, 3000 of 3000 documents: %v", subjects)
	}
	if !(overall[0] < overall[1] && overall[1] < overall[2] && overall[2] < overall[3]) || overall[3] < 0.45 || overall[3] > 0.55 {
		t.Errorf("the overall bar with the first of two equal indices copied: %v (want increasing, to a half)", overall)
	}
	if line := got[len(got)-2].String(); !strings.HasPrefix(line, "batch 1/1 reindex articles:  67% docs 2000/3000") {
		t.Errorf("the headless line: %q", line)
	}
	emit(Event{Kind: KindDone, Phase: PhaseReindex, Index: "articles", Done: Counts{Docs: 3000}, Total: Counts{Docs: 3000}})
	emit(Event{Kind: KindDone, Phase: PhaseReindex, Index: "metrics-small", Done: Counts{Docs: 250}, Total: Counts{Docs: 250}})
	end := emit(Event{Kind: KindDone, Phase: PhaseReindex})
	if f := end.Estimate.Fraction(); f != 1 || end.Estimate.ETA != 0 {
		t.Errorf("the reindex batch done: overall %.2f, ETA %s (want the whole run done)", f, end.Estimate.ETA)
	}
}
