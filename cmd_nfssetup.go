package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/nfs"
	"github.com/esmigrate/esmigrate/steps"
)

// newNFSSetupCommand is `esmigrate nfs-setup`: the NFS and path.repo commands as a script.
func newNFSSetupCommand(l *i18n.Localizer) *cobra.Command {
	t := l.T
	var (
		spec           nfs.SetupSpec
		distro, output string
	)
	cmd := &cobra.Command{
		Use:   "nfs-setup",
		Short: t("cmd.nfs-setup.short"),
		Long:  t("cmd.nfs-setup.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := spec.Validate(); err != nil {
				return usageError{err}
			}
			d := nfs.Distro(distro)
			if distro == "" {
				d = nfs.DetectDistro("")
			}
			if d != nfs.RHEL && d != nfs.Debian {
				return usageError{i18n.Errorf("cmd.nfssetup.distro", distro)}
			}
			setup := nfs.GenerateSetup(spec, d)
			if output == "-" {
				_, err := io.WriteString(cmd.OutOrStdout(), setup.ScriptIn(nfs.ScriptName, l))
				return err
			}
			// The file the script's own text tells you to run: it names itself.
			name, err := steps.SaveNew(output, func(name string) []byte { return []byte(setup.ScriptIn(name, l)) })
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), t("cmd.nfssetup.wrote", name, spec.Server))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&spec.Server, "server", "", t("flag.nfs-setup.server"))
	fl.StringVar(&spec.ExportPath, "export", "/opt/data/es_backup", t("flag.nfs-setup.export"))
	fl.StringSliceVar(&spec.Clients, "client", nil, t("flag.nfs-setup.client"))
	fl.StringVar(&spec.MountPoint, "mount-point", "", t("flag.nfs-setup.mount-point"))
	fl.IntVar(&spec.UID, "uid", 1000, t("flag.nfs-setup.uid"))
	fl.IntVar(&spec.GID, "gid", 1000, t("flag.nfs-setup.gid"))
	fl.StringVar(&spec.NFSVersion, "nfs-version", "4.1", t("flag.nfs-setup.nfs-version"))
	fl.StringVar(&distro, "distro", "", t("flag.nfs-setup.distro"))
	fl.StringVarP(&output, "output", "o", nfs.ScriptName, t("flag.nfs-setup.output"))
	return cmd
}
