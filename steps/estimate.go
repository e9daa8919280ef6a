package steps

import (
	"fmt"
	"time"
)

// The one estimate of a run's progress and of the time it still needs. The engine's emitter feeds it every
// event and stamps the result on each event it hands on (Event.Estimate), so the wizard's bars, the headless
// lines and whatever else shows progress read the same figures and none computes its own.
//
// What it counts: every byte of every selected index, in every phase of every batch, from the start. The
// sizes come from the plan (the state's indices), so shards that are queued or not started yet count with
// their size before Elasticsearch reports them; a reported total only ever makes an index bigger, never
// smaller (early snapshot and recovery totals cover only the shards that have started).
//
// How long the rest takes: each kind of phase has its own speed (a throttled snapshot, an unthrottled copy, a
// restore throttled differently) and its own fixed cost (the time before its bytes move, and after they have:
// Elasticsearch finishing shards, the engine noticing). A phase to come takes its kind's fixed cost plus its
// bytes at its kind's speed; a running one its bytes left at its current speed (over the last 20 seconds) plus
// what is left of its fixed cost. Speeds and costs are learned from the phases seen; for a kind not seen yet the
// speed is its throttle (Elasticsearch throttles snapshots and restores per node; the copy has its bandwidth
// limit), but no more than the other kind was seen to reach on the same disks, and the cost is that of the
// kinds seen.
//
// The overall progress counts a byte of each phase by the time it is expected to take (the inverse of the
// phase's throttle, fixed at the start, so that the bar never goes back): a fast snapshot before a slow
// restore is a small part of the bar, as it is of the wait.

// Estimate is how far a run is, as the engine's estimator sees it when it emits an event.
type Estimate struct {
	Done  float64       `json:"done"`          // work done: bytes of all phases of all batches, each weighed by its phase
	Total float64       `json:"total"`         // all the work
	ETA   time.Duration `json:"eta,omitempty"` // the time the rest needs; 0 while nothing is known yet
	// Subject is how far the event's own subject is, 0..1: its index in its phase, or its batch's phase. Sizes
	// of shards not started count.
	Subject float64 `json:"subject"`
}

// Fraction is the overall progress, 0..1.
func (e Estimate) Fraction() float64 {
	if e.Total <= 0 {
		return 0
	}
	return clamp01(e.Done / e.Total)
}

// String is the estimate for a log line: "overall 45%, ETA 1m20s".
func (e Estimate) String() string {
	s := fmt.Sprintf("overall %.0f%%", 100*e.Fraction())
	if e.ETA > 0 {
		s += ", ETA " + e.ETA.Round(time.Second).String()
	}
	return s
}

// verifyWeight is what a byte verified counts against a byte restored: verification by counts reads no bytes
// and takes a small part of the time.
const verifyWeight = 0.05

// Hints are what the engine knows of the speeds before it has seen any: bytes per second for the whole
// cluster (the per-node throttle times the data nodes), 0 when unknown.
type Hints struct {
	Snapshot, Restore, Copy float64
}

// defaultThrottle is Elasticsearch's throttle per node for snapshots (max_snapshot_bytes_per_sec) and for
// restores (indices.recovery.max_bytes_per_sec), both 40mb, when the plan sets none.
const defaultThrottle = 40 << 20

// reindexPrior is the speed assumed for _reindex from remote before it has moved: no throttle bounds it (the
// target pulls batches of 1,000 documents as fast as both clusters answer, a document at a time). About what one
// reindex gave on the shared 2-core test machine (TestAReindexReportsItsDocumentsAsTheyAreCopied at 588a918:
// 20,000 documents, 6.6mb of primaries, 3.9 s from the first reading of the task to the last, median of 3 runs of
// 3.2 to 4.0 s at load 6 to 10; 7.17 → OpenSearch 2.19, 512m heaps); production clusters differ, and the
// reindex's own progress (the task API, read at every poll) replaces it within seconds of its start.
const reindexPrior = 1700 << 10

// copyPrior is the speed assumed for the copy before it has moved, when the plan sets no bandwidth limit: about
// what one NFS share gives over 1 GbE. Its own progress replaces it within a second of the copy starting.
const copyPrior = 100 << 20

// HintsFor derives the hints from a plan and the clusters' data nodes.
func HintsFor(p Plan, srcDataNodes, dstDataNodes int) Hints {
	perNode := func(s string) float64 {
		if n, err := ParseBytes(s); err == nil && n > 0 {
			return float64(n)
		}
		return defaultThrottle
	}
	h := Hints{Snapshot: perNode(p.Repository.MaxSnapshotBytesPerSec) * float64(max(srcDataNodes, 1)),
		Restore: perNode(p.Repository.MaxRestoreBytesPerSec) * float64(max(dstDataNodes, 1)), Copy: copyPrior}
	if n, err := ParseBytes(p.Copy.BandwidthLimit); err == nil && n > 0 {
		h.Copy = float64(n)
	}
	return h
}

// Estimator keeps the progress of every (batch, phase) and the speed of every kind of phase. It is not safe for
// concurrent use: the emitter calls it under its lock.
type Estimator struct {
	phases  []Phase // the phases of a batch that count (no copy with shared storage)
	batches []*estBatch
	byNum   map[int]*estBatch
	kinds   map[Phase]*estKind
	hints   Hints
	weight  map[Phase]float64 // what a byte of each phase counts in the overall progress
	shown   float64           // the highest progress shown: it never goes back
}

type estBatch struct {
	number int
	phases []Phase          // the phases it goes through: es.phases, or those of the reindex path (reindexPhases)
	bytes  int64            // planned: the primary size of its indices
	index  map[string]int64 // planned size by source index name
	phase  map[Phase]*estPhase
}

// estPhase is one phase of one batch. Its work and what is done of it are kept as sums, updated as indices
// report, so that an estimate costs the same with ten indices or ten thousand.
type estPhase struct {
	state          int // 0 to come, 1 running, 2 done
	started, ended time.Time
	work, doneSum  int64 // bytes: the planned sizes, made bigger where Elasticsearch reports more
	// Reported progress by index (snapshot, restore, verify), and for the phase as a whole.
	done, total           map[string]int64
	phaseDone, phaseTotal int64
	samples               []estSample // (time, done) of this run of the phase, for its current speed
	// firstMove and lastMove are when its bytes first and last moved: the time between is the moving time,
	// the rest of its duration its fixed cost.
	firstMove, lastMove time.Time
	movedFrom           float64 // done bytes before the first move
}

type estSample struct {
	t    time.Time
	done float64
}

// estKind is what was seen of one kind of phase in finished batches: bytes and the time they moved in, and the
// time the phases took besides (their fixed cost).
type estKind struct {
	work, moving, fixed float64
	n, indices          int // phases seen, and their indices
}

// NewEstimator plans the estimate for a state's batches (sizes from the plan; on a resume, what is done
// counts as done) with the plan's shared storage setting (no copy then) and the hints.
func NewEstimator(st *State, shared bool, h Hints) *Estimator {
	es := &Estimator{byNum: map[int]*estBatch{}, kinds: map[Phase]*estKind{}, hints: h}
	perByte := func(v float64) float64 {
		if v <= 0 {
			return 1 / float64(defaultThrottle)
		}
		return 1 / v
	}
	es.weight = map[Phase]float64{PhaseSnapshot: perByte(h.Snapshot), PhaseTransfer: perByte(h.Copy),
		PhaseRestore: perByte(h.Restore), PhaseVerify: verifyWeight * perByte(h.Restore), PhaseReindex: perByte(reindexPrior)}
	for _, p := range BatchPhases {
		if p != PhaseTransfer || !shared {
			es.phases = append(es.phases, p)
		}
	}
	order := map[Phase]int{}
	for i, p := range BatchPhases {
		order[p] = i
	}
	if st == nil {
		return es
	}
	for _, b := range st.Batches {
		eb := &estBatch{number: b.Number, phases: es.phases, index: map[string]int64{}, phase: map[Phase]*estPhase{}}
		if b.Reindex {
			eb.phases = reindexPhases(st.Plan.Verify)
		}
		for _, ix := range b.Indices {
			eb.index[ix.Name] = ix.PrimaryBytes
			eb.bytes += ix.PrimaryBytes
		}
		for _, p := range eb.phases {
			ep := &estPhase{done: map[string]int64{}, total: map[string]int64{}, work: eb.bytes}
			if b.Done || !b.Reindex && order[p] < order[b.Phase] {
				ep.state, ep.doneSum = 2, ep.work
			}
			eb.phase[p] = ep
		}
		es.batches = append(es.batches, eb)
		es.byNum[b.Number] = eb
	}
	return es
}

// reindexPhases are the phases of a batch that goes by _reindex from remote: the reindex (the target index's
// creation, the documents, the counts), and the content verification when the plan asks for it (reindexPhase
// runs it as a verify phase of that batch).
func reindexPhases(verify string) []Phase {
	if verify == VerifyContent {
		return []Phase{PhaseReindex, PhaseVerify}
	}
	return []Phase{PhaseReindex}
}

// perIndex tells whether a phase reports its progress by index.
func perIndex(p Phase) bool {
	return p == PhaseSnapshot || p == PhaseRestore || p == PhaseVerify || p == PhaseReindex
}

// done is what is done of the phase, in bytes.
func (ep *estPhase) doneBytes() int64 {
	switch {
	case ep.state == 2:
		return ep.work
	case len(ep.done) > 0:
		return ep.doneSum
	}
	return min(ep.phaseDone, ep.work)
}

// report takes an index's figures: its work is its planned size or, when Elasticsearch reports more, that.
func (ep *estPhase) report(name string, planned, done, total int64) {
	oldW := max(planned, ep.total[name])
	oldD := min(ep.done[name], oldW)
	ep.total[name] = max(ep.total[name], total)
	ep.done[name] = max(ep.done[name], done)
	newW := max(planned, ep.total[name])
	ep.work += newW - oldW
	ep.doneSum += min(ep.done[name], newW) - oldD
}

// Observe takes one event.
func (es *Estimator) Observe(e Event) {
	b := es.byNum[e.Batch]
	if b == nil {
		return
	}
	ep := b.phase[e.Phase]
	if ep == nil {
		return
	}
	switch {
	case e.Kind == KindStart && e.Index == "":
		if ep.state != 1 {
			ep.state, ep.started, ep.samples = 1, e.Time, nil
		}
	case e.Kind == KindDone && e.Index == "":
		if ep.state == 1 {
			k := es.kind(e.Phase)
			total := e.Time.Sub(ep.started).Seconds()
			moving := 0.0
			if !ep.firstMove.IsZero() {
				moving = ep.lastMove.Sub(ep.firstMove).Seconds()
			}
			if moving > 0.5 {
				k.work += float64(ep.work) - ep.movedFrom
				k.moving += moving
			}
			k.fixed += max(total-moving, 0)
			k.n++
			k.indices += len(b.index)
		}
		ep.state, ep.ended, ep.doneSum = 2, e.Time, ep.work
	case e.Kind == KindProgress || e.Kind == KindDone:
		if ep.state == 0 {
			ep.state, ep.started = 1, e.Time // progress of a phase whose start was not seen (a resumed run)
		}
		if ep.state == 2 {
			return
		}
		if e.Index != "" && perIndex(e.Phase) {
			if _, ours := b.index[e.Index]; !ours {
				return
			}
			done, total := e.Done.Bytes, e.Total.Bytes
			if (e.Phase == PhaseVerify || e.Phase == PhaseReindex) && e.Kind == KindProgress && e.Total.Docs > 0 {
				// Content verification reads documents, a reindex copies them (the task API counts them): the
				// index is as far as its documents.
				size := b.index[e.Index]
				done, total = int64(float64(size)*float64(e.Done.Docs)/float64(e.Total.Docs)), size
			} else if e.Phase == PhaseVerify || e.Kind == KindDone || (total == 0 && e.Fraction() >= 1) {
				// A verified index, or an index that says it is complete without bytes: all of it.
				done, total = max(b.index[e.Index], total), max(b.index[e.Index], total)
			}
			ep.report(e.Index, b.index[e.Index], done, total)
		} else if e.Index == "" {
			ep.phaseDone = max(ep.phaseDone, e.Done.Bytes)
			if e.Total.Bytes > 0 {
				ep.phaseTotal = e.Total.Bytes
				if e.Phase == PhaseTransfer {
					// The copy knows exactly what it has to copy (files already there are not copied again).
					ep.work = e.Total.Bytes
				} else if len(ep.done) == 0 {
					ep.work = max(ep.work, e.Total.Bytes)
				}
			}
		}
		d := float64(ep.doneBytes())
		if n := len(ep.samples); n > 0 && d > ep.samples[n-1].done {
			if ep.firstMove.IsZero() {
				ep.firstMove, ep.movedFrom = ep.samples[n-1].t, ep.samples[n-1].done
			}
			ep.lastMove = e.Time
		}
		if n := len(ep.samples); n == 0 || d != ep.samples[n-1].done || e.Time.Sub(ep.samples[n-1].t) > time.Second {
			ep.samples = append(ep.samples, estSample{e.Time, d})
		}
		for len(ep.samples) > 2 && e.Time.Sub(ep.samples[1].t) > speedWindow {
			ep.samples = ep.samples[1:]
		}
	}
}

// speedWindow is how far back a running phase's current speed looks; minSpeedSpan is the least time its
// bytes must have moved for it to count (seconds).
const (
	speedWindow  = 20 * time.Second
	minSpeedSpan = 3
)

func (es *Estimator) kind(p Phase) *estKind {
	k := es.kinds[p]
	if k == nil {
		k = &estKind{}
		es.kinds[p] = k
	}
	return k
}

// current is a running phase's speed over its recent samples (0 before its work moved).
func (ep *estPhase) current() float64 {
	if len(ep.samples) < 2 {
		return 0
	}
	first, last := ep.samples[0], ep.samples[len(ep.samples)-1]
	// Speed counts from the first sample that moved: the time before it is the phase's start-up, paid once.
	for i := 1; i < len(ep.samples) && ep.samples[i].done == first.done; i++ {
		first = ep.samples[i]
	}
	dt := last.t.Sub(first.t).Seconds()
	if dt < minSpeedSpan || last.done <= first.done {
		return 0 // too short to tell a speed from a phase's first bursts
	}
	return (last.done - first.done) / dt
}

// speed is the speed expected of a phase kind while its bytes move: finished phases of that kind, else a
// running one's current speed, else a prior.
func (es *Estimator) speed(p Phase) float64 {
	if v := es.seen(p); v > 0 {
		return v
	}
	return es.prior(p)
}

func (es *Estimator) runningSpeed(p Phase) float64 {
	var best float64
	for _, b := range es.batches {
		if ep := b.phase[p]; ep != nil && ep.state == 1 {
			best = max(best, ep.current())
		}
	}
	return best
}

// seen is the speed of a kind seen so far (finished or running), 0 when none.
func (es *Estimator) seen(p Phase) float64 {
	if k := es.kinds[p]; k != nil && k.moving > 0 && k.work > 0 {
		return k.work / k.moving
	}
	return es.runningSpeed(p)
}

// prior is the speed of a kind not seen yet: its throttle (snapshots and restores: per node times the nodes;
// the copy: its bandwidth limit, or copyPrior), but for a snapshot or a restore no more than the other of the
// two was seen to reach: they read and write the same disks and network.
func (es *Estimator) prior(p Phase) float64 {
	h := es.hints
	switch p {
	case PhaseRestore, PhaseSnapshot:
		own, other := h.Restore, PhaseSnapshot
		if p == PhaseSnapshot {
			own, other = h.Snapshot, PhaseRestore
		}
		if own <= 0 {
			own = defaultThrottle
		}
		if v := es.seen(other); v > 0 {
			return min(v, own)
		}
		return own
	case PhaseTransfer:
		if h.Copy > 0 {
			return h.Copy
		}
		return copyPrior
	case PhaseReindex:
		return reindexPrior
	}
	return 0
}

// fixed is the fixed cost expected of a phase of kind p in batch b: what its kind's phases cost so far per
// index (each index has its shards to start and to finish), nothing before one was seen (the kinds differ too
// much to stand in for each other: a snapshot's end waits for Elasticsearch to write its metadata, a
// restore's start for the target to create the indices).
func (es *Estimator) fixed(p Phase, b *estBatch) float64 {
	if k := es.kinds[p]; k != nil && k.indices > 0 {
		return k.fixed / float64(k.indices) * float64(len(b.index))
	}
	return 0
}

// verifyPerIndex is what verifying an index by its counts is expected to take before a verification was seen
// (a refresh and a count on each side, and the target's health): seconds.
const verifyPerIndex = 0.2

// Estimate is the estimate at time now for event e's subject.
func (es *Estimator) Estimate(now time.Time, e Event) *Estimate {
	if len(es.batches) == 0 {
		return nil
	}
	var done, total, left float64
	for _, b := range es.batches {
		for _, p := range b.phases {
			ep := b.phase[p]
			w, d := float64(ep.work), float64(ep.doneBytes())
			total += w * es.weight[p]
			done += d * es.weight[p]
			if ep.state == 2 {
				continue
			}
			v := es.speed(p)
			fixed := es.fixed(p, b)
			if p == PhaseVerify && es.kinds[p] == nil {
				// Verification by counts: a few requests per index, whatever its size.
				fixed = verifyPerIndex * float64(len(b.index))
			}
			if ep.state == 1 {
				// What is left of its fixed cost: the part not spent yet (time in the phase while bytes did
				// not move).
				spent := now.Sub(ep.started).Seconds()
				if !ep.firstMove.IsZero() {
					spent -= ep.lastMove.Sub(ep.firstMove).Seconds()
				}
				fixed = max(fixed-spent, 0)
				if cur := ep.current(); cur > 0 {
					v = cur
				}
			}
			left += fixed
			if v > 0 {
				left += (w - d) / v
			}
		}
	}
	if total > 0 {
		// The bar never goes back: a reported total bigger than planned adds work, never takes progress away.
		es.shown = max(es.shown, done/total)
		done = es.shown * total
	}
	out := &Estimate{Done: done, Total: total, ETA: time.Duration(left * float64(time.Second))}
	if out.ETA < 0 {
		out.ETA = 0
	}
	if b := es.byNum[e.Batch]; b != nil {
		if ep := b.phase[e.Phase]; ep != nil {
			switch {
			case ep.state == 2:
				out.Subject = 1
			case e.Index != "" && perIndex(e.Phase):
				if planned, ok := b.index[e.Index]; ok {
					w := max(planned, ep.total[e.Index])
					if w > 0 {
						out.Subject = clamp01(float64(ep.done[e.Index]) / float64(w))
					} else if ep.done[e.Index] > 0 || e.Kind == KindDone {
						out.Subject = 1
					}
				}
			default:
				if ep.work > 0 {
					out.Subject = clamp01(float64(ep.doneBytes()) / float64(ep.work))
				}
			}
		}
	}
	return out
}
