package main

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// proxyMarker is appended to the User-Agent of every request the counting proxy forwards, so that the
// cluster's own HTTP client statistics tell proxied requests from direct ones (_reindex from remote).
const proxyMarker = "via-esm-bench-proxy"

// countingProxy is a reverse proxy in front of one cluster, with the time of every request. Only the polling
// section uses it, on esmigrate, whose requests are all control requests (the data moves through the shares): no
// contender of the migration rows goes through a proxy (one in the data path changes how a tool behaves; see
// testenv/bench/README.md).
type countingProxy struct {
	name   string
	ln     net.Listener
	srv    *http.Server
	reqs   atomic.Int64
	in     atomic.Int64 // request bodies
	out    atomic.Int64 // response bodies
	mu     sync.Mutex
	byPath map[string]int64
	events []event // every request, while recording
	record bool
}

// event is one request as the proxy forwarded it.
type event struct {
	At       time.Time
	Method   string
	Endpoint string
	Path     string
	Bytes    int64 // response body bytes sent to the client (compressed when the client asked for gzip)
}

// recording starts or stops keeping every request (for the polling measurement) and returns what was kept.
func (p *countingProxy) recording(on bool) []event {
	p.mu.Lock()
	defer p.mu.Unlock()
	evs := p.events
	p.events, p.record = nil, on
	return evs
}

type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (w *countingWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

func (w *countingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// startProxy starts a proxy to target; its own errors (a client that hung up...) go to errLog.
func startProxy(name, target string, errLog io.Writer) (*countingProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &countingProxy{name: name, ln: ln, byPath: map[string]int64{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	tr.DisableCompression = true // pass the client's Accept-Encoding through as it is
	rp.Transport = tr
	rp.FlushInterval = -1
	rp.ErrorLog = log.New(errLog, name+" proxy: ", log.LstdFlags)
	orig := rp.Director
	rp.Director = func(r *http.Request) {
		orig(r)
		r.Header.Set("User-Agent", strings.TrimSpace(r.Header.Get("User-Agent")+" "+proxyMarker))
	}
	rp.ModifyResponse = func(resp *http.Response) error {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &p.out}
		return nil
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.reqs.Add(1)
		key := endpoint(r.Method, r.URL.Path)
		p.mu.Lock()
		p.byPath[key]++
		p.mu.Unlock()
		if r.Body != nil {
			r.Body = &countingBody{ReadCloser: r.Body, n: &p.in}
		}
		cw := &countingWriter{ResponseWriter: w}
		rp.ServeHTTP(cw, r)
		p.mu.Lock()
		if p.record {
			p.events = append(p.events, event{At: time.Now(), Method: r.Method, Endpoint: key, Path: r.URL.Path, Bytes: cw.n})
		}
		p.mu.Unlock()
	}), ReadHeaderTimeout: time.Minute}
	go p.srv.Serve(ln)
	return p, nil
}

func (p *countingProxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *countingProxy) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p.srv.Shutdown(ctx)
}

// proxyCounts is what a proxy saw between two takes.
type proxyCounts struct {
	Requests      int64            `json:"requests"`
	RequestBytes  int64            `json:"request_body_bytes"`
	ResponseBytes int64            `json:"response_body_bytes"`
	ByEndpoint    map[string]int64 `json:"by_endpoint"`
}

// take returns the counts since the last take and starts from zero.
func (p *countingProxy) take() proxyCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := proxyCounts{Requests: p.reqs.Swap(0), RequestBytes: p.in.Swap(0), ResponseBytes: p.out.Swap(0), ByEndpoint: p.byPath}
	p.byPath = map[string]int64{}
	return c
}

// endpoint names a request by its method and the API segments of its path (those starting with "_"), so that
// "GET /bench-a,bench-b/_recovery" and "GET /x/_recovery" count as one endpoint: "GET _recovery".
func endpoint(method, path string) string {
	var api []string
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		switch {
		case strings.HasPrefix(s, "_"):
			api = append(api, s)
		case i > 0 && (segs[i-1] == "_cluster" || segs[i-1] == "_cat" || segs[i-1] == "_nodes"):
			api = append(api, s) // _cluster/health, _cat/indices, _nodes/stats: a name of the API, not of an index
		}
	}
	if len(api) == 0 {
		if strings.Trim(path, "/") == "" {
			return method + " /"
		}
		return method + " {index}"
	}
	return method + " " + strings.Join(api, "/")
}

func topEndpoints(m map[string]int64, n int) string {
	type kv struct {
		k string
		v int64
	}
	var all []kv
	for k, v := range m {
		all = append(all, kv{k, v})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].v != all[j].v {
			return all[i].v > all[j].v
		}
		return all[i].k < all[j].k
	})
	var parts []string
	for i, e := range all {
		if i == n {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, e.k+" ×"+itoa(e.v))
	}
	return strings.Join(parts, ", ")
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}
