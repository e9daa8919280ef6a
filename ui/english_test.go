package ui

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/esmigrate/esmigrate/i18n"
)

// ourEnglishWords are the words of our English that Chinese never uses: every word of the English catalogue's
// messages that appears in no message of the Chinese catalogue. The rule is independent of how a screen is
// put together (it knows nothing of keys, labels or fallbacks): a Chinese screen that shows one of these words
// shows English of ours. Words the Chinese catalogue keeps as they are (Elasticsearch, path.repo, curl, uid)
// are names and allowed.
var ourEnglishWords = sync.OnceValue(func() map[string]bool {
	wordRE := regexp.MustCompile(`[A-Za-z]{3,}`)
	verbRE := regexp.MustCompile(`%(\[\d+\])?[-+# 0-9.]*[a-zA-Z]`)
	words := func(lang string) map[string]bool {
		out := map[string]bool{}
		for _, k := range i18n.Keys(lang) {
			f, _ := i18n.Format(lang, k)
			for _, w := range wordRE.FindAllString(verbRE.ReplaceAllString(f, " "), -1) {
				out[strings.ToLower(w)] = true
			}
		}
		return out
	}
	en, zh := words("en"), words("zh")
	for w := range zh {
		delete(en, w)
	}
	// Names that are not words of ours: the keys as the keyboard names them (the help bar shows "enter 继续"),
	// and Elasticsearch's own values of an index's health and state (the index table shows them as _cat does).
	for _, w := range []string{"enter", "space", "tab", "esc", "home", "end", "pgup", "pgdn", "pgdown", "ctrl", "shift",
		"green", "yellow", "red", "open", "close"} {
		delete(en, w)
	}
	return en
})

// nameTokenRE is a token that is a name, not a word: it has a digit or one of the characters of paths, URLs,
// index names, settings and flags.
var nameTokenRE = regexp.MustCompile(`[0-9./\\_=:@'"{}<>\[\]*+-]`)

// englishOfOurs lists the words of our English found on a screen, outside names (tokens that hold a digit, a
// path's or a setting's characters) and outside the names given (the fixtures' own: cluster and index names).
func englishOfOurs(screen string, names ...string) []string {
	for _, n := range names {
		screen = strings.ReplaceAll(screen, n, " ")
	}
	seen := map[string]bool{}
	var out []string
	// Tokens end at spaces, at Chinese characters and at Chinese punctuation.
	tokens := strings.FieldsFunc(screen, func(r rune) bool {
		return unicode.IsSpace(r) || r > unicode.MaxASCII && !unicode.IsLetter(r) || unicode.Is(unicode.Han, r)
	})
	for _, tok := range tokens {
		tok = strings.Trim(tok, "(),;!?…")
		if tok == "" || nameTokenRE.MatchString(tok) {
			continue
		}
		for _, w := range regexp.MustCompile(`[A-Za-z]{3,}`).FindAllString(tok, -1) {
			if lw := strings.ToLower(w); ourEnglishWords()[lw] && !seen[lw] {
				seen[lw] = true
				out = append(out, w)
			}
		}
	}
	sort.Strings(out)
	return out
}

// The rule finds our English, and leaves names and Chinese alone.
func TestEnglishOfOursIsFound(t *testing.T) {
	if got := englishOfOurs("10:00:00 计划：batch 1: 1 index(es)"); len(got) == 0 {
		t.Error("the English of a plan line was not found")
	}
	if got := englishOfOurs("详情：no uid given（英文原文）"); len(got) == 0 {
		t.Error("an English finding was not found")
	}
	if got := englishOfOurs("› ▸ ✓ 快照版本兼容性  从 Elasticsearch 7.17.29 到 Elasticsearch 7.17.29\n源集群每个节点的 path.repo 都包含 /data/source-repo/esmigrate  全部 1 个节点\ncurl -sS -X PUT 'http://10.0.0.1:9200/_snapshot/esmigrate'"); len(got) > 0 {
		t.Errorf("names taken for English: %q", got)
	}
	if len(ourEnglishWords()) < 500 {
		t.Fatalf("only %d words of our English: the catalogues were not read", len(ourEnglishWords()))
	}
}

// No Chinese screen of the goldens shows English of ours: every screen of the wizard at both sizes, the
// engine's checks, findings, fixes, events and curl comments among them.
func TestChineseGoldensShowNoEnglishOfOurs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "TestGolden", "*", "zh", "*.golden"))
	if err != nil || len(files) < 20 {
		t.Fatalf("found %d Chinese goldens (%v)", len(files), err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// The fixtures' names: clusters, nodes and the fake's hosts.
		if w := englishOfOurs(string(b), "source-cluster", "target-cluster"); len(w) > 0 {
			t.Errorf("%s shows English of ours %q:\n%s", f, w, b)
		}
	}
}
