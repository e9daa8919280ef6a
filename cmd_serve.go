package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	gossh "golang.org/x/crypto/ssh"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/ui"
	"github.com/esmigrate/esmigrate/ui/serve"
)

// serveFlags are esmigrate serve's own flags (the cluster flags prefill the wizard, as for the wizard itself).
type serveFlags struct {
	listen, authorized, operators, hostKey string
	printUnit                              bool
}

// newServeCommand is `esmigrate serve`: the wizard over SSH for a team (package ui/serve).
func newServeCommand(f *clusterFlags) *cobra.Command {
	t := f.l.T
	sf := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: t("cmd.serve.short"),
		Long:  t("cmd.serve.long"),
		Example: `  esmigrate serve --operators ~/.esmigrate/operators --authorized-keys ~/.esmigrate/watchers \
    --source http://10.0.0.1:9200 --target http://10.0.1.1:9200 --state /var/lib/esmigrate/state.json
  esmigrate serve --print-systemd-unit --operators /etc/esmigrate/operators --state /var/lib/esmigrate/state.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, creds, err := f.resolve(cmd, false)
			if err != nil {
				return err
			}
			if p.StateFile, err = filepath.Abs(p.StateFile); err != nil {
				return err
			}
			if sf.printUnit {
				return printSystemdUnit(cmd.OutOrStdout(), cmd, sf, p.StateFile, f.l)
			}
			access, err := serve.CheckAccess(sf.authorized, sf.operators)
			if err != nil {
				return usageError{err}
			}
			keyPath := sf.hostKey
			if keyPath == "" {
				keyPath = serve.HostKeyPath(p.StateFile)
			}
			signer, created, err := serve.HostKey(keyPath)
			if err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(f.stderr, nil))
			if created {
				log.Info("made a new host key", "file", keyPath, "fingerprint", gossh.FingerprintSHA256(signer.PublicKey()))
			}
			// SIGINT and SIGTERM stop the server (the migration's state is saved; it goes on at the next start);
			// a hang-up of the terminal it was started from does not: the migration outlives the terminal.
			signal.Ignore(syscall.SIGHUP)
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serve.Serve(ctx, serve.Config{Listen: sf.listen, Access: access, HostKey: signer,
				Wizard:    ui.Options{Plan: p, Credentials: creds, Lang: f.l.Lang(), PlanPath: f.planPath},
				PauseFile: serve.PauseFileFor(p.StateFile), Log: log})
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&sf.listen, "listen", "127.0.0.1:2323", t("flag.serve.listen"))
	fl.StringVar(&sf.authorized, "authorized-keys", "", t("flag.serve.authorized-keys"))
	fl.StringVar(&sf.operators, "operators", "", t("flag.serve.operators"))
	fl.StringVar(&sf.hostKey, "host-key", "", t("flag.serve.host-key", serve.HostKeyName))
	fl.BoolVar(&sf.printUnit, "print-systemd-unit", false, t("flag.serve.print-systemd-unit"))
	return cmd
}

// printSystemdUnit writes a unit that runs esmigrate serve with the flags given here (no password among them:
// passwords go into the EnvironmentFile), as the user running this command, in the state file's directory.
func printSystemdUnit(out io.Writer, cmd *cobra.Command, sf *serveFlags, stateFile string, l *i18n.Localizer) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	exe, _ = filepath.EvalSymlinks(exe)
	u, err := user.Current()
	if err != nil {
		return err
	}
	args := []string{exe, "serve"}
	secret := map[string]bool{"source-password": true, "target-password": true, "source-api-key": true, "target-api-key": true}
	set := map[string]bool{}
	var bad []string
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		set[fl.Name] = true
		switch {
		case fl.Name == "print-systemd-unit":
		case secret[fl.Name]:
			bad = append(bad, "--"+fl.Name)
		default:
			for _, v := range flagValues(fl) {
				if isPathFlag(fl.Name) && v != "" {
					v, _ = filepath.Abs(v)
				}
				args = append(args, "--"+fl.Name+"="+systemdQuote(v))
			}
		}
	})
	if !set["state"] {
		args = append(args, "--state="+systemdQuote(stateFile))
	}
	if !set["listen"] {
		args = append(args, "--listen=127.0.0.1:2323")
	}
	if len(bad) > 0 {
		fmt.Fprintln(cmd.ErrOrStderr(), "esmigrate: "+l.T("serve.unit.secrets", strings.Join(bad, ", ")))
	}
	dir := filepath.Dir(stateFile)
	_, err = fmt.Fprintf(out, `# esmigrate serve as a systemd service. Install:
#   sudo tee /etc/systemd/system/esmigrate.service < this-file
#   sudo install -d -m 700 -o %[1]s %[2]s
#   sudo install -D -m 600 -o %[1]s /dev/null /etc/esmigrate/env
#     (then write the passwords into it, one per line: ES_SOURCE_PASSWORD=... and ES_TARGET_PASSWORD=...)
#   sudo systemctl daemon-reload && sudo systemctl enable --now esmigrate
#   journalctl -u esmigrate -f        # who attached, who drives, pauses; the host key's fingerprint
# Stopping the service saves the migration's state (Elasticsearch finishes what it started); starting it
# again goes on with the migration.
[Unit]
Description=esmigrate serve: the Elasticsearch migration wizard over SSH
Wants=network-online.target
After=network-online.target remote-fs.target

[Service]
Type=simple
User=%[1]s
WorkingDirectory=%[2]s
EnvironmentFile=-/etc/esmigrate/env
Environment=LANG=%[4]s
ExecStart=%[3]s
Restart=on-failure
RestartSec=5s
# SIGTERM: the server saves the state and stops following; give it time to write it.
KillMode=mixed
TimeoutStopSec=90s
NoNewPrivileges=yes
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
`, u.Username, systemdQuote(dir), strings.Join(args, " "), serviceLang())
	return err
}

// serviceLang is the locale the service runs in: this shell's when it takes UTF-8 (the operator's language,
// and what a session whose client sends no locale is drawn in), else C.UTF-8.
func serviceLang() string {
	for _, v := range []string{"LC_ALL", "LANG"} {
		if l := os.Getenv(v); l != "" && ui.DetectUTF8(func(string) string { return l }) && !strings.ContainsAny(l, " \t\"'$%") {
			return l
		}
	}
	return "C.UTF-8"
}

// isPathFlag tells the flags whose value is a file or directory (made absolute: a service has its own
// working directory).
func isPathFlag(name string) bool {
	switch name {
	case "authorized-keys", "operators", "host-key", "state", "report-dir", "plan", "ca-cert", "source-ca-cert", "target-ca-cert":
		return true
	}
	return false
}

// systemdQuote quotes a value for ExecStart when it needs it (spaces, quotes, $ and %).
func systemdQuote(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	s = strings.ReplaceAll(s, "$", "$$")
	if !strings.ContainsAny(s, " \t\"'\\") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// flagValues are a flag's values as given (one per value of a list flag).
func flagValues(fl *pflag.Flag) []string {
	if sv, ok := fl.Value.(pflag.SliceValue); ok {
		return sv.GetSlice()
	}
	return []string{fl.Value.String()}
}
