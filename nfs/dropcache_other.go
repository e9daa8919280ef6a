//go:build !linux

package nfs

import (
	"errors"
	"os"
)

// dropCache is Linux's (posix_fadvise): elsewhere the read-back figure is the page cache's, and ShareSpeed says
// so with CacheDrop false.
func dropCache(f *os.File) error { return errors.New("cannot drop the page cache on this system") }
