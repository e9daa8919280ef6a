package steps

import "github.com/esmigrate/esmigrate/i18n"

// Status of a pre-flight check.
type Status string

// Check statuses: a failure blocks the migration, a warning needs the operator's acknowledgement.
const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Check is one pre-flight finding: what was checked, what was found, and what to do about it.
type Check struct {
	ID       string `json:"id"`       // stable identifier, e.g. "path-repo-source"
	Title    string `json:"title"`    // what was checked, in words
	Status   Status `json:"status"`   // ok, warn, fail
	Evidence string `json:"evidence"` // what was found (node names, versions, sizes)
	Fix      string `json:"fix,omitempty"`
	// The same as messages (package i18n), where the check has keys for them: Title, Evidence and Fix then
	// hold their English. A check without them is shown in other languages by its id (TitleIn) and its
	// evidence and fix as written, labelled as English.
	TitleMsg    i18n.Msg `json:"title_msg,omitzero"`
	EvidenceMsg i18n.Msg `json:"evidence_msg,omitzero"`
	FixMsg      i18n.Msg `json:"fix_msg,omitzero"`
}

// EvidenceText is what was found, as a message (the English text as it is when the check has no key for it).
func (c Check) EvidenceText() i18n.Msg {
	if !c.EvidenceMsg.IsZero() {
		return c.EvidenceMsg
	}
	return i18n.Text(c.Evidence)
}

// FixText is what to do, as a message.
func (c Check) FixText() i18n.Msg {
	if !c.FixMsg.IsZero() {
		return c.FixMsg
	}
	return i18n.Text(c.Fix)
}

// Worst is the most serious status among checks.
func Worst(checks []Check) Status {
	w := OK
	for _, c := range checks {
		switch {
		case c.Status == Fail:
			return Fail
		case c.Status == Warn:
			w = Warn
		}
	}
	return w
}

// Failed lists the failing checks.
func Failed(checks []Check) []Check {
	var out []Check
	for _, c := range checks {
		if c.Status == Fail {
			out = append(out, c)
		}
	}
	return out
}
