package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/esmigrate/esmigrate/steps"
)

// clusterFlags are the flags shared by the commands that make a plan or connect to clusters.
type clusterFlags struct {
	planPath                           string
	source, target                     string
	sourceUser, targetUser             string
	sourcePassword, targetPassword     string
	sourceAPIKey, targetAPIKey         string
	caCert, sourceCACert, targetCACert string
	insecure                           bool
	indices, exclude                   []string
	repository                         string
	sourceLocation, targetLocation     string
	sourceLocalPath, targetLocalPath   string
	shared                             bool
	state                              string
	reportDir                          string
	batchMaxSize                       string
	renamePattern, renameReplacement   string
	nfsServer, nfsExport               string
	maxSnapshotRate, maxRestoreRate    string
	copyBandwidth                      string
	deleteSnapshots                    bool
	acceptWarnings, allowTargetDelete  bool
	dryRun                             bool
	resuming                           bool
	lang                               string
	stdin                              io.Reader
	stderr                             io.Writer
}

// planFlags maps the flags that set a plan field to that field's name in the plan file, so that a mistake in
// a value given as a flag names the flag, not a line of the file.
var planFlags = map[string]string{
	"source": "source.url", "target": "target.url", "source-user": "source.username", "target-user": "target.username",
	"ca-cert": "source.ca_cert", "source-ca-cert": "source.ca_cert", "target-ca-cert": "target.ca_cert",
	"indices": "indices", "exclude": "indices", "repository": "repository.name", "source-location": "repository.source_location",
	"target-location": "repository.target_location", "source-local-path": "repository.source_local_path",
	"target-local-path": "repository.target_local_path", "state": "state_file", "report-dir": "report_dir",
	"batch-max-size": "batch_max_size", "rename-pattern": "restore.rename_pattern", "rename-replacement": "restore.rename_replacement",
	"nfs-server": "nfs.server", "nfs-export": "nfs.export", "max-snapshot-bytes-per-sec": "repository.max_snapshot_bytes_per_sec",
	"max-restore-bytes-per-sec": "repository.max_restore_bytes_per_sec", "copy-bandwidth-limit": "copy.bandwidth_limit",
}

func (f *clusterFlags) register(c *cobra.Command, wizard bool) {
	fl := c.Flags()
	// A word in backquotes is the value's name in the help (--plan FILE).
	fl.StringVar(&f.planPath, "plan", "", "`FILE`: the plan (write one with esmigrate plan -o plan.yaml); flags and the environment override it")
	fl.StringVar(&f.source, "source", "", "`URL` of a source cluster node, e.g. http://10.0.0.1:9200 (env ES_SOURCE_URL)")
	fl.StringVar(&f.target, "target", "", "`URL` of a target cluster node (env ES_TARGET_URL)")
	fl.StringVar(&f.sourceUser, "source-user", "", "source user for basic authentication (env ES_SOURCE_USER)")
	fl.StringVar(&f.targetUser, "target-user", "", "target user (env ES_TARGET_USER)")
	fl.StringVar(&f.sourcePassword, "source-password", "", "source password (prefer ES_SOURCE_PASSWORD or the prompt: flags show in ps)")
	fl.StringVar(&f.targetPassword, "target-password", "", "target password (prefer ES_TARGET_PASSWORD or the prompt)")
	fl.StringVar(&f.sourceAPIKey, "source-api-key", "", "source API key (prefer ES_SOURCE_API_KEY)")
	fl.StringVar(&f.targetAPIKey, "target-api-key", "", "target API key (prefer ES_TARGET_API_KEY)")
	fl.StringVar(&f.caCert, "ca-cert", "", "`FILE`: PEM of the CA that signed both clusters' certificates")
	fl.StringVar(&f.sourceCACert, "source-ca-cert", "", "`FILE`: PEM of the source cluster's CA")
	fl.StringVar(&f.targetCACert, "target-ca-cert", "", "`FILE`: PEM of the target cluster's CA")
	fl.BoolVar(&f.insecure, "insecure", false, "do not verify TLS certificates (warned about on every run)")
	fl.StringSliceVar(&f.indices, "indices", nil, "indices or patterns to migrate (repeat or comma-separate)")
	fl.StringSliceVar(&f.exclude, "exclude", nil, "indices or patterns to leave out")
	fl.StringVar(&f.repository, "repository", "", "snapshot repository name (default esmigrate)")
	fl.StringVar(&f.sourceLocation, "source-location", "", "`DIR`: the repository as the source nodes see it (in path.repo)")
	fl.StringVar(&f.targetLocation, "target-location", "", "`DIR`: the repository as the target nodes see it (in path.repo)")
	fl.StringVar(&f.sourceLocalPath, "source-local-path", "", "`DIR`: where this host sees the source share (default: --source-location)")
	fl.StringVar(&f.targetLocalPath, "target-local-path", "", "`DIR`: where this host sees the target share (default: --target-location)")
	fl.BoolVar(&f.shared, "shared", false, "both clusters mount the same share: no copy, target repository read-only")
	fl.StringVar(&f.state, "state", "", "`FILE`: state file (default esmigrate-state.json); saved plans and scripts go next to it")
	fl.StringVar(&f.reportDir, "report-dir", "", "`DIR` where reports are written (default: current directory)")
	fl.StringVar(&f.batchMaxSize, "batch-max-size", "", "`SIZE`: primary data per batch, e.g. 50gb")
	fl.StringVar(&f.renamePattern, "rename-pattern", "", "restore under new names: regular expression, e.g. '(.+)'")
	fl.StringVar(&f.renameReplacement, "rename-replacement", "", "replacement, e.g. 'migrated-$1'")
	fl.StringVar(&f.maxSnapshotRate, "max-snapshot-bytes-per-sec", "", "`SIZE` per second each source node may write snapshots at, e.g. 100mb (default: Elasticsearch's)")
	fl.StringVar(&f.maxRestoreRate, "max-restore-bytes-per-sec", "", "`SIZE` per second each target node may restore at (default: Elasticsearch's)")
	fl.StringVar(&f.copyBandwidth, "copy-bandwidth-limit", "", "`SIZE` per second for the repository copy between shares, e.g. 100mb (default: unlimited)")
	fl.StringVar(&f.nfsServer, "nfs-server", "", "NFS server to check (host name or address)")
	fl.StringVar(&f.nfsExport, "nfs-export", "", "export path on the NFS server")
	fl.BoolVar(&f.deleteSnapshots, "delete-snapshots", false, "delete each batch's snapshot after it verified")
	if wizard {
		fl.StringVar(&f.lang, "lang", "", "language of the wizard: en or zh (default: from LANG/LC_ALL)")
	}
}

// plan builds the plan from a plan file (if given), then the environment, then flags (the most specific wins).
// The plan file is not checked on its own: flags and the environment may fill in what it leaves empty.
func (f *clusterFlags) plan(cmd *cobra.Command) (steps.Plan, error) {
	p, _, err := f.planAndSource(cmd)
	return p, err
}

// planAndSource is plan, with the plan file as read (to name the line of a field that turns out wrong) and the
// fields that flags or the environment set (whose mistakes name the flag instead).
func (f *clusterFlags) planAndSource(cmd *cobra.Command) (steps.Plan, *planOrigin, error) {
	p := steps.DefaultPlan()
	origin := &planOrigin{fromFlags: map[string]string{}}
	// The wizard may be given a plan file that does not exist yet: it is where "save plan" writes. Every other
	// command reads the file it is given, and a missing one is an error.
	wizardNewFile := false
	if cmd.Parent() == nil {
		if _, err := os.Lstat(f.planPath); errors.Is(err, os.ErrNotExist) {
			wizardNewFile = true
		}
	}
	if f.planPath != "" && !wizardNewFile {
		loaded, src, err := steps.ReadPlanFile(f.planPath)
		if err != nil {
			return p, origin, err
		}
		p, origin.file = loaded, src
	}
	set := func(dst *string, env, flag string) {
		if v := os.Getenv(env); v != "" && *dst == "" {
			*dst = v
			origin.fromFlags[planFlags[flag]] = env
		}
		if cmd.Flags().Changed(flag) {
			*dst = cmd.Flags().Lookup(flag).Value.String()
			origin.fromFlags[planFlags[flag]] = "--" + flag
		}
	}
	set(&p.Source.URL, "ES_SOURCE_URL", "source")
	set(&p.Target.URL, "ES_TARGET_URL", "target")
	set(&p.Source.Username, "ES_SOURCE_USER", "source-user")
	set(&p.Target.Username, "ES_TARGET_USER", "target-user")
	ch := cmd.Flags().Changed
	mark := func(flag string) { origin.fromFlags[planFlags[flag]] = "--" + flag }
	if ch("ca-cert") {
		p.Source.CACert, p.Target.CACert = f.caCert, f.caCert
		mark("ca-cert")
		origin.fromFlags["target.ca_cert"] = "--ca-cert"
	}
	if ch("source-ca-cert") {
		p.Source.CACert = f.sourceCACert
		mark("source-ca-cert")
	}
	if ch("target-ca-cert") {
		p.Target.CACert = f.targetCACert
		mark("target-ca-cert")
	}
	if ch("insecure") {
		p.Source.Insecure, p.Target.Insecure = f.insecure, f.insecure
	}
	if ch("indices") {
		p.Indices = splitAll(f.indices)
		mark("indices")
	}
	if ch("exclude") {
		p.Exclude = splitAll(f.exclude)
		mark("exclude")
	}
	str := map[string]*string{"repository": &p.Repository.Name, "source-location": &p.Repository.SourceLocation,
		"target-location": &p.Repository.TargetLocation, "source-local-path": &p.Repository.SourceLocal,
		"target-local-path": &p.Repository.TargetLocal, "state": &p.StateFile, "report-dir": &p.ReportDir,
		"batch-max-size": &p.BatchMaxSize, "rename-pattern": &p.Restore.RenamePattern,
		"rename-replacement": &p.Restore.RenameReplacement, "nfs-server": &p.NFS.Server, "nfs-export": &p.NFS.Export,
		"max-snapshot-bytes-per-sec": &p.Repository.MaxSnapshotBytesPerSec, "max-restore-bytes-per-sec": &p.Repository.MaxRestoreBytesPerSec,
		"copy-bandwidth-limit": &p.Copy.BandwidthLimit}
	for flag, dst := range str {
		if ch(flag) {
			*dst = cmd.Flags().Lookup(flag).Value.String()
			mark(flag)
		}
	}
	if ch("shared") {
		p.Repository.Shared = f.shared
	}
	if ch("delete-snapshots") {
		p.Cleanup.DeleteSnapshots = f.deleteSnapshots
	}
	return p, origin, nil
}

// planOrigin says where a plan's fields came from.
type planOrigin struct {
	file      *steps.PlanSource
	fromFlags map[string]string // plan field → the flag or variable that set it
}

// locate names the origin of a mistake in a field: the flag or variable that set it, else the plan file's line.
func (o *planOrigin) locate(err error) error {
	var pe *steps.PlanError
	if !errors.As(err, &pe) {
		return err
	}
	if by, ok := o.fromFlags[pe.Field]; ok {
		pe.File, pe.Line, pe.Field = "", 0, by+" ("+pe.Field+")"
		return err
	}
	if o.file != nil {
		return o.file.Locate(err)
	}
	return err
}

// resolve builds the plan and the credentials. strict validates the plan (the wizard accepts an incomplete one
// and asks for the rest), after flags and the environment applied.
func (f *clusterFlags) resolve(cmd *cobra.Command, strict bool) (steps.Plan, steps.Credentials, error) {
	p, origin, err := f.planAndSource(cmd)
	if err != nil {
		return p, steps.Credentials{}, err
	}
	if strict {
		if err := p.Validate(); err != nil {
			return p, steps.Credentials{}, origin.locate(err)
		}
	}
	creds, err := f.credentials(p, strict)
	return p, creds, err
}

// credentials: flags, then a password written into the plan's URL, then the variables the plan names, then (on a
// terminal) a prompt without echo.
func (f *clusterFlags) credentials(p steps.Plan, prompt bool) (steps.Credentials, error) {
	c := steps.CredentialsFromEnv(p)
	if f.sourcePassword != "" {
		c.SourcePassword = f.sourcePassword
	}
	if f.targetPassword != "" {
		c.TargetPassword = f.targetPassword
	}
	if f.sourceAPIKey != "" {
		c.SourceAPIKey = f.sourceAPIKey
	}
	if f.targetAPIKey != "" {
		c.TargetAPIKey = f.targetAPIKey
	}
	if !prompt {
		return c, nil
	}
	ask := func(role, user string, dst *string, env string) error {
		if user == "" || *dst != "" {
			return nil
		}
		if !term.IsTerminal(int(os.Stdin.Fd())) {
			return usageError{fmt.Errorf("the %s cluster's user %s needs a password: set %s (no terminal to ask on)", role, user, env)}
		}
		fmt.Fprintf(f.stderr, "Password for %s on the %s cluster (not echoed): ", user, role)
		b, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(f.stderr)
		if err != nil {
			return err
		}
		*dst = strings.TrimRight(string(b), "\r\n")
		return nil
	}
	if c.SourceAPIKey == "" {
		if err := ask("source", p.Source.Username, &c.SourcePassword, p.Source.PasswordEnv); err != nil {
			return c, err
		}
	}
	if c.TargetAPIKey == "" {
		if err := ask("target", p.Target.Username, &c.TargetPassword, p.Target.PasswordEnv); err != nil {
			return c, err
		}
	}
	return c, nil
}

func splitAll(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}
