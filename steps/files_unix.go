//go:build unix

package steps

import (
	"os"
	"syscall"
)

// oNoFollow makes open(2) fail on a symbolic link instead of following it.
const oNoFollow = syscall.O_NOFOLLOW

// singleLink tells whether an open file has one name only: a hard link planted at the lock's name would make
// the pid written into it land in another file.
func singleLink(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || st.Nlink <= 1
}
