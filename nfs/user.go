package nfs

// LocalUser is a local user's uid and gid (the wizard proposes this host's elasticsearch user's numbers for the
// setup commands, as the share checks use them).
func LocalUser(name string) (uid, gid int, err error) { return lookupUser(name) }
