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
	// The same as messages (package i18n): Title, Evidence and Fix hold their English. Every check of the
	// engine has them (newCheck and the setters keep both in step); a check read from an older file without
	// them is shown by its id (TitleIn) and its evidence and fix as written, labelled as English.
	TitleMsg    i18n.Msg `json:"title_msg,omitzero"`
	EvidenceMsg i18n.Msg `json:"evidence_msg,omitzero"`
	FixMsg      i18n.Msg `json:"fix_msg,omitzero"`
}

// newCheck is a check with its title, what was found and what to do as messages (a zero message says nothing),
// their English filled in.
func newCheck(id string, st Status, title, evidence, fix i18n.Msg) Check {
	c := Check{ID: id, Status: st}
	c.setTitle(title)
	c.setEvidence(evidence)
	c.setFix(fix)
	return c
}

// NewCheck is a check made as the engine makes them, for the wizard's tests and other drivers of the screens.
func NewCheck(id string, st Status, title, evidence, fix i18n.Msg) Check {
	return newCheck(id, st, title, evidence, fix)
}

// setTitle, setEvidence and setFix set one part of what the check says, as a message and in English.
func (c *Check) setTitle(m i18n.Msg)    { c.TitleMsg, c.Title = m, m.String() }
func (c *Check) setEvidence(m i18n.Msg) { c.EvidenceMsg, c.Evidence = m, m.String() }
func (c *Check) setFix(m i18n.Msg)      { c.FixMsg, c.Fix = m, m.String() }

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
