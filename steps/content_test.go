package steps

import (
	"reflect"
	"testing"
)

// Naming the differing documents: a document kept on one side only is missing or extra, unless a side stopped
// keeping at its cap, when it may only not have been kept there; a document on both sides is compared either way.
func TestOnlyCertainDifferencesAreNamedWhenASideStoppedKeeping(t *testing.T) {
	a := map[docKey]kept{{id: "same"}: {1, 1}, {id: "changed"}: {1, 1}, {id: "rewritten"}: {1, 7}, {id: "only-source"}: {3, 3}}
	z := map[docKey]kept{{id: "same"}: {1, 1}, {id: "changed"}: {2, 2}, {id: "rewritten"}: {2, 7}, {id: "only-target"}: {4, 4}}
	names := func(d []DocDiff) []string {
		var out []string
		for _, x := range d {
			out = append(out, x.ID+":"+x.What)
		}
		return out
	}
	d, rendering := nameDifferences(a, z, false)
	if want := []string{"changed:" + DiffContent, "only-source:" + DiffMissing, "only-target:" + DiffExtra}; !reflect.DeepEqual(names(d), want) || rendering != 1 {
		t.Errorf("all kept: %v, %d rewritten; want %v, 1", names(d), rendering, want)
	}
	d, rendering = nameDifferences(a, z, true)
	if want := []string{"changed:" + DiffContent}; !reflect.DeepEqual(names(d), want) || rendering != 1 {
		t.Errorf("a side full: %v, %d rewritten; want %v, 1 (one-sided documents may only not have been kept)", names(d), rendering, want)
	}
}
