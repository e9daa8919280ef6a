//go:build integration

package steps_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/steps"
)

// The target's restore throttle (issue 13): indices.recovery.max_bytes_per_sec, a setting of the whole target
// cluster, is changed for the migration only with a confirmation, and the operator's value is put back at the
// end, or by the resume after a crash. These tests read the setting with plain HTTP, not through esclient.

const recoveryKey = "indices.recovery.max_bytes_per_sec"

// persistentRecovery is the target's persistent indices.recovery.max_bytes_per_sec ("" when not set).
func persistentRecovery(t *testing.T, url string) string {
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
	v, _ := s.Persistent[recoveryKey].(string)
	return v
}

// setPersistentRecovery sets the operator's own value before a test (nil: unset), and unsets it after.
func setPersistentRecovery(t *testing.T, url string, v any) {
	t.Helper()
	put := func(v any) error {
		b, _ := json.Marshal(map[string]any{"persistent": map[string]any{recoveryKey: v}})
		req, _ := http.NewRequest("PUT", url+"/_cluster/settings", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := put(v); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { put(nil) })
}

// settingsWire records, after each request that changes the target's cluster settings, the value then in force
// (read with plain HTTP: the wire does not keep the client library's request bodies), and the value in force
// when each restore request was sent (restores).
type settingsWire struct {
	t        *testing.T
	url      string
	mu       sync.Mutex
	puts     []string
	restores []string
}

func (w *settingsWire) observe(s esclient.Sent) {
	var into *[]string
	switch {
	case s.Role == "target" && s.Method == "PUT" && strings.HasPrefix(s.Path, "/_cluster/settings"):
		into = &w.puts
	case s.Role == "target" && s.Method == "POST" && strings.Contains(s.Path, "/_restore"):
		into = &w.restores
	default:
		return
	}
	v := persistentRecovery(w.t, w.url)
	w.mu.Lock()
	*into = append(*into, v)
	w.mu.Unlock()
}

// restoredWith fails the test unless restores were sent, each while the target's setting was want.
func (w *settingsWire) restoredWith(want string) {
	w.t.Helper()
	if len(w.restores) == 0 {
		w.t.Fatal("no restore request seen")
	}
	for _, v := range w.restores {
		if v != want {
			w.t.Errorf("the target's %s was %q when a restore was sent, want %s", recoveryKey, v, want)
		}
	}
}

// Without the confirmation the plan's throttle stops the pre-flight, with the flag that confirms it, and the
// target's settings are not touched.
func TestTheTargetRecoveryThrottleNeedsItsConfirmation(t *testing.T) {
	m := newMigration(t, false, "metrics-small")
	m.plan.Restore.TargetRecoveryMaxBytesPerSec = "1mb"
	setPersistentRecovery(t, m.env.TargetURL, "37mb")
	w := &settingsWire{t: t, url: m.env.TargetURL}
	var failed *steps.Check
	_, err := m.engine(steps.Options{AcceptWarnings: true, ObserveRequests: w.observe}, func(e steps.Event) {
		if e.Kind == steps.KindCheck && e.Check != nil && e.Check.ID == "target-recovery-throttle" && e.Check.Status == steps.Fail {
			c := *e.Check
			failed = &c
		}
	}).Run(context.Background())
	if err == nil {
		t.Fatal("the migration ran without the confirmation")
	}
	if failed == nil || !strings.Contains(failed.Fix, "--allow-target-settings") || !strings.Contains(failed.Evidence, "37mb") {
		t.Fatalf("no failed check naming the confirmation and the value now: %+v (%v)", failed, err)
	}
	if len(w.puts) != 0 {
		t.Errorf("the target's settings were changed: %v", w.puts)
	}
	if got := persistentRecovery(t, m.env.TargetURL); got != "37mb" {
		t.Errorf("the target's %s is %q after the refused run, want the operator's 37mb", recoveryKey, got)
	}
}

// With it, the throttle is in force while the restore runs and the operator's value is back after the run.
func TestTheTargetRecoveryThrottleIsInForceDuringTheRestoreAndPutBackAfter(t *testing.T) {
	m := newMigration(t, false, "metrics-small")
	m.plan.Restore.TargetRecoveryMaxBytesPerSec = "123mb"
	setPersistentRecovery(t, m.env.TargetURL, "37mb")
	w := &settingsWire{t: t, url: m.env.TargetURL}
	rep, err := m.engine(steps.Options{AcceptWarnings: true, AllowTargetSettings: true, ObserveRequests: w.observe}).Run(context.Background())
	if err != nil {
		t.Fatalf("%v (%+v)", err, rep)
	}
	m.countsEqual("metrics-small")
	w.restoredWith("123mb") // the plan's
	if got := persistentRecovery(t, m.env.TargetURL); got != "37mb" {
		t.Errorf("the target's %s is %q after the run, want the operator's 37mb back", recoveryKey, got)
	}
	if len(w.puts) != 2 || w.puts[0] != "123mb" || w.puts[1] != "37mb" {
		t.Errorf("the target's %s after each change of its settings: %q, want the plan's 123mb then the operator's 37mb", recoveryKey, w.puts)
	}
}

// A run killed while the throttle is in force leaves it; the resume puts the operator's value back, not the
// value the killed run had set (the state recorded it before the change was sent).
func TestAResumeAfterACrashPutsTheTargetRecoveryThrottleBack(t *testing.T) {
	m := newMigration(t, false, "logs-2026.11.02")
	m.plan.Restore.TargetRecoveryMaxBytesPerSec = "1mb" // slow: the restore of 2 MB is still running at the kill
	setPersistentRecovery(t, m.env.TargetURL, "37mb")
	run := start(t, nil, "run", "--plan", writePlan(t, m.plan), "--accept-warnings", "--allow-target-settings")
	if !run.waitFor(inProgress(steps.PhaseRestore)) {
		_, out := run.wait()
		t.Fatalf("never saw the restore in progress:\n%s", out)
	}
	run.cmd.Process.Signal(syscall.SIGKILL)
	run.wait()
	if got := persistentRecovery(t, m.env.TargetURL); got != "1mb" {
		t.Fatalf("after the kill the target's %s is %q, want the killed run's 1mb still in force", recoveryKey, got)
	}
	res := start(t, nil, "resume", "--state", m.plan.StateFile, "--allow-target-settings")
	code, out := res.wait()
	if code != 0 {
		t.Fatalf("resume: exit %d\n%s", code, out)
	}
	if got := persistentRecovery(t, m.env.TargetURL); got != "37mb" {
		t.Errorf("after the resume the target's %s is %q, want the operator's 37mb back\n%s", recoveryKey, got, out)
	}
	m.countsEqual("logs-2026.11.02")
}

// sourceRepoThrottle is the source repository's registered max_snapshot_bytes_per_sec ("" when none).
func sourceRepoThrottle(t *testing.T, url, name string) string {
	t.Helper()
	resp, err := http.Get(url + "/_snapshot/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r map[string]struct {
		Settings map[string]any `json:"settings"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	v, _ := r[name].Settings["max_snapshot_bytes_per_sec"].(string)
	return v
}

// A repository registered before with other throttles (the wizard's repository step registers it before the
// review takes the proposed throttle) is registered again at its location: the snapshot is taken with the
// plan's throttle, read from the cluster when the snapshot request is sent.
func TestARepositoryRegisteredWithOtherThrottlesTakesThePlans(t *testing.T) {
	m := newMigration(t, false, "metrics-small")
	// registered as the repository step does, without a throttle
	if err := m.engine(steps.Options{}).EnsureRepositories(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := sourceRepoThrottle(t, m.env.SourceURL, m.plan.Repository.Name); got != "" {
		t.Fatalf("registered with max_snapshot_bytes_per_sec %q before the test", got)
	}
	m.plan.Repository.MaxSnapshotBytesPerSec = "321mb"
	var mu sync.Mutex
	var atSnapshot []string
	observe := func(s esclient.Sent) {
		if s.Role == "source" && s.Method == "PUT" && strings.HasPrefix(s.Path, "/_snapshot/"+m.plan.Repository.Name+"/") {
			v := sourceRepoThrottle(t, m.env.SourceURL, m.plan.Repository.Name)
			mu.Lock()
			atSnapshot = append(atSnapshot, v)
			mu.Unlock()
		}
	}
	rep, err := m.engine(steps.Options{AcceptWarnings: true, ObserveRequests: observe}).Run(context.Background())
	if err != nil {
		t.Fatalf("%v (%+v)", err, rep)
	}
	m.countsEqual("metrics-small")
	if len(atSnapshot) == 0 {
		t.Fatal("no snapshot request seen")
	}
	for _, v := range atSnapshot {
		if v != "321mb" {
			t.Errorf("the source repository's max_snapshot_bytes_per_sec was %q when the snapshot was sent, want the plan's 321mb", v)
		}
	}
}

// A run confirmed with --allow-target-settings records the confirmation in its state before anything is sent. It
// is stopped before it changed the target's setting (at the registration of the repositories): the resume
// without the flag takes the record as the confirmation, the throttle is in force during the restore and the
// operator's value is back at the end. The same state without the record: the resume stops, naming the
// confirmation, and the target's settings are not touched.
func TestAResumeTakesTheConfirmationOfTheTargetSettingRecordedInTheState(t *testing.T) {
	for _, recorded := range []bool{true, false} {
		m := newMigration(t, false, "metrics-small")
		m.plan.Restore.TargetRecoveryMaxBytesPerSec = "123mb"
		setPersistentRecovery(t, m.env.TargetURL, "37mb")
		ctx, cancel := context.WithCancel(context.Background())
		w := &settingsWire{t: t, url: m.env.TargetURL}
		_, err := m.engine(steps.Options{AcceptWarnings: true, AllowTargetSettings: true, ObserveRequests: func(s esclient.Sent) {
			w.observe(s)
			if _, err := os.Stat(m.plan.StateFile); err == nil && strings.HasPrefix(s.Path, "/_snapshot/") {
				cancel() // the batches are planned and saved: stopped at the repositories, before the target's setting
			}
		}}).Run(ctx)
		cancel()
		var stop *steps.StoppedError
		if !errors.As(err, &stop) {
			t.Fatalf("the first run was not stopped at the repositories: %v", err)
		}
		if len(w.puts) != 0 || persistentRecovery(t, m.env.TargetURL) != "37mb" {
			t.Fatalf("the stopped run changed the target's settings: %v", w.puts)
		}
		st, err := steps.ReadState(m.plan.StateFile)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, ok := st.UnconfirmedTargetSetting(); ok {
			t.Fatalf("the state does not record the confirmation: %+v", st.TargetSettings)
		}
		if !recorded {
			b, _ := os.ReadFile(m.plan.StateFile)
			var raw map[string]any
			if err := json.Unmarshal(b, &raw); err != nil {
				t.Fatal(err)
			}
			delete(raw, "target_settings")
			b, _ = json.Marshal(raw)
			if err := os.WriteFile(m.plan.StateFile, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}

		resumed := &settingsWire{t: t, url: m.env.TargetURL}
		rep, err := m.engine(steps.Options{Resuming: true, AcceptWarnings: true, ObserveRequests: resumed.observe}).Run(context.Background())
		if !recorded {
			if err == nil || !strings.Contains(err.Error(), "--allow-target-settings") {
				t.Fatalf("a resume without the record ran without asking for the confirmation: %v", err)
			}
			if len(resumed.puts) != 0 || len(resumed.restores) != 0 || persistentRecovery(t, m.env.TargetURL) != "37mb" {
				t.Fatalf("a resume without the confirmation changed the target's settings (%v) or restored (%v)", resumed.puts, resumed.restores)
			}
			continue
		}
		if err != nil {
			t.Fatalf("resume: %v (%+v)", err, rep)
		}
		m.countsEqual("metrics-small")
		resumed.restoredWith("123mb") // the confirmed value
		if len(resumed.puts) != 2 || resumed.puts[0] != "123mb" || resumed.puts[1] != "37mb" {
			t.Errorf("the target's %s after each change of its settings: %q, want 123mb then the operator's 37mb", recoveryKey, resumed.puts)
		}
	}
}
