//go:build integration

package esclient_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/testenv/envtest"
)

// clients builds a guarded source client (allowed to write snapshots in repo, when given) and a target client.
func clients(t *testing.T, repo ...string) (envtest.Env, *esclient.Client, *esclient.Client) {
	t.Helper()
	env := envtest.Load(t)
	own := ""
	if len(repo) > 0 {
		own = repo[0]
	}
	src, err := esclient.New(esclient.Config{Role: "source", URL: env.SourceURL, ReadOnly: true, Repository: own})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := esclient.New(esclient.Config{Role: "target", URL: env.TargetURL})
	if err != nil {
		t.Fatal(err)
	}
	return env, src, dst
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return c
}

func TestInfoNamesClusterVersionAndDistribution(t *testing.T) {
	_, src, dst := clients(t)
	for _, c := range []*esclient.Client{src, dst} {
		info, err := c.Info(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if info.ClusterName != c.Role() || info.Version.Major < 7 || info.Distribution == "" {
			t.Errorf("%s: unexpected info %+v", c.Role(), info)
		}
		h, err := c.Health(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if h.Status != "green" && h.Status != "yellow" || h.Nodes < 1 {
			t.Errorf("%s: health %+v", c.Role(), h)
		}
	}
}

func TestNodesShowPathRepoOfEveryNode(t *testing.T) {
	env, src, dst := clients(t)
	for c, share := range map[*esclient.Client]string{src: env.SourceRepoDir, dst: env.TargetRepoDir} {
		nodes, err := c.Nodes(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if len(nodes) == 0 {
			t.Fatalf("%s: no nodes", c.Role())
		}
		for _, n := range nodes {
			if !contains(n.PathRepo, share) || !contains(n.PathRepo, env.SharedRepoDir) {
				t.Errorf("%s node %s: path.repo %v lacks %s or %s", c.Role(), n.Name, n.PathRepo, share, env.SharedRepoDir)
			}
			if n.Version == "" || n.ID == "" || !n.IsData() {
				t.Errorf("%s node %+v incomplete", c.Role(), n)
			}
		}
	}
}

func TestIndicesListSizesAliasesClosedAndHidden(t *testing.T) {
	_, src, _ := clients(t)
	list, err := src.Indices(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]esclient.Index{}
	for _, ix := range list {
		byName[ix.Name] = ix
	}
	logs := byName["logs-2026.11.02"]
	if logs.StoredDocs != 20000 || logs.Docs != -1 || logs.PrimaryBytes <= 0 || logs.TotalBytes < logs.PrimaryBytes || logs.Primaries != 1 || logs.Replicas != 1 {
		t.Errorf("logs-2026.11.02: %+v", logs)
	}
	if !contains(logs.Aliases, "logs") {
		t.Errorf("logs-2026.11.02 aliases %v lack logs", logs.Aliases)
	}
	if ix := byName["closed-index"]; !ix.Closed() || ix.Primaries != 1 {
		t.Errorf("closed-index: %+v", ix)
	}
	if ix := byName[".esm-internal"]; !ix.Hidden || !ix.System {
		t.Errorf(".esm-internal not hidden/system: %+v", ix)
	}
	if ix := byName["empty-index"]; ix.StoredDocs != 0 || ix.Status != "open" {
		t.Errorf("empty-index: %+v", ix)
	}
	if ix := byName["articles"]; ix.CreatedVersion == "" || ix.Primaries != 2 {
		t.Errorf("articles: %+v", ix)
	}
}

func TestCountIgnoresNestedDocuments(t *testing.T) {
	_, src, _ := clients(t)
	n, err := src.Count(ctx(t), "articles")
	if err != nil {
		t.Fatal(err)
	}
	if n != 3000 {
		t.Errorf("articles: _count %d, want 3000 top-level documents", n)
	}
	list, _ := src.Indices(ctx(t))
	if err := src.CountDocs(ctx(t), list); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, ix := range list {
		switch ix.Name {
		case "articles":
			seen++
			if ix.StoredDocs <= n || ix.Docs != n {
				t.Errorf("articles: _cat/indices counted %d (expected more than %d: nested documents), the list shows %d (want %d)", ix.StoredDocs, n, ix.Docs, n)
			}
		case "closed-index":
			seen++
			if ix.Docs != -1 {
				t.Errorf("closed-index: %d documents, want -1 (cannot be counted)", ix.Docs)
			}
		case "logs-2026.11.02":
			seen++
			if ix.Docs != 20000 {
				t.Errorf("logs-2026.11.02: %d documents", ix.Docs)
			}
		}
	}
	if seen != 3 {
		t.Errorf("the list lacks the sample indices: %+v", list)
	}
	// _msearch counts are _count's, and name what cannot be counted.
	counts, uncounted, err := src.Counts(ctx(t), []string{"articles", "logs-2026.11.02", "closed-index", "no-such-index"})
	if err != nil || counts["articles"] != n || counts["logs-2026.11.02"] != 20000 ||
		!strings.Contains(uncounted["closed-index"], "index_closed_exception") || !strings.Contains(uncounted["no-such-index"], "index_not_found_exception") {
		t.Errorf("counts %v, uncounted %v, %v", counts, uncounted, err)
	}
}

func TestSourceClientRefusesToChangeIndicesOnARealCluster(t *testing.T) {
	_, src, _ := clients(t)
	before, _ := src.Count(ctx(t), "metrics-small")
	err := src.DeleteIndices(ctx(t), []string{"metrics-small"})
	if !esclient.IsType(err, esclient.TypeSourceProtection) {
		t.Fatalf("delete through the source client: %v", err)
	}
	err = src.SetReplicas(ctx(t), []string{"metrics-small"}, 3)
	if !esclient.IsType(err, esclient.TypeSourceProtection) {
		t.Fatalf("settings through the source client: %v", err)
	}
	after, err := src.Count(ctx(t), "metrics-small")
	if err != nil || after != before {
		t.Fatalf("metrics-small changed: %d -> %d (%v)", before, after, err)
	}
}

func TestRepositoryRegisterVerifyListDelete(t *testing.T) {
	name := envtest.Unique("esc-repo")
	env, src, _ := clients(t, name)
	loc := filepath.Join(env.SourceRepoDir, name)
	spec := esclient.RepositorySpec{Name: name, Location: loc, Compress: true, MaxSnapshotBytesPerSec: "200mb"}
	if err := src.CreateRepository(ctx(t), spec); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.DeleteRepository(context.Background(), name) })
	r, ok, err := src.Repository(ctx(t), name)
	if err != nil || !ok {
		t.Fatalf("repository not listed: %v", err)
	}
	if r.Type != "fs" || r.Location() != loc || r.Settings["compress"] != "true" || r.ReadOnly() {
		t.Errorf("repository %+v", r)
	}
	nodes, err := src.VerifyRepository(ctx(t), name)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := src.Nodes(ctx(t))
	if len(nodes) != len(all) {
		t.Errorf("verification answered by %v, cluster has %d nodes", nodes, len(all))
	}
	if err := src.DeleteRepository(ctx(t), name); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := src.Repository(ctx(t), name); ok {
		t.Error("repository still registered after delete")
	}
}

func TestRepositoryOutsidePathRepoFailsWithTheFix(t *testing.T) {
	_, _, dst := clients(t)
	err := dst.CreateRepository(ctx(t), esclient.RepositorySpec{Name: envtest.Unique("esc-bad"), Location: "/opt/data/not_in_path_repo"})
	var e *esclient.Error
	if !errors.As(err, &e) {
		t.Fatalf("want *esclient.Error, got %v", err)
	}
	if e.Type != "repository_exception" || !strings.Contains(e.Reason, "path.repo") {
		t.Errorf("type/reason: %q / %q", e.Type, e.Reason)
	}
	if !strings.Contains(e.Fix, "add /opt/data/not_in_path_repo to path.repo") || !strings.Contains(e.Fix, "target") {
		t.Errorf("fix: %q", e.Fix)
	}
}

// TestSnapshotCopyRestoreWithRenameAndRecovery walks the seed procedure through the client: snapshot on the
// source, copy the repository to the target's share, register it read-only there, restore under a new name and
// follow the recovery until every shard is done.
func TestSnapshotCopyRestoreWithRenameAndRecovery(t *testing.T) {
	repo := envtest.Unique("esc-snap")
	env, src, dst := clients(t, repo)
	srcDir := filepath.Join(env.SourceRepoDir, repo)
	if err := src.CreateRepository(ctx(t), esclient.RepositorySpec{Name: repo, Location: srcDir}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.DeleteRepository(context.Background(), repo) })
	snap := "snap-1"
	if err := src.CreateSnapshot(ctx(t), esclient.SnapshotSpec{Repository: repo, Name: snap, Indices: []string{"logs-2026.11.03", "articles"}}); err != nil {
		t.Fatal(err)
	}
	var final esclient.Snapshot
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		running, err := src.RunningSnapshots(ctx(t), repo)
		if err != nil {
			t.Fatal(err)
		}
		if len(running) == 0 {
			s, ok, err := src.Snapshot(ctx(t), repo, snap)
			if err != nil || !ok {
				t.Fatalf("snapshot gone: %v", err)
			}
			final = s
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if final.State != "SUCCESS" || final.Shards.Failed != 0 || len(final.Indices) != 2 {
		t.Fatalf("snapshot: %+v", final)
	}
	st, err := src.SnapshotStatus(ctx(t), repo, snap)
	if err != nil || st.Stats.TotalBytes <= 0 || st.Shards.Done != 3 || len(st.Indices) != 2 {
		t.Fatalf("status %+v %v", st, err)
	}

	dstDir := filepath.Join(env.TargetRepoDir, repo)
	if out, err := exec.Command("cp", "-a", srcDir, dstDir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	t.Cleanup(func() { os.RemoveAll(dstDir) })
	if err := dst.CreateRepository(ctx(t), esclient.RepositorySpec{Name: repo, Location: dstDir, ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dst.DeleteRepository(context.Background(), repo) })
	list, err := dst.Snapshots(ctx(t), repo)
	if err != nil || len(list) != 1 || list[0].Name != snap {
		t.Fatalf("target sees %+v (%v)", list, err)
	}

	prefix := repo + "-"
	restored := []string{prefix + "logs-2026.11.03", prefix + "articles"}
	t.Cleanup(func() { dst.DeleteIndices(context.Background(), restored) })
	err = dst.Restore(ctx(t), esclient.RestoreSpec{Repository: repo, Snapshot: snap, Indices: []string{"logs-2026.11.03", "articles"},
		RenamePattern: "(.+)", RenameReplacement: prefix + "$1", IndexSettings: map[string]any{"index.number_of_replicas": 0},
		IgnoreIndexSettings: []string{"index.refresh_interval"}})
	if err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(2 * time.Minute)
	var shards []esclient.ShardRecovery
	for time.Now().Before(deadline) {
		shards, err = dst.Recovery(ctx(t), restored)
		if err != nil {
			t.Fatal(err)
		}
		done := len(shards) == 3
		for _, s := range shards {
			done = done && s.Done()
		}
		if done {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, s := range shards {
		if s.Type != "SNAPSHOT" || s.Snapshot != snap || s.Repository != repo || !s.Done() || s.TotalBytes <= 0 || s.RecoveredBytes+s.ReusedBytes != s.TotalBytes {
			t.Errorf("shard %+v", s)
		}
	}
	health, err := dst.IndicesHealth(ctx(t), restored)
	if err != nil || len(health) != 2 {
		t.Fatalf("health %v %v", health, err)
	}
	for _, ix := range []string{"logs-2026.11.03", "articles"} {
		if err := dst.Refresh(ctx(t), prefix+ix); err != nil {
			t.Fatal(err)
		}
		a, _ := src.Count(ctx(t), ix)
		b, err := dst.Count(ctx(t), prefix+ix)
		if err != nil || a != b || a == 0 {
			t.Errorf("%s: source %d, target %d (%v)", ix, a, b, err)
		}
	}

	// Restoring the same index again without a rename collides with the one restored above.
	err = dst.Restore(ctx(t), esclient.RestoreSpec{Repository: repo, Snapshot: snap, Indices: []string{"logs-2026.11.03"},
		RenamePattern: "(.+)", RenameReplacement: prefix + "$1"})
	var e *esclient.Error
	if !errors.As(err, &e) || !strings.Contains(e.Reason, "already exists") || e.Fix == "" {
		t.Errorf("second restore: %v", err)
	}
	if err := dst.DeleteSnapshot(ctx(t), repo, snap); err == nil {
		t.Error("deleting a snapshot through a read-only repository succeeded")
	}
}

func TestDiskUsageAndLimits(t *testing.T) {
	_, _, dst := clients(t)
	disks, err := dst.DiskUsage(ctx(t))
	if err != nil || len(disks) == 0 || disks[0].AvailBytes <= 0 || disks[0].TotalBytes < disks[0].AvailBytes {
		t.Fatalf("disk usage %+v %v", disks, err)
	}
	l, err := dst.Limits(ctx(t))
	if err != nil || l.MaxShardsPerNode <= 0 || l.HighWatermark == "" {
		t.Fatalf("limits %+v %v", l, err)
	}
}

func TestIndexDetailsAndExists(t *testing.T) {
	_, src, _ := clients(t)
	d, err := src.IndexDetails(ctx(t), []string{"articles", "closed-index"})
	if err != nil || len(d) != 2 {
		t.Fatalf("details %v %v", d, err)
	}
	if d["articles"].Settings["index.number_of_shards"] != "2" || d["articles"].Mappings["properties"] == nil {
		t.Errorf("articles details %+v", d["articles"])
	}
	ex, err := src.Exists(ctx(t), []string{"articles", "no-such-index", "closed-index"})
	if err != nil || !ex["articles"] || ex["no-such-index"] || !ex["closed-index"] {
		t.Errorf("exists %v %v", ex, err)
	}
}

func TestUnreachableClusterSaysWhatToCheck(t *testing.T) {
	c, _ := esclient.New(esclient.Config{Role: "target", URL: "http://127.0.0.1:1"})
	_, err := c.Info(ctx(t))
	var e *esclient.Error
	if !errors.As(err, &e) || e.Type != esclient.TypeUnreachable || !e.Transient() || !strings.Contains(e.Fix, "http://127.0.0.1:1") {
		t.Fatalf("unreachable: %#v", err)
	}
}

func TestHTTPSAgainstPlainHTTPSaysUseHTTP(t *testing.T) {
	env := envtest.Load(t)
	c, _ := esclient.New(esclient.Config{Role: "source", URL: strings.Replace(env.SourceURL, "http://", "https://", 1)})
	_, err := c.Info(ctx(t))
	var e *esclient.Error
	if !errors.As(err, &e) || e.Type != esclient.TypeTLS || !strings.Contains(e.Fix, "http://") {
		t.Fatalf("https against http: %#v", err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
