package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/esmigrate/esmigrate/i18n"
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
	batchesInFlight                    int
	targetRecoveryRate                 string
	allowTargetSettings                bool
	measureShares                      bool
	renamePattern, renameReplacement   string
	nfsServer, nfsExport               string
	maxSnapshotRate, maxRestoreRate    string
	copyBandwidth                      string
	deleteSnapshots                    bool
	acceptWarnings, allowTargetDelete  bool
	allowMetadataOverwrite             bool
	copyMetadata, reindexFromRemote    bool
	dryRun                             bool
	resuming                           bool
	lang                               string
	l                                  *i18n.Localizer // the commands' language (commandLang)
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
	"batch-max-size": "batch_max_size", "batches-in-flight": "batches_in_flight", "rename-pattern": "restore.rename_pattern", "rename-replacement": "restore.rename_replacement",
	"nfs-server": "nfs.server", "nfs-export": "nfs.export", "max-snapshot-bytes-per-sec": "repository.max_snapshot_bytes_per_sec",
	"max-restore-bytes-per-sec": "repository.max_restore_bytes_per_sec", "copy-bandwidth-limit": "copy.bandwidth_limit",
	"target-recovery-max-bytes-per-sec": "restore.target_recovery_max_bytes_per_sec",
}

func (f *clusterFlags) register(c *cobra.Command) {
	fl := c.Flags()
	t := f.l.T
	// A word in backquotes is the value's name in the help (--plan FILE).
	fl.StringVar(&f.planPath, "plan", "", t("flag.plan"))
	fl.StringVar(&f.source, "source", "", t("flag.source"))
	fl.StringVar(&f.target, "target", "", t("flag.target"))
	fl.StringVar(&f.sourceUser, "source-user", "", t("flag.source-user"))
	fl.StringVar(&f.targetUser, "target-user", "", t("flag.target-user"))
	fl.StringVar(&f.sourcePassword, "source-password", "", t("flag.source-password"))
	fl.StringVar(&f.targetPassword, "target-password", "", t("flag.target-password"))
	fl.StringVar(&f.sourceAPIKey, "source-api-key", "", t("flag.source-api-key"))
	fl.StringVar(&f.targetAPIKey, "target-api-key", "", t("flag.target-api-key"))
	fl.StringVar(&f.caCert, "ca-cert", "", t("flag.ca-cert"))
	fl.StringVar(&f.sourceCACert, "source-ca-cert", "", t("flag.source-ca-cert"))
	fl.StringVar(&f.targetCACert, "target-ca-cert", "", t("flag.target-ca-cert"))
	fl.BoolVar(&f.insecure, "insecure", false, t("flag.insecure"))
	fl.StringSliceVar(&f.indices, "indices", nil, t("flag.indices"))
	fl.StringSliceVar(&f.exclude, "exclude", nil, t("flag.exclude"))
	fl.StringVar(&f.repository, "repository", "", t("flag.repository"))
	fl.StringVar(&f.sourceLocation, "source-location", "", t("flag.source-location"))
	fl.StringVar(&f.targetLocation, "target-location", "", t("flag.target-location"))
	fl.StringVar(&f.sourceLocalPath, "source-local-path", "", t("flag.source-local-path"))
	fl.StringVar(&f.targetLocalPath, "target-local-path", "", t("flag.target-local-path"))
	fl.BoolVar(&f.shared, "shared", false, t("flag.shared"))
	fl.StringVar(&f.state, "state", "", t("flag.state"))
	fl.StringVar(&f.reportDir, "report-dir", "", t("flag.report-dir"))
	fl.StringVar(&f.batchMaxSize, "batch-max-size", "", t("flag.batch-max-size"))
	fl.IntVar(&f.batchesInFlight, "batches-in-flight", 0, t("flag.batches-in-flight"))
	fl.StringVar(&f.renamePattern, "rename-pattern", "", t("flag.rename-pattern"))
	fl.StringVar(&f.renameReplacement, "rename-replacement", "", t("flag.rename-replacement"))
	fl.StringVar(&f.maxSnapshotRate, "max-snapshot-bytes-per-sec", "", t("flag.max-snapshot-bytes-per-sec"))
	fl.StringVar(&f.maxRestoreRate, "max-restore-bytes-per-sec", "", t("flag.max-restore-bytes-per-sec"))
	fl.StringVar(&f.targetRecoveryRate, "target-recovery-max-bytes-per-sec", "", t("flag.target-recovery-max-bytes-per-sec"))
	fl.StringVar(&f.copyBandwidth, "copy-bandwidth-limit", "", t("flag.copy-bandwidth-limit"))
	fl.StringVar(&f.nfsServer, "nfs-server", "", t("flag.nfs-server"))
	fl.StringVar(&f.nfsExport, "nfs-export", "", t("flag.nfs-export"))
	fl.BoolVar(&f.deleteSnapshots, "delete-snapshots", false, t("flag.delete-snapshots"))
	fl.BoolVar(&f.copyMetadata, "copy-metadata", false, t("flag.copy-metadata"))
	fl.BoolVar(&f.reindexFromRemote, "reindex-from-remote", false, t("flag.reindex-from-remote"))
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
		"copy-bandwidth-limit": &p.Copy.BandwidthLimit, "target-recovery-max-bytes-per-sec": &p.Restore.TargetRecoveryMaxBytesPerSec}
	for flag, dst := range str {
		if ch(flag) {
			*dst = cmd.Flags().Lookup(flag).Value.String()
			mark(flag)
		}
	}
	if ch("shared") {
		p.Repository.Shared = f.shared
	}
	if ch("batches-in-flight") {
		p.BatchesInFlight = f.batchesInFlight
		mark("batches-in-flight")
	}
	if ch("delete-snapshots") {
		p.Cleanup.DeleteSnapshots = f.deleteSnapshots
	}
	if ch("copy-metadata") {
		p.Metadata.Copy = f.copyMetadata
	}
	if ch("reindex-from-remote") {
		p.Restore.ReindexFromRemote = f.reindexFromRemote
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
			return usageError{i18n.Errorf("cmd.password.noterminal", i18n.M("es.cluster.the."+role), user, env)}
		}
		fmt.Fprint(f.stderr, f.l.T("cmd.password.prompt", user, i18n.M("es.cluster.the."+role)))
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
