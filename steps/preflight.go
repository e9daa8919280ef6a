package steps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/nfs"
)

// Preflight runs every check, each also sent as an event as soon as it is known. The read-only checks (versions,
// path.repo, the selected indices against the target) come first; only when none of them failed are the
// repositories registered and verified, so that bad input changes nothing on either cluster.
func (e *Engine) Preflight(ctx context.Context, src, dst ClusterSummary, sel Selection) []Check {
	e.emit(Event{Kind: KindStart, Phase: PhasePreflight})
	checks := e.clusterReadChecks(ctx, src, dst)
	checks = append(checks, e.SelectionChecks(ctx, src, dst, sel)...)
	// The shares must hold the selection's primary data: the snapshot writes it to the source's share, the
	// copy to the target's.
	e.shareNeeds = 0
	for _, ix := range sel.Indices {
		e.shareNeeds += ix.PrimaryBytes
	}
	if Worst(checks) != Fail && ctx.Err() == nil {
		checks = append(checks, e.RepositoryChecks(ctx, src, dst)...)
	}
	if ctx.Err() != nil {
		return checks
	}
	e.emit(Event{Kind: KindDone, Phase: PhasePreflight, Message: fmt.Sprintf("%d checks, worst: %s", len(checks), Worst(checks))})
	return checks
}

// report sends a finished check as an event. Once the checks were cancelled (Ctrl-C, a hang-up, the wizard
// starting them again), what their requests say is "context canceled", not a finding: not shown.
func (e *Engine) report(ctx context.Context, c Check) Check {
	if ctx.Err() != nil {
		return c
	}
	cc := c
	e.emit(Event{Kind: KindCheck, Phase: PhasePreflight, Check: &cc})
	return c
}

// ClusterChecks are the checks that do not depend on the selected indices: versions, health, path.repo, the
// repository verification on both clusters (which registers the repositories; not in a dry run), the shares as
// this host sees them, and the NFS server.
func (e *Engine) ClusterChecks(ctx context.Context, src, dst ClusterSummary) []Check {
	return append(e.clusterReadChecks(ctx, src, dst), e.RepositoryChecks(ctx, src, dst)...)
}

// clusterReadChecks only read: versions, health, path.repo and snapshots already running.
func (e *Engine) clusterReadChecks(ctx context.Context, src, dst ClusterSummary) []Check {
	var out []Check
	add := func(c Check) { out = append(out, e.report(ctx, c)) }

	// Version pair (each index's creation version is checked again with the selection).
	compat := CanRestore(src.Product(), dst.Product())
	c := Check{ID: "compat-versions", Title: "Snapshot compatibility", Evidence: fmt.Sprintf("%s → %s", src.Product(), dst.Product())}
	if compat.OK {
		c.Status = OK
	} else {
		c.Status, c.Evidence, c.Fix = Fail, c.Evidence+": "+compat.Reason, compat.Fix
	}
	add(c)

	for _, s := range []ClusterSummary{src, dst} {
		h := Check{ID: "health-" + s.Role, Title: "Health of the " + s.Role + " cluster", Status: OK,
			Evidence: fmt.Sprintf("%s, %d node(s), %d unassigned shard(s)", s.Health.Status, len(s.Nodes), s.Health.UnassignedShards)}
		if s.Health.Status == "red" {
			h.Status = Warn
			h.Fix = "some primary shards are unassigned: red indices cannot be snapshotted (source) or may block restores (target); check GET _cluster/allocation/explain"
		}
		add(h)
	}

	add(pathRepoCheck(src, e.plan.Repository.SourceLocation))
	add(pathRepoCheck(dst, e.plan.Repository.TargetLocation))
	if running, err := e.src.AllRunningSnapshots(ctx); err == nil && len(running) > 0 {
		names := []string{}
		for _, r := range running {
			names = append(names, r.Name)
		}
		add(Check{ID: "source-busy", Title: "Snapshots already running on the source", Status: Warn,
			Evidence: strings.Join(names, ", "),
			Fix:      "before 7.9 only one snapshot runs at a time: wait for these to finish (GET _snapshot/_status)"})
	}
	return out
}

// RepositoryChecks register the repository on both clusters (read-only on the target) and verify that every
// node reaches it, then look at the shares from this host. In a dry run nothing is registered: only the shares
// are looked at.
func (e *Engine) RepositoryChecks(ctx context.Context, src, dst ClusterSummary) []Check {
	var out []Check
	add := func(c Check) { out = append(out, e.report(ctx, c)) }
	// Verification first: registering the repository makes Elasticsearch create its directory, which the
	// share checks then look at.
	if !e.opts.DryRun {
		add(e.verifyCheck(ctx, e.src, src, false))
		add(e.verifyCheck(ctx, e.dst, dst, true))
	}
	for _, c := range e.shareChecks(ctx, src, dst) {
		add(c)
	}
	return out
}

// pathRepoCheck: every node's path.repo must cover the location, or Elasticsearch refuses the repository.
func pathRepoCheck(s ClusterSummary, location string) Check {
	c := Check{ID: "path-repo-" + s.Role, Title: "path.repo on every " + s.Role + " node covers " + location}
	var lacking, evidence []string
	for _, n := range s.Nodes {
		if !coveredBy(location, n.PathRepo) {
			lacking = append(lacking, n.Name)
			pr := "not set"
			if len(n.PathRepo) > 0 {
				pr = "[" + strings.Join(n.PathRepo, ", ") + "]"
			}
			evidence = append(evidence, fmt.Sprintf("%s: path.repo %s", n.Name, pr))
		}
	}
	if len(lacking) == 0 {
		c.Status, c.Evidence = OK, fmt.Sprintf("all %d node(s)", len(s.Nodes))
		return c
	}
	c.Status = Fail
	c.Evidence = strings.Join(evidence, "; ")
	c.Fix = fmt.Sprintf("path.repo does not include %s on node(s) %s: add `path.repo: [\"%s\"]` to elasticsearch.yml on each and restart them one at a time",
		location, strings.Join(lacking, ", "), location)
	return c
}

// coveredBy tells whether dir is one of roots or below one of them.
func coveredBy(dir string, roots []string) bool {
	dir = filepath.Clean(dir)
	for _, r := range roots {
		r = filepath.Clean(r)
		if dir == r || strings.HasPrefix(dir, r+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// verifyCheck registers the repository (see ensureRepository) and asks every node to reach it, naming the
// nodes that cannot.
func (e *Engine) verifyCheck(ctx context.Context, c *esclient.Client, s ClusterSummary, target bool) Check {
	name, location := e.plan.Repository.Name, e.plan.Repository.SourceLocation
	if target {
		name, location = e.plan.TargetRepoName(), e.plan.Repository.TargetLocation
	}
	chk := Check{ID: "verify-repo-" + s.Role, Title: fmt.Sprintf("Every %s node reaches repository %s (%s)", s.Role, name, location)}
	if err := e.ensureRepository(ctx, c, target); err != nil {
		chk.Status, chk.Evidence, chk.Fix = Fail, err.Error(), fixOf(err)
		return chk
	}
	nodes, err := c.VerifyRepository(ctx, name)
	if err != nil {
		chk.Status, chk.Evidence, chk.Fix = Fail, err.Error(), fixOf(err)
		if chk.Fix == "" {
			chk.Fix = "mount the share at " + location + " on every node, owned by the elasticsearch user (same uid on all nodes)"
		}
		return chk
	}
	answered := map[string]bool{}
	for _, n := range nodes {
		answered[n.ID] = true
	}
	var missing []string
	for _, n := range s.Nodes {
		// Verification covers master-eligible and data nodes; coordinating-only nodes do not take part.
		if !answered[n.ID] && (n.IsData() || contains(n.Roles, "master")) {
			missing = append(missing, n.Name)
		}
	}
	if len(missing) > 0 {
		chk.Status = Fail
		chk.Evidence = fmt.Sprintf("%d of %d node(s) answered; not: %s", len(nodes), len(s.Nodes), strings.Join(missing, ", "))
		chk.Fix = fmt.Sprintf("mount the share at %s on %s (same path, same elasticsearch uid)", location, strings.Join(missing, ", "))
		return chk
	}
	chk.Status, chk.Evidence = OK, fmt.Sprintf("%d node(s) answered", len(nodes))
	if target {
		chk.Evidence += " (registered read-only: the source cluster is the only writer)"
	}
	return chk
}

func fixOf(err error) string {
	if e, ok := err.(*esclient.Error); ok {
		return e.Fix
	}
	return ""
}

// shareChecks look at the shares from this host: the nfs package's checks, and whether "shared" is true.
func (e *Engine) shareChecks(ctx context.Context, src, dst ClusterSummary) []Check {
	var out []Check
	srcLocal, dstLocal := e.plan.SourceLocalPath(), e.plan.TargetLocalPath()
	_, srcErr := os.Stat(srcLocal)
	_, dstErr := os.Stat(dstLocal)

	if !e.plan.Repository.Shared {
		// The copy runs on this host: it must see both shares.
		c := Check{ID: "shares-visible", Title: "This host sees both shares (for the copy)", Status: OK,
			Evidence: fmt.Sprintf("source share %s, target share %s", srcLocal, dstLocal)}
		// A missing directory whose parent is there is fine: registering the repository creates it.
		var missing []string
		if srcErr != nil && (!os.IsNotExist(srcErr) || !parentExists(srcLocal)) {
			missing = append(missing, srcLocal)
		}
		if dstErr != nil && (!os.IsNotExist(dstErr) || !parentExists(dstLocal)) {
			missing = append(missing, dstLocal)
		}
		if len(missing) > 0 {
			c.Status = Fail
			c.Evidence = "not visible here: " + strings.Join(missing, ", ")
			c.Fix = "run esmigrate on a host that mounts both shares (or mount them here), and set repository.source_local_path / target_local_path to where they are mounted"
		}
		out = append(out, c)
		if srcErr == nil && dstErr == nil && sameFile(srcLocal, dstLocal) {
			out = append(out, Check{ID: "shares-distinct", Title: "Source and target shares are different directories", Status: Fail,
				Evidence: srcLocal + " and " + dstLocal + " are the same directory",
				Fix:      "set shared: true in the plan (the target then registers the repository read-only and nothing is copied)"})
		}
	} else if srcErr == nil && dstErr == nil && !sameFile(srcLocal, dstLocal) {
		out = append(out, Check{ID: "shares-same", Title: "Shared storage is one directory", Status: Warn,
			Evidence: srcLocal + " and " + dstLocal + " are different directories on this host",
			Fix:      "if the clusters do not see the same storage, set shared: false so that esmigrate copies the repository"})
	}

	check := func(role, path string, nodes int, bytes int64) {
		if _, err := os.Stat(path); os.IsNotExist(err) && parentExists(path) {
			// Not created yet (registering the repository creates it): its parent is on the same share.
			path = filepath.Dir(path)
		}
		if _, err := os.Stat(path); err != nil {
			out = append(out, Check{ID: "share-" + role, Title: "The " + role + " share on this host", Status: Warn,
				Evidence: path + " is not visible on this host, so its filesystem, owner and free space were not checked",
				Fix:      "run esmigrate on a node that mounts the share to have it checked"})
			return
		}
		uid, gid := -1, -1
		if e.plan.NFS.UID > 0 {
			uid, gid = e.plan.NFS.UID, e.plan.NFS.GID
		} else if u, g, ok := localNodeUser(ctx, append(append([]esclient.Node{}, src.Nodes...), dst.Nodes...)); ok {
			uid, gid = u, g
		}
		for _, r := range nfs.CheckRepositoryPath(ctx, nfs.PathCheck{Path: path, ESUID: uid, ESGID: gid, BytesNeeded: bytes, ClusterNodes: nodes}) {
			out = append(out, Check{ID: "share-" + role + "-" + r.ID, Title: "The " + role + " share: " + r.Title, Status: Status(r.Status),
				Evidence: r.Evidence, Fix: r.Fix})
		}
	}
	check("source", srcLocal, machines(src.Nodes), e.shareNeeds)
	if !e.plan.Repository.Shared {
		check("target", dstLocal, machines(dst.Nodes), e.shareNeeds)
	}
	// The NFS server: as the plan names it, or as the mount table names it for each share.
	servers := map[string]string{}
	if e.plan.NFS.Server != "" {
		servers[e.plan.NFS.Server] = e.plan.NFS.Export
	}
	for _, p := range []string{srcLocal, dstLocal} {
		if host, export, ok := nfs.ShareServer(p); ok {
			if _, known := servers[host]; !known {
				servers[host] = export
			}
		}
	}
	for _, host := range sortedKeys(servers) {
		for _, r := range nfs.CheckServer(ctx, nfs.ServerCheck{Host: host, ExportPath: servers[host]}) {
			out = append(out, Check{ID: "nfs-server-" + r.ID, Title: "NFS server " + host + ": " + r.Title,
				Status: Status(r.Status), Evidence: r.Evidence, Fix: r.Fix})
		}
	}
	return out
}

// localNodeUser finds the uid and gid Elasticsearch runs as when one of its nodes runs on this host (esmigrate
// is often run on a node): the node's process id, from the nodes API, names a local process whose owner is it.
func localNodeUser(ctx context.Context, nodes []esclient.Node) (uid, gid int, ok bool) {
	for _, n := range nodes {
		if n.PID <= 0 || !nfs.IsThisHost(ctx, n.IP) {
			continue
		}
		proc := filepath.Join("/proc", strconv.Itoa(n.PID))
		cmd, err := os.ReadFile(filepath.Join(proc, "cmdline"))
		if err != nil || !strings.Contains(strings.ToLower(string(cmd)), "search") {
			continue // another process with that number (a node in a container, say)
		}
		status, err := os.ReadFile(filepath.Join(proc, "status"))
		if err != nil {
			continue
		}
		uid, gid = -1, -1
		for _, line := range strings.Split(string(status), "\n") {
			f := strings.Fields(line)
			if len(f) >= 2 && f[0] == "Uid:" {
				uid, _ = strconv.Atoi(f[1])
			}
			if len(f) >= 2 && f[0] == "Gid:" {
				gid, _ = strconv.Atoi(f[1])
			}
		}
		if uid >= 0 && gid >= 0 {
			return uid, gid, true
		}
	}
	return -1, -1, false
}

// machines counts the distinct hosts the nodes run on: nodes on one machine share its local disks, so a local
// directory is only wrong for a repository when the nodes are on several machines.
func machines(nodes []esclient.Node) int {
	hosts := map[string]bool{}
	for _, n := range nodes {
		h := n.IP
		if h == "" {
			h = n.Host
		}
		hosts[h] = true
	}
	return len(hosts)
}

func parentExists(p string) bool {
	_, err := os.Stat(filepath.Dir(p))
	return err == nil
}

func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// SelectionChecks are the checks about the chosen indices against the target: names that exist, versions,
// plugins, disk and shard limits.
func (e *Engine) SelectionChecks(ctx context.Context, src, dst ClusterSummary, sel Selection) []Check {
	var out []Check
	add := func(c Check) { out = append(out, e.report(ctx, c)) }
	p := e.plan

	sc := Check{ID: "selection", Title: "Selected indices", Status: OK}
	var total int64
	for _, ix := range sel.Indices {
		total += ix.PrimaryBytes
	}
	sc.Evidence = fmt.Sprintf("%d index(es), %s of primary data", len(sel.Indices), HumanBytes(total))
	switch {
	case len(sel.Missing) > 0:
		sc.Status = Fail
		sc.Evidence += "; not found on the source: " + strings.Join(sel.Missing, ", ")
		sc.Fix = "check the names (GET _cat/indices on the source), or remove them from the plan"
	case len(sel.Indices) == 0 && len(sel.Skipped) > 0:
		sc.Status = Fail
		var why []string
		for _, s := range sel.Skipped {
			why = append(why, s.Index+": "+s.Reason)
		}
		sc.Evidence = "nothing to migrate: every matching index is left out (" + strings.Join(why, "; ") + ")"
		sc.Fix = "open closed indices on the source first, or select other indices"
	case len(sel.Indices) == 0:
		sc.Status = Fail
		sc.Evidence = "no index matches " + strings.Join(p.Indices, ", ")
		sc.Fix = "check the patterns; hidden and dot-indices need include_hidden / include_system"
	}
	add(sc)
	if len(sel.Skipped) > 0 {
		var lines []string
		for _, s := range sel.Skipped {
			lines = append(lines, s.Index+": "+s.Reason)
		}
		add(Check{ID: "skipped", Title: "Indices left out", Status: Warn, Evidence: strings.Join(lines, "; "),
			Fix: "open closed indices on the source before the migration if they must move"})
	}
	if len(sel.Indices) == 0 {
		return out
	}

	// Red indices cannot be snapshotted without partial: true.
	var red []string
	for _, ix := range sel.Indices {
		if ix.Health == "red" {
			red = append(red, ix.Name)
		}
	}
	if len(red) > 0 {
		add(Check{ID: "red-indices", Title: "Selected indices are healthy", Status: Fail, Evidence: "red: " + strings.Join(red, ", "),
			Fix: "a snapshot of a red index fails (Indices don't have primary shards): fix their allocation on the source, or leave them out"})
	}

	// Each index's creation version against the target.
	var incompatible []string
	fix := ""
	for _, ix := range sel.Indices {
		v, err := esclient.ParseVersion(ix.CreatedVersion)
		if err != nil {
			continue
		}
		c := CanRestore(Product{Distribution: src.Info.Distribution, Version: v}, dst.Product())
		if !c.OK {
			incompatible = append(incompatible, fmt.Sprintf("%s (created by %s)", ix.Name, v))
			fix = c.Reason + ": " + c.Fix
		}
	}
	if len(incompatible) > 0 {
		add(Check{ID: "compat-indices", Title: "Every index can be restored into " + dst.Product().String(), Status: Fail,
			Evidence: strings.Join(incompatible, ", "), Fix: fix})
	} else {
		add(Check{ID: "compat-indices", Title: "Every index can be restored into " + dst.Product().String(), Status: OK,
			Evidence: "index creation versions checked"})
	}

	// Names on the target.
	targets := map[string]string{}
	var targetNames []string
	for _, ix := range sel.Indices {
		t := TargetName(ix.Name, p.Restore)
		targets[t] = ix.Name
		targetNames = append(targetNames, t)
	}
	// The names the rename gives, checked with Elasticsearch's rules here: the restore would refuse them only
	// after the snapshot was taken.
	var badNames []string
	for _, t := range targetNames {
		if err := ValidateIndexName(t); err != nil {
			badNames = append(badNames, fmt.Sprintf("%s ← %s: %v", t, targets[t], err))
		}
	}
	if len(badNames) > 0 {
		sort.Strings(badNames)
		add(Check{ID: "target-names", Title: "The rename gives valid index names", Status: Fail, Evidence: strings.Join(badNames, "; "),
			Fix: "change restore.rename_replacement so that every new name is lower case, without \\ / * ? \" < > | space , # :, and does not start with _ - +"})
	}
	if col := RenameCollisions(sel.Indices, p.Restore); len(col) > 0 {
		var lines []string
		for t, srcs := range col {
			lines = append(lines, fmt.Sprintf("%s ← %s", t, strings.Join(srcs, ", ")))
		}
		sort.Strings(lines)
		add(Check{ID: "rename-collisions", Title: "The rename gives every index its own name", Status: Fail, Evidence: strings.Join(lines, "; "),
			Fix: "change rename_pattern/rename_replacement so that each index keeps a distinct name (e.g. keep the whole name with (.+) → new_$1)"})
	}
	check := Check{ID: "conflicts", Title: "No target index is in the way", Status: OK}
	exists, err := e.dst.Exists(ctx, targetNames)
	aliasHit, aliasCheck := e.aliasConflicts(ctx, sel)
	switch {
	case err != nil:
		check.Status, check.Evidence = Warn, "could not look up target names: "+err.Error()
	case len(exists) > 0 || len(aliasHit) > 0:
		var names []string
		for n := range exists {
			names = append(names, n)
		}
		sort.Strings(names)
		check.Evidence = "already on the target: " + strings.Join(names, ", ")
		if len(aliasHit) > 0 {
			check.Evidence = strings.TrimPrefix(check.Evidence+"; ", "already on the target: ; ") + "aliases that are index names on the target: " + strings.Join(aliasHit, ", ")
		}
		if p.OnConflict == ConflictDelete && e.opts.AllowTargetDelete && len(aliasHit) == 0 {
			check.Status = Warn
			check.Fix = "these target indices will be DELETED before the restore (on_conflict: delete, confirmed)"
		} else {
			check.Status = Fail
			check.Fix = "restore under other names (rename pattern, e.g. (.+) → migrated-$1), or delete them on the target yourself; esmigrate deletes target indices only with on_conflict: delete and a typed confirmation"
		}
	default:
		check.Evidence = fmt.Sprintf("none of the %d target name(s) exists", len(targetNames))
	}
	add(check)
	if aliasCheck != nil {
		add(*aliasCheck)
	}

	out = append(out, e.pluginChecks(ctx, src, dst, sel)...)
	out = append(out, e.capacityChecks(ctx, dst, sel)...)
	return out
}

// aliasConflicts looks at the aliases the restore adds (include_aliases) against the target's: an alias name
// that is an index there fails the restore ("an index or data stream exists with the same name as the
// alias"), and so does a write alias (is_write_index) whose name is a write alias there too ("alias [x] has
// more than one write index", measured on 7.17). An alias that exists on the target otherwise is taken over
// quietly: searches through it read the restored indices too, and a restored write alias takes the writes.
// Returns the names that are indices on the target, and a check for the rest (nil when nothing clashes).
func (e *Engine) aliasConflicts(ctx context.Context, sel Selection) ([]string, *Check) {
	if !e.plan.Restore.IncludeAliases {
		return nil, nil
	}
	restored := map[string][]string{} // alias → selected indices that carry it
	writes := map[string]string{}     // alias → the selected index that is its write index
	for _, ix := range sel.Indices {
		for _, a := range ix.Aliases {
			restored[a] = append(restored[a], ix.Name)
		}
		for _, a := range ix.WriteAliases {
			writes[a] = ix.Name
		}
	}
	if len(restored) == 0 {
		return nil, nil
	}
	all, err := e.dst.Indices(ctx)
	if err != nil {
		return nil, nil
	}
	var hit []string
	members := map[string][]string{} // alias on the target → its indices
	writeOn := map[string]string{}   // alias on the target → its explicit write index
	for _, ix := range all {
		if _, ok := restored[ix.Name]; ok {
			hit = append(hit, ix.Name)
		}
		for _, a := range ix.Aliases {
			members[a] = append(members[a], ix.Name)
		}
		for _, a := range ix.WriteAliases {
			writeOn[a] = ix.Name
		}
	}
	var fails, warns []string
	for _, a := range sortedKeys(restored) {
		there := members[a]
		if len(there) == 0 {
			continue
		}
		src, isWrite := writes[a]
		switch {
		case isWrite && writeOn[a] != "":
			fails = append(fails, fmt.Sprintf("%s: the write index of alias %s on the source, and on the target %s is already its write index (the restore would fail: more than one write index)", src, a, writeOn[a]))
		case isWrite:
			warns = append(warns, fmt.Sprintf("%s becomes the write index of alias %s, which on the target already points at %s: what is written through %s then goes to the restored index", src, a, strings.Join(there, ", "), a))
		default:
			warns = append(warns, fmt.Sprintf("alias %s of %s already exists on the target (%s): searches through it will read the restored indices too", a, strings.Join(restored[a], ", "), strings.Join(there, ", ")))
		}
	}
	if len(fails)+len(warns) == 0 {
		return hit, nil
	}
	c := &Check{ID: "alias-clashes", Title: "The restored aliases do not clash with the target's"}
	if len(fails) > 0 {
		c.Status, c.Evidence = Fail, strings.Join(append(fails, warns...), "; ")
		c.Fix = "restore without aliases (restore.include_aliases: false) and add them on the target afterwards, or move the write index on the target first (POST _aliases with is_write_index: false on its index)"
	} else {
		c.Status, c.Evidence = Warn, strings.Join(warns, "; ")
		c.Fix = "if the target's aliases must stay as they are, restore without aliases (restore.include_aliases: false)"
	}
	return hit, c
}

// pluginTypes maps analysis component and field types to the plugin that provides them. A restore of an index
// that uses one of them fails on a target without that plugin.
var pluginTypes = map[string]string{
	"icu_tokenizer": "analysis-icu", "icu_normalizer": "analysis-icu", "icu_folding": "analysis-icu",
	"icu_collation": "analysis-icu", "icu_transform": "analysis-icu", "icu_analyzer": "analysis-icu",
	"icu_collation_keyword": "analysis-icu",
	"ik_smart":              "analysis-ik", "ik_max_word": "analysis-ik",
	"pinyin": "analysis-pinyin", "stconvert": "analysis-stconvert",
	"smartcn": "analysis-smartcn", "smartcn_tokenizer": "analysis-smartcn", "smartcn_stop": "analysis-smartcn",
	"kuromoji": "analysis-kuromoji", "kuromoji_tokenizer": "analysis-kuromoji", "kuromoji_baseform": "analysis-kuromoji",
	"kuromoji_part_of_speech": "analysis-kuromoji", "kuromoji_readingform": "analysis-kuromoji", "kuromoji_stemmer": "analysis-kuromoji",
	"ja_stop": "analysis-kuromoji", "kuromoji_iteration_mark": "analysis-kuromoji", "kuromoji_number": "analysis-kuromoji",
	"nori": "analysis-nori", "nori_tokenizer": "analysis-nori", "nori_part_of_speech": "analysis-nori", "nori_readingform": "analysis-nori",
	"phonetic": "analysis-phonetic", "polish": "analysis-stempel", "polish_stem": "analysis-stempel",
	"ukrainian": "analysis-ukrainian", "murmur3": "mapper-murmur3", "annotated_text": "mapper-annotated-text",
	"hanlp": "analysis-hanlp", "hanlp_standard": "analysis-hanlp", "hanlp_index": "analysis-hanlp",
}

// commonAnalysisTypes are provided by the analysis-common module. Every Elasticsearch distribution has it, but
// embedded or trimmed installations may not, and then the restore fails with "failed to find analyzer".
var commonAnalysisTypes = strings.Fields(`arabic armenian basque bengali brazilian bulgarian catalan chinese cjk czech
	danish dutch english estonian finnish french galician german greek hindi hungarian indonesian irish italian
	latvian lithuanian norwegian persian portuguese romanian russian sorani spanish swedish turkish thai
	pattern fingerprint snowball
	ngram edge_ngram nGram edgeNGram char_group classic letter uax_url_email path_hierarchy simple_pattern
	simple_pattern_split thai
	asciifolding cjk_bigram cjk_width common_grams delimited_payload dictionary_decompounder elision
	hyphenation_decompounder keep keep_types keyword_marker kstem length limit min_hash multiplexer
	pattern_capture pattern_replace porter_stem predicate_token_filter remove_duplicates reverse
	scandinavian_folding scandinavian_normalization snowball stemmer stemmer_override synonym synonym_graph
	trim truncate unique word_delimiter word_delimiter_graph html_strip mapping`)

func init() {
	for _, t := range commonAnalysisTypes {
		if _, taken := pluginTypes[t]; !taken {
			pluginTypes[t] = "analysis-common"
		}
	}
}

// pluginChecks finds plugins the selected indices depend on (analysis components, field types, _size) and
// files they read (synonyms_path...), and checks them against the target's nodes.
func (e *Engine) pluginChecks(ctx context.Context, src, dst ClusterSummary, sel Selection) []Check {
	var out []Check
	add := func(c Check) { out = append(out, e.report(ctx, c)) }
	details, err := e.src.IndexDetails(ctx, namesOf(sel.Indices))
	if err != nil {
		add(Check{ID: "plugins", Title: "Plugins the indices need exist on the target", Status: Warn, Evidence: "could not read index settings: " + err.Error()})
		return out
	}
	needs := map[string][]string{} // plugin → indices
	var files []string
	for name, d := range details {
		used := map[string]bool{}
		for k, v := range d.Settings {
			if strings.HasPrefix(k, "index.analysis.") && strings.HasSuffix(k, ".type") {
				used[v] = true
			}
			if strings.HasPrefix(k, "index.analysis.") && strings.HasSuffix(k, "_path") {
				files = append(files, fmt.Sprintf("%s: %s = %s", name, strings.TrimPrefix(k, "index.analysis."), v))
			}
			if strings.HasPrefix(k, "index.analysis.") && (strings.HasSuffix(k, ".tokenizer") || strings.Contains(k, ".filter")) {
				for _, part := range strings.Split(v, ",") {
					used[part] = true
				}
			}
		}
		walkMapping(d.Mappings, func(key, value string) {
			switch key {
			case "type", "analyzer", "search_analyzer", "tokenizer":
				used[value] = true
			}
		})
		if m, ok := d.Mappings["_size"].(map[string]any); ok && m["enabled"] == true {
			used["_size"] = true
		}
		for t := range used {
			if pl, ok := pluginTypes[t]; ok {
				needs[pl] = appendUnique(needs[pl], name)
			}
			if t == "_size" {
				needs["mapper-size"] = appendUnique(needs["mapper-size"], name)
			}
		}
	}
	have := func(s ClusterSummary, plugin string) []string {
		var lacking []string
		for _, n := range s.Nodes {
			if !contains(n.Plugins, plugin) && !contains(n.Modules, plugin) {
				lacking = append(lacking, n.Name)
			}
		}
		return lacking
	}
	var problems []string
	var installs []string
	for pl, ixs := range needs {
		sort.Strings(ixs)
		if lacking := have(dst, pl); len(lacking) > 0 {
			problems = append(problems, fmt.Sprintf("%s (used by %s) is missing on %s", pl, strings.Join(ixs, ", "), strings.Join(lacking, ", ")))
			installs = append(installs, pl)
		}
	}
	sort.Strings(problems)
	sort.Strings(installs)
	c := Check{ID: "plugins", Title: "Plugins the indices need exist on the target"}
	if len(problems) > 0 {
		c.Status, c.Evidence = Fail, strings.Join(problems, "; ")
		c.Fix = fmt.Sprintf("install on every target node: bin/elasticsearch-plugin install %s (the same version as the target), then restart the nodes one at a time", strings.Join(installs, " "))
		if contains(installs, "analysis-common") {
			c.Fix += "; analysis-common is a module that every standard Elasticsearch distribution has: use a standard installation of the target"
		}
	} else {
		// Plugins on the source that the target lacks, in case an index uses one in a way we do not know.
		var extra []string
		for _, n := range src.Nodes {
			for _, pl := range n.Plugins {
				if len(have(dst, pl)) > 0 {
					extra = appendUnique(extra, pl)
				}
			}
		}
		c.Status, c.Evidence = OK, "no plugin-provided analyzer or field type in use"
		if len(extra) > 0 {
			c.Status = Warn
			c.Evidence = "the source has plugins the target lacks: " + strings.Join(extra, ", ")
			c.Fix = "if any selected index uses them, install them on the target before the restore"
		}
	}
	add(c)
	if len(files) > 0 {
		sort.Strings(files)
		add(Check{ID: "analysis-files", Title: "Analysis files the indices read", Status: Warn, Evidence: strings.Join(files, "; "),
			Fix: "copy these files into the config directory of every target node before the restore (the restore hangs with \"IOException while reading\" otherwise)"})
	}
	return out
}

func walkMapping(m map[string]any, f func(key, value string)) {
	for k, v := range m {
		switch t := v.(type) {
		case string:
			f(k, t)
		case map[string]any:
			walkMapping(t, f)
		}
	}
}

// capacityChecks compares the selection with the target's free disk (keeping below the high watermark) and its
// shard limit.
func (e *Engine) capacityChecks(ctx context.Context, dst ClusterSummary, sel Selection) []Check {
	var out []Check
	add := func(c Check) { out = append(out, e.report(ctx, c)) }
	var primary int64
	var finalBytes int64
	newShards := 0
	for _, ix := range sel.Indices {
		primary += ix.PrimaryBytes
		finalBytes += ix.PrimaryBytes * int64(1+ix.Replicas)
		newShards += ix.Primaries * (1 + ix.Replicas)
	}
	disks, err := e.dst.DiskUsage(ctx)
	limits, lerr := e.dst.Limits(ctx)
	if err != nil || lerr != nil {
		add(Check{ID: "target-disk", Title: "Target disk space", Status: Warn, Evidence: fmt.Sprint("could not read: ", err, lerr)})
		return out
	}
	var usable, avail int64
	for _, d := range disks {
		avail += d.AvailBytes
		usable += usableBelowWatermark(d, limits.HighWatermark)
	}
	c := Check{ID: "target-disk", Title: "Target disk space", Status: OK,
		Evidence: fmt.Sprintf("needs %s (primaries) / %s (with replicas); %s usable below the high watermark %s (%s free) on %d data node(s)",
			HumanBytes(primary), HumanBytes(finalBytes), HumanBytes(usable), limits.HighWatermark, HumanBytes(avail), len(disks))}
	switch {
	case primary > usable:
		c.Status = Fail
		c.Fix = "free space on the target, add data nodes, or migrate fewer indices"
	case finalBytes > usable:
		c.Status = Warn
		c.Fix = "the primaries fit, but not all replicas: replicas will stay unassigned (yellow) until there is room"
	}
	add(c)

	open := 0
	if dst.Health.ActiveShards > 0 {
		open = dst.Health.ActiveShards + dst.Health.UnassignedShards + dst.Health.InitializingShards
	}
	maxShards := limits.MaxShardsPerNode * max(dst.DataNodes(), 1)
	sh := Check{ID: "target-shards", Title: "Target shard limit", Status: OK,
		Evidence: fmt.Sprintf("%d open + %d to restore, limit %d (%d per node × %d data node(s))", open, newShards, maxShards, limits.MaxShardsPerNode, max(dst.DataNodes(), 1))}
	if open+newShards > maxShards {
		sh.Status = Fail
		sh.Fix = "raise cluster.max_shards_per_node on the target (PUT _cluster/settings), add data nodes, or migrate fewer indices"
	}
	add(sh)
	return out
}

// usableBelowWatermark is how much a node can take before it reaches the high watermark ("90%" or "50gb").
func usableBelowWatermark(d esclient.NodeDisk, watermark string) int64 {
	w := strings.TrimSpace(strings.ToLower(watermark))
	var floor int64
	if strings.HasSuffix(w, "%") {
		pct, err := strconv.ParseFloat(strings.TrimSuffix(w, "%"), 64)
		if err != nil {
			pct = 90
		}
		floor = d.TotalBytes - int64(float64(d.TotalBytes)*pct/100)
	} else if b, err := ParseBytes(w); err == nil {
		floor = b
	} else if r, err := strconv.ParseFloat(w, 64); err == nil && r <= 1 {
		floor = d.TotalBytes - int64(float64(d.TotalBytes)*r)
	}
	if u := d.AvailBytes - floor; u > 0 {
		return u
	}
	return 0
}

func namesOf(ixs []esclient.Index) []string {
	out := make([]string, len(ixs))
	for i, ix := range ixs {
		out[i] = ix.Name
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func appendUnique(list []string, s string) []string {
	if contains(list, s) {
		return list
	}
	return append(list, s)
}
