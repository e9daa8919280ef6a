package steps

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
)

func es(v string) Product {
	ver, _ := esclient.ParseVersion(v)
	return Product{Distribution: esclient.Elasticsearch, Version: ver}
}

func os_(v string) Product {
	ver, _ := esclient.ParseVersion(v)
	return Product{Distribution: esclient.OpenSearch, Version: ver}
}

func TestCompatibilityTable(t *testing.T) {
	cases := []struct {
		created, target Product
		ok              bool
		why             string
	}{
		{es("7.10.2"), es("7.17.29"), true, ""},
		{es("7.17.29"), es("7.17.29"), true, ""},
		{es("7.17.29"), es("8.19.21"), true, ""},
		{es("6.8.23"), es("7.17.29"), true, ""},
		{es("6.8.23"), es("7.1.1"), false, "from 7.2 on"},
		{es("5.6.16"), es("7.17.29"), false, "one major version apart"},
		{es("6.8.23"), es("8.19.21"), false, "one major version apart"},
		{es("7.17.29"), es("7.10.2"), false, "older"},
		{es("8.19.21"), es("7.17.29"), false, "older"},
		{es("7.10.2"), os_("2.19.1"), true, ""},
		{es("7.10.2"), os_("1.3.13"), true, ""},
		{es("6.8.0"), os_("1.3.13"), true, ""},
		{es("6.8.0"), os_("2.19.1"), false, "7.x indices only"},
		{es("7.17.29"), os_("2.19.1"), false, "7.10.2"},
		{os_("2.19.1"), es("8.19.21"), false, "OpenSearch only to OpenSearch"},
		{os_("1.3.13"), os_("2.19.1"), true, ""},
		{os_("2.19.1"), os_("1.3.13"), false, "older"},
	}
	for _, c := range cases {
		got := CanRestore(c.created, c.target)
		if got.OK != c.ok {
			t.Errorf("%s → %s: ok=%v, want %v (%s)", c.created, c.target, got.OK, c.ok, got.Reason)
			continue
		}
		if !c.ok && (!strings.Contains(got.Reason+got.Fix, c.why) || got.Fix == "") {
			t.Errorf("%s → %s: reason %q / fix %q should mention %q and say what to do", c.created, c.target, got.Reason, got.Fix, c.why)
		}
	}
}

func idx(name string, mb int64, primaries int) esclient.Index {
	return esclient.Index{Name: name, PrimaryBytes: mb << 20, Primaries: primaries, Status: "open", Health: "green"}
}

func TestPlannerKeepsBatchesUnderTheCapLargestFirst(t *testing.T) {
	indices := []esclient.Index{idx("a", 10, 1), idx("b", 40, 2), idx("c", 30, 1), idx("d", 25, 1), idx("e", 5, 1)}
	batches := PlanBatches(indices, 50<<20)
	var got [][]string
	for _, b := range batches {
		if b.PrimaryBytes > 50<<20 {
			t.Errorf("batch %d has %s, over the cap", b.Number, HumanBytes(b.PrimaryBytes))
		}
		got = append(got, b.Names())
	}
	// First fit, largest first: b(40) opens batch 1, c(30) batch 2, d(25) fits neither (65, 55) and opens
	// batch 3; a(10) fills batch 1 to 50, e(5) goes into batch 2.
	if s := fmtNames(got); s != "[[b a] [c e] [d]]" {
		t.Errorf("batches %s", s)
	}
	if batches[0].Number != 1 || batches[1].Number != 2 || batches[0].Shards != 3 {
		t.Errorf("numbering/shards: %+v", batches)
	}
}

func fmtNames(b [][]string) string {
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = "[" + strings.Join(x, " ") + "]"
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func TestPlannerGivesAnIndexBiggerThanTheCapABatchOfItsOwn(t *testing.T) {
	batches := PlanBatches([]esclient.Index{idx("huge", 200, 5), idx("small", 1, 1)}, 50<<20)
	if len(batches) != 2 || batches[0].Names()[0] != "huge" || len(batches[0].Indices) != 1 {
		t.Fatalf("batches %+v", batches)
	}
}

func TestSelectMatchesNamesAndPatternsAndLeavesOutHiddenSystemAndClosed(t *testing.T) {
	all := []esclient.Index{
		idx("logs-1", 1, 1), idx("logs-2", 1, 1), idx("articles", 1, 1),
		{Name: ".kibana_1", System: true, Status: "open"},
		{Name: "logs-hidden", Hidden: true, Status: "open"},
		{Name: "logs-closed", Status: "close"},
	}
	p := DefaultPlan()
	p.Indices = []string{"logs-*", "articles", "nope", ".kibana_1"}
	p.Exclude = []string{"logs-2"}
	sel := Select(all, p)
	if names := strings.Join(namesOf(sel.Indices), ","); names != "logs-1,articles,.kibana_1" {
		t.Errorf("selected %s", names)
	}
	if strings.Join(sel.Missing, ",") != "nope" {
		t.Errorf("missing %v", sel.Missing)
	}
	var skipped []string
	for _, s := range sel.Skipped {
		skipped = append(skipped, s.Index)
	}
	if strings.Join(skipped, ",") != "logs-2,logs-closed" {
		t.Errorf("skipped %v", skipped)
	}
	p.IncludeHidden = true
	if !containsName(Select(all, p).Indices, "logs-hidden") {
		t.Error("include_hidden did not let the pattern match a hidden index")
	}
}

func containsName(ixs []esclient.Index, name string) bool {
	for _, ix := range ixs {
		if ix.Name == name {
			return true
		}
	}
	return false
}

func TestRenameFollowsJavaReplacementSyntaxAndFindsCollisions(t *testing.T) {
	r := RestorePlan{RenamePattern: "logs-(\\d+)\\.(\\d+)\\..*", RenameReplacement: "logs-$1-$2"}
	if got := TargetName("logs-2026.11.03", r); got != "logs-2026-11" {
		t.Errorf("TargetName = %s", got)
	}
	col := RenameCollisions([]esclient.Index{idx("logs-2026.11.01", 1, 1), idx("logs-2026.11.02", 1, 1), idx("logs-2026.12.01", 1, 1)}, r)
	if len(col) != 1 || len(col["logs-2026-11"]) != 2 {
		t.Errorf("collisions %v", col)
	}
	if TargetName("x", RestorePlan{}) != "x" {
		t.Error("no rename changed the name")
	}
}

func TestPlanFileRoundTripsAndErrorsNameLineAndField(t *testing.T) {
	p := DefaultPlan()
	p.Source.URL, p.Target.URL = "http://old:9200", "https://new:9200"
	p.Repository.SourceLocation, p.Repository.Shared = "/opt/data/es_backup", true
	p.Indices = []string{"logs-*", "articles"}
	p.Restore.RenamePattern, p.Restore.RenameReplacement = "(.+)", "new-$1"
	back, err := ParsePlan(p.YAML(), "plan.yaml")
	if err != nil {
		t.Fatalf("the written plan does not read back: %v\n%s", err, p.YAML())
	}
	if back.Hash() != func() string { q := p; q.Repository.TargetLocation = q.Repository.SourceLocation; return q.Hash() }() {
		t.Errorf("plan changed on the way: %+v", back)
	}

	bad := map[string]struct {
		yaml  string
		line  int
		field string
	}{
		"typo":       {"version: 1\nsource:\n  url: http://a:9200\n  pasword_env: X\n", 4, "pasword_env"},
		"no url":     {"version: 1\nsource:\n  username: a\n", 2, "source.url"}, // the line of the section that lacks it
		"bad size":   {"version: 1\nsource: {url: 'http://a:9200'}\ntarget: {url: 'http://b:9200'}\nrepository: {source_location: /x, shared: true}\nindices: [a]\nbatch_max_size: lots\n", 6, "batch_max_size"},
		"bad scheme": {"version: 1\nsource:\n  url: es1:9200\n", 3, "source.url"},
		"not yaml":   {"version: [1\n", 1, ""},
	}
	for name, c := range bad {
		_, err := ParsePlan([]byte(c.yaml), "plan.yaml")
		var pe *PlanError
		if !errors.As(err, &pe) {
			t.Errorf("%s: want a PlanError, got %v", name, err)
			continue
		}
		if pe.Line != c.line || pe.Field != c.field {
			t.Errorf("%s: line %d field %q (%v), want line %d field %q", name, pe.Line, pe.Field, err, c.line, c.field)
		}
	}
}

func TestParseBytesReadsElasticsearchSizes(t *testing.T) {
	for in, want := range map[string]int64{"50gb": 50 << 30, "512mb": 512 << 20, "1.5tb": 3 << 39, "100": 100, "8MB": 8 << 20, "1kib": 1024} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "lots", "-1gb", "0"} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) accepted", in)
		}
	}
}

func TestSnapshotAndRepositoryNamesFollowElasticsearchRules(t *testing.T) {
	for _, bad := range []string{"Upper", "a b", "a,b", "_x", "a*", ""} {
		if ValidateSnapshotName(bad) == nil {
			t.Errorf("snapshot name %q accepted", bad)
		}
	}
	if err := ValidateSnapshotName("esmigrate-1a2b-1"); err != nil {
		t.Error(err)
	}
	if ValidateRepositoryName("my repo") == nil || ValidateRepositoryName("esmigrate") != nil {
		t.Error("repository name rules")
	}
}

func TestStateFileIsAtomicPrivateLockedAndTiedToItsPlan(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st := &State{Version: stateVersion, PlanHash: "abc", Batches: []BatchState{{Number: 1, Phase: PhaseRestore}}}
	if err := s.Save(st); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(st); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v", fi.Mode().Perm())
	}
	if _, err := os.Stat(path + ".prev"); err != nil {
		t.Errorf("no previous version kept: %v", err)
	}
	if _, err := OpenStore(path); err == nil || !strings.Contains(err.Error(), "already working on") {
		t.Errorf("a second store on the same state: %v", err)
	}
	if _, err := s.Load("other"); err == nil || !strings.Contains(err.Error(), "another plan") {
		t.Errorf("state of another plan: %v", err)
	}
	got, err := s.Load("abc")
	if err != nil || got.Batches[0].Phase != PhaseRestore {
		t.Errorf("load: %+v %v", got, err)
	}
	os.WriteFile(path, []byte(`{"version":1,"plan_hash":"abc","batches":[{"num`), 0o600)
	if _, err := s.Load("abc"); err == nil || !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), ".prev") {
		t.Errorf("truncated state: %v", err)
	}
}

func TestMeterGivesThroughputAndETA(t *testing.T) {
	m := newMeter()
	t0 := time.Unix(0, 0)
	m.observe(t0, 0, 1000)
	rate, eta := m.observe(t0.Add(2*time.Second), 200, 1000)
	if rate != 100 || eta != 8*time.Second {
		t.Errorf("rate %v eta %v", rate, eta)
	}
}

func TestProgressEventsAreThrottledButEndsAlwaysPass(t *testing.T) {
	var got []Event
	now := time.Unix(0, 0)
	em := newEmitter(func(e Event) { got = append(got, e) }, func() time.Time { return now })
	for i := 0; i < 10; i++ {
		em.emit(Event{Kind: KindProgress, Phase: PhaseSnapshot, Done: Counts{Bytes: int64(i)}, Total: Counts{Bytes: 10}})
	}
	em.emit(Event{Kind: KindProgress, Phase: PhaseSnapshot, Done: Counts{Bytes: 10}, Total: Counts{Bytes: 10}})
	if len(got) != 2 || got[1].Fraction() != 1 {
		t.Errorf("got %d events: %+v", len(got), got)
	}
}

func TestUsableDiskStopsAtTheHighWatermark(t *testing.T) {
	d := esclient.NodeDisk{TotalBytes: 100 << 30, AvailBytes: 30 << 30}
	if got := usableBelowWatermark(d, "90%"); got != 20<<30 {
		t.Errorf("90%%: %s", HumanBytes(got))
	}
	if got := usableBelowWatermark(d, "25gb"); got != 5<<30 {
		t.Errorf("25gb: %s", HumanBytes(got))
	}
	if got := usableBelowWatermark(esclient.NodeDisk{TotalBytes: 100, AvailBytes: 5}, "90%"); got != 0 {
		t.Errorf("full disk: %d", got)
	}
}

func TestPathRepoCheckNamesTheNodesThatLackIt(t *testing.T) {
	s := ClusterSummary{Role: "source", Nodes: []esclient.Node{
		{Name: "es-1", PathRepo: []string{"/opt/data"}},
		{Name: "es-2"},
		{Name: "es-3", PathRepo: []string{"/mnt/other"}},
	}}
	c := pathRepoCheck(s, "/opt/data/es_backup")
	if c.Status != Fail || !strings.Contains(c.Fix, "es-2, es-3") || strings.Contains(c.Fix, "es-1") ||
		!strings.Contains(c.Fix, "path.repo does not include /opt/data/es_backup") {
		t.Errorf("check %+v", c)
	}
	if c := pathRepoCheck(s, "/opt/data2"); c.Status != Fail || !strings.Contains(c.Fix, "es-1") {
		t.Errorf("/opt/data2 is not under /opt/data: %+v", c)
	}
}

func TestPollsComeFastAtAPhasesStartThenOncePerInterval(t *testing.T) {
	interval := time.Second
	var at time.Duration
	var times []time.Duration
	for at < 5*time.Second {
		at += pollDelay(at, interval)
		times = append(times, at)
	}
	if times[0] > 30*time.Millisecond {
		t.Errorf("first poll after %s: a phase that ends at once waits for it", times[0])
	}
	early := 0
	for _, x := range times {
		if x < interval {
			early++
		}
	}
	if early > 7 {
		t.Errorf("%d polls in the first interval: %v", early, times)
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i] - times[i-1]; times[i-1] >= interval && gap != interval {
			t.Errorf("after the first interval polls come every %s, not %s", interval, gap)
		}
	}
}
