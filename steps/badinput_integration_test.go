//go:build integration

package steps_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/testenv/envtest"
	"github.com/esmigrate/esmigrate/testenv/faultproxy"
)

// badInput is one mistake an operator makes. Each must end in a message that says what is wrong and what to do,
// with no request that changes anything on either cluster.
type badInput struct {
	name string
	// arrange changes the plan (and the world) into the mistake.
	arrange func(t *testing.T, m *migration, creds *steps.Credentials)
	// want are words the error must contain: what is wrong, and the fix.
	want []string
	// registers: the mistake is only found by the repository verification, which registers the repository.
	registers bool
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
	{name: "a location not shared by every node",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			// The test nodes all run on this host, so they always share a directory: the proxy answers the
			// verification with Elasticsearch's own words for a share mounted on some nodes only.
			env := envtest.Legacy(t)
			p := faultproxy.Start(t, env.LegacyURL, faultproxy.Options{Fault: func(w http.ResponseWriter, r *http.Request) bool {
				if !strings.HasSuffix(r.URL.Path, "/_verify") {
					return false
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(500)
				w.Write([]byte(`{"error":{"root_cause":[{"type":"repository_verification_exception","reason":"[` + m.id + `] [[aF8k53OtRCCAb_m1o8eErA, 'RemoteTransportException[[legacy-2][127.0.0.1:19341][internal:admin/repository/verify]]; nested: RepositoryVerificationException[[` + m.id + `] a file written by master to the store [/mnt/x] cannot be accessed on the node [{legacy-2}]. This might indicate that the store [/mnt/x] is not shared between this node and the master node or that permissions on the store don't allow reading files written by the master node];']]"}],"type":"repository_verification_exception","reason":"[` + m.id + `] [[aF8k53OtRCCAb_m1o8eErA, 'a file written by master to the store [/mnt/x] cannot be accessed on the node [{legacy-2}]']]"},"status":500}`))
				return true
			}})
			m.plan.Source.URL = p.URL
			m.plan.Repository.SourceLocation = filepath.Join(env.SharedRepoDir, m.id)
		},
		registers: true,
		want:      []string{"cannot be accessed on the node [{legacy-2}]", "mount the NFS share at that path on all nodes"}},
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
			if err := m.dst.Do(context.Background(), "create", esclient.Request{Method: "PUT", Path: "/" + name}, nil); err != nil {
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
			if err := legacy.Do(context.Background(), "create", esclient.Request{Method: "PUT", Path: "/" + name, Body: body}, nil); err != nil {
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
	for _, bi := range badInputs {
		t.Run(bi.name, func(t *testing.T) {
			m := newMigration(t, false, "metrics-small")
			var creds steps.Credentials
			bi.arrange(t, m, &creds)
			var changes []string
			var mu sync.Mutex
			o := steps.Options{Credentials: creds, AcceptWarnings: true, ObserveRequests: func(s esclient.Sent) {
				path := strings.SplitN(s.Path, "?", 2)[0]
				if s.Method != "GET" && s.Method != "HEAD" && !strings.HasSuffix(path, "/_refresh") && !strings.HasSuffix(path, "/_verify") {
					mu.Lock()
					changes = append(changes, s.Role+" "+s.Method+" "+path)
					mu.Unlock()
				}
			}}
			var err error
			if e, newErr := steps.New(m.plan, withEvents(m, o)); newErr != nil {
				err = newErr
			} else {
				_, err = e.Run(context.Background())
			}
			if err == nil {
				t.Fatal("the mistake was not noticed")
			}
			msg := err.Error()
			for _, w := range bi.want {
				if strings.HasPrefix(w, "\x00") {
					w = m.id + "-" + w[1:]
				}
				if !strings.Contains(msg, w) {
					t.Errorf("the message lacks %q:\n%s", w, msg)
				}
			}
			for _, c := range changes {
				if bi.registers && strings.Contains(c, "PUT /_snapshot/"+m.id) && !strings.Contains(c, "/"+m.id+"/") {
					continue
				}
				t.Errorf("a changing request was sent: %s", c)
			}
			if len(m.snapshots()) != 0 {
				t.Errorf("a snapshot was taken")
			}
		})
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
