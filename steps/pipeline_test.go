package steps

import (
	"context"
	"strings"
	"sync"
	"testing"

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
