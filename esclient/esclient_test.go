package esclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseVersionReadsMajorMinorPatch(t *testing.T) {
	for in, want := range map[string]Version{"7.17.29": {7, 17, 29}, "8.19.3-SNAPSHOT": {8, 19, 3}, "6.8": {6, 8, 0}} {
		got, err := ParseVersion(in)
		if err != nil || got != want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseVersion("seven"); err == nil {
		t.Error("ParseVersion accepted a word")
	}
}

func TestVersionFromIDDecodesElasticsearchAndOpenSearchIDs(t *testing.T) {
	cases := map[string]string{"7172999": "7.17.29", "7100299": "7.10.2", "6080099": "6.8.0", "136407927": "2.19.1", "": ""}
	for id, want := range cases {
		if got := VersionFromID(id); got != want {
			t.Errorf("VersionFromID(%q) = %q, want %q", id, got, want)
		}
	}
}

func TestReadOnlyClientRefusesBeforeSending(t *testing.T) {
	sent := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sent++ }))
	defer srv.Close()
	c, err := New(Config{Role: "source", URL: srv.URL, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	err = c.DeleteIndices(context.Background(), []string{"logs"})
	if !IsType(err, TypeSourceProtection) {
		t.Fatalf("delete on a read-only client: %v", err)
	}
	if sent != 0 {
		t.Fatalf("the request reached the server")
	}
	if !strings.Contains(err.Error(), "source") {
		t.Errorf("error does not name the cluster: %v", err)
	}
}

func TestCurlShowsPlaceholdersNotSecrets(t *testing.T) {
	c, err := New(Config{Role: "source", URL: "https://es1:9200", Username: "elastic", Password: "s3cret!", CACert: ""})
	if err != nil {
		t.Fatal(err)
	}
	got := c.Curl(CreateRepositoryRequest(RepositorySpec{Name: "esm", Location: "/opt/data/es_backup"}))
	want := `curl -sS -X PUT -u "elastic:$ES_SOURCE_PASSWORD" 'https://es1:9200/_snapshot/esm?verify=false' -H 'Content-Type: application/json' -d '{"settings":{"location":"/opt/data/es_backup"},"type":"fs"}'`
	if got != want {
		t.Errorf("curl:\n got %s\nwant %s", got, want)
	}
	if strings.Contains(got, "s3cret") {
		t.Errorf("curl leaks the password: %s", got)
	}
	// The variable the plan names, and a user name with characters special to the shell.
	n, _ := New(Config{Role: "source", URL: "https://es1:9200", Username: `a"$b`, Password: "s3cret!", PasswordEnv: "PROD_ES_PW"})
	if got := n.Curl(Request{Method: "GET", Path: "/"}); got != `curl -sS -u "a\"\$b:$PROD_ES_PW" 'https://es1:9200/'` {
		t.Errorf("curl with the plan's password_env: %s", got)
	}
	k, _ := New(Config{Role: "target", URL: "http://t:9200", APIKey: "abc=="})
	if got := k.Curl(Request{Method: "GET", Path: "/"}); got != `curl -sS -H "Authorization: ApiKey $ES_TARGET_API_KEY" 'http://t:9200/'` {
		t.Errorf("api key curl: %s", got)
	}
}

func TestNewRejectsBadURLsWithFix(t *testing.T) {
	for _, u := range []string{"es1:9200", "ftp://es1:9200", "::"} {
		_, err := New(Config{Role: "source", URL: u})
		var e *Error
		if !errors.As(err, &e) || e.Fix == "" {
			t.Errorf("New(%q) = %v; want an error with a fix", u, err)
		}
	}
	_, err := New(Config{Role: "source", URL: "http://x:9200", APIKey: "k", Password: "p"})
	if err == nil {
		t.Error("New accepted both an API key and a password")
	}
}

func TestServerErrorsKeepElasticsearchTypeAndReason(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(500)
		w.Write([]byte(`{"error":{"root_cause":[{"type":"repository_exception","reason":"[esm] location [/mnt/x] doesn't match any of the locations specified by path.repo because this setting is empty"}],"type":"repository_exception","reason":"[esm] failed to create repository","caused_by":{"type":"repository_exception","reason":"[esm] location [/mnt/x] doesn't match any of the locations specified by path.repo because this setting is empty"}},"status":500}`))
	}))
	defer srv.Close()
	c, _ := New(Config{Role: "target", URL: srv.URL})
	err := c.CreateRepository(context.Background(), RepositorySpec{Name: "esm", Location: "/mnt/x"})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want *Error, got %T %v", err, err)
	}
	if e.Type != "repository_exception" || !strings.Contains(e.Reason, "doesn't match any of the locations specified by path.repo") {
		t.Errorf("type/reason lost: %+v", e)
	}
	if !strings.Contains(e.Fix, "add /mnt/x to path.repo") || !strings.Contains(e.Fix, "target") {
		t.Errorf("fix does not say what to do: %q", e.Fix)
	}
	if e.Transient() {
		t.Error("a path.repo error is not transient")
	}
}

func TestBusyAndUnavailableAreTransient(t *testing.T) {
	for _, code := range []int{429, 503} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			w.Write([]byte(`{"error":{"type":"x","reason":"busy"},"status":` + http.StatusText(code)[:0] + `0}`))
		}))
		c, _ := New(Config{Role: "target", URL: srv.URL})
		_, err := c.Health(context.Background())
		srv.Close()
		if !IsTransient(err) {
			t.Errorf("HTTP %d: not transient: %v", code, err)
		}
	}
}

// The nodes of a runner that loads modules from its class path list them as plugins named after their Java
// classes, which differ between distributions and versions: they are read as the modules they are. (The
// answers are those of the test environment's 7.17 and OpenSearch 2.19 runners, and an installed plugin.)
func TestClassPathModulesAreModulesWhateverTheDistributionCallsThem(t *testing.T) {
	answers := map[string]string{
		"es717": `{"nodes":{"a":{"name":"source-1","plugins":[{"name":"org.elasticsearch.reindex.ReindexPlugin"},{"name":"org.elasticsearch.transport.Netty4Plugin"},{"name":"analysis-icu"}]}}}`,
		"os219": `{"nodes":{"b":{"name":"opensearch-1","plugins":[{"name":"org.opensearch.index.reindex.ReindexPlugin"},{"name":"org.opensearch.transport.Netty4Plugin"},{"name":"org.opensearch.analysis.common.CommonAnalysisPlugin"}],"modules":[{"name":"lang-painless"}]}}}`,
	}
	nodes := map[string]Node{}
	for name, body := range answers {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(body))
		}))
		c, _ := New(Config{URL: srv.URL})
		ns, err := c.Nodes(context.Background())
		srv.Close()
		if err != nil || len(ns) != 1 {
			t.Fatalf("%s: %v", name, err)
		}
		nodes[name] = ns[0]
	}
	if got := nodes["es717"]; strings.Join(got.Plugins, ",") != "analysis-icu" || strings.Join(got.Modules, ",") != "reindex,transport-netty4" {
		t.Errorf("7.17: plugins %v modules %v", got.Plugins, got.Modules)
	}
	if got := nodes["os219"]; len(got.Plugins) != 0 || strings.Join(got.Modules, ",") != "reindex,transport-netty4,analysis-common,lang-painless" {
		t.Errorf("OpenSearch: plugins %v modules %v", got.Plugins, got.Modules)
	}
}
