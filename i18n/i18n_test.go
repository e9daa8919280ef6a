package i18n

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

var verbRE = regexp.MustCompile(`%(\[\d+\])?[-+# 0-9.]*[a-zA-Z%]`)

// verbs lists a format's verbs by the argument they take: "1:s 2:d" (%% takes none). Explicit indexes (%[2]s)
// let a translation reorder its arguments; what counts is that every argument gets the same kind of verb.
func verbs(format string) string {
	var out []string
	next := 1
	for _, v := range verbRE.FindAllStringSubmatch(format, -1) {
		if strings.HasSuffix(v[0], "%") && len(v[0]) == 2 {
			continue
		}
		if v[1] != "" {
			next, _ = strconv.Atoi(strings.Trim(v[1], "[]"))
		}
		out = append(out, fmt.Sprintf("%d:%c", next, v[0][len(v[0])-1]))
		next++
	}
	slices.Sort(out)
	return strings.Join(slices.Compact(out), " ")
}

// Both catalogues have the same keys, and every message takes the same arguments with the same verbs.
func TestCataloguesHaveTheSameKeysAndVerbs(t *testing.T) {
	en, zh := Keys("en"), Keys("zh")
	if len(en) < 300 {
		t.Fatalf("the English catalogue has %d keys: not loaded?", len(en))
	}
	for _, k := range en {
		ef, _ := Format("en", k)
		zf, ok := Format("zh", k)
		if !ok {
			t.Errorf("zh.yaml lacks %q", k)
			continue
		}
		if verbs(ef) != verbs(zf) {
			t.Errorf("%q: en takes %q, zh takes %q", k, verbs(ef), verbs(zf))
		}
	}
	for _, k := range zh {
		if _, ok := Format("en", k); !ok {
			t.Errorf("en.yaml lacks %q", k)
		}
	}
}

func TestVerbs(t *testing.T) {
	for format, want := range map[string]string{
		"%d ok, %d warning(s)":       "1:d 2:d",
		"%[2]s 的 %[1]s":              "1:s 2:s",
		"100%% of %s, %q":            "1:s 2:q",
		"%-6s|%5.1f":                 "1:s 2:f",
		"no verb at all":             "",
		"%[1]s and again %[1]s, %ds": "1:s 2:d",
	} {
		if got := verbs(format); got != want {
			t.Errorf("verbs(%q) = %q, want %q", format, got, want)
		}
	}
}

func TestMessagesInBothLanguages(t *testing.T) {
	m := M("pf.summary", 3, 1, 0)
	if got := m.String(); got != "3 ok, 1 warning(s), 0 failure(s)" {
		t.Errorf("English: %q", got)
	}
	if got := New("zh").Msg(m); got != "3 项通过，1 项警告，0 项失败" {
		t.Errorf("Chinese: %q", got)
	}
	if got := New("zh_CN.UTF-8").Lang(); got != "zh" {
		t.Errorf("zh_CN.UTF-8 is %q", got)
	}
	if got := New("fr").Lang(); got != "en" {
		t.Errorf("fr is %q, want English", got)
	}
	// Names, paths and numbers go in as they are; a nested message is in the same language.
	nested := M("misc.error", M("pf.summary", 1, 2, 3))
	if got := New("zh").Msg(nested); got != "错误：1 项通过，2 项警告，3 项失败" {
		t.Errorf("nested: %q", got)
	}
	if got := New("zh").Msg(Text("path.repo not set")); got != "path.repo not set" {
		t.Errorf("verbatim: %q", got)
	}
	if got := New("en").T("no.such.key", 1); got != "!no.such.key 1" {
		t.Errorf("missing key: %q", got)
	}
	// Rendering never changes the caller's message.
	if _, ok := nested.Args[0].(Msg); !ok {
		t.Errorf("the nested message was replaced by its text: %#v", nested)
	}
}

func TestErrorsSayTheirMessage(t *testing.T) {
	cause := errors.New("connection refused")
	err := Errorf("misc.error", cause)
	if err.Error() != "Error: connection refused" || !errors.Is(err, cause) {
		t.Fatalf("English %q, cause seen: %v", err.Error(), errors.Is(err, cause))
	}
	if got := New("zh").Error(err); got != "错误：connection refused" {
		t.Errorf("Chinese: %q", got)
	}
	// Wrapped in English by someone else: the whole text stays English (its outer words have no key).
	wrapped := fmt.Errorf("registering: %w", err)
	if got := New("zh").Error(wrapped); got != "registering: Error: connection refused" || Localized(wrapped) || !Localized(err) {
		t.Errorf("wrapped: %q", got)
	}
	if got := MsgOf(wrapped); !got.Verbatim() {
		t.Errorf("MsgOf(wrapped) = %#v, want verbatim", got)
	}
}

// A message survives JSON (a state file, a report): numbers format with %d again, nested messages stay
// messages, and the file carries the English for people reading it.
func TestMessageJSONRoundTrip(t *testing.T) {
	m := M("misc.error", M("pf.summary", 3, int64(1), 0))
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"text":"Error: 3 ok, 1 warning(s), 0 failure(s)"`) {
		t.Errorf("no English in %s", b)
	}
	var back Msg
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.String() != m.String() || New("zh").Msg(back) != New("zh").Msg(m) {
		t.Errorf("round trip: %q, want %q", back.String(), m.String())
	}
	f := M("pf.copied", 12.5)
	b, _ = json.Marshal(f)
	_ = json.Unmarshal(b, &back)
	if back.Args[0] != 12.5 {
		t.Errorf("float arg came back as %#v", back.Args[0])
	}
}

// Lists join their items with the language's separator; names stay as they are and are not English of ours.
func TestListsAndNames(t *testing.T) {
	l := List("list.semi", []Msg{M("misc.error", "a"), {}, Name("b, c")})
	if got := l.String(); got != "Error: a; b, c" {
		t.Errorf("English: %q", got)
	}
	if got := New("zh").Msg(l); got != "错误：a；b, c" {
		t.Errorf("Chinese: %q", got)
	}
	if !List("list.semi", []Msg{{}}).IsZero() || Name("").IsZero() != true {
		t.Errorf("an empty list or name says something")
	}
	b, _ := json.Marshal(l)
	var back Msg
	if err := json.Unmarshal(b, &back); err != nil || New("zh").Msg(back) != New("zh").Msg(l) {
		t.Errorf("round trip of a list: %s → %q (%v)", b, New("zh").Msg(back), err)
	}
	if u := Untranslated(l); len(u) != 0 {
		t.Errorf("a list of keys and names has untranslated parts: %q", u)
	}
	m := M("misc.error", Join("list.colon", Name("x"), Text("some English"), errors.New("plain error")))
	if u := Untranslated(m); !slices.Equal(u, []string{"some English", "plain error"}) {
		t.Errorf("Untranslated: %q", u)
	}
	if u := Untranslated(M("misc.error", Errorf("misc.error", "x"))); len(u) != 0 {
		t.Errorf("a keyed error counts as untranslated: %q", u)
	}
}

type sayer struct{}

func (sayer) Error() string { return "Error: said" }
func (sayer) Localize() Msg { return M("misc.error", "said") }

// An error type of another package that says itself as a message is shown in the language, like *Error.
func TestLocalizableErrors(t *testing.T) {
	var err error = sayer{}
	if got := New("zh").Error(err); got != "错误：said" || !Localized(err) {
		t.Errorf("Chinese: %q", got)
	}
	if got := MsgOf(err); got.Key != "misc.error" {
		t.Errorf("MsgOf: %#v", got)
	}
}

// Every sentence of the English catalogue is said in Chinese in the Chinese one: a Chinese message without a
// single Chinese character, where the English has words, is English left behind (names and formats such as
// "%s（%s）" aside: they have no words).
func TestEveryEnglishSentenceHasItsChinese(t *testing.T) {
	words := regexp.MustCompile(`[A-Za-z]{3,} [a-z]{3,}`)
	allowed := map[string]bool{"setup.script.uid": true} // "Elasticsearch uid: %d:%d": a name and its value
	for _, k := range Keys("en") {
		en, _ := Format("en", k)
		zh, _ := Format("zh", k)
		if !words.MatchString(en) || allowed[k] {
			continue
		}
		if !strings.ContainsFunc(zh, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
			t.Errorf("%q is English in Chinese too: %q", k, zh)
		}
	}
}
