package serve

import (
	"fmt"
	"sort"

	"github.com/esmigrate/esmigrate/steps"
)

// eventLog is a run's events as the sessions that watch read them: every event but a progress event that a
// newer one of the same subject (phase, batch, index) replaced. A session that attaches late replays it and
// sees the same progress as one that watched from the start; a six-hour run does not keep every progress tick.
type eventLog struct {
	seq    int            // the last event's number
	items  []loggedEvent  // by number
	latest map[string]int // progress subject → the number of its newest event
	dead   int            // items replaced by a newer progress event, not yet dropped
}

type loggedEvent struct {
	seq  int
	e    steps.Event
	dead bool
}

func progressSubject(e steps.Event) string {
	return fmt.Sprintf("%s/%d/%s", e.Phase, e.Batch, e.Index)
}

// reset empties the log for a new run (numbers go on, so that a session's cursor stays meaningful).
func (l *eventLog) reset() {
	l.items, l.latest, l.dead = nil, map[string]int{}, 0
}

func (l *eventLog) add(e steps.Event) {
	if l.latest == nil {
		l.latest = map[string]int{}
	}
	l.seq++
	if e.Kind == steps.KindProgress {
		k := progressSubject(e)
		if old, ok := l.latest[k]; ok {
			if i := l.find(old); i >= 0 {
				l.items[i].dead = true
				l.dead++
			}
		}
		l.latest[k] = l.seq
	}
	l.items = append(l.items, loggedEvent{seq: l.seq, e: e})
	if l.dead > 1024 && l.dead*2 > len(l.items) {
		kept := l.items[:0]
		for _, it := range l.items {
			if !it.dead {
				kept = append(kept, it)
			}
		}
		clear(l.items[len(kept):])
		l.items, l.dead = kept, 0
	}
}

// find is the position of event number seq (-1 when it was dropped).
func (l *eventLog) find(seq int) int {
	i := sort.Search(len(l.items), func(i int) bool { return l.items[i].seq >= seq })
	if i < len(l.items) && l.items[i].seq == seq {
		return i
	}
	return -1
}

// since is the events after number cursor that are still current, and the number to ask from next time.
func (l *eventLog) since(cursor int) ([]steps.Event, int) {
	i := sort.Search(len(l.items), func(i int) bool { return l.items[i].seq > cursor })
	var out []steps.Event
	for _, it := range l.items[i:] {
		if !it.dead {
			out = append(out, it.e)
		}
	}
	return out, l.seq
}
