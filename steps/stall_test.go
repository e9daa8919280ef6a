package steps

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Faults a real cluster cannot be made to show on demand, injected by a fake (every request these tests answer
// is also sent to the real clusters by the integration tests).

// fakeCluster answers requests by "METHOD path" (path without the query); unknown ones get a 404.
type fakeCluster struct {
	mu     sync.Mutex
	seen   []string
	answer func(method, path string) (int, string)
}

func (f *fakeCluster) start(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.seen = append(f.seen, r.Method+" "+r.URL.Path)
		f.mu.Unlock()
		code, body := f.answer(r.Method, r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (f *fakeCluster) count(req string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, s := range f.seen {
		if s == req {
			n++
		}
	}
	return n
}

func fakeEngine(t *testing.T, src, dst string) *Engine {
	t.Helper()
	p := DefaultPlan()
	p.Source.URL, p.Target.URL = src, dst
	p.Repository.SourceLocation, p.Repository.Shared = "/r", true
	p.Indices = []string{"logs"}
	p.PollInterval = Duration{100 * time.Millisecond}
	e, err := New(p, Options{StallTimeout: 400 * time.Millisecond, RetryFor: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e.state = &State{MigrationID: "0123456789"}
	return e
}

const notFound = `{"error":{"type":"not_found","reason":"not here"},"status":404}`

func TestASnapshotThatStopsMovingStopsTheRunWithWhatToCheck(t *testing.T) {
	// A snapshot that stays at 1 of 2 shards and 100 of 200 bytes, poll after poll.
	src := (&fakeCluster{answer: func(method, path string) (int, string) {
		if method == "GET" && path == "/_snapshot/esmigrate/_status" {
			return 200, `{"snapshots":[{"snapshot":"esmigrate-0123456789-1","state":"STARTED","shards_stats":{"done":1,"total":2},
				"stats":{"incremental":{"file_count":4,"size_in_bytes":200},"processed":{"file_count":2,"size_in_bytes":100}}}]}`
		}
		return 404, notFound
	}}).start(t)
	e := fakeEngine(t, src, "http://127.0.0.1:1")
	b := &BatchState{Number: 1, Snapshot: "esmigrate-0123456789-1", SnapshotStarted: true}
	start := time.Now()
	err := e.followSnapshot(context.Background(), b)
	if err == nil || !strings.Contains(err.Error(), "has not moved for 400ms (1 of 2 shards done)") || !strings.Contains(err.Error(), "GET _snapshot/esmigrate/esmigrate-0123456789-1/_status") {
		t.Fatalf("a stalled snapshot: %v", err)
	}
	if time.Since(start) > time.Minute {
		t.Errorf("it took %s to notice", time.Since(start))
	}
}

func TestARestoreThatStopsMovingStopsTheRunWithWhatToCheck(t *testing.T) {
	dst := (&fakeCluster{answer: func(method, path string) (int, string) {
		switch {
		case method == "GET" && path == "/logs/_recovery":
			return 200, `{"logs":{"shards":[{"id":0,"type":"SNAPSHOT","stage":"INDEX","primary":true,
				"source":{"snapshot":"esmigrate-0123456789-1","repository":"esmigrate"},
				"index":{"size":{"total_in_bytes":200,"reused_in_bytes":0,"recovered_in_bytes":50},"files":{"total":4,"recovered":1}}}]}}`
		case method == "GET" && strings.HasPrefix(path, "/_cluster/health/"):
			return 200, `{"indices":{"logs":{"status":"red","active_shards":0,"initializing_shards":1,"unassigned_shards":0}}}`
		}
		return 404, notFound
	}}).start(t)
	e := fakeEngine(t, "http://127.0.0.1:1", dst)
	b := &BatchState{Number: 1, Snapshot: "esmigrate-0123456789-1", RestoreStarted: true,
		Indices: []IndexState{{Name: "logs", Target: "logs", Primaries: 1, Result: ResultPending}}}
	err := e.followRestore(context.Background(), b)
	if err == nil || !strings.Contains(err.Error(), "has not moved for 400ms (0 of 1 primary shards done)") || !strings.Contains(err.Error(), "_cat/recovery") {
		t.Fatalf("a stalled restore: %v", err)
	}
}

func TestATargetThatDoesNotListTheCopiedSnapshotRegistersTheRepositoryAgain(t *testing.T) {
	// The target's cached view of the repository lacks the snapshot until the repository is registered again.
	var mu sync.Mutex
	registered := false
	f := &fakeCluster{}
	f.answer = func(method, path string) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case method == "GET" && path == "/_snapshot/esmigrate/esmigrate-0123456789-1":
			if registered {
				return 200, `{"snapshots":[{"snapshot":"esmigrate-0123456789-1","state":"SUCCESS"}]}`
			}
			return 404, `{"error":{"type":"snapshot_missing_exception","reason":"[esmigrate:esmigrate-0123456789-1] is missing"},"status":404}`
		case method == "DELETE" && path == "/_snapshot/esmigrate":
			return 200, `{"acknowledged":true}`
		case method == "GET" && path == "/_snapshot/_all":
			return 200, `{}`
		case method == "PUT" && path == "/_snapshot/esmigrate":
			registered = true
			return 200, `{"acknowledged":true}`
		}
		return 404, notFound
	}
	dst := f.start(t)
	e := fakeEngine(t, "http://127.0.0.1:1", dst)
	b := &BatchState{Number: 1, Snapshot: "esmigrate-0123456789-1"}
	if err := e.ensureTargetSees(context.Background(), b); err != nil {
		t.Fatalf("ensureTargetSees: %v", err)
	}
	if f.count("DELETE /_snapshot/esmigrate") != 1 || f.count("PUT /_snapshot/esmigrate") != 1 {
		t.Errorf("the repository was not registered again once: %v", f.seen)
	}

	// A target that never lists it: the error says where to look.
	never := (&fakeCluster{answer: func(method, path string) (int, string) {
		switch {
		case method == "GET" && path == "/_snapshot/_all":
			return 200, `{}`
		case method == "DELETE" || method == "PUT":
			return 200, `{"acknowledged":true}`
		}
		return 404, `{"error":{"type":"snapshot_missing_exception","reason":"missing"},"status":404}`
	}}).start(t)
	e = fakeEngine(t, "http://127.0.0.1:1", never)
	err := e.ensureTargetSees(context.Background(), b)
	if err == nil || !strings.Contains(err.Error(), "does not contain snapshot esmigrate-0123456789-1") || !strings.Contains(err.Error(), "check that the target nodes see") {
		t.Fatalf("a target that never lists the snapshot: %v", err)
	}
}
