package steps

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
)

// The lifecycle pre-flight is tested here on recorded ILM answers (steps/testdata/ilm, copied from Elastic's
// documentation; see its README). This is the one place where recorded answers stand in for a cluster: no test
// runner has ILM. What the runners can show is tested on them (lifecycle_integration_test.go): the target
// without ILM, and a real restore with the lifecycle settings in ignore_index_settings.

func recorded(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "ilm", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// recordedPolicies parses a recorded GET _ilm/policy answer through the same code that reads a cluster's.
func recordedPolicies(t *testing.T, name string) []esclient.MetaItem {
	t.Helper()
	items, err := esclient.ParseMetaListing(esclient.MetaILMPolicy, recorded(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// recordedIndex builds a selected index from a recorded explain answer (as the engine does from the source's).
func recordedIndex(t *testing.T, file, index string, docs int64) LifecycleIndex {
	t.Helper()
	ex, err := esclient.ParseILMExplain(recorded(t, file))
	if err != nil {
		t.Fatal(err)
	}
	x, ok := ex[index]
	if !ok {
		t.Fatalf("%s has no index %s", file, index)
	}
	return LifecycleIndex{Name: index, Policy: x.Policy, CreationMS: x.CreationMS, Docs: docs, PrimaryBytes: 1 << 20, Primaries: 1, Explain: &x}
}

func recordedMode(t *testing.T, file string) string {
	var s struct {
		Mode string `json:"operation_mode"`
	}
	if err := json.Unmarshal(recorded(t, file), &s); err != nil {
		t.Fatal(err)
	}
	return s.Mode
}

// created is my-index-000001's creation date in the recorded answers (1538475653281 ms: 2018-10-02T10:20:53Z).
var created = time.UnixMilli(1538475653281)

func checkByID(checks []Check, id string) (Check, bool) {
	for _, c := range checks {
		if c.ID == id {
			return c, true
		}
	}
	return Check{}, false
}

func TestLifecycleFailsForAnIndexItsPolicyWouldDeleteAtOnce(t *testing.T) {
	in := LifecycleInput{
		Indices:        []LifecycleIndex{recordedIndex(t, "explain-my-index-000001.json", "my-index-000001", 100)},
		TargetMode:     recordedMode(t, "ilm-status-running.json"),
		TargetPolicies: recordedPolicies(t, "get-lifecycle-my_policy.json"),
		Now:            created.Add(45 * 24 * time.Hour),
	}
	checks := LifecycleChecks(in)
	c, ok := checkByID(checks, "lifecycle-delete")
	if !ok || c.Status != Fail {
		t.Fatalf("a 45-day-old index under a policy that deletes at 30d must fail the pre-flight: %+v", checks)
	}
	for _, want := range []string{"my-index-000001", "45d old", "min_age 30d"} {
		if !strings.Contains(c.Evidence, want) {
			t.Errorf("evidence lacks %q: %s", want, c.Evidence)
		}
	}
	for _, want := range []string{"ignore_index_settings", "index.lifecycle.name", "POST _ilm/stop", "POST _ilm/start"} {
		if !strings.Contains(c.Fix, want) {
			t.Errorf("the fix does not offer %q: %s", want, c.Fix)
		}
	}
}

func TestLifecycleLetsAnIndexThatOnlyMovesToWarmPass(t *testing.T) {
	in := LifecycleInput{
		Indices:        []LifecycleIndex{recordedIndex(t, "explain-my-index-000001.json", "my-index-000001", 100)},
		TargetMode:     "RUNNING",
		TargetPolicies: recordedPolicies(t, "get-lifecycle-my_policy.json"),
		Now:            created.Add(12 * 24 * time.Hour),
	}
	checks := LifecycleChecks(in)
	if len(checks) != 1 || checks[0].Status != OK {
		t.Fatalf("a 12-day-old index only enters warm (forcemerge): %+v", checks)
	}
	if !strings.Contains(checks[0].Evidence, "enters the warm phase (min_age 10d: forcemerge)") {
		t.Errorf("the evidence should say what happens at once: %s", checks[0].Evidence)
	}
}

func TestLifecycleIsSatisfiedByIgnoreIndexSettings(t *testing.T) {
	for _, ignore := range [][]string{LifecycleSettings, {"index.lifecycle.*"}} {
		in := LifecycleInput{
			Indices:        []LifecycleIndex{recordedIndex(t, "explain-my-index-000001.json", "my-index-000001", 100)},
			TargetMode:     "RUNNING",
			TargetPolicies: recordedPolicies(t, "get-lifecycle-my_policy.json"),
			IgnoreSettings: ignore,
			Now:            created.Add(45 * 24 * time.Hour),
		}
		checks := LifecycleChecks(in)
		if len(checks) != 1 || checks[0].Status != OK || !strings.Contains(checks[0].Evidence, "without their lifecycle settings") {
			t.Errorf("ignore_index_settings %v: %+v", ignore, checks)
		}
	}
}

func TestLifecycleWithILMPausedOnTheTargetWarnsWhatStartingItWouldDo(t *testing.T) {
	in := LifecycleInput{
		Indices:        []LifecycleIndex{recordedIndex(t, "explain-my-index-000001.json", "my-index-000001", 100)},
		TargetMode:     recordedMode(t, "ilm-status-stopped.json"),
		TargetPolicies: recordedPolicies(t, "get-lifecycle-my_policy.json"),
		Now:            created.Add(45 * 24 * time.Hour),
	}
	c, ok := checkByID(LifecycleChecks(in), "lifecycle-delete")
	if !ok || c.Status != Warn || !strings.Contains(c.Evidence, "once started again") || !strings.Contains(c.Fix, "_ilm/remove") {
		t.Fatalf("with ILM stopped the delete is a warning about POST _ilm/start: %+v", c)
	}
}

func TestLifecycleWarnsAboutAPolicyMissingOnTheTarget(t *testing.T) {
	in := LifecycleInput{
		Indices:        []LifecycleIndex{recordedIndex(t, "explain-test-000069.json", "test-000069", 5)},
		TargetMode:     "RUNNING",
		TargetPolicies: recordedPolicies(t, "get-lifecycle-my_policy.json"), // has my_policy, not my_lifecycle3
		Now:            created.Add(time.Hour),
	}
	c, ok := checkByID(LifecycleChecks(in), "lifecycle-missing-policy")
	if !ok || c.Status != Warn || !strings.Contains(c.Evidence, "my_lifecycle3 (used by test-000069)") || !strings.Contains(c.Fix, "ilm_policy/<name>") {
		t.Fatalf("missing policy: %+v", c)
	}
}

func TestLifecycleWarnsAboutARolloverDueAtOnceAndHonoursMinConditions(t *testing.T) {
	// The target has a policy named my_lifecycle3. What it says does not matter here: the index is in its hot
	// phase, and ILM runs the phase definition it cached (phase_execution of the recorded explain answer:
	// rollover max_age 30s, max_primary_shard_docs 200000000, min_docs 1).
	target := append(recordedPolicies(t, "get-lifecycle-my_policy.json"),
		esclient.MetaItem{Kind: esclient.MetaILMPolicy, Name: "my_lifecycle3", Body: map[string]any{"policy": map[string]any{}}})
	in := LifecycleInput{
		Indices:        []LifecycleIndex{recordedIndex(t, "explain-test-000069.json", "test-000069", 5)},
		TargetMode:     "RUNNING",
		TargetPolicies: target,
		Now:            created.Add(time.Hour),
	}
	c, ok := checkByID(LifecycleChecks(in), "lifecycle-rollover")
	if !ok || c.Status != Warn || !strings.Contains(c.Evidence, "max_age 30s reached") {
		t.Fatalf("an hour-old index under rollover max_age 30s rolls over at once: %+v", LifecycleChecks(in))
	}
	// min_docs 1 is not met by an empty index: ILM does not roll it over.
	in.Indices[0].Docs = 0
	if _, ok := checkByID(LifecycleChecks(in), "lifecycle-rollover"); ok {
		t.Errorf("min_docs 1 holds the rollover of an empty index back: %+v", LifecycleChecks(in))
	}
	// Already rolled over (indexing_complete): no second rollover.
	in.Indices[0].Docs, in.Indices[0].IndexingComplete = 5, true
	if _, ok := checkByID(LifecycleChecks(in), "lifecycle-rollover"); ok {
		t.Errorf("an index with indexing_complete is not rolled over again")
	}
}

func TestLifecycleCountsAPolicyTheMetadataStepCopiesAsPresent(t *testing.T) {
	in := LifecycleInput{
		Indices:    []LifecycleIndex{recordedIndex(t, "explain-my-index-000001.json", "my-index-000001", 100)},
		TargetMode: "RUNNING",
		Copied:     recordedPolicies(t, "get-lifecycle-my_policy.json"), // from the source, chosen in the metadata step
		Now:        created.Add(3 * 24 * time.Hour),
	}
	checks := LifecycleChecks(in)
	if len(checks) != 1 || checks[0].Status != OK || !strings.Contains(checks[0].Evidence, "copied by the metadata step: my_policy") {
		t.Fatalf("a policy the metadata step creates is not missing: %+v", checks)
	}
	in.Now = created.Add(40 * 24 * time.Hour)
	if c, ok := checkByID(LifecycleChecks(in), "lifecycle-delete"); !ok || c.Status != Fail {
		t.Errorf("the copied policy's delete phase still applies at once: %+v", LifecycleChecks(in))
	}
}

func TestLifecycleOnATargetWithoutILMWarnsAndOffersToDropTheSettings(t *testing.T) {
	in := LifecycleInput{
		Indices:     []LifecycleIndex{{Name: "logs-1", Policy: "logs"}},
		TargetNoILM: i18n.Name("GET /_ilm/status answered 405"),
		Now:         created,
	}
	checks := LifecycleChecks(in)
	if len(checks) != 1 || checks[0].Status != Warn || !strings.Contains(checks[0].Fix, "index.lifecycle.name") {
		t.Fatalf("%+v", checks)
	}
	if c := LifecycleChecks(LifecycleInput{Indices: []LifecycleIndex{{Name: "a"}}}); len(c) != 1 || c[0].Status != OK {
		t.Errorf("no lifecycle setting, nothing to say: %+v", c)
	}
}

func TestParseTimeValueReadsElasticsearchUnits(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "0ms": 0, "12h": 12 * time.Hour, "30s": 30 * time.Second,
		"1.5h": 90 * time.Minute, "500micros": 500 * time.Microsecond, "": 0} {
		got, err := ParseTimeValue(in)
		if err != nil || got != want {
			t.Errorf("%q: %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseTimeValue("30 days"); err == nil {
		t.Error("30 days is not a time value")
	}
}

func TestLifecycleWithPauseILMInThePlanWarnsWhatStartingItWouldDo(t *testing.T) {
	in := LifecycleInput{
		Indices:        []LifecycleIndex{recordedIndex(t, "explain-my-index-000001.json", "my-index-000001", 100)},
		TargetMode:     recordedMode(t, "ilm-status-running.json"),
		WillPause:      true, // restore.pause_ilm
		TargetPolicies: recordedPolicies(t, "get-lifecycle-my_policy.json"),
		Now:            created.Add(45 * 24 * time.Hour),
	}
	c, ok := checkByID(LifecycleChecks(in), "lifecycle-delete")
	if !ok || c.Status != Warn || !strings.Contains(c.Evidence, "stopped before the first restore (restore.pause_ilm)") || !strings.Contains(c.Fix, "_ilm/remove") {
		t.Fatalf("with ILM to be stopped by the run the delete is a warning about POST _ilm/start: %+v", c)
	}
}
