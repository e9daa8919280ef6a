package steps

import (
	"strings"
	"testing"

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
