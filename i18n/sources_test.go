package i18n

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// engineSources are the non-test Go files of the packages that speak to the operator through message keys:
// the engine, nfs, esclient, the commands and the SSH server's start (the wizard's screens have their tests in
// ui: the goldens in both languages and TestChineseGoldensShowNoEnglishOfOurs).
func engineSources(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, glob := range []string{"../steps/*.go", "../nfs/*.go", "../esclient/*.go", "../*.go", "../ui/serve/*.go"} {
		files, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out[f] = string(b)
		}
	}
	if len(out) < 60 {
		t.Fatalf("read %d source files: the layout changed", len(out))
	}
	return out
}

var (
	// A key given as a literal: i18n.M("key", i18n.Errorf("key", Errorf("key" (the i18n package), e.say(phase,
	// batch, level, "key", and the few helpers that take a key first (bad, full, planErr's callers).
	literalKeyRE = regexp.MustCompile(`(?:\b(?:M|Errorf|m)\(|e\.say\([^"\n]*?|\bbad\("[^"]*", |\bfull\([^"\n]*?)"([a-z][a-z0-9_-]*(?:\.[a-z0-9_-]+)+)"\s*[,)]`)
	// A key made of a literal prefix and something added: i18n.M("check.health-"+s.Role).
	prefixKeyRE = regexp.MustCompile(`\bM\("([a-z][a-z0-9_.-]*[.-])"\s*\+`)
	// A result of the nfs package is titled check.nfs.<id>.
	resultIDRE = regexp.MustCompile(`newResult\("([a-z0-9.-]+)"\)`)
)

// Every key the engine, nfs, esclient and the commands name is in both catalogues: a key the catalogue lacks
// would show as "!key" on a screen. Keys made with a prefix need at least one key of that prefix.
func TestEveryKeyTheEngineUsesIsInTheCatalogues(t *testing.T) {
	en := map[string]bool{}
	for _, k := range Keys("en") {
		en[k] = true
	}
	hasPrefix := func(p string) bool {
		for k := range en {
			if strings.HasPrefix(k, p) {
				return true
			}
		}
		return false
	}
	n := 0
	for f, src := range engineSources(t) {
		for _, m := range literalKeyRE.FindAllStringSubmatch(src, -1) {
			n++
			if !en[m[1]] && !strings.HasPrefix(m[1], "i18n.") {
				t.Errorf("%s uses %q, which the catalogues lack", f, m[1])
			}
		}
		for _, m := range prefixKeyRE.FindAllStringSubmatch(src, -1) {
			if !hasPrefix(m[1]) {
				t.Errorf("%s makes keys starting with %q, and the catalogues have none", f, m[1])
			}
		}
		for _, m := range resultIDRE.FindAllStringSubmatch(src, -1) {
			if !en["check.nfs."+m[1]] {
				t.Errorf("%s: result %q has no title check.nfs.%s", f, m[1], m[1])
			}
		}
	}
	if n < 600 {
		t.Fatalf("found %d keys in the engine's sources: the pattern no longer matches the code", n)
	}
}

// What the engine says reaches the operator through keys, not as English written in the code: no event gets a
// Message of its own, no check is a literal with an English Title, no error is made with fmt.Errorf or
// errors.New except the ones named here (sentinels compared with errors.Is and never shown, and errors that
// only carry another error's text on).
func TestTheEngineWritesNoEnglishOfItsOwn(t *testing.T) {
	allowed := map[string]bool{
		// internal sentinels and wrappers, never shown as they are
		`errors.New("snapshot vanished")`:   true, // steps: replaced by snapshot.keepsvanishing before it is shown
		`errors.New(te.Errors[0])`:          true, // steps: the YAML library's words, parsed into a PlanError
		`errors.New("size changed")`:        true, // nfs/copy.go: the cleanup's flag; the error shown is nfs.copy.changed
		`fmt.Errorf("bad XDR opaque length`: true, // nfs/rpc.go: a malformed packet, inside an RPC error
		`fmt.Errorf("RPC record too large`:  true,
		`fmt.Errorf("unknown kind %q", k)`:  true, // esclient: a programming error (kinds come from ParseMetaKind)
		`fmt.Errorf("unknown scan mode`:     true, // esclient: a programming error
		// nfs: the copy's sentinel, shown as nfs.copy.busy (the i18n.Error's cause)
		`errors.New("the target is locked by another copy")`: true,
		// nfs: what the repository metadata's decoders (Smile, the codec envelope) and readers find wrong: details
		// carried inside nfs.repo.content, which says what failed and what to do
		`errors.New("not an Elasticsearch metadata blob`: true,
		`errors.New("its checksum does not match`:        true,
		`errors.New("damaged codec header")`:             true,
		`fmt.Errorf("inflate: %w", err)`:                 true,
		`fmt.Errorf("the root index file is not what`:    true,
		`fmt.Errorf("index %s has no id", name)`:         true,
		`fmt.Errorf("snapshot %s names metadata`:         true,
		`fmt.Errorf("listing %s: %w"`:                    true,
		`fmt.Errorf("shard %d of index %s:`:              true,
		`errors.New("not an object")`:                    true,
		`errors.New("a file without a name")`:            true,
		"errors.New(`\"snapshots\" is not an object`)":   true,
		`fmt.Errorf("snapshot %s lists file %s`:          true,
		`errors.New("not a Smile document`:               true,
		`fmt.Errorf("smile at byte %d: %w"`:              true,
		`errors.New("unexpected end of data")`:           true,
		`errors.New("variable-length integer too long")`: true,
		`errors.New("binary length out of range")`:       true,
		`fmt.Errorf("unknown value token`:                true,
		`fmt.Errorf("shared %s reference`:                true, // a name or a value
		`errors.New("invalid UTF-8 in a name")`:          true,
		`fmt.Errorf("unknown name token`:                 true,
		// the source guard's refusal: a safety net that only a bug reaches, sent back as Elasticsearch's reason
		// of an esmigrate_source_protection error whose fix (es.fix.guard) is translated
		`fmt.Errorf("%s %s: %v", m, rawPath, err)`:    true,
		`fmt.Errorf("%s %s is not among the requests`: true,
		`fmt.Errorf("segment %q does not decode`:      true,
		`fmt.Errorf("empty path segment")`:            true,
		`fmt.Errorf("path segment %q`:                 true,
	}
	errRE := regexp.MustCompile(`(?:fmt\.Errorf|errors\.New)\([^\n]*`)
	messageRE := regexp.MustCompile(`\bMessage:\s*("|fmt\.|[a-z]+\.(?:Error|String)\(\))`)
	literalCheckRE := regexp.MustCompile(`(?:Check|Result)\{ID:\s*"`)
	// A sentence printed as it is (two English words in a literal), by the commands above all: what they print
	// goes through the catalogue (t(key), l.T(key)) except the version line, shell and the systemd unit (a
	// file whose comments are read by whoever installs it, like the commands it holds).
	printRE := regexp.MustCompile("fmt\\.Fprint(?:f|ln)?\\([^,\n]+,\\s*[\"`][^\"`\n]*[A-Za-z]{3,} [a-z]{3,}[^\n]*")
	printAllowed := []string{`"esmigrate %s (commit %s, built %s`, "`# esmigrate serve as a systemd service.",
		`"#!/usr/bin/env bash\n"`, `set -euo pipefail`} // nfs/setup.go: the script's shell, not words
	for f, src := range engineSources(t) {
		for _, m := range printRE.FindAllString(src, -1) {
			ok := false
			for _, a := range printAllowed {
				ok = ok || strings.Contains(m, a)
			}
			if !ok {
				t.Errorf("%s prints English of its own: %s", f, m)
			}
		}
		for _, m := range errRE.FindAllString(src, -1) {
			ok := false
			for a := range allowed {
				if strings.HasPrefix(m, a) || strings.Contains(m, a) {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s makes an English error: %s", f, m)
			}
		}
		for _, m := range messageRE.FindAllString(src, -1) {
			t.Errorf("%s gives an event English of its own: %s (say it with Msg: i18n.M(key, ...))", f, m)
		}
		for _, m := range literalCheckRE.FindAllString(src, -1) {
			t.Errorf("%s writes a check as a literal: %s (use newCheck / newResult with a title key)", f, m)
		}
	}
}
