package serve

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strings"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
)

// Credentials are never shown to a session that watches. What a watcher sees is built from the plan's
// choices and the engine's events, neither of which should hold a password; a redactor makes sure anyway:
// it knows every secret the wizard was given (passwords, API keys, the password of a URL written as
// http://user:password@host, and the Basic authorization they make) and replaces any of them, wherever it
// appears, by ***. URLs lose their user part before they are shown.
type redactor struct {
	secrets []string // longest first, so that a secret that contains another is replaced whole
}

const hidden = "***"

// learn adds the secrets of a plan and its credentials.
func (r *redactor) learn(p steps.Plan, c steps.Credentials) {
	add := func(s string) {
		if s != "" && !slices.Contains(r.secrets, s) {
			r.secrets = append(r.secrets, s)
		}
	}
	for _, cp := range []struct {
		url, user, pw, key string
	}{{p.Source.URL, p.Source.Username, c.SourcePassword, c.SourceAPIKey}, {p.Target.URL, p.Target.Username, c.TargetPassword, c.TargetAPIKey}} {
		add(cp.pw)
		add(cp.key)
		if cp.pw != "" {
			add(base64.StdEncoding.EncodeToString([]byte(cp.user + ":" + cp.pw)))
		}
		if u, err := url.Parse(cp.url); err == nil && u.User != nil {
			if pw, ok := u.User.Password(); ok {
				add(pw)
				add(url.QueryEscape(pw))
				add(base64.StdEncoding.EncodeToString([]byte(u.User.Username() + ":" + pw)))
			}
		}
	}
	slices.SortFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })
}

// text is s with every known secret hidden.
func (r *redactor) text(s string) string {
	for _, sec := range r.secrets {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, hidden)
		}
	}
	return s
}

// url is a cluster's URL as a watcher sees it: without its user part, and with any secret hidden.
func (r *redactor) url(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		u.User = nil
		s = u.String()
	}
	return r.text(s)
}

// msg is a message with every secret in its arguments hidden (an error that holds one becomes its hidden
// English text).
func (r *redactor) msg(m i18n.Msg) i18n.Msg {
	if len(r.secrets) == 0 || m.IsZero() {
		return m
	}
	out := i18n.Msg{Key: m.Key, Args: make([]any, len(m.Args))}
	for i, a := range m.Args {
		switch v := a.(type) {
		case string:
			out.Args[i] = r.text(v)
		case i18n.Msg:
			out.Args[i] = r.msg(v)
		case error:
			if s := i18n.English.Error(v); r.text(s) != s {
				out.Args[i] = r.text(s)
			} else {
				out.Args[i] = v
			}
		default:
			out.Args[i] = a
		}
	}
	return out
}

// event is an event with every secret in its texts hidden.
func (r *redactor) event(e steps.Event) steps.Event {
	if len(r.secrets) == 0 {
		return e
	}
	e.Message, e.Curl, e.Msg = r.text(e.Message), r.text(e.Curl), r.msg(e.Msg)
	if e.Check != nil {
		c := *e.Check
		c.Title, c.Evidence, c.Fix = r.text(c.Title), r.text(c.Evidence), r.text(c.Fix)
		c.TitleMsg, c.EvidenceMsg, c.FixMsg = r.msg(c.TitleMsg), r.msg(c.EvidenceMsg), r.msg(c.FixMsg)
		e.Check = &c
	}
	return e
}
