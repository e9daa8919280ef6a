package steps

import (
	"context"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esmigrate/esmigrate/esclient"
)

// The branches of sameStorage that the real test clusters cannot reach: the plan's repository seen on this host
// under another path than the nodes', another repository whose directory this host does not see, and a cluster
// that reports (or not) a repository uuid. The real clusters cover the uuid (7.17) and device-and-inode (7.10)
// cases in the bad-input suite.
func TestASecondWriterIsFoundByIdentityNotByPath(t *testing.T) {
	local := t.TempDir() // where this host sees the plan's repository
	writeRepo := func(uuid string, snaps ...string) {
		latest := make([]byte, 8)
		binary.BigEndian.PutUint64(latest, 3)
		os.WriteFile(filepath.Join(local, "index.latest"), latest, 0o600)
		var list []string
		for _, s := range snaps {
			list = append(list, `{"name":"n-`+s+`","uuid":"`+s+`"}`)
		}
		u := ""
		if uuid != "" {
			u = `"uuid":"` + uuid + `",`
		}
		os.WriteFile(filepath.Join(local, "index-3"), []byte(`{`+u+`"snapshots":[`+strings.Join(list, ",")+`]}`), 0o600)
	}
	cluster := func(theirUUID string, theirSnaps ...string) *esclient.Client {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			switch r.URL.Path {
			case "/_snapshot/other/_all":
				var list []string
				for _, s := range theirSnaps {
					list = append(list, `{"snapshot":"x","uuid":"`+s+`"}`)
				}
				w.Write([]byte(`{"snapshots":[` + strings.Join(list, ",") + `]}`))
			case "/_snapshot/other":
				u := ""
				if theirUUID != "" {
					u = `"uuid":"` + theirUUID + `",`
				}
				w.Write([]byte(`{"other":{"type":"fs",` + u + `"settings":{"location":"/mnt/elsewhere/repo"}}}`))
			default:
				w.WriteHeader(404)
				w.Write([]byte(`{"error":{"type":"repository_missing_exception","reason":"missing"},"status":404}`))
			}
		}))
		t.Cleanup(srv.Close)
		c, _ := esclient.New(esclient.Config{Role: "source", URL: srv.URL})
		return c
	}
	p := DefaultPlan()
	p.Repository.SourceLocation, p.Repository.SourceLocal = "/mnt/nodes/repo", local
	e := &Engine{plan: p}
	other := esclient.Repository{Name: "other", Type: "fs", Settings: map[string]string{"location": "/mnt/elsewhere/repo"}}
	spec := e.repositorySpec(false)
	cases := []struct {
		name               string
		ourUUID, theirUUID string
		ours, theirs       []string
		same               bool
		how                string
	}{
		{"the same uuid", "U1", "U1", []string{"a"}, []string{"a"}, true, "the same repository uuid U1"},
		{"another uuid, whatever the snapshots", "U1", "U2", []string{"a"}, []string{"a"}, false, ""},
		{"no uuid (7.10): the same snapshots as our index-N", "", "", []string{"a", "b"}, []string{"b", "a"}, true, "the same snapshots as the repository's index-N"},
		{"no uuid: other snapshots", "", "", []string{"a", "b"}, []string{"a", "c"}, false, ""},
		{"no uuid, nothing to compare (empty repositories)", "", "", nil, nil, false, ""},
	}
	for _, c := range cases {
		writeRepo(c.ourUUID, c.ours...)
		same, howMsg := e.sameStorage(context.Background(), cluster(c.theirUUID, c.theirs...), false, spec, other)
		how := howMsg.String()
		if same != c.same || !strings.Contains(how, c.how) {
			t.Errorf("%s: same=%v (%s), want %v (%s)", c.name, same, how, c.same, c.how)
		}
	}
}

func TestHostPathMapsTheNodesPathsOntoThisHosts(t *testing.T) {
	for _, c := range []struct{ loc, node, local, want string }{
		{"/mnt/es/other", "/mnt/es/ours", "/data/share/ours", "/data/share/other"},
		{"/mnt/es/x/y", "/mnt/es/ours", "/data/share/ours", "/data/share/x/y"},
		{"/elsewhere/other", "/mnt/es/ours", "/data/share/ours", "/elsewhere/other"},
		{"/mnt/es/other", "/mnt/es/ours", "/mnt/es/ours", "/mnt/es/other"},
	} {
		if got := hostPath(c.loc, c.node, c.local); got != c.want {
			t.Errorf("hostPath(%s, %s, %s) = %s, want %s", c.loc, c.node, c.local, got, c.want)
		}
	}
}
