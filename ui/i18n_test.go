package ui

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/components/checklist"
)

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// The engine's checks are shown with their titles, findings and fixes from the catalogue: in Chinese every
// part is Chinese (names, paths and numbers aside), in English the engine's own words.
func TestEngineChecksInBothLanguages(t *testing.T) {
	ch := steps.NewCheck("path-repo-source", steps.Fail, i18n.M("check.path-repo-source", "/data/repo"),
		i18n.M("check.path-repo.unset", "source-1"), i18n.M("check.path-repo.fix", "/data/repo", "source-1"))
	zh := strings.Join(checklist.Lines(NewCommon(nil, "zh", true), ch, 200), "\n")
	for _, want := range []string{"源集群每个节点的 path.repo 都包含 /data/repo", "详情：source-1：未设置 path.repo",
		"节点 source-1 的 path.repo 不包含 /data/repo"} {
		if !strings.Contains(zh, want) {
			t.Errorf("Chinese lines lack %q:\n%s", want, zh)
		}
	}
	if strings.Contains(zh, "英文") || strings.Contains(zh, "not set") {
		t.Errorf("Chinese lines show English:\n%s", zh)
	}
	en := strings.Join(checklist.Lines(NewCommon(nil, "en", true), ch, 200), "\n")
	if !strings.Contains(en, "path.repo on every source node covers /data/repo") || !strings.Contains(en, "source-1: path.repo not set") {
		t.Errorf("English lines:\n%s", en)
	}
}

// A check that comes without keys (from a file written before they existed) is shown as written, labelled as
// English in another language.
func TestCheckWithoutKeysIsLabelledAsEnglish(t *testing.T) {
	ch := steps.Check{ID: "path-repo-source", Title: "path.repo on every source node covers /data/repo", Status: steps.Fail,
		Evidence: "source-1: path.repo not set", Fix: "add path.repo: [/data/repo] to elasticsearch.yml"}
	zh := strings.Join(checklist.Lines(NewCommon(nil, "zh", true), ch, 200), "\n")
	for _, want := range []string{"path.repo on every source node covers /data/repo（英文原文）", "详情：source-1: path.repo not set（英文原文）",
		"解决办法：add path.repo: [/data/repo] to elasticsearch.yml（英文原文）"} {
		if !strings.Contains(zh, want) {
			t.Errorf("details lack %q:\n%s", want, zh)
		}
	}
	en := strings.Join(checklist.Details(NewCommon(nil, "en", true), ch, 200), "\n")
	if strings.Contains(en, "In English") || !strings.Contains(en, "Found: source-1") || !strings.Contains(en, "Fix: add path.repo") {
		t.Errorf("English details:\n%s", en)
	}
}

// The run's log is the engine's events in the catalogue's words: phases, kinds and what the engine said. English
// is the engine's own line, the one the headless mode prints.
func TestEventLogInChinese(t *testing.T) {
	zh, en := i18n.New("zh"), i18n.New("en")
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	chk := steps.NewCheck("target-disk", steps.Warn, i18n.M("check.target-disk"),
		i18n.M("check.target-disk.found", "1.0gb", "2.0gb", "1.5gb", "90%", "3.0gb", 2), i18n.M("check.target-disk.replicas"))
	msg := func(key string, args ...any) i18n.Msg { return i18n.M(key, args...) }
	cases := []struct {
		e    steps.Event
		want string
	}{
		{steps.Event{Kind: steps.KindStart, Phase: steps.PhaseSnapshot, Batch: 1, Batches: 2}, "第 1/2 批 快照：开始"},
		{steps.Event{Kind: steps.KindDone, Phase: steps.PhaseRestore, Batch: 2, Batches: 2, Msg: msg("batch.took", "1.5s")}, "第 2/2 批 恢复：完成：耗时 1.5s"},
		{steps.Event{Kind: steps.KindError, Level: steps.LevelError, Phase: steps.PhaseTransfer, Batch: 1, Batches: 1,
			Msg: msg("nfs.copy.space", "/mnt/t", "1.0gb", "2.0gb")}, "第 1/1 批 传输：失败：目标共享目录 /mnt/t 剩余 1.0gb，而复制需要 2.0gb：请释放空间或者换一个共享目录"},
		{steps.Event{Kind: steps.KindLog, Level: steps.LevelWarn, Phase: steps.PhaseVerify, Batch: 1, Batches: 1, Index: "logs",
			Msg: msg("index.reason", "logs", msg("verify.counts", 10, 9))}, "第 1/1 批 校验 logs：警告：logs：源索引有 10 个顶层文档，目标索引有 9 个：如果源索引仍在被写入，这就是原因；否则请重新恢复这个索引"},
		{steps.Event{Kind: steps.KindLog, Phase: steps.PhasePlan, Msg: msg("plan.batch", 1, 3, "12.0mb", "[a b c]")}, "计划：第 1 批：3 个索引，12.0mb：[a b c]"},
		{steps.Event{Kind: steps.KindStart, Phase: steps.PhaseConnect, Msg: msg("conn.connecting", "http://a:9200", "http://b:9200")}, "连接：开始：正在连接 http://a:9200 和 http://b:9200"},
		{steps.Event{Kind: steps.KindRequest, Phase: steps.PhaseRepository, Msg: msg("req.register.source", "esmigrate", "/r"), Curl: "curl -X PUT x"},
			"快照仓库：请求：在源集群上注册仓库 esmigrate（位置 /r）：curl -X PUT x"},
		{steps.Event{Kind: steps.KindCheck, Phase: steps.PhasePreflight, Check: &chk}, "预检：检查：警告 目标集群磁盘空间：需要 1.0gb（主分片）/ 2.0gb（含副本）；2 个数据节点在高水位线 90% 以下可用 1.5gb（剩余 3.0gb）"},
		{steps.Event{Kind: steps.KindDone, Phase: steps.PhaseCleanup, Msg: msg("cleanup.final")}, "清理：完成：最后清理"},
		{steps.Event{Kind: steps.KindDone, Phase: steps.PhaseReport}, "报告：完成"},
	}
	for _, c := range cases {
		c.e.Time = at
		if c.e.Message == "" && !c.e.Msg.IsZero() {
			c.e.Message = c.e.Msg.String() // as the engine's emitter fills it in
		}
		if got := c.e.Text(zh); got != c.want {
			t.Errorf("zh %+v:\n got %q\nwant %q", c.e, got, c.want)
		}
		if got := c.e.Text(en); got != c.e.String() {
			t.Errorf("en %q, want the engine's %q", got, c.e.String())
		}
	}
	// Every phase and kind has its word.
	for _, p := range append([]steps.Phase{steps.PhaseConnect, steps.PhasePreflight, steps.PhaseRepository, steps.PhasePlan, steps.PhaseReport}, steps.BatchPhases...) {
		if !zh.Has("run.phase."+string(p)) || !hasHan(zh.T("run.phase."+string(p))) {
			t.Errorf("phase %s has no Chinese name", p)
		}
	}
	for _, s := range []steps.Status{steps.OK, steps.Warn, steps.Fail} {
		if !hasHan(zh.T("ev.status." + string(s))) {
			t.Errorf("status %s has no Chinese word", s)
		}
	}
}
