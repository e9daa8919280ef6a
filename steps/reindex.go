package steps

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
)

// Indices the target cannot open (an index created two majors back, every index of an Elasticsearch 7.11+
// source for an OpenSearch target) can still move with _reindex from remote on the target: the target pulls the
// documents from the source. That needs the target's reindex module, and reindex.remote.whitelist on every target
// node naming the source's host:port (a node setting: elasticsearch.yml, then a restart). These checks say
// whether the target is ready and write the line to add. The reindex path itself comes with the live-migration
// rework of the restore path (issue #16 item 3).

// NeedsReindex lists the selected indices the target cannot restore (by their creation version).
func NeedsReindex(src, dst ClusterSummary, sel Selection) []string {
	var out []string
	for _, ix := range sel.Indices {
		v, err := esclient.ParseVersion(ix.CreatedVersion)
		if err != nil {
			continue
		}
		if !CanRestore(Product{Distribution: src.Info.Distribution, Version: v}, dst.Product()).OK {
			out = append(out, ix.Name)
		}
	}
	return out
}

// SourceHostPort is host:port of a cluster URL as the whitelist names it (the scheme's port when the URL has
// none: the target connects to exactly what the remote's URL says).
func SourceHostPort(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", i18n.Errorf("es.reason.notaurl", raw)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return strings.ToLower(u.Hostname()) + ":" + port, nil
}

// WhitelistLine is the elasticsearch.yml line that keeps a node's entries and adds hostPort.
func WhitelistLine(existing []string, hostPort string) string {
	return listLine("reindex.remote.whitelist", existing, hostPort)
}

// whitelistSetting is the setting's name on a cluster: OpenSearch 2 renamed it reindex.remote.allowlist (and
// says "not allowlisted in reindex.remote.allowlist" when a host is missing).
func whitelistSetting(p Product) string {
	if p.Distribution == esclient.OpenSearch && p.Version.Major >= 2 {
		return "reindex.remote.allowlist"
	}
	return "reindex.remote.whitelist"
}

func listLine(setting string, existing []string, hostPort string) string {
	entries := append([]string{}, existing...)
	if !whitelisted(existing, hostPort) {
		entries = append(entries, hostPort)
	}
	quoted := make([]string, len(entries))
	for i, e := range entries {
		quoted[i] = fmt.Sprintf("%q", e)
	}
	return setting + ": [" + strings.Join(quoted, ", ") + "]"
}

// whitelisted applies the whitelist as Elasticsearch does: host:port patterns with * wildcards.
func whitelisted(entries []string, hostPort string) bool {
	for _, e := range entries {
		if simpleMatch(strings.ToLower(strings.TrimSpace(e)), hostPort) {
			return true
		}
	}
	return false
}

// ReindexRemoteChecks decides, without any request, whether the target can pull from the source.
func ReindexRemoteChecks(dst ClusterSummary, rs esclient.ReindexSupport, sourceURL string, indices []string) []Check {
	title := i18n.M("check.reindex", dst.Product().String())
	// what: the finding, and for which indices when the selection has some the target cannot restore.
	what := func(m i18n.Msg) i18n.Msg {
		if len(indices) > 0 {
			return i18n.M("reindex.for", m, len(indices), abbreviate(indices, 5))
		}
		return m
	}
	if !rs.Module {
		return []Check{newCheck("reindex-module", Fail, title, i18n.Join("list.colon", what(i18n.M("reindex.nomodule")), rs.Evidence),
			i18n.M("reindex.nomodule.fix"))}
	}
	hp, err := SourceHostPort(sourceURL)
	if err != nil {
		return []Check{newCheck("reindex-whitelist", Fail, title, i18n.MsgOf(err), i18n.M("es.fix.url"))}
	}
	var lacking []string
	var evidence []i18n.Msg
	var line string
	setting, file := whitelistSetting(dst.Product()), "elasticsearch.yml"
	if dst.Info.Distribution == esclient.OpenSearch {
		file = "opensearch.yml"
	}
	nodes := make([]string, 0, len(rs.Whitelist))
	for n := range rs.Whitelist {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	for _, n := range nodes {
		wl := rs.Whitelist[n]
		if whitelisted(wl, hp) {
			continue
		}
		lacking = append(lacking, n)
		if len(wl) > 0 {
			evidence = append(evidence, i18n.Name(n+": ["+strings.Join(wl, ", ")+"]"))
		} else {
			evidence = append(evidence, i18n.M("reindex.unset", n))
		}
		if l := listLine(setting, wl, hp); line == "" || len(l) > len(line) {
			line = l // the longest keeps every node's entries when they differ
		}
	}
	if len(lacking) == 0 {
		return []Check{newCheck("reindex-whitelist", OK, title, what(i18n.M("reindex.covered", setting, len(nodes), hp)), i18n.Msg{})}
	}
	return []Check{newCheck("reindex-whitelist", Fail, title,
		what(i18n.M("reindex.uncovered", setting, hp, i18n.List("list.semi", evidence))),
		i18n.M("reindex.whitelist.fix", line, file, strings.Join(lacking, ", "), hp))}
}

// ReindexChecks reads what the target has (a GET and the nodes' settings) and decides; indices are the ones
// that need the reindex path (NeedsReindex).
func (e *Engine) ReindexChecks(ctx context.Context, dst ClusterSummary, indices []string) []Check {
	rs, err := e.dst.ReindexSupport(ctx)
	if err != nil {
		return []Check{e.report(ctx, notRun("reindex-module", i18n.M("check.reindex.plain"), err))}
	}
	var out []Check
	for _, c := range ReindexRemoteChecks(dst, rs, e.plan.Source.URL, indices) {
		out = append(out, e.report(ctx, c))
	}
	return out
}
