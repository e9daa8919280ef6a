package steps

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParsePlan: whatever the bytes, the parser returns a plan or an error, never panics, and a plan it accepts
// is valid and survives being written and read again.
func FuzzParsePlan(f *testing.F) {
	p := DefaultPlan()
	p.Source.URL, p.Target.URL = "http://a:9200", "http://b:9200"
	p.Repository.SourceLocation, p.Repository.Shared = "/opt/data/es_backup", true
	p.Indices = []string{"logs-*"}
	f.Add(p.YAML())
	f.Add([]byte("version: 1\nsource: {url: 'http://a:9200'}\n"))
	f.Add([]byte("version: [1\n"))
	f.Add([]byte("indices: !!binary aGVsbG8=\n"))
	f.Add([]byte("poll_interval: 1h\nbatch_max_size: 1e400gb\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		plan, err := ParsePlan(b, "fuzz.yaml")
		if err != nil {
			return
		}
		if err := plan.Validate(); err != nil {
			t.Fatalf("accepted an invalid plan: %v", err)
		}
		if _, err := ParsePlan(plan.YAML(), "again.yaml"); err != nil {
			t.Fatalf("an accepted plan does not read back: %v\n%s", err, plan.YAML())
		}
	})
}

// FuzzReadState: a damaged state file is refused with an error, never a panic or a half-read state.
func FuzzReadState(f *testing.F) {
	f.Add([]byte(`{"version":1,"plan_hash":"abc","batches":[{"number":1,"phase":"restore","indices":[{"name":"a"}]}]}`))
	f.Add([]byte(`{"version":1,"batches":[{"num`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`null`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "state.json")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := ReadState(path)
		if err == nil && (st == nil || st.Version != stateVersion) {
			t.Fatalf("accepted a state of version %v", st)
		}
	})
}
