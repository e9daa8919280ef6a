package steps

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/nfs"
)

// Throughput advice (issue 13). At their defaults Elasticsearch throttles snapshots (max_snapshot_bytes_per_sec,
// a repository setting) and restores (indices.recovery.max_bytes_per_sec, a cluster setting) to 40 MB/s per
// node, while the real limit is usually the share. The pre-flight measures the shares this host sees with a
// bounded probe (nfs.MeasureShare: written, fsynced, dropped from the page cache, read back, removed) and
// proposes per-node throttles that fit them and the number of nodes. The source's throttle is the plan's
// repository setting (esmigrate registers the repository); the target's is a cluster setting, changed only with
// a confirmation (the wizard's typed one, --allow-target-settings) and put back at the end, or by a resume after
// a crash (the state records the value before).

// RecoverySetting is the target's setting the plan may change.
const RecoverySetting = "indices.recovery.max_bytes_per_sec"

const recoverySetting = RecoverySetting

// SettingBeforePlaceholder stands for the value a setting has before the run changes it, in the requests shown
// before the run (the review, as MigrationIDPlaceholder for the migration's id): the run reads it when it starts
// and puts it back (null when the cluster had none of its own).
const SettingBeforePlaceholder = "VALUE_BEFORE"

// Advice is what the pre-flight measured of the shares and proposes.
type Advice struct {
	SourceDir, TargetDir     string  // the directories probed (the repository's, or its nearest existing parent)
	SourceWrite, TargetRead  float64 // bytes per second from this host; 0: not measured
	ProbeBytes               int64
	CacheDropped             bool
	SnapshotPerNode          int64 // proposed max_snapshot_bytes_per_sec (per source node)
	RestorePerNode           int64 // proposed indices.recovery.max_bytes_per_sec (per target node)
	SourceNodes, TargetNodes int
}

// SnapshotSetting and RestoreSetting are the proposals as plan values ("425mb").
func (a Advice) SnapshotSetting() string { return sizeSetting(a.SnapshotPerNode) }
func (a Advice) RestoreSetting() string  { return sizeSetting(a.RestorePerNode) }

func sizeSetting(n int64) string {
	if n <= 0 {
		return ""
	}
	return strconv.FormatInt(n>>20, 10) + "mb"
}

// probeOptions bound the pre-flight's probe of a share: 32 MiB or 2 seconds of writing, whichever comes first
// (a figure to size the throttles by, not a benchmark of the share).
var probeOptions = nfs.SpeedOptions{Bytes: 32 << 20, MaxTime: 2 * time.Second}

// existingDir is dir, or its nearest existing parent (a repository directory not created yet).
func existingDir(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d
		}
		if filepath.Dir(d) == d {
			return d
		}
	}
}

// MeasureShares probes the shares this host sees and proposes the throttles that fit them: the pre-flight's
// probe (Options.MeasureShares) and the wizard's, when the operator asks for it on the review. A read that this
// host's page cache served gives no proposal for the target (TargetRead and RestorePerNode 0).
func (e *Engine) MeasureShares(ctx context.Context, src, dst ClusterSummary) (Advice, error) {
	srcDir, err := probeDir(e.plan.SourceLocalPath(), "repository.source_local_path")
	if err != nil {
		return Advice{}, err
	}
	dstDir := srcDir
	if !e.plan.Repository.Shared {
		if dstDir, err = probeDir(e.plan.TargetLocalPath(), "repository.target_local_path"); err != nil {
			return Advice{}, err
		}
	}
	w, err := nfs.MeasureShare(ctx, srcDir, probeOptions)
	if err != nil {
		return Advice{}, err
	}
	r := w
	if dstDir != srcDir {
		if r, err = nfs.MeasureShare(ctx, dstDir, probeOptions); err != nil {
			return Advice{}, err
		}
	}
	t := nfs.ProposeThrottles(w, r, max(src.DataNodes(), 1), max(dst.DataNodes(), 1))
	a := Advice{SourceDir: srcDir, TargetDir: dstDir, SourceWrite: w.WriteBPS, TargetRead: r.ReadBPS, ProbeBytes: w.Bytes,
		CacheDropped: w.CacheDrop && r.CacheDrop, SnapshotPerNode: t.SnapshotPerNode, RestorePerNode: t.RestorePerNode,
		SourceNodes: max(src.DataNodes(), 1), TargetNodes: max(dst.DataNodes(), 1)}
	if !a.CacheDropped {
		// the read figure is this host's page cache, gigabytes per second: no proposal for the target from it
		a.TargetRead, a.RestorePerNode = 0, 0
	}
	e.advice = &a
	return a, nil
}

// probeDir is where a share is probed: the repository's directory, or its parent when the repository is not
// created yet. Further up is not the share (a host that does not mount it would measure its own disk there).
func probeDir(loc, field string) (string, error) {
	d := existingDir(loc)
	if filepath.Clean(d) != filepath.Clean(loc) && filepath.Clean(d) != filepath.Dir(filepath.Clean(loc)) {
		return "", i18n.Errorf("steps.probe.unseen", loc, field)
	}
	return d, nil
}

// throughputCheck measures the shares this host sees and proposes the throttles (an OK check whose evidence is
// the measure and the proposal, and whose fix says how to apply it).
func (e *Engine) throughputCheck(ctx context.Context, src, dst ClusterSummary) (Check, bool) {
	if !e.opts.MeasureShares {
		return Check{}, false
	}
	a, err := e.MeasureShares(ctx, src, dst)
	if err != nil {
		return Check{}, false // the share checks say why the share cannot be written
	}
	ev := i18n.M("check.throughput.evidence", HumanBytes(int64(a.SourceWrite)), HumanBytes(int64(a.TargetRead)), HumanBytes(a.ProbeBytes),
		a.SnapshotSetting(), a.SourceNodes, a.RestoreSetting(), a.TargetNodes)
	fix := i18n.M("check.throughput.fix", a.SnapshotSetting(), a.RestoreSetting())
	if !a.CacheDropped {
		ev = i18n.M("check.throughput.evidence.cached", HumanBytes(int64(a.SourceWrite)), HumanBytes(a.ProbeBytes), a.SnapshotSetting(), a.SourceNodes)
		fix = i18n.M("check.throughput.fix.cached", a.SnapshotSetting())
	}
	return newCheck("share-throughput", OK, i18n.M("check.share-throughput"), ev, fix), true
}

// Advice is what the pre-flight proposed (nil before it measured, or when it could not).
func (e *Engine) Advice() *Advice { return e.advice }

// recoveryCheck is the pre-flight's word on the plan's target recovery throttle: it needs the confirmation.
func (e *Engine) recoveryCheck(ctx context.Context) (Check, bool) {
	v := e.plan.Restore.TargetRecoveryMaxBytesPerSec
	if v == "" {
		return Check{}, false
	}
	title := i18n.M("check.target-recovery-throttle")
	_, now, err := e.dst.RecoverySetting(ctx)
	if err != nil {
		return notRun("target-recovery-throttle", title, err), true
	}
	if !e.targetSettingsAllowed() {
		return newCheck("target-recovery-throttle", Fail, title, i18n.M("check.recovery.unconfirmed", recoverySetting, v, now),
			i18n.M("check.recovery.unconfirmed.fix", recoverySetting)), true
	}
	return newCheck("target-recovery-throttle", OK, title, i18n.M("check.recovery.ok", recoverySetting, now, v), i18n.Msg{}), true
}

// targetSettingsAllowed: the run may change the plan's target setting, because the operator confirmed it now
// (Options.AllowTargetSettings) or when this migration started (the state's record, for a resume).
func (e *Engine) targetSettingsAllowed() bool {
	return e.opts.AllowTargetSettings || e.state.TargetSettingConfirmed(recoverySetting, e.plan.Restore.TargetRecoveryMaxBytesPerSec)
}

// recordTargetConfirmation records in the new state that the operator confirmed the plan's target setting for
// this migration (saved with the state, before anything is sent): a resume takes it as the confirmation.
func (e *Engine) recordTargetConfirmation() {
	v := e.plan.Restore.TargetRecoveryMaxBytesPerSec
	if v == "" || !e.opts.AllowTargetSettings || e.state.TargetSettingConfirmed(recoverySetting, v) {
		return
	}
	e.state.TargetSettings = append(e.state.TargetSettings, SettingChange{Name: recoverySetting, New: v, Confirmed: true})
}

// applyTargetSettings sets the plan's target recovery throttle for the migration. The value before is recorded
// in the state before the change is sent, so that whatever happens next it is put back. A resume without the
// confirmation (neither now nor recorded in the state) stops here, naming it: the plan asks for the change.
func (e *Engine) applyTargetSettings(ctx context.Context) error {
	v := e.plan.Restore.TargetRecoveryMaxBytesPerSec
	if v == "" || e.opts.DryRun {
		if v != "" && e.opts.DryRun {
			return e.request(ctx, e.dst, PhaseRepository, 0, i18n.M("steps.recovery.set", recoverySetting, v, "-"), esclient.SetRecoverySettingRequest(&v))
		}
		return nil
	}
	if !e.targetSettingsAllowed() {
		return i18n.Errorf("steps.recovery.unconfirmed", recoverySetting, v)
	}
	var pending *SettingChange
	for i := range e.state.TargetSettings {
		c := &e.state.TargetSettings[i]
		if c.Name != recoverySetting {
			continue
		}
		if c.Sent && !c.Restored {
			return nil // set by the run that was stopped: the value before is in the state already
		}
		if !c.Sent && c.New == v {
			pending = c // the confirmation recorded when the migration started
		}
	}
	var old *string
	if err := e.retry(ctx, PhaseRepository, 0, func() (err error) { old, _, err = e.dst.RecoverySetting(ctx); return }); err != nil {
		return err
	}
	if pending != nil {
		pending.Old, pending.Sent = old, true
	} else {
		e.state.TargetSettings = append(e.state.TargetSettings, SettingChange{Name: recoverySetting, Old: old, New: v, Sent: true, Confirmed: true})
	}
	if err := e.save(); err != nil {
		return err
	}
	return e.request(ctx, e.dst, PhaseRepository, 0, i18n.M("steps.recovery.set", recoverySetting, v, oldText(old)), esclient.SetRecoverySettingRequest(&v))
}

// restoreTargetSettings puts back what applyTargetSettings changed (at the end of a run, a failed one too, and
// when a resume finds a change a crashed run did not put back).
func (e *Engine) restoreTargetSettings(ctx context.Context) error {
	if e.state == nil || e.opts.DryRun {
		return nil
	}
	for i := range e.state.TargetSettings {
		c := &e.state.TargetSettings[i]
		if !c.Sent || c.Restored || c.Name != recoverySetting {
			continue
		}
		m := i18n.M("steps.recovery.restore", c.Name, oldText(c.Old))
		if err := e.retry(ctx, PhaseCleanup, 0, func() error {
			return e.request(ctx, e.dst, PhaseCleanup, 0, m, esclient.SetRecoverySettingRequest(c.Old))
		}); err != nil {
			return err
		}
		c.Restored = true
		if err := e.save(); err != nil {
			return err
		}
	}
	return nil
}

func oldText(old *string) i18n.Msg {
	if old == nil {
		return i18n.M("steps.recovery.notset")
	}
	return i18n.Name(*old)
}
