package esclient

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestPutMetaRequestRefusesToReplaceUnlessOverwriting(t *testing.T) {
	it := MetaItem{Kind: MetaIndexTemplate, Name: "logs/x", Body: map[string]any{"index_patterns": []any{"l-*"}}}
	r := PutMetaRequest(it, false, nil)
	if r.Method != "PUT" || r.Path != "/_index_template/logs%2Fx" || r.Params.Get("create") != "true" {
		t.Errorf("%+v", r)
	}
	if r := PutMetaRequest(it, true, nil); r.Params.Get("create") != "" {
		t.Errorf("overwrite: %+v", r)
	}
	for k, path := range map[MetaKind]string{MetaLegacyTemplate: "/_template/n", MetaComponentTemplate: "/_component_template/n",
		MetaPipeline: "/_ingest/pipeline/n", MetaILMPolicy: "/_ilm/policy/n", MetaISMPolicy: "/_plugins/_ism/policies/n", MetaStoredScript: "/_scripts/n"} {
		if r := PutMetaRequest(MetaItem{Kind: k, Name: "n"}, false, nil); r.Path != path {
			t.Errorf("%s: %s", k, r.Path)
		}
		if r := DeleteMetaRequest(k, "n"); r.Method != "DELETE" || r.Path != path {
			t.Errorf("delete %s: %s", k, r.Path)
		}
	}
}

// The ISM answer is OpenSearch's documented "Get policies" example (ISM API page), cut to one policy, with an
// ism_template added. No test runner has the ISM plugin: ISM listing and putting are exercised on no cluster.
func TestISMPoliciesKeepOnlyWhatPutTakesAndOverwriteWithTheirSequenceNumbers(t *testing.T) {
	items, err := ParseMetaListing(MetaISMPolicy, []byte(`{"policies":[{"_id":"policy_1","_version":2,"_seq_no":10,"_primary_term":1,
		"policy":{"policy_id":"policy_1","description":"ingesting logs","last_updated_time":1577990934044,"schema_version":1,
		"error_notification":null,"default_state":"ingest","states":[{"name":"ingest","actions":[{"rollover":{"min_doc_count":5}}],
		"transitions":[{"state_name":"search"}]}],"ism_template":[{"index_patterns":["logs-*"],"priority":100,"last_updated_time":1}]}}],
		"total_policies":1}`))
	if err != nil || len(items) != 1 {
		t.Fatal(err, items)
	}
	b, _ := json.Marshal(items[0].Body)
	for _, gone := range []string{"policy_id", "last_updated_time", "schema_version"} {
		if strings.Contains(string(b), gone) {
			t.Errorf("%s is the cluster's bookkeeping: %s", gone, b)
		}
	}
	if !strings.Contains(string(b), `"default_state":"ingest"`) || !strings.Contains(string(b), `"index_patterns":["logs-*"]`) {
		t.Errorf("%s", b)
	}
	r := PutMetaRequest(items[0], true, &items[0])
	if r.Params.Get("if_seq_no") != "10" || r.Params.Get("if_primary_term") != "1" {
		t.Errorf("an ISM overwrite names the target's sequence number: %+v", r.Params)
	}
}

// The answers are the runners' own (testenv README): a route for another method (405), no handler (400), the
// path read as an index (404).
func TestAnAPIAClusterDoesNotHaveIsToldApartFromAFailure(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		ok     bool
	}{
		{405, `{"error":"Incorrect HTTP method for uri [/_ilm/policy] and method [GET], allowed: [POST]","status":405}`, true},
		{400, `{"error":"no handler found for uri [/_plugins/_ism/policies] and method [GET]"}`, true},
		{404, `{"error":{"root_cause":[],"type":"index_not_found_exception","reason":"no such index [_plugins]"},"status":404}`, true},
		{404, `{"error":{"type":"index_not_found_exception","reason":"no such index [logs]"},"status":404}`, false},
		{400, `{"error":{"type":"illegal_argument_exception","reason":"bad"},"status":400}`, false},
		{404, `{}`, false},
	} {
		why, ok := unavailable(c.status, []byte(c.body))
		if ok != c.ok {
			t.Errorf("%d %s: %v %q", c.status, c.body, ok, why)
		}
	}
}

func TestStoredScriptsAreReadFromTheClusterState(t *testing.T) {
	items, err := ParseMetaListing(MetaStoredScript, []byte(`{"metadata":{"stored_scripts":{"b":{"lang":"painless","source":"1"},
		"a":{"lang":"mustache","source":"{}","options":{"content_type":"application/json; charset=UTF-8"}}}}}`))
	if err != nil || len(items) != 2 || items[0].Name != "a" || dig(items[0].Body, "script", "options", "content_type") == nil {
		t.Fatalf("%v %+v", err, items)
	}
	if items, _ := ParseMetaListing(MetaStoredScript, []byte(`{}`)); len(items) != 0 {
		t.Errorf("no script: %v", items)
	}
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}
