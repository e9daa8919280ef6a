package esclient

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/source-requests.md from the guard's table")

// sourceRequestsDoc renders the guard's table as the table of docs/source-requests.md.
func sourceRequestsDoc() string {
	var b strings.Builder
	b.WriteString("| Methods | Route | Why |\n|---|---|---|\n")
	for _, r := range SourceRoutes() {
		b.WriteString("| " + strings.ReplaceAll(r.Methods, " ", ", ") + " | `" + r.Pattern + "` | " + r.Why + " |\n")
	}
	return b.String()
}

// The document an operator reads is the table the guard enforces: this test fails when they differ
// (go test ./esclient -run TestSourceRequestsDoc -update-docs rewrites the table part of the document).
func TestSourceRequestsDocIsTheGuardsTable(t *testing.T) {
	const path = "../docs/source-requests.md"
	const marker = "<!-- table: generated from esclient/guard.go by go test ./esclient -update-docs -->\n"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head, _, ok := strings.Cut(string(b), marker)
	if !ok {
		t.Fatalf("%s lacks the marker line %q", path, marker)
	}
	want := head + marker + sourceRequestsDoc()
	if *updateDocs {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(b) != want {
		t.Errorf("%s differs from the guard's table: run go test ./esclient -run TestSourceRequestsDoc -update-docs", path)
	}
}
