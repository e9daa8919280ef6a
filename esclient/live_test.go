package esclient

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/esmigrate/esmigrate/i18n"
)

// The cut-over's requests, sent through a real source client (the transport, not the guard's function alone):
// what reaches the server is recorded there. The block and its lifting pass only with the permission and only
// for its indices; the lifting's body is read on the way (olivere/elastic sets a body the transport has to read
// again), and a body that changes anything else does not pass.
func TestTheCutoverRequestsReachTheWireOnlyWithThePermission(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+string(b))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"acknowledged":true}`)
	}))
	defer srv.Close()
	c, err := New(Config{Role: "source", URL: srv.URL, ReadOnly: true, Repository: "esm"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	send := func(r Request) error { return c.Do(ctx, i18n.Text("test"), r, nil) }
	if err := send(WriteBlockRequest([]string{"logs"})); err == nil {
		t.Error("the write block passed without the permission")
	}
	c.Guard().PermitWriteBlock([]string{"logs", "articles"})
	if err := send(WriteBlockRequest([]string{"logs", "articles"})); err != nil {
		t.Errorf("the write block was refused with the permission: %v", err)
	}
	if err := send(LiftWriteBlockRequest([]string{"logs"})); err != nil {
		t.Errorf("lifting the block was refused with the permission: %v", err)
	}
	if err := send(WriteBlockRequest([]string{"other"})); err == nil {
		t.Error("the write block passed for an index the permission does not name")
	}
	if err := send(Request{Method: "PUT", Path: "/logs/_settings", Body: map[string]any{"index.blocks.write": nil, "index.number_of_replicas": 0}}); err == nil {
		t.Error("a settings change beside the lifting passed")
	}
	c.Guard().PermitWriteBlock(nil)
	if err := send(LiftWriteBlockRequest([]string{"logs"})); err == nil {
		t.Error("lifting the block passed after the permission was taken back")
	}
	want := []string{"PUT /logs,articles/_block/write ", `PUT /logs/_settings {"index.blocks.write":null}`}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("reached the server: %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d: %q, want %q", i, got[i], want[i])
		}
	}
}
