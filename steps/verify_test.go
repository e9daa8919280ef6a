package steps

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
)

func seqs(uuid string, shards ...[2]int64) esclient.IndexSeqNos {
	s := esclient.IndexSeqNos{UUID: uuid, Primaries: map[int]esclient.SeqNo{}}
	for i, sh := range shards {
		s.Primaries[i] = esclient.SeqNo{Max: sh[0], LocalCheckpoint: sh[1]}
	}
	return s
}

func TestJudgingAnIndexByItsCountsAndSequenceNumbers(t *testing.T) {
	ix := func(srcDocs, dstDocs int64, uuid string) *IndexState {
		return &IndexState{Name: "logs", Target: "new-logs", SourceDocs: srcDocs, TargetDocs: dstDocs, SourceUUID: uuid}
	}
	same := map[string]esclient.IndexSeqNos{"logs": seqs("u1", [2]int64{99, 99}, [2]int64{41, 41})}
	restored := map[string]esclient.IndexSeqNos{"new-logs": seqs("u9", [2]int64{99, 99}, [2]int64{41, 41})}
	written := map[string]esclient.IndexSeqNos{"logs": seqs("u1", [2]int64{102, 102}, [2]int64{41, 41})}
	ahead := map[string]esclient.IndexSeqNos{"new-logs": seqs("u9", [2]int64{99, 99}, [2]int64{45, 45})}
	inFlight := map[string]esclient.IndexSeqNos{"logs": seqs("u1", [2]int64{99, 98}, [2]int64{41, 41})}
	again := map[string]esclient.IndexSeqNos{"logs": seqs("u2", [2]int64{99, 99}, [2]int64{41, 41})}
	none := map[string]esclient.IndexSeqNos{}
	cases := []struct {
		name       string
		mode       string
		ix         *IndexState
		srcCounted bool
		src, dst   map[string]esclient.IndexSeqNos
		result     string
		ops        int64
		reason     string
	}{
		{"identical", VerifySeqNo, ix(10, 10, "u1"), true, same, restored, ResultVerified, 0, ""},
		{"an update keeps the count", VerifySeqNo, ix(10, 10, "u1"), true, written, restored, ResultChanged, 3, "changed since its snapshot: 3 operation(s)"},
		{"count mode does not see it", VerifyCount, ix(10, 10, "u1"), true, written, restored, ResultVerified, 0, ""},
		{"count mode sees other counts", VerifyCount, ix(10, 9, "u1"), true, nil, nil, ResultMismatch, 0, "the source has 10 top-level documents, the target 9"},
		{"written and counted", VerifySeqNo, ix(11, 10, "u1"), true, written, restored, ResultChanged, 3, "3 operation(s)"},
		{"the target was written", VerifySeqNo, ix(10, 10, "u1"), true, same, ahead, ResultMismatch, 0, "took 4 operation(s) the source does not have"},
		{"an operation in flight", VerifySeqNo, ix(10, 10, "u1"), true, inFlight, restored, ResultChanged, 0, "operations in flight"},
		{"created again", VerifySeqNo, ix(10, 10, "u1"), true, again, restored, ResultChanged, 0, "deleted and created again since its snapshot (uuid u1 then, u2 now)"},
		{"deleted", VerifySeqNo, ix(0, 10, "u1"), false, none, restored, ResultChanged, 0, "cannot be read any more"},
		{"no uuid recorded (older state)", VerifySeqNo, ix(10, 10, ""), true, again, restored, ResultVerified, 0, ""},
		{"seqno equal, counts not", VerifySeqNo, ix(10, 9, "u1"), true, same, restored, ResultMismatch, 0, "the source has 10"},
	}
	for _, c := range cases {
		result, reasonMsg, ops := judge(c.mode, c.ix, c.srcCounted, true, "", "", c.src, c.dst)
		reason := reasonMsg.String()
		if result != c.result || ops != c.ops || !strings.Contains(reason, c.reason) {
			t.Errorf("%s: %s, %d ops, %q; want %s, %d ops, reason with %q", c.name, result, ops, reason, c.result, c.ops, c.reason)
		}
		if result == ResultChanged && !strings.Contains(reason, "snapshot") {
			t.Errorf("%s: the reason does not say what happened: %q", c.name, reason)
		}
	}
	if r, reason, _ := judge(VerifySeqNo, ix(10, 0, "u1"), true, false, "", "index_not_found_exception: no such index", same, restored); r != ResultFailed || !strings.Contains(reason.String(), "cannot be counted") {
		t.Errorf("a target index that cannot be counted: %s %q", r, reason)
	}
}

func TestAnIndexWithoutSequenceNumbersFallsBackToCounts(t *testing.T) {
	// An index created before 6.0 reports max_seq_no -2 (unassigned).
	src := map[string]esclient.IndexSeqNos{"old": seqs("u1", [2]int64{-2, -2})}
	dst := map[string]esclient.IndexSeqNos{"old": seqs("u2", [2]int64{-2, -2})}
	ix := &IndexState{Name: "old", Target: "old", SourceDocs: 5, TargetDocs: 5, SourceUUID: "u1"}
	if r, _, _ := judge(VerifySeqNo, ix, true, true, "", "", src, dst); r != ResultVerified {
		t.Errorf("equal counts without sequence numbers: %s", r)
	}
	ix.TargetDocs = 4
	if r, _, _ := judge(VerifySeqNo, ix, true, true, "", "", src, dst); r != ResultMismatch {
		t.Errorf("other counts without sequence numbers: %s", r)
	}
}

func doc(id, routing, src string) esclient.Doc {
	return esclient.Doc{ID: id, Routing: routing, Source: json.RawMessage(src)}
}

func sumsOf(docs ...esclient.Doc) *bucketSums {
	s := &bucketSums{}
	for _, d := range docs {
		b := bucketOf(d)
		s.n[b]++
		s.h[b] += docHash(d, d.Source)
	}
	return s
}

func differing(a, b *bucketSums) int {
	n := 0
	for i := range a.n {
		if a.n[i] != b.n[i] || a.h[i] != b.h[i] {
			n++
		}
	}
	return n
}

func TestBucketSumsDoNotDependOnOrderButSeeEveryChange(t *testing.T) {
	docs := []esclient.Doc{doc("1", "", `{"a":1}`), doc("2", "", `{"a":2}`), doc("3", "u3", `{"a":3}`), doc("4", "", `{"a":4}`)}
	forward := sumsOf(docs...)
	backward := sumsOf(docs[3], docs[2], docs[1], docs[0])
	if differing(forward, backward) != 0 {
		t.Error("the order of documents changed the sums")
	}
	// Split across slices and merged: the same sums.
	half := sumsOf(docs[:2]...)
	half.merge(sumsOf(docs[2:]...))
	if differing(forward, half) != 0 {
		t.Error("merging slices changed the sums")
	}
	for name, other := range map[string][]esclient.Doc{
		"content":   {docs[0], doc("2", "", `{"a":20}`), docs[2], docs[3]},
		"routing":   {docs[0], docs[1], doc("3", "u4", `{"a":3}`), docs[3]},
		"missing":   {docs[0], docs[1], docs[2]},
		"extra":     {docs[0], docs[1], docs[2], docs[3], doc("5", "", `{}`)},
		"id":        {docs[0], docs[1], docs[2], doc("44", "", `{"a":4}`)},
		"swapped":   {doc("1", "", `{"a":2}`), doc("2", "", `{"a":1}`), docs[2], docs[3]},
		"twice":     {docs[0], docs[0], docs[2], docs[3]},
		"spacing":   {docs[0], doc("2", "", `{"a": 2}`), docs[2], docs[3]},
		"key order": {doc("1", "", `{"a":1,"b":2}`), docs[1], docs[2], docs[3]},
	} {
		if differing(forward, sumsOf(other...)) == 0 {
			t.Errorf("%s: a difference the sums do not see", name)
		}
	}
}

func TestTheSameDocumentWrittenDifferentlyIsNotADifference(t *testing.T) {
	a, b := doc("1", "", `{"b":2, "a":[1,2.50,"x"]}`), doc("1", "", `{"a":[1,2.50,"x"],"b":2}`)
	if docHash(a, a.Source) == docHash(b, b.Source) {
		t.Fatal("the raw hashes should differ")
	}
	if docHash(a, normalised(a.Source)) != docHash(b, normalised(b.Source)) {
		t.Error("normalised, the same document hashes differently")
	}
	c := doc("1", "", `{"a":[1,2.5,"x"],"b":2}`)
	if docHash(a, normalised(a.Source)) == docHash(c, normalised(c.Source)) {
		t.Error("2.50 and 2.5 are different texts of a number: normalising must not hide that")
	}
}

func TestPagesAimAtFourMegabytesWhateverTheDocumentSize(t *testing.T) {
	for _, c := range []struct {
		bytes, docs int64
		want        int
	}{{0, 0, 1000}, {1 << 30, 1_000_000, 3908}, {1 << 30, 10_000, 50}, {1 << 20, 100_000, 5000}} {
		if got := pageSize(c.bytes, c.docs); got != c.want {
			t.Errorf("%d bytes over %d documents: pages of %d, want %d", c.bytes, c.docs, got, c.want)
		}
	}
}

func TestASnapshotIsOursByItsMetadataOrElseByTheState(t *testing.T) {
	e := &Engine{state: &State{MigrationID: "aaaa"}, srcSum: ClusterSummary{Info: esclient.Info{Version: esclient.Version{Major: 7, Minor: 17}}}}
	withID := func(id string) esclient.Snapshot {
		return esclient.Snapshot{Metadata: map[string]any{"taken_by": "esmigrate", "migration": id}}
	}
	cases := []struct {
		name string
		b    BatchState
		s    esclient.Snapshot
		ours bool
	}{
		{"our id", BatchState{}, withID("aaaa"), true},
		{"another id, although the state says we sent one", BatchState{SnapshotSent: true, SnapshotStarted: true}, withID("bbbb"), false},
		{"no metadata (before 7.3), state says sent", BatchState{SnapshotSent: true}, esclient.Snapshot{}, true},
		{"no metadata under our id's name on 7.17, state says sent", BatchState{Snapshot: "esmigrate-aaaa-1", SnapshotSent: true}, esclient.Snapshot{}, false},
		{"no metadata (an older esmigrate), state says started", BatchState{SnapshotStarted: true}, esclient.Snapshot{Metadata: map[string]any{"taken_by": "esmigrate", "plan": "p"}}, true},
		{"no metadata, nothing in the state", BatchState{}, esclient.Snapshot{}, false},
		{"no metadata on a source that keeps it, under our id's name, although the state says sent",
			BatchState{Snapshot: "esmigrate-aaaa-1", SnapshotSent: true}, esclient.Snapshot{Metadata: map[string]any{"owner": "backup-cron"}}, false},
		{"someone else's metadata, nothing in the state", BatchState{}, esclient.Snapshot{Metadata: map[string]any{"owner": "backup-cron"}}, false},
	}
	for _, c := range cases {
		if got := e.ours(&c.b, c.s); got != c.ours {
			t.Errorf("%s: ours=%v, want %v", c.name, got, c.ours)
		}
	}
}

func TestWhoseSaysWhoTookASnapshot(t *testing.T) {
	at := time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC).UnixMilli()
	for _, c := range []struct {
		md   map[string]any
		want string
	}{
		{map[string]any{"taken_by": "esmigrate", "migration": "0123456789", "state_file": "/a/state.json", "host": "h1", "plan": "p1"},
			"taken by esmigrate migration 0123456789, state file /a/state.json on h1, plan p1, started 2026-11-02T03:04:05Z; this migration is ours"},
		{map[string]any{"taken_by": "esmigrate", "plan": "p0"}, "taken by an esmigrate that did not record its migration (plan p0)"},
		{map[string]any{"policy": "nightly", "owner": "ops"}, "taken by something other than esmigrate, metadata owner=ops policy=nightly"},
		{nil, "it carries no metadata"},
	} {
		if got := whose(esclient.Snapshot{Metadata: c.md, StartMillis: at}, "ours").String(); !strings.Contains(got, c.want) {
			t.Errorf("%v: %q, want %q", c.md, got, c.want)
		}
	}
}

func TestAnOldStateFileGetsAnIDAndOnlyItsUnstartedBatchesNewNames(t *testing.T) {
	p := DefaultPlan()
	e := &Engine{plan: p, state: &State{Batches: []BatchState{
		{Number: 1, Snapshot: "esmigrate-0011223344556677-1", Phase: PhaseRestore, SnapshotStarted: true},
		{Number: 2, Snapshot: "esmigrate-0011223344556677-2", Phase: PhaseSnapshot, SnapshotStarted: true},
		{Number: 3, Snapshot: "esmigrate-0011223344556677-3", Phase: PhaseSnapshot},
	}}}
	e.adoptState()
	id := e.state.MigrationID
	if len(id) != 10 {
		t.Fatalf("migration id %q", id)
	}
	want := []string{"esmigrate-0011223344556677-1", "esmigrate-0011223344556677-2", "esmigrate-" + id + "-3"}
	for i, b := range e.state.Batches {
		if b.Snapshot != want[i] {
			t.Errorf("batch %d: %s, want %s", b.Number, b.Snapshot, want[i])
		}
	}
	e.adoptState()
	if e.state.MigrationID != id {
		t.Error("a second adoption changed the id")
	}
}

func TestMigrationIDsAreValidInSnapshotNamesAndDiffer(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		id := NewMigrationID()
		if err := ValidateSnapshotName(SnapshotName(DefaultPlan(), id, 12)); err != nil || seen[id] {
			t.Fatalf("id %q: %v (seen %v)", id, err, seen[id])
		}
		seen[id] = true
	}
	if ValidateSnapshotName(SnapshotName(DefaultPlan(), MigrationIDPlaceholder, 1)) == nil {
		t.Error("the placeholder must never pass as a real snapshot name")
	}
}

func TestTheVerifyModeIsCheckedAndDoesNotChangeThePlanHash(t *testing.T) {
	base := DefaultPlan()
	base.Source.URL, base.Target.URL = "http://a:9200", "http://b:9200"
	base.Repository.SourceLocation, base.Repository.Shared = "/r", true
	base.Indices = []string{"logs"}
	if err := base.Validate(); err != nil {
		t.Fatal(err)
	}
	// The hash this plan had before the field existed: state files written then are still this plan's.
	if h := base.Hash(); h != "cc16769b3ff9f86a" {
		t.Errorf("the plan's hash changed to %s: state files of running migrations would be refused", h)
	}
	for _, m := range append(VerifyModes, "") {
		p := base
		p.Verify = m
		if err := p.Validate(); err != nil {
			t.Errorf("verify %q: %v", m, err)
		}
		if p.Hash() != base.Hash() {
			t.Errorf("verify %q changes the plan's hash: a running migration's state would be refused", m)
		}
	}
	p := base
	p.Verify = "checksum"
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "count, seqno or content") {
		t.Errorf("verify: checksum: %v", err)
	}
	back, err := ParsePlan(base.YAML(), "plan.yaml")
	if err != nil || back.Verify != VerifySeqNo {
		t.Errorf("the plan file round trip: %q %v", back.Verify, err)
	}
}

func TestTheSummaryNamesWhatIsNotVerified(t *testing.T) {
	r := &Report{Verified: 3, Changed: 1, Unverified: 2}
	if got := r.Summary(); got != "3 verified, 1 changed since the snapshot, 0 mismatched, 2 not verifiable, 0 failed, 0 pending" {
		t.Errorf("summary %q", got)
	}
	r = &Report{Verified: 2}
	if got := r.Summary(); got != "2 verified, 0 mismatched, 0 failed, 0 pending" {
		t.Errorf("summary %q", got)
	}
}

func TestContentEventsShowDocumentsAndTheirRate(t *testing.T) {
	ev := Event{Kind: KindProgress, Phase: PhaseVerify, Batch: 1, Batches: 2, Done: Counts{Docs: 2500}, Total: Counts{Docs: 10000},
		DocRate: 1234, Rate: 3 << 20, ETA: 6 * time.Second, Message: "content"}
	if got, want := ev.String(), "batch 1/2 verify:  25% docs 2500/10000 3.0mb/s 1234 docs/s content ETA 6s"; got != want {
		t.Errorf("%q\nwant %q", got, want)
	}
}
