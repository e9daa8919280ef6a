// Package envtest gives integration tests the addresses of the real test clusters started by
// testenv/cluster.sh. It never skips: a test that needs a cluster fails, loudly, when none is there,
// because a skipped integration test proves nothing.
package envtest

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Env is what testenv/cluster.sh started.
type Env struct {
	SourceURL     string // http://127.0.0.1:19200
	TargetURL     string // http://127.0.0.1:19210
	SourceRepoDir string // the source cluster's share (in its path.repo)
	TargetRepoDir string // the target cluster's share (in its path.repo)
	SharedRepoDir string // a directory in the path.repo of both clusters
	Dir           string // the test environment's run directory
	LegacyURL     string // an older cluster (7.10) with the sample data, when started with LEGACY=1
	LegacyRepoDir string // the legacy cluster's share
	// HalfMountedRepoDir is in every legacy node's path.repo, but node legacy-2 runs in a mount namespace where
	// an empty tmpfs covers it: a share mounted on some nodes only, for real.
	HalfMountedRepoDir string
	NextURL            string // an Elasticsearch 8.x cluster (path.repo: the target's share and the shared one), NEXT=1
	OpenSearchURL      string // an OpenSearch 2.x cluster (same shares), OPENSEARCH=1
}

// Load reads the environment from ESM_* variables, or from testenv/.run/env (written by
// `testenv/cluster.sh start`), and checks that both clusters answer. It fails the test otherwise.
func Load(t testing.TB) Env {
	t.Helper()
	env, err := load()
	if err != nil {
		t.Fatalf("test clusters: %v\nstart them with `testenv/cluster.sh start` (or run `make test`, which does it)", err)
	}
	for name, url := range map[string]string{"source": env.SourceURL, "target": env.TargetURL} {
		if err := ping(url); err != nil {
			t.Fatalf("test clusters: the %s cluster at %s does not answer: %v\nstart them with `testenv/cluster.sh start` (or run `make test`)", name, url, err)
		}
	}
	return env
}

func load() (Env, error) {
	vars := map[string]string{}
	if f, err := os.Open(envFile()); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export ")
			k, v, ok := strings.Cut(line, "=")
			if ok {
				vars[k] = strings.Trim(v, `'"`)
			}
		}
	}
	get := func(k string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return vars[k]
	}
	e := Env{
		SourceURL:          get("ESM_SOURCE_URL"),
		TargetURL:          get("ESM_TARGET_URL"),
		SourceRepoDir:      get("ESM_SOURCE_REPO_DIR"),
		TargetRepoDir:      get("ESM_TARGET_REPO_DIR"),
		SharedRepoDir:      get("ESM_SHARED_REPO_DIR"),
		Dir:                get("ESM_TESTENV_DIR"),
		LegacyURL:          get("ESM_LEGACY_URL"),
		LegacyRepoDir:      get("ESM_LEGACY_REPO_DIR"),
		HalfMountedRepoDir: get("ESM_HALF_MOUNTED_REPO_DIR"),
		NextURL:            get("ESM_NEXT_URL"),
		OpenSearchURL:      get("ESM_OPENSEARCH_URL"),
	}
	if e.SourceURL == "" || e.TargetURL == "" || e.SourceRepoDir == "" || e.TargetRepoDir == "" || e.SharedRepoDir == "" {
		return e, fmt.Errorf("ESM_SOURCE_URL, ESM_TARGET_URL and the ESM_*_REPO_DIR variables are not set and %s does not provide them", envFile())
	}
	return e, nil
}

// envFile is testenv/.run/env next to this source file, unless ESM_TESTENV_DIR says otherwise.
func envFile() string {
	if d := os.Getenv("ESM_TESTENV_DIR"); d != "" {
		return filepath.Join(d, "env")
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", ".run", "env")
}

func ping(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}

// Legacy returns the environment and fails the test when the older "legacy" cluster is not running (start the
// test clusters with LEGACY=1, as make test does).
func Legacy(t testing.TB) Env {
	t.Helper()
	env := Load(t)
	if env.LegacyURL == "" {
		t.Fatalf("test clusters: no legacy cluster: start them with LEGACY=1 testenv/cluster.sh start (make test does)")
	}
	if err := ping(env.LegacyURL); err != nil {
		t.Fatalf("test clusters: the legacy cluster at %s does not answer: %v", env.LegacyURL, err)
	}
	return env
}

// Extra returns the URL of one of the optional clusters ("next": Elasticsearch 8, "opensearch") and fails the
// test when it is not running (make test starts them).
func Extra(t testing.TB, name string) string {
	t.Helper()
	env := Load(t)
	url := map[string]string{"next": env.NextURL, "opensearch": env.OpenSearchURL, "legacy": env.LegacyURL}[name]
	if url == "" {
		t.Fatalf("test clusters: no %s cluster: start them with %s=1 testenv/cluster.sh start (make test does)", name, strings.ToUpper(name))
	}
	if err := ping(url); err != nil {
		t.Fatalf("test clusters: the %s cluster at %s does not answer: %v", name, url, err)
	}
	return url
}

// Unique returns a name for test-owned indices, repositories and snapshots that does not collide
// with other tests or earlier runs: lower case, as Elasticsearch requires.
func Unique(prefix string) string {
	return strings.ToLower(fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1_000_000_000))
}
