package esclient

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/esmigrate/esmigrate/i18n"
)

// The source's password goes to the target inside the _reindex body. It is never shown: the curl form names the
// shell variable, and the request log keeps the body without it. Judged on the bytes the server received and on
// what the log kept, not with the functions that redact.
func TestAReindexFromRemoteNeverShowsTheSourcesPassword(t *testing.T) {
	const secret = "S3cret-pw"
	var received string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		received = string(b)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"task":"node-1:42"}`)
	}))
	defer srv.Close()
	var logged []Sent
	c, err := New(Config{Role: "target", URL: srv.URL, Observe: func(s Sent) { logged = append(logged, s) }})
	if err != nil {
		t.Fatal(err)
	}
	remote := RemoteSource{Host: "http://old-es:9200", Username: "elastic", Password: secret, PasswordEnv: "ES_SOURCE_PASSWORD"}
	req := ReindexFromRemoteRequest(remote, "logs-6", "logs-6", 500)
	task, err := c.StartReindex(context.Background(), i18n.M("rx.op.reindex", "logs-6", "logs-6"), req)
	if err != nil || task != "node-1:42" {
		t.Fatalf("task %q, %v", task, err)
	}
	if !strings.Contains(received, `"password":"`+secret+`"`) || !strings.Contains(received, `"op_type":"create"`) {
		t.Fatalf("the target must get the password to sign in to the source: %s", received)
	}
	if len(logged) != 1 || strings.Contains(string(logged[0].Body), secret) {
		t.Errorf("the request log kept: %+v", logged)
	}
	// The log keeps a body only where the client library lets it be read again; where it does, the password
	// goes first.
	if b := string(redactRemotePassword("/_reindex", []byte(received))); strings.Contains(b, secret) || !strings.Contains(b, `"username":"elastic"`) {
		t.Errorf("redacted: %s", b)
	}
	curl := c.CurlReindex(req, remote)
	if strings.Contains(curl, secret) || !strings.Contains(curl, `"password":"'"$ES_SOURCE_PASSWORD"'"`) {
		t.Errorf("curl: %s", curl)
	}
	// The request itself is unchanged by its curl form (the map is not shared).
	if req.Body.(map[string]any)["source"].(map[string]any)["remote"].(map[string]any)["password"] != secret {
		t.Error("CurlReindex changed the request")
	}
}

func TestA6xMappingLosesItsTypeAndAll(t *testing.T) {
	m := TypelessMapping(map[string]any{"_doc": map[string]any{"_all": map[string]any{"enabled": false},
		"properties": map[string]any{"msg": map[string]any{"type": "text"}}}})
	if _, ok := m["properties"]; !ok || m["_all"] != nil || len(m) != 1 {
		t.Errorf("%v", m)
	}
	// A typeless mapping with one root key stays as it is.
	if m := TypelessMapping(map[string]any{"properties": map[string]any{}}); len(m) != 1 || m["properties"] == nil {
		t.Errorf("%v", m)
	}
}

func TestAReindexTaskIsReadFromTheTaskAPI(t *testing.T) {
	answers := []string{
		`{"completed":false,"task":{"status":{"total":3000,"created":1000,"updated":0,"version_conflicts":0,"noops":0}}}`,
		`{"completed":true,"task":{"status":{"total":3000,"created":3000}},"response":{"total":3000,"created":2990,"version_conflicts":10,"failures":[]}}`,
		`{"completed":true,"task":{"status":{}},"error":{"type":"illegal_argument_exception","reason":"[old-es:9200] not whitelisted in reindex.remote.whitelist"}}`,
	}
	i := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, answers[i])
		i++
	}))
	defer srv.Close()
	c, _ := New(Config{Role: "target", URL: srv.URL})
	st, err := c.ReindexTaskStatus(context.Background(), "n:1")
	if err != nil || st.Completed || st.Total != 3000 || st.Copied() != 1000 {
		t.Errorf("running: %+v %v", st, err)
	}
	st, _ = c.ReindexTaskStatus(context.Background(), "n:1")
	if !st.Completed || st.Copied() != 3000 || st.Conflicts != 10 {
		t.Errorf("done: %+v", st)
	}
	st, _ = c.ReindexTaskStatus(context.Background(), "n:1")
	if !strings.Contains(st.Error, "not whitelisted") {
		t.Errorf("failed: %+v", st)
	}
}
