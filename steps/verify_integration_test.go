//go:build integration

package steps_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/testenv/envtest"
)

// owner is a client of the test's own, without the source guard: it plays the applications that write to the
// source, and creates the indices a test needs.
type owner struct {
	t *testing.T
	c *esclient.Client
}

func ownerOf(t *testing.T, url string) *owner {
	c, err := esclient.New(esclient.Config{Role: "owner", URL: url})
	if err != nil {
		t.Fatal(err)
	}
	return &owner{t: t, c: c}
}

// do sends a request and fails the test when it fails: a fault the test provokes must really happen.
func (o *owner) do(method, path string, body any, params ...string) map[string]any {
	o.t.Helper()
	var out map[string]any
	q := map[string][]string{}
	for i := 0; i+1 < len(params); i += 2 {
		q[params[i]] = append(q[params[i]], params[i+1])
	}
	if err := o.c.Do(context.Background(), i18n.Text(method+" "+path), esclient.Request{Method: method, Path: path, Params: q, Body: body}, &out); err != nil {
		o.t.Fatalf("%s %s: %v", method, path, err)
	}
	return out
}

// index creates an index of n documents "0".."n-1" (every tenth with a custom routing, "r-<i>" routed by
// "u<i>") and deletes it when the test ends.
func (o *owner) index(name string, shards, n int, mappings map[string]any) {
	o.t.Helper()
	body := map[string]any{"settings": map[string]any{"number_of_shards": shards, "number_of_replicas": 0}}
	if mappings != nil {
		body["mappings"] = mappings
	}
	o.do("PUT", "/"+name, body)
	o.t.Cleanup(func() { o.c.DeleteIndices(context.Background(), []string{name}) })
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i%10 == 3 {
			fmt.Fprintf(&b, `{"index":{"_id":"r-%d","routing":"u%d"}}`+"\n", i, i)
		} else {
			fmt.Fprintf(&b, `{"index":{"_id":"%d"}}`+"\n", i)
		}
		fmt.Fprintf(&b, `{"n":%d,"text":"document %d","tags":["a","b"],"nested":{"x":%d.5}}`+"\n", i, i, i)
	}
	if n > 0 {
		out := o.do("POST", "/"+name+"/_bulk", b.String(), "refresh", "true")
		if out["errors"] == true {
			o.t.Fatalf("bulk into %s had errors: %v", name, out)
		}
	}
}

func (o *owner) count(name string) int64 {
	o.t.Helper()
	n, err := o.c.Count(context.Background(), name)
	if err != nil {
		o.t.Fatal(err)
	}
	return n
}

func rowOf(t *testing.T, rep *steps.Report, index string) steps.ReportRow {
	t.Helper()
	for _, r := range rep.Rows {
		if r.Index == index {
			return r
		}
	}
	t.Fatalf("no report row for %s: %+v", index, rep.Rows)
	return steps.ReportRow{}
}

// An index written after its snapshot: seqno mode reports it changed with the number of operations, and
// content mode names the documents by id. The writes keep the count equal (an update, a delete and an insert),
// so that counting alone would have passed it. From a 7.17 source (point in time) and a 7.10 one (scroll).
func TestAnIndexWrittenAfterItsSnapshotIsReportedChangedWithItsDocumentsNamed(t *testing.T) {
	for _, from := range []string{"es717", "es710"} {
		t.Run(from, func(t *testing.T) {
			m := newMigration(t, true)
			if from == "es710" {
				m.fromLegacy()
			}
			src := ownerOf(t, m.plan.Source.URL)
			name := m.id + "-written"
			src.index(name, 2, 300, nil)
			m.plan.Indices = []string{name}
			m.plan.Verify = steps.VerifyContent
			before := src.count(name)
			wrote := false
			e := m.engine(steps.Options{AcceptWarnings: true}, func(ev steps.Event) {
				if ev.Phase == steps.PhaseSnapshot && ev.Kind == steps.KindDone && !wrote {
					wrote = true
					src.do("PUT", "/"+name+"/_doc/5", map[string]any{"n": 5, "text": "changed after the snapshot"})
					src.do("DELETE", "/"+name+"/_doc/r-23", nil, "routing", "u23")
					src.do("PUT", "/"+name+"/_doc/new-1", map[string]any{"n": 1000, "text": "added after the snapshot"})
					src.do("POST", "/"+name+"/_refresh", nil)
				}
			})
			rep, err := e.Run(context.Background())
			if !wrote {
				t.Fatal("the source was not written after the snapshot: the fault did not happen")
			}
			if after := src.count(name); after != before {
				t.Fatalf("the writes changed the count (%d → %d): the test needs equal counts", before, after)
			}
			if err == nil || !strings.Contains(err.Error(), "1 changed") {
				t.Errorf("the run did not fail on the changed index: %v", err)
			}
			row := rowOf(t, rep, name)
			if row.Result != steps.ResultChanged || row.ChangedOps != 3 || !strings.Contains(row.Reason, "changed since its snapshot: 3 operation(s)") {
				t.Errorf("result %s, %d operations, reason %q: want changed with 3 operations", row.Result, row.ChangedOps, row.Reason)
			}
			if row.SourceDocs != row.TargetDocs {
				t.Errorf("counts %d/%d: want equal (counting alone would have passed it)", row.SourceDocs, row.TargetDocs)
			}
			c := row.Content
			if c == nil {
				t.Fatal("no content result")
			}
			want := []steps.DocDiff{{ID: "5", What: steps.DiffContent}, {ID: "new-1", What: steps.DiffMissing}, {ID: "r-23", Routing: "u23", What: steps.DiffExtra}}
			got, _ := json.Marshal(c.First)
			wantJSON, _ := json.Marshal(want)
			if c.Differences != 3 || string(got) != string(wantJSON) {
				t.Errorf("differences %d, first %s; want 3: %s", c.Differences, got, wantJSON)
			}
			md, _ := os.ReadFile(rep.Markdown)
			for _, w := range []string{"`5`: different content", "`new-1`: missing on the target", "`r-23` (routing `u23`): only on the target", "| changed |"} {
				if !strings.Contains(string(md), w) {
					t.Errorf("the report lacks %q:\n%s", w, md)
				}
			}
		})
	}
}

// Content verification of a clean migration finds no difference, on every kind of target and with every way of
// reading: point in time on Elasticsearch 7.17 and 8.19, OpenSearch's point in time, scroll on 7.10. The indices
// include nested documents (articles), several shards, an empty index and custom routing.
func TestContentVerificationOfACleanMigrationFindsNoDifference(t *testing.T) {
	env := envtest.Load(t)
	for _, tc := range []struct {
		name, from, to string
		how            string
	}{
		{"es717-to-es717", "source", "target", "pit/pit"},
		{"es717-to-es819", "source", "next", "pit/pit"},
		{"es710-to-opensearch219", "legacy", "opensearch", "scroll/opensearch-pit"},
		{"es710-to-es717", "legacy", "target", "scroll/pit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			indices := []string{"articles", "logs-2026.11.03", "metrics-small", "empty-index"}
			m := newMigration(t, true, indices...)
			if tc.from == "legacy" {
				m.fromLegacy()
			}
			if tc.to != "target" {
				url := envtest.Extra(t, tc.to)
				m.plan.Target.URL = url
				m.dst, _ = esclient.New(esclient.Config{Role: "target", URL: url})
			}
			routed := m.id + "-routed"
			ownerOf(t, m.plan.Source.URL).index(routed, 3, 200, nil)
			m.plan.Indices = append(indices, routed)
			m.plan.Verify = steps.VerifyContent
			rep, err := m.run(steps.Options{AcceptWarnings: true})
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if rep.Verified != len(m.plan.Indices) {
				t.Fatalf("verified %d of %d: %+v", rep.Verified, len(m.plan.Indices), rep.Rows)
			}
			for _, r := range rep.Rows {
				c := r.Content
				switch {
				case c == nil:
					t.Errorf("%s: no content verification", r.Index)
				case c.Differences != 0 || c.SourceDocs != r.SourceDocs || c.TargetDocs != r.TargetDocs:
					t.Errorf("%s: %d differences, read %d/%d documents, counted %d/%d", r.Index, c.Differences, c.SourceDocs, c.TargetDocs, r.SourceDocs, r.TargetDocs)
				case c.How != tc.how:
					t.Errorf("%s: read by %s, want %s", r.Index, c.How, tc.how)
				case r.Verification != steps.VerifyContent:
					t.Errorf("%s: verified by %q", r.Index, r.Verification)
				}
			}
			if r := rowOf(t, rep, "articles"); r.SourceDocs != 3000 {
				t.Errorf("articles: %d documents, want the 3000 top-level ones", r.SourceDocs)
			}
		})
	}
	_ = env
}

// The case: the same plan run again with a new state file after a document changed on the source (the
// target index deleted in between). The second migration has its own id, so it never follows the first one's
// snapshot: it takes a new one, and the target gets the new document.
func TestARerunWithANewStateFileAfterTheSourceChangedRestoresTheNewData(t *testing.T) {
	m := newMigration(t, true)
	src := ownerOf(t, m.plan.Source.URL)
	name := m.id + "-rerun"
	src.index(name, 1, 100, nil)
	m.plan.Indices = []string{name}
	first, err := m.run(steps.Options{AcceptWarnings: true})
	if err != nil || first.Verified != 1 {
		t.Fatalf("first run: %v %+v", err, first)
	}
	target := steps.TargetName(name, m.plan.Restore)
	if err := m.dst.DeleteIndices(context.Background(), []string{target}); err != nil {
		t.Fatal(err)
	}
	src.do("PUT", "/"+name+"/_doc/3", map[string]any{"n": 3, "text": "the new version"}, "refresh", "true")

	m.plan.StateFile = filepath.Join(t.TempDir(), "second-state.json")
	m.events = nil
	second, err := m.run(steps.Options{AcceptWarnings: true})
	if err != nil || second.Verified != 1 {
		t.Fatalf("second run: %v %+v", err, second)
	}
	if a, b := first.Rows[0].Snapshot, second.Rows[0].Snapshot; a == b {
		t.Errorf("both runs used snapshot %s", a)
	}
	for _, ev := range m.events {
		if strings.Contains(ev.Message, "already exists") {
			t.Errorf("the second run found an existing snapshot: %s", ev.Message)
		}
	}
	var doc struct {
		Source map[string]any `json:"_source"`
	}
	if err := m.dst.Do(context.Background(), i18n.Text("get"), esclient.Request{Method: "GET", Path: "/" + target + "/_doc/3"}, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Source["text"] != "the new version" {
		t.Errorf("the target holds %v, not the source's new version", doc.Source)
	}
	if n := len(m.snapshots()); n != 2 {
		t.Errorf("%d snapshots, want one per migration", n)
	}
}

// A snapshot of the batch's name that is not this migration's is never followed, restored or deleted: the run
// stops saying whose it is and what to do. The migration is stopped just before its snapshot; someone else's
// snapshot of that name appears; the migration is resumed.
func TestASnapshotOfAnotherMigrationWithTheSameNameIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name     string
		metadata map[string]any
		want     []string
	}{
		{"another-esmigrate", map[string]any{"taken_by": "esmigrate", "migration": "0123456789", "state_file": "/home/ops/other-state.json", "host": "jump-2"},
			[]string{"taken by esmigrate migration 0123456789", "state file /home/ops/other-state.json on jump-2"}},
		{"no-metadata", nil, []string{"carries no metadata"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMigration(t, true, "metrics-small")
			ctx, cancel := context.WithCancel(context.Background())
			_, err := m.engine(steps.Options{AcceptWarnings: true}, func(ev steps.Event) {
				if ev.Phase == steps.PhaseSnapshot && ev.Kind == steps.KindStart {
					cancel()
				}
			}).Run(ctx)
			if _, ok := err.(*steps.StoppedError); !ok {
				t.Fatalf("the run was not stopped before its snapshot: %v", err)
			}
			st, err := steps.ReadState(m.plan.StateFile)
			if err != nil {
				t.Fatal(err)
			}
			snap := st.Batches[0].Snapshot
			if st.MigrationID == "" || !strings.Contains(snap, st.MigrationID) {
				t.Fatalf("snapshot name %s does not carry the migration id %q", snap, st.MigrationID)
			}
			body := map[string]any{"indices": "metrics-small", "include_global_state": false}
			if tc.metadata != nil {
				body["metadata"] = tc.metadata
			}
			src := ownerOf(t, m.plan.Source.URL)
			src.do("PUT", "/_snapshot/"+m.plan.Repository.Name+"/"+snap, body, "wait_for_completion", "true")

			_, err = m.engine(steps.Options{AcceptWarnings: true}).Run(context.Background())
			if err == nil {
				t.Fatal("a foreign snapshot of the same name was followed")
			}
			t.Logf("the refusal: %v", err)
			for _, w := range append(tc.want, "is not this migration's", "delete it", "new state file", "this migration is "+st.MigrationID) {
				if w == "this migration is "+st.MigrationID && tc.metadata == nil {
					continue
				}
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the message lacks %q: %v", w, err)
				}
			}
			if ex, _ := m.dst.Exists(context.Background(), []string{steps.TargetName("metrics-small", m.plan.Restore)}); len(ex) > 0 {
				t.Error("the foreign snapshot was restored")
			}
			if _, ok, _ := m.src.Snapshot(context.Background(), m.plan.Repository.Name, snap); !ok {
				t.Error("the foreign snapshot was deleted")
			}
		})
	}
}

// An index deleted and created again on the source after its snapshot, with the same documents: its sequence
// numbers and count are those of the snapshot again, and only the UUID recorded at the snapshot tells.
func TestAnIndexCreatedAgainAfterItsSnapshotIsReportedChanged(t *testing.T) {
	m := newMigration(t, true)
	src := ownerOf(t, m.plan.Source.URL)
	name := m.id + "-again"
	src.index(name, 1, 50, nil)
	m.plan.Indices = []string{name}
	var seqBefore, seqAfter esclient.IndexSeqNos
	recreated := false
	e := m.engine(steps.Options{AcceptWarnings: true}, func(ev steps.Event) {
		if ev.Phase == steps.PhaseSnapshot && ev.Kind == steps.KindDone && !recreated {
			recreated = true
			s, _ := src.c.SeqNos(context.Background(), []string{name})
			seqBefore = s[name]
			src.c.DeleteIndices(context.Background(), []string{name})
			src.index(name, 1, 50, nil)
			s, _ = src.c.SeqNos(context.Background(), []string{name})
			seqAfter = s[name]
		}
	})
	rep, err := e.Run(context.Background())
	if !recreated || seqBefore.UUID == seqAfter.UUID {
		t.Fatalf("the index was not created again (%v, %s → %s): the fault did not happen", recreated, seqBefore.UUID, seqAfter.UUID)
	}
	if seqBefore.Primaries[0] != seqAfter.Primaries[0] {
		t.Fatalf("sequence numbers differ (%v → %v): the test needs them equal, so that only the UUID tells", seqBefore.Primaries, seqAfter.Primaries)
	}
	if err == nil || !strings.Contains(err.Error(), "1 changed") {
		t.Fatalf("the run with an index created again after its snapshot ended %v; want a failure that counts 1 changed", err)
	}
	row := rowOf(t, rep, name)
	if row.Result != steps.ResultChanged || !strings.Contains(row.Reason, "deleted and created again") {
		t.Errorf("result %s: %s; want changed: deleted and created again", row.Result, row.Reason)
	}
}

// Content mode on an index whose _source is disabled: "cannot verify content", never passed.
func TestAnIndexWithoutSourceCannotBeVerifiedByContent(t *testing.T) {
	m := newMigration(t, true, "metrics-small")
	name := m.id + "-nosource"
	ownerOf(t, m.plan.Source.URL).index(name, 1, 20, map[string]any{"_source": map[string]any{"enabled": false}})
	m.plan.Indices = []string{name, "metrics-small"}
	m.plan.Verify = steps.VerifyContent
	rep, err := m.run(steps.Options{AcceptWarnings: true})
	if err == nil {
		t.Error("the run passed an index whose content was not verified")
	}
	if row := rowOf(t, rep, name); row.Result != steps.ResultUnverified || !strings.Contains(row.Reason, "cannot verify content") {
		t.Errorf("%s: %s (%s); want unverified: cannot verify content", name, row.Result, row.Reason)
	}
	if row := rowOf(t, rep, "metrics-small"); row.Result != steps.ResultVerified {
		t.Errorf("metrics-small: %s", row.Result)
	}
}

// The health in the report is the one after the replicas were put back: an index restored with 0 replicas
// (green) whose original 1 replica cannot be placed on the one-node target is yellow, not green.
func TestHealthIsRecordedAfterTheReplicasArePutBack(t *testing.T) {
	m := newMigration(t, true, "logs-2026.11.01", "metrics-small")
	m.plan.Verify = steps.VerifyCount
	rep, err := m.run(steps.Options{AcceptWarnings: true})
	if err != nil {
		t.Fatal(err)
	}
	h, err := m.dst.IndicesHealth(context.Background(), []string{steps.TargetName("logs-2026.11.01", m.plan.Restore)})
	if err != nil {
		t.Fatal(err)
	}
	if got := h[steps.TargetName("logs-2026.11.01", m.plan.Restore)].Status; got != "yellow" {
		t.Fatalf("the target index is %s: the test needs a replica the one-node target cannot place", got)
	}
	if r := rowOf(t, rep, "logs-2026.11.01"); r.Health != "yellow" {
		t.Errorf("logs-2026.11.01 recorded %q, want yellow (1 replica, one target node)", r.Health)
	}
	if r := rowOf(t, rep, "metrics-small"); r.Health != "green" {
		t.Errorf("metrics-small recorded %q, want green (no replica)", r.Health)
	}
}

// esmigrate verify checks a finished migration again from its state file: verified while the source is
// unchanged, then, after a write to the source, changed (seqno) with the document named (content), exit 1.
func TestVerifyAgainFromTheStateFileSeesALaterWrite(t *testing.T) {
	m := newMigration(t, true)
	src := ownerOf(t, m.plan.Source.URL)
	name := m.id + "-later"
	src.index(name, 2, 100, nil)
	m.plan.Indices = []string{name}
	if out, err := exec.Command(binary, "run", "--plan", writePlan(t, m.plan), "--accept-warnings").CombinedOutput(); err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	if out, err := exec.Command(binary, "verify", "--state", m.plan.StateFile).CombinedOutput(); err != nil || !strings.Contains(string(out), "1 verified") {
		t.Fatalf("verify of an unchanged source: %v\n%s", err, out)
	}
	src.do("PUT", "/"+name+"/_doc/42", map[string]any{"n": 42, "text": "written after the migration"}, "refresh", "true")
	out, err := exec.Command(binary, "verify", "--state", m.plan.StateFile).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "changed since its snapshot: 1 operation(s)") {
		t.Fatalf("verify after a write: %v\n%s", err, out)
	}
	out, _ = exec.Command(binary, "verify", "--state", m.plan.StateFile, "--mode", "content").CombinedOutput()
	if !strings.Contains(string(out), "42: different content") {
		t.Errorf("content mode does not name the document:\n%s", out)
	}
	st, err := steps.ReadState(m.plan.StateFile)
	if err != nil || st.Batches[0].Indices[0].Result != steps.ResultChanged {
		t.Errorf("the state does not record the new result: %+v %v", st, err)
	}
}

// The sequence-number comparison holds only if housekeeping on the source does not move a primary's sequence
// numbers: a force-merge to one segment (on every kind of cluster the tests run) and a new replica that is
// allocated and recovered (on the two-node legacy cluster; the others have one node, where it stays unassigned).
// Each is asserted to have happened: fewer segments after the merge, a green index after the replica.
func TestForceMergeAndANewReplicaKeepThePrimariesSequenceNumbers(t *testing.T) {
	env := envtest.Legacy(t)
	for _, c := range []struct{ kind, url string }{
		{"7.17", env.SourceURL}, {"7.10 (two nodes)", env.LegacyURL}, {"8.19", envtest.Extra(t, "next")}, {"OpenSearch 2.19", envtest.Extra(t, "opensearch")},
	} {
		t.Run(c.kind, func(t *testing.T) {
			o := ownerOf(t, c.url)
			name := envtest.Unique("seqno-housekeeping")
			o.index(name, 2, 200, nil)
			// More segments and some deletes, for the merge to have something to do.
			for i := 0; i < 8; i++ {
				o.do("POST", "/"+name+"/_doc/"+fmt.Sprint(i), map[string]any{"n": i, "text": "updated"}, "refresh", "true")
				o.do("DELETE", "/"+name+"/_doc/"+fmt.Sprint(100+10*i), nil, "refresh", "true") // ids ending in 3 are routed: avoid them
			}
			segments := func() float64 {
				out := o.do("GET", "/"+name+"/_stats/segments", nil)
				return out["_all"].(map[string]any)["primaries"].(map[string]any)["segments"].(map[string]any)["count"].(float64)
			}
			seqnos := func() esclient.IndexSeqNos {
				s, err := o.c.SeqNos(context.Background(), []string{name})
				if err != nil {
					t.Fatal(err)
				}
				return s[name]
			}
			before, segBefore := seqnos(), segments()
			o.do("POST", "/"+name+"/_forcemerge", nil, "max_num_segments", "1")
			o.do("POST", "/"+name+"/_refresh", nil) // segment stats count what searchers see (OpenSearch showed 10 of 11 without it)
			if after := segments(); after >= segBefore {
				t.Fatalf("the force-merge did not happen: %v segments before, %v after", segBefore, after)
			}
			if after := seqnos(); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("a force-merge changed the primaries' sequence numbers: %v → %v", before, after)
			}
			nodes := o.do("GET", "/_cluster/health", nil)["number_of_nodes"].(float64)
			if nodes < 2 {
				return
			}
			o.do("PUT", "/"+name+"/_settings", map[string]any{"index": map[string]any{"number_of_replicas": 1}})
			if h := o.do("GET", "/_cluster/health/"+name, nil, "wait_for_status", "green", "timeout", "60s"); h["status"] != "green" {
				t.Fatalf("the new replica was not allocated and recovered: %v", h)
			}
			if after := seqnos(); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("a new replica changed the primaries' sequence numbers: %v → %v", before, after)
			}
		})
	}
}
