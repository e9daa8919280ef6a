package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// harnessAgent is the User-Agent of the harness's own requests (set-up, checks): they go straight to the
// clusters and are not counted for any contender.
const harnessAgent = "esm-bench-harness"

// admin talks to a cluster directly for the harness's own set-up and checks.
type admin struct {
	url string
	hc  *http.Client
}

func newAdmin(url string) *admin {
	return &admin{url: strings.TrimRight(url, "/"), hc: &http.Client{Timeout: 30 * time.Minute}}
}

// call sends a request; a status of 300 or more is an error unless listed in ok.
func (a *admin) call(method, path string, body any, out any, ok ...int) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		if s, isStr := body.(string); isStr {
			b = []byte(s)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.url+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", harnessAgent)
	if body != nil {
		if s, isStr := body.(string); isStr && strings.HasSuffix(s, "\n") {
			req.Header.Set("Content-Type", "application/x-ndjson")
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		for _, s := range ok {
			if s == resp.StatusCode {
				return nil
			}
		}
		return fmt.Errorf("%s %s: %s: %.600s", method, path, resp.Status, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// counts returns the top-level document count of each index.
func (a *admin) counts(indices []string) (map[string]int64, error) {
	for i := 0; i < len(indices); i += 50 { // a request line holds about 50 long names
		if err := a.call("POST", "/"+strings.Join(indices[i:min(i+50, len(indices))], ",")+"/_refresh", nil, nil); err != nil {
			return nil, err
		}
	}
	out := map[string]int64{}
	for _, ix := range indices {
		var c struct{ Count int64 }
		if err := a.call("GET", "/"+ix+"/_count", nil, &c); err != nil {
			return nil, err
		}
		out[ix] = c.Count
	}
	return out, nil
}

// primaryStore returns the primary store size of the indices, in bytes.
func (a *admin) primaryStore(indices []string) (int64, error) {
	var total int64
	for i := 0; i < len(indices); i += 50 { // a request line holds about 50 long names
		var st struct {
			All struct {
				Primaries struct {
					Store struct {
						Size int64 `json:"size_in_bytes"`
					} `json:"store"`
				} `json:"primaries"`
			} `json:"_all"`
		}
		if err := a.call("GET", "/"+strings.Join(indices[i:min(i+50, len(indices))], ",")+"/_stats/store", nil, &st); err != nil {
			return 0, err
		}
		total += st.All.Primaries.Store.Size
	}
	return total, nil
}

// deleteIndices deletes the named indices that exist (the clusters refuse wildcards in deletes).
func (a *admin) deleteIndices(names []string) error {
	for i := 0; i < len(names); i += 50 {
		part := names[i:min(i+50, len(names))]
		if err := a.call("DELETE", "/"+strings.Join(part, ",")+"?ignore_unavailable=true", nil, nil, 404); err != nil {
			return err
		}
	}
	return nil
}

// matching lists the indices matching a pattern.
func (a *admin) matching(pattern string) ([]string, error) {
	var rows []struct{ Index string }
	if err := a.call("GET", "/_cat/indices/"+pattern+"?format=json&h=index&expand_wildcards=all", nil, &rows); err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rows {
		out = append(out, r.Index)
	}
	return out, nil
}

// dropRepositories unregisters every snapshot repository of the cluster.
func (a *admin) dropRepositories() error {
	var repos map[string]any
	if err := a.call("GET", "/_snapshot/_all", nil, &repos); err != nil {
		return err
	}
	for name := range repos {
		if err := a.call("DELETE", "/_snapshot/"+name, nil, nil, 404); err != nil {
			return err
		}
	}
	return nil
}

// clientStats is the cluster's own count of the requests of every HTTP connection it has seen, open or closed
// (_nodes/stats/http, 7.9+), by connection. It keeps closed connections for
// http.client_stats.closed_channels.max_age (5m by default) and at most max_count of them (10,000): run.sh raises
// both so that a long row with many connections is counted whole.
type clientStats map[string]int64

// clients reads the connections of every node, except the harness's own.
func (a *admin) clients() (clientStats, error) {
	var st struct {
		Nodes map[string]struct {
			HTTP struct {
				Clients []struct {
					ID           int64  `json:"id"`
					Agent        string `json:"agent"`
					Remote       string `json:"remote_address"`
					Opened       int64  `json:"opened_time_millis"`
					RequestCount int64  `json:"request_count"`
				} `json:"clients"`
			} `json:"http"`
		} `json:"nodes"`
	}
	if err := a.call("GET", "/_nodes/stats/http", nil, &st); err != nil {
		return nil, err
	}
	out := clientStats{}
	for node, n := range st.Nodes {
		for _, c := range n.HTTP.Clients {
			if !strings.Contains(c.Agent, harnessAgent) {
				out[fmt.Sprintf("%s/%d/%s/%d", node, c.ID, c.Remote, c.Opened)] = c.RequestCount
			}
		}
	}
	return out, nil
}

// since counts the requests sent after the earlier reading: those of new connections and the new requests of
// old ones. (The connections are told apart by identity, not by their opening time: Elasticsearch stamps that
// from a clock it refreshes only every 200 ms.)
func (now clientStats) since(before clientStats) (requests int64, connections int) {
	for k, n := range now {
		if d := n - before[k]; d > 0 {
			requests += d
			connections++
		}
	}
	return requests, connections
}

// usage is what /usr/bin/time -v (or, without it, the kernel's rusage of the child) says about a process tree.
type usage struct {
	Wall     time.Duration
	CPU      time.Duration // user + system of the process and the children it waited for
	PeakRSS  int64         // KiB, of the largest process of the tree
	Source   string        // "/usr/bin/time -v" or "rusage"
	ExitCode int
}

// runMeasured runs argv with its output to logPath, measured by /usr/bin/time -v when it exists.
func runMeasured(argv []string, env []string, logPath string) (usage, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return usage{}, err
	}
	defer logf.Close()
	timeOut := logPath + ".time"
	u := usage{Source: "rusage"}
	full := argv
	if _, err := os.Stat("/usr/bin/time"); err == nil {
		full = append([]string{"/usr/bin/time", "-v", "-o", timeOut}, argv...)
		u.Source = "/usr/bin/time -v"
	}
	cmd := exec.Command(full[0], full[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	start := time.Now()
	err = cmd.Run()
	u.Wall = time.Since(start)
	if cmd.ProcessState != nil {
		u.ExitCode = cmd.ProcessState.ExitCode()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			u.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			u.PeakRSS = ru.Maxrss
		}
	}
	if u.Source != "rusage" {
		if tv, perr := parseTimeV(timeOut); perr == nil {
			u.CPU, u.PeakRSS = tv.CPU, tv.PeakRSS
			if tv.ExitCode != 0 {
				u.ExitCode = tv.ExitCode
			}
		}
	}
	if err != nil || u.ExitCode != 0 {
		tail, _ := tailFile(logPath, 25)
		return u, fmt.Errorf("%s exited with %d (%v); last lines of %s:\n%s", strings.Join(argv, " "), u.ExitCode, err, logPath, tail)
	}
	return u, nil
}

// parseTimeV reads the output of GNU time -v.
func parseTimeV(path string) (usage, error) {
	f, err := os.Open(path)
	if err != nil {
		return usage{}, err
	}
	defer f.Close()
	var u usage
	var user, sys float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ": ")
		if !ok {
			continue
		}
		switch k {
		case "User time (seconds)":
			user, _ = strconv.ParseFloat(v, 64)
		case "System time (seconds)":
			sys, _ = strconv.ParseFloat(v, 64)
		case "Maximum resident set size (kbytes)":
			u.PeakRSS, _ = strconv.ParseInt(v, 10, 64)
		case "Exit status":
			u.ExitCode, _ = strconv.Atoi(v)
		}
	}
	u.CPU = time.Duration((user + sys) * float64(time.Second))
	return u, sc.Err()
}

func tailFile(path string, n int) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n"), nil
}

// jvmCPU is the CPU time a cluster's JVM has used so far (from /proc), or 0 when its pid file is missing.
func jvmCPU(pidFile string) time.Duration {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return 0
	}
	stat, err := os.ReadFile(filepath.Join("/proc", strings.TrimSpace(string(b)), "stat"))
	if err != nil {
		return 0
	}
	// fields after the command name (which is in parentheses and may hold spaces)
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(fields) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(fields[11], 10, 64)
	st, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}

// machine describes where the benchmark ran.
type machine struct {
	CPUs     int    `json:"cpus"`
	CPUModel string `json:"cpu_model"`
	MemoryGB string `json:"memory"`
	Disk     string `json:"disk"`
	Kernel   string `json:"kernel"`
	Go       string `json:"go"`
	Node     string `json:"node,omitempty"`
}

func describeMachine(dir string) machine {
	m := machine{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "MemTotal:") {
				kb, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
				m.MemoryGB = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	if out, err := exec.Command("df", "-hT", dir).Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if f := strings.Fields(lines[len(lines)-1]); len(f) >= 3 {
			m.Disk = fmt.Sprintf("%s on %s (%s)", f[1], f[0], f[2])
			dev := filepath.Base(f[0])
			if rot, err := os.ReadFile("/sys/block/" + strings.TrimRightFunc(dev, func(r rune) bool { return r >= '0' && r <= '9' }) + "/queue/rotational"); err == nil {
				m.Disk += ", queue/rotational=" + strings.TrimSpace(string(rot)) // virtual disks often say 1 whatever is behind them
			}
		}
	}
	if out, err := exec.Command("uname", "-r").Output(); err == nil {
		m.Kernel = strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("node", "--version").Output(); err == nil {
		m.Node = strings.TrimSpace(string(out))
	}
	return m
}

// clustersCPU is the CPU time both clusters' JVMs have used so far.
func (h *harness) clustersCPU() time.Duration {
	return jvmCPU(filepath.Join(h.runDir, "source.pid")) + jvmCPU(filepath.Join(h.runDir, "target.pid"))
}

// machineBusy is the CPU time the whole machine has spent busy so far (/proc/stat: user, nice, system, irq,
// softirq, steal), every process of every user: with the clusters' and the contender's own time taken out, it
// says how much other work ran beside a run.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		v, _ := strconv.ParseInt(f[i], 10, 64)
		busy += v
	}
	return time.Duration(busy) * time.Second / 100 // USER_HZ
}

// loadAvg is /proc/loadavg's 1, 5 and 15 minute load averages.
func loadAvg() [3]float64 {
	var l [3]float64
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Sscan(string(b), &l[0], &l[1], &l[2])
	}
	return l
}

func load1() float64 { return loadAvg()[0] }

// freeBytes is the space left for an unprivileged user on the file system of dir.
func freeBytes(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// emptyDir removes everything inside dir, keeping dir itself (a path.repo directory must stay).
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}
