package steps

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
)

// A migration's snapshots belong to it. Its id is made with its state file and is part of every snapshot's name
// and metadata, so that two migrations of the same plan (a second run with a new state file, a colleague's run)
// never take each other's snapshot for their own: a snapshot is followed and restored only when the state says
// this migration started it, or its metadata carries this migration's id.

// NewMigrationID makes a migration id: 10 lower-case hex digits from the system's random source, valid in a
// snapshot name.
func NewMigrationID() string {
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand does not fail on the systems Go supports; a time-based id still tells migrations apart.
		return fmt.Sprintf("%010x", time.Now().UnixNano()&0xffffffffff)
	}
	return hex.EncodeToString(b)
}

// MigrationIDPlaceholder stands for the migration id in requests shown before a migration exists (the wizard's
// review, a dry run): the id is made when the migration starts. Upper case, so that it can never be a real
// snapshot name.
const MigrationIDPlaceholder = "MIGRATION_ID"

// SnapshotName is the name of a batch's snapshot: the plan's prefix, the migration's id and the batch number.
func SnapshotName(p Plan, migrationID string, batch int) string {
	return fmt.Sprintf("%s-%s-%d", p.SnapshotName, migrationID, batch)
}

// snapshotMetadata is what esmigrate writes into each snapshot: who took it, for which migration, and where its
// state file is, so that whoever finds the snapshot knows whose it is.
func (e *Engine) snapshotMetadata(b *BatchState) map[string]any {
	md := map[string]any{"taken_by": "esmigrate", "migration": e.state.MigrationID, "batch": b.Number, "plan": e.plan.Hash()}
	if b.Round > 0 {
		delete(md, "batch")
		md["round"] = b.Round // a catch-up round's snapshot (live.go)
	}
	if abs, err := filepath.Abs(e.plan.StateFile); err == nil {
		md["state_file"] = abs
	}
	if h, err := os.Hostname(); err == nil {
		md["host"] = h
	}
	return md
}

// supportsSnapshotMetadata tells whether the source keeps a snapshot's metadata (Elasticsearch 7.3 and later,
// every OpenSearch). Below that only the state file tells whose a snapshot is.
func supportsSnapshotMetadata(s ClusterSummary) bool {
	v := s.Info.Version
	if s.Info.Distribution == esclient.OpenSearch {
		return true
	}
	return v.Major > 7 || v.Major == 7 && v.Minor >= 3
}

// ours tells whether an existing snapshot of the batch's name is this migration's. Its metadata decides when it
// has a migration id. A snapshot named with this migration's id was sent with that id in its metadata wherever
// the source keeps metadata (7.3 and later): without it, someone else took it under our name. Otherwise
// (Elasticsearch before 7.3, or a snapshot of an esmigrate that did not name snapshots by migration) the state
// file decides: it records that this migration sent the snapshot request.
func (e *Engine) ours(b *BatchState, s esclient.Snapshot) bool {
	if id, ok := s.Metadata["migration"].(string); ok {
		return id == e.state.MigrationID
	}
	if e.state.MigrationID != "" && strings.Contains(b.Snapshot, e.state.MigrationID) && supportsSnapshotMetadata(e.srcSum) {
		return false
	}
	return b.SnapshotSent || b.SnapshotStarted
}

// foreignSnapshot explains a snapshot of the batch's name that is not this migration's, and what to do.
func (e *Engine) foreignSnapshot(b *BatchState, s esclient.Snapshot) error {
	repo := e.plan.Repository.Name
	return i18n.Errorf("snapshot.foreign", b.Snapshot, repo, whose(s, e.state.MigrationID), e.src.Curl(esclient.DeleteSnapshotRequest(repo, b.Snapshot)))
}

// whose describes who took a snapshot, from its metadata.
func whose(s esclient.Snapshot, ourID string) i18n.Msg {
	var parts []i18n.Msg
	md := s.Metadata
	id, hasID := md["migration"].(string)
	by, _ := md["taken_by"].(string)
	switch {
	case hasID:
		parts = append(parts, i18n.M("whose.migration", id))
		if p, ok := md["state_file"].(string); ok {
			if h, ok := md["host"].(string); ok {
				parts = append(parts, i18n.M("whose.statefile.host", p, h))
			} else {
				parts = append(parts, i18n.M("whose.statefile", p))
			}
		}
		if p, ok := md["plan"].(string); ok {
			parts = append(parts, i18n.M("whose.plan", p))
		}
	case by == "esmigrate":
		parts = append(parts, i18n.M("whose.norecord", fmt.Sprint(md["plan"])))
	case len(md) > 0:
		keys := make([]string, 0, len(md))
		for k := range md {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var kv []string
		for _, k := range keys {
			kv = append(kv, fmt.Sprintf("%s=%v", k, md[k]))
		}
		parts = append(parts, i18n.M("whose.other", strings.Join(kv, " ")))
	default:
		parts = append(parts, i18n.M("whose.none"))
	}
	if s.StartMillis > 0 {
		parts = append(parts, i18n.M("whose.started", time.UnixMilli(s.StartMillis).UTC().Format(time.RFC3339)))
	}
	m := i18n.List("list.comma", parts)
	if hasID {
		m = i18n.Join("list.semi", m, i18n.M("whose.ours", ourID))
	}
	return m
}

// adoptState gives a state file written before migrations had ids one, and names the batches whose snapshot
// was not started yet after it. Batches whose snapshot the state says was started keep their names: the state
// says they are this migration's.
func (e *Engine) adoptState() {
	st := e.state
	if st == nil || st.MigrationID != "" {
		return
	}
	st.MigrationID = NewMigrationID()
	renamed := 0
	for i := range st.Batches {
		b := &st.Batches[i]
		if !b.SnapshotStarted && !b.SnapshotSent && b.Phase == PhaseSnapshot {
			b.Snapshot = SnapshotName(e.plan, st.MigrationID, b.Number)
			renamed++
		}
	}
	e.say(PhasePlan, 0, LevelInfo, "plan.adopted", st.MigrationID, renamed)
}

// ownedBy says briefly why an existing snapshot counts as this migration's.
func ownedBy(s esclient.Snapshot) i18n.Msg {
	if id, ok := s.Metadata["migration"].(string); ok {
		return i18n.M("owned.metadata", id)
	}
	return i18n.M("owned.state")
}

// isSnapshotNameTaken tells whether a snapshot request was refused because a snapshot of that name exists or
// is being taken (invalid_snapshot_name_exception: "snapshot with the same name already exists" / "is already
// in-progress").
func isSnapshotNameTaken(err error) bool {
	return esclient.IsType(err, "invalid_snapshot_name_exception") && err != nil &&
		(strings.Contains(err.Error(), "same name already exists") || strings.Contains(err.Error(), "same name is already in-progress"))
}

// recordSourceUUIDs notes each source index's UUID just before its snapshot is taken. Read before, not after:
// an index re-created in between is then reported changed (its UUID differs), never passed.
func (e *Engine) recordSourceUUIDs(ctx context.Context, b *BatchState) error {
	var seq map[string]esclient.IndexSeqNos
	if err := e.retry(ctx, PhaseSnapshot, b.Number, func() (err error) { seq, err = e.src.SeqNos(ctx, b.Names()); return }); err != nil {
		return err
	}
	for i := range b.Indices {
		b.Indices[i].SourceUUID = seq[b.Indices[i].Name].UUID
	}
	return nil
}
