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
