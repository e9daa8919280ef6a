// Command esmigrate moves indices from an old Elasticsearch cluster to a new one by snapshot and restore over a
// shared-filesystem (NFS) repository: as a terminal wizard (esmigrate), or headless from a plan file
// (esmigrate run --plan plan.yaml).
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/esmigrate/esmigrate/nfs"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui"
)

// Set by the release build (-ldflags "-X main.version=... -X main.commit=... -X main.date=...").
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

// Exit codes: 0 every index verified; 1 error; 2 bad usage or input; 3 stopped (resume later).
const (
	exitError   = 1
	exitUsage   = 2
	exitStopped = 3
)

func main() {
	os.Exit(execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// flags shared by the commands that connect to clusters.
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
	deleteSnapshots                    bool
	acceptWarnings, allowTargetDelete  bool
	dryRun                             bool
	lang                               string
	stdin                              io.Reader
	stderr                             io.Writer
}

func execute(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f := &clusterFlags{stdin: stdin, stderr: stderr}
	root := &cobra.Command{
		Use:   "esmigrate",
		Short: "Move Elasticsearch indices to a new cluster by snapshot and restore over NFS",
		Long: `esmigrate walks you through moving indices from an old Elasticsearch cluster to a new one by snapshot
and restore over a shared-filesystem (NFS) repository: connect, pre-flight checks, NFS setup commands,
repositories, index selection, snapshot, copy, restore, verification and clean-up.

Without a command it starts the wizard. Connection settings come from flags, from the environment
(ES_SOURCE_URL, ES_SOURCE_USER, ES_SOURCE_PASSWORD, ES_SOURCE_API_KEY, and the same with TARGET),
or from a plan file. Passwords are never echoed, stored or logged.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, creds, err := f.resolve(cmd, false)
			if err != nil {
				return err
			}
			if !term.IsTerminal(int(os.Stdin.Fd())) || !term.IsTerminal(int(os.Stdout.Fd())) {
				return usageError{errors.New("the wizard needs a terminal; over SSH use `ssh -t`, or run headless with `esmigrate run --plan plan.yaml`")}
			}
			ctx, stop := signalContext()
			defer stop()
			return ui.Run(ctx, ui.Options{Plan: p, Credentials: creds, Lang: f.lang, PlanPath: f.planPath})
		},
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	f.register(root, true)

	run := &cobra.Command{
		Use:   "run",
		Short: "Run a migration headless from a plan file, with line-by-line progress",
		Long: `Runs the whole procedure from a plan file without a terminal UI: progress goes to standard output one
line per event, so it works in CI, under nohup and over a plain SSH session. The exit code is 0 only when every
index verified. If it stops (Ctrl-C, hang-up, a failure), run it again or use 'esmigrate resume': it continues
where it stopped.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.planPath == "" {
				return usageError{errors.New("--plan is required (write one with `esmigrate plan > plan.yaml`)")}
			}
			p, creds, err := f.resolve(cmd, true)
			if err != nil {
				return err
			}
			return runHeadless(cmd.OutOrStdout(), p, creds, f)
		},
	}
	f.register(run, false)
	run.Flags().BoolVar(&f.dryRun, "dry-run", false, "print every request that would change something, as curl commands, and send none")
	run.Flags().BoolVar(&f.acceptWarnings, "accept-warnings", false, "start although pre-flight checks warned (failures always stop)")
	run.Flags().BoolVar(&f.allowTargetDelete, "allow-delete-target", false, "with on_conflict: delete, allow deleting existing TARGET indices in the way")

	resume := &cobra.Command{
		Use:   "resume",
		Short: "Continue a migration that stopped, from its state file",
		Long: `Reads the state file (default esmigrate-state.json), which holds the plan, and goes on: a snapshot or a
restore still running in Elasticsearch is followed, not started again; finished phases are not redone.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := f.state
			if path == "" {
				path = "esmigrate-state.json"
			}
			st, err := steps.ReadState(path)
			if errors.Is(err, steps.ErrNoState) {
				return usageError{fmt.Errorf("no state file at %s: give it with --state, or start with `esmigrate run --plan`", path)}
			}
			if err != nil {
				return err
			}
			p := st.Plan
			p.StateFile = path
			creds, err := f.credentials(p, true)
			if err != nil {
				return err
			}
			f.acceptWarnings = true // the pre-flight ran before the first start
			return runHeadless(cmd.OutOrStdout(), p, creds, f)
		},
	}
	resume.Flags().StringVar(&f.state, "state", "", "state file of the migration (default esmigrate-state.json)")
	resume.Flags().StringVar(&f.sourcePassword, "source-password", "", "source password (prefer ES_SOURCE_PASSWORD: flags show in ps)")
	resume.Flags().StringVar(&f.targetPassword, "target-password", "", "target password (prefer ES_TARGET_PASSWORD)")
	resume.Flags().BoolVar(&f.allowTargetDelete, "allow-delete-target", false, "with on_conflict: delete, allow deleting existing TARGET indices in the way")

	plan := &cobra.Command{
		Use:   "plan",
		Short: "Write a commented plan.yaml from flags (to standard output)",
		Example: `  esmigrate plan --source http://old:9200 --target http://new:9200 \
    --source-location /opt/data/es_backup --target-location /opt/data/es_backup --shared \
    --indices 'logs-*' --indices articles > plan.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := f.plan(cmd)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(p.YAML())
			return err
		},
	}
	f.register(plan, false)

	nfsCmd := &cobra.Command{
		Use:   "nfs-setup",
		Short: "Print the commands that set up the NFS share for the repository (nothing is run)",
		Long: `Prints a shell script with the commands for the NFS server and for every Elasticsearch node: packages,
/etc/exports, exportfs -ra, mount, /etc/fstab, path.repo in elasticsearch.yml and the restart. Nothing is run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			spec := nfs.SetupSpec{Server: nfsServer, ExportPath: nfsExportPath, Clients: nfsClients, MountPoint: nfsMount,
				UID: nfsUID, GID: nfsGID, NFSVersion: nfsVersion}
			if err := spec.Validate(); err != nil {
				return usageError{err}
			}
			d := nfs.Distro(nfsDistro)
			if nfsDistro == "" {
				d = nfs.DetectDistro("")
			}
			if d != nfs.RHEL && d != nfs.Debian {
				return usageError{fmt.Errorf("--distro %q: use rhel (RHEL, CentOS, Rocky, Alma) or debian (Debian, Ubuntu)", nfsDistro)}
			}
			_, err := io.WriteString(cmd.OutOrStdout(), nfs.GenerateSetup(spec, d).Script())
			return err
		},
	}
	nfsCmd.Flags().StringVar(&nfsServer, "server", "", "NFS server host (e.g. 192.168.1.10)")
	nfsCmd.Flags().StringVar(&nfsExportPath, "export", "/opt/data/es_backup", "directory exported by the server")
	nfsCmd.Flags().StringSliceVar(&nfsClients, "client", nil, "an Elasticsearch node (repeat for each node)")
	nfsCmd.Flags().StringVar(&nfsMount, "mount-point", "", "where the nodes mount it (default: the export path); goes into path.repo")
	nfsCmd.Flags().IntVar(&nfsUID, "uid", 1000, "uid Elasticsearch runs as (the same on every node)")
	nfsCmd.Flags().IntVar(&nfsGID, "gid", 1000, "gid Elasticsearch runs as")
	nfsCmd.Flags().StringVar(&nfsVersion, "nfs-version", "4.1", "NFS version to mount")
	nfsCmd.Flags().StringVar(&nfsDistro, "distro", "", "rhel or debian (default: this host's)")

	ver := &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "esmigrate %s (commit %s, built %s, %s %s/%s)\n", version, commit, date, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		},
	}
	root.AddCommand(run, resume, plan, nfsCmd, ver)

	err := root.Execute()
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "esmigrate:", err)
	var ue usageError
	var stop *steps.StoppedError
	var pe *steps.PlanError
	switch {
	case errors.As(err, &stop):
		return exitStopped
	case errors.As(err, &ue), errors.As(err, &pe), isCobraUsage(err):
		return exitUsage
	}
	return exitError
}

var (
	nfsServer, nfsExportPath, nfsMount, nfsVersion, nfsDistro string
	nfsClients                                                []string
	nfsUID, nfsGID                                            int
)

type usageError struct{ error }

func isCobraUsage(err error) bool {
	s := err.Error()
	return strings.HasPrefix(s, "unknown flag") || strings.HasPrefix(s, "unknown command") || strings.Contains(s, "flag needs an argument") ||
		strings.HasPrefix(s, "invalid argument")
}

func (f *clusterFlags) register(c *cobra.Command, wizard bool) {
	fl := c.Flags()
	fl.StringVar(&f.planPath, "plan", "", "plan file (see `esmigrate plan`)")
	fl.StringVar(&f.source, "source", "", "URL of a source cluster node, e.g. http://10.0.0.1:9200 (env ES_SOURCE_URL)")
	fl.StringVar(&f.target, "target", "", "URL of a target cluster node (env ES_TARGET_URL)")
	fl.StringVar(&f.sourceUser, "source-user", "", "source user for basic authentication (env ES_SOURCE_USER)")
	fl.StringVar(&f.targetUser, "target-user", "", "target user (env ES_TARGET_USER)")
	fl.StringVar(&f.sourcePassword, "source-password", "", "source password (prefer ES_SOURCE_PASSWORD or the prompt: flags show in ps)")
	fl.StringVar(&f.targetPassword, "target-password", "", "target password (prefer ES_TARGET_PASSWORD or the prompt)")
	fl.StringVar(&f.sourceAPIKey, "source-api-key", "", "source API key (prefer ES_SOURCE_API_KEY)")
	fl.StringVar(&f.targetAPIKey, "target-api-key", "", "target API key (prefer ES_TARGET_API_KEY)")
	fl.StringVar(&f.caCert, "ca-cert", "", "PEM file of the CA that signed both clusters' certificates")
	fl.StringVar(&f.sourceCACert, "source-ca-cert", "", "PEM file of the source cluster's CA")
	fl.StringVar(&f.targetCACert, "target-ca-cert", "", "PEM file of the target cluster's CA")
	fl.BoolVar(&f.insecure, "insecure", false, "do not verify TLS certificates (warned about on every run)")
	fl.StringSliceVar(&f.indices, "indices", nil, "indices or patterns to migrate (repeat or comma-separate)")
	fl.StringSliceVar(&f.exclude, "exclude", nil, "indices or patterns to leave out")
	fl.StringVar(&f.repository, "repository", "", "snapshot repository name (default esmigrate)")
	fl.StringVar(&f.sourceLocation, "source-location", "", "repository directory as the source nodes see it (in path.repo)")
	fl.StringVar(&f.targetLocation, "target-location", "", "repository directory as the target nodes see it (in path.repo)")
	fl.StringVar(&f.sourceLocalPath, "source-local-path", "", "where this host sees the source share (default: --source-location)")
	fl.StringVar(&f.targetLocalPath, "target-local-path", "", "where this host sees the target share (default: --target-location)")
	fl.BoolVar(&f.shared, "shared", false, "both clusters mount the same share: no copy, target repository read-only")
	fl.StringVar(&f.state, "state", "", "state file (default esmigrate-state.json)")
	fl.StringVar(&f.reportDir, "report-dir", "", "where reports are written (default: current directory)")
	fl.StringVar(&f.batchMaxSize, "batch-max-size", "", "primary data per batch, e.g. 50gb")
	fl.StringVar(&f.renamePattern, "rename-pattern", "", "restore under new names: regular expression, e.g. '(.+)'")
	fl.StringVar(&f.renameReplacement, "rename-replacement", "", "replacement, e.g. 'migrated-$1'")
	fl.StringVar(&f.nfsServer, "nfs-server", "", "NFS server to check (host name or address)")
	fl.StringVar(&f.nfsExport, "nfs-export", "", "export path on the NFS server")
	fl.BoolVar(&f.deleteSnapshots, "delete-snapshots", false, "delete each batch's snapshot after it verified")
	if wizard {
		fl.StringVar(&f.lang, "lang", "", "language of the wizard: en or zh (default: from LANG/LC_ALL)")
	}
}

// plan builds the plan from a plan file (if given), then the environment, then flags (the most specific wins).
func (f *clusterFlags) plan(cmd *cobra.Command) (steps.Plan, error) {
	p := steps.DefaultPlan()
	if f.planPath != "" {
		if _, err := os.Stat(f.planPath); err == nil || cmd.Name() == "run" {
			loaded, err := steps.LoadPlan(f.planPath)
			if err != nil {
				return p, err
			}
			p = loaded
		}
	}
	set := func(dst *string, env, flag string) {
		if v := os.Getenv(env); v != "" && *dst == "" {
			*dst = v
		}
		if cmd.Flags().Changed(flag) {
			*dst = cmd.Flags().Lookup(flag).Value.String()
		}
	}
	set(&p.Source.URL, "ES_SOURCE_URL", "source")
	set(&p.Target.URL, "ES_TARGET_URL", "target")
	set(&p.Source.Username, "ES_SOURCE_USER", "source-user")
	set(&p.Target.Username, "ES_TARGET_USER", "target-user")
	ch := cmd.Flags().Changed
	if ch("ca-cert") {
		p.Source.CACert, p.Target.CACert = f.caCert, f.caCert
	}
	if ch("source-ca-cert") {
		p.Source.CACert = f.sourceCACert
	}
	if ch("target-ca-cert") {
		p.Target.CACert = f.targetCACert
	}
	if ch("insecure") {
		p.Source.Insecure, p.Target.Insecure = f.insecure, f.insecure
	}
	if ch("indices") {
		p.Indices = splitAll(f.indices)
	}
	if ch("exclude") {
		p.Exclude = splitAll(f.exclude)
	}
	str := map[string]*string{"repository": &p.Repository.Name, "source-location": &p.Repository.SourceLocation,
		"target-location": &p.Repository.TargetLocation, "source-local-path": &p.Repository.SourceLocal,
		"target-local-path": &p.Repository.TargetLocal, "state": &p.StateFile, "report-dir": &p.ReportDir,
		"batch-max-size": &p.BatchMaxSize, "rename-pattern": &p.Restore.RenamePattern,
		"rename-replacement": &p.Restore.RenameReplacement, "nfs-server": &p.NFS.Server, "nfs-export": &p.NFS.Export}
	for flag, dst := range str {
		if ch(flag) {
			*dst = cmd.Flags().Lookup(flag).Value.String()
		}
	}
	if ch("shared") {
		p.Repository.Shared = f.shared
	}
	if ch("delete-snapshots") {
		p.Cleanup.DeleteSnapshots = f.deleteSnapshots
	}
	return p, nil
}

// resolve builds the plan and the credentials. strict validates the plan (the wizard accepts an incomplete one
// and asks for the rest).
func (f *clusterFlags) resolve(cmd *cobra.Command, strict bool) (steps.Plan, steps.Credentials, error) {
	p, err := f.plan(cmd)
	if err != nil {
		return p, steps.Credentials{}, err
	}
	if strict {
		if err := p.Validate(); err != nil {
			return p, steps.Credentials{}, err
		}
	}
	creds, err := f.credentials(p, strict)
	return p, creds, err
}

// credentials: flags, then the variables the plan names, then (on a terminal) a prompt without echo.
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

// signalContext is cancelled by Ctrl-C, SIGTERM or a hang-up (a dropped SSH session): the engine then saves its
// state and stops following; Elasticsearch finishes what it started.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
}

// runHeadless drives the engine with line-by-line output.
func runHeadless(out io.Writer, p steps.Plan, creds steps.Credentials, f *clusterFlags) error {
	w := bufio.NewWriter(out)
	lines := make(chan string, 1024)
	done := make(chan struct{})
	go func() {
		// A writer of its own: a slow or gone terminal must not block the engine.
		for l := range lines {
			w.WriteString(l + "\n")
			w.Flush()
		}
		close(done)
	}()
	if p.Source.Insecure || p.Target.Insecure {
		fmt.Fprintln(f.stderr, "esmigrate: WARNING: --insecure: TLS certificates are not verified")
	}
	eng, err := steps.New(p, steps.Options{
		Credentials: creds, DryRun: f.dryRun, AcceptWarnings: f.acceptWarnings, AllowTargetDelete: f.allowTargetDelete,
		OnEvent: func(e steps.Event) {
			line := e.Time.Format("15:04:05") + " " + e.String()
			if e.Kind == steps.KindRequest && f.dryRun {
				line = "# " + e.Message + "\n" + e.Curl
			}
			if e.Kind != steps.KindProgress {
				lines <- line // requests, checks, errors: every one is printed
				return
			}
			select {
			case lines <- line:
			default: // a progress line may be dropped rather than hold the engine up (the next one follows)
			}
		},
	})
	if err != nil {
		close(lines)
		<-done
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	rep, err := eng.Run(ctx)
	close(lines)
	<-done
	if rep != nil && rep.Markdown != "" {
		fmt.Fprintf(out, "\n%d verified, %d mismatched, %d failed, %d pending. Report: %s\n", rep.Verified, rep.Mismatched, rep.Failed, rep.Pending, rep.Markdown)
	}
	return err
}
