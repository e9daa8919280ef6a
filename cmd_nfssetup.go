package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/esmigrate/esmigrate/nfs"
	"github.com/esmigrate/esmigrate/steps"
)

// newNFSSetupCommand is `esmigrate nfs-setup`: the NFS and path.repo commands as a script.
func newNFSSetupCommand() *cobra.Command {
	var (
		spec           nfs.SetupSpec
		distro, output string
	)
	cmd := &cobra.Command{
		Use:   "nfs-setup",
		Short: "Write the script that sets up the NFS share for the repository (nothing is run)",
		Long: `Writes a shell script with the commands for the NFS server and for every Elasticsearch node: packages,
/etc/exports, exportfs -ra, mount, /etc/fstab, path.repo in elasticsearch.yml and the restart. Nothing is run:
copy the script to each host and run it there as its text says (bash esmigrate-nfs-setup.sh server|client).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := spec.Validate(); err != nil {
				return usageError{err}
			}
			d := nfs.Distro(distro)
			if distro == "" {
				d = nfs.DetectDistro("")
			}
			if d != nfs.RHEL && d != nfs.Debian {
				return usageError{fmt.Errorf("--distro %q: use rhel (RHEL, CentOS, Rocky, Alma) or debian (Debian, Ubuntu)", distro)}
			}
			setup := nfs.GenerateSetup(spec, d)
			if output == "-" {
				_, err := io.WriteString(cmd.OutOrStdout(), setup.Script())
				return err
			}
			// The file the script's own text tells you to run: it names itself.
			name, err := steps.SaveNew(output, func(name string) []byte { return []byte(setup.ScriptFor(name)) })
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: read it, copy it to each host, and run there as root:\n  bash %s server   (on %s)\n  bash %s client   (on each Elasticsearch node)\n",
				name, name, spec.Server, name)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&spec.Server, "server", "", "NFS server host (e.g. 192.168.1.10)")
	fl.StringVar(&spec.ExportPath, "export", "/opt/data/es_backup", "directory exported by the server")
	fl.StringSliceVar(&spec.Clients, "client", nil, "an Elasticsearch node (repeat for each node)")
	fl.StringVar(&spec.MountPoint, "mount-point", "", "where the nodes mount it (default: the export path); goes into path.repo")
	fl.IntVar(&spec.UID, "uid", 1000, "uid Elasticsearch runs as (the same on every node)")
	fl.IntVar(&spec.GID, "gid", 1000, "gid Elasticsearch runs as")
	fl.StringVar(&spec.NFSVersion, "nfs-version", "4.1", "NFS version to mount")
	fl.StringVar(&distro, "distro", "", "rhel or debian (default: this host's)")
	fl.StringVarP(&output, "output", "o", nfs.ScriptName, "`FILE` to write the script to (never overwritten: a numbered name instead); - for standard output")
	return cmd
}
