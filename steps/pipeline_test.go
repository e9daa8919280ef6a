package steps

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/nfs"
)

// roomEngine is an engine on two real directories (the shares) with a batch in its copy and one not started.
func roomEngine(t *testing.T, k int, underWay, next int64) (*pipeline, *[]Event) {
	t.Helper()
	var mu sync.Mutex
	var events []Event
	e, _, _ := throttleEngine(t, Options{OnEvent: func(ev Event) { mu.Lock(); events = append(events, ev); mu.Unlock() }})
	e.state = &State{MigrationID: "0123456789", Batches: []BatchState{
		{Number: 1, Phase: PhaseTransfer, SnapshotStarted: true, Indices: []IndexState{{Name: "a", PrimaryBytes: underWay}}},
		{Number: 2, Phase: PhaseSnapshot, Indices: []IndexState{{Name: "b", PrimaryBytes: next}}},
	}}
	e.plan.Repository.SourceLocation, e.plan.Repository.TargetLocation = existingDir(e.plan.SourceLocalPath()), existingDir(e.plan.TargetLocalPath())
	return &pipeline{e: e, k: k, toldWait: map[int]bool{}}, &events
}

func free(t *testing.T, dir string) int64 {
	t.Helper()
	n, err := nfs.FreeBytes(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The next batch's snapshot starts beside a batch under way only when the shares have room for both: the target
// share for its copy and the copy of the batch not copied yet, the source share for its snapshot. It says why it
// waits, once.
func TestTheNextSnapshotWaitsForRoomOnTheShares(t *testing.T) {
	ctx := context.Background()
	p, events := roomEngine(t, 2, 1<<20, 1<<20)
	if !p.room(ctx, &p.e.state.Batches[1]) {
		t.Fatal("1 MiB batches did not get room")
	}

	dstFree := free(t, p.e.plan.TargetLocalPath())
	p, events = roomEngine(t, 2, 2*dstFree, 1) // the batch not copied yet needs more than the target has (twice: others write here too)
	b := &p.e.state.Batches[1]
	if p.room(ctx, b) || p.room(ctx, b) {
		t.Fatal("the next snapshot started although the target share has no room for its copy")
	}
	if len(*events) != 1 || !strings.Contains((*events)[0].Message, "target share "+p.e.plan.TargetLocalPath()) {
		t.Errorf("want one message naming the target share, got %+v", *events)
	}

	srcFree := free(t, p.e.plan.SourceLocalPath())
	p, events = roomEngine(t, 2, 1, 2*srcFree)
	if p.room(ctx, &p.e.state.Batches[1]) {
		t.Fatal("the next snapshot started although the source share has no room for it")
	}
	if len(*events) != 1 || !strings.Contains((*events)[0].Message, "source share "+p.e.plan.SourceLocalPath()) {
		t.Errorf("want one message naming the source share, got %+v", *events)
	}
}

// batches_in_flight caps the batches under way; a batch with nothing else under way always starts (the
// pre-flight checked the shares against the whole selection), and so does one whose snapshot was already sent.
func TestBatchesInFlightCapsTheBatchesUnderWay(t *testing.T) {
	ctx := context.Background()
	p, _ := roomEngine(t, 1, 1, 1)
	if p.room(ctx, &p.e.state.Batches[1]) {
		t.Error("with batches_in_flight 1 a second batch started beside the first")
	}
	p.e.state.Batches[1].SnapshotSent = true
	if !p.room(ctx, &p.e.state.Batches[1]) {
		t.Error("a resumed batch whose snapshot was sent was held back")
	}
	p, _ = roomEngine(t, 2, 1, 1<<62)
	p.e.state.Batches[0].Done = true
	if !p.room(ctx, &p.e.state.Batches[1]) {
		t.Error("a batch with nothing else under way was held back")
	}
}

// deleteEngine is an engine in a run's pipeline whose snapshot lane is taking a snapshot, on a source of the
// given version; its log events go to the channel.
func deleteEngine(t *testing.T, version string) (*Engine, *pipeline, chan Event) {
	t.Helper()
	events := make(chan Event, 16)
	e, _, _ := throttleEngine(t, Options{OnEvent: func(ev Event) { events <- ev }})
	v, err := esclient.ParseVersion(version)
	if err != nil {
		t.Fatal(err)
	}
	e.srcSum.Info = esclient.Info{Distribution: esclient.Elasticsearch, Version: v, VersionText: version}
	e.state = &State{MigrationID: "0123456789", Batches: []BatchState{{Number: 1}, {Number: 2}}}
	p := &pipeline{e: e, k: 2, toldWait: map[int]bool{}, snapshotting: true}
	p.cond = sync.NewCond(&e.lane)
	e.pipe = p
	return e, p, events
}

// Before Elasticsearch 7.9 a snapshot cannot be deleted while another one runs: the clean-up waits, says so,
// until the snapshot lane is idle, and the snapshot lane starts no snapshot until the deletion is over.
func TestBefore79ACleanupWaitsForTheRunningSnapshot(t *testing.T) {
	e, p, events := deleteEngine(t, "7.8.1")
	type result struct {
		snapshottingThen bool
		err              error
	}
	done := make(chan result, 1)
	go func() {
		e.lane.Lock()
		defer e.lane.Unlock()
		err := e.beforeDelete(context.Background(), 1)
		done <- result{p.snapshotting, err}
	}()
	ev := <-events // the clean-up says why it waits: it reached the wait with the snapshot running
	if ev.Msg.Key != "steps.pipeline.wait.delete" {
		t.Fatalf("first event %+v, want steps.pipeline.wait.delete", ev)
	}
	e.lane.Lock()
	p.snapshotting = false // the snapshot lane's snapshot ended
	p.cond.Broadcast()
	e.lane.Unlock()
	r := <-done
	if r.err != nil || r.snapshottingThen {
		t.Fatalf("the deletion went ahead with a snapshot running (%v, %v)", r.snapshottingThen, r.err)
	}
	e.lane.Lock()
	defer e.lane.Unlock()
	if !p.deleting {
		t.Fatal("the snapshot lane is not held back while the snapshot is deleted")
	}
	e.afterDelete()
	if p.deleting {
		t.Fatal("afterDelete did not let the snapshot lane go on")
	}
}

// From 7.9 on the deletion does not wait for the running snapshot.
func TestFrom79ACleanupDeletesBesideTheRunningSnapshot(t *testing.T) {
	e, p, events := deleteEngine(t, "7.9.0")
	e.lane.Lock()
	err := e.beforeDelete(context.Background(), 1)
	e.lane.Unlock()
	if err != nil || p.deleting || len(events) != 0 {
		t.Fatalf("7.9 waited or held the snapshot lane: %v, deleting %v, %d event(s)", err, p.deleting, len(events))
	}
}
