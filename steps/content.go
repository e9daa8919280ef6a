package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"hash/maphash"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
)

// Content verification reads every document of a source index and of its restored copy and compares them, in
// memory that does not grow with the index: each document (its _id, _routing and _source) is hashed, and the
// hashes are added up per bucket of _id hashes (65,536 buckets). A sum does not depend on the order documents
// arrive in, so both sides are read in parallel slices in whatever order Elasticsearch finds cheapest. Only when
// a bucket's count or sum differs are the documents of the differing buckets read again, and kept, to name them.

// ContentResult is the outcome of content verification of one index.
type ContentResult struct {
	SourceDocs int64 `json:"source_docs"` // documents read on the source
	TargetDocs int64 `json:"target_docs"` // documents read on the target
	// Differences is how many documents differ: on one side only, or with another routing or _source. When
	// Truncated, at least this many.
	Differences int64     `json:"differences"`
	Truncated   bool      `json:"truncated,omitempty"`
	First       []DocDiff `json:"first,omitempty"` // the first differing documents, by id
	// Unsteady: the first reading differed but the second found no different document: the source changed
	// while it was read.
	Unsteady bool    `json:"unsteady,omitempty"`
	Seconds  float64 `json:"seconds"`
	How      string  `json:"how,omitempty"` // the scan modes, source/target: pit, opensearch-pit, scroll
}

// DocDiff is one document that differs.
type DocDiff struct {
	ID      string `json:"id"`
	Routing string `json:"routing,omitempty"`
	What    string `json:"what"` // DiffMissing, DiffExtra or DiffContent
}

// What a differing document is.
const (
	DiffMissing = "missing on the target"
	DiffExtra   = "only on the target"
	DiffContent = "different content"
)

// DiffMsg says what a differing document is (DiffMissing...) as a message.
func DiffMsg(what string) i18n.Msg {
	switch what {
	case DiffMissing:
		return i18n.M("diff.missing")
	case DiffExtra:
		return i18n.M("diff.extra")
	case DiffContent:
		return i18n.M("diff.content")
	}
	return i18n.Name(what)
}

const (
	contentBuckets = 1 << 16
	// firstDiffs is how many differing documents an index's result names.
	firstDiffs = 20
	// drillCap bounds the documents kept per side while naming differences.
	drillCap = 100_000
	// sliceWorkers is how many slices are read at once per cluster (Elasticsearch's search thread pool on a
	// small node is about that size).
	sliceWorkers = 4
	// contentIndices is how many indices are verified at once.
	contentIndices = 2
	// pageBytes is the size a page of documents aims at, to bound memory whatever the documents' size: at most
	// sliceWorkers pages per cluster are in flight. Larger pages cost the nodes fewer searches per document.
	pageBytes = 4 << 20
)

// The hash seeds are made per process (hash/maphash: the runtime's fast hash, in the standard library): both
// sides of a comparison are hashed by the same process, and a random seed keeps crafted documents from colliding.
var idSeed, docSeed = maphash.MakeSeed(), maphash.MakeSeed()

// bucketSums holds, per bucket, how many documents fell into it and the sum of their hashes.
type bucketSums struct {
	n [contentBuckets]uint32
	h [contentBuckets]uint64
}

func (s *bucketSums) merge(o *bucketSums) {
	for i := range s.n {
		s.n[i] += o.n[i]
		s.h[i] += o.h[i]
	}
}

func bucketOf(d esclient.Doc) uint32 {
	var h maphash.Hash
	h.SetSeed(idSeed)
	h.WriteString(d.ID)
	h.WriteByte(0)
	h.WriteString(d.Routing)
	return uint32(h.Sum64() % contentBuckets)
}

func docHash(d esclient.Doc, source []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(docSeed)
	h.WriteString(d.ID)
	h.WriteByte(0)
	h.WriteString(d.Routing)
	h.WriteByte(0)
	h.Write(source)
	return h.Sum64()
}

// normalised is _source with its keys sorted and spaces removed: the same document rendered by two versions
// (a source stored as SMILE or CBOR is converted to JSON when read) compares equal.
func normalised(src json.RawMessage) []byte {
	var v any
	d := json.NewDecoder(bytes.NewReader(src))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return src
	}
	b, err := json.Marshal(v)
	if err != nil {
		return src
	}
	return b
}

type docKey struct{ id, routing string }

// kept is a document read while naming differences.
type kept struct{ raw, norm uint64 }

// contentSide is one side of a comparison: which cluster, which index, how to read it.
type contentSide struct {
	role   string
	c      *esclient.Client
	index  string
	mode   esclient.ScanMode
	shards int
	page   int // documents per page
	sem    chan struct{}
}

// contentProgress counts what has been read, for the progress events.
type contentProgress struct {
	docs, bytes atomic.Int64
}

// readSide reads one side in slices and returns its bucket sums; with keep, it also keeps the documents of the
// buckets keep names (at most drillCap, then full is set).
func (e *Engine) readSide(ctx context.Context, b *BatchState, s contentSide, keep map[uint32]bool, prog *contentProgress) (*bucketSums, map[docKey]kept, bool, error) {
	var scan *esclient.Scan
	if err := e.retry(ctx, PhaseVerify, b.Number, func() (err error) {
		scan, err = s.c.OpenScan(ctx, s.index, s.mode, s.shards)
		return
	}); err != nil {
		return nil, nil, false, err
	}
	defer scan.Close(context.WithoutCancel(ctx))
	total := &bucketSums{}
	docs := map[docKey]kept{}
	full := false
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	for slice := 0; slice < scan.Slices(); slice++ {
		g.Go(func() error {
			select {
			case s.sem <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			defer func() { <-s.sem }()
			// A slice is read again from its start after a transient failure (a scroll cannot be rewound): its
			// sums and counts start over too.
			return e.retry(gctx, PhaseVerify, b.Number, func() error {
				local := &bucketSums{}
				var localDocs []struct {
					k docKey
					v kept
				}
				var read, readBytes int64
				err := scan.ReadSlice(gctx, slice, s.page, func(page []esclient.Doc) error {
					var pageBytes int64
					for _, d := range page {
						bk := bucketOf(d)
						h := docHash(d, d.Source)
						local.n[bk]++
						local.h[bk] += h
						pageBytes += int64(len(d.Source))
						if keep[bk] {
							localDocs = append(localDocs, struct {
								k docKey
								v kept
							}{docKey{d.ID, d.Routing}, kept{h, docHash(d, normalised(d.Source))}})
						}
					}
					read += int64(len(page))
					readBytes += pageBytes
					prog.docs.Add(int64(len(page)))
					prog.bytes.Add(pageBytes)
					return nil
				})
				if err != nil {
					prog.docs.Add(-read)
					prog.bytes.Add(-readBytes)
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				total.merge(local)
				for _, kv := range localDocs {
					if len(docs) >= drillCap {
						full = true
						break
					}
					docs[kv.k] = kv.v
				}
				return nil
			})
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, false, err
	}
	return total, docs, full, nil
}

// pageSize aims pages at about pageBytes from the index's average stored document size (primary store bytes
// over documents, which overstates _source: pages come out smaller, never larger), between 50 and 5,000
// documents.
func pageSize(primaryBytes, docs int64) int {
	if docs <= 0 || primaryBytes <= 0 {
		return 1000
	}
	avg := max(primaryBytes/docs, 1)
	return int(min(max(pageBytes/avg, 50), 5000))
}

// nameDifferences names the documents that differ between what was kept of each side's differing buckets. When a
// side stopped keeping at drillCap (full), a document kept on one side and not the other may simply not have been
// kept there: only documents kept on both sides are compared then, and their differences are certain.
func nameDifferences(ad, zd map[docKey]kept, full bool) (diffs []DocDiff, rendering int) {
	for k, v := range ad {
		w, ok := zd[k]
		switch {
		case !ok && full:
		case !ok:
			diffs = append(diffs, DocDiff{ID: k.id, Routing: k.routing, What: DiffMissing})
		case v.raw != w.raw && v.norm == w.norm:
			rendering++ // the same document, written differently
		case v.raw != w.raw:
			diffs = append(diffs, DocDiff{ID: k.id, Routing: k.routing, What: DiffContent})
		}
	}
	if !full {
		for k := range zd {
			if _, ok := ad[k]; !ok {
				diffs = append(diffs, DocDiff{ID: k.id, Routing: k.routing, What: DiffExtra})
			}
		}
	}
	sort.Slice(diffs, func(i, j int) bool {
		if diffs[i].ID != diffs[j].ID {
			return diffs[i].ID < diffs[j].ID
		}
		return diffs[i].Routing < diffs[j].Routing
	})
	return diffs, rendering
}

// verifyIndexContent compares one index's documents on both sides. srcShards and dstShards are the number of
// primary shards each side has now.
func (e *Engine) verifyIndexContent(ctx context.Context, b *BatchState, ix *IndexState, src, dst contentSide, prog *contentProgress) (*ContentResult, error) {
	start := e.opts.Now()
	res := &ContentResult{How: string(src.mode) + "/" + string(dst.mode)}
	read := func(keep map[uint32]bool) (a, z *bucketSums, ad, zd map[docKey]kept, full bool, err error) {
		g, gctx := errgroup.WithContext(ctx)
		var af, zf bool
		g.Go(func() (err error) { a, ad, af, err = e.readSide(gctx, b, src, keep, prog); return })
		g.Go(func() (err error) { z, zd, zf, err = e.readSide(gctx, b, dst, keep, prog); return })
		err = g.Wait()
		return a, z, ad, zd, af || zf, err
	}
	a, z, _, _, _, err := read(nil)
	if err != nil {
		return nil, err
	}
	for i := range a.n {
		res.SourceDocs += int64(a.n[i])
		res.TargetDocs += int64(z.n[i])
	}
	differ := map[uint32]bool{}
	for i := range a.n {
		if a.n[i] != z.n[i] || a.h[i] != z.h[i] {
			differ[uint32(i)] = true
		}
	}
	if len(differ) > 0 {
		e.say(PhaseVerify, b.Number, LevelWarn, "content.buckets", ix.Name, len(differ), contentBuckets)
		_, _, ad, zd, full, err := read(differ)
		if err != nil {
			return nil, err
		}
		res.Truncated = full
		diffs, rendering := nameDifferences(ad, zd, full)
		res.Differences = int64(len(diffs))
		res.First = diffs[:min(len(diffs), firstDiffs)]
		if len(diffs) == 0 && rendering == 0 && !full {
			res.Unsteady = true
		}
	}
	res.Seconds = e.opts.Now().Sub(start).Seconds()
	return res, nil
}

// verifyContent runs content verification on the batch's indices that can have it, a few at a time, with
// progress events (documents read on both sides, throughput, ETA), and records each result in its index.
func (e *Engine) verifyContent(ctx context.Context, b *BatchState, live []*IndexState, srcSeq, dstSeq map[string]esclient.IndexSeqNos) error {
	var todo []*IndexState
	var srcNames []string
	for _, ix := range live {
		if ix.Content == nil && ix.Result != ResultFailed {
			todo = append(todo, ix)
			srcNames = append(srcNames, ix.Name)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	var noSource map[string]bool
	if err := e.retry(ctx, PhaseVerify, b.Number, func() (err error) { noSource, err = e.src.SourceDisabled(ctx, srcNames); return }); err != nil {
		return err
	}
	srcMode, dstMode := esclient.ScanModeFor(e.srcSum.Info), esclient.ScanModeFor(e.dstSum.Info)
	srcSem, dstSem := make(chan struct{}, sliceWorkers), make(chan struct{}, sliceWorkers)
	var total int64
	type job struct {
		ix       *IndexState
		src, dst contentSide
		prog     *contentProgress
	}
	var jobs []job
	for _, ix := range todo {
		page := pageSize(ix.PrimaryBytes, ix.SourceDocs)
		if noSource[ix.Name] {
			ix.Content = &ContentResult{}
			if ix.Result != ResultChanged && ix.Result != ResultMismatch {
				ix.Result = ResultUnverified
				ix.setReason(i18n.M("content.nosource", ix.Name))
			}
			continue
		}
		shards := func(s esclient.IndexSeqNos) int {
			if len(s.Primaries) > 0 {
				return len(s.Primaries)
			}
			return ix.Primaries
		}
		jobs = append(jobs, job{ix: ix,
			src:  contentSide{role: "source", c: e.src, index: ix.Name, mode: srcMode, shards: shards(srcSeq[ix.Name]), page: page, sem: srcSem},
			dst:  contentSide{role: "target", c: e.dst, index: ix.Target, mode: dstMode, shards: shards(dstSeq[ix.Target]), page: page, sem: dstSem},
			prog: &contentProgress{}})
		total += ix.SourceDocs + ix.TargetDocs
	}
	if len(jobs) == 0 {
		return e.save()
	}
	e.say(PhaseVerify, b.Number, LevelInfo, "content.reading", total, len(jobs), string(srcMode), string(dstMode))

	// Progress: one event a second for each index being read and for the whole, from the counters the slices add to.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		mDocs, mBytes := newMeter(), newMeter()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			var docs, byts int64
			for _, j := range jobs {
				d := j.prog.docs.Load()
				docs += d
				byts += j.prog.bytes.Load()
				if d > 0 && d < j.ix.SourceDocs+j.ix.TargetDocs {
					e.emit(Event{Kind: KindProgress, Phase: PhaseVerify, Batch: b.Number, Batches: e.batches(), Index: j.ix.Name,
						Done: Counts{Docs: d}, Total: Counts{Docs: j.ix.SourceDocs + j.ix.TargetDocs}, Msg: i18n.M("content.progress")})
				}
			}
			now := e.opts.Now()
			docRate, eta := mDocs.observe(now, docs, total)
			byteRate, _ := mBytes.observe(now, byts, 0)
			e.emit(Event{Kind: KindProgress, Phase: PhaseVerify, Batch: b.Number, Batches: e.batches(),
				Done: Counts{Docs: docs}, Total: Counts{Docs: total}, DocRate: docRate, Rate: byteRate, ETA: eta, Msg: i18n.M("content.progress")})
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(contentIndices)
	for _, j := range jobs {
		g.Go(func() error {
			res, err := e.verifyIndexContent(gctx, b, j.ix, j.src, j.dst, j.prog)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			e.applyContent(b, j.ix, res)
			return e.save()
		})
	}
	return g.Wait()
}

// applyContent records content verification's result in the index and decides what it means.
func (e *Engine) applyContent(b *BatchState, ix *IndexState, res *ContentResult) {
	ix.Content = res
	e.emit(Event{Kind: KindProgress, Phase: PhaseVerify, Batch: b.Number, Batches: e.batches(), Index: ix.Name,
		Done: Counts{Docs: res.SourceDocs + res.TargetDocs}, Total: Counts{Docs: res.SourceDocs + res.TargetDocs},
		Msg: i18n.M("content.read", res.SourceDocs, res.TargetDocs, res.Differences)})
	if res.Differences == 0 && !res.Unsteady {
		return // what the counts and sequence numbers said stands
	}
	var ids []i18n.Msg
	for _, d := range res.First {
		id := i18n.Name(d.ID)
		if d.Routing != "" {
			id = i18n.M("content.routing", d.ID, d.Routing)
		}
		ids = append(ids, i18n.M("index.reason", id, DiffMsg(d.What)))
	}
	var what i18n.Msg
	switch {
	case res.Unsteady:
		what = i18n.M("content.unsteady")
	case res.Truncated && len(res.First) == 0:
		what = i18n.M("content.toomany", drillCap, res.SourceDocs, res.TargetDocs)
	case res.Truncated:
		what = i18n.M("content.differ.more", res.Differences, i18n.List("list.semi", ids))
	default:
		what = i18n.M("content.differ", res.Differences, i18n.List("list.semi", ids))
	}
	e.say(PhaseVerify, b.Number, LevelWarn, "index.reason", ix.Name, what)
	switch ix.Result {
	case ResultChanged, ResultMismatch:
		ix.setReason(i18n.Join("list.semi", ix.Why(), what))
	default:
		ix.Result = ResultMismatch
		ix.setReason(i18n.M("content.again", what))
	}
}
