package ui

import (
	"errors"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/steps"
)

// A stream's goroutine ends even when nobody reads any more (the program ended) and its channel is full; a
// reader that comes back still gets every event left and the end.
func TestStreamEndsWithoutAReader(t *testing.T) {
	gate := make(chan struct{})
	errEnd := errors.New("the end")
	msg := startStream(7, func(emit func(steps.Event)) (any, error) {
		emit(steps.Event{Kind: steps.KindStart})
		<-gate
		for i := 0; i < 3000; i++ { // more than the channel holds: the rest are dropped
			emit(steps.Event{Kind: steps.KindProgress})
		}
		return "result", errEnd
	})().(streamMsg)
	if msg.id != 7 || len(msg.events) != 1 || msg.done {
		t.Fatalf("first read: %+v", msg)
	}
	close(gate)
	deadline := time.Now().Add(5 * time.Second)
	for len(msg.s.end) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the stream's goroutine is still waiting to hand over the end")
		}
		time.Sleep(10 * time.Millisecond)
	}
	n := 0
	for !msg.done {
		msg = msg.s.read(7).(streamMsg)
		n += len(msg.events)
	}
	if n != cap(msg.s.ch) || msg.result != "result" || msg.err != errEnd {
		t.Fatalf("read %d events (want %d), end %v %v", n, cap(msg.s.ch), msg.result, msg.err)
	}
}
