// Command writer is the application a live migration migrates away from: it indexes new documents, updates
// and deletes existing ones in the given indices of a cluster, at a steady rate, until it is stopped (SIGTERM,
// SIGINT) or has done --max-ops operations. The live migration tests and benchmarks run it during the first
// pass and the catch-up rounds.
//
// What it did is its evidence, written as JSON to --stats (every second and at the end): the operations
// Elasticsearch acknowledged by kind, and the writes refused by a write block (cluster_block_exception) with
// when the first and the last were refused. A test asserts from these that documents really changed, and that
// the cut-over's block was really on.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Stats is what the writer did.
type Stats struct {
	Indexed   int64 `json:"indexed"`   // new documents created
	Updated   int64 `json:"updated"`   // existing documents replaced with new content
	Deleted   int64 `json:"deleted"`   // documents deleted
	Blocked   int64 `json:"blocked"`   // operations refused by a write block (cluster_block_exception)
	Failed    int64 `json:"failed"`    // other refusals and transport errors
	Requests  int64 `json:"requests"`  // bulk requests sent
	Unblocked int64 `json:"unblocked"` // operations acknowledged after a block had refused one
	// FirstBlocked and LastBlocked are when a write block first and last refused an operation.
	FirstBlocked time.Time `json:"first_blocked,omitzero"`
	LastBlocked  time.Time `json:"last_blocked,omitzero"`
	Started      time.Time `json:"started"`
	Ended        time.Time `json:"ended,omitzero"`
	// LastOK is when an operation was last acknowledged.
	LastOK time.Time `json:"last_ok,omitzero"`
	Errors []string  `json:"errors,omitempty"` // the first distinct error texts
}

// Changed is how many operations changed documents.
func (s Stats) Changed() int64 { return s.Indexed + s.Updated + s.Deleted }

func main() {
	url := flag.String("url", "", "cluster URL, e.g. http://127.0.0.1:9200")
	indices := flag.String("indices", "", "comma-separated indices to write to")
	rate := flag.Float64("rate", 50, "operations per second")
	maxOps := flag.Int64("max-ops", 0, "stop after this many acknowledged operations (0: until stopped)")
	statsPath := flag.String("stats", "", "write the statistics as JSON to this file")
	seed := flag.Int64("seed", 1, "random seed")
	prefix := flag.String("id-prefix", "w", "prefix of the ids of the documents it creates")
	insertsOnly := flag.Bool("inserts-only", false, "only index new documents (no update, no delete)")
	flag.Parse()
	if *url == "" || *indices == "" {
		fmt.Fprintln(os.Stderr, "writer: --url and --indices are required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	w := &writer{url: strings.TrimRight(*url, "/"), indices: strings.Split(*indices, ","), rnd: rand.New(rand.NewSource(*seed)),
		prefix: *prefix, ids: map[string][]doc{}, samples: map[string][]json.RawMessage{}, client: &http.Client{Timeout: 30 * time.Second}, insertsOnly: *insertsOnly}
	w.stats.Started = time.Now()
	if err := w.loadIDs(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "writer:", err)
		os.Exit(1)
	}
	save := func() {
		if *statsPath == "" {
			return
		}
		w.mu.Lock()
		b, _ := json.MarshalIndent(w.stats, "", "  ")
		w.mu.Unlock()
		tmp := *statsPath + ".tmp"
		if os.WriteFile(tmp, b, 0o644) == nil {
			os.Rename(tmp, *statsPath)
		}
	}
	// Operations go in bulk requests every 100 ms, as many as the rate asks for since the start.
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	lastSave := time.Now()
	var sent float64
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
		if ctx.Err() != nil {
			break
		}
		due := *rate*time.Since(w.stats.Started).Seconds() - sent
		n := int(due)
		if *maxOps > 0 {
			w.mu.Lock()
			left := *maxOps - w.stats.Changed()
			w.mu.Unlock()
			if left <= 0 {
				break
			}
			n = min(n, int(left))
		}
		if n > 0 {
			sent += float64(n)
			w.bulk(ctx, n)
		}
		if time.Since(lastSave) > time.Second {
			save()
			lastSave = time.Now()
		}
	}
	w.mu.Lock()
	w.stats.Ended = time.Now()
	w.mu.Unlock()
	save()
	b, _ := json.Marshal(w.stats)
	fmt.Println(string(b))
}

type writer struct {
	url     string
	indices []string
	prefix  string
	rnd     *rand.Rand
	client  *http.Client
	ids     map[string][]doc // documents known to exist, by index
	// samples are _source documents read from each index: new and updated documents are copies of them, so
	// that they fit the index's mapping whatever it is (the benchmark's indices are "dynamic": "strict", where
	// a document of fields of our own was refused: the writer then only deleted).
	samples map[string][]json.RawMessage
	next    int
	// insertsOnly: new documents only. An update or a delete marks a document of an older segment deleted,
	// which OpenSearch 2.19 counts as a change of that whole segment when it restores over the closed index.
	insertsOnly bool
	mu          sync.Mutex
	stats       Stats
}

// loadIDs reads up to 10,000 existing document ids of each index with their routing, to update and delete some
// of them, and the _source of up to 200 of them, the models of the documents it writes.
func (w *writer) loadIDs(ctx context.Context) error {
	type hits struct {
		Hits struct {
			Hits []struct {
				ID      string          `json:"_id"`
				Routing string          `json:"_routing"`
				Source  json.RawMessage `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	search := func(ix, body string) (hits, error) {
		var out hits
		req, _ := http.NewRequestWithContext(ctx, "POST", w.url+"/"+ix+"/_search", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := w.client.Do(req)
		if err != nil {
			return out, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(resp.Body)
			return out, fmt.Errorf("search %s: HTTP %d: %.200s", ix, resp.StatusCode, b)
		}
		return out, json.NewDecoder(resp.Body).Decode(&out)
	}
	for _, ix := range w.indices {
		out, err := search(ix, `{"size":10000,"_source":false,"sort":["_doc"]}`)
		if err != nil {
			return fmt.Errorf("read ids of %s: %v", ix, err)
		}
		for _, h := range out.Hits.Hits {
			w.ids[ix] = append(w.ids[ix], doc{h.ID, h.Routing})
		}
		if out, err = search(ix, `{"size":200,"sort":["_doc"]}`); err != nil {
			return fmt.Errorf("read documents of %s: %v", ix, err)
		}
		for _, h := range out.Hits.Hits {
			// One line each: a bulk body is NDJSON, and _source comes back as it was sent.
			var line bytes.Buffer
			if json.Compact(&line, h.Source) == nil && bytes.HasPrefix(line.Bytes(), []byte("{")) {
				w.samples[ix] = append(w.samples[ix], line.Bytes())
			}
		}
	}
	return nil
}

// document is the _source of a new or updated document of ix: a copy of one of the index's own documents
// (another one than an updated document had, most of the time), or, in an empty index, fields of our own.
func (w *writer) document(ix, what string) string {
	if s := w.samples[ix]; len(s) > 0 {
		return string(s[w.rnd.Intn(len(s))])
	}
	return fmt.Sprintf(`{"writer":%q,"n":%d,"at":%q,"text":"%s during a live migration"}`, w.prefix, w.next,
		time.Now().UTC().Format(time.RFC3339Nano), what)
}

type op struct{ kind, index, id string }

// doc is a document the writer knows: its _id and the routing it was indexed with. An update or a delete of a
// routed document must carry its routing, as the application that indexed it would: without it, the write goes
// to the shard its _id hashes to, where an "update" creates a second document with the same _id (the routed
// one left as it was) and a delete finds nothing.
type doc struct{ id, routing string }

// action is a bulk action line for d in ix.
func action(kind, ix string, d doc) string {
	if d.routing == "" {
		return fmt.Sprintf(`{%q:{"_index":%q,"_id":%q}}`, kind, ix, d.id) + "\n"
	}
	return fmt.Sprintf(`{%q:{"_index":%q,"_id":%q,"routing":%q}}`, kind, ix, d.id, d.routing) + "\n"
}

// bulk sends n operations: half new documents, three in ten updates, two in ten deletes of known documents.
func (w *writer) bulk(ctx context.Context, n int) {
	var buf bytes.Buffer
	var ops []op
	for i := 0; i < n; i++ {
		ix := w.indices[w.rnd.Intn(len(w.indices))]
		known := w.ids[ix]
		r := w.rnd.Intn(10)
		switch {
		case r < 5 || len(known) == 0 || w.insertsOnly:
			w.next++
			d := doc{id: fmt.Sprintf("%s-%d", w.prefix, w.next)}
			buf.WriteString(action("index", ix, d))
			fmt.Fprintln(&buf, w.document(ix, "written"))
			w.ids[ix] = append(w.ids[ix], d)
			ops = append(ops, op{"created", ix, d.id})
		case r < 8:
			d := known[w.rnd.Intn(len(known))]
			buf.WriteString(action("index", ix, d))
			fmt.Fprintln(&buf, w.document(ix, "updated"))
			ops = append(ops, op{"updated", ix, d.id})
		default:
			k := w.rnd.Intn(len(known))
			d := known[k]
			w.ids[ix] = append(known[:k], known[k+1:]...)
			buf.WriteString(action("delete", ix, d))
			ops = append(ops, op{"deleted", ix, d.id})
		}
	}
	req, _ := http.NewRequestWithContext(ctx, "POST", w.url+"/_bulk", &buf)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := w.client.Do(req)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stats.Requests++
	if err != nil {
		if ctx.Err() == nil {
			w.stats.Failed += int64(n)
			w.note(err.Error())
		}
		return
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		Items []map[string]struct {
			Result string `json:"result"`
			Status int    `json:"status"`
			Error  *struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"error"`
		} `json:"items"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || len(out.Items) != n {
		w.stats.Failed += int64(n)
		w.note(fmt.Sprintf("HTTP %d: %.200s", resp.StatusCode, raw))
		return
	}
	now := time.Now()
	for _, item := range out.Items {
		for _, r := range item {
			switch {
			case r.Error != nil && r.Error.Type == "cluster_block_exception":
				w.stats.Blocked++
				if w.stats.FirstBlocked.IsZero() {
					w.stats.FirstBlocked = now
				}
				w.stats.LastBlocked = now
			case r.Error != nil:
				w.stats.Failed++
				w.note(r.Error.Type + ": " + r.Error.Reason)
			case r.Result == "created":
				w.stats.Indexed++
				w.ok(now)
			case r.Result == "updated":
				w.stats.Updated++
				w.ok(now)
			case r.Result == "deleted":
				w.stats.Deleted++
				w.ok(now)
			case r.Result == "not_found":
				// A delete of a document deleted meanwhile: nothing changed.
			}
		}
	}
}

func (w *writer) ok(now time.Time) {
	w.stats.LastOK = now
	if !w.stats.FirstBlocked.IsZero() {
		w.stats.Unblocked++
	}
}

func (w *writer) note(s string) {
	for _, e := range w.stats.Errors {
		if e == s {
			return
		}
	}
	if len(w.stats.Errors) < 10 {
		w.stats.Errors = append(w.stats.Errors, s)
	}
}
