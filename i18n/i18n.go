// Package i18n is the catalogue of what esmigrate says to an operator, in English and Simplified Chinese, and the
// message keys with which every package says it.
//
// A text is a key of the catalogue plus its arguments (Msg): the names, paths and numbers go in as arguments and
// are never translated; the words come from the catalogue of the language shown. English stays available
// everywhere (Msg.String, Error.Error) for logs, wrapped errors and the state file. It is a leaf package: nfs,
// steps, ui and main import it, and it imports none of them.
//
// The catalogues are embedded YAML files, one per language (catalogue/en.yaml, catalogue/zh.yaml), parsed and
// matched by github.com/nicksnyder/go-i18n/v2 (language tags, fallback to English). Their messages are Go fmt
// formats rather than go-i18n's templates: positional verbs (%s, %d, %q, %[2]s to reorder) keep the call sites
// short (M("pf.summary", ok, warn, fail)) and let the tests compare the verbs of both languages. How to add a
// message: ui/README.md, "Texts: message keys, and how to add one".
package i18n

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/nicksnyder/go-i18n/v2/i18n/template"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
)

//go:embed catalogue/*.yaml
var files embed.FS

// Languages are the languages of the catalogue, English first (the fallback).
var Languages = []string{"en", "zh"}

// catalogue holds every message's format by language, read once from the embedded files.
type catalogue struct {
	formats map[string]map[string]string // lang → key → fmt format (English filled in where a language lacks a key)
	own     map[string]map[string]bool   // lang → keys its own file has
}

var (
	loadOnce sync.Once
	loaded   *catalogue
	loadErr  error
)

func cat() *catalogue {
	loadOnce.Do(func() { loaded, loadErr = load(files) })
	if loadErr != nil {
		// The files are embedded: a broken one is a build defect that every test shows.
		panic("i18n: " + loadErr.Error())
	}
	return loaded
}

// load parses the catalogue files with go-i18n and resolves every key for every language once (a screen asks
// for hundreds of texts a second: a map lookup then, not a language match).
func load(fsys fs.FS) (*catalogue, error) {
	bundle := goi18n.NewBundle(language.English)
	bundle.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	c := &catalogue{formats: map[string]map[string]string{}, own: map[string]map[string]bool{}}
	ids := map[string]bool{}
	for _, lang := range Languages {
		mf, err := bundle.LoadMessageFileFS(fsys, "catalogue/"+lang+".yaml")
		if err != nil {
			return nil, err
		}
		c.own[lang] = map[string]bool{}
		for _, m := range mf.Messages {
			ids[m.ID] = true
			c.own[lang][m.ID] = true
		}
	}
	for _, lang := range Languages {
		loc := goi18n.NewLocalizer(bundle, lang, "en")
		c.formats[lang] = map[string]string{}
		for id := range ids {
			s, err := loc.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateParser: template.IdentityParser{}})
			if err != nil {
				var missing *goi18n.MessageNotFoundErr
				if errors.As(err, &missing) {
					continue // in no file of this language nor in English: T shows the key
				}
				return nil, fmt.Errorf("%s in %s: %w", id, lang, err)
			}
			c.formats[lang][id] = s
		}
	}
	return c, nil
}

// Localizer puts messages into one language.
type Localizer struct {
	lang    string
	formats map[string]string
}

// English is the localizer of logs, errors and the state file.
var English = New("en")

// New returns the localizer of a language: "zh" (or any zh-… tag) is Simplified Chinese, anything else English.
func New(lang string) *Localizer {
	l := "en"
	if strings.HasPrefix(strings.ToLower(lang), "zh") {
		l = "zh"
	}
	return &Localizer{lang: l, formats: cat().formats[l]}
}

func (l *Localizer) fmts() map[string]string { return l.formats }

// Lang is "en" or "zh".
func (l *Localizer) Lang() string { return l.lang }

// Has tells whether the catalogue has key (in this language or in English).
func (l *Localizer) Has(key string) bool {
	_, ok := l.fmts()[key]
	return ok
}

// T is the text of key with its arguments. A key the catalogue lacks shows as "!key" (and fails the catalogue
// tests). Arguments that are messages or errors are put into this language too.
func (l *Localizer) T(key string, args ...any) string {
	format, ok := l.fmts()[key]
	if !ok {
		s := "!" + key
		for _, a := range args {
			s += " " + fmt.Sprint(l.arg(a))
		}
		return s
	}
	if len(args) == 0 {
		return format
	}
	for i, a := range args {
		args[i] = l.arg(a)
	}
	return fmt.Sprintf(format, args...)
}

// arg is an argument as it goes into a format: messages and errors in this language, anything else as it is.
func (l *Localizer) arg(a any) any {
	switch v := a.(type) {
	case Msg:
		return l.Msg(v)
	case *Msg:
		return l.Msg(*v)
	case error:
		return l.Error(v)
	}
	return a
}

// Msg is a message in this language. A verbatim text (Text) and a name (Name) are shown as they are; a list
// (List) is its items in this language joined by its separator.
func (l *Localizer) Msg(m Msg) string {
	switch m.Key {
	case "":
		if len(m.Args) == 0 {
			return ""
		}
		return fmt.Sprint(l.arg(m.Args[0]))
	case nameKey:
		if len(m.Args) == 0 {
			return ""
		}
		return fmt.Sprint(m.Args[0])
	case listKey:
		if len(m.Args) == 0 {
			return ""
		}
		sep, _ := m.Args[0].(string)
		var parts []string
		for _, a := range m.Args[1:] {
			if s := fmt.Sprint(l.arg(a)); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, l.T(sep))
	}
	args := append([]any(nil), m.Args...) // T replaces nested messages in place: never in the caller's Msg
	return l.T(m.Key, args...)
}

// Error is an error's text in this language: a Localizable error (at the top of the chain) from its message,
// any other error as it says itself (in English).
func (l *Localizer) Error(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := err.(Localizable); ok {
		return l.Msg(e.Localize())
	}
	return err.Error()
}

// Localized tells whether an error's text is in the catalogue's words (a Localizable error at the top of its
// chain), or is English written directly (the screens then label it as English).
func Localized(err error) bool {
	_, ok := err.(Localizable)
	return ok
}

// Keys lists the keys of a language's own file (tests).
func Keys(lang string) []string {
	var out []string
	for k := range cat().own[lang] {
		out = append(out, k)
	}
	return out
}

// Format is the raw format of key in lang's own file ("" and false when that file lacks it) (tests).
func Format(lang, key string) (string, bool) {
	if !cat().own[lang][key] {
		return "", false
	}
	return cat().formats[lang][key], true
}
