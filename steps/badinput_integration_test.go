//go:build integration

package steps_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/testenv/envtest"
	"github.com/esmigrate/esmigrate/testenv/faultproxy"
)

// badInput is one mistake an operator makes, or one thing someone hostile plants. Each must end in a message that
// says what is wrong and what to do, with no request that changes anything on either cluster (unless the row says
// what it may change), and its bad outcome must not happen.
type badInput struct {
	name string
	// arrange changes the plan (and the world) into the mistake.
	arrange func(t *testing.T, m *migration, creds *steps.Credentials)
	// want are words the message must contain: what is wrong, and the fix. Empty: the run must succeed.
	want []string
	// registers: the mistake is only found by the repository verification, which registers the repository.
	registers bool
	// wire puts recording proxies in front of both clusters (plain HTTP URLs only): requests are judged as they
	// arrive there, outside esmigrate. Rows that talk to something other than a cluster's HTTP port go without.
	wire bool
	// options adjusts the engine's options (the default accepts warnings).
	options func(o *steps.Options)
	// try runs the mistake another way than the engine's Run (the binary, several runs); p is the plan with the
	// wire URLs.
	try func(t *testing.T, m *migration, p steps.Plan, o steps.Options) tried
	// may lists changing requests the row's outcome includes (a migration that must go through, a snapshot
	// taken before the mistake shows); nil: none.
	may func(change string) bool
	// after checks that the input was really hostile (the planted link is there, the listener got the request)
	// and that its bad outcome did not happen (the file behind the link is unchanged, the secret is nowhere).
	after func(t *testing.T, m *migration, r tried)
}

// tried is what a row's run did.
type tried struct {
	err      error  // the engine's error (engine rows)
	exit     int    // the binary's exit code; -1 for engine rows
	out      string // the error's text, or everything the binary printed
	requests int    // requests that reached either cluster (at the wire when wire, else as sent)
	changes  []string
	events   []steps.Event
}

var badInputs = []badInput{
	{name: "an unreachable URL",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) { m.plan.Source.URL = "http://127.0.0.1:1" },
		want:    []string{"connection refused", "check that http://127.0.0.1:1 is the address of a running node of the source cluster"}},
	{name: "the wrong scheme",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			m.plan.Target.URL = strings.Replace(m.env.TargetURL, "http://", "https://", 1)
		},
		want: []string{"target", "plain HTTP, not HTTPS", "use http:// in the URL"}},
	{name: "a wrong password",
		arrange: func(t *testing.T, m *migration, c *steps.Credentials) {
			p := faultproxy.Start(t, m.env.TargetURL, faultproxy.Options{User: "elastic", Password: "right-one"})
			m.plan.Target.URL, m.plan.Target.Username = p.URL, "elastic"
			c.TargetPassword = "wrong-one"
		},
		want: []string{"target", "unable to authenticate user [elastic]", "check the user and password"}},
	{name: "a CA that did not sign the cluster's certificate",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			p := faultproxy.Start(t, m.env.SourceURL, faultproxy.Options{TLS: true})
			other := faultproxy.Start(t, m.env.SourceURL, faultproxy.Options{TLS: true})
			m.plan.Source.URL, m.plan.Source.CACert = p.URL, other.CAFile
		},
		want: []string{"source", "authority this machine does not trust", "--ca-cert"}},
	{name: "an expired certificate",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			p := faultproxy.Start(t, m.env.SourceURL, faultproxy.Options{TLS: true, Expired: true})
			m.plan.Source.URL, m.plan.Source.CACert = p.URL, p.CAFile
		},
		want: []string{"source", "expired", "renew the certificate"}},
	{name: "a repository location outside path.repo",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			m.plan.Repository.SourceLocation = "/opt/data/es_backup"
		},
		want: []string{"path.repo does not include /opt/data/es_backup on node(s) source-1", "elasticsearch.yml", "restart"}},
	{name: "a location one node lacks in path.repo",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			env := envtest.Legacy(t)
			m.plan.Source.URL = env.LegacyURL
			m.plan.Repository.SourceLocation = filepath.Join(env.LegacyRepoDir, m.id)
		},
		want: []string{"on node(s) legacy-2", "legacy-2: path.repo [", "restart them one at a time"}},
	{name: "a location not mounted on every node",
		// For real: legacy-2 runs in a mount namespace of its own where the share is an empty tmpfs
		// (testenv/cluster.sh), so Elasticsearch's own _verify fails and names it.
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			env := envtest.Legacy(t)
			if env.HalfMountedRepoDir == "" {
				t.Fatal("test clusters: no half-mounted share: start them with the current testenv/cluster.sh")
			}
			m.plan.Source.URL = env.LegacyURL
			m.plan.Repository.SourceLocation = filepath.Join(env.HalfMountedRepoDir, m.id)
		},
		registers: true,
		want:      []string{"cannot be accessed on the node [{legacy-2}", "mount the NFS share at that path on all nodes"},
		after:     legacy2DoesNotSeeTheShare},
	{name: "a source index that does not exist",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) { m.plan.Indices = []string{"no-such-index"} },
		want:    []string{"not found on the source: no-such-index", "check the names"}},
	{name: "a closed source index",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) { m.plan.Indices = []string{"closed-index"} },
		want:    []string{"closed-index: closed", "open it on the source first"}},
	{name: "an invalid snapshot name",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) { m.plan.SnapshotName = "Nightly Backup" },
		want:    []string{"snapshot_prefix", "must be lower case"}},
	{name: "an invalid repository name",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) { m.plan.Repository.Name = "my repo" },
		want:    []string{"repository.name", "must not contain"}},
	{name: "an index that already exists on the target",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			name := steps.TargetName("metrics-small", m.plan.Restore)
			if err := m.dst.Do(context.Background(), i18n.Text("create"), esclient.Request{Method: "PUT", Path: "/" + name}, nil); err != nil {
				t.Fatal(err)
			}
		},
		want: []string{"already on the target: " + "", "rename pattern"}},
	{name: "a rename that maps two indices to one name",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			m.plan.Indices = []string{"logs-2026.11.01", "logs-2026.11.02"}
			m.plan.Restore.RenamePattern, m.plan.Restore.RenameReplacement = "logs-.*", m.id+"-all-logs"
		},
		want: []string{m_("all-logs ← logs-2026.11.01, logs-2026.11.02"), "distinct name"}},
	{name: "an incompatible version pair",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			m.plan.Target.URL = envtest.Legacy(t).LegacyURL
		},
		want: []string{"Elasticsearch 7.17.29 → Elasticsearch 7.10.2", "cannot be restored into the older", "upgrade the target"}},
	{name: "a missing analysis plugin on the target",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			env := envtest.Legacy(t)
			legacy, _ := esclient.New(esclient.Config{Role: "legacy", URL: env.LegacyURL})
			name := m.id + "-english"
			body := map[string]any{"mappings": map[string]any{"properties": map[string]any{"text": map[string]any{"type": "text", "analyzer": "english"}}}}
			if err := legacy.Do(context.Background(), i18n.Text("create"), esclient.Request{Method: "PUT", Path: "/" + name, Body: body}, nil); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { legacy.DeleteIndices(context.Background(), []string{name}) })
			m.plan.Source.URL, m.plan.Indices = env.LegacyURL, []string{name}
			m.plan.Repository.SourceLocation = filepath.Join(env.SharedRepoDir, m.id)
		},
		want: []string{"analysis-common (used by " + "", "is missing on target-1", "install on every target node"}},
}

// m_ marks a fragment that contains the test's id (filled in at run time).
func m_(s string) string { return "\x00" + s }

func TestBadInputIsExplainedAndChangesNothing(t *testing.T) {
	for _, bi := range append(badInputs, hostileInputs...) {
		t.Run(bi.name, func(t *testing.T) {
			m := newMigration(t, false, "metrics-small")
			var creds steps.Credentials
			if bi.arrange != nil {
				bi.arrange(t, m, &creds)
			}
			before := len(m.snapshots())
			p := m.plan
			var wires []*faultproxy.Proxy
			if bi.wire {
				for _, u := range []*string{&p.Source.URL, &p.Target.URL} {
					if strings.HasPrefix(*u, "http://") {
						w := faultproxy.Start(t, *u, faultproxy.Options{})
						*u = w.URL
						wires = append(wires, w)
					}
				}
			}
			var mu sync.Mutex
			var observed []esclient.Sent
			o := steps.Options{Credentials: creds, AcceptWarnings: true, ObserveRequests: func(s esclient.Sent) {
				mu.Lock()
				observed = append(observed, s)
				mu.Unlock()
			}}
			if bi.options != nil {
				bi.options(&o)
			}
			var r tried
			if bi.try != nil {
				r = bi.try(t, m, p, o)
			} else {
				r = runEngine(t, m, p, o)
			}
			// What reached the clusters: at the wire when the row has proxies there, else as the clients sent it.
			if len(wires) > 0 {
				r.requests, r.changes = 0, nil
				for _, w := range wires {
					for _, s := range w.Requests() {
						r.requests++
						if c := changing(s.Method, s.Path); c != "" {
							r.changes = append(r.changes, c)
						}
					}
				}
			} else if bi.try == nil {
				mu.Lock()
				r.requests = len(observed)
				for _, s := range observed {
					if c := changing(s.Method, s.Path); c != "" {
						r.changes = append(r.changes, s.Role+" "+c)
					}
				}
				mu.Unlock()
			}
			m.mu.Lock()
			r.events = append([]steps.Event(nil), m.events...)
			m.mu.Unlock()
			// Whatever went wrong is said to a Chinese screen in Chinese: every event, and the error.
			saidInChinese(t, r.events, r.err)

			if len(bi.want) > 0 && r.err == nil && r.exit <= 0 {
				t.Fatalf("the mistake was not noticed:\n%s", r.out)
			}
			if len(bi.want) == 0 && (r.err != nil || r.exit > 0) {
				t.Fatalf("the run failed: %v (exit %d)\n%s", r.err, r.exit, r.out)
			}
			for _, w := range bi.want {
				if strings.HasPrefix(w, "\x00") {
					w = m.id + "-" + w[1:]
				}
				if !strings.Contains(r.out, w) {
					t.Errorf("the message lacks %q:\n%s", w, r.out)
				}
			}
			for _, c := range r.changes {
				if bi.registers && strings.Contains(c, "PUT /_snapshot/"+m.id) && !strings.Contains(c, "/"+m.id+"/") {
					continue
				}
				if bi.may != nil && bi.may(c) {
					continue
				}
				t.Errorf("a changing request was sent: %s", c)
			}
			if bi.may == nil {
				if n := len(m.snapshots()); n != before {
					t.Errorf("a snapshot was taken (%d before, %d after)", before, n)
				}
			}
			if bi.after != nil {
				bi.after(t, m, r)
			}
		})
	}
}

// runEngine runs the plan through the engine, as the wizard and the headless mode do.
func runEngine(t *testing.T, m *migration, p steps.Plan, o steps.Options, hooks ...func(steps.Event)) tried {
	r := tried{exit: -1}
	e, err := steps.New(p, withEvents(m, o, hooks...))
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		_, err = e.Run(ctx)
	}
	r.err = err
	if err != nil {
		r.out = err.Error()
	}
	return r
}

// changing says what a request changes ("" for one that only reads: GET, HEAD, and the requests that only
// carry a read, judged by their whole route and method, never by the last segment alone: POST _refresh, _count,
// _search, _msearch, _mget on the root or on indices, the next page of a scroll, a repository's _verify and the
// allocation explain. PUT /idx/_doc/_count writes a document named _count: it is a change.)
func changing(method, path string) string {
	p := strings.SplitN(path, "?", 2)[0]
	if method == "GET" || method == "HEAD" {
		return ""
	}
	segs := strings.Split(strings.Trim(p, "/"), "/")
	index := func(s string) bool { return s != "" && !strings.HasPrefix(s, "_") }
	if method == "POST" {
		switch {
		case len(segs) == 1 && slices.Contains([]string{"_refresh", "_count", "_search", "_msearch", "_mget"}, segs[0]),
			len(segs) == 2 && index(segs[0]) && slices.Contains([]string{"_refresh", "_count", "_search", "_msearch", "_mget"}, segs[1]),
			len(segs) == 2 && segs[0] == "_search" && segs[1] == "scroll",
			len(segs) == 3 && segs[0] == "_snapshot" && index(segs[1]) && segs[2] == "_verify",
			len(segs) == 3 && segs[0] == "_cluster" && segs[1] == "allocation" && segs[2] == "explain":
			return ""
		}
	}
	return method + " " + p
}

// The bad-input suite's rule is judged on its own: the reads the engine sends pass, and the writes that wear a
// read's name at the end (issue 11, item 6: what the old guard let through) are changes.
func TestTheChangingRuleSeesWritesBehindAReadsName(t *testing.T) {
	for _, r := range [][2]string{{"GET", "/_snapshot/_status"}, {"HEAD", "/logs"}, {"POST", "/_msearch"}, {"POST", "/logs,metrics/_refresh"},
		{"POST", "/logs/_count"}, {"POST", "/logs/_search?scroll=1m"}, {"POST", "/_search/scroll"}, {"POST", "/_snapshot/esm/_verify"},
		{"POST", "/_cluster/allocation/explain"}, {"POST", "/_mget"}} {
		if c := changing(r[0], r[1]); c != "" {
			t.Errorf("%s %s is a read, judged a change: %s", r[0], r[1], c)
		}
	}
	for _, r := range [][2]string{{"PUT", "/logs/_doc/_count"}, {"DELETE", "/logs/_doc/_search"}, {"POST", "/logs/_doc/_count"},
		{"PUT", "/logs/_create/_search"}, {"PUT", "/_snapshot/esm/_verify"}, {"DELETE", "/logs/_refresh"}, {"POST", "/_bulk"},
		{"PUT", "/_snapshot/esm/s1"}, {"POST", "/_snapshot/esm/s1/_restore"}, {"DELETE", "/logs"}, {"PUT", "/logs/_count"}} {
		if changing(r[0], r[1]) == "" {
			t.Errorf("%s %s changes something, judged a read", r[0], r[1])
		}
	}
}

// withEvents records every event of a run in m, then hands it to the test's hooks (which provoke faults at a
// given moment).
func withEvents(m *migration, o steps.Options, hooks ...func(steps.Event)) steps.Options {
	o.OnEvent = func(e steps.Event) {
		m.mu.Lock()
		m.events = append(m.events, e)
		m.mu.Unlock()
		for _, h := range hooks {
			h(e)
		}
	}
	return o
}

func TestAMalformedPlanFileNamesTheLineAndTheField(t *testing.T) {
	plan := filepath.Join(t.TempDir(), "plan.yaml")
	os.WriteFile(plan, []byte("version: 1\nsource:\n  url: http://127.0.0.1:19220\n  pasword_env: X\n"), 0o600)
	out, err := exec.Command(binary, "run", "--plan", plan).CombinedOutput()
	var ee *exec.ExitError
	if err == nil || !errorsAs(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("exit: %v (want 2)\n%s", err, out)
	}
	if !strings.Contains(string(out), plan+":4: pasword_env: unknown field") {
		t.Errorf("message:\n%s", out)
	}
}

func errorsAs(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*target = e
	}
	return ok
}
