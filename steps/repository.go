package steps

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/nfs"
)

// repositorySpec is what esmigrate registers on one side. The target always registers the repository
// read-only: it only restores, a read-only repository can never be corrupted by a second writer when the
// storage is shared, and from 7.14 a read-only repository is not cached, so the target sees snapshots that the
// source (or the copy) added since it was registered.
func (e *Engine) repositorySpec(target bool) esclient.RepositorySpec {
	r := e.plan.Repository
	if target {
		return esclient.RepositorySpec{Name: e.plan.TargetRepoName(), Location: r.TargetLocation, ReadOnly: true,
			MaxRestoreBytesPerSec: r.MaxRestoreBytesPerSec}
	}
	return esclient.RepositorySpec{Name: r.Name, Location: r.SourceLocation, Compress: r.Compress,
		MaxSnapshotBytesPerSec: r.MaxSnapshotBytesPerSec, MaxRestoreBytesPerSec: r.MaxRestoreBytesPerSec}
}

// throttleChanges are the throttles the plan sets that a registered repository has not, as "setting: registered
// → planned" ("-" when it has none). A throttle the plan leaves empty keeps what is registered.
func throttleChanges(spec esclient.RepositorySpec, r esclient.Repository) []string {
	want := spec.Settings()
	var out []string
	for _, k := range []string{"max_snapshot_bytes_per_sec", "max_restore_bytes_per_sec"} {
		if w, have := want[k], r.Settings[k]; w != "" && w != have {
			if have == "" {
				have = "-"
			}
			out = append(out, k+": "+have+" → "+w)
		}
	}
	return out
}

// ensureRepository registers the repository on one cluster, or reuses it when it is already registered with
// the same location (and read-only on the target). It refuses to create a second writer on the same storage.
func (e *Engine) ensureRepository(ctx context.Context, c *esclient.Client, target bool) error {
	spec := e.repositorySpec(target)
	role := c.Role()
	var repos []esclient.Repository
	if err := e.retry(ctx, PhaseRepository, 0, func() (err error) { repos, err = c.Repositories(ctx); return }); err != nil {
		return err
	}
	for _, r := range repos {
		if r.Type != "fs" || r.Name == spec.Name || r.ReadOnly() {
			continue
		}
		if same, how := e.sameStorage(ctx, c, target, spec, r); same {
			return i18n.Errorf("repo.secondwriter", r.Name, i18n.M("es.cluster.the."+role), spec.Location, r.Location(), how)
		}
	}
	for _, r := range repos {
		if r.Name != spec.Name {
			continue
		}
		if r.Type != "fs" || filepath.Clean(r.Location()) != filepath.Clean(spec.Location) {
			return i18n.Errorf("repo.taken", i18n.M("es.cluster.the."+role), r.Name, r.Type, r.Location())
		}
		if target && !r.ReadOnly() {
			return i18n.Errorf("repo.writable", r.Name, r.Location())
		}
		if changed := throttleChanges(spec, r); len(changed) > 0 {
			// The plan's throttles are not the registered ones (the wizard's review takes the proposed throttles
			// after its repository step registered the repository): registered again at the same location, so
			// that the snapshots and restores of this run use them.
			e.say(PhaseRepository, 0, LevelInfo, "repo.throttles", i18n.M("es.cluster."+role), r.Name, strings.Join(changed, ", "))
			break
		}
		e.say(PhaseRepository, 0, LevelInfo, "repo.reuse", i18n.M("es.cluster."+role), r.Name, r.Location())
		return nil
	}
	if target && !e.plan.Repository.Shared && !e.opts.DryRun {
		// A read-only repository must exist to be verified; the copy fills it later.
		local := e.plan.TargetLocalPath()
		if _, err := os.Stat(filepath.Dir(local)); err == nil {
			if err := os.MkdirAll(local, 0o755); err != nil {
				return i18n.Errorf("repo.mkdir", local, err)
			}
		}
	}
	op := i18n.M("req.register."+role, spec.Name, spec.Location)
	if spec.ReadOnly {
		op = i18n.M("req.register.readonly."+role, spec.Name, spec.Location)
	}
	return e.retry(ctx, PhaseRepository, 0, func() error {
		return e.request(ctx, c, PhaseRepository, 0, op, esclient.CreateRepositoryRequest(spec))
	})
}

// sameStorage tells whether repository r, registered writable on cluster c, keeps its files where the plan's
// repository does, and how that was found out. A path is not an identity (a link, a second mount point of the
// same export, a doubled slash), so, in this order:
//   - the repository uuid, where the cluster reports one for r (7.12+, once r holds a snapshot) and the plan's
//     repository has one too (its index-N read on this host, or its own registration on c);
//   - the directory itself, device and inode after following links, when this host sees both;
//   - the plan's repository's own index-N (read on this host): the same snapshots (by uuid) as r lists.
//
// Without any of these it cannot tell, and says no.
func (e *Engine) sameStorage(ctx context.Context, c *esclient.Client, target bool, spec esclient.RepositorySpec, r esclient.Repository) (bool, i18n.Msg) {
	if filepath.Clean(r.Location()) == filepath.Clean(spec.Location) {
		return true, i18n.M("repo.same.path")
	}
	node, local := e.plan.Repository.SourceLocation, e.plan.SourceLocalPath()
	if target {
		node, local = e.plan.Repository.TargetLocation, e.plan.TargetLocalPath()
	}
	ours, oursErr := nfs.ReadRepository(local) // the plan's repository as this host sees it, when it holds one
	theirUUID, theirSnaps, err := c.RepositoryIdentity(ctx, r.Name)
	if err == nil && theirUUID != "" {
		ourUUID := ours.UUID
		if ourUUID == "" {
			ourUUID, _, _ = c.RepositoryIdentity(ctx, spec.Name) // registered there already (a resumed run)
		}
		if ourUUID != "" {
			return ourUUID == theirUUID, i18n.M("repo.same.uuid", theirUUID)
		}
	}
	if a, err1 := os.Stat(local); err1 == nil {
		if b, err2 := os.Stat(hostPath(r.Location(), node, local)); err2 == nil {
			return os.SameFile(a, b), i18n.M("repo.same.inode")
		}
	}
	if oursErr == nil && len(ours.SnapUUIDs) > 0 && len(theirSnaps) == len(ours.SnapUUIDs) {
		if slices.Equal(slices.Sorted(slices.Values(ours.SnapUUIDs)), slices.Sorted(slices.Values(theirSnaps))) {
			return true, i18n.M("repo.same.snapshots")
		}
	}
	return false, i18n.Msg{}
}

// hostPath is where this host sees a directory the cluster's nodes see at loc, given that they see the plan's
// repository at node and this host at local: below the same parent, the same relative path; else loc itself
// (this host is one of the nodes, or mounts the share at the same place).
func hostPath(loc, node, local string) string {
	if node == local {
		return loc
	}
	if rel, err := filepath.Rel(filepath.Dir(node), loc); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
		return filepath.Join(filepath.Dir(local), rel)
	}
	return loc
}

// EnsureRepositories registers the repository on both clusters (reusing existing registrations).
func (e *Engine) EnsureRepositories(ctx context.Context) error {
	e.emit(Event{Kind: KindStart, Phase: PhaseRepository})
	if err := e.ensureRepository(ctx, e.src, false); err != nil {
		e.emit(Event{Kind: KindError, Level: LevelError, Phase: PhaseRepository, Msg: i18n.MsgOf(err)})
		return err
	}
	if err := e.ensureRepository(ctx, e.dst, true); err != nil {
		e.emit(Event{Kind: KindError, Level: LevelError, Phase: PhaseRepository, Msg: i18n.MsgOf(err)})
		return err
	}
	e.emit(Event{Kind: KindDone, Phase: PhaseRepository})
	return nil
}
