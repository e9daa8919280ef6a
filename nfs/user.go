package nfs

import (
	"os/user"
	"strconv"
)

// LocalUser is a local user's uid and gid (the wizard proposes this host's elasticsearch user's numbers for the
// setup commands, as the share checks use them).
func LocalUser(name string) (uid, gid int, err error) { return lookupUser(name) }

// lookupUser finds a local user's uid/gid; a variable so tests need no real "elasticsearch" user.
var lookupUser = func(name string) (uid, gid int, err error) {
	u, err := user.Lookup(name)
	if err != nil {
		return -1, -1, err
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid, nil
}
