//go:build !linux

package nfs

import (
	"context"
	"runtime"

	"github.com/esmigrate/esmigrate/i18n"
)

// The shares are Linux mounts on Linux hosts (where Elasticsearch and NFS run): the checks of a local path and the
// repository copy read the Linux mount table and use Linux system calls. On other systems esmigrate still
// drives a migration with shared storage, generates the setup commands and checks the NFS server over the
// network; what needs the Linux host says so.

var errNotLinux = i18n.Errorf("nfs.notlinux", runtime.GOOS)

// CheckRepositoryPath cannot look at a share from a non-Linux host.
func CheckRepositoryPath(ctx context.Context, c PathCheck) []Result {
	r := newResult("repo.path")
	r.say(Warn, i18n.M("nfs.notlinux.path", c.Path, errNotLinux), i18n.M("nfs.notlinux.fix"))
	return []Result{r}
}

// CopyRepository needs a Linux host.
func CopyRepository(ctx context.Context, src, dst string, o CopyOptions) (CopyResult, error) {
	return CopyResult{}, errNotLinux
}

// ShareServer cannot read a mount table outside Linux.
func ShareServer(path string) (server, export string, ok bool) { return "", "", false }

// FreeBytes is not known on this system.
func FreeBytes(ctx context.Context, path string) (int64, error) {
	return 0, i18n.Errorf("nfs.freespace.linuxonly")
}
