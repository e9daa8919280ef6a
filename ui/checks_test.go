package ui

import (
	"context"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/esmigrate/esmigrate/steps"
)

// Starting the checks again cancels those still running: nobody reads their results any more.
func TestChecklistRestartCancelsTheRunningChecks(t *testing.T) {
	l := newChecklist(nil)
	started := make(chan context.Context, 2)
	work := func(ctx context.Context, _ func(steps.Event)) ([]steps.Check, error) {
		started <- ctx
		<-ctx.Done()
		return nil, ctx.Err()
	}
	for _, cmd := range l.start(context.Background(), 1, work)().(tea.BatchMsg) {
		go cmd() // the stream (it waits for the work) and the spinner's tick
	}
	first := <-started
	l.start(context.Background(), 2, work)
	select {
	case <-first.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the first checks still run after the second start")
	}
}
