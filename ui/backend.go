package ui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/nfs"
	"github.com/esmigrate/esmigrate/steps"
)

// Backend is what the wizard asks of the engine. The real one (engineBackend) drives package steps; model
// tests and golden files use a fake. Every method may block: the wizard calls them only from tea.Cmds.
type Backend interface {
	Probe(ctx context.Context, p steps.Plan, role string, c steps.Credentials) (steps.ClusterSummary, error)
	// ClusterChecks runs the cluster and share checks; register=false checks without registering the
	// repositories (the pre-flight before the repository is chosen).
	ClusterChecks(ctx context.Context, p steps.Plan, c steps.Credentials, src, dst steps.ClusterSummary, register bool, on func(steps.Event)) ([]steps.Check, error)
	ListIndices(ctx context.Context, p steps.Plan, c steps.Credentials) ([]esclient.Index, error)
	Repositories(ctx context.Context, p steps.Plan, c steps.Credentials) (src, dst steps.RepositoryView, err error)
	SelectionChecks(ctx context.Context, p steps.Plan, c steps.Credentials, src, dst steps.ClusterSummary, sel steps.Selection, on func(steps.Event)) ([]steps.Check, error)
	// PlannedRequests are the requests a run of these batches with the confirmations o sends
	// (steps.Engine.PlannedRequests: the engine decides which indices go by _reindex from remote between src and
	// dst, and reads their definitions; the target's settings only when o.AllowTargetSettings).
	PlannedRequests(ctx context.Context, p steps.Plan, c steps.Credentials, o RunOptions, src, dst steps.ClusterSummary, batches []steps.Batch) ([]steps.PlannedRequest, error)
	// MeasureShares probes the shares this host sees and proposes throttles that fit them and the clusters' data
	// nodes (steps.Engine.MeasureShares: a bounded probe file on each share, removed afterwards).
	MeasureShares(ctx context.Context, p steps.Plan, c steps.Credentials, src, dst steps.ClusterSummary) (steps.Advice, error)
	// InspectMetadata reads both clusters' templates, pipelines, policies and scripts and compares them for the
	// selected indices (steps.Engine.InspectMetadata); MetadataRequests are the requests the metadata step would
	// send for an inventory as chosen (confirmed: the operator confirmed the overwrites).
	InspectMetadata(ctx context.Context, p steps.Plan, c steps.Credentials, src, dst steps.ClusterSummary, sel steps.Selection) (*steps.MetadataInventory, error)
	MetadataRequests(p steps.Plan, c steps.Credentials, inv *steps.MetadataInventory, confirmed bool) ([]steps.PlannedRequest, error)
	SetupCommands(p steps.Plan, distro string) (nfs.Setup, error)
	// ElasticsearchUser is the uid:gid Elasticsearch runs as, as the share checks find it.
	ElasticsearchUser(ctx context.Context, p steps.Plan, nodes []esclient.Node) (uid, gid int, ok bool)
	// Run runs the migration; pause, when not nil, holds it between phases while it is paused.
	Run(ctx context.Context, p steps.Plan, c steps.Credentials, o RunOptions, pause *steps.PauseGate, on func(steps.Event)) (*steps.Report, error)
	Cleanup(ctx context.Context, p steps.Plan, c steps.Credentials, o steps.CleanupOptions, allowTargetDelete bool, on func(steps.Event)) error
	// A live migration, from the plan's state file (steps/live.go): where it stands, catch-up rounds, the
	// cut-over (confirm is what the operator typed) and its rollback.
	LiveStatus(ctx context.Context, p steps.Plan, c steps.Credentials) (*steps.LiveStatus, error)
	CatchUp(ctx context.Context, p steps.Plan, c steps.Credentials, o steps.CatchUpOptions, allowTargetDelete bool, on func(steps.Event)) (*steps.LiveStatus, error)
	Cutover(ctx context.Context, p steps.Plan, c steps.Credentials, o steps.CutoverOptions, on func(steps.Event)) (*steps.Report, error)
	Rollback(ctx context.Context, p steps.Plan, c steps.Credentials, on func(steps.Event)) (*steps.CutoverState, error)
}

// RunOptions are the operator's confirmations a run is started with.
type RunOptions struct {
	AcceptWarnings bool // the pre-flight's warnings were accepted
	// AllowMetadataOverwrite: the operator typed the name of each conflict the plan's metadata section names to
	// overwrite (steps.Options.AllowMetadataOverwrite).
	AllowMetadataOverwrite bool
	// AllowTargetSettings: the operator typed the target cluster's name to let the plan's
	// restore.target_recovery_max_bytes_per_sec change the target's setting for the migration
	// (steps.Options.AllowTargetSettings).
	AllowTargetSettings bool
}

// engineBackend drives package steps; lang is the wizard's language, in which the run writes its Markdown report.
// observe, when set, sees every request a run sends (integration tests record at the wire with it).
type engineBackend struct {
	lang    string
	observe func(esclient.Sent)
}

// EngineBackend is the real engine (esmigrate serve wraps it to show the run to every session).
func EngineBackend() Backend { return engineBackend{} }

// placeholders fill what steps.New validates but a read before the selection does not need.
func placeholders(p steps.Plan) steps.Plan {
	if len(p.Indices) == 0 {
		p.Indices = []string{"*"}
	}
	if p.Repository.SourceLocation == "" {
		p.Repository.SourceLocation = "/esmigrate-not-chosen-yet"
	}
	if p.Repository.TargetLocation == "" && !p.Repository.Shared {
		p.Repository.TargetLocation = p.Repository.SourceLocation
	}
	return p
}

func (engineBackend) engine(p steps.Plan, o steps.Options) (*steps.Engine, error) {
	return steps.New(placeholders(p), o)
}

func (engineBackend) Probe(ctx context.Context, p steps.Plan, role string, c steps.Credentials) (steps.ClusterSummary, error) {
	return steps.ProbeCluster(ctx, p, role, c)
}

func (b engineBackend) ClusterChecks(ctx context.Context, p steps.Plan, c steps.Credentials, src, dst steps.ClusterSummary, register bool, on func(steps.Event)) ([]steps.Check, error) {
	eng, err := b.engine(p, steps.Options{Credentials: c, OnEvent: on, DryRun: !register})
	if err != nil {
		return nil, err
	}
	return eng.ClusterChecks(ctx, src, dst), nil
}

func (b engineBackend) ListIndices(ctx context.Context, p steps.Plan, c steps.Credentials) ([]esclient.Index, error) {
	eng, err := b.engine(p, steps.Options{Credentials: c})
	if err != nil {
		return nil, err
	}
	return eng.ListIndices(ctx)
}

func (b engineBackend) Repositories(ctx context.Context, p steps.Plan, c steps.Credentials) (steps.RepositoryView, steps.RepositoryView, error) {
	eng, err := b.engine(p, steps.Options{Credentials: c})
	if err != nil {
		return steps.RepositoryView{}, steps.RepositoryView{}, err
	}
	return eng.Repositories(ctx)
}

func (b engineBackend) SelectionChecks(ctx context.Context, p steps.Plan, c steps.Credentials, src, dst steps.ClusterSummary, sel steps.Selection, on func(steps.Event)) ([]steps.Check, error) {
	eng, err := b.engine(p, steps.Options{Credentials: c, OnEvent: on})
	if err != nil {
		return nil, err
	}
	return eng.SelectionChecks(ctx, src, dst, sel), nil
}

func (b engineBackend) PlannedRequests(ctx context.Context, p steps.Plan, c steps.Credentials, o RunOptions, src, dst steps.ClusterSummary, batches []steps.Batch) ([]steps.PlannedRequest, error) {
	eng, err := b.engine(p, steps.Options{Credentials: c, AllowTargetSettings: o.AllowTargetSettings})
	if err != nil {
		return nil, err
	}
	return eng.PlannedRequests(ctx, src, dst, batches)
}

func (b engineBackend) MeasureShares(ctx context.Context, p steps.Plan, c steps.Credentials, src, dst steps.ClusterSummary) (steps.Advice, error) {
	eng, err := b.engine(p, steps.Options{Credentials: c})
	if err != nil {
		return steps.Advice{}, err
	}
	return eng.MeasureShares(ctx, src, dst)
}

func (b engineBackend) InspectMetadata(ctx context.Context, p steps.Plan, c steps.Credentials, src, dst steps.ClusterSummary, sel steps.Selection) (*steps.MetadataInventory, error) {
	eng, err := b.engine(p, steps.Options{Credentials: c})
	if err != nil {
		return nil, err
	}
	return eng.InspectMetadata(ctx, src, dst, sel)
}

func (b engineBackend) MetadataRequests(p steps.Plan, c steps.Credentials, inv *steps.MetadataInventory, confirmed bool) ([]steps.PlannedRequest, error) {
	eng, err := b.engine(p, steps.Options{Credentials: c})
	if err != nil {
		return nil, err
	}
	return eng.MetadataRequests(inv, confirmed), nil
}

func (engineBackend) SetupCommands(p steps.Plan, distro string) (nfs.Setup, error) {
	return steps.SetupCommands(p, distro)
}

func (engineBackend) ElasticsearchUser(ctx context.Context, p steps.Plan, nodes []esclient.Node) (int, int, bool) {
	u, g, _, ok := steps.ElasticsearchUser(ctx, p, nodes)
	return u, g, ok
}

func (b engineBackend) Run(ctx context.Context, p steps.Plan, c steps.Credentials, o RunOptions, pause *steps.PauseGate, on func(steps.Event)) (*steps.Report, error) {
	eng, err := steps.New(p, steps.Options{Credentials: c, OnEvent: on, AcceptWarnings: o.AcceptWarnings,
		AllowMetadataOverwrite: o.AllowMetadataOverwrite, AllowTargetSettings: o.AllowTargetSettings, Pause: pause, Lang: b.lang,
		ObserveRequests: b.observe})
	if err != nil {
		return nil, err
	}
	return eng.Run(ctx)
}

func (engineBackend) Cleanup(ctx context.Context, p steps.Plan, c steps.Credentials, o steps.CleanupOptions, allow bool, on func(steps.Event)) error {
	eng, err := steps.New(p, steps.Options{Credentials: c, OnEvent: on, AllowTargetDelete: allow})
	if err != nil {
		return err
	}
	return eng.Cleanup(ctx, o)
}

func (engineBackend) LiveStatus(ctx context.Context, p steps.Plan, c steps.Credentials) (*steps.LiveStatus, error) {
	eng, err := steps.New(p, steps.Options{Credentials: c})
	if err != nil {
		return nil, err
	}
	return eng.LiveStatus(ctx)
}

func (engineBackend) CatchUp(ctx context.Context, p steps.Plan, c steps.Credentials, o steps.CatchUpOptions, allow bool, on func(steps.Event)) (*steps.LiveStatus, error) {
	eng, err := steps.New(p, steps.Options{Credentials: c, OnEvent: on, AllowTargetDelete: allow})
	if err != nil {
		return nil, err
	}
	return eng.CatchUp(ctx, o)
}

func (engineBackend) Cutover(ctx context.Context, p steps.Plan, c steps.Credentials, o steps.CutoverOptions, on func(steps.Event)) (*steps.Report, error) {
	eng, err := steps.New(p, steps.Options{Credentials: c, OnEvent: on})
	if err != nil {
		return nil, err
	}
	return eng.Cutover(ctx, o)
}

func (engineBackend) Rollback(ctx context.Context, p steps.Plan, c steps.Credentials, on func(steps.Event)) (*steps.CutoverState, error) {
	eng, err := steps.New(p, steps.Options{Credentials: c, OnEvent: on})
	if err != nil {
		return nil, err
	}
	return eng.Rollback(ctx)
}

// ioCmd runs a blocking call and delivers its message.
func ioCmd(f func() tea.Msg) tea.Cmd { return f }

// ioTimeout runs a blocking call that gives up after d (or when the program ends) and delivers its message.
func ioTimeout(ctx context.Context, d time.Duration, f func(ctx context.Context) tea.Msg) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return f(ctx)
	}
}
