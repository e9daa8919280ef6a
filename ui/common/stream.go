package common

import (
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/esmigrate/esmigrate/steps"
)

// Streams: long work (checks, the run) runs on a goroutine of its own and reports through a channel that a
// tea.Cmd reads ("listen for activity"). The work never touches the model; its events arrive as messages.

var lastID atomic.Int64

// working counts the streams' work that has not returned yet.
var working atomic.Int64

// Working is how many streams' work has not returned yet (tests: a harness that runs commands one at a time
// waits for a command while work is busy, instead of taking a screen before a loaded machine ran the work).
func Working() int64 { return working.Load() }

// NewID is an id no other stream or timer of the program has: a screen or component tags its work with it and
// drops the messages of work it no longer waits for (two screens' checklists never take each other's).
func NewID() int { return int(lastID.Add(1)) }

// StreamMsg carries the events that arrived since the last one, and the end of the work when it ended.
type StreamMsg struct {
	ID     int
	Events []steps.Event
	Done   bool
	Result any
	Err    error
	s      *stream
}

// Next is the command that reads the stream's following events (after a StreamMsg that is not Done).
func (m StreamMsg) Next() tea.Cmd {
	s, id := m.s, m.ID
	return func() tea.Msg { return s.read(id) }
}

// Follow hands the events of a message of stream id to apply and tells what comes next: the command that reads
// the stream's following events, or ended when the work has returned (its Result and Err are then set). A
// message of another stream (work the screen no longer waits for) is dropped: no command, not ended.
func (m StreamMsg) Follow(id int, apply func(steps.Event)) (next tea.Cmd, ended bool) {
	if m.ID != id {
		return nil, false
	}
	for _, e := range m.Events {
		apply(e)
	}
	if !m.Done {
		return m.Next(), false
	}
	return nil, true
}

type streamEnd struct {
	result any
	err    error
}

// stream is one piece of work's events (ch, closed when the work returned) and its end (end, written just
// before ch is closed). The end has a channel of its own with room for it, so that the goroutine never waits to
// hand it over: after the program ended nobody reads, and it must still finish.
type stream struct {
	ch  chan steps.Event
	end chan streamEnd
}

// StartStream runs work on its own goroutine and returns the command that reads its first events.
func StartStream(id int, work func(emit func(steps.Event)) (any, error)) tea.Cmd {
	return func() tea.Msg {
		s := &stream{ch: make(chan steps.Event, 2048), end: make(chan streamEnd, 1)}
		working.Add(1)
		go func() {
			res, err := work(s.emit)
			s.end <- streamEnd{res, err}
			close(s.ch)
			working.Add(-1)
		}()
		return s.read(id)
	}
}

// emit hands an event to the UI. Progress may be dropped when the UI lags (the next one says the same, and
// fresher); every other event waits for room.
func (s *stream) emit(e steps.Event) {
	if e.Kind == steps.KindProgress {
		select {
		case s.ch <- e:
		default:
		}
		return
	}
	// Every other event waits for room, but not forever: when the program has ended nobody reads any more,
	// and the engine must still be able to save its state and return.
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case s.ch <- e:
	case <-t.C:
	}
}

// read waits for the next event and takes what else has arrived (up to 256); once the events are all read,
// the end.
func (s *stream) read(id int) tea.Msg {
	m := StreamMsg{ID: id, s: s}
	e, ok := <-s.ch
	for ok {
		m.Events = append(m.Events, e)
		if len(m.Events) == 256 {
			return m
		}
		select {
		case e, ok = <-s.ch:
		default:
			return m
		}
	}
	end := <-s.end
	m.Done, m.Result, m.Err = true, end.result, end.err
	return m
}

// Pending is how many events wait in the stream (tests).
func (m StreamMsg) Pending() int { return len(m.s.ch) }

// Capacity is how many events the stream holds (tests).
func (m StreamMsg) Capacity() int { return cap(m.s.ch) }

// Ended tells whether the work handed over its end (tests).
func (m StreamMsg) Ended() bool { return len(m.s.end) > 0 }

// Reread reads the stream again (tests: a reader that comes back).
func (m StreamMsg) Reread() StreamMsg { return m.s.read(m.ID).(StreamMsg) }

// SpinMsg animates a spinner while the work tagged ID runs.
type SpinMsg struct{ ID int }

// SpinTick is the next frame of the spinner of work id.
func SpinTick(id int) tea.Cmd {
	return tea.Tick(120*time.Millisecond, func(time.Time) tea.Msg { return SpinMsg{id} })
}
