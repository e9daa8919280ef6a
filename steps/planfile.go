package steps

import (
	"bytes"
	"strings"
	"text/template"

	"go.yaml.in/yaml/v3"
)

// planTemplate is plan.yaml with a comment on every field: the file is the documentation an operator has at
// hand on a jump host.
var planTemplate = template.Must(template.New("plan").Funcs(template.FuncMap{"y": yamlValue}).Parse(`# esmigrate plan: move indices from one cluster to another by snapshot and restore.
# Run it with:   esmigrate run --plan {{.File}}      (add --dry-run to only print the requests)
# Passwords and API keys are never written here: they are read from the variables named below.
version: 1

source:
  url: {{y .Source.URL}}             # a node of the old cluster (http:// or https://)
  username: {{y .Source.Username}}        # empty: no authentication
  password_env: {{y .Source.PasswordEnv}}  # variable holding the password
  api_key_env: {{y .Source.APIKeyEnv}}     # or: variable holding an API key (id:key, base64)
  ca_cert: {{y .Source.CACert}}           # PEM file of the CA that signed the cluster's certificate
  insecure: {{y .Source.Insecure}}         # true skips TLS verification (not recommended)

target:
  url: {{y .Target.URL}}
  username: {{y .Target.Username}}
  password_env: {{y .Target.PasswordEnv}}
  api_key_env: {{y .Target.APIKeyEnv}}
  ca_cert: {{y .Target.CACert}}
  insecure: {{y .Target.Insecure}}

repository:
  name: {{y .Repository.Name}}                 # snapshot repository name (registered on both clusters)
  source_location: {{y .Repository.SourceLocation}}  # the share as the source nodes mount it; must be in their path.repo
  target_location: {{y .Repository.TargetLocation}}  # the share as the target nodes mount it; must be in their path.repo
  shared: {{y .Repository.Shared}}               # true: both clusters mount the SAME share (no copy; target read-only)
  source_local_path: {{y .Repository.SourceLocal}}     # where THIS host sees the source share (default: source_location)
  target_local_path: {{y .Repository.TargetLocal}}     # where THIS host sees the target share (default: target_location)
  compress: {{y .Repository.Compress}}              # compress metadata files in the repository
  max_snapshot_bytes_per_sec: {{y .Repository.MaxSnapshotBytesPerSec}}  # throttle snapshots per node, e.g. 100mb (empty: Elasticsearch's default)
  max_restore_bytes_per_sec: {{y .Repository.MaxRestoreBytesPerSec}}   # throttle restores per node

# Indices to migrate: names or patterns (logs-*). Closed indices are left out and reported.
indices:{{range .Indices}}
  - {{y .}}{{else}} []{{end}}
exclude:{{range .Exclude}}
  - {{y .}}{{else}} []{{end}}
include_hidden: {{y .IncludeHidden}}   # let patterns match hidden indices
include_system: {{y .IncludeSystem}}   # let patterns match dot-indices (.kibana, .security...): usually NOT wanted
batch_max_size: {{y .BatchMaxSize}}   # primary data per batch (snapshot, copy, restore, verify, then the next)
batches_in_flight: {{y .InFlight}}   # 2: the next batch's snapshot runs while the previous one is copied, restored and verified; 1: one after the other
snapshot_prefix: {{y .SnapshotName}}

restore:
  rename_pattern: {{y .Restore.RenamePattern}}       # e.g. "(.+)" with rename_replacement "migrated-$1"
  rename_replacement: {{y .Restore.RenameReplacement}}
  replicas_during_restore: {{y .Restore.ReplicasDuringRestore}}   # 0 restores fastest; -1 keeps the snapshot's value
  restore_replicas: {{y .Restore.RestoreReplicas}}         # put each index's original number_of_replicas back after verification
  include_aliases: {{y .Restore.IncludeAliases}}
  include_global_state: {{y .Restore.IncludeGlobalState}}     # true overwrites the target's templates and settings: usually NOT wanted
  target_recovery_max_bytes_per_sec: {{y .Restore.TargetRecoveryMaxBytesPerSec}}   # the target's indices.recovery.max_bytes_per_sec during the migration (empty: untouched); needs --allow-target-settings; put back at the end
  ignore_index_settings:{{range .Restore.IgnoreIndexSettings}}
    - {{y .}}{{else}} []{{end}}
  # Restored indices keep index.lifecycle.name, and their age counts from their creation: a lifecycle policy may
  # delete or roll them over at once. Either list the lifecycle settings above (index.lifecycle.name,
  # index.lifecycle.rollover_alias, ...), or stop ILM on the target before the first restore (it stays stopped):
  pause_ilm: {{y .Restore.PauseILM}}
  # Indices the target cannot restore (created two majors back; Elasticsearch 7.11+ into OpenSearch): true moves
  # them by _reindex from remote (the target pulls them; its reindex.remote.whitelist must name the source),
  # verified by count; false refuses them in the pre-flight.
  reindex_from_remote: {{y .Restore.ReindexFromRemote}}

# Templates, ingest pipelines, lifecycle policies (ILM; ISM on OpenSearch) and stored scripts: copied one by one
# through their own APIs before the first restore, never with include_global_state (which replaces the target's
# templates, pipelines, policies and license wholesale). Items are named kind/name: legacy_template,
# index_template, component_template, ingest_pipeline, ilm_policy, ism_policy, stored_script; * is a wildcard.
metadata:
  copy: {{y .Metadata.Copy}}            # true: copy what the selected indices use (templates that match them, their pipelines, their policy)
  include:{{range .Metadata.Include}}
    - {{y .}}{{else}} []{{end}}           # more items to copy, e.g. ingest_pipeline/*
  exclude:{{range .Metadata.Exclude}}
    - {{y .}}{{else}} []{{end}}           # items not to copy (wins over include and use)
  on_conflict: {{if .Metadata.OnConflict}}{{y .Metadata.OnConflict}}{{else}}skip{{end}}     # an item that differs on the target: skip (keep the target's) or overwrite (needs --allow-metadata-overwrite)
  overwrite:{{range .Metadata.Overwrite}}
    - {{y .}}{{else}} []{{end}}         # conflicts to overwrite although on_conflict is skip (needs --allow-metadata-overwrite)

copy:                    # only used when shared is false
  workers: {{y .Copy.Workers}}
  bandwidth_limit: {{y .Copy.BandwidthLimit}}     # bytes per second, e.g. 100mb (empty: unlimited)

cleanup:
  delete_snapshots: {{y .Cleanup.DeleteSnapshots}}          # after each batch whose indices all verified
  delete_copied_files: {{y .Cleanup.DeleteCopiedFiles}}       # at the end, when every index verified; needs --allow-delete-target
  unregister_repositories: {{y .Cleanup.UnregisterRepositories}}   # at the end, when every index verified (files stay)

verify: {{y .Verify}}               # count: document counts only; seqno: also sequence numbers (sees any write after the snapshot); content: also every document's id, routing and _source (reads everything twice)
on_conflict: {{y .OnConflict}}          # fail: stop before any snapshot if a target index exists; delete: delete it (needs --allow-delete-target)
poll_interval: {{y .PollInterval}}
state_file: {{y .StateFile}}   # progress, for esmigrate resume
report_dir: {{y .ReportDir}}
{{- if .NFS.Server}}

nfs:
  server: {{y .NFS.Server}}
  export: {{y .NFS.Export}}
  mount_point: {{y .NFS.MountPoint}}
  uid: {{y .NFS.UID}}
  gid: {{y .NFS.GID}}
  clients:{{range .NFS.Clients}}
    - {{y .}}{{else}} []{{end}}
{{- end}}
`))

func yamlValue(v any) string {
	if d, ok := v.(Duration); ok {
		return d.String()
	}
	b, err := yaml.Marshal(v)
	if err != nil {
		return `""`
	}
	s := strings.TrimSpace(string(b))
	if s == "" || s == "null" {
		return `""`
	}
	return s
}

// YAML renders the plan as a commented plan file that ParsePlan reads back. A user and password written into
// a URL are never written out: the URL is written without them (the user goes to username).
func (p Plan) YAML() []byte { return p.YAMLFor("") }

// YAMLFor renders the plan for the file it is saved as (named in the "Run it with" line; "" when it goes to
// standard output).
func (p Plan) YAMLFor(file string) []byte {
	for _, c := range []*ClusterPlan{&p.Source, &p.Target} {
		clean, user, _, _ := SplitURLCredentials(c.URL)
		if c.Username == "" {
			c.Username = user
		}
		c.URL = clean
	}
	if file == "" {
		file = "plan.yaml"
	}
	var b bytes.Buffer
	if err := planTemplate.Execute(&b, struct {
		Plan
		File string
	}{p, file}); err != nil {
		panic(err) // the template is fixed; a failure is a bug caught by the tests
	}
	return b.Bytes()
}
