package esclient

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// manyLongNames are 1,000 index names of 60 characters, as daily indices of a busy cluster are named.
func manyLongNames() []string {
	names := make([]string, 1000)
	for i := range names {
		n := fmt.Sprintf("logs-nginx-access-production-eu-west-1-datacenter-2026.%04d", i)
		names[i] = n + strings.Repeat("x", 60-len(n))
	}
	return names
}

// lineRecorder answers every request with an empty JSON object and records each request line's length.
func lineRecorder(t *testing.T) (*Client, *[]int, *[]string) {
	var mu sync.Mutex
	var lines []int
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		lines = append(lines, len(r.Method)+1+len(r.RequestURI)+len(" HTTP/1.1"))
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/_msearch" { // one answer per search, as Elasticsearch gives them
			body, _ := io.ReadAll(r.Body)
			n := strings.Count(string(body), "\n") / 2
			w.Write([]byte(`{"responses":[` + strings.TrimSuffix(strings.Repeat(`{"hits":{"total":{"value":0,"relation":"eq"}}},`, n), ",") + `]}`))
			return
		}
		w.Write([]byte("{}"))
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{Role: "target", URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c, &lines, &paths
}

func TestNoRequestLineCarryingIndexNamesExceedsTheLimit(t *testing.T) {
	names := manyLongNames()
	ctx := context.Background()
	calls := map[string]func(c *Client) error{
		"IndexDetails":    func(c *Client) error { _, err := c.IndexDetails(ctx, names); return err },
		"Exists":          func(c *Client) error { _, err := c.Exists(ctx, names); return err },
		"Refresh":         func(c *Client) error { return c.Refresh(ctx, names...) },
		"RefreshExisting": func(c *Client) error { return c.RefreshExisting(ctx, names) },
		"SeqNos":          func(c *Client) error { _, err := c.SeqNos(ctx, names); return err },
		"SourceDisabled":  func(c *Client) error { _, err := c.SourceDisabled(ctx, names); return err },
		"ExplainLifecycle": func(c *Client) error {
			_, err := c.ExplainLifecycle(ctx, names)
			return err
		},
		"IndexSettingsNamed": func(c *Client) error {
			_, err := c.IndexSettingsNamed(ctx, names, "index.lifecycle.*", "index.number_of_replicas")
			return err
		},
		"SetReplicas":   func(c *Client) error { return c.SetReplicas(ctx, names, 1) },
		"DeleteIndices": func(c *Client) error { return c.DeleteIndices(ctx, names) },
	}
	// Calls polled during a restore: with more names than a request line holds, the whole cluster's answer in
	// one request (matched locally), not a request per chunk at every poll.
	whole := map[string]func(c *Client) error{
		"IndicesHealth": func(c *Client) error { _, err := c.IndicesHealth(ctx, names); return err },
		"Recovery":      func(c *Client) error { _, err := c.Recovery(ctx, names); return err },
	}
	for name, call := range whole {
		c, lines, paths := lineRecorder(t)
		if err := call(c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(*lines) != 1 || strings.Contains((*paths)[0], names[0]) {
			t.Errorf("%s: %d request(s) %v, want one without names", name, len(*lines), *paths)
		}
		c, lines, paths = lineRecorder(t)
		if err := call2(c, name, names[:3]); err != nil {
			t.Fatal(err)
		}
		if len(*lines) != 1 || !strings.Contains((*paths)[0], names[2]) {
			t.Errorf("%s of three names: %v, want one request naming them", name, *paths)
		}
	}
	// Calls whose names travel in a body: any number of requests, but each line short.
	bodies := map[string]func(c *Client) error{
		"Counts": func(c *Client) error { _, _, err := c.Counts(ctx, names); return err },
		"CreateSnapshot": func(c *Client) error {
			return c.CreateSnapshot(ctx, SnapshotSpec{Repository: "r", Name: "s", Indices: names})
		},
		"Restore": func(c *Client) error {
			return c.Restore(ctx, RestoreSpec{Repository: "r", Snapshot: "s", Indices: names})
		},
	}
	for name, call := range bodies {
		c, lines, _ := lineRecorder(t)
		if err := call(c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, l := range *lines {
			if l > 4096 {
				t.Errorf("%s: request line of %d bytes", name, l)
			}
		}
	}
	for name, call := range calls {
		c, lines, paths := lineRecorder(t)
		if err := call(c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(*lines) < 2 {
			t.Errorf("%s sent %d request(s) for 1,000 long names: the names were not split", name, len(*lines))
		}
		seen := map[string]bool{}
		for i, l := range *lines {
			if l > 4096 {
				t.Errorf("%s: request line of %d bytes (Elasticsearch refuses more than 4,096)", name, l)
			}
			for _, seg := range strings.Split((*paths)[i], "/") {
				for _, n := range strings.Split(seg, ",") {
					seen[n] = true
				}
			}
		}
		for _, n := range names {
			if !seen[n] {
				t.Errorf("%s never asked about %s", name, n)
				break
			}
		}
	}
}

func TestChunkIndicesKeepsOrderAndEveryName(t *testing.T) {
	names := manyLongNames()
	chunks := ChunkIndices(names, 1000)
	var back []string
	for _, c := range chunks {
		if j := joinIndices(c); len(j) > 1000 && len(c) > 1 {
			t.Errorf("chunk of %d bytes over a budget of 1000", len(j))
		}
		back = append(back, c...)
	}
	if strings.Join(back, ",") != strings.Join(names, ",") {
		t.Error("chunks lose or reorder names")
	}
	if got := ChunkIndices(nil, 1000); len(got) != 0 {
		t.Errorf("no names gave %d chunks", len(got))
	}
}

func call2(c *Client, name string, names []string) error {
	ctx := context.Background()
	if name == "Recovery" {
		_, err := c.Recovery(ctx, names)
		return err
	}
	_, err := c.IndicesHealth(ctx, names)
	return err
}
