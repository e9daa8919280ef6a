//go:build !linux

package nfs

import (
	"context"
	"errors"
	"runtime"
)

// The shares are Linux mounts on Linux hosts (where Elasticsearch and NFS run): the checks of a local path and the
// repository copy read the Linux mount table and use Linux system calls. On other systems esmigrate still
// drives a migration with shared storage, generates the setup commands and checks the NFS server over the
// network; what needs the Linux host says so.

var errNotLinux = errors.New("this needs a Linux host that mounts the share (esmigrate runs on " + runtime.GOOS + " here): run it on an Elasticsearch node or a Linux jump host")

// CheckRepositoryPath cannot look at a share from a non-Linux host.
func CheckRepositoryPath(ctx context.Context, c PathCheck) []Result {
	return []Result{{ID: "repo.path", Title: "Repository path on this host", Status: Warn, Evidence: c.Path + ": not checked: " + errNotLinux.Error(),
		Fix: "run esmigrate on a Linux host that mounts the share to have it checked"}}
}

// CopyRepository needs a Linux host.
func CopyRepository(ctx context.Context, src, dst string, o CopyOptions) (CopyResult, error) {
	return CopyResult{}, errNotLinux
}

// ShareServer cannot read a mount table outside Linux.
func ShareServer(path string) (server, export string, ok bool) { return "", "", false }
