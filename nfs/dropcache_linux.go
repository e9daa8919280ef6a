package nfs

import (
	"os"

	"golang.org/x/sys/unix"
)

// dropCache asks the kernel to forget the file's pages. After an fsync every page is clean, so it can: the next
// read then comes from the disk or, on NFS, from the server. (O_DIRECT would do the same but needs aligned
// buffers and is refused by some filesystems; the advice is enough here.)
func dropCache(f *os.File) error {
	return unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
}
