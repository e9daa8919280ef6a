//go:build integration

package steps_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/testenv/envtest"
)

// The review's requests for indices that go by _reindex from remote (7.17 → OpenSearch 2.19, where every index
// does): what the run sends for them, judged twice from outside PlannedRequests: by what the requests say
// (a _reindex per index on the target, pulling from the source; no snapshot, no restore of them; the password
// as its shell variable), and against the requests a dry run of the same plan announces.
func TestTheReviewListsTheReindexRequestsOfIndicesTheTargetCannotRestoreAsTheDryRunDoes(t *testing.T) {
	os2 := envtest.Extra(t, "opensearch")
	indices := []string{"metrics-small", "articles"}
	m := newMigration(t, true, indices...)
	m.plan.Target.URL = os2
	m.dst, _ = esclient.New(esclient.Config{Role: "target", URL: os2})
	m.plan.Restore.ReindexFromRemote = true
	m.plan.Restore.IncludeAliases = false
	// The runners have no security: the source ignores the user and password; the curl forms must not show it.
	const password = "pw-never-shown-4711"
	m.plan.Source.Username = "migrator"
	creds := steps.Credentials{SourcePassword: password}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// As the wizard has them: the probed clusters, and the batches of the selection.
	e := m.engine(steps.Options{Credentials: creds})
	src, dst, err := e.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all, err := e.ListIndices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sel := steps.Select(all, m.plan)
	if need := steps.NeedsReindex(src, dst, sel); len(need) != len(indices) {
		t.Fatalf("%s → %s: every index should need the reindex path, got %v", src.Product(), dst.Product(), need)
	}
	batches, _ := steps.BatchPreview(m.plan, sel.Indices)
	planned, err := e.PlannedRequests(ctx, src, dst, batches)
	if err != nil {
		t.Fatal(err)
	}
	var all2 []string
	for _, r := range planned {
		all2 = append(all2, r.Curl)
	}
	joined := strings.Join(all2, "\n")
	for _, ix := range indices {
		dest := steps.TargetName(ix, m.plan.Restore)
		var create, reindex bool
		for _, r := range planned {
			create = create || strings.HasPrefix(r.Curl, "curl -sS -X PUT '"+os2+"/"+dest+"'") && strings.Contains(r.Curl, `"mappings":`)
			reindex = reindex || strings.HasPrefix(r.Curl, "curl -sS -X POST '"+os2+"/_reindex?wait_for_completion=false'") &&
				strings.Contains(r.Curl, `"host":"`+m.plan.Source.URL+`"`) && strings.Contains(r.Curl, `"index":"`+ix+`"`) &&
				strings.Contains(r.Curl, `"index":"`+dest+`"`) && strings.Contains(r.Curl, `"username":"migrator"`) &&
				strings.Contains(r.Curl, `$ES_SOURCE_PASSWORD`)
		}
		if !create || !reindex {
			t.Errorf("%s: the target index's creation %v, the _reindex from the source %v in:\n%s", ix, create, reindex, joined)
		}
	}
	if strings.Contains(joined, "_restore") || strings.Contains(joined, "/_snapshot/"+m.plan.Repository.Name+"/") {
		t.Errorf("a snapshot or a restore of indices that go by _reindex:\n%s", joined)
	}
	if strings.Contains(joined, password) {
		t.Errorf("the source's password is in the planned requests:\n%s", joined)
	}

	// The dry run of the same plan: its announced requests, in order, are the review's.
	var dry []string
	_, err = m.engine(steps.Options{Credentials: creds, DryRun: true, AcceptWarnings: true}, func(ev steps.Event) {
		if ev.Kind == steps.KindRequest {
			dry = append(dry, ev.Curl)
		}
	}).Run(ctx)
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if strings.Join(dry, "\n") != joined {
		t.Errorf("the review's requests are not the dry run's:\nreview:\n%s\n\ndry run:\n%s", joined, strings.Join(dry, "\n"))
	}
	// A dry run creates nothing.
	for _, ix := range indices {
		if n, err := m.dst.Exists(ctx, []string{steps.TargetName(ix, m.plan.Restore)}); err != nil || len(n) > 0 {
			t.Errorf("the dry run created %s on the target (%v)", steps.TargetName(ix, m.plan.Restore), err)
		}
	}
}

// A real reindex (7.17 → OpenSearch 2.19, 20,000 documents) reports its progress as it goes: the index's events
// count documents copied, read from the task API, increasing to the source's count; their estimate moves the
// index's bar; the phase's events count its bytes as far as the documents; the headless lines say it.
func TestAReindexReportsItsDocumentsAsTheyAreCopied(t *testing.T) {
	os2 := envtest.Extra(t, "opensearch")
	const index = "logs-2026.11.02" // 20,000 documents (testenv/seed)
	m := newMigration(t, true, index)
	m.plan.Target.URL = os2
	m.dst, _ = esclient.New(esclient.Config{Role: "target", URL: os2})
	m.plan.Restore.ReindexFromRemote = true
	m.plan.Restore.IncludeAliases = false
	var mu sync.Mutex
	var perIndex, phase []steps.Event
	var lines []string
	rep, err := m.engine(steps.Options{AcceptWarnings: true}, func(ev steps.Event) {
		if ev.Phase != steps.PhaseReindex || ev.Kind != steps.KindProgress {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if ev.Index == index {
			perIndex = append(perIndex, ev)
			lines = append(lines, ev.String())
		} else if ev.Index == "" {
			phase = append(phase, ev)
		}
	}).Run(context.Background())
	if err != nil {
		t.Fatalf("7.17 → OpenSearch by reindex: %v", err)
	}
	if rep.Verified != 1 || rep.Rows[0].TargetDocs != 20000 {
		t.Fatalf("report: %+v", rep.Rows)
	}
	mu.Lock()
	defer mu.Unlock()
	var midway int
	var last int64 = -1
	var lastSubject float64
	for i, ev := range perIndex {
		if ev.Done.Docs < last || ev.Estimate == nil || ev.Estimate.Subject < lastSubject {
			t.Errorf("event %d went back: %d documents after %d, bar %v after %.2f", i, ev.Done.Docs, last, ev.Estimate, lastSubject)
		}
		if ev.Done.Docs > 0 && ev.Done.Docs < 20000 && ev.Total.Docs == 20000 {
			midway++
			if ev.Estimate.Subject <= 0 || ev.Estimate.Subject >= 1 {
				t.Errorf("%d of 20000 documents, the index's bar at %.2f", ev.Done.Docs, ev.Estimate.Subject)
			}
			if !regexp.MustCompile(`^batch 1/1 reindex ` + index + `: +[1-9]\d?% docs \d+/20000`).MatchString(lines[i]) {
				t.Errorf("the headless line: %q", lines[i])
			}
		}
		last, lastSubject = ev.Done.Docs, ev.Estimate.Subject
	}
	if midway < 2 || last != 20000 {
		t.Fatalf("want at least 2 readings of the task between 0 and 20000 documents and the last at 20000; got %d, last %d:\n%s",
			midway, last, strings.Join(lines, "\n"))
	}
	var lastBytes int64
	for _, ev := range phase {
		if ev.Total.Bytes <= 0 || ev.Done.Bytes < lastBytes || ev.Done.Bytes > ev.Total.Bytes {
			t.Errorf("the phase's bytes: %d of %d after %d", ev.Done.Bytes, ev.Total.Bytes, lastBytes)
		}
		lastBytes = ev.Done.Bytes
	}
	if len(phase) == 0 || lastBytes != phase[len(phase)-1].Total.Bytes {
		t.Errorf("the phase's events: %d, the last at %d bytes", len(phase), lastBytes)
	}
	first, end := perIndex[0].Time, perIndex[len(perIndex)-1].Time
	t.Logf("measured: %d readings of the task (%d midway), 20000 documents in %s from the first reading to the last (%.0f docs/s)",
		len(perIndex), midway, end.Sub(first).Round(time.Millisecond), 20000/end.Sub(first).Seconds())
}

// contentRun runs 7.17 → OpenSearch 2.19 by _reindex from remote in content mode, recording every request, with
// hook on every event.
func contentRun(t *testing.T, hook func(m *migration, ev steps.Event), indices ...string) (*migration, *steps.Report, error, []esclient.Sent) {
	t.Helper()
	os2 := envtest.Extra(t, "opensearch")
	m := newMigration(t, true, indices...)
	m.plan.Target.URL = os2
	m.dst, _ = esclient.New(esclient.Config{Role: "target", URL: os2})
	m.plan.Restore.ReindexFromRemote = true
	m.plan.Restore.IncludeAliases = false
	m.plan.Verify = steps.VerifyContent
	var mu sync.Mutex
	var sent []esclient.Sent
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := m.engine(steps.Options{AcceptWarnings: true, ObserveRequests: func(s esclient.Sent) {
		mu.Lock()
		sent = append(sent, s)
		mu.Unlock()
	}}, func(ev steps.Event) { hook(m, ev) }).Run(ctx)
	mu.Lock()
	defer mu.Unlock()
	return m, rep, err, sent
}

// In content mode, a reindexed index is verified by its documents: every document's id, routing and _source read
// on both sides, none different; its sequence numbers are never read (a reindex gives new ones), and the report
// says both.
func TestAReindexedIndexIsVerifiedByContentWithoutSequenceNumbers(t *testing.T) {
	env := envtest.Load(t)
	before := indexingTotal(t, env.SourceURL, "articles")
	m, rep, err, sent := contentRun(t, func(*migration, steps.Event) {}, "articles", "metrics-small")
	if err != nil {
		t.Fatalf("7.17 → OpenSearch by reindex, content mode: %v", err)
	}
	if rep.Verified != 2 || len(rep.Rows) != 2 {
		t.Fatalf("report: %+v", rep.Rows)
	}
	for _, row := range rep.Rows {
		c := row.Content
		if !row.Reindexed || row.Verification != steps.VerifyContent || c == nil || c.Differences != 0 || c.Unsteady ||
			c.SourceDocs == 0 || c.SourceDocs != c.TargetDocs || c.SourceDocs != row.SourceDocs {
			t.Errorf("%s: %+v, content %+v", row.Index, row, c)
		}
	}
	// Read at the wire: the documents were read on both sides (scans), and no shard-level stats (the sequence
	// numbers) were asked of either.
	var scans = map[string]int{}
	for _, s := range sent {
		if strings.Contains(s.Path, "level=shards") {
			t.Errorf("sequence numbers read: %s %s %s", s.Role, s.Method, s.Path)
		}
		if strings.Contains(s.Path, "_pit") || strings.Contains(s.Path, "point_in_time") || strings.Contains(s.Path, "scroll") {
			scans[s.Role]++
		}
	}
	if scans["source"] == 0 || scans["target"] == 0 {
		t.Errorf("the documents were not read on both sides: %v", scans)
	}
	md, err := os.ReadFile(rep.Markdown)
	if err != nil || !strings.Contains(string(md), "verified by content") || !strings.Contains(string(md), "sequence numbers were not compared") {
		t.Errorf("the report does not say how the reindexed indices were verified (%v):\n%s", err, md)
	}
	m.countsEqual("articles", "metrics-small")
	if after := indexingTotal(t, env.SourceURL, "articles"); after != before {
		t.Errorf("the source's index counted %d writes", after-before)
	}
}

// A document changed on the target after its reindex (the copy only: the source is never written) is what
// content verification finds: the counts agree, and the index is a mismatch that names that document. The
// verify command finds it again afterwards.
func TestContentVerificationOfAReindexedIndexFindsADocumentChangedOnTheTarget(t *testing.T) {
	env := envtest.Load(t)
	const index = "metrics-small"
	before := indexingTotal(t, env.SourceURL, index)
	var changed string
	m, rep, err, _ := contentRun(t, func(m *migration, ev steps.Event) {
		if ev.Phase != steps.PhaseReindex || ev.Kind != steps.KindDone || ev.Index != index || changed != "" {
			return
		}
		// The reindex of the index is through and counted; its content is verified next. Change one document of
		// the copy.
		dest := steps.TargetName(index, m.plan.Restore)
		var hits struct {
			Hits struct {
				Hits []struct {
					ID     string         `json:"_id"`
					Source map[string]any `json:"_source"`
				} `json:"hits"`
			} `json:"hits"`
		}
		// (On the engine's goroutine: failures are reported with Errorf, and the test then finds nothing changed.)
		err := m.dst.Do(context.Background(), i18n.Text("read a document of the copy"), esclient.Request{Method: "GET", Path: "/" + dest + "/_search",
			Params: map[string][]string{"size": {"1"}}}, &hits)
		if err != nil || len(hits.Hits.Hits) != 1 {
			t.Errorf("no document in %s: %v", dest, err)
			return
		}
		doc := hits.Hits.Hits[0]
		doc.Source["changed_on_the_target"] = true
		if err := m.dst.Do(context.Background(), i18n.Text("change a document of the copy"), esclient.Request{Method: "PUT", Path: "/" + dest + "/_doc/" + doc.ID,
			Params: map[string][]string{"refresh": {"true"}}, Body: doc.Source}, nil); err != nil {
			t.Errorf("change %s in %s: %v", doc.ID, dest, err)
			return
		}
		changed = doc.ID
	}, index)
	if changed == "" {
		t.Fatalf("no document was changed on the target (the run: %v)", err)
	}
	if err == nil {
		t.Fatalf("the run verified an index with a changed document")
	}
	row := rep.Rows[0]
	c := row.Content
	if row.Result != steps.ResultMismatch || row.SourceDocs != row.TargetDocs || c == nil || c.Differences != 1 || len(c.First) != 1 ||
		c.First[0].ID != changed || c.First[0].What != steps.DiffContent {
		t.Fatalf("want a mismatch naming %s as different content, the counts equal: %+v, content %+v", changed, row, c)
	}
	if !strings.Contains(row.Reason, changed) {
		t.Errorf("the reason does not name %s: %s", changed, row.Reason)
	}
	// esmigrate verify, from the state file, in content mode: the same finding.
	rep2, err := m.engine(steps.Options{}).Verify(context.Background(), steps.VerifyContent)
	if err == nil || rep2 == nil || rep2.Rows[0].Result != steps.ResultMismatch || rep2.Rows[0].Content == nil ||
		rep2.Rows[0].Content.Differences != 1 || rep2.Rows[0].Content.First[0].ID != changed {
		t.Errorf("verify --mode content after the run: %v, %+v", err, rep2)
	}
	if after := indexingTotal(t, env.SourceURL, index); after != before {
		t.Errorf("the source's index counted %d writes", after-before)
	}
}
