//go:build integration

package nfs

// The copy against real clusters (testenv/cluster.sh): a repository written by the source cluster is copied to
// the target cluster's share, registered there read-only and restored. Plain net/http: the copy must work
// whatever client the engine uses.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/testenv/envtest"
)

// es sends one request and returns the decoded JSON answer; anything but 2xx fails the test.
func es(t *testing.T, method, url string, body any) map[string]any {
	t.Helper()
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
		if strings.Contains(url, "_bulk") {
			ct = "application/x-ndjson"
		}
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: HTTP %d: %s", method, url, resp.StatusCode, raw)
	}
	var out map[string]any
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, raw)
		}
	}
	return out
}

// esQuiet is es for clean-up: errors are ignored.
func esQuiet(method, url string) {
	req, _ := http.NewRequest(method, url, nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
}

func index(t *testing.T, url, idx string, from, n int) {
	t.Helper()
	var b strings.Builder
	r := rand.New(rand.NewPCG(uint64(from), 7))
	for i := from; i < from+n; i++ {
		text := make([]byte, 800)
		for j := range text {
			text[j] = "abcdefghijklmnopqrstuvwxyz     "[r.IntN(31)]
		}
		fmt.Fprintf(&b, "{\"index\":{\"_index\":%q,\"_id\":\"%d\"}}\n{\"n\":%d,\"text\":%q}\n", idx, i, i, text)
	}
	res := es(t, "POST", url+"/_bulk?refresh=true", b.String())
	if res["errors"] != false {
		t.Fatalf("bulk into %s had errors: %v", idx, res)
	}
}

func snapshot(t *testing.T, url, repo, snap, idx string) {
	t.Helper()
	res := es(t, "PUT", fmt.Sprintf("%s/_snapshot/%s/%s?wait_for_completion=true", url, repo, snap),
		map[string]any{"indices": idx, "include_global_state": false})
	s, _ := res["snapshot"].(map[string]any)
	if s == nil || s["state"] != "SUCCESS" {
		t.Fatalf("snapshot %s/%s: %v", repo, snap, res)
	}
}

// restoreCount restores idx from repo/snap under prefix+idx on the target and returns its document count.
func restoreCount(t *testing.T, url, repo, snap, idx, prefix string) float64 {
	t.Helper()
	res := es(t, "POST", fmt.Sprintf("%s/_snapshot/%s/%s/_restore?wait_for_completion=true", url, repo, snap), map[string]any{
		"indices": idx, "include_global_state": false, "rename_pattern": "(.+)", "rename_replacement": prefix + "$1",
		"index_settings": map[string]any{"index.number_of_replicas": 0},
	})
	shards, _ := res["snapshot"].(map[string]any)["shards"].(map[string]any)
	if shards == nil || shards["failed"] != float64(0) || shards["successful"] != shards["total"] {
		t.Fatalf("restore of %s/%s: %v", repo, snap, res)
	}
	es(t, "POST", url+"/"+prefix+idx+"/_refresh", nil)
	return es(t, "GET", url+"/"+prefix+idx+"/_count", nil)["count"].(float64)
}

func TestIntegrationCopyRepositoryRestoresOnTarget(t *testing.T) {
	env := envtest.Load(t)
	name := envtest.Unique("nfs")
	idx := name + "-idx"
	srcRepo := filepath.Join(env.SourceRepoDir, name)
	dst := filepath.Join(env.TargetRepoDir, name)
	dst2 := filepath.Join(env.TargetRepoDir, name+"-b")
	t.Cleanup(func() {
		for _, i := range []string{idx} {
			esQuiet("DELETE", env.SourceURL+"/"+i)
		}
		for _, p := range []string{"r1-", "r2-", "r3-"} {
			esQuiet("DELETE", env.TargetURL+"/"+p+idx)
		}
		esQuiet("DELETE", env.SourceURL+"/_snapshot/"+name)
		esQuiet("DELETE", env.TargetURL+"/_snapshot/"+name)
		esQuiet("DELETE", env.TargetURL+"/_snapshot/"+name+"-b")
		os.RemoveAll(srcRepo)
		os.RemoveAll(dst)
		os.RemoveAll(dst2)
	})

	es(t, "PUT", env.SourceURL+"/"+idx, map[string]any{"settings": map[string]any{"number_of_shards": 2, "number_of_replicas": 0}})
	index(t, env.SourceURL, idx, 0, 600)
	es(t, "PUT", env.SourceURL+"/_snapshot/"+name, map[string]any{"type": "fs", "settings": map[string]any{"location": srcRepo}})
	snapshot(t, env.SourceURL, name, "snap1", idx)

	// 1. the first copy, registered read-only on the target and restored
	var last CopyProgress
	res, err := CopyRepository(context.Background(), srcRepo, dst, CopyOptions{Progress: func(p CopyProgress) { last = p }})
	if err != nil {
		t.Fatal(err)
	}
	sameTree(t, srcRepo, dst)
	if res.FilesCopied == 0 || last.FilesDone != last.FilesTotal || last.BytesDone != last.BytesTotal {
		t.Fatalf("copy result %+v, last progress %+v", res, last)
	}
	t.Logf("first copy: %d files, %d bytes in %s", res.FilesCopied, res.BytesCopied, res.Duration)
	es(t, "PUT", env.TargetURL+"/_snapshot/"+name, map[string]any{"type": "fs", "settings": map[string]any{"location": dst, "readonly": true}})
	if n := restoreCount(t, env.TargetURL, name, "snap1", idx, "r1-"); n != 600 {
		t.Fatalf("restored %v documents from snap1, want 600", n)
	}

	// 2. the next batch: an incremental snapshot; only its new files are copied, and the read-only target
	// repository sees the new snapshot without being registered again
	index(t, env.SourceURL, idx, 600, 300)
	snapshot(t, env.SourceURL, name, "snap2", idx)
	// Prune: Elasticsearch deleted the old index-0 and shard generation files on the source
	res2, err := CopyRepository(context.Background(), srcRepo, dst, CopyOptions{Prune: true})
	if err != nil {
		t.Fatal(err)
	}
	sameTree(t, srcRepo, dst)
	if res2.FilesSkipped == 0 || res2.BytesSkipped < res2.BytesCopied || res2.FilesCopied == 0 {
		t.Errorf("incremental copy: %+v (first copy had %d files)", res2, res.FilesCopied)
	}
	t.Logf("incremental copy: %d files copied, %d skipped, %d pruned", res2.FilesCopied, res2.FilesSkipped, res2.FilesPruned)
	if res2.FilesPruned == 0 {
		t.Errorf("nothing pruned: Elasticsearch should have replaced index-0 by index-1")
	}
	if n := restoreCount(t, env.TargetURL, name, "snap2", idx, "r2-"); n != 900 {
		t.Fatalf("restored %v documents from snap2, want 900", n)
	}

	// 3. an interrupted copy into a fresh directory: cancelled mid-way, then a truncated blob left at its final
	// name (as a killed cp would leave it); the second run finishes it and the target restores from it
	ctx, cancel := context.WithCancel(context.Background())
	_, err = CopyRepository(ctx, srcRepo, dst2, CopyOptions{Workers: 2, BytesPerSecond: 256 << 10, ProgressInterval: 5 * time.Millisecond,
		Progress: func(p CopyProgress) {
			if p.FilesDone > 0 {
				cancel()
			}
		}})
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(dst2, "index.latest")); err == nil {
		t.Fatal("a cancelled copy wrote index.latest")
	}
	noLeftovers(t, dst2)
	var biggest string
	var size int64
	filepath.WalkDir(srcRepo, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), "__") {
			if fi, _ := d.Info(); fi != nil && fi.Size() > size {
				biggest, size = p, fi.Size()
			}
		}
		return nil
	})
	if biggest == "" {
		t.Fatal("no data blob in the source repository")
	}
	rel, _ := filepath.Rel(srcRepo, biggest)
	b, _ := os.ReadFile(biggest)
	os.MkdirAll(filepath.Dir(filepath.Join(dst2, rel)), 0o755)
	if err := os.WriteFile(filepath.Join(dst2, rel), b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	res3, err := CopyRepository(context.Background(), srcRepo, dst2, CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sameTree(t, srcRepo, dst2)
	t.Logf("resumed copy: %d files copied, %d skipped", res3.FilesCopied, res3.FilesSkipped)
	if res3.FilesSkipped == 0 {
		t.Errorf("the resumed copy copied everything again: %+v", res3)
	}
	es(t, "PUT", env.TargetURL+"/_snapshot/"+name+"-b", map[string]any{"type": "fs", "settings": map[string]any{"location": dst2, "readonly": true}})
	if n := restoreCount(t, env.TargetURL, name+"-b", "snap2", idx, "r3-"); n != 900 {
		t.Fatalf("restored %v documents from the resumed copy, want 900", n)
	}

	// 4. a share that holds another repository (another repository of the same cluster, copied there) is
	// refused, whatever the Elasticsearch version writes into index-N
	otherRepo := filepath.Join(env.SourceRepoDir, name+"-other")
	otherDst := filepath.Join(env.TargetRepoDir, name+"-other")
	t.Cleanup(func() {
		esQuiet("DELETE", env.SourceURL+"/_snapshot/"+name+"-other")
		os.RemoveAll(otherRepo)
		os.RemoveAll(otherDst)
	})
	es(t, "PUT", env.SourceURL+"/_snapshot/"+name+"-other", map[string]any{"type": "fs", "settings": map[string]any{"location": otherRepo}})
	snapshot(t, env.SourceURL, name+"-other", "other1", idx)
	if _, err := CopyRepository(context.Background(), otherRepo, otherDst, CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = CopyRepository(context.Background(), srcRepo, otherDst, CopyOptions{})
	if err == nil || !strings.Contains(err.Error(), otherDst) {
		t.Fatalf("copying a repository onto another one was not refused: %v", err)
	}
	t.Logf("refused as it should: %v", err)
}
