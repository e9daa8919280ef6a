//go:build unix

package serve

import (
	"errors"
	"os"
	"syscall"
)

// oNoFollow makes open(2) fail on a symbolic link instead of following it.
const oNoFollow = syscall.O_NOFOLLOW

// isLinkErr tells whether an open with oNoFollow failed because the path is a symbolic link.
func isLinkErr(err error) bool { return err != nil && errors.Is(err, syscall.ELOOP) }

// privateTo tells whether a key file is this user's own and readable by nobody else (what sshd asks of a host
// key); otherwise why not, with the owner's uid.
func privateTo(fi os.FileInfo) (ownerOK, modeOK bool, uid int) {
	uid = os.Geteuid()
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		uid = int(st.Uid)
	}
	return uid == os.Geteuid(), fi.Mode().Perm()&0o077 == 0, uid
}
