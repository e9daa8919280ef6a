// Command gen fills a cluster with the benchmark data set: a few indices of realistic documents (text,
// keywords, numbers, dates, a nested field) generated from a fixed seed, so that every run with the same seed
// and size produces the same documents with the same ids.
//
//	go run ./testenv/bench/gen --url http://127.0.0.1:19900                # default: ~1M docs, ~1 GB primary store
//	go run ./testenv/bench/gen --url http://127.0.0.1:19900 --size small   # 50,000 docs
//	go run ./testenv/bench/gen --url http://127.0.0.1:19900 --docs 250000  # any number of documents
//
// Existing indices of the set are deleted first. It prints one line per index and a JSON summary on the last
// line (indices, docs, primary store bytes).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Sizes: total number of documents. default is about 1 GB of primary store.
var sizes = map[string]int{
	"default": 1_000_000,
	"small":   50_000,
	"ci":      10_000,
	"large":   10_000_000,
}

// spec is one index of the set; share is its part of the documents.
type spec struct {
	name   string
	kind   string // logs, articles, metrics
	share  float64
	shards int
}

func specs(prefix string) []spec {
	return []spec{
		{prefix + "logs-2026.01", "logs", 0.23, 2},
		{prefix + "logs-2026.02", "logs", 0.23, 2},
		{prefix + "logs-2026.03", "logs", 0.23, 2},
		{prefix + "articles", "articles", 0.11, 2},
		{prefix + "metrics", "metrics", 0.20, 1},
	}
}

func mapping(kind string) map[string]any {
	kw := map[string]any{"type": "keyword"}
	txt := map[string]any{"type": "text"}
	date := map[string]any{"type": "date"}
	var p map[string]any
	switch kind {
	case "logs":
		p = map[string]any{
			"@timestamp": date, "host": kw, "service": kw, "level": kw, "status": map[string]any{"type": "short"},
			"latency_ms": map[string]any{"type": "float"}, "bytes": map[string]any{"type": "long"},
			"method": kw, "path": kw, "trace_id": kw, "tags": kw, "message": txt,
			"user": map[string]any{"properties": map[string]any{"id": kw, "country": kw}},
		}
	case "articles":
		p = map[string]any{
			"title": map[string]any{"type": "text", "fields": map[string]any{"raw": map[string]any{"type": "keyword", "ignore_above": 256}}},
			"body":  txt, "author": kw, "category": kw, "tags": kw, "published": date, "views": map[string]any{"type": "long"},
			"rating": map[string]any{"type": "float"}, "draft": map[string]any{"type": "boolean"},
			"comments": map[string]any{"type": "nested", "properties": map[string]any{
				"author": kw, "text": txt, "date": date, "likes": map[string]any{"type": "integer"}}},
		}
	case "metrics":
		p = map[string]any{
			"@timestamp": date, "host": kw, "metric": kw, "value": map[string]any{"type": "double"},
			"unit": kw, "region": kw, "labels": kw,
		}
	}
	return map[string]any{"dynamic": "strict", "properties": p}
}

func main() {
	url := flag.String("url", "http://127.0.0.1:19900", "cluster to fill")
	size := flag.String("size", "default", "data set size: default (~1M docs, ~1 GB), small (50k docs), ci (10k docs) or large (10M docs, ~9 GB)")
	docs := flag.Int("docs", 0, "total documents (overrides --size)")
	seed := flag.Int64("seed", 1, "random seed: the same seed and size give the same documents")
	prefix := flag.String("prefix", "bench-", "index name prefix")
	workers := flag.Int("workers", 2, "concurrent bulk requests")
	flag.Parse()
	total := *docs
	if total == 0 {
		n, ok := sizes[*size]
		if !ok {
			fail("unknown --size %q (default, small, ci, large)", *size)
		}
		total = n
	}
	g := &gen{url: strings.TrimRight(*url, "/"), seed: *seed, hc: &http.Client{Timeout: 5 * time.Minute}}
	start := time.Now()
	type job struct {
		sp         spec
		ix, from   int
		to, number int
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if err := g.bulk(j.sp, j.ix, j.from, j.to, j.number); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	all := specs(*prefix)
	counts := make([]int, len(all))
	for i, sp := range all {
		counts[i] = int(float64(total) * sp.share)
		if i == len(all)-1 { // the rounding goes to the last index: the total is exact
			sum := 0
			for _, c := range counts[:i] {
				sum += c
			}
			counts[i] = total - sum
		}
		if err := g.create(sp); err != nil {
			fail("%s: %v", sp.name, err)
		}
	}
	for i, sp := range all {
		per := map[string]int{"logs": 2000, "articles": 250, "metrics": 5000}[sp.kind]
		for from, n := 0, 0; from < counts[i]; from, n = from+per, n+1 {
			jobs <- job{sp: sp, ix: i, from: from, to: min(from+per, counts[i]), number: n}
			mu.Lock()
			err := firstErr
			mu.Unlock()
			if err != nil {
				break
			}
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		fail("%v", firstErr)
	}
	names := make([]string, len(all))
	for i, sp := range all {
		names[i] = sp.name
	}
	joined := strings.Join(names, ",")
	for _, step := range []struct{ method, path string }{
		{"PUT", "/" + joined + "/_settings"}, {"POST", "/" + joined + "/_refresh"}, {"POST", "/" + joined + "/_flush"},
	} {
		var body any
		if step.method == "PUT" {
			body = map[string]any{"index": map[string]any{"refresh_interval": nil}}
		}
		if err := g.call(step.method, step.path, body, nil); err != nil {
			fail("%s %s: %v", step.method, step.path, err)
		}
	}
	// Elasticsearch caches an index's store size for index.store.stats_refresh_interval (10s): read it after
	// that, until two reads a second apart agree.
	time.Sleep(11 * time.Second)
	type indexStats struct {
		Indices map[string]struct {
			Primaries struct {
				Docs  struct{ Count int64 } `json:"docs"`
				Store struct {
					Size int64 `json:"size_in_bytes"`
				} `json:"store"`
			} `json:"primaries"`
		} `json:"indices"`
	}
	var stats indexStats
	storeOf := func(s indexStats) (n int64) {
		for _, ix := range s.Indices {
			n += ix.Primaries.Store.Size
		}
		return n
	}
	for i := 0; i < 60; i++ {
		var cur indexStats
		if err := g.call("GET", "/"+joined+"/_stats/docs,store", nil, &cur); err != nil {
			fail("stats: %v", err)
		}
		settled := i > 0 && storeOf(cur) == storeOf(stats)
		stats = cur
		if settled {
			break
		}
		time.Sleep(time.Second)
	}
	var sumDocs, sumBytes int64
	sort.Strings(names)
	for _, n := range names {
		st := stats.Indices[n].Primaries
		var want int
		for j, sp := range all {
			if sp.name == n {
				want = counts[j]
			}
		}
		fmt.Fprintf(os.Stderr, "gen: %-24s %9d docs (%d with nested) %8.1f MB\n", n, want, st.Docs.Count, float64(st.Store.Size)/1e6)
		sumDocs += int64(want)
		sumBytes += st.Store.Size
	}
	fmt.Fprintf(os.Stderr, "gen: %d docs, %.1f MB primary store in %s (seed %d)\n", sumDocs, float64(sumBytes)/1e6, time.Since(start).Round(time.Millisecond), *seed)
	out, _ := json.Marshal(map[string]any{"indices": names, "docs": sumDocs, "store_bytes": sumBytes, "seed": *seed,
		"seconds": time.Since(start).Seconds()})
	fmt.Println(string(out))
}

func fail(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "gen: "+f+"\n", a...)
	os.Exit(1)
}

type gen struct {
	url  string
	seed int64
	hc   *http.Client
}

func (g *gen) create(sp spec) error {
	_ = g.call("DELETE", "/"+sp.name, nil, nil) // a missing index is fine
	return g.call("PUT", "/"+sp.name, map[string]any{
		"settings": map[string]any{"number_of_shards": sp.shards, "number_of_replicas": 0, "refresh_interval": "-1"},
		"mappings": mapping(sp.kind),
	}, nil)
}

// call sends one request; a 429 (queue full) is retried.
func (g *gen) call(method, path string, body any, out any) error {
	var b []byte
	switch v := body.(type) {
	case nil:
	case []byte:
		b = v
	default:
		b, _ = json.Marshal(v)
	}
	for attempt := 0; ; attempt++ {
		req, _ := http.NewRequest(method, g.url+path, bytes.NewReader(b))
		if b != nil {
			ct := "application/json"
			if bytes.HasSuffix(b, []byte("\n")) {
				ct = "application/x-ndjson"
			}
			req.Header.Set("Content-Type", ct)
		}
		resp, err := g.hc.Do(req)
		if err != nil {
			return err
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests && attempt < 20 {
			time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
			continue
		}
		if resp.StatusCode >= 300 {
			return fmt.Errorf("%s %s: %s: %.500s", method, path, resp.Status, data)
		}
		if out != nil {
			return json.Unmarshal(data, out)
		}
		if strings.HasSuffix(path, "/_bulk") {
			var r struct {
				Errors bool `json:"errors"`
				Items  []map[string]struct {
					Status int             `json:"status"`
					Error  json.RawMessage `json:"error"`
				} `json:"items"`
			}
			if err := json.Unmarshal(data, &r); err != nil {
				return err
			}
			if r.Errors {
				rejected := false
				for _, it := range r.Items {
					for _, v := range it {
						if v.Status == http.StatusTooManyRequests {
							rejected = true
						} else if v.Status >= 300 {
							return fmt.Errorf("bulk item failed: %s", v.Error)
						}
					}
				}
				if rejected && attempt < 20 { // ids are fixed: sending the whole bulk again is idempotent
					time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
					continue
				}
				return fmt.Errorf("bulk rejected %d times", attempt+1)
			}
		}
		return nil
	}
}

// bulk generates documents [from, to) of an index and sends them in one bulk request. Each batch has its own
// random source derived from the seed, the index and the batch number, so the output does not depend on the
// order the workers run in.
func (g *gen) bulk(sp spec, ix, from, to, number int) error {
	r := rand.New(rand.NewSource(g.seed*1_000_003 + int64(ix)*100_000_007 + int64(number)))
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := from; i < to; i++ {
		fmt.Fprintf(&buf, `{"index":{"_index":%q,"_id":"%d"}}`+"\n", sp.name, i)
		var doc any
		switch sp.kind {
		case "logs":
			doc = logDoc(r, sp.name)
		case "articles":
			doc = articleDoc(r)
		case "metrics":
			doc = metricDoc(r, i)
		}
		if err := enc.Encode(doc); err != nil {
			return err
		}
	}
	return g.call("POST", "/_bulk", buf.Bytes(), nil)
}

// --- documents ---

var (
	base      = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	services  = []string{"checkout", "cart", "search", "auth", "payments", "inventory", "shipping", "recommendations", "frontend", "gateway"}
	levels    = []string{"INFO", "INFO", "INFO", "INFO", "INFO", "INFO", "DEBUG", "DEBUG", "WARN", "ERROR"}
	methods   = []string{"GET", "GET", "GET", "GET", "POST", "POST", "PUT", "DELETE"}
	statuses  = []int{200, 200, 200, 200, 200, 200, 200, 201, 204, 301, 304, 400, 401, 403, 404, 404, 429, 500, 502, 503}
	countries = []string{"US", "DE", "FR", "GB", "CN", "JP", "IN", "BR", "CA", "AU", "NL", "SE", "ES", "IT", "KR"}
	regions   = []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1", "ap-northeast-1"}
	metrics   = []string{"cpu.user", "cpu.system", "mem.used", "mem.free", "disk.read_bytes", "disk.write_bytes",
		"net.rx_bytes", "net.tx_bytes", "load.1m", "load.5m", "jvm.heap_used", "gc.pause_ms"}
	units      = map[string]string{"cpu": "percent", "mem": "bytes", "disk": "bytes", "net": "bytes", "load": "count", "jvm": "bytes", "gc": "ms"}
	categories = []string{"engineering", "operations", "security", "product", "data", "release-notes", "tutorial", "postmortem"}
	tagWords   = []string{"prod", "staging", "canary", "k8s", "vm", "edge", "internal", "external", "beta", "legacy", "critical", "batch"}
	pathParts  = []string{"api", "v1", "v2", "users", "orders", "items", "cart", "search", "login", "session", "products", "reviews", "health"}
)

// words is a vocabulary for the text fields; zipf picks frequent words more often, as in real text.
var words = strings.Fields(`the of and to a in is it you that he was for on are with as I his they be at one have
this from or had by hot word but what some we can out other were all there when up use your how said an each she
which do their time if will way about many then them write would like so these her long make thing see him two has
look more day could go come did number sound no most people my over know water than call first who may down side
been now find any new work part take get place made live where after back little only round man year came show
every good me give our under name very through just form sentence great think say help low line differ turn cause
much mean before move right boy old too same tell does set three want air well also play small end put home read
hand port large spell add even land here must big high such follow act why ask men change went light kind off need
house picture try us again animal point mother world near build self earth father head stand own page should
country found answer school grow study still learn plant cover food sun four between state keep eye never last let
thought city tree cross farm hard start might story saw far sea draw left late run while press close night real
life few north open seem together next white children begin got walk example ease paper group always music those
both mark often letter until mile river car feet care second book carry took science eat room friend began idea
fish mountain stop once base hear horse cut sure watch color face wood main enough plain girl usual young ready
above ever red list though feel talk bird soon body dog family direct pose leave song measure door product black
short numeral class wind question happen complete ship area half rock order fire south problem piece told knew pass
since top whole king space heard best hour better true during hundred five remember step early hold west ground
interest reach fast verb sing listen six table travel less morning ten simple several vowel toward war lay against
pattern slow center love person money serve appear road map rain rule govern pull cold notice voice unit power town
fine certain fly fall lead cry dark machine note wait plan figure star box noun field rest correct able pound done
beauty drive stood contain front teach week final gave green oh quick develop ocean warm free minute strong special
mind behind clear tail produce fact street inch multiply nothing course stay wheel full force blue object decide
surface deep moon island foot system busy test record boat common gold possible plane stead dry wonder laugh
thousand ago ran check game shape equate miss brought heat snow tire bring yes distant fill east paint language
among cluster index shard replica node snapshot restore query latency request timeout connection database server
cache queue worker deploy release version config memory disk network retry error warning failure upstream`)

func sentence(r *rand.Rand, z *rand.Zipf, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[z.Uint64()])
	}
	return b.String()
}

func zipf(r *rand.Rand) *rand.Zipf { return rand.NewZipf(r, 1.1, 2, uint64(len(words)-1)) }

func pick[T any](r *rand.Rand, s []T) T { return s[r.Intn(len(s))] }

func hexID(r *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[r.Intn(16)]
	}
	return string(b)
}

type logEntry struct {
	Timestamp string   `json:"@timestamp"`
	Host      string   `json:"host"`
	Service   string   `json:"service"`
	Level     string   `json:"level"`
	Status    int      `json:"status"`
	LatencyMs float64  `json:"latency_ms"`
	Bytes     int64    `json:"bytes"`
	Method    string   `json:"method"`
	Path      string   `json:"path"`
	TraceID   string   `json:"trace_id"`
	Tags      []string `json:"tags"`
	Message   string   `json:"message"`
	User      struct {
		ID      string `json:"id"`
		Country string `json:"country"`
	} `json:"user"`
}

func logDoc(r *rand.Rand, index string) logEntry {
	z := zipf(r)
	month := 0
	if n := strings.LastIndexByte(index, '.'); n >= 0 {
		month, _ = strconv.Atoi(index[n+1:])
	}
	ts := base.AddDate(0, max(month-1, 0), 0).Add(time.Duration(r.Int63n(int64(28 * 24 * time.Hour))))
	svc := pick(r, services)
	d := logEntry{
		Timestamp: ts.Format(time.RFC3339Nano), Host: fmt.Sprintf("%s-%02d", svc, r.Intn(24)), Service: svc,
		Level: pick(r, levels), Status: pick(r, statuses), LatencyMs: float64(int(r.ExpFloat64()*4000)) / 100,
		Bytes: int64(r.ExpFloat64() * 8000), Method: pick(r, methods), TraceID: hexID(r, 32),
	}
	d.Path = "/" + pick(r, pathParts) + "/" + pick(r, pathParts) + "/" + strconv.Itoa(r.Intn(100000))
	for n := r.Intn(3); n >= 0; n-- {
		d.Tags = append(d.Tags, pick(r, tagWords))
	}
	d.Message = fmt.Sprintf("%s %s %d in %.1fms: %s", d.Method, d.Path, d.Status, d.LatencyMs, sentence(r, z, 70+r.Intn(110)))
	d.User.ID = "u" + strconv.Itoa(r.Intn(200000))
	d.User.Country = pick(r, countries)
	return d
}

type comment struct {
	Author string `json:"author"`
	Text   string `json:"text"`
	Date   string `json:"date"`
	Likes  int    `json:"likes"`
}

type article struct {
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Author    string    `json:"author"`
	Category  string    `json:"category"`
	Tags      []string  `json:"tags"`
	Published string    `json:"published"`
	Views     int64     `json:"views"`
	Rating    float64   `json:"rating"`
	Draft     bool      `json:"draft"`
	Comments  []comment `json:"comments"`
}

func articleDoc(r *rand.Rand) article {
	z := zipf(r)
	pub := base.Add(-time.Duration(r.Int63n(int64(3 * 365 * 24 * time.Hour))))
	a := article{
		Title: sentence(r, z, 4+r.Intn(8)), Author: "author-" + strconv.Itoa(r.Intn(500)), Category: pick(r, categories),
		Published: pub.Format(time.RFC3339), Views: int64(r.ExpFloat64() * 5000), Rating: float64(r.Intn(50)) / 10,
		Draft: r.Intn(20) == 0,
	}
	var body strings.Builder
	for p := 3 + r.Intn(6); p > 0; p-- {
		body.WriteString(sentence(r, z, 40+r.Intn(80)))
		body.WriteString(".\n\n")
	}
	a.Body = body.String()
	for n := 1 + r.Intn(4); n > 0; n-- {
		a.Tags = append(a.Tags, pick(r, tagWords))
	}
	for n := r.Intn(8); n > 0; n-- {
		a.Comments = append(a.Comments, comment{Author: "user-" + strconv.Itoa(r.Intn(20000)), Text: sentence(r, z, 5+r.Intn(30)),
			Date: pub.Add(time.Duration(r.Int63n(int64(90 * 24 * time.Hour)))).Format(time.RFC3339), Likes: r.Intn(100)})
	}
	return a
}

type metric struct {
	Timestamp string   `json:"@timestamp"`
	Host      string   `json:"host"`
	Metric    string   `json:"metric"`
	Value     float64  `json:"value"`
	Unit      string   `json:"unit"`
	Region    string   `json:"region"`
	Labels    []string `json:"labels"`
}

func metricDoc(r *rand.Rand, i int) metric {
	m := pick(r, metrics)
	ts := base.Add(time.Duration(i) * 10 * time.Second)
	d := metric{Timestamp: ts.Format(time.RFC3339), Host: fmt.Sprintf("node-%03d", r.Intn(200)), Metric: m,
		Value: float64(int(r.ExpFloat64()*100000)) / 100, Unit: units[m[:strings.IndexByte(m, '.')]], Region: pick(r, regions)}
	for n := r.Intn(3); n > 0; n-- {
		d.Labels = append(d.Labels, pick(r, tagWords))
	}
	return d
}
