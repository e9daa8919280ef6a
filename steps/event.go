// Package steps is the migration engine: every step of the procedure as plain Go, with no UI. The wizard (ui)
// and the headless mode (esmigrate run --plan) drive the same code and see the same progress events.
package steps

import (
	"fmt"
	"sync"
	"time"

	"github.com/esmigrate/esmigrate/i18n"
)

// Phase is a step of the procedure.
type Phase string

// The phases, in the order a migration goes through them. Snapshot to Cleanup repeat for every batch.
const (
	PhaseConnect    Phase = "connect"
	PhasePreflight  Phase = "preflight"
	PhaseRepository Phase = "repository"
	PhasePlan       Phase = "plan"
	PhaseSnapshot   Phase = "snapshot"
	PhaseTransfer   Phase = "transfer"
	PhaseRestore    Phase = "restore"
	PhaseVerify     Phase = "verify"
	PhaseCleanup    Phase = "cleanup"
	PhaseReport     Phase = "report"
	// A live migration (live.go): catch-up rounds after the first pass, and the cut-over.
	PhaseCatchUp Phase = "catchup"
	PhaseCutover Phase = "cutover"
)

// BatchPhases are the phases every batch goes through, in order.
var BatchPhases = []Phase{PhaseSnapshot, PhaseTransfer, PhaseRestore, PhaseVerify, PhaseCleanup}

// Kind says what an event is about.
type Kind string

// Event kinds.
const (
	KindStart    Kind = "start"    // a phase (or an index within it) began
	KindProgress Kind = "progress" // counters moved
	KindDone     Kind = "done"     // a phase (or an index within it) finished
	KindLog      Kind = "log"      // something worth telling the operator
	KindRequest  Kind = "request"  // a request that changes something was sent (Curl holds it)
	KindCheck    Kind = "check"    // a pre-flight check finished (Check holds it)
	KindError    Kind = "error"    // a phase failed (Message says why and what to do)
)

// Level is how much an event matters.
type Level string

// Levels.
const (
	LevelInfo  Level = "info"
	LevelWarn  Level = "warn"
	LevelError Level = "error"
)

// Counts are units of work.
type Counts struct {
	Bytes  int64 `json:"bytes"`
	Shards int   `json:"shards"`
	Files  int   `json:"files"`
	Docs   int64 `json:"docs,omitempty"` // documents read (content verification)
}

// Event is the one type of every progress report: snapshot, copy, restore, verification alike.
type Event struct {
	Time    time.Time     `json:"time"`
	Kind    Kind          `json:"kind"`
	Level   Level         `json:"level,omitempty"`
	Phase   Phase         `json:"phase"`
	Batch   int           `json:"batch,omitempty"`   // 1-based; 0 outside batches
	Batches int           `json:"batches,omitempty"` // how many batches the plan has
	Index   string        `json:"index,omitempty"`   // "" when the event is about the whole phase
	Done    Counts        `json:"done"`
	Total   Counts        `json:"total"`
	Rate    float64       `json:"bytes_per_second,omitempty"`
	DocRate float64       `json:"docs_per_second,omitempty"`
	ETA     time.Duration `json:"eta,omitempty"`
	Message string        `json:"message,omitempty"`
	// Msg is Message as a message key with arguments (package i18n), where the engine gives one; Message then
	// holds its English (what logs and the headless mode in English print).
	Msg   i18n.Msg `json:"msg,omitzero"`
	Curl  string   `json:"curl,omitempty"`
	Check *Check   `json:"check,omitempty"`
	// Estimate is the run's progress and time left as the engine's one estimator saw it when this event was
	// emitted (estimate.go); nil outside a run's batches. Every display of progress reads it.
	Estimate *Estimate `json:"estimate,omitempty"`
	// Round is the catch-up round the event belongs to (live.go; 0 outside rounds): a round goes through a
	// batch's phases, and Batch then holds the round's number too.
	Round int `json:"round,omitempty"`
	// Live is where a live migration stands (changed indices, rounds, next estimate, the cut-over and its
	// freeze), on the events that change it.
	Live *LiveStatus `json:"live,omitempty"`
}

// MessageText is the event's message as a message: Msg, or the English Message as it is.
func (e Event) MessageText() i18n.Msg {
	if !e.Msg.IsZero() {
		return e.Msg
	}
	return i18n.Text(e.Message)
}

// Fraction is how far the event's subject is, 0..1: the estimator's figure when the event carries one (it
// counts the shards not started yet), else by bytes when known, else documents, else shards, else files.
func (e Event) Fraction() float64 {
	if e.Estimate != nil {
		return e.Estimate.Subject
	}
	switch {
	case e.Total.Bytes > 0:
		return clamp01(float64(e.Done.Bytes) / float64(e.Total.Bytes))
	case e.Total.Docs > 0:
		return clamp01(float64(e.Done.Docs) / float64(e.Total.Docs))
	case e.Total.Shards > 0:
		return clamp01(float64(e.Done.Shards) / float64(e.Total.Shards))
	case e.Total.Files > 0:
		return clamp01(float64(e.Done.Files) / float64(e.Total.Files))
	}
	if e.Kind == KindDone {
		return 1
	}
	return 0
}

func clamp01(f float64) float64 {
	if f < 0 {
		return 0
	}
	if f > 1 {
		return 1
	}
	return f
}

// String renders an event as one line for the headless mode and logs.
func (e Event) String() string {
	if e.Message == "" && !e.Msg.IsZero() {
		e.Message = e.Msg.String() // an event that did not pass the emitter (a test's, a decoded one) says its key in English
	}
	where := string(e.Phase)
	switch {
	case e.Round > 0:
		where = fmt.Sprintf("round %d %s", e.Round, e.Phase)
	case e.Batch > 0:
		where = fmt.Sprintf("batch %d/%d %s", e.Batch, e.Batches, e.Phase)
	}
	if e.Index != "" {
		where += " " + e.Index
	}
	switch e.Kind {
	case KindProgress:
		s := fmt.Sprintf("%s: %3.0f%%", where, 100*e.Fraction())
		if e.Total.Bytes > 0 {
			s += fmt.Sprintf(" %s/%s", HumanBytes(e.Done.Bytes), HumanBytes(e.Total.Bytes))
		}
		if e.Total.Shards > 0 {
			s += fmt.Sprintf(" shards %d/%d", e.Done.Shards, e.Total.Shards)
		}
		if e.Total.Files > 0 {
			s += fmt.Sprintf(" files %d/%d", e.Done.Files, e.Total.Files)
		}
		if e.Total.Docs > 0 {
			s += fmt.Sprintf(" docs %d/%d", e.Done.Docs, e.Total.Docs)
		}
		if e.Rate > 0 {
			s += fmt.Sprintf(" %s/s", HumanBytes(int64(e.Rate)))
		}
		if e.DocRate > 0 {
			s += fmt.Sprintf(" %.0f docs/s", e.DocRate)
		}
		if e.Message != "" {
			s += " " + e.Message
		}
		if e.Estimate != nil && e.Index == "" {
			s += " (" + e.Estimate.String() + ")"
		} else if e.Estimate == nil && e.ETA > 0 {
			s += " ETA " + e.ETA.Round(time.Second).String()
		}
		return s
	case KindCheck:
		if e.Check != nil {
			return fmt.Sprintf("%s: [%s] %s: %s", where, e.Check.Status, e.Check.Title, e.Check.Evidence)
		}
	case KindRequest:
		if e.Message != "" {
			return fmt.Sprintf("%s: %s: %s", where, e.Message, e.Curl)
		}
		return fmt.Sprintf("%s: %s", where, e.Curl)
	}
	if e.Kind == KindDone && e.Index == "" && e.Batch > 0 && e.Estimate != nil {
		msg := string(e.Kind)
		if e.Message != "" {
			msg += ", " + e.Message
		}
		return fmt.Sprintf("%s: %s (%s)", where, msg, e.Estimate.String())
	}
	if e.Message == "" {
		return fmt.Sprintf("%s: %s", where, e.Kind)
	}
	prefix := ""
	switch e.Level {
	case LevelWarn:
		prefix = "WARNING: "
	case LevelError:
		prefix = "ERROR: "
	}
	return fmt.Sprintf("%s: %s%s", where, prefix, e.Message)
}

// HumanBytes renders a byte count the way Elasticsearch does (1.5gb, binary units), so that the figures match what
// _cat APIs show the operator; the ParseBytes comment says why not a library.
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%db", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%cb", float64(n)/float64(div), "kmgtpe"[exp])
}

// emitter hands events to the engine's listener, serialised, stamped with time and batch position, and with
// progress events of one (phase, batch, index) throttled so that a slow SSH link is not flooded.
type emitter struct {
	mu       sync.Mutex
	listener func(Event)
	now      func() time.Time
	minGap   time.Duration
	last     map[string]time.Time
	est      *Estimator // from the moment the run's batches are known (plan)
}

// plan starts the estimate of a run's progress: its batches (on a resume, what is done already) are known.
func (m *emitter) plan(st *State, shared bool, h Hints) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.est = NewEstimator(st, shared, h)
}

func newEmitter(listener func(Event), now func() time.Time) *emitter {
	return &emitter{listener: listener, now: now, minGap: 100 * time.Millisecond, last: map[string]time.Time{}}
}

func (m *emitter) emit(e Event) {
	if m == nil || m.listener == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e.Time = m.now()
	if e.Message == "" && !e.Msg.IsZero() {
		e.Message = e.Msg.String() // the English, for logs and the headless mode in English
	}
	if m.est != nil {
		// Every event feeds the estimate, throttled ones too; those handed on carry it.
		m.est.Observe(e)
	}
	if e.Kind == KindProgress && e.Fraction() < 1 {
		key := fmt.Sprintf("%s/%d/%s", e.Phase, e.Batch, e.Index)
		if t, ok := m.last[key]; ok && e.Time.Sub(t) < m.minGap {
			return
		}
		m.last[key] = e.Time
	}
	if m.est != nil {
		e.Estimate = m.est.Estimate(e.Time, e)
	}
	m.listener(e)
}

// meter turns successive done-counts into a throughput and an ETA. It smooths over a sliding window so that
// a pause in Elasticsearch's reporting does not make the ETA jump.
type meter struct {
	window  time.Duration
	samples []sample
}

type sample struct {
	t    time.Time
	done int64
}

func newMeter() *meter { return &meter{window: 20 * time.Second} }

// observe records done bytes at t and returns bytes per second and the time left for total.
func (m *meter) observe(t time.Time, done, total int64) (float64, time.Duration) {
	m.samples = append(m.samples, sample{t, done})
	for len(m.samples) > 2 && t.Sub(m.samples[0].t) > m.window {
		m.samples = m.samples[1:]
	}
	first := m.samples[0]
	dt := t.Sub(first.t).Seconds()
	if dt <= 0 || done <= first.done {
		return 0, 0
	}
	rate := float64(done-first.done) / dt
	if total <= done {
		return rate, 0
	}
	return rate, time.Duration(float64(total-done) / rate * float64(time.Second))
}
