package main

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/nfs"
)

// copyResult is one repository copy measurement.
type copyResult struct {
	Repository string  `json:"repository"`
	Files      int     `json:"files"`
	Bytes      int64   `json:"bytes"`
	Tool       string  `json:"tool"`
	Run        string  `json:"run"` // "first" (empty target) or "second" (nothing changed)
	Seconds    float64 `json:"seconds"`
	Ratio      float64 `json:"ratio_to_esmigrate"` // tool time / esmigrate time of the same run
	Note       string  `json:"note,omitempty"`
}

// pollResult is the cost of following one long operation by polling. Requests per interval is counted against
// wall time: every request of the phase divided by the phase's duration in configured intervals, so that extra
// requests, or polls sent more often than the interval, raise it (dividing by the number of polls would read
// 1.00 whenever only polls are sent, however often).
type pollResult struct {
	Source              string  `json:"measured_on"`
	Phase               string  `json:"phase"` // snapshot (source) or restore (target)
	Shards              int     `json:"shards"`
	Cluster             string  `json:"cluster"`
	Calls               string  `json:"calls"`
	Window              string  `json:"window"` // what the phase's time runs from and to
	Seconds             float64 `json:"seconds"`
	IntervalSeconds     float64 `json:"interval_seconds"` // the configured poll interval
	Polls               int     `json:"polls"`
	Requests            int64   `json:"requests"`
	RequestsPerInterval float64 `json:"requests_per_interval_of_wall_time"` // Requests / (Seconds / IntervalSeconds)
	RequestsPerPoll     float64 `json:"requests_per_poll"`
	WireOutPerPoll      float64 `json:"wire_bytes_sent_per_poll"`
	WireInPerPoll       float64 `json:"wire_bytes_received_per_poll"`
	BodyPerPoll         float64 `json:"json_bytes_per_poll"`
	MaxBodyPerPoll      int64   `json:"max_json_bytes_per_poll"`
	LatencyMillisPerPo  float64 `json:"latency_ms_per_poll"`
}

// meter counts what an esclient.Client sends and receives: requests, bytes on the wire (headers included,
// compressed as sent) and the JSON bytes after decompression.
type meter struct {
	reqs, wireOut, wireIn, body atomic.Int64
}

type meteredConn struct {
	net.Conn
	m *meter
}

func (c meteredConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.m.wireIn.Add(int64(n))
	return n, err
}

func (c meteredConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.m.wireOut.Add(int64(n))
	return n, err
}

type meteredTransport struct {
	base http.RoundTripper
	m    *meter
}

func (t meteredTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.m.reqs.Add(1)
	resp, err := t.base.RoundTrip(r)
	if resp != nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &t.m.body}
	}
	return resp, err
}

// meteredClient is an esclient.Client like the engine's (same transport settings: keep-alive, gzip), measured.
func meteredClient(role, url string) (*esclient.Client, *meter, error) {
	m := &meter{}
	ht := http.DefaultTransport.(*http.Transport).Clone()
	ht.MaxIdleConnsPerHost = 4
	dial := (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	ht.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return meteredConn{Conn: c, m: m}, nil
	}
	c, err := esclient.New(esclient.Config{Role: role, URL: url, ReadOnly: role == "source", Repository: "pollbench", Transport: meteredTransport{base: ht, m: m}})
	return c, m, err
}

// runParts builds a repository of many small shards (the polling benchmark's) and measures polling while it is
// snapshotted and restored, and the repository copy on it and on a snapshot of the benchmark data.
func (h *harness) runParts(ctx context.Context, doCopy, doPoll bool) ([]copyResult, []pollResult, error) {
	var copies []copyResult
	var polls []pollResult
	if err := h.reset(); err != nil {
		return nil, nil, err
	}
	defer h.reset()
	srcShare, dstShare := filepath.Join(h.shares, "source-repo"), filepath.Join(h.shares, "target-repo")
	if doCopy {
		// The benchmark data, snapshotted once.
		h.logf("copy: snapshot of %s", h.data.Pattern)
		loc := filepath.Join(srcShare, "data")
		if err := h.src.call("PUT", "/_snapshot/data", map[string]any{"type": "fs", "settings": map[string]any{"location": loc, "compress": true}}, nil); err != nil {
			return nil, nil, err
		}
		if err := h.src.call("PUT", "/_snapshot/data/snap1?wait_for_completion=true", map[string]any{"indices": h.data.Pattern, "include_global_state": false}, nil); err != nil {
			return nil, nil, err
		}
		c, err := h.copyBench(ctx, "benchmark data", loc, dstShare)
		copies = append(copies, c...)
		if err != nil {
			return copies, nil, err
		}
	}
	names := make([]string, h.pollIndices)
	for i := range names {
		names[i] = fmt.Sprintf("pollbench-%03d", i)
	}
	defer func() {
		h.src.deleteIndices(names)
		h.dst.deleteIndices(names)
	}()
	h.logf("poll: %d indices × %d shards, %d segments each", h.pollIndices, h.pollShards, h.pollRounds)
	if err := h.manyShards(names); err != nil {
		return copies, nil, err
	}
	loc := filepath.Join(srcShare, "pollbench")
	if err := h.src.call("PUT", "/_snapshot/pollbench", map[string]any{"type": "fs", "settings": map[string]any{"location": loc, "compress": true}}, nil); err != nil {
		return copies, nil, err
	}
	src, sm, err := meteredClient("source", h.srcURL)
	if err != nil {
		return copies, nil, err
	}
	dst, dm, err := meteredClient("target", h.dstURL)
	if err != nil {
		return copies, nil, err
	}
	shards := h.pollIndices * h.pollShards
	// Snapshot: the engine polls RunningSnapshots once per interval, and reads the snapshot once at the end.
	if err := src.CreateSnapshot(ctx, esclient.SnapshotSpec{Repository: "pollbench", Name: "snap1", Indices: names}); err != nil {
		return copies, nil, err
	}
	p, err := h.poll(sm, "snapshot", shards, "source", "GET _snapshot/<repo>/_status (RunningSnapshots)", func() (bool, error) {
		running, err := src.RunningSnapshots(ctx, "pollbench")
		return len(running) == 0, err
	})
	if err != nil {
		return copies, nil, err
	}
	if s, ok, err := src.Snapshot(ctx, "pollbench", "snap1"); err != nil || !ok || s.State != "SUCCESS" {
		return copies, nil, fmt.Errorf("pollbench snapshot: %v %v %+v", err, ok, s)
	}
	if doPoll {
		polls = append(polls, p)
	}
	target := filepath.Join(dstShare, "pollbench")
	if doCopy {
		c, err := h.copyBench(ctx, fmt.Sprintf("%d shards × %d segments", shards, h.pollRounds), loc, dstShare)
		copies = append(copies, c...)
		if err != nil {
			return copies, polls, err
		}
	}
	if !doPoll {
		return copies, polls, nil
	}
	if _, err := nfs.CopyRepository(ctx, loc, target, nfs.CopyOptions{AllowForeignTarget: true}); err != nil {
		return copies, polls, err
	}
	if err := h.dst.call("PUT", "/_snapshot/pollbench", map[string]any{"type": "fs", "settings": map[string]any{"location": target, "readonly": true, "compress": true}}, nil); err != nil {
		return copies, polls, err
	}
	// Restore: the engine reads the recovery API and the indices' health once per interval.
	if err := dst.Restore(ctx, esclient.RestoreSpec{Repository: "pollbench", Snapshot: "snap1", Indices: names,
		IndexSettings: map[string]any{"index.number_of_replicas": 0}, IncludeAliases: true}); err != nil {
		return copies, polls, err
	}
	p, err = h.poll(dm, "restore", shards, "target", "GET <indices>/_recovery + GET _cluster/health/<indices> (Recovery, IndicesHealth)", func() (bool, error) {
		recs, err := dst.Recovery(ctx, names)
		if err != nil {
			return false, err
		}
		health, err := dst.IndicesHealth(ctx, names)
		if err != nil {
			return false, err
		}
		done := 0
		for _, r := range recs {
			if r.Primary && r.Type == "SNAPSHOT" && r.Done() {
				done++
			}
		}
		for _, n := range names {
			if health[n].Status == "" || health[n].Status == "red" {
				return false, nil
			}
		}
		return done == shards, nil
	})
	if err != nil {
		return copies, polls, err
	}
	polls = append(polls, p)

	// The same snapshot and restore driven by the esmigrate binary, through a counting proxy per cluster: what
	// the engine really sends, and when. Here the proxies carry nothing but control requests (the data moves
	// through the shares), and esmigrate is the only contender of this section.
	h.logf("poll: esmigrate run on the %d shards, through the proxies", shards)
	if err := h.dst.deleteIndices(names); err != nil {
		return copies, polls, err
	}
	if err := h.dst.dropRepositories(); err != nil {
		return copies, polls, err
	}
	proxyLog, err := os.Create(filepath.Join(h.work, "proxy-errors.log"))
	if err != nil {
		return copies, polls, err
	}
	defer proxyLog.Close()
	srcProxy, err := startProxy("source", h.srcURL, proxyLog)
	if err != nil {
		return copies, polls, err
	}
	defer srcProxy.close()
	dstProxy, err := startProxy("target", h.dstURL, proxyLog)
	if err != nil {
		return copies, polls, err
	}
	defer dstProxy.close()
	dir := filepath.Join(h.work, "poll-esmigrate")
	os.RemoveAll(dir)
	os.MkdirAll(dir, 0o755)
	plan, err := exec.Command(h.esm, "plan", "--source", srcProxy.URL(), "--target", dstProxy.URL(), "--indices", "pollbench-*",
		"--repository", "pollesm", "--source-location", filepath.Join(srcShare, "pollesm"), "--target-location", filepath.Join(dstShare, "pollesm"),
		"--state", filepath.Join(dir, "state.json"), "--report-dir", dir).Output()
	if err != nil {
		return copies, polls, fmt.Errorf("esmigrate plan: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plan.yaml"), plan, 0o644); err != nil {
		return copies, polls, err
	}
	srcProxy.recording(true)
	dstProxy.recording(true)
	_, runErr := runMeasured([]string{h.esm, "run", "--plan", filepath.Join(dir, "plan.yaml"), "--accept-warnings"}, nil, filepath.Join(dir, "output.log"))
	srcEvents, dstEvents := srcProxy.recording(false), dstProxy.recording(false)
	if runErr != nil {
		return copies, polls, runErr
	}
	polls = append(polls,
		engineStats(srcEvents, "snapshot", shards, "source", snapshotStart, "GET /_snapshot/pollesm/_status", h.pollInterval),
		engineStats(dstEvents, "restore", shards, "target", restoreStart, "GET _recovery", h.pollInterval))
	for _, x := range polls[len(polls)-2:] {
		h.logf("poll: esmigrate %s: %.1fs, %d polls, %d requests, %.2f requests per interval of wall time (%s)", x.Phase, x.Seconds, x.Polls, x.Requests, x.RequestsPerInterval, x.Calls)
	}
	return copies, polls, nil
}

var (
	// The requests that start a phase: PUT _snapshot/<repo>/<snapshot> and POST _snapshot/<repo>/<snapshot>/_restore.
	snapshotStart = regexp.MustCompile(`^(PUT|POST) /_snapshot/pollesm/[^/_][^/]*$`)
	restoreStart  = regexp.MustCompile(`^POST /_snapshot/pollesm/[^/]+/_restore$`)
)

// engineStats reads the proxy's record of an esmigrate run. A phase runs from the request that starts it to the
// last poll (the one that saw it done: pollKey, an endpoint or a method and a path); every request to that
// cluster after the start and up to that poll counts, against the phase's duration in configured intervals.
func engineStats(evs []event, phase string, shards int, cluster string, start *regexp.Regexp, pollKey string, interval time.Duration) pollResult {
	isPoll := func(e event) bool { return e.Endpoint == pollKey || e.Method+" "+e.Path == pollKey }
	r := pollResult{Phase: phase, Shards: shards, Cluster: cluster, Source: "esmigrate run (binary), counted by the proxy",
		IntervalSeconds: interval.Seconds(), Window: "from the request that starts the " + phase + " to the poll that saw it done"}
	var first, last time.Time
	for _, e := range evs {
		if first.IsZero() && start.MatchString(e.Method+" "+e.Path) {
			first = e.At
		}
		if !first.IsZero() && isPoll(e) {
			last = e.At
		}
	}
	if first.IsZero() || last.IsZero() {
		r.Calls = fmt.Sprintf("no start (%s) or no poll (%s) seen", start, pollKey)
		return r
	}
	calls := map[string]int64{}
	var bytes float64
	for _, e := range evs {
		if !e.At.After(first) || e.At.After(last) {
			continue
		}
		r.Requests++
		calls[e.Endpoint]++
		bytes += float64(e.Bytes)
		if isPoll(e) {
			r.Polls++
			r.MaxBodyPerPoll = max(r.MaxBodyPerPoll, e.Bytes)
		}
	}
	r.Seconds = last.Sub(first).Seconds()
	if r.Seconds > 0 {
		r.RequestsPerInterval = float64(r.Requests) / (r.Seconds / r.IntervalSeconds)
	}
	if r.Polls > 0 {
		r.RequestsPerPoll = float64(r.Requests) / float64(r.Polls)
		r.WireInPerPoll = bytes / float64(r.Polls)
	}
	r.Calls = topEndpoints(calls, 4)
	return r
}

// poll calls once per interval until it reports done, and measures each interval's requests and bytes.
func (h *harness) poll(m *meter, phase string, shards int, cluster, calls string, once func() (bool, error)) (pollResult, error) {
	r := pollResult{Phase: phase, Shards: shards, Cluster: cluster, Calls: calls, Source: "esclient calls, measured on the wire",
		IntervalSeconds: h.pollInterval.Seconds(), Window: "from the first poll to the one that saw it done"}
	start := time.Now()
	var latency time.Duration
	r0, o0, i0, b0 := m.reqs.Load(), m.wireOut.Load(), m.wireIn.Load(), m.body.Load()
	for {
		b := m.body.Load()
		t := time.Now()
		done, err := once()
		latency += time.Since(t)
		if err != nil {
			return r, fmt.Errorf("%s poll: %w", phase, err)
		}
		r.Polls++
		r.MaxBodyPerPoll = max(r.MaxBodyPerPoll, m.body.Load()-b)
		if done {
			break
		}
		if time.Since(start) > 30*time.Minute {
			return r, fmt.Errorf("%s of %d shards did not finish in 30 minutes", phase, shards)
		}
		time.Sleep(h.pollInterval - time.Since(t)%h.pollInterval)
	}
	r.Seconds = time.Since(start).Seconds()
	r.Requests = m.reqs.Load() - r0
	n := float64(r.Polls)
	r.RequestsPerPoll = float64(r.Requests) / n
	r.RequestsPerInterval = float64(r.Requests) / (r.Seconds / r.IntervalSeconds)
	r.WireOutPerPoll = float64(m.wireOut.Load()-o0) / n
	r.WireInPerPoll = float64(m.wireIn.Load()-i0) / n
	r.BodyPerPoll = float64(m.body.Load()-b0) / n
	r.LatencyMillisPerPo = float64(latency.Milliseconds()) / n
	h.logf("poll: %s of %d shards: %.1fs, %d polls, %.2f requests/poll, %.0f B sent, %.0f B received, %.0f B JSON per poll (max %d)",
		phase, shards, r.Seconds, r.Polls, r.RequestsPerPoll, r.WireOutPerPoll, r.WireInPerPoll, r.BodyPerPoll, r.MaxBodyPerPoll)
	return r, nil
}

// manyShards creates the polling benchmark's indices on the source: tiny, with pollRounds segments per shard
// (one bulk and one refresh per round), which is what makes a repository of many files.
func (h *harness) manyShards(names []string) error {
	if err := h.src.deleteIndices(names); err != nil {
		return err
	}
	for _, n := range names {
		if err := h.src.call("PUT", "/"+n, map[string]any{"settings": map[string]any{
			"number_of_shards": h.pollShards, "number_of_replicas": 0, "refresh_interval": "-1"}}, nil); err != nil {
			return err
		}
	}
	r := rand.New(rand.NewSource(7))
	for round := 0; round < h.pollRounds; round++ {
		var b strings.Builder
		for _, n := range names {
			for d := 0; d < 6*h.pollShards; d++ {
				fmt.Fprintf(&b, "{\"index\":{\"_index\":%q,\"_id\":\"%d-%d\"}}\n{\"round\":%d,\"n\":%d,\"v\":%q}\n", n, round, d, round, d, fmt.Sprint(r.Int63()))
			}
		}
		if err := h.src.call("POST", "/_bulk", b.String(), nil); err != nil {
			return err
		}
		if err := h.src.call("POST", "/pollbench-*/_refresh", nil, nil); err != nil {
			return err
		}
	}
	return h.src.call("POST", "/pollbench-*/_flush", nil, nil)
}

// copyBench copies the repository at src with esmigrate's copy, cp -a and rsync -a, each into its own empty
// directory under dstRoot, then once more with nothing changed.
func (h *harness) copyBench(ctx context.Context, label, src, dstRoot string) ([]copyResult, error) {
	files, bytes := 0, int64(0)
	filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files++
			if fi, err := d.Info(); err == nil {
				bytes += fi.Size()
			}
		}
		return nil
	})
	h.logf("copy: %s: %d files, %.1f MB", label, files, float64(bytes)/1e6)
	type tool struct {
		name, note string
		run        func(dst string, second bool) error
	}
	sh := func(script string) func(dst string, second bool) error {
		return func(dst string, second bool) error {
			out, err := exec.Command("bash", "-c", script, "bash", src, dst).CombinedOutput()
			if err != nil {
				return fmt.Errorf("%s: %v: %s", script, err, out)
			}
			return nil
		}
	}
	tools := []tool{
		{"esmigrate (nfs.CopyRepository, 4 workers)", "fsyncs every file; the second run compares sizes and hashes metadata", func(dst string, second bool) error {
			res, err := nfs.CopyRepository(ctx, src, dst, nfs.CopyOptions{Workers: 4})
			if err == nil && second && res.FilesCopied > 0 {
				return fmt.Errorf("second copy copied %d files though nothing changed", res.FilesCopied)
			}
			return err
		}},
		{"cp -a", "the second run copies everything again", sh(`if [ -e "$2" ]; then cp -a "$1"/. "$2"/; else cp -a "$1" "$2"; fi`)},
		{"cp -a && sync", "same durability as esmigrate's fsync (sync flushes the whole machine)", sh(`if [ -e "$2" ]; then cp -a "$1"/. "$2"/; else cp -a "$1" "$2"; fi && sync`)},
		{"rsync -a", "", sh(`rsync -a "$1"/ "$2"/`)},
	}
	if _, err := exec.LookPath("rsync"); err != nil {
		tools = tools[:3]
	}
	var out []copyResult
	for _, run := range []string{"first", "second"} {
		var esm float64
		for i, t := range tools {
			dst := filepath.Join(dstRoot, fmt.Sprintf("copy-%d", i))
			if run == "first" {
				os.RemoveAll(dst)
			}
			exec.Command("sync").Run() // start each from the same state: nothing dirty in the page cache
			start := time.Now()
			if err := t.run(dst, run == "second"); err != nil {
				return out, fmt.Errorf("%s, %s run: %w", t.name, run, err)
			}
			s := time.Since(start).Seconds()
			if i == 0 {
				esm = s
			}
			out = append(out, copyResult{Repository: label, Files: files, Bytes: bytes, Tool: t.name, Run: run, Seconds: s, Ratio: s / esm, Note: t.note})
			h.logf("copy: %s, %s run: %.3fs", t.name, run, s)
		}
	}
	for i := range tools {
		os.RemoveAll(filepath.Join(dstRoot, fmt.Sprintf("copy-%d", i)))
	}
	return out, nil
}

// uiResults are the index table benchmarks of package ui.
type uiResults struct {
	Command            string     `json:"command"`
	Benchmarks         []uiResult `json:"benchmarks"`
	NotMeasuredBecause string     `json:"not_measured_because,omitempty"`
}

type uiResult struct {
	Name        string  `json:"name"`
	NsPerOp     float64 `json:"ns_per_op"`
	BytesPerOp  int64   `json:"bytes_per_op"`
	AllocsPerOp int64   `json:"allocs_per_op"`
	Extra       string  `json:"extra,omitempty"`
}

func (h *harness) runUIBench() uiResults {
	args := []string{"test", "./ui/", "-run", "^$", "-bench", "^BenchmarkIndex", "-benchmem", "-count", "1"}
	res := uiResults{Command: "go " + strings.Join(args, " ")}
	h.logf("ui: %s", res.Command)
	cmd := exec.Command("go", args...)
	cmd.Dir = h.root
	out, err := cmd.CombinedOutput()
	os.WriteFile(filepath.Join(h.work, "ui-bench.txt"), out, 0o644)
	if err != nil {
		res.NotMeasuredBecause = fmt.Sprintf("go test ./ui -bench failed (%v): see ui-bench.txt in the work directory", err)
		return res
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		r := uiResult{Name: f[0]}
		var extra []string
		for i := 2; i+1 < len(f); i += 2 {
			switch f[i+1] {
			case "ns/op":
				fmt.Sscan(f[i], &r.NsPerOp)
			case "B/op":
				fmt.Sscan(f[i], &r.BytesPerOp)
			case "allocs/op":
				fmt.Sscan(f[i], &r.AllocsPerOp)
			default:
				extra = append(extra, f[i]+" "+f[i+1])
			}
		}
		r.Extra = strings.Join(extra, ", ")
		res.Benchmarks = append(res.Benchmarks, r)
	}
	if len(res.Benchmarks) == 0 {
		res.NotMeasuredBecause = "package ui has no BenchmarkIndex… benchmark yet"
	}
	return res
}
