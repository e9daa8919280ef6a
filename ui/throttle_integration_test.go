//go:build integration

package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/testenv/envtest"
)

// The wizard's throughput advice on the real test clusters, through the real engine backend: the review probes
// the shares (m), takes the proposal (u), the target cluster's name is typed, the migration runs; the target's
// indices.recovery.max_bytes_per_sec is the proposal while the restore runs and the operator's own value again
// after the run. The setting is read with plain HTTP after each request that the run sends (recorded at the
// wire), not through esclient.

const wizardRecoveryKey = "indices.recovery.max_bytes_per_sec"

// persistentSetting is a cluster's persistent indices.recovery.max_bytes_per_sec ("" when not set).
func persistentSetting(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/_cluster/settings?flat_settings=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s struct {
		Persistent map[string]any `json:"persistent"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	v, _ := s.Persistent[wizardRecoveryKey].(string)
	return v
}

func putPersistentSetting(url string, v any) error {
	b, _ := json.Marshal(map[string]any{"persistent": map[string]any{wizardRecoveryKey: v}})
	req, _ := http.NewRequest(http.MethodPut, url+"/_cluster/settings", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

// repositoryThrottle is a repository's max_snapshot_bytes_per_sec as the cluster has it registered.
func repositoryThrottle(t *testing.T, url, name string) string {
	t.Helper()
	resp, err := http.Get(url + "/_snapshot/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r map[string]struct {
		Settings map[string]any `json:"settings"`
	}
	json.NewDecoder(resp.Body).Decode(&r)
	v, _ := r[name].Settings["max_snapshot_bytes_per_sec"].(string)
	return v
}

func countDocs(t *testing.T, url, index string) int64 {
	t.Helper()
	resp, err := http.Get(url + "/" + index + "/_count")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct {
		Count int64 `json:"count"`
	}
	json.NewDecoder(resp.Body).Decode(&c)
	return c.Count
}

// runEnds is the engine backend with the end of its run reported.
type runEnds struct {
	Backend
	done chan error
}

func (b runEnds) Run(ctx context.Context, p steps.Plan, c steps.Credentials, o RunOptions, pause *steps.PauseGate, on func(steps.Event)) (*steps.Report, error) {
	rep, err := b.Backend.Run(ctx, p, c, o, pause, on)
	b.done <- err
	return rep, err
}

func TestTheWizardsThrottleAdviceEndsWithTheTargetsSettingPutBack(t *testing.T) {
	env := envtest.Load(t)
	ctx := context.Background()
	id := envtest.Unique("wthr")
	const index = "metrics-small"
	p := steps.DefaultPlan()
	p.Source.URL, p.Target.URL = env.SourceURL, env.TargetURL
	p.Repository.Name = id
	p.Repository.SourceLocation, p.Repository.TargetLocation = filepath.Join(env.SourceRepoDir, id), filepath.Join(env.TargetRepoDir, id)
	p.Indices = []string{index}
	p.Restore.RenamePattern, p.Restore.RenameReplacement = "(.+)", id+"-$1"
	dir := t.TempDir()
	p.StateFile, p.ReportDir = filepath.Join(dir, "state.json"), filepath.Join(dir, "reports")
	p.PollInterval = steps.Duration{Duration: 200 * time.Millisecond}
	target := id + "-" + index

	// The operator's own value, there before the migration.
	if err := putPersistentSetting(env.TargetURL, "37mb"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		putPersistentSetting(env.TargetURL, nil)
		for _, r := range []struct{ url, path string }{{env.TargetURL, "/" + target}, {env.TargetURL, "/_snapshot/" + id},
			{env.SourceURL, "/_snapshot/" + id + "/*"}, {env.SourceURL, "/_snapshot/" + id}} {
			req, _ := http.NewRequest(http.MethodDelete, r.url+r.path, nil)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
		os.RemoveAll(p.Repository.TargetLocation)
	})

	// At the wire: the target's setting after each change of its cluster settings, and when the restore is sent.
	var mu sync.Mutex
	var afterPuts, atRestore, atSnapshot []string
	observe := func(s esclient.Sent) {
		if s.Role == "source" && s.Method == http.MethodPut && strings.HasPrefix(s.Path, "/_snapshot/"+id+"/") {
			v := repositoryThrottle(t, env.SourceURL, id)
			mu.Lock()
			atSnapshot = append(atSnapshot, v)
			mu.Unlock()
		}
		if s.Role != "target" {
			return
		}
		switch {
		case s.Method == http.MethodPut && strings.HasPrefix(s.Path, "/_cluster/settings"):
			v := persistentSetting(t, env.TargetURL)
			mu.Lock()
			afterPuts = append(afterPuts, v)
			mu.Unlock()
		case s.Method == http.MethodPost && strings.Contains(s.Path, "/_restore"):
			v := persistentSetting(t, env.TargetURL)
			mu.Lock()
			atRestore = append(atRestore, v)
			mu.Unlock()
		}
	}
	real := engineBackend{lang: "en", observe: observe}
	be := runEnds{Backend: real, done: make(chan error, 1)}

	// What the screens before the review found: the clusters, the indices, the batches, the warnings accepted.
	var creds steps.Credentials
	src, err := real.Probe(ctx, p, "source", creds)
	if err != nil {
		t.Fatal(err)
	}
	dst, err := real.Probe(ctx, p, "target", creds)
	if err != nil {
		t.Fatal(err)
	}
	// The repository step registers the repositories (and verifies them) before the review: without a throttle.
	checks, err := real.ClusterChecks(ctx, p, creds, src, dst, true, func(steps.Event) {})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if c.Status == steps.Fail {
			t.Fatalf("the repository step's check %s failed: %s", c.ID, c.Evidence)
		}
	}
	if got := repositoryThrottle(t, env.SourceURL, id); got != "" {
		t.Fatalf("the repository step registered the source repository with max_snapshot_bytes_per_sec %q", got)
	}
	all, err := real.ListIndices(ctx, p, creds)
	if err != nil {
		t.Fatal(err)
	}
	batches, _ := steps.BatchPreview(p, steps.Select(all, p).Indices)
	if len(batches) != 1 {
		t.Fatalf("batches %+v", batches)
	}
	c := NewCommon(ctx, "en", true)
	s := &Session{Plan: p, Src: src, Dst: dst, Indices: all, Batches: batches, AcceptWarns: true, Acked: map[string]bool{},
		Pause: steps.NewPauseGate(false)}
	h := &harness{t: t, c: c, s: s}
	h.m = NewModel(c, s, be)
	h.run(h.m.Init())
	h.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	h.send(navMsg{to: scrReview})
	rv := h.review()

	// m: the engine probes the shares.
	h.keys("m")
	if !h.await(func() bool { return !rv.measuring }) || s.Advice == nil {
		t.Fatalf("no advice (%v):\n%s", rv.measureErr, h.screen())
	}
	a := *s.Advice
	if a.RestorePerNode <= 0 {
		t.Fatalf("the probe gave no proposal for the target (its read was not measured past the page cache): %+v", a)
	}
	h.mustWrapped("Share throughput from this host: the source share (" + a.SourceDir + ")")
	// u, and the target cluster's name typed.
	h.keys("u")
	h.typeText(dst.Info.ClusterName)
	h.keys("enter")
	if !s.TargetConfirmed || s.Plan.Restore.TargetRecoveryMaxBytesPerSec != a.RestoreSetting() || s.Plan.Repository.MaxSnapshotBytesPerSec != a.SnapshotSetting() {
		t.Fatalf("after the typed name: confirmed %v, plan %+v %+v, advice %+v\n%s", s.TargetConfirmed, s.Plan.Repository, s.Plan.Restore, a, h.screen())
	}
	// The review lists the change and its put-back, from the real engine.
	if !h.await(func() bool { return rv.reqGot == rv.reqSeq }) || strings.Count(rv.curl(), "/_cluster/settings") != 2 {
		t.Fatalf("the review's requests do not change and put back the target's setting:\n%s", rv.curl())
	}
	if !h.await(func() bool { return !rv.list.Running() }) {
		t.Fatalf("the review's checks never ended:\n%s", h.screen())
	}
	h.keys("enter", "y")
	var runErr error
	select {
	case runErr = <-be.done:
	case <-time.After(5 * time.Minute):
		t.Fatalf("the migration did not end in 5 minutes:\n%s", h.screen())
	}
	h.settle()
	if runErr != nil {
		t.Fatalf("the run: %v\n%s", runErr, h.screen())
	}

	mu.Lock()
	defer mu.Unlock()
	want := a.RestoreSetting()
	if len(atRestore) == 0 {
		t.Fatal("no restore request seen at the wire")
	}
	for _, v := range atRestore {
		if v != want {
			t.Errorf("the target's %s was %q when the restore was sent, want the proposal %s", wizardRecoveryKey, v, want)
		}
	}
	if len(atSnapshot) == 0 {
		t.Fatal("no snapshot request seen at the wire")
	}
	for _, v := range atSnapshot {
		if v != a.SnapshotSetting() {
			t.Errorf("the source repository's max_snapshot_bytes_per_sec was %q when the snapshot was sent, want the proposal %s", v, a.SnapshotSetting())
		}
	}
	if len(afterPuts) != 2 || afterPuts[0] != want || afterPuts[1] != "37mb" {
		t.Errorf("the target's %s after each change of its settings: %q, want the proposal %s then the operator's 37mb", wizardRecoveryKey, afterPuts, want)
	}
	if got := persistentSetting(t, env.TargetURL); got != "37mb" {
		t.Errorf("after the run the target's %s is %q, want the operator's 37mb back", wizardRecoveryKey, got)
	}
	if n, m := countDocs(t, env.SourceURL, index), countDocs(t, env.TargetURL, target); n == 0 || n != m {
		t.Errorf("%s: %d documents on the source, %d on the target", index, n, m)
	}
}
