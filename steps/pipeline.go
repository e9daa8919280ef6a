package steps

import (
	"context"
	"errors"
	"sync"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/nfs"
)

// Batches in a pipeline (issue 13). The by-hand procedure takes one batch after the other: snapshot, copy,
// restore, verify. Most of that time Elasticsearch works and esmigrate waits, and a snapshot of the next batch
// needs nothing of the previous one: so while batch N is copied, restored and verified, batch N+1's snapshot
// runs. Two lanes share the batches:
//
//   - the snapshot lane takes the batches' snapshots in order, one at a time (no concurrent snapshots are
//     needed, so this works on every version), and starts the next one only while fewer than the plan's
//     batches_in_flight batches are under way and the shares have room for it;
//   - the rest lane takes each batch, once its snapshot is done, through the copy, restore, verification and
//     clean-up, in order.
//
// The copy reads only what the repository's current generation names (nfs/repofiles.go), never the files of the
// snapshot running beside it. Deleting a snapshot while another one runs needs Elasticsearch 7.9: on older
// versions a clean-up waits for the snapshot lane to be idle, and the snapshot lane waits for the deletion.
//
// Both lanes run the same per-batch state machine as before (runBatch), each on its own batches, so the state
// file and resume stay what they were: a resume finds each batch where it was, follows a snapshot or a restore
// Elasticsearch still runs, and goes on. The lanes hold the engine lock (Engine.lane) while they work and let
// go of it only while they wait (between polls, for each other) and while the copy runs; so the state, the
// estimator and the events are touched by one lane at a time, and a state file written by one lane holds the
// other's batch at a point where that lane sent or waited for something, which resume handles as it handles a
// process killed there.

// laneKey marks a lane's context: it holds the engine lock, which unlocked lets go of.
type laneKey struct{}

// unlocked runs f without the engine lock when ctx is a lane's (the lane's own goroutine only: goroutines that
// a lane starts inherit its context but do not hold the lock, and must not call it). f must not touch the state.
func (e *Engine) unlocked(ctx context.Context, f func()) {
	if l, _ := ctx.Value(laneKey{}).(*sync.Mutex); l != nil {
		l.Unlock()
		defer l.Lock()
	}
	f()
}

// pipeline is the coordination of the two lanes: everything here is read and written under the engine lock.
type pipeline struct {
	e    *Engine
	cond *sync.Cond // on the engine lock: a lane waits on it, and every change of a batch's phase wakes them
	k    int        // batches in flight at most

	snapshotting bool // the snapshot lane takes or follows a snapshot
	deleting     bool // the rest lane deletes a snapshot (clean-up)
	snapEnded    bool // the snapshot lane takes no more snapshots: all taken, failed or stopped
	restFailed   bool // the rest lane stopped with an error: no snapshot is started after it
	toldWait     map[int]bool
}

// runBatches takes every batch not done through its phases in the two lanes, and returns the first error
// (a *StoppedError when the run was stopped).
func (e *Engine) runBatches(ctx context.Context) error {
	p := &pipeline{e: e, k: e.plan.InFlight(), toldWait: map[int]bool{}}
	p.cond = sync.NewCond(&e.lane)
	e.lane.Lock()
	e.pipe = p
	e.lane.Unlock()
	defer func() {
		e.lane.Lock()
		e.pipe = nil
		e.lane.Unlock()
	}()
	// A stop wakes the lanes wherever they wait for each other.
	stopWake := context.AfterFunc(ctx, func() {
		e.lane.Lock()
		p.cond.Broadcast()
		e.lane.Unlock()
	})
	defer stopWake()
	lctx := context.WithValue(ctx, laneKey{}, &e.lane)

	var snapErr, restErr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		e.lane.Lock()
		defer e.lane.Unlock()
		snapErr = p.snapshots(lctx)
		p.snapEnded = true
		p.cond.Broadcast()
	}()
	go func() {
		defer wg.Done()
		e.lane.Lock()
		defer e.lane.Unlock()
		restErr = p.rest(lctx)
		var stop *StoppedError
		if restErr != nil && !errors.As(restErr, &stop) {
			p.restFailed = true
		}
		p.cond.Broadcast()
	}()
	wg.Wait()

	var stop *StoppedError
	switch {
	case ctx.Err() != nil:
		// Stopped: say where, by the first batch not done (the one resume goes on with first).
		for i := range e.state.Batches {
			if b := &e.state.Batches[i]; !b.Done {
				return &StoppedError{Phase: b.Phase, Batch: b.Number, StatePath: e.plan.StateFile}
			}
		}
		if errors.As(restErr, &stop) {
			return restErr
		}
		return snapErr
	case restErr != nil:
		return restErr // the earlier batch's
	}
	return snapErr
}

// inFlight tells whether a batch is under way: its snapshot was sent and it is not done.
func inFlight(b *BatchState) bool {
	return !b.Done && (b.Phase != PhaseSnapshot || b.SnapshotSent || b.SnapshotStarted)
}

// snapshots is the snapshot lane.
func (p *pipeline) snapshots(ctx context.Context) error {
	e := p.e
	for i := range e.state.Batches {
		b := &e.state.Batches[i]
		if b.Done || b.Phase != PhaseSnapshot {
			continue
		}
		for {
			if ctx.Err() != nil {
				return &StoppedError{Phase: b.Phase, Batch: b.Number, StatePath: e.plan.StateFile}
			}
			if p.restFailed {
				return nil // the migration stops after the batch that failed: start nothing new
			}
			if !p.deleting && p.room(ctx, b) {
				break
			}
			p.cond.Wait()
		}
		p.snapshotting = true
		err := e.runBatch(ctx, b, nextPhase(PhaseSnapshot))
		p.snapshotting = false
		p.cond.Broadcast()
		if err != nil {
			return err
		}
	}
	return nil
}

// room tells whether batch b's snapshot may start: fewer than k batches are under way besides it, and the shares
// have room for it (the source's for its snapshot; the target's for its copy and those of the batches in flight
// not copied yet). A batch whose snapshot was already sent (a resumed run) is followed at once; with nothing else
// under way a batch always starts (the pre-flight checked the shares against the whole selection, and the copy
// checks the target's free space again before it writes).
func (p *pipeline) room(ctx context.Context, b *BatchState) bool {
	e := p.e
	if b.SnapshotSent || b.SnapshotStarted {
		return true
	}
	others := 0
	var notCopied int64
	for i := range e.state.Batches {
		o := &e.state.Batches[i]
		if o == b || !inFlight(o) {
			continue
		}
		others++
		if o.Phase == PhaseSnapshot || o.Phase == PhaseTransfer {
			notCopied += o.primaryBytes()
		}
	}
	if others >= p.k {
		return false
	}
	if others == 0 {
		return true
	}
	need := b.primaryBytes()
	var srcFree, dstFree int64
	var srcErr, dstErr error
	e.unlocked(ctx, func() {
		srcFree, srcErr = nfs.FreeBytes(ctx, e.plan.SourceLocalPath())
		if !e.plan.Repository.Shared {
			dstFree, dstErr = nfs.FreeBytes(ctx, e.plan.TargetLocalPath())
		}
	})
	var why i18n.Msg
	switch {
	case srcErr == nil && srcFree < need:
		why = i18n.M("steps.pipeline.wait.source", b.Number, e.plan.SourceLocalPath(), HumanBytes(srcFree), HumanBytes(need))
	case !e.plan.Repository.Shared && dstErr == nil && dstFree < need+notCopied:
		why = i18n.M("steps.pipeline.wait.target", b.Number, e.plan.TargetLocalPath(), HumanBytes(dstFree), HumanBytes(need), HumanBytes(notCopied))
	default:
		return true
	}
	if !p.toldWait[b.Number] {
		p.toldWait[b.Number] = true
		e.emit(Event{Kind: KindLog, Level: LevelInfo, Phase: PhaseSnapshot, Batch: b.Number, Batches: e.batches(), Msg: why})
	}
	return false
}

// primaryBytes is the batch's primary data: what its snapshot and its copy take on the shares, about.
func (b *BatchState) primaryBytes() int64 {
	var n int64
	for _, ix := range b.Indices {
		n += ix.PrimaryBytes
	}
	return n
}

// rest is the rest lane: each batch, once its snapshot is done, to its end.
func (p *pipeline) rest(ctx context.Context) error {
	e := p.e
	for i := range e.state.Batches {
		b := &e.state.Batches[i]
		if b.Done {
			continue
		}
		for b.Phase == PhaseSnapshot {
			if ctx.Err() != nil {
				return &StoppedError{Phase: b.Phase, Batch: b.Number, StatePath: e.plan.StateFile}
			}
			if p.snapEnded {
				return nil // its snapshot will not be taken in this run (the snapshot lane failed or stopped)
			}
			p.cond.Wait()
		}
		err := e.runBatch(ctx, b, "")
		p.cond.Broadcast()
		if err != nil {
			return err
		}
	}
	return nil
}

// beforeDelete is called by a clean-up before it deletes a snapshot: on a source that cannot delete a snapshot
// while another one runs (before 7.9), it waits until the snapshot lane is idle and keeps it from starting one
// until afterDelete.
func (e *Engine) beforeDelete(ctx context.Context, batch int) error {
	p := e.pipe
	if p == nil || concurrentSnapshotOps(e.srcSum) {
		return nil
	}
	told := false
	for p.snapshotting {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !told {
			told = true
			m := i18n.M("steps.pipeline.wait.delete", batch, e.srcSum.Info.VersionText)
			e.emit(Event{Kind: KindLog, Level: LevelInfo, Phase: PhaseCleanup, Batch: batch, Batches: e.batches(), Msg: m})
		}
		p.cond.Wait()
	}
	p.deleting = true
	return nil
}

// afterDelete lets the snapshot lane go on after a deletion.
func (e *Engine) afterDelete() {
	if p := e.pipe; p != nil && p.deleting {
		p.deleting = false
		p.cond.Broadcast()
	}
}

// concurrentSnapshotOps tells whether the source deletes a snapshot while another one runs: Elasticsearch 7.9
// and later (elastic/elasticsearch#56911), and OpenSearch (forked from 7.10).
func concurrentSnapshotOps(s ClusterSummary) bool {
	if s.Info.Distribution == esclient.OpenSearch {
		return true
	}
	v := s.Info.Version
	return v.Major > 7 || v.Major == 7 && v.Minor >= 9
}
