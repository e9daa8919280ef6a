package nfs

// Text helpers shared by the portable and the Linux-only parts of the package.

import (
	"fmt"
	"strings"
)

func escapeFstab(s string) string {
	return strings.NewReplacer(" ", `\040`, "\t", `\011`).Replace(s)
}

// exportsLine is the /etc/exports line esmigrate recommends: all_squash to the Elasticsearch uid/gid makes every
// node write as that uid whatever its local elasticsearch uid is, so uids need not match across nodes.
func exportsLine(path string, clients []string, uid, gid int) string {
	opts := "rw,sync,no_subtree_check"
	if uid >= 0 {
		opts += fmt.Sprintf(",all_squash,anonuid=%d,anongid=%d", uid, gid)
	} else {
		opts += ",all_squash,anonuid=<es uid>,anongid=<es gid>"
	}
	var parts []string
	for _, c := range clients {
		parts = append(parts, c+"("+opts+")")
	}
	return escapeExportPath(path) + " " + strings.Join(parts, " ")
}

func isOctal(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < '0' || s[i] > '7' {
			return false
		}
	}
	return true
}

// shq quotes s for a POSIX shell when it needs quoting: in single quotes, each embedded quote closed,
// escaped and reopened. Hand-written because the rule is one line and the generated scripts' golden files
// pin its output.
func shq(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-:=,@+%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func escapeExportPath(p string) string {
	if strings.ContainsAny(p, " \t#\"") {
		return strings.NewReplacer(" ", `\040`, "\t", `\011`, "#", `\043`, `"`, `\042`).Replace(p)
	}
	return p
}
