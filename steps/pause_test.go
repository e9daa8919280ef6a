package steps

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestAPauseGateHoldsUntilResumedAndTellsItsWatchers(t *testing.T) {
	g := NewPauseGate(true)
	var turns atomic.Int32
	stop := g.Watch(func(bool) { turns.Add(1) })
	done := make(chan error, 1)
	go func() { done <- g.Wait(context.Background()) }()
	select {
	case err := <-done:
		t.Fatalf("Wait returned while paused: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	g.Resume()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	g.Resume() // no turn: already going
	g.Pause()
	g.Pause() // no turn: already paused
	if n := turns.Load(); n != 2 {
		t.Errorf("%d turns told, want 2 (resume, pause)", n)
	}
	stop()
	g.Resume()
	if n := turns.Load(); n != 2 {
		t.Errorf("a watcher that stopped was told: %d turns", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.Pause()
	cancel()
	if err := g.Wait(ctx); err == nil {
		t.Error("Wait ignored its context")
	}
	var none *PauseGate
	if none.Paused() {
		t.Error("no gate is paused")
	}
}
