// Command seed loads the sample indices of the test environment into a cluster: several sizes, replicas that a
// one-node cluster cannot allocate (yellow), nested documents (where _cat/indices and _count disagree), an alias
// over several indices, an empty index, a closed index and a hidden dot-index. Data is generated from a fixed
// seed, so every run produces the same documents.
//
//	go run ./testenv/seed --url http://127.0.0.1:19200
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"strings"
	"time"
)

// SampleIndex is one index the seed creates.
type sampleIndex struct {
	name     string
	docs     int
	shards   int
	replicas int
	hidden   bool
	closed   bool
	nested   bool
}

var samples = []sampleIndex{
	{name: "articles", docs: 3000, shards: 2, replicas: 0, nested: true},
	{name: "logs-2026.11.01", docs: 12000, shards: 1, replicas: 1},
	{name: "logs-2026.11.02", docs: 20000, shards: 1, replicas: 1},
	{name: "logs-2026.11.03", docs: 6000, shards: 1, replicas: 0},
	{name: "metrics-small", docs: 250, shards: 1, replicas: 0},
	{name: "empty-index", docs: 0, shards: 1, replicas: 0},
	{name: "closed-index", docs: 100, shards: 1, replicas: 0, closed: true},
	{name: ".esm-internal", docs: 10, shards: 1, replicas: 0, hidden: true},
}

func main() {
	url := flag.String("url", "http://127.0.0.1:19200", "cluster to seed")
	flag.Parse()
	s := &seeder{url: strings.TrimRight(*url, "/"), rnd: rand.New(rand.NewSource(42)), hc: &http.Client{Timeout: 2 * time.Minute}}
	for _, ix := range samples {
		if err := s.index(ix); err != nil {
			fmt.Fprintf(os.Stderr, "seed: %s: %v\n", ix.name, err)
			os.Exit(1)
		}
	}
	if err := s.call("POST", "/_aliases", map[string]any{"actions": []any{
		map[string]any{"add": map[string]any{"index": "logs-*", "alias": "logs"}},
		map[string]any{"add": map[string]any{"index": "articles", "alias": "content", "is_write_index": true}},
	}}); err != nil {
		fmt.Fprintf(os.Stderr, "seed: aliases: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("seed: %d sample indices in %s\n", len(samples), s.url)
}

type seeder struct {
	url string
	rnd *rand.Rand
	hc  *http.Client
}

func (s *seeder) index(ix sampleIndex) error {
	_ = s.call("DELETE", "/"+ix.name, nil) // a re-seed starts from scratch; a missing index is fine
	settings := map[string]any{"number_of_shards": ix.shards, "number_of_replicas": ix.replicas}
	if ix.hidden {
		settings["hidden"] = true
	}
	props := map[string]any{
		"title":     map[string]any{"type": "text"},
		"body":      map[string]any{"type": "text"},
		"tag":       map[string]any{"type": "keyword"},
		"level":     map[string]any{"type": "keyword"},
		"bytes":     map[string]any{"type": "long"},
		"score":     map[string]any{"type": "double"},
		"timestamp": map[string]any{"type": "date"},
	}
	if ix.nested {
		props["comments"] = map[string]any{"type": "nested", "properties": map[string]any{
			"author": map[string]any{"type": "keyword"}, "text": map[string]any{"type": "text"}}}
	}
	if err := s.call("PUT", "/"+ix.name, map[string]any{"settings": map[string]any{"index": settings},
		"mappings": map[string]any{"properties": props}}); err != nil {
		return err
	}
	const batch = 2000
	for start := 0; start < ix.docs; start += batch {
		var buf bytes.Buffer
		for i := start; i < ix.docs && i < start+batch; i++ {
			fmt.Fprintf(&buf, `{"index":{"_id":"%d"}}`+"\n", i)
			doc := s.doc(i, ix.nested)
			b, _ := json.Marshal(doc)
			buf.Write(b)
			buf.WriteByte('\n')
		}
		if err := s.bulk(ix.name, buf.Bytes()); err != nil {
			return err
		}
	}
	if err := s.call("POST", "/"+ix.name+"/_refresh", nil); err != nil {
		return err
	}
	if ix.closed {
		return s.call("POST", "/"+ix.name+"/_close", nil)
	}
	return nil
}

var words = strings.Fields(`snapshot restore cluster shard replica index node repository migration share mount export
	elasticsearch search document field mapping analyzer token query filter bucket metric log error warning info
	数据 迁移 快照 恢复 集群 索引 节点 仓库 共享 目录`)
var levels = []string{"INFO", "WARN", "ERROR", "DEBUG"}

func (s *seeder) doc(i int, nested bool) map[string]any {
	sentence := func(n int) string {
		w := make([]string, n)
		for j := range w {
			w[j] = words[s.rnd.Intn(len(words))]
		}
		return strings.Join(w, " ")
	}
	d := map[string]any{
		"title":     sentence(4),
		"body":      sentence(30 + s.rnd.Intn(40)),
		"tag":       words[s.rnd.Intn(len(words))],
		"level":     levels[s.rnd.Intn(len(levels))],
		"bytes":     s.rnd.Int63n(1 << 20),
		"score":     s.rnd.Float64() * 100,
		"timestamp": time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second).Format(time.RFC3339),
	}
	if nested {
		n := 1 + s.rnd.Intn(3)
		cs := make([]any, n)
		for j := range cs {
			cs[j] = map[string]any{"author": fmt.Sprintf("user%d", s.rnd.Intn(50)), "text": sentence(8)}
		}
		d["comments"] = cs
	}
	return d
}

func (s *seeder) bulk(index string, body []byte) error {
	req, _ := http.NewRequest("POST", s.url+"/"+index+"/_bulk", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct {
		Errors bool `json:"errors"`
		Items  []map[string]struct {
			Error any `json:"error"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return fmt.Errorf("bulk: HTTP %d: %v", resp.StatusCode, err)
	}
	if r.Errors {
		for _, it := range r.Items {
			for _, v := range it {
				if v.Error != nil {
					return fmt.Errorf("bulk: %v", v.Error)
				}
			}
		}
	}
	return nil
}

func (s *seeder) call(method, path string, body any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, b)
	}
	return nil
}
