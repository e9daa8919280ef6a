//go:build !unix

package steps

import "os"

// oNoFollow: Windows has no O_NOFOLLOW; refuseLink's Lstat before every write stands in for it there.
const oNoFollow = 0

func singleLink(os.FileInfo) bool { return true }
