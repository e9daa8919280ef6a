package steps

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
