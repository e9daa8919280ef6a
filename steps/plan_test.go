package steps

import (
	"errors"
	"strings"
	"testing"
)

func TestPlanErrorsSayWhatWasExpectedWithoutGoTypeNames(t *testing.T) {
	cases := map[string]struct {
		yaml, field, want string
	}{
		"a list":           {"- version: 1\n", "", "expected a plan: a mapping of fields"},
		"text for workers": {"version: 1\ncopy:\n  workers: four\n", "copy.workers", "expected a number, found text (four)"},
		"a map for urls":   {"version: 1\nindices:\n  a: b\n", "indices", "expected a list, found a mapping"},
	}
	for name, c := range cases {
		_, err := ParsePlan([]byte(c.yaml), "plan.yaml")
		var pe *PlanError
		if !errors.As(err, &pe) {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if pe.Field != c.field || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: field %q, %v; want field %q and %q", name, pe.Field, err, c.field, c.want)
		}
		if strings.Contains(err.Error(), "!!") || strings.Contains(err.Error(), "steps.") || strings.Contains(err.Error(), "unmarshal") {
			t.Errorf("%s: Go internals show through: %v", name, err)
		}
	}
	// A plan error without a file (a flag's value) has no empty location in front.
	err := (&PlanError{Field: "target.url", Msg: "missing"}).Error()
	if err != "target.url: missing" {
		t.Errorf("PlanError without a file: %q", err)
	}
}

func TestParseBytesRefusesWhatAnInt64CannotHold(t *testing.T) {
	if _, err := ParseBytes("8192pb"); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("8192pb: %v", err)
	}
	if n, err := ParseBytes("8191pb"); err != nil || n <= 0 {
		t.Errorf("8191pb: %d, %v", n, err)
	}
}

func TestIndexNamesFollowElasticsearchRules(t *testing.T) {
	for _, ok := range []string{"logs-2026", "日志-2026", "a.b_c", ".hidden"} {
		if err := ValidateIndexName(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Logs", "a b", "a,b", "a:b", "a#b", "_a", "-a", "+a", ".", "..", "a/b", strings.Repeat("x", 256)} {
		if err := ValidateIndexName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
