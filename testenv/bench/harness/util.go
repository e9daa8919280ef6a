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
	if err := a.call("POST", "/"+strings.Join(indices, ",")+"/_refresh", nil, nil); err != nil {
		return nil, err
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
	var st struct {
		All struct {
			Primaries struct {
				Store struct {
					Size int64 `json:"size_in_bytes"`
				} `json:"store"`
			} `json:"primaries"`
		} `json:"_all"`
	}
	err := a.call("GET", "/"+strings.Join(indices, ",")+"/_stats/store", nil, &st)
	return st.All.Primaries.Store.Size, err
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

// directRequests sums the requests the cluster received since sinceMillis (cluster clock) on HTTP connections
// that came neither through a counting proxy nor from the harness: those of a remote reindex, whose source is
// given to the target by address and cannot go through the proxy (the target's reindex.remote.whitelist names
// the real source).
func (a *admin) directRequests(sinceMillis int64) (int64, error) {
	var st struct {
		Nodes map[string]struct {
			HTTP struct {
				Clients []struct {
					Agent        string `json:"agent"`
					Opened       int64  `json:"opened_time_millis"`
					LastRequest  int64  `json:"last_request_time_millis"`
					RequestCount int64  `json:"request_count"`
				} `json:"clients"`
			} `json:"http"`
		} `json:"nodes"`
	}
	if err := a.call("GET", "/_nodes/stats/http", nil, &st); err != nil {
		return 0, err
	}
	var n int64
	for _, node := range st.Nodes {
		for _, c := range node.HTTP.Clients {
			if c.Opened >= sinceMillis && !strings.Contains(c.Agent, proxyMarker) && !strings.Contains(c.Agent, harnessAgent) {
				n += c.RequestCount
			}
		}
	}
	return n, nil
}

// clock is the cluster's current time in milliseconds (for directRequests).
func (a *admin) clock() (int64, error) {
	var st struct {
		Nodes map[string]struct {
			Timestamp int64 `json:"timestamp"`
		} `json:"nodes"`
	}
	if err := a.call("GET", "/_nodes/stats/http?filter_path=nodes.*.timestamp", nil, &st); err != nil {
		return 0, err
	}
	for _, n := range st.Nodes {
		return n.Timestamp, nil
	}
	return 0, fmt.Errorf("no node in the stats")
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
