package steps

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/nfs"
)

// This file holds what the wizard asks of the engine between the steps of a run: looking at one cluster,
// listing indices and repositories, showing the requests a run will send, generating setup commands and the
// final clean-up. Every call here is a read unless its name says otherwise.

// ProbeCluster connects to one cluster of a plan (the wizard's "test connection").
func ProbeCluster(ctx context.Context, p Plan, role string, c Credentials) (ClusterSummary, error) {
	client, err := esclient.New(ClusterConfig(p, role, c))
	if err != nil {
		return ClusterSummary{Role: role}, err
	}
	return Probe(ctx, client)
}

// ListIndices lists the source's indices for the index picker, with their top-level document counts (the
// count the run and the report show).
func (e *Engine) ListIndices(ctx context.Context) ([]esclient.Index, error) {
	var all []esclient.Index
	err := e.retry(ctx, PhasePlan, 0, func() (err error) {
		if all, err = e.src.Indices(ctx); err != nil {
			return err
		}
		return e.src.CountDocs(ctx, all)
	})
	return all, err
}

// RepositoryView is what the repository screen shows of one cluster.
type RepositoryView struct {
	Repositories []esclient.Repository
	Snapshots    map[string][]esclient.Snapshot // by repository (fs repositories only)
}

// Repositories lists the repositories and their snapshots on both clusters.
func (e *Engine) Repositories(ctx context.Context) (src, dst RepositoryView, err error) {
	read := func(c *esclient.Client) (RepositoryView, error) {
		v := RepositoryView{Snapshots: map[string][]esclient.Snapshot{}}
		var err error
		if v.Repositories, err = c.Repositories(ctx); err != nil {
			return v, err
		}
		for _, r := range v.Repositories {
			if r.Type != "fs" {
				continue
			}
			if snaps, err := c.Snapshots(ctx, r.Name); err == nil {
				v.Snapshots[r.Name] = snaps
			}
		}
		return v, nil
	}
	if src, err = read(e.src); err != nil {
		return
	}
	dst, err = read(e.dst)
	return
}

// PlannedRequest is a request a run will send, for the review screen and --dry-run.
type PlannedRequest struct {
	Phase Phase
	Batch int
	What  i18n.Msg
	Curl  string
	// Comment stands for the request when esmigrate does the work itself (the copy): said as a comment in
	// the place of a curl command.
	Comment i18n.Msg
}

// Lines are the request's command lines, or its comment in l's language.
func (r PlannedRequest) Lines(l *i18n.Localizer) []string {
	if r.Curl == "" && !r.Comment.IsZero() {
		return []string{"# " + l.Msg(r.Comment)}
	}
	return strings.Split(r.Curl, "\n")
}

// PlannedRequests lists, in order, the requests that change something that a run of these batches sends
// between src and dst (the clusters as the wizard probed them). The indices the target cannot restore go by
// _reindex from remote when the plan says so, as the run moves them (runBatches): their requests are the
// dry run's (reindexPlanned), made from each one's definition on the source (a read per index).
func (e *Engine) PlannedRequests(ctx context.Context, src, dst ClusterSummary, batches []Batch) ([]PlannedRequest, error) {
	batches, reindex := RunBatchesOf(e.plan, src, dst, batches)
	var out []PlannedRequest
	add := func(phase Phase, batch int, what i18n.Msg, c *esclient.Client, r esclient.Request) {
		out = append(out, PlannedRequest{Phase: phase, Batch: batch, What: what, Curl: c.Curl(r)})
	}
	srcSpec, dstSpec := e.repositorySpec(false), e.repositorySpec(true)
	add(PhaseRepository, 0, i18n.M("plan.req.register.source"), e.src, esclient.CreateRepositoryRequest(srcSpec))
	add(PhaseRepository, 0, i18n.M("plan.req.register.target"), e.dst, esclient.CreateRepositoryRequest(dstSpec))
	// The target's recovery throttle, when the run will change it (the plan sets it and the operator confirmed):
	// set after the repositories, put back after the last batch (throttle.go).
	recovery := e.plan.Restore.TargetRecoveryMaxBytesPerSec
	if recovery != "" && e.opts.AllowTargetSettings {
		add(PhaseRepository, 0, i18n.M("plan.req.recovery.set", recoverySetting, recovery), e.dst, esclient.SetRecoverySettingRequest(&recovery))
	}
	for _, b := range batches {
		// The migration's id is made when it starts: the names show where it goes.
		snap := SnapshotName(e.plan, MigrationIDPlaceholder, b.Number)
		add(PhaseSnapshot, b.Number, i18n.M("plan.req.snapshot", strings.Join(b.Names(), ", "), MigrationIDPlaceholder), e.src, esclient.CreateSnapshotRequest(
			esclient.SnapshotSpec{Repository: srcSpec.Name, Name: snap, Indices: b.Names(),
				Metadata: map[string]any{"taken_by": "esmigrate", "migration": MigrationIDPlaceholder, "batch": b.Number}}))
		if !e.plan.Repository.Shared {
			out = append(out, PlannedRequest{Phase: PhaseTransfer, Batch: b.Number, What: i18n.M("plan.req.copy"),
				Comment: i18n.M("plan.req.copy.how", e.plan.SourceLocalPath(), e.plan.TargetLocalPath())})
		}
		bs := &BatchState{Snapshot: snap}
		add(PhaseRestore, b.Number, i18n.M("plan.req.restore", strings.Join(b.Names(), ", ")), e.dst, esclient.RestoreRequest(e.restoreSpec(bs, b.Names())))
		if r := e.plan.Restore; r.RestoreReplicas && r.ReplicasDuringRestore >= 0 {
			byReplicas := map[int][]string{}
			for _, ix := range b.Indices {
				if ix.Replicas != r.ReplicasDuringRestore {
					byReplicas[ix.Replicas] = append(byReplicas[ix.Replicas], TargetName(ix.Name, r))
				}
			}
			for _, n := range slices.Sorted(maps.Keys(byReplicas)) {
				for _, r := range esclient.SetReplicasRequests(byReplicas[n], n) {
					add(PhaseVerify, b.Number, i18n.M("plan.req.replicas", n), e.dst, r)
				}
			}
		}
		if e.plan.Cleanup.DeleteSnapshots {
			add(PhaseCleanup, b.Number, i18n.M("plan.req.deletesnapshot"), e.src, esclient.DeleteSnapshotRequest(srcSpec.Name, snap))
		}
	}
	for _, ix := range reindex {
		rr, err := e.reindexRequestsFor(ctx, ix.Name)
		if err != nil {
			return out, err
		}
		out = append(out, e.reindexPlanned(len(batches)+1, ix.Name, rr)...)
	}
	if recovery != "" && e.opts.AllowTargetSettings {
		before := SettingBeforePlaceholder
		add(PhaseCleanup, 0, i18n.M("plan.req.recovery.restore", recoverySetting, SettingBeforePlaceholder), e.dst, esclient.SetRecoverySettingRequest(&before))
	}
	return out, nil
}

// SetupCommands generates the NFS and path.repo commands for the plan's NFS description (the wizard's setup
// panel and `esmigrate nfs-setup`). Nothing is run.
func SetupCommands(p Plan, distro string) (nfs.Setup, error) {
	spec := nfs.SetupSpec{Server: p.NFS.Server, ExportPath: p.NFS.Export, Clients: p.NFS.Clients, MountPoint: p.NFS.MountPoint,
		UID: p.NFS.UID, GID: p.NFS.GID}
	if spec.ExportPath == "" {
		spec.ExportPath = p.Repository.SourceLocation
	}
	if spec.MountPoint == "" {
		spec.MountPoint = p.Repository.SourceLocation
	}
	if spec.UID == 0 && spec.GID == 0 {
		spec.UID, spec.GID = 1000, 1000
	}
	d := nfs.Distro(distro)
	if distro == "" {
		d = nfs.DetectDistro("")
	}
	if err := spec.Validate(); err != nil {
		return nfs.Setup{}, err
	}
	return nfs.GenerateSetup(spec, d), nil
}

// CleanupOptions choose what the final clean-up removes. Each is destructive and asked for separately.
type CleanupOptions struct {
	DeleteSnapshots        bool // the migration's snapshots, through the source (the repository's writer)
	DeleteCopiedFiles      bool // the copied repository in the target's share (separate shares only)
	UnregisterRepositories bool // the repository registrations on both clusters (files stay)
}

// Cleanup removes what the migration left behind, as chosen. Source indices are never touched.
func (e *Engine) Cleanup(ctx context.Context, o CleanupOptions) error {
	if o.DeleteCopiedFiles && !e.opts.AllowTargetDelete {
		return i18n.Errorf("cleanup.confirm", e.plan.TargetLocalPath())
	}
	e.emit(Event{Kind: KindStart, Phase: PhaseCleanup, Msg: i18n.M("cleanup.final")})
	st := e.state
	if st == nil {
		loaded, err := ReadState(e.plan.StateFile)
		if err != nil {
			return err
		}
		st = loaded
	}
	if o.DeleteSnapshots {
		for _, b := range st.Batches {
			if b.CleanedUp || !b.SnapshotStarted {
				continue
			}
			err := e.request(ctx, e.src, PhaseCleanup, b.Number, i18n.M("req.deletesnapshot", b.Snapshot), esclient.DeleteSnapshotRequest(e.plan.Repository.Name, b.Snapshot))
			if err != nil && !esclient.IsType(err, "snapshot_missing_exception") {
				return err
			}
		}
	}
	if o.UnregisterRepositories || o.DeleteCopiedFiles {
		err := e.request(ctx, e.dst, PhaseCleanup, 0, i18n.M("req.unregister.target", e.plan.TargetRepoName()), esclient.DeleteRepositoryRequest(e.plan.TargetRepoName()))
		if err != nil && !esclient.IsType(err, "repository_missing_exception") {
			return err
		}
	}
	if o.UnregisterRepositories {
		err := e.request(ctx, e.src, PhaseCleanup, 0, i18n.M("req.unregister.source", e.plan.Repository.Name), esclient.DeleteRepositoryRequest(e.plan.Repository.Name))
		if err != nil && !esclient.IsType(err, "repository_missing_exception") {
			return err
		}
	}
	if o.DeleteCopiedFiles && !e.plan.Repository.Shared {
		dir := filepath.Clean(e.plan.TargetLocalPath())
		if dir == "/" || dir == "." || sameFile(dir, e.plan.SourceLocalPath()) {
			return i18n.Errorf("cleanup.notacopy", dir)
		}
		e.say(PhaseCleanup, 0, LevelWarn, "cleanup.deleting", dir)
		if !e.opts.DryRun {
			left, err := nfs.RemoveRepository(dir)
			if err != nil {
				return err
			}
			if len(left) > 0 {
				e.say(PhaseCleanup, 0, LevelInfo, "cleanup.left", dir, strings.Join(left, ", "))
			}
		}
	}
	e.emit(Event{Kind: KindDone, Phase: PhaseCleanup, Msg: i18n.M("cleanup.final")})
	return nil
}

// StateReport is the report of a state file as it stands, built as a run builds it (the wizard shows a
// finished migration's when it starts on its state file). It reads and writes nothing.
func StateReport(st *State) *Report {
	e := &Engine{plan: st.Plan, state: st, opts: Options{Now: st.Updated.UTC}}
	return e.buildReport()
}

// ElasticsearchUser is the uid and gid Elasticsearch runs as, found the way the share checks find them: the
// plan's, else the owner of a node's process on this host, else this host's elasticsearch user; how says which
// (for the wizard's setup form). ok is false when none of them tells.
func ElasticsearchUser(ctx context.Context, p Plan, nodes []esclient.Node) (uid, gid int, how string, ok bool) {
	if p.NFS.UID > 0 {
		return p.NFS.UID, p.NFS.GID, "plan", true
	}
	if u, g, found := localNodeUser(ctx, nodes); found {
		return u, g, "node", true
	}
	if u, g, err := nfs.LocalUser("elasticsearch"); err == nil {
		return u, g, "local", true
	}
	return 0, 0, "", false
}
