package ui

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/esmigrate/esmigrate/i18n/i18ntest"
)

// The rule finds our English, and leaves names and Chinese alone.
func TestEnglishOfOursIsFound(t *testing.T) {
	if got := i18ntest.EnglishOfOurs("10:00:00 计划：batch 1: 1 index(es)"); len(got) == 0 {
		t.Error("the English of a plan line was not found")
	}
	if got := i18ntest.EnglishOfOurs("详情：no uid given（英文原文）"); len(got) == 0 {
		t.Error("an English finding was not found")
	}
	if got := i18ntest.EnglishOfOurs("› ▸ ✓ 快照版本兼容性  从 Elasticsearch 7.17.29 到 Elasticsearch 7.17.29\n源集群每个节点的 path.repo 都包含 /data/source-repo/esmigrate  全部 1 个节点\ncurl -sS -X PUT 'http://10.0.0.1:9200/_snapshot/esmigrate'"); len(got) > 0 {
		t.Errorf("names taken for English: %q", got)
	}
	if len(i18ntest.OurEnglishWords()) < 500 {
		t.Fatalf("only %d words of our English: the catalogues were not read", len(i18ntest.OurEnglishWords()))
	}
}

// No Chinese screen of the goldens shows English of ours: every screen of the wizard at both sizes, the
// engine's checks, findings, fixes, events and curl comments among them.
func TestChineseGoldensShowNoEnglishOfOurs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "TestGolden", "*", "zh", "*.golden"))
	if err != nil || len(files) < 20 {
		t.Fatalf("found %d Chinese goldens (%v)", len(files), err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// The fixtures' names: clusters, nodes and the fake's hosts.
		if w := i18ntest.EnglishOfOurs(string(b), "source-cluster", "target-cluster"); len(w) > 0 {
			t.Errorf("%s shows English of ours %q:\n%s", f, w, b)
		}
	}
}
