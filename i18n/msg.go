package i18n

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"syscall"
)

// Msg is something to say, before it is put into a language: a catalogue key and its arguments. Arguments are
// names, paths, numbers (shown as they are), other messages and errors (put into the same language).
//
// The zero Msg says nothing. A Msg with no key and one argument is a verbatim text (Text): what a package wrote
// in English and has not given a key yet; screens show it as it is and label it as English.
type Msg struct {
	Key  string
	Args []any
}

// M is the message key with args.
func M(key string, args ...any) Msg { return Msg{Key: key, Args: args} }

// Text is a verbatim text: shown as it is in every language.
func Text(s string) Msg {
	if s == "" {
		return Msg{}
	}
	return Msg{Args: []any{s}}
}

// Name is a name, path, command or text of another program (Elasticsearch's reason, the system's error) that
// stands on its own as a message: shown as it is in every language and, unlike a verbatim text, not labelled as
// English (it is not a text of ours waiting for a key).
func Name(s string) Msg {
	if s == "" {
		return Msg{}
	}
	return Msg{Key: nameKey, Args: []any{s}}
}

// nameKey and listKey are the keys Name and List use; every catalogue has them.
const (
	nameKey = "i18n.name"
	listKey = "i18n.list"
)

// List is items (messages, names, numbers) joined by the separator sep names in the language shown: "list.semi"
// ("; " in English, "；" in Chinese), "list.comma", "list.colon". Zero messages among the items are left out.
// Lists of names stay joined by ", " in their own argument (names are not words of a language).
func List[T any](sep string, items []T) Msg {
	args := []any{sep}
	for _, it := range items {
		if m, ok := any(it).(Msg); ok && m.IsZero() {
			continue
		}
		args = append(args, it)
	}
	return Msg{Key: listKey, Args: args}
}

// Join is List of a few items given one by one.
func Join(sep string, items ...any) Msg { return List(sep, items) }

// IsZero tells whether the message says nothing (an empty list says nothing too).
func (m Msg) IsZero() bool {
	return m.Key == "" && len(m.Args) == 0 || m.Key == listKey && len(m.Args) <= 1
}

// Verbatim tells whether the message is a verbatim text (no key).
func (m Msg) Verbatim() bool { return m.Key == "" && len(m.Args) > 0 }

// String is the message in English.
func (m Msg) String() string { return English.Msg(m) }

// msgJSON is how a message is written (state files, reports, the serve protocol): its key, and its arguments
// with nested messages as objects and errors as their English text.
type msgJSON struct {
	Key  string            `json:"key,omitempty"`
	Args []json.RawMessage `json:"args,omitempty"`
	Text string            `json:"text,omitempty"` // the English, for people reading the file
}

// MarshalJSON writes the key, the arguments and the English text.
func (m Msg) MarshalJSON() ([]byte, error) {
	out := msgJSON{Key: m.Key, Text: m.String()}
	for _, a := range m.Args {
		if err, ok := a.(error); ok {
			a = English.Error(err)
		}
		b, err := json.Marshal(a)
		if err != nil {
			return nil, err
		}
		out.Args = append(out.Args, b)
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON wrote. Whole numbers come back as int64 (so that %d still formats them),
// other numbers as float64, objects with a key as messages.
func (m *Msg) UnmarshalJSON(b []byte) error {
	var in msgJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*m = Msg{Key: in.Key}
	for _, raw := range in.Args {
		a, err := decodeArg(raw)
		if err != nil {
			return err
		}
		m.Args = append(m.Args, a)
	}
	return nil
}

func decodeArg(raw json.RawMessage) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		var nested Msg
		err := json.Unmarshal(raw, &nested)
		return nested, err
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if n, ok := v.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			return i, nil
		}
		f, err := n.Float64()
		if err == nil && !math.IsInf(f, 0) {
			return f, nil
		}
		return n.String(), nil
	}
	return v, nil
}

// Localizable is an error (or anything) that can say itself as a message: *Error, and the error types of
// other packages that carry their words as messages (esclient.Error, steps.StoppedError...). The screens and
// the headless output show such an error in their language; Error() stays its English.
type Localizable interface {
	Localize() Msg
}

// Error is an error that says what failed (and what to do) in message keys. Error() is its English; a screen
// or the headless output shows it in its language with Localizer.Error. Cause, when set, is the error it
// wraps (errors.Is and errors.As see through it); the message names it through an argument when it should be
// shown.
type Error struct {
	Msg   Msg
	Cause error
}

// Errorf is an error with a message key and its arguments (an error among them is its cause).
func Errorf(key string, args ...any) error {
	e := &Error{Msg: M(key, args...)}
	for _, a := range args {
		if err, ok := a.(error); ok && e.Cause == nil {
			e.Cause = err
		}
	}
	return e
}

func (e *Error) Error() string { return e.Msg.String() }

// Localize is the error's message.
func (e *Error) Localize() Msg { return e.Msg }

// Unwrap is the cause.
func (e *Error) Unwrap() error { return e.Cause }

// MsgOf is what an error says as a message: a Localizable error's own message, any other error as verbatim
// text.
func MsgOf(err error) Msg {
	if err == nil {
		return Msg{}
	}
	if l, ok := err.(Localizable); ok {
		return l.Localize()
	}
	return Text(err.Error())
}

// Untranslated lists what in m would reach another language's screen as English of ours: verbatim texts
// (Text) and errors that cannot say themselves as messages, however deep among the arguments. Names (Name),
// strings and numbers given as arguments are names and count as translated. Tests use it to hold the engine
// to its keys.
func Untranslated(m Msg) []string {
	var out []string
	var walk func(a any)
	walk = func(a any) {
		switch v := a.(type) {
		case Msg:
			if v.Verbatim() {
				out = append(out, fmt.Sprint(v.Args[0]))
				return
			}
			for _, x := range v.Args {
				walk(x)
			}
		case *Msg:
			walk(*v)
		case Localizable:
			walk(v.Localize())
		case error:
			if !systemError(v) {
				out = append(out, v.Error())
			}
		}
	}
	walk(m)
	return out
}

// systemError tells whether err is the operating system's ("open /x: permission denied"): its words are the
// system's, like Elasticsearch's reasons, and stay as they are.
func systemError(err error) bool {
	var errno syscall.Errno
	return errors.As(err, &errno)
}

// Strings is each message in English (tests, logs).
func Strings(ms []Msg) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.String()
	}
	return out
}

// GoString shows a message in test failures.
func (m Msg) GoString() string { return fmt.Sprintf("i18n.M(%q, %#v)", m.Key, m.Args) }
