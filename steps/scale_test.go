package steps

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/esmigrate/esmigrate/esclient"
)

// tooLong is what Elasticsearch answers to a request line over http.max_initial_line_length.
const tooLong = `{"error":{"root_cause":[{"type":"too_long_http_line_exception","reason":"An HTTP line is larger than 4096 bytes."}],"type":"too_long_http_line_exception","reason":"An HTTP line is larger than 4096 bytes."},"status":400}`

// A pre-flight check whose requests are refused did not check anything: it fails with the cause, so that
// --accept-warnings cannot walk past it into the same refusal at the restore.
func TestAPreflightCheckThatCouldNotRunFailsWithItsCause(t *testing.T) {
	refuse := func(method, path string) (int, string) { return 400, tooLong }
	src := (&fakeCluster{answer: refuse}).start(t)
	dst := (&fakeCluster{answer: refuse}).start(t)
	e := fakeEngine(t, src, dst)
	sel := Selection{Indices: []esclient.Index{
		{Name: "logs-1", Primaries: 1, PrimaryBytes: 10, Aliases: []string{"logs"}},
		{Name: "logs-2", Primaries: 1, PrimaryBytes: 10},
	}}
	var sum ClusterSummary
	sum.Info.Distribution = esclient.Elasticsearch
	sum.Info.Version = esclient.Version{Major: 7, Minor: 17}
	checks := e.SelectionChecks(context.Background(), sum, sum, sel)
	byID := map[string]Check{}
	for _, c := range checks {
		byID[c.ID] = c
	}
	for _, id := range []string{"conflicts", "alias-clashes", "plugins", "target-disk", "target-shards"} {
		c, ok := byID[id]
		switch {
		case !ok:
			t.Errorf("no %s check", id)
		case c.Status != Fail:
			t.Errorf("%s: status %s, want fail: %s", id, c.Status, c.Evidence)
		case !strings.Contains(c.Evidence, "too_long_http_line_exception") || c.Fix == "":
			t.Errorf("%s: the evidence does not give the cause, or no fix: %q / %q", id, c.Evidence, c.Fix)
		}
	}
	if Worst(checks) != Fail {
		t.Error("the pre-flight passes")
	}
}

// longNames are n index names of 60 characters.
func longNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		s := fmt.Sprintf("logs-nginx-access-production-eu-west-1-datacenter-%04d-", i)
		out[i] = s + strings.Repeat("x", 60-len(s))
	}
	return out
}

// The requests the review and the dry run show are those a run sends: a batch of 300 long names puts its
// replicas back in as many requests as it takes to keep each request line short, and every name is in one.
func TestPlannedRequestsSplitLongNameListsLikeTheRun(t *testing.T) {
	e := fakeEngine(t, "http://127.0.0.1:1", "http://127.0.0.1:2")
	names := longNames(300)
	var b Batch
	for _, n := range names {
		b.Indices = append(b.Indices, esclient.Index{Name: n, Primaries: 1, Replicas: 1})
	}
	b.Number = 1
	reqs, err := e.PlannedRequests(context.Background(), ClusterSummary{}, ClusterSummary{}, []Batch{b})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	replicas := 0
	for _, r := range reqs {
		// the URL is the curl command's quoted argument that starts with the cluster's address
		for _, f := range strings.Fields(r.Curl) {
			f = strings.Trim(f, "'")
			if !strings.HasPrefix(f, "http://") {
				continue
			}
			u, err := url.Parse(f)
			if err != nil {
				t.Fatal(err)
			}
			if line := len("PUT ") + len(u.RequestURI()) + len(" HTTP/1.1"); line > 4096 {
				t.Errorf("%s: a request line of %d bytes", r.What, line)
			}
			if r.Phase == PhaseVerify {
				replicas++
				for _, n := range strings.Split(strings.Trim(u.Path, "/"), "/")[0:1] {
					for _, name := range strings.Split(n, ",") {
						seen[name] = true
					}
				}
			}
		}
	}
	if replicas < 2 {
		t.Errorf("%d request(s) put the replicas of 300 long names back", replicas)
	}
	for _, n := range names {
		if !seen[n] {
			t.Fatalf("no request puts the replicas of %s back", n)
		}
	}
}
