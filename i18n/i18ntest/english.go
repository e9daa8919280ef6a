// Package i18ntest holds what tests of every package use to tell English of ours on a screen of another
// language, by a rule independent of how the screen is made (keys, labels, fallbacks): the words of the
// catalogues.
package i18ntest

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/esmigrate/esmigrate/i18n"
)

// OurEnglishWords are the words of our English that Chinese never uses: every word of the English catalogue's
// messages that appears in no message of the Chinese catalogue. The rule is independent of how a screen is
// put together (it knows nothing of keys, labels or fallbacks): a Chinese screen that shows one of these words
// shows English of ours. Words the Chinese catalogue keeps as they are (Elasticsearch, path.repo, curl, uid)
// are names and allowed.
var OurEnglishWords = sync.OnceValue(func() map[string]bool {
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

// EnglishOfOurs lists the words of our English found on a screen, outside names (tokens that hold a digit, a
// path's or a setting's characters) and outside the names given (the fixtures' own: cluster and index names).
func EnglishOfOurs(screen string, names ...string) []string {
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
			if lw := strings.ToLower(w); OurEnglishWords()[lw] && !seen[lw] {
				seen[lw] = true
				out = append(out, w)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Names lists what a message shows as it is, in every language: its arguments that are strings (names, paths),
// names (i18n.Name) and errors that do not say themselves as messages (the system's "not a directory",
// Elasticsearch's reasons), however deep. Give them to EnglishOfOurs: their words are not ours.
func Names(m i18n.Msg) []string {
	var out []string
	var walk func(a any)
	walk = func(a any) {
		switch v := a.(type) {
		case i18n.Msg:
			if v.Key == "i18n.name" || v.Verbatim() {
				out = append(out, fmt.Sprint(v.Args[0]))
				return
			}
			for _, x := range v.Args {
				walk(x)
			}
		case *i18n.Msg:
			walk(*v)
		case i18n.Localizable:
			walk(v.Localize())
		case error:
			out = append(out, v.Error())
		case string:
			out = append(out, v)
		}
	}
	walk(m)
	// Longest first, so that a name inside another is not taken out of it first.
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}
