package steps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
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
	e.emit(Event{Kind: KindDone, Phase: PhasePreflight, Msg: i18n.M("preflight.done", len(checks), i18n.M("ev.status."+string(Worst(checks))))})
	return checks
}

// report sends a finished check as an event. Once the checks were cancelled (Ctrl-C, a hang-up, the wizard
// starting them again), what their requests say is "context canceled", not a finding: not shown.
func (e *Engine) report(ctx context.Context, c Check) Check {
	if ctx.Err() != nil {
		return c
	}
	cc := c
	// The English of what the check says, from its messages (newCheck and the setters keep them in step; this
	// is for a check whose fields were set directly).
	if !cc.TitleMsg.IsZero() {
		cc.Title = cc.TitleMsg.String()
	}
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
	pair := i18n.M("check.compat-versions.pair", src.Product().String(), dst.Product().String())
	c := newCheck("compat-versions", OK, i18n.M("check.compat-versions"), pair, i18n.Msg{})
	switch {
	case compat.OK:
	case e.plan.Restore.ReindexFromRemote:
		// Every index the target cannot restore goes by _reindex from remote: the checks of the selection and
		// of the target's reindex settings decide.
		c.setEvidence(i18n.Join("list.colon", pair, i18n.M("rx.compat.versions", compat.ReasonMsg)))
	default:
		c.Status = Fail
		c.setEvidence(i18n.Join("list.colon", pair, compat.ReasonMsg))
		c.setFix(compat.FixMsg)
	}
	add(c)

	for _, s := range []ClusterSummary{src, dst} {
		h := newCheck("health-"+s.Role, OK, i18n.M("check.health-"+s.Role),
			i18n.M("check.health.found", s.Health.Status, len(s.Nodes), s.Health.UnassignedShards), i18n.Msg{})
		if s.Health.Status == "red" {
			h.Status = Warn
			h.setFix(i18n.M("check.health.red.fix"))
		}
		add(h)
	}

	if c, ok := e.recoveryCheck(ctx); ok {
		add(c)
	}
	add(pathRepoCheck(src, e.plan.Repository.SourceLocation))
	add(pathRepoCheck(dst, e.plan.Repository.TargetLocation))
	running, err := e.src.AllRunningSnapshots(ctx)
	if err != nil {
		add(notRun("source-busy", i18n.M("check.source-busy"), err))
	}
	if len(running) > 0 {
		names := []string{}
		for _, r := range running {
			names = append(names, r.Name)
		}
		add(newCheck("source-busy", Warn, i18n.M("check.source-busy"), i18n.Name(strings.Join(names, ", ")),
			i18n.M("check.source-busy.fix")))
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
	if c, ok := e.throughputCheck(ctx, src, dst); ok {
		add(c)
	}
	return out
}

// pathRepoCheck: every node's path.repo must cover the location, or Elasticsearch refuses the repository.
func pathRepoCheck(s ClusterSummary, location string) Check {
	c := newCheck("path-repo-"+s.Role, OK, i18n.M("check.path-repo-"+s.Role, location), i18n.Msg{}, i18n.Msg{})
	var lacking []string
	var evidence []i18n.Msg
	for _, n := range s.Nodes {
		if !coveredBy(location, n.PathRepo) {
			lacking = append(lacking, n.Name)
			if len(n.PathRepo) > 0 {
				evidence = append(evidence, i18n.M("check.path-repo.is", n.Name, "["+strings.Join(n.PathRepo, ", ")+"]"))
			} else {
				evidence = append(evidence, i18n.M("check.path-repo.unset", n.Name))
			}
		}
	}
	if len(lacking) == 0 {
		c.setEvidence(i18n.M("check.path-repo.all", len(s.Nodes)))
		return c
	}
	c.Status = Fail
	c.setEvidence(i18n.List("list.semi", evidence))
	c.setFix(i18n.M("check.path-repo.fix", location, strings.Join(lacking, ", ")))
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
	chk := newCheck("verify-repo-"+s.Role, OK, i18n.M("check.verify-repo-"+s.Role, name, location), i18n.Msg{}, i18n.Msg{})
	if err := e.ensureRepository(ctx, c, target); err != nil {
		chk.Status = Fail
		chk.setEvidence(problemOf(err))
		chk.setFix(fixOf(err))
		return chk
	}
	nodes, err := c.VerifyRepository(ctx, name)
	if err != nil {
		chk.Status = Fail
		chk.setEvidence(problemOf(err))
		chk.setFix(fixOf(err))
		if chk.FixMsg.IsZero() {
			chk.setFix(i18n.M("check.verify-repo.fix", location))
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
		chk.setEvidence(i18n.M("check.verify-repo.missing", len(nodes), len(s.Nodes), strings.Join(missing, ", ")))
		chk.setFix(i18n.M("check.verify-repo.missing.fix", location, strings.Join(missing, ", ")))
		return chk
	}
	if target {
		chk.setEvidence(i18n.M("check.verify-repo.answered.readonly", len(nodes)))
	} else {
		chk.setEvidence(i18n.M("check.verify-repo.answered", len(nodes)))
	}
	return chk
}

// notRun is a check that could not be run, with why: a failure, never a warning that lets the run go on without
// it (a request refused for its length once passed as a warning here, and --accept-warnings walked into the same
// refusal at the restore).
func notRun(id string, title i18n.Msg, err error) Check {
	fix := fixOf(err)
	if fix.IsZero() {
		fix = i18n.M("check.notrun.fix")
	}
	return newCheck(id, Fail, title, i18n.M("check.notrun.evidence", problemOf(err)), fix)
}

// problemOf is what an error says without its fix (an esclient error's fix is shown on its own: fixOf), as a
// message.
func problemOf(err error) i18n.Msg {
	var e *esclient.Error
	if errors.As(err, &e) && e == err {
		return e.ProblemMsg()
	}
	return i18n.MsgOf(err)
}

// fixOf is what an esclient error advises (zero for other errors: their message says what to do).
func fixOf(err error) i18n.Msg {
	var e *esclient.Error
	if errors.As(err, &e) && e == err {
		return e.FixText()
	}
	return i18n.Msg{}
}

// shareChecks look at the shares from this host: the nfs package's checks, and whether "shared" is true.
func (e *Engine) shareChecks(ctx context.Context, src, dst ClusterSummary) []Check {
	var out []Check
	srcLocal, dstLocal := e.plan.SourceLocalPath(), e.plan.TargetLocalPath()
	_, srcErr := os.Stat(srcLocal)
	_, dstErr := os.Stat(dstLocal)

	if !e.plan.Repository.Shared {
		// The copy runs on this host: it must see both shares.
		c := newCheck("shares-visible", OK, i18n.M("check.shares-visible"), i18n.M("check.shares-visible.found", srcLocal, dstLocal), i18n.Msg{})
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
			c.setEvidence(i18n.M("check.shares-visible.missing", strings.Join(missing, ", ")))
			c.setFix(i18n.M("check.shares-visible.fix"))
		}
		out = append(out, c)
		if srcErr == nil && dstErr == nil && sameFile(srcLocal, dstLocal) {
			out = append(out, newCheck("shares-distinct", Fail, i18n.M("check.shares-distinct"),
				i18n.M("check.shares-distinct.found", srcLocal, dstLocal), i18n.M("check.shares-distinct.fix")))
		}
	} else if srcErr == nil && dstErr == nil && !sameFile(srcLocal, dstLocal) {
		out = append(out, newCheck("shares-same", Warn, i18n.M("check.shares-same"),
			i18n.M("check.shares-same.found", srcLocal, dstLocal), i18n.M("check.shares-same.fix")))
	}

	check := func(role, path string, nodes int, bytes int64) {
		if _, err := os.Stat(path); os.IsNotExist(err) && parentExists(path) {
			// Not created yet (registering the repository creates it): its parent is on the same share.
			path = filepath.Dir(path)
		}
		if _, err := os.Stat(path); err != nil {
			out = append(out, newCheck("share-"+role, Warn, i18n.M("check.share-"+role),
				i18n.M("check.share.invisible", path), i18n.M("check.share.invisible.fix")))
			return
		}
		uid, gid := -1, -1
		if e.plan.NFS.UID > 0 {
			uid, gid = e.plan.NFS.UID, e.plan.NFS.GID
		} else if u, g, ok := localNodeUser(ctx, append(append([]esclient.Node{}, src.Nodes...), dst.Nodes...)); ok {
			uid, gid = u, g
		}
		for _, r := range nfs.CheckRepositoryPath(ctx, nfs.PathCheck{Path: path, ESUID: uid, ESGID: gid, BytesNeeded: bytes, ClusterNodes: nodes}) {
			out = append(out, newCheck("share-"+role+"-"+r.ID, Status(r.Status), i18n.M("check.share-"+role+"-", r.TitleText()),
				r.EvidenceText(), r.FixText()))
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
			out = append(out, newCheck("nfs-server-"+r.ID, Status(r.Status), i18n.M("check.nfs-server-", host, r.TitleText()),
				r.EvidenceText(), r.FixText()))
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

	var total int64
	for _, ix := range sel.Indices {
		total += ix.PrimaryBytes
	}
	found := i18n.M("check.selection.found", len(sel.Indices), HumanBytes(total))
	sc := newCheck("selection", OK, i18n.M("check.selection"), found, i18n.Msg{})
	var skipped []i18n.Msg
	for _, s := range sel.Skipped {
		skipped = append(skipped, i18n.Join("list.colon", i18n.Name(s.Index), s.Why()))
	}
	switch {
	case len(sel.Missing) > 0:
		sc.Status = Fail
		sc.setEvidence(i18n.Join("list.semi", found, i18n.M("check.selection.missing", strings.Join(sel.Missing, ", "))))
		sc.setFix(i18n.M("check.selection.missing.fix"))
	case len(sel.Indices) == 0 && len(sel.Skipped) > 0:
		sc.Status = Fail
		sc.setEvidence(i18n.M("check.selection.allout", i18n.List("list.semi", skipped)))
		sc.setFix(i18n.M("check.selection.allout.fix"))
	case len(sel.Indices) == 0:
		sc.Status = Fail
		sc.setEvidence(i18n.M("check.selection.none", strings.Join(p.Indices, ", ")))
		sc.setFix(i18n.M("check.selection.none.fix"))
	}
	add(sc)
	if len(sel.Skipped) > 0 {
		add(newCheck("skipped", Warn, i18n.M("check.skipped"), i18n.List("list.semi", skipped), i18n.M("check.skipped.fix")))
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
		add(newCheck("red-indices", Fail, i18n.M("check.red-indices"), i18n.M("check.red-indices.found", strings.Join(red, ", ")),
			i18n.M("check.red-indices.fix")))
	}

	// Each index's creation version against the target.
	var incompatible []i18n.Msg
	var fix i18n.Msg
	for _, ix := range sel.Indices {
		v, err := esclient.ParseVersion(ix.CreatedVersion)
		if err != nil {
			continue
		}
		c := CanRestore(Product{Distribution: src.Info.Distribution, Version: v}, dst.Product())
		if !c.OK {
			incompatible = append(incompatible, i18n.M("check.compat-indices.one", ix.Name, v.String()))
			fix = i18n.Join("list.colon", c.ReasonMsg, c.FixMsg)
		}
	}
	title := i18n.M("check.compat-indices", dst.Product().String())
	switch {
	case len(incompatible) > 0 && p.Restore.ReindexFromRemote:
		add(newCheck("compat-indices", OK, title, i18n.M("rx.compat.indices", len(incompatible), abbreviateMsgs(incompatible, 5)), i18n.Msg{}))
	case len(incompatible) > 0:
		add(newCheck("compat-indices", Fail, title, i18n.List("list.comma", incompatible), i18n.M("rx.compat.fix", fix)))
	default:
		add(newCheck("compat-indices", OK, title, i18n.M("check.compat-indices.ok"), i18n.Msg{}))
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
	var bad []i18n.Msg
	for _, t := range targetNames {
		if err := ValidateIndexName(t); err != nil {
			badNames = append(badNames, t)
		}
	}
	sort.Strings(badNames)
	for _, t := range badNames {
		bad = append(bad, i18n.Join("list.colon", i18n.Name(t+" ← "+targets[t]), i18n.MsgOf(ValidateIndexName(t))))
	}
	if len(bad) > 0 {
		add(newCheck("target-names", Fail, i18n.M("check.target-names"), i18n.List("list.semi", bad), i18n.M("check.target-names.fix")))
	}
	if col := RenameCollisions(sel.Indices, p.Restore); len(col) > 0 {
		var lines []string
		for t, srcs := range col {
			lines = append(lines, fmt.Sprintf("%s ← %s", t, strings.Join(srcs, ", ")))
		}
		sort.Strings(lines)
		add(newCheck("rename-collisions", Fail, i18n.M("check.rename-collisions"), i18n.List("list.semi", namesAsMsgs(lines)),
			i18n.M("check.rename-collisions.fix")))
	}
	check := newCheck("conflicts", OK, i18n.M("check.conflicts"), i18n.Msg{}, i18n.Msg{})
	exists, err := e.dst.Exists(ctx, targetNames)
	aliasHit, aliasCheck := e.aliasConflicts(ctx, sel)
	switch {
	case err != nil:
		check = notRun(check.ID, check.TitleMsg, err)
	case len(exists) > 0 || len(aliasHit) > 0:
		var names []string
		for n := range exists {
			names = append(names, n)
		}
		sort.Strings(names)
		var found []i18n.Msg
		if len(names) > 0 {
			found = append(found, i18n.M("check.conflicts.found", strings.Join(names, ", ")))
		}
		if len(aliasHit) > 0 {
			found = append(found, i18n.M("check.conflicts.aliases", strings.Join(aliasHit, ", ")))
		}
		check.setEvidence(i18n.List("list.semi", found))
		if p.OnConflict == ConflictDelete && e.opts.AllowTargetDelete && len(aliasHit) == 0 {
			check.Status = Warn
			check.setFix(i18n.M("check.conflicts.delete"))
		} else {
			check.Status = Fail
			check.setFix(i18n.M("check.conflicts.fix"))
		}
	default:
		check.setEvidence(i18n.M("check.conflicts.none", len(targetNames)))
	}
	add(check)
	if aliasCheck != nil {
		add(*aliasCheck)
	}

	out = append(out, e.pluginChecks(ctx, src, dst, sel)...)
	out = append(out, e.capacityChecks(ctx, dst, sel)...)
	// Metadata, lifecycle and the reindex path (metadata_run.go).
	out = append(out, e.BeyondIndicesChecks(ctx, src, dst, sel)...)
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
		c := notRun("alias-clashes", i18n.M("check.alias-clashes"), err)
		return nil, &c
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
	var fails, warns []i18n.Msg
	for _, a := range sortedKeys(restored) {
		there := members[a]
		if len(there) == 0 {
			continue
		}
		src, isWrite := writes[a]
		switch {
		case isWrite && writeOn[a] != "":
			fails = append(fails, i18n.M("check.alias-clashes.write", src, a, writeOn[a]))
		case isWrite:
			warns = append(warns, i18n.M("check.alias-clashes.takeover", src, a, strings.Join(there, ", ")))
		default:
			warns = append(warns, i18n.M("check.alias-clashes.shared", a, strings.Join(restored[a], ", "), strings.Join(there, ", ")))
		}
	}
	if len(fails)+len(warns) == 0 {
		return hit, nil
	}
	var c Check
	if len(fails) > 0 {
		c = newCheck("alias-clashes", Fail, i18n.M("check.alias-clashes"), i18n.List("list.semi", append(fails, warns...)), i18n.M("check.alias-clashes.fix"))
	} else {
		c = newCheck("alias-clashes", Warn, i18n.M("check.alias-clashes"), i18n.List("list.semi", warns), i18n.M("check.alias-clashes.warn.fix"))
	}
	return hit, &c
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
		add(notRun("plugins", i18n.M("check.plugins"), err))
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
	var problems []i18n.Msg
	var installs []string
	for _, pl := range sortedKeys(needs) {
		ixs := needs[pl]
		sort.Strings(ixs)
		if lacking := have(dst, pl); len(lacking) > 0 {
			problems = append(problems, i18n.M("check.plugins.missing", pl, strings.Join(ixs, ", "), strings.Join(lacking, ", ")))
			installs = append(installs, pl)
		}
	}
	sort.Strings(installs)
	c := newCheck("plugins", OK, i18n.M("check.plugins"), i18n.Msg{}, i18n.Msg{})
	if len(problems) > 0 {
		c.Status = Fail
		c.setEvidence(i18n.List("list.semi", problems))
		fix := i18n.M("check.plugins.fix", strings.Join(installs, " "))
		if contains(installs, "analysis-common") {
			fix = i18n.Join("list.semi", fix, i18n.M("check.plugins.common.fix"))
		}
		c.setFix(fix)
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
		c.setEvidence(i18n.M("check.plugins.none"))
		if len(extra) > 0 {
			c.Status = Warn
			c.setEvidence(i18n.M("check.plugins.extra", strings.Join(extra, ", ")))
			c.setFix(i18n.M("check.plugins.extra.fix"))
		}
	}
	add(c)
	if len(files) > 0 {
		sort.Strings(files)
		add(newCheck("analysis-files", Warn, i18n.M("check.analysis-files"), i18n.List("list.semi", namesAsMsgs(files)),
			i18n.M("check.analysis-files.fix")))
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
	if err == nil {
		err = lerr
	}
	if err != nil {
		add(notRun("target-disk", i18n.M("check.target-disk"), err))
		add(notRun("target-shards", i18n.M("check.target-shards"), err))
		return out
	}
	var usable, avail int64
	for _, d := range disks {
		avail += d.AvailBytes
		usable += usableBelowWatermark(d, limits.HighWatermark)
	}
	c := newCheck("target-disk", OK, i18n.M("check.target-disk"), i18n.M("check.target-disk.found",
		HumanBytes(primary), HumanBytes(finalBytes), HumanBytes(usable), limits.HighWatermark, HumanBytes(avail), len(disks)), i18n.Msg{})
	switch {
	case primary > usable:
		c.Status = Fail
		c.setFix(i18n.M("check.target-disk.fix"))
	case finalBytes > usable:
		c.Status = Warn
		c.setFix(i18n.M("check.target-disk.replicas"))
	}
	add(c)

	open := 0
	if dst.Health.ActiveShards > 0 {
		open = dst.Health.ActiveShards + dst.Health.UnassignedShards + dst.Health.InitializingShards
	}
	maxShards := limits.MaxShardsPerNode * max(dst.DataNodes(), 1)
	sh := newCheck("target-shards", OK, i18n.M("check.target-shards"), i18n.M("check.target-shards.found",
		open, newShards, maxShards, limits.MaxShardsPerNode, max(dst.DataNodes(), 1)), i18n.Msg{})
	if open+newShards > maxShards {
		sh.Status = Fail
		sh.setFix(i18n.M("check.target-shards.fix"))
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

// namesAsMsgs are names (index names, paths, settings) as messages, for a list.
func namesAsMsgs(names []string) []i18n.Msg {
	out := make([]i18n.Msg, len(names))
	for i, n := range names {
		out[i] = i18n.Name(n)
	}
	return out
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
