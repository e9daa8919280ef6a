package steps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/esmigrate/esmigrate/esclient"
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
		if r.Type != "fs" || filepath.Clean(r.Location()) != filepath.Clean(spec.Location) || r.Name == spec.Name {
			continue
		}
		if !r.ReadOnly() {
			return fmt.Errorf("repository %q on the %s cluster already writes to %s; two writers corrupt a repository: unregister %q (DELETE _snapshot/%s) or register it with readonly: true, then run again",
				r.Name, role, spec.Location, r.Name, r.Name)
		}
	}
	for _, r := range repos {
		if r.Name != spec.Name {
			continue
		}
		if r.Type != "fs" || filepath.Clean(r.Location()) != filepath.Clean(spec.Location) {
			return fmt.Errorf("the %s cluster already has a repository %q (type %s, location %s): choose another name in the plan (repository.name / repository.target_name)",
				role, r.Name, r.Type, r.Location())
		}
		if target && !r.ReadOnly() {
			return fmt.Errorf("repository %q on the target is registered writable at %s; esmigrate only restores there and needs it read-only (two writers corrupt a repository): unregister it (DELETE _snapshot/%s) and run again",
				r.Name, r.Location(), r.Name)
		}
		e.log(PhaseRepository, 0, LevelInfo, "%s: reusing repository %s at %s", role, r.Name, r.Location())
		return nil
	}
	if target && !e.plan.Repository.Shared && !e.opts.DryRun {
		// A read-only repository must exist to be verified; the copy fills it later.
		local := e.plan.TargetLocalPath()
		if _, err := os.Stat(filepath.Dir(local)); err == nil {
			if err := os.MkdirAll(local, 0o755); err != nil {
				return fmt.Errorf("create the target repository directory %s: %w", local, err)
			}
		}
	}
	op := fmt.Sprintf("register repository %s at %s on the %s", spec.Name, spec.Location, role)
	if spec.ReadOnly {
		op += " (read-only)"
	}
	return e.retry(ctx, PhaseRepository, 0, func() error {
		return e.request(ctx, c, PhaseRepository, 0, op, esclient.CreateRepositoryRequest(spec))
	})
}

// EnsureRepositories registers the repository on both clusters (reusing existing registrations).
func (e *Engine) EnsureRepositories(ctx context.Context) error {
	e.emit(Event{Kind: KindStart, Phase: PhaseRepository})
	if err := e.ensureRepository(ctx, e.src, false); err != nil {
		e.emit(Event{Kind: KindError, Level: LevelError, Phase: PhaseRepository, Message: err.Error()})
		return err
	}
	if err := e.ensureRepository(ctx, e.dst, true); err != nil {
		e.emit(Event{Kind: KindError, Level: LevelError, Phase: PhaseRepository, Message: err.Error()})
		return err
	}
	e.emit(Event{Kind: KindDone, Phase: PhaseRepository})
	return nil
}
