package ui

import (
	"regexp"
	"slices"
	"sort"
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

// engineCheckIDs reads the check ids the engine and the nfs package write (their sources, so that a new check
// without a title fails here): exact ids, ids made with the role (source and target), and the families made
// with an nfs check's id.
func engineCheckIDs(t *testing.T) (exact, nfsIDs []string, families map[string]bool) {
	t.Helper()
	families = map[string]bool{}
	read := func(glob string) string {
		var b strings.Builder
		for _, src := range goSources(t, glob) {
			b.WriteString(src)
		}
		return b.String()
	}
	// Check{ID: "a" + role + "-" + r.ID, ...}: the literal, then what is added to it.
	checkRE := regexp.MustCompile(`Check\{ID: "([a-z0-9.-]+)"((?:\s*\+\s*(?:"[^"]*"|[\w.]+))*)`)
	for _, m := range checkRE.FindAllStringSubmatch(read("../steps/*.go"), -1) {
		id, rest := m[1], strings.ReplaceAll(strings.ReplaceAll(m[2], " ", ""), `"`, "")
		switch {
		case rest == "":
			exact = append(exact, id)
		case strings.HasSuffix(rest, "+r.ID"): // a family: the prefix, by role when the role is in it
			pre := strings.TrimSuffix(rest, "+r.ID")
			if pre == "" {
				families[id] = true
				continue
			}
			for _, role := range []string{"source", "target"} {
				families[id+role+strings.TrimPrefix(strings.TrimPrefix(pre, "+role"), "+")] = true
			}
		case rest == "+s.Role" || rest == "+role":
			exact = append(exact, id+"source", id+"target")
		default:
			t.Fatalf("check id %q%s: this test does not know how it is made", id, m[2])
		}
	}
	resultRE := regexp.MustCompile(`Result\{ID: "([a-z0-9.-]+)"`)
	for _, m := range resultRE.FindAllStringSubmatch(read("../nfs/*.go"), -1) {
		nfsIDs = append(nfsIDs, m[1])
	}
	sort.Strings(exact)
	if len(exact) < 20 || len(nfsIDs) < 15 || len(families) != 3 {
		t.Fatalf("read %d check ids, %d nfs ids, families %v: the sources changed shape", len(exact), len(nfsIDs), families)
	}
	return exact, nfsIDs, families
}

// Every check the engine can report has a Chinese title (the families by prefix and the nfs check's id); English
// keeps the engine's title.
func TestCheckTitlesTranslated(t *testing.T) {
	exact, nfsIDs, families := engineCheckIDs(t)
	// The ids the wizard's screens rely on, whatever the sources say.
	for _, id := range []string{"compat-versions", "health-source", "health-target", "path-repo-source", "path-repo-target",
		"verify-repo-source", "verify-repo-target", "shares-visible", "shares-distinct", "shares-same", "selection", "skipped",
		"red-indices", "compat-indices", "rename-collisions", "conflicts", "plugins", "analysis-files", "target-disk",
		"target-shards", "source-busy", "share-source", "share-target"} {
		if !slices.Contains(exact, id) {
			t.Errorf("the engine no longer writes check %q", id)
		}
	}
	var ids []string
	ids = append(ids, exact...)
	for fam := range families {
		for _, sub := range nfsIDs {
			ids = append(ids, fam+sub)
		}
	}
	zh, en := i18n.New("zh"), i18n.New("en")
	for _, id := range ids {
		ch := steps.Check{ID: id, Title: "engine title of " + id}
		if got := ch.TitleIn(zh); got == ch.Title || !hasHan(got) {
			t.Errorf("check %s has no Chinese title: %q", id, got)
		}
		if got := ch.TitleIn(en); got != ch.Title {
			t.Errorf("check %s in English is %q, want the engine's title", id, got)
		}
	}
	unknown := steps.Check{ID: "something-new", Title: "Something new"}
	if got := unknown.TitleIn(zh); got != "Something new" {
		t.Errorf("an unknown check shows %q, want the engine's title", got)
	}
	if got := (steps.Check{ID: "nfs-server-nfs.server.mount"}).TitleIn(zh); got != "NFS 服务器：服务器允许本机挂载该导出" {
		t.Errorf("family title %q", got)
	}
}

// A translated check keeps what the engine wrote in its details, labelled as English.
func TestCheckDetailsLabelTheEnglish(t *testing.T) {
	ch := steps.Check{ID: "path-repo-source", Title: "path.repo on every source node covers /data/repo", Status: steps.Fail,
		Evidence: "source-1: path.repo not set", Fix: "add path.repo: [/data/repo] to elasticsearch.yml"}
	zh := strings.Join(checklist.Details(NewCommon(nil, "zh", true), ch, 200), "\n")
	for _, want := range []string{"英文原文：path.repo on every source node covers /data/repo", "详情：source-1: path.repo not set（英文原文）",
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

// The run's log names batches, phases and kinds from the catalogue; the engine's messages stay (until they have
// keys). English is the engine's own line, the one the headless mode prints.
func TestEventLogInChinese(t *testing.T) {
	zh, en := i18n.New("zh"), i18n.New("en")
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	chk := steps.Check{ID: "target-disk", Title: "Target disk space", Status: steps.Warn, Evidence: "80% used"}
	cases := []struct {
		e    steps.Event
		want string
	}{
		{steps.Event{Kind: steps.KindStart, Phase: steps.PhaseSnapshot, Batch: 1, Batches: 2}, "第 1/2 批 快照：开始"},
		{steps.Event{Kind: steps.KindDone, Phase: steps.PhaseRestore, Batch: 2, Batches: 2, Message: "took 1.5s"}, "第 2/2 批 恢复：完成：took 1.5s"},
		{steps.Event{Kind: steps.KindError, Level: steps.LevelError, Phase: steps.PhaseTransfer, Batch: 1, Batches: 1, Message: "disk full"}, "第 1/1 批 传输：失败：disk full"},
		{steps.Event{Kind: steps.KindLog, Level: steps.LevelWarn, Phase: steps.PhaseVerify, Batch: 1, Batches: 1, Index: "logs", Message: "yellow"}, "第 1/1 批 校验 logs：警告：yellow"},
		{steps.Event{Kind: steps.KindLog, Phase: steps.PhasePlan, Message: "batch 1: 3 index(es)"}, "计划：batch 1: 3 index(es)"},
		{steps.Event{Kind: steps.KindLog, Phase: steps.PhaseConnect, Message: "connected"}, "连接：connected"},
		{steps.Event{Kind: steps.KindRequest, Phase: steps.PhaseRepository, Message: "register", Curl: "curl -X PUT x"}, "快照仓库：请求：register：curl -X PUT x"},
		{steps.Event{Kind: steps.KindCheck, Phase: steps.PhasePreflight, Check: &chk}, "预检：检查：警告 目标集群磁盘空间：80% used"},
		{steps.Event{Kind: steps.KindDone, Phase: steps.PhaseCleanup, Message: "final clean-up"}, "清理：完成：final clean-up"},
		{steps.Event{Kind: steps.KindDone, Phase: steps.PhaseReport}, "报告：完成"},
	}
	for _, c := range cases {
		c.e.Time = at
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
