// Package typedconfirm is the one-line field in which the operator types a name (a cluster's, a repository's)
// before something that cannot be undone: esc cancels, enter compares what was typed with the name asked for.
// The screen that asks says what the name allows and what a mismatch means; the field only reads the name.
package typedconfirm

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/esmigrate/esmigrate/ui/common"
)

// Outcome is what a key did to the field.
type Outcome int

const (
	// Typing: the field took the key (and is still open).
	Typing Outcome = iota
	// Cancelled: esc closed the field.
	Cancelled
	// Confirmed: enter, with the name asked for typed; the field is closed.
	Confirmed
	// Mismatched: enter, with something else typed; the field is closed.
	Mismatched
)

// Model is the field: closed until Ask opens it.
type Model struct {
	input textinput.Model
	open  bool
}

// New is a closed field.
func New() Model {
	in := textinput.New()
	in.Prompt = "> "
	return Model{input: in}
}

// Ask opens the field, empty and focused.
func (m *Model) Ask() tea.Cmd {
	m.open = true
	m.input.SetValue("")
	return m.input.Focus()
}

// Asking tells whether the field is open (it then takes the keys).
func (m Model) Asking() bool { return m.open }

// SetWidth sets the field's width.
func (m *Model) SetWidth(w int) { m.input.SetWidth(w) }

// Update hands a key to the open field: esc cancels; enter compares what was typed, trimmed of spaces (typed),
// with want, the name as it is now (both close the field); any other key is typed.
func (m *Model) Update(k tea.KeyPressMsg, km *common.KeyMap, want string) (out Outcome, typed string, cmd tea.Cmd) {
	switch {
	case key.Matches(k, km.Cancel):
		m.close()
		return Cancelled, "", nil
	case key.Matches(k, km.Confirm):
		m.close()
		typed = strings.TrimSpace(m.input.Value())
		if typed != want {
			return Mismatched, typed, nil
		}
		return Confirmed, typed, nil
	}
	m.input, cmd = m.input.Update(k)
	return Typing, "", cmd
}

// Close closes the field without an outcome (the screen that asked was left or reset).
func (m *Model) Close() { m.close() }

func (m *Model) close() {
	m.open = false
	m.input.Blur()
}

// View is the field.
func (m Model) View() string { return m.input.View() }
