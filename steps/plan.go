package steps

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/esmigrate/esmigrate/i18n"
)

// Plan is everything a migration needs to know, as written in plan.yaml. It holds no secret: passwords and API
// keys come from the environment variables it names.
type Plan struct {
	Version       int         `yaml:"version" json:"version"`
	Source        ClusterPlan `yaml:"source" json:"source"`
	Target        ClusterPlan `yaml:"target" json:"target"`
	Repository    RepoPlan    `yaml:"repository" json:"repository"`
	Indices       []string    `yaml:"indices" json:"indices"`
	Exclude       []string    `yaml:"exclude,omitempty" json:"exclude,omitempty"`
	IncludeHidden bool        `yaml:"include_hidden" json:"include_hidden"`
	IncludeSystem bool        `yaml:"include_system" json:"include_system"`
	BatchMaxSize  string      `yaml:"batch_max_size" json:"batch_max_size"`
	// BatchesInFlight is how many batches may be under way at once (pipeline.go): with 2, the next batch's
	// snapshot runs while the previous one is copied, restored and verified; 1 takes them one after the other.
	// 0 (a plan written before the field existed) is the default.
	BatchesInFlight int         `yaml:"batches_in_flight,omitempty" json:"batches_in_flight,omitempty"`
	SnapshotName    string      `yaml:"snapshot_prefix" json:"snapshot_prefix"`
	Restore         RestorePlan `yaml:"restore" json:"restore"`
	Copy            CopyPlan    `yaml:"copy" json:"copy"`
	Cleanup         CleanupPlan `yaml:"cleanup" json:"cleanup"`
	OnConflict      string      `yaml:"on_conflict" json:"on_conflict"`
	Verify          string      `yaml:"verify" json:"verify,omitempty"` // count, seqno (default) or content: see VerifyModes
	PollInterval    Duration    `yaml:"poll_interval" json:"poll_interval"`
	StateFile       string      `yaml:"state_file" json:"state_file"`
	ReportDir       string      `yaml:"report_dir" json:"report_dir"`
	NFS             NFSPlan     `yaml:"nfs,omitempty" json:"nfs,omitempty"`
	// Metadata: templates, pipelines, policies and scripts copied item by item (steps/metadata.go). omitzero
	// keeps the hash of a plan without the section what it was, so that its state file is still accepted.
	Metadata MetadataPlan `yaml:"metadata,omitempty" json:"metadata,omitzero"`
	// Live: catch-up rounds and the cut-over (live.go). omitzero, and left out of the hash: how the rounds
	// are paced and which aliases move does not change what is migrated.
	Live LivePlan `yaml:"live,omitempty" json:"live,omitzero"`
}

// ClusterPlan says how to reach a cluster.
type ClusterPlan struct {
	URL         string `yaml:"url" json:"url"`
	Username    string `yaml:"username,omitempty" json:"username,omitempty"`
	PasswordEnv string `yaml:"password_env,omitempty" json:"password_env,omitempty"`
	APIKeyEnv   string `yaml:"api_key_env,omitempty" json:"api_key_env,omitempty"`
	CACert      string `yaml:"ca_cert,omitempty" json:"ca_cert,omitempty"`
	Insecure    bool   `yaml:"insecure,omitempty" json:"insecure,omitempty"`
	// urlPassword is a password that was written into URL (user:password@host), moved out of it when the plan
	// was read. Unexported: never marshalled into a plan file or a state file, never in the plan's hash.
	urlPassword string
}

// RepoPlan is the snapshot repository on both sides.
type RepoPlan struct {
	Name string `yaml:"name" json:"name"`
	// SourceLocation is the fs repository directory as the source nodes see it (in their path.repo).
	SourceLocation string `yaml:"source_location" json:"source_location"`
	// TargetLocation is the directory as the target nodes see it. With Shared it is the same storage.
	TargetLocation string `yaml:"target_location" json:"target_location"`
	// Shared: both clusters mount the same share. No copy; the target registers the repository read-only.
	Shared bool `yaml:"shared" json:"shared"`
	// SourceLocal/TargetLocal: where this host sees the two shares, for the copy and the share checks
	// (default: the same paths as the nodes see).
	SourceLocal            string `yaml:"source_local_path,omitempty" json:"source_local_path,omitempty"`
	TargetLocal            string `yaml:"target_local_path,omitempty" json:"target_local_path,omitempty"`
	Compress               bool   `yaml:"compress" json:"compress"`
	MaxSnapshotBytesPerSec string `yaml:"max_snapshot_bytes_per_sec,omitempty" json:"max_snapshot_bytes_per_sec,omitempty"`
	MaxRestoreBytesPerSec  string `yaml:"max_restore_bytes_per_sec,omitempty" json:"max_restore_bytes_per_sec,omitempty"`
	// TargetName is the repository's name on the target (default: Name).
	TargetName string `yaml:"target_name,omitempty" json:"target_name,omitempty"`
}

// RestorePlan are the restore options.
type RestorePlan struct {
	RenamePattern     string `yaml:"rename_pattern,omitempty" json:"rename_pattern,omitempty"`
	RenameReplacement string `yaml:"rename_replacement,omitempty" json:"rename_replacement,omitempty"`
	// ReplicasDuringRestore is number_of_replicas while restoring (0 is fastest); -1 keeps the snapshot's value.
	ReplicasDuringRestore int `yaml:"replicas_during_restore" json:"replicas_during_restore"`
	// RestoreReplicas puts each index's original number_of_replicas back after verification.
	RestoreReplicas     bool           `yaml:"restore_replicas" json:"restore_replicas"`
	IncludeAliases      bool           `yaml:"include_aliases" json:"include_aliases"`
	IncludeGlobalState  bool           `yaml:"include_global_state" json:"include_global_state"`
	IndexSettings       map[string]any `yaml:"index_settings,omitempty" json:"index_settings,omitempty"`
	IgnoreIndexSettings []string       `yaml:"ignore_index_settings,omitempty" json:"ignore_index_settings,omitempty"`
	// TargetRecoveryMaxBytesPerSec, when set, is put into the target cluster's indices.recovery.max_bytes_per_sec
	// (restores are recoveries, throttled per node, 40mb by default) for the migration, and the old value put
	// back at its end (throttle.go). A setting of the target cluster: changed only with AllowTargetSettings.
	TargetRecoveryMaxBytesPerSec string `yaml:"target_recovery_max_bytes_per_sec,omitempty" json:"target_recovery_max_bytes_per_sec,omitempty"`
	// PauseILM stops ILM on the target (POST _ilm/stop) before the first restore, so that no lifecycle policy
	// deletes or rolls over a restored index at once (steps/lifecycle.go). ILM stays stopped: the report says
	// what to do before POST _ilm/start. The other remedy is ignore_index_settings with LifecycleSettings.
	PauseILM bool `yaml:"pause_ilm,omitempty" json:"pause_ilm,omitempty"`
	// ReindexFromRemote moves the indices the target cannot restore (created two majors back; every index of an
	// Elasticsearch 7.11+ source for an OpenSearch target) by _reindex from remote instead: the target pulls
	// them from the source (steps/reindex_run.go). Without it the pre-flight refuses them.
	ReindexFromRemote bool `yaml:"reindex_from_remote,omitempty" json:"reindex_from_remote,omitempty"`
}

// CopyPlan tunes the repository copy (separate shares only).
type CopyPlan struct {
	Workers        int    `yaml:"workers" json:"workers"`
	BandwidthLimit string `yaml:"bandwidth_limit,omitempty" json:"bandwidth_limit,omitempty"` // per second, e.g. 100mb
}

// CleanupPlan says what to remove after each verified batch. Nothing by default.
type CleanupPlan struct {
	DeleteSnapshots        bool `yaml:"delete_snapshots" json:"delete_snapshots"`
	DeleteCopiedFiles      bool `yaml:"delete_copied_files" json:"delete_copied_files"`
	UnregisterRepositories bool `yaml:"unregister_repositories" json:"unregister_repositories"`
}

// NFSPlan describes the NFS setup, for the generated commands and the server checks. Optional.
type NFSPlan struct {
	Server     string   `yaml:"server,omitempty" json:"server,omitempty"`
	Export     string   `yaml:"export,omitempty" json:"export,omitempty"`
	Clients    []string `yaml:"clients,omitempty" json:"clients,omitempty"`
	MountPoint string   `yaml:"mount_point,omitempty" json:"mount_point,omitempty"`
	UID        int      `yaml:"uid,omitempty" json:"uid,omitempty"`
	GID        int      `yaml:"gid,omitempty" json:"gid,omitempty"`
}

// Duration reads "1s", "500ms" in YAML.
type Duration struct{ time.Duration }

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return i18n.Errorf("plan.duration", n.Value)
	}
	d.Duration = v
	return nil
}

// MarshalYAML writes a Go duration string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalJSON writes a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	d.Duration = v
	return err
}

// Conflict policies.
const (
	ConflictFail   = "fail"   // stop before any snapshot when a target name exists
	ConflictDelete = "delete" // delete the existing target index (needs an explicit confirmation)
)

// Verification modes: what "verified" proves about a restored index (README: Verification).
const (
	// VerifyCount compares the number of top-level documents on both sides. It cannot see an update, or a
	// delete followed by an insert, after the snapshot.
	VerifyCount = "count"
	// VerifySeqNo also compares every primary shard's sequence numbers (and the source index's UUID) of the
	// source now with the restored copy: equal means no operation reached the source after the snapshot.
	VerifySeqNo = "seqno"
	// VerifyContent also reads every document on both sides and compares id, routing and _source, naming the
	// documents that differ.
	VerifyContent = "content"
)

// VerifyModes are the verification modes, cheapest first.
var VerifyModes = []string{VerifyCount, VerifySeqNo, VerifyContent}

// DefaultPlan is a plan with every default filled in.
func DefaultPlan() Plan {
	return Plan{
		Version:         1,
		Source:          ClusterPlan{PasswordEnv: "ES_SOURCE_PASSWORD", APIKeyEnv: "ES_SOURCE_API_KEY"},
		Target:          ClusterPlan{PasswordEnv: "ES_TARGET_PASSWORD", APIKeyEnv: "ES_TARGET_API_KEY"},
		Repository:      RepoPlan{Name: "esmigrate", Compress: true},
		BatchMaxSize:    "50gb",
		BatchesInFlight: DefaultBatchesInFlight,
		SnapshotName:    "esmigrate",
		Restore:         RestorePlan{ReplicasDuringRestore: 0, RestoreReplicas: true, IncludeAliases: true},
		Copy:            CopyPlan{Workers: 4},
		OnConflict:      ConflictFail,
		Verify:          VerifySeqNo,
		PollInterval:    Duration{time.Second},
		StateFile:       "esmigrate-state.json",
		ReportDir:       ".",
	}
}

// PlanError is a mistake in a plan file, with the line and field it is on.
type PlanError struct {
	File  string
	Line  int
	Field string
	Msg   string   // what is wrong, in English
	Say   i18n.Msg // the same as a message
}

// planErr is a mistake in a field: what is wrong, as a message.
func planErr(field string, m i18n.Msg) *PlanError {
	return &PlanError{Field: field, Msg: m.String(), Say: m}
}

// fileErr is a mistake in a plan file as a whole (or at a line).
func fileErr(file string, line int, field string, m i18n.Msg) *PlanError {
	return &PlanError{File: file, Line: line, Field: field, Msg: m.String(), Say: m}
}

func (e *PlanError) Error() string { return e.Localize().String() }

// Localize is the error as a message: where (file:line, field) and what is wrong.
func (e *PlanError) Localize() i18n.Msg {
	var parts []i18n.Msg
	if e.File != "" {
		loc := e.File
		if e.Line > 0 {
			loc += ":" + strconv.Itoa(e.Line)
		}
		parts = append(parts, i18n.Name(loc))
	}
	if e.Field != "" {
		parts = append(parts, i18n.Name(e.Field))
	}
	what := e.Say
	if what.IsZero() {
		what = i18n.Text(e.Msg)
	}
	return i18n.List("list.colon", append(parts, what))
}

// LoadPlan reads and checks a plan file.
func LoadPlan(path string) (Plan, error) {
	p, src, err := ReadPlanFile(path)
	if err != nil {
		return p, err
	}
	return p, src.Locate(p.Validate())
}

// PlanSource is a plan file as read, kept to say on which line a field is that turns out wrong once flags and
// the environment have been applied to the plan.
type PlanSource struct {
	name string
	root yaml.Node
}

// ReadPlanFile reads a plan file without checking it: flags and the environment may still fill in what it
// leaves empty (an empty url with --source or ES_SOURCE_URL). Check the result with Validate and Locate.
func ReadPlanFile(path string) (Plan, *PlanSource, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		why := err.Error()
		var pe *os.PathError
		if errors.As(err, &pe) {
			why = pe.Err.Error()
		}
		return DefaultPlan(), nil, fileErr(path, 0, "", i18n.M("plan.unreadable", why))
	}
	return decodePlan(b, path)
}

// Locate puts the file and line into a *PlanError about a field of the file; other errors pass unchanged.
func (s *PlanSource) Locate(err error) error {
	var pe *PlanError
	if s == nil || err == nil || !errors.As(err, &pe) {
		return err
	}
	pe.File = s.name
	if pe.Field != "" {
		pe.Line = lineOf(&s.root, strings.Split(pe.Field, ".")...)
	}
	return err
}

var yamlLineRE = regexp.MustCompile(`line (\d+): (.*)`)

// ParsePlan reads a plan from YAML; name is used in errors. Unknown fields are errors (a typo must not silently
// fall back to a default), and every error names the line and the field.
func ParsePlan(b []byte, name string) (Plan, error) {
	p, src, err := decodePlan(b, name)
	if err != nil {
		return p, err
	}
	return p, src.Locate(p.Validate())
}

// decodePlan reads the YAML of a plan (unknown fields are errors) without checking the values.
func decodePlan(b []byte, name string) (Plan, *PlanSource, error) {
	p := DefaultPlan()
	src := &PlanSource{name: name}
	if err := yaml.Unmarshal(b, &src.root); err != nil {
		return p, nil, yamlError(name, nil, err)
	}
	if len(src.root.Content) == 0 {
		return p, nil, fileErr(name, 0, "", i18n.M("plan.empty"))
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return p, nil, yamlError(name, &src.root, err)
	}
	return p, src, nil
}

var (
	yamlFieldRE = regexp.MustCompile(`field (\S+) not found`)
	yamlTypeRE  = regexp.MustCompile("cannot unmarshal !!(\\w+)(?: `([^`]*)`)? into (\\S+)")
)

// yamlError turns the YAML library's words into the plan's: the line, the field, and what was expected,
// without Go's type names ("cannot unmarshal !!seq into steps.Plan").
func yamlError(name string, root *yaml.Node, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		err = errors.New(te.Errors[0])
	}
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		msg := i18n.Name(m[2]) // the YAML library's words
		field := ""
		if f := yamlFieldRE.FindStringSubmatch(m[2]); f != nil {
			field = f[1]
			msg = i18n.M("plan.yaml.unknown")
		} else if t := yamlTypeRE.FindStringSubmatch(m[2]); t != nil {
			if root != nil {
				field = fieldAt(root, line, t[1])
			}
			found := i18n.Name(t[1])
			if yamlKinds[t[1]] {
				found = i18n.M("plan.kind." + t[1])
			}
			if t[2] != "" {
				found = i18n.M("plan.yaml.value", found, t[2])
			}
			msg = i18n.M("plan.yaml.expected", goKind(t[3]), found)
		}
		return fileErr(name, line, field, msg)
	}
	return fileErr(name, 0, "", i18n.Name(strings.TrimPrefix(err.Error(), "yaml: ")))
}

// yamlKinds are the YAML kinds the catalogue names (plan.kind.<kind>).
var yamlKinds = map[string]bool{"seq": true, "map": true, "str": true, "int": true, "float": true, "bool": true,
	"null": true, "binary": true, "timestamp": true}

// goKind says in words what a Go type holds.
func goKind(t string) i18n.Msg {
	switch {
	case t == "steps.Plan":
		return i18n.M("plan.kind.plan")
	case t == "steps.Duration":
		return i18n.M("plan.kind.duration")
	case strings.HasPrefix(t, "steps."):
		return i18n.M("plan.kind.fields")
	case strings.HasPrefix(t, "[]"):
		return i18n.M("plan.kind.seq")
	case strings.HasPrefix(t, "map["):
		return i18n.M("plan.kind.map")
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint") || strings.HasPrefix(t, "float"):
		return i18n.M("plan.kind.int")
	case t == "bool":
		return i18n.M("plan.kind.bool")
	case t == "string":
		return i18n.M("plan.kind.str")
	}
	return i18n.M("plan.kind.other")
}

// fieldAt finds the dotted path of the field whose value is on a line of a parsed document and is of the YAML
// kind the decoder complained about ("seq", "map", or a scalar's tag): "" when none is there.
func fieldAt(root *yaml.Node, line int, kind string) string {
	want := yaml.ScalarNode
	switch kind {
	case "seq":
		want = yaml.SequenceNode
	case "map":
		want = yaml.MappingNode
	}
	var walk func(n *yaml.Node, path string) (string, bool)
	walk = func(n *yaml.Node, path string) (string, bool) {
		if n.Line == line && n.Kind == want {
			return path, true
		}
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				if f, ok := walk(c, path); ok {
					return f, true
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if f, ok := walk(n.Content[i+1], strings.TrimPrefix(path+"."+n.Content[i].Value, ".")); ok {
					return f, true
				}
			}
		}
		return "", false
	}
	f, _ := walk(root, "")
	return f
}

// lineOf finds the line of a field (by its path of YAML keys) in a parsed document.
func lineOf(root *yaml.Node, path ...string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, key := range path {
		if n.Kind != yaml.MappingNode {
			return line
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				line = n.Content[i].Line
				n = n.Content[i+1]
				found = true
				break
			}
		}
		if !found {
			return line
		}
	}
	return line
}

// Validate checks what can be checked without a cluster. Errors are *PlanError naming the field.
func (p *Plan) Validate() error {
	bad := func(field, key string, args ...any) error { return planErr(field, i18n.M(key, args...)) }
	why := func(field string, err error) error { return planErr(field, i18n.MsgOf(err)) }
	if p.Version != 1 {
		return bad("version", "plan.version", p.Version)
	}
	// user:password@ in a URL: into the credentials, out of everything that is written or shown.
	if err := p.Source.moveURLCredentials("source"); err != nil {
		return err
	}
	if err := p.Target.moveURLCredentials("target"); err != nil {
		return err
	}
	for _, rc := range []struct {
		role string
		c    ClusterPlan
	}{{"source", p.Source}, {"target", p.Target}} {
		role, c := rc.role, rc.c
		if c.URL == "" {
			return bad(role+".url", "plan.url.missing", i18n.M("es.cluster.the."+role))
		}
		if !strings.HasPrefix(c.URL, "http://") && !strings.HasPrefix(c.URL, "https://") {
			return bad(role+".url", "plan.url.scheme", c.URL)
		}
	}
	if p.Source.URL == p.Target.URL {
		return bad("target.url", "plan.url.same", p.Source.URL)
	}
	if err := ValidateRepositoryName(p.Repository.Name); err != nil {
		return why("repository.name", err)
	}
	if p.Repository.TargetName != "" {
		if err := ValidateRepositoryName(p.Repository.TargetName); err != nil {
			return why("repository.target_name", err)
		}
	}
	if p.Repository.SourceLocation == "" {
		return bad("repository.source_location", "plan.sourcelocation.missing")
	}
	if !filepath.IsAbs(p.Repository.SourceLocation) {
		return bad("repository.source_location", "plan.abs", p.Repository.SourceLocation)
	}
	if p.Repository.TargetLocation == "" {
		if !p.Repository.Shared {
			return bad("repository.target_location", "plan.targetlocation.missing")
		}
		p.Repository.TargetLocation = p.Repository.SourceLocation
	}
	if !filepath.IsAbs(p.Repository.TargetLocation) {
		return bad("repository.target_location", "plan.abs", p.Repository.TargetLocation)
	}
	if len(p.Indices) == 0 {
		return bad("indices", "plan.indices.none")
	}
	for _, pat := range append(append([]string{}, p.Indices...), p.Exclude...) {
		if _, err := filepath.Match(pat, ""); err != nil || strings.ContainsAny(pat, ", ") {
			return bad("indices", "plan.indices.bad", pat)
		}
	}
	if _, err := ParseBytes(p.BatchMaxSize); err != nil {
		return why("batch_max_size", err)
	}
	if p.BatchesInFlight < 0 || p.BatchesInFlight > MaxBatchesInFlight {
		return bad("batches_in_flight", "%d: use 1 (one batch after the other) to %d (2: the next batch's snapshot runs while the previous one is copied and restored)", p.BatchesInFlight, MaxBatchesInFlight)
	}
	if err := ValidateSnapshotName(p.SnapshotName + "-1"); err != nil {
		return why("snapshot_prefix", err)
	}
	if (p.Restore.RenamePattern == "") != (p.Restore.RenameReplacement == "") {
		return bad("restore.rename_pattern", "plan.rename.together")
	}
	if p.Restore.RenamePattern != "" {
		if _, err := regexp.Compile(p.Restore.RenamePattern); err != nil {
			return bad("restore.rename_pattern", "plan.rename.regexp", p.Restore.RenamePattern, i18n.Name(err.Error()))
		}
		// What the replacement writes itself (not the groups it copies) ends up in every renamed index's name:
		// a character no index name may have is found here, before any request.
		literal := javaGroupRE.ReplaceAllString(p.Restore.RenameReplacement, "x")
		if err := ValidateIndexName(literal); err != nil && literal != "" {
			return bad("restore.rename_replacement", "plan.rename.replacement", p.Restore.RenameReplacement, err)
		}
	}
	if p.Restore.ReplicasDuringRestore < -1 {
		return bad("restore.replicas_during_restore", "plan.replicas")
	}
	if p.Copy.Workers < 1 || p.Copy.Workers > 64 {
		return bad("copy.workers", "plan.workers")
	}
	for _, t := range []struct{ field, v string }{{"repository.max_snapshot_bytes_per_sec", p.Repository.MaxSnapshotBytesPerSec},
		{"repository.max_restore_bytes_per_sec", p.Repository.MaxRestoreBytesPerSec}} {
		if t.v != "" {
			if _, err := ParseBytes(t.v); err != nil {
				return why(t.field, err)
			}
		}
	}
	if v := p.Restore.TargetRecoveryMaxBytesPerSec; v != "" {
		if _, err := ParseBytes(v); err != nil {
			return bad("restore.target_recovery_max_bytes_per_sec", "%v", err)
		}
	}
	if p.Copy.BandwidthLimit != "" {
		if _, err := ParseBytes(p.Copy.BandwidthLimit); err != nil {
			return why("copy.bandwidth_limit", err)
		}
	}
	if p.OnConflict != ConflictFail && p.OnConflict != ConflictDelete {
		return bad("on_conflict", "plan.onconflict", p.OnConflict)
	}
	if p.Verify == "" {
		p.Verify = VerifySeqNo
	}
	if !slices.Contains(VerifyModes, p.Verify) {
		return bad("verify", "plan.verify", p.Verify)
	}
	if p.PollInterval.Duration < 100*time.Millisecond {
		return bad("poll_interval", "plan.poll.short", p.PollInterval.String())
	}
	if p.PollInterval.Duration > time.Minute {
		return bad("poll_interval", "plan.poll.long", p.PollInterval.String())
	}
	if p.StateFile == "" {
		return bad("state_file", "plan.missing")
	}
	if err := p.Live.validate(); err != nil {
		return err
	}
	return p.Metadata.validate()
}

// Batches in flight: the default and the most a plan may ask for (each batch in flight holds its snapshot on the
// shares until it is verified).
const (
	DefaultBatchesInFlight = 2
	MaxBatchesInFlight     = 8
)

// InFlight is how many batches may be under way at once.
func (p Plan) InFlight() int {
	if p.BatchesInFlight <= 0 {
		return DefaultBatchesInFlight
	}
	return p.BatchesInFlight
}

// TargetRepoName is the repository's name on the target.
func (p Plan) TargetRepoName() string {
	if p.Repository.TargetName != "" {
		return p.Repository.TargetName
	}
	return p.Repository.Name
}

// SourceLocalPath is where this host sees the source share.
func (p Plan) SourceLocalPath() string {
	if p.Repository.SourceLocal != "" {
		return p.Repository.SourceLocal
	}
	return p.Repository.SourceLocation
}

// TargetLocalPath is where this host sees the target share.
func (p Plan) TargetLocalPath() string {
	if p.Repository.TargetLocal != "" {
		return p.Repository.TargetLocal
	}
	return p.Repository.TargetLocation
}

// Hash identifies the plan's content, so that a state file written for another plan is refused.
func (p Plan) Hash() string {
	q := p
	// Where files go and how fast we poll does not change what is migrated.
	q.StateFile, q.ReportDir, q.PollInterval = "", "", Duration{}
	q.Cleanup, q.Copy = CleanupPlan{}, CopyPlan{}
	// Nor how many batches are under way at once, nor how fast the target restores.
	q.BatchesInFlight = 0
	q.Restore.TargetRecoveryMaxBytesPerSec = ""
	// How thoroughly the result is checked does not change what is migrated either (and a state file written
	// before the field existed keeps its hash).
	q.Verify = ""
	q.Live = LivePlan{}
	// A metadata section that says nothing (read from a file as `include: []`, `on_conflict: skip`) is the
	// section left out.
	q.Metadata = q.Metadata.normalized()
	b, _ := json.Marshal(q)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

var sizeRE = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgtp]?i?b?)\s*$`)

// ParseBytes reads sizes as Elasticsearch writes them: 50gb, 512mb, 1.5tb, 100 (bytes). Hand-written on purpose:
// Elasticsearch's units are binary with lower-case suffixes (1gb = 2^30), which the usual Go size libraries
// (go-humanize, units) read as decimal or spell differently; operators copy these values from ES settings.
func ParseBytes(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(strings.ToLower(s))
	if m == nil {
		return 0, i18n.Errorf("plan.size.bad", s)
	}
	f, _ := strconv.ParseFloat(m[1], 64)
	mult := map[byte]float64{'k': 1 << 10, 'm': 1 << 20, 'g': 1 << 30, 't': 1 << 40, 'p': 1 << 50}
	if u := strings.TrimSuffix(strings.TrimSuffix(m[2], "b"), "i"); u != "" {
		f *= mult[u[0]]
	}
	if f <= 0 {
		return 0, i18n.Errorf("plan.size.zero", s)
	}
	// 8192pb is 2^63 bytes: one more than an int64 holds, and converting it gives a negative number.
	if f >= math.MaxInt64 {
		return 0, i18n.Errorf("plan.size.large", s)
	}
	return int64(f), nil
}

var badNameChars = `\/*?"<>| ,#`

// ValidateSnapshotName applies Elasticsearch's rules for snapshot names before any request.
func ValidateSnapshotName(n string) error {
	switch {
	case n == "":
		return i18n.Errorf("name.empty")
	case strings.ToLower(n) != n:
		return i18n.Errorf("name.lower", n)
	case strings.ContainsAny(n, badNameChars):
		return i18n.Errorf("name.chars", n, badNameChars)
	case strings.HasPrefix(n, "_"):
		return i18n.Errorf("name.underscore", n)
	}
	return nil
}

// ValidateIndexName applies Elasticsearch's rules for index names (MetadataCreateIndexService
// .validateIndexOrAliasName): lower case, none of \ / * ? " < > | space , # :, not starting with _ - +, not . or
// .., at most 255 bytes. Names in any script are fine.
func ValidateIndexName(n string) error {
	switch {
	case n == "":
		return i18n.Errorf("name.empty")
	case strings.ToLower(n) != n:
		return i18n.Errorf("name.lower", n)
	case strings.ContainsAny(n, badNameChars+":"):
		return i18n.Errorf("name.chars", n, badNameChars+":")
	case strings.HasPrefix(n, "_") || strings.HasPrefix(n, "-") || strings.HasPrefix(n, "+"):
		return i18n.Errorf("name.start", n)
	case n == "." || n == "..":
		return i18n.Errorf("name.dots", n)
	case len(n) > 255:
		return i18n.Errorf("name.long", n)
	}
	return nil
}

// ValidateRepositoryName applies Elasticsearch's rules for repository names.
func ValidateRepositoryName(n string) error {
	switch {
	case n == "":
		return i18n.Errorf("name.repo.missing")
	case strings.ContainsAny(n, badNameChars):
		return i18n.Errorf("name.chars", n, badNameChars)
	case strings.HasPrefix(n, "_"):
		return i18n.Errorf("name.underscore", n)
	}
	return nil
}
