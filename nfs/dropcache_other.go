//go:build !linux

package nfs

import (
	"os"

	"github.com/esmigrate/esmigrate/i18n"
)

// dropCache is Linux's (posix_fadvise): elsewhere the read-back figure is the page cache's, and ShareSpeed says
// so with CacheDrop false.
func dropCache(f *os.File) error { return i18n.Errorf("nfs.dropcache") }
