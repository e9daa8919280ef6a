package nfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func parseFixture(t *testing.T, name string) ([]Export, error) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata/exports", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return ParseExports(f, name)
}

func TestParseExportsGood(t *testing.T) {
	ex, err := parseFixture(t, "good.exports")
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]Export{}
	for _, e := range ex {
		byPath[e.Path] = e
	}
	if len(ex) != 9 {
		t.Fatalf("got %d exports: %+v", len(ex), ex)
	}
	es := byPath["/srv/es_backup"]
	if es.Line != 3 || len(es.Clients) != 2 || es.Clients[1].Host != "10.0.0.0/24" {
		t.Fatalf("es_backup: %+v", es)
	}
	c := es.Clients[0]
	if u, g := c.Anon(); !c.RW() || !c.Sync() || !c.AllSquash() || u != 1000 || g != 1000 {
		t.Errorf("es1 options: %+v", c)
	}
	if h := byPath["/srv/homes"].Clients; h[0].Host != "*.example.com" || h[0].RW() || h[1].Host != "@trusted" || h[1].RootSquash() {
		t.Errorf("homes: %+v", h)
	}
	if _, ok := byPath["/srv/with space"]; !ok {
		t.Errorf("quoted path missing")
	}
	if _, ok := byPath["/srv/escaped space"]; !ok {
		t.Errorf("escaped path missing")
	}
	d := byPath["/srv/defaults"].Clients
	if len(d) != 2 || !d[0].RW() || d[0].RootSquash() || d[1].RW() || d[1].RootSquash() {
		t.Errorf("defaults from -opts: %+v", d)
	}
	cont := byPath["/srv/continued"]
	if cont.Line != 8 || len(cont.Clients) != 2 || cont.Clients[1].Sync() {
		t.Errorf("continued line: %+v", cont)
	}
	if p := byPath["/srv/public"].Clients; len(p) != 1 || p[0].Host != "*" || !p[0].AllSquash() {
		t.Errorf("world export: %+v", p)
	}
	sp := byPath["/srv/spacey"]
	if len(sp.Notes) != 1 || !strings.Contains(sp.Notes[0].String(), "apply to everyone") || sp.Clients[0].RW() || sp.Clients[1].Host != "*" {
		t.Errorf("space before parenthesis: %+v", sp)
	}
	if nc := byPath["/srv/noclient"]; len(nc.Notes) != 1 || nc.Clients[0].Host != "*" || nc.Clients[0].RW() {
		t.Errorf("no client: %+v", nc)
	}
}

func TestParseExportsErrors(t *testing.T) {
	ex, err := parseFixture(t, "errors.exports")
	if err == nil {
		t.Fatal("no error")
	}
	if len(ex) != 2 {
		t.Errorf("the good lines should still be returned, got %+v", ex)
	}
	want := map[int]string{
		3: "missing closing parenthesis",
		4: "not absolute",
		5: `unknown option "bogus_option"`,
		6: "not a number",
		7: "unterminated double quote",
	}
	msg := err.Error()
	for line, text := range want {
		prefix := fmt.Sprintf("errors.exports:%d: ", line)
		found := false
		for _, l := range strings.Split(msg, "\n") {
			if strings.HasPrefix(l, prefix) && strings.Contains(l, text) {
				found = true
			}
		}
		if !found {
			t.Errorf("no %q at line %d in:\n%s", text, line, msg)
		}
	}
	var se *SyntaxError
	if !errors.As(err, &se) || se.File != "errors.exports" {
		t.Errorf("error is not a *SyntaxError: %T", err)
	}
}

func TestParseExportsMoreErrors(t *testing.T) {
	for line, want := range map[string]string{
		"/a h(rw))":      "more than one",
		"/a h(rw)x":      "after the closing",
		"/a h)":          "without an opening",
		"/a h(rw,,sync)": "empty option",
		"/a h(rw=1)":     "takes no value",
		"/a h(anonuid)":  "needs a value",
		"/a -bogus h":    "default options",
		"/a(rw)":         "parenthesis",
	} {
		_, err := ParseExports(strings.NewReader(line), "x")
		if err == nil || !strings.Contains(err.Error(), "x:1: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", line, err, want)
		}
	}
}

// exportsFile writes an exports file for dir with the given client spec and returns its name.
func exportsFile(t *testing.T, content string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "exports")
	if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func statusOf(rs []Result, id string) (Result, bool) {
	for _, r := range rs {
		if r.ID == id {
			return r, true
		}
	}
	return Result{}, false
}

func wantStatus(t *testing.T, rs []Result, id string, s Status, contains ...string) Result {
	t.Helper()
	r, ok := statusOf(rs, id)
	if !ok {
		t.Fatalf("no result %s in %v", id, rs)
	}
	if r.Status != s {
		t.Errorf("%s: status %s, want %s: %s", id, r.Status, s, r)
	}
	for _, c := range contains {
		if !strings.Contains(r.Evidence+" "+r.Fix, c) {
			t.Errorf("%s: %q not in %s", id, c, r)
		}
	}
	if r.Status != OK && r.Fix == "" {
		t.Errorf("%s: %s without a fix: %s", id, r.Status, r)
	}
	return r
}

func TestCheckExports(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	uid, gid := os.Geteuid(), os.Getegid() // the temp dir's owner: writable by "Elasticsearch"
	esc := escapeExportPath(dir)
	line := func(opts string) string { return fmt.Sprintf("%s es1(%s)\n", esc, opts) }

	t.Run("all_squash to the uid", func(t *testing.T) {
		rs := CheckExports([]string{exportsFile(t, line(fmt.Sprintf("rw,sync,all_squash,anonuid=%d,anongid=%d", uid, gid)))}, dir, uid, gid)
		for _, r := range rs {
			if r.Status != OK {
				t.Errorf("%s", r)
			}
		}
	})
	t.Run("all_squash to another uid", func(t *testing.T) {
		rs := CheckExports([]string{exportsFile(t, line("rw,sync,all_squash,anonuid=4242,anongid=4242"))}, dir, uid, gid)
		wantStatus(t, rs, "exports.squash", Fail, "4242:4242", fmt.Sprintf("anonuid=%d", uid))
	})
	t.Run("no_root_squash", func(t *testing.T) {
		rs := CheckExports([]string{exportsFile(t, line("rw,sync,no_root_squash"))}, dir, uid, gid)
		wantStatus(t, rs, "exports.squash", OK, "no_root_squash")
	})
	t.Run("root_squash with a dir the uid cannot write", func(t *testing.T) {
		rs := CheckExports([]string{exportsFile(t, line("rw,sync"))}, dir, 4242, 4242)
		if uid == 4242 {
			t.Fatal("test runs as uid 4242")
		}
		wantStatus(t, rs, "exports.squash", Fail, "chown 4242:4242", "root_squash")
	})
	t.Run("root_squash and Elasticsearch as root", func(t *testing.T) {
		rs := CheckExports([]string{exportsFile(t, line("rw,sync"))}, dir, 0, 0)
		wantStatus(t, rs, "exports.squash", Fail, "no_root_squash")
	})
	t.Run("read-only and async", func(t *testing.T) {
		rs := CheckExports([]string{exportsFile(t, line("async,no_root_squash"))}, dir, uid, gid)
		wantStatus(t, rs, "exports.rw", Fail, "read-only")
		wantStatus(t, rs, "exports.sync", Warn, "async")
	})
	t.Run("mixed ro and rw", func(t *testing.T) {
		rs := CheckExports([]string{exportsFile(t, fmt.Sprintf("%s es1(rw,no_root_squash) es2(ro)\n", esc))}, dir, uid, gid)
		wantStatus(t, rs, "exports.rw", Warn, "es2", "readonly")
	})
	t.Run("not exported", func(t *testing.T) {
		rs := CheckExports([]string{exportsFile(t, "/elsewhere es1(rw)\n")}, dir, uid, gid)
		wantStatus(t, rs, "exports.path", Fail, "add to /etc/exports", fmt.Sprintf("anonuid=%d", uid))
	})
	t.Run("exported through a parent", func(t *testing.T) {
		rs := CheckExports([]string{exportsFile(t, fmt.Sprintf("%s es1(rw,no_root_squash)\n", escapeExportPath(filepath.Dir(dir))))}, dir, uid, gid)
		wantStatus(t, rs, "exports.path", Warn, "parent")
	})
	t.Run("exported twice", func(t *testing.T) {
		rs := CheckExports([]string{exportsFile(t, line("rw,no_root_squash")), exportsFile(t, line("rw,no_root_squash"))}, dir, uid, gid)
		wantStatus(t, rs, "exports.path", Warn, "more than once")
	})
	t.Run("syntax error names the line", func(t *testing.T) {
		f := exportsFile(t, "# c\n"+line("rw,no_root_squash")+"/broken es1(rw\n")
		rs := CheckExports([]string{f}, dir, uid, gid)
		wantStatus(t, rs, "exports.syntax", Fail, f+":3:", "missing closing parenthesis")
		wantStatus(t, rs, "exports.path", OK)
	})
	t.Run("missing /etc/exports", func(t *testing.T) {
		rs := CheckExports([]string{filepath.Join(t.TempDir(), "exports")}, dir, uid, gid)
		wantStatus(t, rs, "exports.syntax", Fail, "no such file")
		wantStatus(t, rs, "exports.path", Fail)
	})
	t.Run("exports.d", func(t *testing.T) {
		root := t.TempDir()
		os.MkdirAll(filepath.Join(root, "etc/exports.d"), 0o755)
		os.WriteFile(filepath.Join(root, "etc/exports"), []byte("# empty\n"), 0o644)
		os.WriteFile(filepath.Join(root, "etc/exports.d/es.exports"), []byte(line("rw,no_root_squash")), 0o644)
		os.WriteFile(filepath.Join(root, "etc/exports.d/ignored.txt"), []byte("/x y(\n"), 0o644)
		files := ExportsFiles(root)
		if len(files) != 2 {
			t.Fatalf("files: %v", files)
		}
		rs := CheckExports(files, dir, uid, gid)
		wantStatus(t, rs, "exports.path", OK, "es.exports:1")
	})
}

func TestCheckExportsApplied(t *testing.T) {
	d := t.TempDir()
	etab := filepath.Join(d, "etab")
	exp := filepath.Join(d, "exports")
	os.WriteFile(exp, []byte("/srv/es es1(rw)\n"), 0o644)
	os.WriteFile(etab, []byte("/srv/es\tes1(rw,sync,wdelay,hide,nocrossmnt,secure,root_squash)\n"), 0o644)
	if r := CheckExportsApplied(etab, []string{exp}, "/srv/es"); r.Status != OK {
		t.Errorf("applied: %s", r)
	}
	if r := CheckExportsApplied(etab, []string{exp}, "/srv/other"); r.Status != Fail || !strings.Contains(r.Fix, "exportfs -ra") {
		t.Errorf("not applied: %s", r)
	}
	later := filepath.Join(d, "exports2")
	os.WriteFile(later, nil, 0o644)
	past := mustTime(t, "2020-01-01T00:00:00Z")
	os.Chtimes(etab, past, past)
	if r := CheckExportsApplied(etab, []string{later}, "/srv/es"); r.Status != Warn || !strings.Contains(r.Evidence, "changed after") {
		t.Errorf("newer exports: %s", r)
	}
	if r := CheckExportsApplied(filepath.Join(d, "none"), nil, "/srv/es"); r.Status != Warn {
		t.Errorf("no etab: %s", r)
	}
}
