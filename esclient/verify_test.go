package esclient

import (
	"encoding/json"
	"testing"
)

func TestTotalHitsInBothShapes(t *testing.T) {
	for raw, want := range map[string]int64{`42`: 42, `{"value":42,"relation":"eq"}`: 42} {
		if n, ok := totalHits(json.RawMessage(raw)); !ok || n != want {
			t.Errorf("%s: %d %v", raw, n, ok)
		}
	}
	if _, ok := totalHits(json.RawMessage(`{"value":10000,"relation":"gte"}`)); ok {
		t.Error("a lower bound was taken for a count")
	}
}

func TestTheScanModeFollowsTheVersion(t *testing.T) {
	es := func(v string) Info { x, _ := ParseVersion(v); return Info{Distribution: Elasticsearch, Version: x} }
	os := func(v string) Info { x, _ := ParseVersion(v); return Info{Distribution: OpenSearch, Version: x} }
	for info, want := range map[Info]ScanMode{
		es("6.8.23"): ScanScroll, es("7.10.2"): ScanScroll, es("7.12.1"): ScanScroll, es("7.13.0"): ScanPIT,
		es("7.17.29"): ScanPIT, es("8.19.21"): ScanPIT, os("1.3.13"): ScanScroll, os("2.3.0"): ScanScroll,
		os("2.4.0"): ScanOpenSearchPIT, os("2.19.1"): ScanOpenSearchPIT, os("3.0.0"): ScanOpenSearchPIT,
	} {
		if got := ScanModeFor(info); got != want {
			t.Errorf("%s %s: %s, want %s", info.Distribution, info.Version, got, want)
		}
	}
}

func TestSourceDisabledIsReadFromTheMapping(t *testing.T) {
	for raw, want := range map[string]bool{`{"enabled":false}`: true, `{"enabled":true}`: false, `{"excludes":["x"]}`: false, ``: false} {
		if got := sourceOff(json.RawMessage(raw)); got != want {
			t.Errorf("%q: %v", raw, got)
		}
	}
}

func TestAPageOfHitsIsReadWithItsSourceAsSent(t *testing.T) {
	raw := []byte(`{"pit_id":"abc=","took":3,"_shards":{"total":2,"successful":2,"failed":0},"hits":{"max_score":null,"hits":[
	{"_index":"logs","_type":"_doc","_id":"a\"1","_score":null,"_routing":"u\u00e9","_source":{"b": 2, "a":[1,"}"]},"sort":[0]},
	{"_index":"logs","_id":"2","_score":null,"_source":{},"sort":[4294967297]}]}}`)
	p, err := parsePage(raw)
	if err != nil {
		t.Fatal(err)
	}
	if p.pitID != "abc=" || p.failed != 0 || len(p.docs) != 2 || string(p.lastSort) != "[4294967297]" {
		t.Fatalf("%+v", p)
	}
	d := p.docs[0]
	if d.ID != `a"1` || d.Routing != "ué" || string(d.Source) != `{"b": 2, "a":[1,"}"]}` {
		t.Errorf("first hit: %q %q %s", d.ID, d.Routing, d.Source)
	}
	if p.docs[1].Routing != "" || string(p.docs[1].Source) != "{}" {
		t.Errorf("second hit: %+v", p.docs[1])
	}
	scroll, err := parsePage([]byte(`{"_scroll_id":"s1","_shards":{"total":1,"failed":1},"hits":{"hits":[]}}`))
	if err != nil || scroll.scrollID != "s1" || scroll.failed != 1 || len(scroll.docs) != 0 {
		t.Errorf("scroll page: %+v %v", scroll, err)
	}
	if _, err := parsePage([]byte(`{"hits":{"hits":[{"_id":"1","_source":{"a":`)); err == nil {
		t.Error("a cut answer was read")
	}
}
