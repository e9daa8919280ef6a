//go:build !unix

package serve

import "os"

// oNoFollow: Windows has no O_NOFOLLOW; the Lstat before the host key is read or made stands in for it there.
const oNoFollow = 0

func isLinkErr(error) bool { return false }

// privateTo: Windows keeps access in ACLs, not in the mode bits; the key's directory is the operator's to guard.
func privateTo(os.FileInfo) (ownerOK, modeOK bool, uid int) { return true, true, 0 }
