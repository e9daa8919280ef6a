package typedconfirm

import (
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/ui/common"
)

var km = common.NewKeyMap(i18n.New("en"), true)

func press(m *Model, want string, keys ...tea.KeyPressMsg) (Outcome, string) {
	var out Outcome
	var typed string
	for _, k := range keys {
		out, typed, _ = m.Update(k, km, want)
	}
	return out, typed
}

func text(s string) []tea.KeyPressMsg {
	var keys []tea.KeyPressMsg
	for _, r := range s {
		keys = append(keys, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return keys
}

var (
	enter = tea.KeyPressMsg{Code: tea.KeyEnter}
	esc   = tea.KeyPressMsg{Code: tea.KeyEscape}
)

// The name asked for, typed (spaces around it do not count), confirms and closes the field.
func TestTheNameTypedConfirms(t *testing.T) {
	m := New()
	if m.Asking() {
		t.Fatal("a new field is open")
	}
	m.Ask()
	if out, _ := press(&m, "prod-es", text(" prod-es")...); out != Typing || !m.Asking() {
		t.Fatalf("while typing: outcome %v, open %v", out, m.Asking())
	}
	if out, typed := press(&m, "prod-es", enter); out != Confirmed || typed != "prod-es" || m.Asking() {
		t.Fatalf("enter: outcome %v, typed %q, open %v; want Confirmed, prod-es, closed", out, typed, m.Asking())
	}
}

// Another name does not confirm: the field closes and says what was typed, for the screen's message.
func TestAnotherNameIsAMismatch(t *testing.T) {
	m := New()
	m.Ask()
	if out, typed := press(&m, "prod-es", append(text("prod"), enter)...); out != Mismatched || typed != "prod" || m.Asking() {
		t.Fatalf("outcome %v, typed %q, open %v; want Mismatched, prod, closed", out, typed, m.Asking())
	}
}

// esc cancels; asking again starts from an empty field.
func TestEscCancelsAndAskingAgainStartsEmpty(t *testing.T) {
	m := New()
	m.Ask()
	if out, _ := press(&m, "x", append(text("prod-es"), esc)...); out != Cancelled || m.Asking() {
		t.Fatalf("esc: outcome %v, open %v", out, m.Asking())
	}
	m.Ask()
	if out, typed := press(&m, "prod-es", enter); out != Mismatched || typed != "" {
		t.Fatalf("asked again, enter at once: outcome %v, typed %q; want Mismatched with nothing typed", out, typed)
	}
}
