package steps

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"github.com/esmigrate/esmigrate/i18n"
)

// State is what a migration has done so far, written after every transition so that a dropped SSH session or
// a killed process loses nothing: `esmigrate resume` reads it and goes on. It never holds credentials.
type State struct {
	Version  int          `json:"version"`
	PlanHash string       `json:"plan_hash"`
	Plan     Plan         `json:"plan"`
	Created  time.Time    `json:"created"`
	Updated  time.Time    `json:"updated"`
	Source   ClusterID    `json:"source"`
	Target   ClusterID    `json:"target"`
	Batches  []BatchState `json:"batches"`
	LeftOut  []Skip       `json:"skipped,omitempty"` // selected indices left out (closed...), with why
	Finished bool         `json:"finished"`

	// TargetSettings are the target cluster's settings the migration changed (throttle.go), with their values
	// before: put back at the end, also by a resume after a crash.
	TargetSettings []SettingChange `json:"target_settings,omitempty"`
	// Metadata is the metadata step's record (nil until it ran); ILMStopped: the run stopped ILM on the target
	// (restore.pause_ilm). Both are done once per migration (metadata_run.go).
	Metadata   *MetadataState `json:"metadata,omitempty"`
	ILMStopped bool           `json:"ilm_stopped,omitempty"`

	// MigrationID is this migration's own id, made with the state file: in every snapshot's name and metadata.
	MigrationID string `json:"migration_id,omitempty"`

	// Live is a live migration's catch-up rounds and cut-over (live.go); nil until the first catch-up.
	Live *LiveState `json:"live,omitempty"`
}

// SettingChange is one cluster setting the migration changed.
type SettingChange struct {
	Name     string  `json:"name"`
	Old      *string `json:"old"` // the persistent value before (nil: it was not set)
	New      string  `json:"new"`
	Sent     bool    `json:"sent"`     // saved before the change is sent: from then on the old value is put back
	Restored bool    `json:"restored"` // the old value is back
	// Confirmed: the operator confirmed this change for the migration (the wizard's typed target name,
	// --allow-target-settings) when it started. Recorded with the state, before anything is sent, so that a
	// resume takes it as the confirmation instead of asking again (throttle.go).
	Confirmed bool `json:"confirmed,omitempty"`
}

// TargetSettingConfirmed tells whether the operator confirmed, for this migration, that the run may set the
// target's setting name to value: a change recorded as confirmed, or one that was sent (it was sent only with
// the confirmation; state files written before Confirmed existed).
func (st *State) TargetSettingConfirmed(name, value string) bool {
	if st == nil || value == "" {
		return false
	}
	for _, c := range st.TargetSettings {
		if c.Name == name && c.New == value && (c.Confirmed || c.Sent) {
			return true
		}
	}
	return false
}

// UnconfirmedTargetSetting is the target setting the state's plan changes and that the state holds no
// confirmation of (ok false when there is none): a resume must ask for it again (the wizard: the target
// cluster's name typed; headless: --allow-target-settings).
func (st *State) UnconfirmedTargetSetting() (name, value string, ok bool) {
	if st == nil {
		return "", "", false
	}
	v := st.Plan.Restore.TargetRecoveryMaxBytesPerSec
	if v == "" || st.TargetSettingConfirmed(RecoverySetting, v) {
		return "", "", false
	}
	return RecoverySetting, v, true
}

// ClusterID identifies a cluster, so that a state file is not replayed against another cluster.
type ClusterID struct {
	Name    string `json:"name"`
	UUID    string `json:"uuid"`
	Version string `json:"version"`
	Product string `json:"product"`
}

// BatchState is where one batch is.
type BatchState struct {
	Number          int                 `json:"number"`
	Snapshot        string              `json:"snapshot"`
	Phase           Phase               `json:"phase"` // the phase in progress or next; "" when done
	Done            bool                `json:"done"`
	Failed          bool                `json:"failed,omitempty"`
	Error           string              `json:"error,omitempty"`    // English
	ErrorMsg        i18n.Msg            `json:"error_msg,omitzero"` // the same as a message
	Indices         []IndexState        `json:"indices"`
	Times           map[Phase]PhaseTime `json:"times,omitempty"`
	SnapshotStarted bool                `json:"snapshot_started,omitempty"`
	SnapshotState   string              `json:"snapshot_state,omitempty"`
	SnapshotRetakes int                 `json:"snapshot_retakes,omitempty"`
	SnapshotBytes   int64               `json:"snapshot_bytes,omitempty"`
	CopiedFiles     int                 `json:"copied_files,omitempty"`
	CopiedBytes     int64               `json:"copied_bytes,omitempty"`
	RestoreStarted  bool                `json:"restore_started,omitempty"`
	ReplicasPutBack bool                `json:"replicas_put_back,omitempty"`
	CleanedUp       bool                `json:"cleaned_up,omitempty"`

	// SnapshotSent is saved before the snapshot request goes out: the state's own record that this migration
	// started the snapshot (all there is below Elasticsearch 7.3, which keeps no snapshot metadata).
	SnapshotSent bool `json:"snapshot_sent,omitempty"`

	// Round is the catch-up round this batch is (live.go): its restore goes over the closed target indices
	// instead of into new ones. 0 for the batches of the first pass.
	Round int `json:"round,omitempty"`
	// Reindex: this batch holds the indices the target cannot restore, moved by _reindex from remote (its one
	// phase is PhaseReindex; it has no snapshot). ReindexStarted lists those whose target index was created.
	Reindex        bool     `json:"reindex,omitempty"`
	ReindexStarted []string `json:"reindex_started,omitempty"`
}

// PhaseTime is when a phase started and ended.
type PhaseTime struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end,omitempty"`
}

// Duration of a phase (zero until it ended).
func (t PhaseTime) Duration() time.Duration {
	if t.End.IsZero() || t.Start.IsZero() {
		return 0
	}
	return t.End.Sub(t.Start)
}

// Index results.
const (
	ResultPending  = "pending"
	ResultVerified = "verified"
	ResultMismatch = "mismatch"
	ResultFailed   = "failed"

	// ResultChanged: the source index took operations after its snapshot (or was deleted, or created again):
	// the target holds the snapshot's data, not the source's as of now.
	ResultChanged = "changed"
	// ResultUnverified: the verification asked for could not be done (content mode on an index whose _source is
	// disabled). Never counted as verified.
	ResultUnverified = "unverified"
)

// IndexState is one index's journey.
type IndexState struct {
	Name             string `json:"name"`
	Target           string `json:"target"`
	PrimaryBytes     int64  `json:"primary_bytes"`
	Primaries        int    `json:"primaries"`
	OriginalReplicas int    `json:"original_replicas"`
	SourceDocs       int64  `json:"source_docs"`
	TargetDocs       int64  `json:"target_docs"`
	Health           string `json:"health,omitempty"`
	Result           string `json:"result"`
	Reason           string `json:"reason,omitempty"` // English
	// ReasonMsg is Reason as a message (package i18n).
	ReasonMsg i18n.Msg `json:"reason_msg,omitzero"`

	// SourceUUID is the source index's UUID when its snapshot was taken: an index deleted and created again
	// with as many operations would otherwise compare equal by sequence numbers.
	SourceUUID string `json:"source_uuid,omitempty"`
	// Verification is what the result rests on: the verify mode that produced it.
	Verification string `json:"verification,omitempty"`
	// ChangedOps is how many operations the source's primaries took after the snapshot (seqno and content).
	ChangedOps int64 `json:"changed_ops,omitempty"`
	// Content is the outcome of content verification (content mode).
	Content *ContentResult `json:"content,omitempty"`
	// CaughtUpFrom is the snapshot of the last catch-up round that restored this index (live.go): the target
	// holds that snapshot's data, not the batch's. "" when no round restored it.
	CaughtUpFrom string `json:"caught_up_from,omitempty"`
}

// setReason sets why the index has its result, as a message and in English.
func (ix *IndexState) setReason(m i18n.Msg) { ix.ReasonMsg, ix.Reason = m, m.String() }

// Why is the reason as a message (the English as it is in a state file written without one).
func (ix IndexState) Why() i18n.Msg {
	if !ix.ReasonMsg.IsZero() {
		return ix.ReasonMsg
	}
	return i18n.Text(ix.Reason)
}

// setError records why the batch stopped (zero: it did not), as a message and in English.
func (b *BatchState) setError(m i18n.Msg) { b.ErrorMsg, b.Error = m, m.String() }

// Why is the batch's error as a message.
func (b BatchState) Why() i18n.Msg {
	if !b.ErrorMsg.IsZero() {
		return b.ErrorMsg
	}
	return i18n.Text(b.Error)
}

// Names lists the batch's source index names (except those that failed before restore).
func (b *BatchState) Names() []string {
	var out []string
	for _, ix := range b.Indices {
		out = append(out, ix.Name)
	}
	return out
}

// stateVersion is the format of state files this esmigrate writes.
const stateVersion = 1

// Store reads and writes the state file and holds its lock: two esmigrate processes on one state would both
// start snapshots and restores.
type Store struct {
	path     string
	lock     *flock.Flock
	resuming bool
}

// OpenStore locks the state file. It fails when another esmigrate holds it. The lock file is opened without
// following a link and must be a regular file with one name: a link planted there would get our pid written
// into another file.
func OpenStore(path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, i18n.Errorf("state.mkdir", path, err)
		}
	}
	lockPath := path + ".lock"
	if err := refuseLink(i18n.M("file.what.lock"), lockPath); err != nil {
		return nil, err
	}
	l := flock.New(lockPath, flock.SetFlag(os.O_CREATE|os.O_RDWR|oNoFollow), flock.SetPermissions(filePerm))
	ok, err := l.TryLock()
	if err != nil {
		if lerr := refuseLink(i18n.M("file.what.lock"), lockPath); lerr != nil {
			return nil, lerr
		}
		return nil, i18n.Errorf("state.lock", path, err)
	}
	if !ok {
		pid, _ := readNoFollow(lockPath, 32)
		if p := strings.TrimSpace(string(pid)); p != "" {
			return nil, i18n.Errorf("state.busy.pid", p, path)
		}
		return nil, i18n.Errorf("state.busy", path)
	}
	fi, err := l.Stat()
	if err != nil || !fi.Mode().IsRegular() || !singleLink(fi) {
		l.Unlock()
		return nil, &OutputError{What: i18n.M("file.what.lock"), Path: lockPath, Why: i18n.M("file.hardlink"), Fix: i18n.M("file.hardlink.fix")}
	}
	// The pid, for the message a second esmigrate shows. Opened again without following a link, and only
	// written when it is still the file we locked.
	if f, err := os.OpenFile(lockPath, os.O_WRONLY|oNoFollow, filePerm); err == nil {
		if fi2, err := f.Stat(); err == nil && os.SameFile(fi, fi2) {
			_ = f.Truncate(0)
			_, _ = f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
		}
		f.Close()
	}
	return &Store{path: path, lock: l}, nil
}

// Path of the state file.
func (s *Store) Path() string { return s.path }

// Close releases the lock.
func (s *Store) Close() error {
	if s == nil || s.lock == nil {
		return nil
	}
	return s.lock.Unlock()
}

// ErrNoState means there is no state file yet: a new migration.
var ErrNoState = i18n.Errorf("state.none")

// Load reads the state. A state written for another plan, or a damaged one, is refused with what to do.
func (s *Store) Load(planHash string) (*State, error) {
	st, err := ReadState(s.path)
	if err != nil {
		return nil, err
	}
	if planHash != "" && st.PlanHash != planHash && s.resuming {
		// resume runs the state's own plan: a different fingerprint is another esmigrate version's.
		return nil, i18n.Errorf("state.otherversion", s.path, planHash, st.PlanHash)
	}
	if planHash != "" && st.PlanHash != planHash {
		return nil, i18n.Errorf("state.otherplan", s.path, st.Created.Format(time.RFC3339), len(st.Batches))
	}
	return st, nil
}

// ReadState reads a state file without locking it (for status displays). A link is not followed.
func ReadState(path string) (*State, error) {
	if err := refuseLink(i18n.M("file.what.state"), path); err != nil {
		return nil, err
	}
	b, err := readNoFollow(path, 1<<30)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoState
	}
	if err != nil {
		return nil, i18n.Errorf("state.read", err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		if _, e := os.Stat(path + ".prev"); e == nil {
			return nil, i18n.Errorf("state.damaged.prev", path, i18n.Name(err.Error()))
		}
		return nil, i18n.Errorf("state.damaged", path, i18n.Name(err.Error()))
	}
	if st.Version != stateVersion {
		return nil, i18n.Errorf("state.format", path, st.Version, stateVersion)
	}
	return &st, nil
}

// Save writes the state atomically (temporary file, fsync, rename), mode 0600, keeping the previous version
// as .prev.
func (s *Store) Save(st *State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(s.path, b, true)
}
