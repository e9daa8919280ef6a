//go:build integration

package steps_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/testenv/envtest"
	"github.com/esmigrate/esmigrate/testenv/faultproxy"
)

// The live promises judged with the test's own means, apart from esmigrate's verification: every document of
// both sides read directly (a scroll over _source) and compared document by document; every request that
// reached either cluster recorded at the wire.

// docID is what names a document in an index: its _id and its _routing. An _id is unique within a shard only:
// documents indexed with different routings can share an _id on different shards (the seeded "r-<i>" documents
// are routed by "u<i>", and a write of the same _id without routing lands on the shard the _id hashes to).
type docID struct{ id, routing string }

func (d docID) String() string {
	if d.routing == "" {
		return fmt.Sprintf("_id %q", d.id)
	}
	return fmt.Sprintf("_id %q routing %q", d.id, d.routing)
}

// contentOf reads every document of an index directly: (_id, _routing) → its _source, compacted. Reads only
// (a scroll: POST _search is a read, like the scroll's own requests); the caller refreshes the source when it
// must. A document read twice fails the test: the reading, not the index, would be wrong.
func contentOf(t *testing.T, url, index string) map[docID]string {
	t.Helper()
	out := map[docID]string{}
	post := func(path, body string, v any) {
		req, _ := http.NewRequest("POST", url+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("POST %s: HTTP %d", path, resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	type page struct {
		ScrollID string `json:"_scroll_id"`
		Hits     struct {
			Hits []struct {
				ID      string          `json:"_id"`
				Routing string          `json:"_routing"`
				Source  json.RawMessage `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	var p page
	post("/"+index+"/_search?scroll=1m", `{"size":1000,"sort":["_doc"]}`, &p)
	for len(p.Hits.Hits) > 0 {
		for _, h := range p.Hits.Hits {
			var c bytes.Buffer
			if err := json.Compact(&c, h.Source); err != nil {
				t.Fatal(err)
			}
			k := docID{h.ID, h.Routing}
			if _, seen := out[k]; seen {
				t.Fatalf("%s: the scroll returned %s twice", index, k)
			}
			out[k] = c.String()
		}
		id := p.ScrollID
		p = page{}
		post("/_search/scroll", fmt.Sprintf(`{"scroll":"1m","scroll_id":%q}`, id), &p)
	}
	return out
}

// contentDiff compares every source index with its target index, document by document: the documents only on
// the source (inserted since), only on the target (deleted since) and on both with a different _source
// (updated since).
type contentDiff struct {
	onlySource, onlyTarget, differ int
	// first says, for the first differing documents, what each side holds under that _id (docsWithID).
	first []string
}

func (d contentDiff) zero() bool { return d.onlySource == 0 && d.onlyTarget == 0 && d.differ == 0 }

func (d contentDiff) String() string {
	return fmt.Sprintf("{onlySource:%d onlyTarget:%d differ:%d}%s", d.onlySource, d.onlyTarget, d.differ,
		strings.Join(append([]string{""}, d.first...), "\n  "))
}

// docsWithID reads every document of an index with the given _id, on every shard (an ids query, not a GET,
// which reads one shard only): each with its _shard, _routing, _seq_no, _primary_term, _version and _source.
func docsWithID(t *testing.T, url, index, id string) string {
	t.Helper()
	body := fmt.Sprintf(`{"query":{"ids":{"values":[%q]}},"seq_no_primary_term":true,"version":true,"explain":true}`, id)
	req, _ := http.NewRequest("POST", url+"/"+index+"/_search", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	var out struct {
		Hits struct {
			Hits []struct {
				Shard       string          `json:"_shard"`
				Routing     string          `json:"_routing"`
				SeqNo       int64           `json:"_seq_no"`
				PrimaryTerm int64           `json:"_primary_term"`
				Version     int64           `json:"_version"`
				Source      json.RawMessage `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return err.Error()
	}
	var parts []string
	for _, h := range out.Hits.Hits {
		parts = append(parts, fmt.Sprintf("shard %s routing %q seq_no %d primary_term %d version %d _source %s",
			h.Shard, h.Routing, h.SeqNo, h.PrimaryTerm, h.Version, h.Source))
	}
	return fmt.Sprintf("%d document(s): %s", len(parts), strings.Join(parts, "; "))
}

func compareContent(t *testing.T, m *migration, srcURL string, names []string) contentDiff {
	t.Helper()
	var d contentDiff
	for _, n := range names {
		req, _ := http.NewRequest("POST", srcURL+"/"+n+"/_refresh", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		if len(contentOf(t, srcURL, n)) == 0 {
			t.Fatalf("%s has no document on the source: nothing to compare", n)
		}
		d.add(compareIndices(t, srcURL, n, m.plan.Target.URL, steps.TargetName(n, m.plan.Restore)))
	}
	return d
}

func (d *contentDiff) add(o contentDiff) {
	d.onlySource += o.onlySource
	d.onlyTarget += o.onlyTarget
	d.differ += o.differ
	d.first = append(d.first, o.first...)
}

// compareIndices compares two indices document by document, each document named by its _id and routing.
func compareIndices(t *testing.T, srcURL, srcIndex, dstURL, dstIndex string) contentDiff {
	t.Helper()
	var d contentDiff
	src, dst := contentOf(t, srcURL, srcIndex), contentOf(t, dstURL, dstIndex)
	for k, s := range src {
		switch v, ok := dst[k]; {
		case !ok:
			d.onlySource++
		case v != s:
			d.differ++
			if len(d.first) < 5 {
				d.first = append(d.first, fmt.Sprintf("%s %s differs:\n    source %s\n    target %s", srcIndex, k,
					docsWithID(t, srcURL, srcIndex, k.id), docsWithID(t, dstURL, dstIndex, k.id)))
			}
		}
	}
	for k := range dst {
		if _, ok := src[k]; !ok {
			d.onlyTarget++
		}
	}
	return d
}

// Documents that share an _id on two shards (different routings) are two documents: the comparison tells
// them apart by their routing. Both indices below hold the same four-and-twenty documents, "x" among them twice
// (routing ra on one shard, rb on the other, with different _source), indexed in another order so that a
// reading keyed by _id alone keeps a different "x" of each (the scroll returns the later one last); and a
// real difference of one of the two "x" is still seen.
func TestContentComparisonTellsApartDocumentsThatShareAnIDOnTwoShards(t *testing.T) {
	env := envtest.Load(t)
	url := env.SourceURL
	o := ownerOf(t, url)
	id := envtest.Unique("sameid")
	a, b, c := id+"-a", id+"-b", id+"-c"
	for _, n := range []string{a, b, c} {
		o.index(n, 2, 0, nil)
	}
	// Two routings that land on different shards, as Elasticsearch itself routes them.
	shardOf := func(routing string) string {
		out := o.do("GET", "/"+a+"/_search_shards", nil, "routing", routing)
		return fmt.Sprint(out["shards"].([]any)[0].([]any)[0].(map[string]any)["shard"])
	}
	ra, rb := "r0", ""
	for i := 1; i < 50 && rb == ""; i++ {
		if r := fmt.Sprintf("r%d", i); shardOf(r) != shardOf(ra) {
			rb = r
		}
	}
	if rb == "" {
		t.Fatal("no two routings on different shards")
	}
	x := func(routing, body string) string {
		return fmt.Sprintf(`{"index":{"_id":"x","routing":%q}}`+"\n%s\n", routing, body)
	}
	fill := func(routing string) string {
		var s strings.Builder
		for i := range 11 {
			fmt.Fprintf(&s, `{"index":{"_id":"f-%s-%d","routing":%q}}`+"\n"+`{"n":%d}`+"\n", routing, i, routing, i)
		}
		return s.String()
	}
	xa, xb := x(ra, `{"x":"on the shard of ra"}`), x(rb, `{"x":"on the shard of rb"}`)
	bulk := func(index string, parts ...string) {
		if out := o.do("POST", "/"+index+"/_bulk", strings.Join(parts, ""), "refresh", "true"); out["errors"] == true {
			t.Fatalf("bulk into %s: %v", index, out)
		}
	}
	bulk(a, fill(ra), xa, xb, fill(rb)) // x of ra after 11 documents of its shard, x of rb first of its shard
	bulk(b, xa, fill(ra), fill(rb), xb) // the other way round
	bulk(c, xa, fill(ra), fill(rb), x(rb, `{"x":"changed"}`))

	// The fault: "x" twice in each index, on two shards, and a reading by _id alone that keeps another "x" of
	// each index.
	for _, n := range []string{a, b} {
		if got := docsWithID(t, url, n, "x"); !strings.HasPrefix(got, "2 document(s)") {
			t.Fatalf("%s should hold x twice, on two shards: %s", n, got)
		}
	}
	last := func(index string) string {
		var p struct {
			Hits struct {
				Hits []struct {
					ID      string `json:"_id"`
					Routing string `json:"_routing"`
				} `json:"hits"`
			} `json:"hits"`
		}
		body, _ := json.Marshal(o.do("POST", "/"+index+"/_search", map[string]any{"size": 100, "sort": []string{"_doc"}}))
		json.Unmarshal(body, &p)
		r := ""
		for _, h := range p.Hits.Hits {
			if h.ID == "x" {
				r = h.Routing
			}
		}
		return r
	}
	if la, lb := last(a), last(b); la == lb {
		t.Fatalf("the reading should return the two x in another order in %s and %s (last: %q, %q)", a, b, la, lb)
	}

	if d := compareIndices(t, url, a, url, b); !d.zero() {
		t.Errorf("%s and %s hold the same documents: %v", a, b, d)
	}
	if d := compareIndices(t, url, a, url, c); d.differ != 1 || d.onlySource != 0 || d.onlyTarget != 0 {
		t.Errorf("%s and %s differ in the _source of x routed by %s, and only there: %v", a, c, rb, d)
	}
}

// A catch-up round really brings the source's changes to the target: after the first pass, the writer
// inserts, updates and deletes documents, and the target is seen to lack each kind of change (the fault the
// round exists for); after one round, every document of the target is the source's, as read from both sides.
func TestLiveCatchUpRoundBringsEveryChangeToTheTarget(t *testing.T) {
	m, names, w := liveMigration(t, 50)
	src := m.plan.Source.URL
	if _, err := m.run(steps.Options{AcceptWarnings: true}); err == nil {
		t.Fatal("the first pass while the writer runs should report changed indices")
	}
	w.waitChanged(w.read().changed() + 60) // changes after the first pass too
	ws := w.stop()
	if ws.Indexed == 0 || ws.Updated == 0 || ws.Deleted == 0 {
		t.Fatalf("the writer should have inserted, updated and deleted: %+v", ws)
	}
	before := compareContent(t, m, src, names)
	if before.onlySource == 0 || before.onlyTarget == 0 || before.differ == 0 {
		t.Fatalf("before the round the target should lack inserts, deletes and updates of the source: %+v", before)
	}
	st, err := m.catchUp(steps.CatchUpOptions{Rounds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Rounds) != 1 || st.Rounds[0].Failed {
		t.Fatalf("one round expected: %+v", st)
	}
	if after := compareContent(t, m, src, names); !after.zero() {
		t.Errorf("after the round the target should hold exactly the source's documents (before: %+v): %+v", before, after)
	}
}

// After a cut-over the target holds exactly what the blocked source holds, compared document by document by
// the test itself (not only by esmigrate's content verification), while the writer ran until the block.
func TestLiveCutoverLeavesTheTargetIdenticalToTheBlockedSource(t *testing.T) {
	m, names, w := liveMigration(t, 100)
	src := m.plan.Source.URL
	if _, err := m.run(steps.Options{AcceptWarnings: true}); err == nil {
		t.Fatal("the first pass while the writer runs should report changed indices")
	}
	w.waitChanged(w.read().changed() + 30)
	if before := compareContent(t, m, src, names); before.zero() {
		t.Fatalf("the target should lag behind the written source before the cut-over (the fault it exists for): %+v", before)
	}
	rep, err := m.cutover(steps.CutoverOptions{Confirm: clusterName(t, src)})
	if err != nil {
		t.Fatal(err)
	}
	if ws := w.waitBlocked(); ws.Blocked == 0 {
		t.Fatalf("the writer should have run until the block refused it: %+v", ws)
	}
	if c := rep.Live.Cutover; !c.Done() {
		t.Fatalf("cut-over: %+v", c)
	}
	if d := compareContent(t, m, src, names); !d.zero() {
		t.Errorf("after the cut-over the target should hold exactly the blocked source's documents: %v", d)
	}
	w.stop()
	if _, err := m.rollback(); err != nil {
		t.Fatal(err)
	}
}

// A dry run of catch-up and of the cut-over sends nothing that changes either cluster (every request recorded
// at both wires, judged by the test's own rule: reads only), shows as curl what it would send (a snapshot, a
// restore and the write block), needs no confirmation, and leaves the state file as it was.
func TestLiveDryRunsChangeNothingAndShowTheRequests(t *testing.T) {
	m, names, w := liveMigration(t, 50)
	if _, err := m.run(steps.Options{AcceptWarnings: true}); err == nil {
		t.Fatal("the first pass while the writer runs should report changed indices")
	}
	w.waitChanged(w.read().changed() + 20)
	w.stop()
	state, err := os.ReadFile(m.plan.StateFile)
	if err != nil {
		t.Fatal(err)
	}
	realSrc, realDst := m.plan.Source.URL, m.plan.Target.URL
	sp := faultproxy.Start(t, realSrc, faultproxy.Options{Record: true})
	dp := faultproxy.Start(t, realDst, faultproxy.Options{Record: true})
	m.plan.Source.URL, m.plan.Target.URL = sp.URL, dp.URL
	m.mu.Lock()
	m.events = nil
	m.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := m.engine(steps.Options{DryRun: true}).CatchUp(ctx, steps.CatchUpOptions{}); err != nil {
		t.Errorf("catch-up --dry-run: %v", err)
	}
	if _, err := m.engine(steps.Options{DryRun: true}).Cutover(ctx, steps.CutoverOptions{}); err != nil {
		t.Errorf("cutover --dry-run (no confirmation: it changes nothing): %v", err)
	}
	m.plan.Source.URL, m.plan.Target.URL = realSrc, realDst

	for side, p := range map[string]*faultproxy.Proxy{"source": sp, "target": dp} {
		if len(p.Recorded()) == 0 {
			t.Errorf("nothing reached the %s: the proxy was not in the path", side)
		}
		for _, r := range p.Recorded() {
			if !readOnly(r) {
				t.Errorf("the dry run sent a request that may change the %s: %s %s %s", side, r.Method, r.Path, r.Body)
			}
		}
	}
	var curls []string
	m.mu.Lock()
	for _, e := range m.events {
		if e.Kind == steps.KindRequest && strings.HasPrefix(e.Curl, "curl") {
			curls = append(curls, e.Curl)
		}
	}
	m.mu.Unlock()
	all := strings.Join(curls, "\n")
	for _, want := range []string{"/_snapshot/" + m.plan.Repository.Name + "/", "/_restore", "/_block/write"} {
		if !strings.Contains(all, want) {
			t.Errorf("the dry run should show a request with %s as curl; it showed:\n%s", want, all)
		}
	}
	if after, _ := os.ReadFile(m.plan.StateFile); !bytes.Equal(after, state) {
		t.Errorf("the dry run changed the state file")
	}
	for ix, v := range blockOf(t, realSrc, names...) {
		if v != "" {
			t.Errorf("%s is blocked after a dry run: %q", ix, v)
		}
	}
}

// readOnly is this test's rule for a request that changes nothing: GET or HEAD, or a search, count or scroll.
func readOnly(r faultproxy.Recorded) bool {
	if r.Method == "GET" || r.Method == "HEAD" {
		return true
	}
	last := r.Path[strings.LastIndex(r.Path, "/")+1:]
	return r.Method == "POST" && (last == "_search" || last == "_count" || last == "_msearch" || last == "scroll")
}

// shardsOf reads an index's number of primary shards directly.
func shardsOf(t *testing.T, url, index string) string {
	t.Helper()
	resp, err := http.Get(url + "/" + index + "/_settings/index.number_of_shards?flat_settings=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw map[string]struct {
		Settings map[string]string `json:"settings"`
	}
	json.NewDecoder(resp.Body).Decode(&raw)
	return raw[index].Settings["index.number_of_shards"]
}

// A target index a round cannot restore over (its source index was created again with another number of
// shards, which Elasticsearch refuses over a closed index) is opened again as it was, with its documents, and
// its round fails saying how to confirm; only with the confirmation (AllowTargetDelete: --allow-delete-target,
// the wizard's typed name) is it deleted and restored whole, and then it holds the source's documents.
func TestLiveRoundOverAnIndexOfAnotherShapeDeletesOnlyWithTheConfirmation(t *testing.T) {
	m, names, w := liveMigration(t, 20)
	w.stop()
	src := m.plan.Source.URL
	if _, err := m.run(steps.Options{AcceptWarnings: true}); err != nil && !strings.Contains(err.Error(), "changed") {
		t.Fatal(err)
	}
	// The application drops the index and creates it again with 3 shards and 500 documents (the test's own
	// writes, straight to the source).
	o := ownerOf(t, src)
	o.do("DELETE", "/"+names[0], nil)
	o.index(names[0], 3, 500, nil)
	target := steps.TargetName(names[0], m.plan.Restore)
	if shardsOf(t, m.plan.Target.URL, target) != "2" {
		t.Fatalf("the target index should have the first pass's 2 shards")
	}
	kept := contentOf(t, m.plan.Target.URL, target)

	st, err := m.catchUp(steps.CatchUpOptions{Rounds: 1})
	var reason string
	if rounds := m.stateOf().Live.Rounds; len(rounds) > 0 {
		for _, ix := range rounds[len(rounds)-1].Batch.Indices {
			if ix.Name == names[0] {
				reason = ix.Reason
			}
		}
	}
	if err == nil && reason == "" {
		t.Fatalf("the round over an index of another shape should fail without the confirmation: %+v", st)
	}
	if msg := fmt.Sprint(err) + reason; !strings.Contains(msg, "--allow-delete-target") {
		t.Errorf("the failure should say how to confirm the deletion: %s", msg)
	}
	// Still there, open (a search on a closed index fails), with every document it had.
	if got := contentOf(t, m.plan.Target.URL, target); len(got) != len(kept) || shardsOf(t, m.plan.Target.URL, target) != "2" {
		t.Errorf("without the confirmation the target index should be as it was: %d documents of %d", len(got), len(kept))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := m.engine(steps.Options{AllowTargetDelete: true}).CatchUp(ctx, steps.CatchUpOptions{Rounds: 1}); err != nil {
		t.Fatal(err)
	}
	if shardsOf(t, m.plan.Target.URL, target) != "3" {
		t.Errorf("with the confirmation the target index should have been restored whole with the source's 3 shards")
	}
	if d := compareContent(t, m, src, names); !d.zero() {
		t.Errorf("after the confirmed round the target should hold the source's documents: %+v", d)
	}
}
