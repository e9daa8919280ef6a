package steps

import (
	"context"
	"sync"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/nfs"
)

// Pausing a running migration. Elasticsearch cannot pause a snapshot or a restore it is running, so a pause
// lets the Elasticsearch operation in progress run to its end and holds the migration before its next phase;
// a repository copy (which esmigrate itself does) stops after the files in flight. Nothing is cancelled and no
// request is sent while the migration holds.
//
// The engine checks its PauseGate (Options.Pause) before each phase of a batch and the copy checks it before
// each file; the wizard's pause key and esmigrate serve turn it. What happens is said in events that every
// viewer sees: KindPausing when the pause was asked (what still runs, and where it will hold), KindPaused
// when it holds, KindResumed when it goes on.

// Event kinds of a pause. Their events carry no batch number (Batch 0: they are not a phase's progress); the
// batch is in their message.
const (
	KindPausing Kind = "pausing" // a pause was asked: what runs on, and where the migration will hold
	KindPaused  Kind = "paused"  // the migration holds (nothing of it runs in Elasticsearch or in the copy)
	KindResumed Kind = "resumed" // the pause ended
)

// PauseGate is a pause switch shared by whoever pauses (the wizard) and the engine that honours it. The zero
// value is not usable: NewPauseGate.
type PauseGate struct {
	mu      sync.Mutex
	paused  bool
	resumed chan struct{} // closed when the pause ends; a new one at each pause
	next    int
	watch   map[int]func(paused bool)
}

// NewPauseGate is a gate, paused from the start when paused is true (esmigrate serve restarted while its
// migration was paused).
func NewPauseGate(paused bool) *PauseGate {
	g := &PauseGate{resumed: make(chan struct{}), watch: map[int]func(bool){}}
	if !paused {
		close(g.resumed)
	}
	g.paused = paused
	return g
}

// Paused tells whether a pause is asked.
func (g *PauseGate) Paused() bool {
	if g == nil {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.paused
}

// Pause asks the migration to hold at its next phase (or, in a copy, after the files in flight). It returns at
// once; the watchers are told on the caller's goroutine.
func (g *PauseGate) Pause() { g.set(true) }

// Resume ends a pause.
func (g *PauseGate) Resume() { g.set(false) }

func (g *PauseGate) set(paused bool) {
	g.mu.Lock()
	if g.paused == paused {
		g.mu.Unlock()
		return
	}
	g.paused = paused
	if paused {
		g.resumed = make(chan struct{})
	} else {
		close(g.resumed)
	}
	var fs []func(bool)
	for _, f := range g.watch {
		fs = append(fs, f)
	}
	g.mu.Unlock()
	for _, f := range fs {
		f(paused)
	}
}

// Watch calls f (on the goroutine that turned the gate) each time the gate turns, until the returned stop is
// called.
func (g *PauseGate) Watch(f func(paused bool)) (stop func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	id := g.next
	g.next++
	g.watch[id] = f
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		delete(g.watch, id)
	}
}

// Wait returns at once when no pause is asked, else when the pause ends (or ctx's error).
func (g *PauseGate) Wait(ctx context.Context) error {
	g.mu.Lock()
	ch := g.resumed
	g.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// position is where the engine is: the batch and the phase it runs (or is about to run).
type position struct {
	batch int
	phase Phase
}

// pauseWatch makes the engine tell, for the length of a run, when a pause is asked and what it means at the
// point the run is at. It returns the function that stops it.
func (e *Engine) pauseWatch() func() {
	g := e.opts.Pause
	if g == nil || e.opts.DryRun {
		return func() {}
	}
	return g.Watch(func(paused bool) {
		if paused {
			e.pausing()
		}
	})
}

// pausing says what a pause asked now lets finish, and where the migration will hold.
func (e *Engine) pausing() {
	e.saidPausing.Store(true)
	p, _ := e.where.Load().(position)
	var m i18n.Msg
	switch p.phase {
	case PhaseSnapshot, PhaseTransfer, PhaseRestore, PhaseVerify, PhaseCleanup:
		m = i18n.M("steps.pause.pausing."+string(p.phase), p.batch)
	default:
		m, p.phase = i18n.M("steps.pause.pausing.start"), PhasePlan
	}
	e.emit(Event{Kind: KindPausing, Phase: p.phase, Batches: e.batches(), Msg: m})
}

// holdBeforePhase is the pause point between phases (runBatch calls it before each): while a pause is asked
// the batch does not start its next phase. A phase that had started before (a resumed run follows a snapshot
// or restore that Elasticsearch still runs) is not held: it is followed to its end, like any phase in flight.
func (e *Engine) holdBeforePhase(ctx context.Context, b *BatchState) error {
	e.where.Store(position{batch: b.Number, phase: b.Phase})
	g := e.opts.Pause
	if g == nil || e.opts.DryRun || !g.Paused() {
		return nil
	}
	if !b.Times[b.Phase].Start.IsZero() {
		if !e.saidPausing.Load() {
			e.pausing() // paused before this run started (a restarted server): say what runs on
		}
		return nil
	}
	held := i18n.M("steps.pause.held.next", b.Number) // a phase this file does not know yet
	switch b.Phase {
	case PhaseSnapshot, PhaseTransfer, PhaseRestore, PhaseVerify, PhaseCleanup:
		held = i18n.M("steps.pause.held."+string(b.Phase), b.Number)
	}
	return e.hold(ctx, g, held, b.Phase)
}

func (e *Engine) hold(ctx context.Context, g *PauseGate, held i18n.Msg, phase Phase) error {
	e.emit(Event{Kind: KindPaused, Phase: phase, Batches: e.batches(), Msg: held})
	if err := g.Wait(ctx); err != nil {
		return err
	}
	e.saidPausing.Store(false)
	m := i18n.M("steps.pause.resumed")
	e.emit(Event{Kind: KindResumed, Phase: phase, Batches: e.batches(), Msg: m})
	return nil
}

// copyPause is the copy's pause point (nfs.Pauser): the copy asks it before each file, and holds once the
// files in flight are written, made durable and renamed.
type copyPause struct {
	e     *Engine
	batch int
}

// copyPauser is the copy's pause point of batch b; nil (no pause point) without a gate.
func (e *Engine) copyPauser(b *BatchState) nfs.Pauser {
	if e.opts.Pause == nil || e.opts.DryRun {
		return nil
	}
	return &copyPause{e: e, batch: b.Number}
}

// Paused tells the copy to stop handing out files.
func (p *copyPause) Paused() bool { return p.e.opts.Pause.Paused() }

// Hold waits, once the files in flight are done (filesDone of filesTotal), for the pause to end.
func (p *copyPause) Hold(ctx context.Context, filesDone, filesTotal int) error {
	return p.e.hold(ctx, p.e.opts.Pause, i18n.M("steps.pause.held.copy", p.batch, filesDone, filesTotal), PhaseTransfer)
}
