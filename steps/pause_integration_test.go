//go:build integration

package steps_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/steps"
)

// Pausing a running migration, on the test clusters, observed from outside the engine: the source's snapshot
// API, the target's indices, the files in the target's share.

// pauseRun runs the migration on its own goroutine with a pause gate; pauseWhen (called with every event,
// from the engine's goroutine) tells when to pause. It returns what the test needs to follow it.
type pauseRun struct {
	gate   *steps.PauseGate
	paused chan steps.Event // the KindPaused event
	events chan steps.Event // KindPausing, KindPaused, KindResumed, in order
	done   chan error
}

func startPaused(t *testing.T, m *migration, pauseWhen func(steps.Event) bool) *pauseRun {
	t.Helper()
	r := &pauseRun{gate: steps.NewPauseGate(false), paused: make(chan steps.Event, 1), events: make(chan steps.Event, 16), done: make(chan error, 1)}
	asked := false
	eng := m.engine(steps.Options{AcceptWarnings: true, Pause: r.gate}, func(e steps.Event) {
		switch e.Kind {
		case steps.KindPausing, steps.KindResumed:
			r.events <- e
		case steps.KindPaused:
			r.events <- e
			select {
			case r.paused <- e:
			default:
			}
		}
		if !asked && pauseWhen(e) {
			asked = true
			// Not from the listener itself: the engine tells what the pause means through its own events.
			go r.gate.Pause()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	go func() {
		_, err := eng.Run(ctx)
		r.done <- err
	}()
	return r
}

func (r *pauseRun) waitPaused(t *testing.T) steps.Event {
	t.Helper()
	select {
	case e := <-r.paused:
		return e
	case err := <-r.done:
		t.Fatalf("the migration ended without holding (%v)", err)
	case <-time.After(3 * time.Minute):
		t.Fatal("the migration did not hold within 3 minutes")
	}
	return steps.Event{}
}

func (r *pauseRun) finish(t *testing.T) {
	t.Helper()
	r.gate.Resume()
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("the migration after the pause: %v", err)
		}
	case <-time.After(4 * time.Minute):
		t.Fatal("the migration did not finish after the pause")
	}
}

func (r *pauseRun) said() []string {
	var keys []string
	for {
		select {
		case e := <-r.events:
			keys = append(keys, e.Msg.Key)
		default:
			return keys
		}
	}
}

// A pause asked while the snapshot runs: the snapshot is not cancelled (Elasticsearch cannot pause it) and
// ends SUCCESS; the migration holds before the copy: nothing reaches the target's share, no index is
// restored, until it is resumed; then it finishes with equal counts.
func TestPauseDuringTheSnapshotHoldsBeforeTheCopy(t *testing.T) {
	m := newMigration(t, false, "logs-2026.11.01", "logs-2026.11.02")
	m.plan.Repository.MaxSnapshotBytesPerSec = "2mb" // a snapshot of seconds, so that the pause comes while it runs
	r := startPaused(t, m, func(e steps.Event) bool { return e.Kind == steps.KindStart && e.Phase == steps.PhaseSnapshot })
	held := r.waitPaused(t)
	if held.Msg.Key != "steps.pause.held.transfer" {
		t.Errorf("held with %q (%s), want before the copy (steps.pause.held.transfer)", held.Msg.Key, held.Message)
	}
	said := r.said()
	if len(said) == 0 || said[0] != "steps.pause.pausing.snapshot" {
		t.Errorf("the pause was explained as %v, want first steps.pause.pausing.snapshot (the snapshot runs on)", said)
	}

	// The snapshot ran to its end in Elasticsearch.
	snaps := m.snapshots()
	if len(snaps) != 1 || snaps[0].State != "SUCCESS" {
		t.Fatalf("snapshots on the source while paused: %+v, want one SUCCESS", snaps)
	}
	// Held: twice, a second apart, the target's share and indices show nothing of this migration.
	for i := 0; i < 2; i++ {
		if files := repoFiles(t, m.plan.Repository.TargetLocation); len(files) > 0 {
			t.Fatalf("paused before the copy, but the target's share has %d file(s): %v", len(files), files)
		}
		if n := targetIndices(t, m); n > 0 {
			t.Fatalf("paused before the copy, but %d index(es) of this migration exist on the target", n)
		}
		time.Sleep(time.Second)
	}
	r.finish(t)
	m.countsEqual("logs-2026.11.01", "logs-2026.11.02")
}

// A pause asked during the copy: the copy stops after the files in flight. While it holds, the target's share
// holds only complete files (no temporary one), their number does not move, and the repository is not
// complete there (no index.latest); resumed, the migration finishes.
func TestPauseDuringTheCopyStopsAfterTheFilesInFlight(t *testing.T) {
	m := newMigration(t, false, "logs-2026.11.01", "logs-2026.11.02", "logs-2026.11.03")
	m.plan.Copy.BandwidthLimit = "2mb" // about six seconds of copy
	m.plan.Copy.Workers = 1
	r := startPaused(t, m, func(e steps.Event) bool {
		return e.Kind == steps.KindProgress && e.Phase == steps.PhaseTransfer && e.Index == "" && e.Done.Bytes > 0
	})
	held := r.waitPaused(t)
	if held.Msg.Key != "steps.pause.held.copy" {
		t.Fatalf("held with %q (%s), want in the copy (steps.pause.held.copy)", held.Msg.Key, held.Message)
	}
	if said := r.said(); len(said) == 0 || said[0] != "steps.pause.pausing.transfer" {
		t.Errorf("the pause was explained as %v, want first steps.pause.pausing.transfer (after the files in flight)", said)
	}
	first := repoFiles(t, m.plan.Repository.TargetLocation)
	if len(first) == 0 {
		t.Fatal("held in the copy with no file copied: the pause was not asked mid-copy")
	}
	time.Sleep(1500 * time.Millisecond)
	again := repoFiles(t, m.plan.Repository.TargetLocation)
	if len(again) != len(first) {
		t.Errorf("the copy went on while paused: %d files, then %d", len(first), len(again))
	}
	for _, f := range again {
		if strings.Contains(f, ".esmigrate-partial-") {
			t.Errorf("a file in flight was left half written while paused: %s", f)
		}
		if filepath.Base(f) == "index.latest" {
			t.Errorf("the copy finished (index.latest is in place) although it was paused mid-copy")
		}
	}
	r.finish(t)
	m.countsEqual("logs-2026.11.01", "logs-2026.11.02", "logs-2026.11.03")
}

// repoFiles are the files under dir (relative paths), the copy's own hidden lock and marker left out.
func repoFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		if n := d.Name(); n == ".esmigrate-copy.lock" || n == ".esmigrate-copied-from" {
			return nil
		}
		out = append(out, rel)
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

// targetIndices counts this migration's indices on the target.
func targetIndices(t *testing.T, m *migration) int {
	t.Helper()
	all, err := m.dst.Indices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ix := range all {
		if strings.HasPrefix(ix.Name, m.id+"-") {
			n++
		}
	}
	return n
}
