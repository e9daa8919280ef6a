package serve

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"

	gossh "golang.org/x/crypto/ssh"

	"github.com/esmigrate/esmigrate/i18n"
)

// Identity is who an SSH session is: the key it authenticated with, as the files name it.
type Identity struct {
	Name        string // the key's comment in the file (alice@laptop), else its fingerprint
	Fingerprint string // SHA256:…
	Operator    bool   // the key is in the operators file: it may drive
}

// Access says which keys may attach: the operators file (they drive) and the authorized-keys file (they
// watch); both in authorized_keys format. The files are read again for every connection, so that a key added
// or removed takes effect at the next one without a restart.
type Access struct {
	Authorized, Operators string // paths; either may be "" (but not both)
}

// CheckAccess reads both files once, at start: a file that cannot be read, that others may write, or that
// has a line that is not a key is refused with its name and line, and with what to do.
func CheckAccess(authorized, operators string) (*Access, error) {
	if authorized == "" && operators == "" {
		return nil, i18n.Errorf("serve.access.none")
	}
	a := &Access{Authorized: authorized, Operators: operators}
	n := 0
	for _, path := range []string{operators, authorized} {
		if path == "" {
			continue
		}
		keys, err := readKeys(path, true)
		if err != nil {
			return nil, err
		}
		n += len(keys)
	}
	if n == 0 {
		return nil, i18n.Errorf("serve.access.empty", strings.Join(nonEmpty(operators, authorized), ", "))
	}
	return a, nil
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Lookup tells who a key is, reading the files as they are now: an operator when the operators file lists
// it, a viewer when only the authorized-keys file does; ok is false for a key neither lists. A file that
// cannot be read now counts as empty (and the refusal says which key was offered).
func (a *Access) Lookup(key gossh.PublicKey) (Identity, bool) {
	fp := gossh.FingerprintSHA256(key)
	for _, f := range []struct {
		path     string
		operator bool
	}{{a.Operators, true}, {a.Authorized, false}} {
		if f.path == "" {
			continue
		}
		keys, _ := readKeys(f.path, false)
		for _, k := range keys {
			if bytes.Equal(k.key.Marshal(), key.Marshal()) {
				name := k.comment
				if name == "" {
					name = fp
				}
				return Identity{Name: name, Fingerprint: fp, Operator: f.operator}, true
			}
		}
	}
	return Identity{Name: fp, Fingerprint: fp}, false
}

type fileKey struct {
	key     gossh.PublicKey
	comment string
}

// readKeys parses an authorized_keys file. strict (at start) refuses a file others may write (as sshd's
// StrictModes does) and a line that is not a key; otherwise such lines are skipped.
func readKeys(path string, strict bool) ([]fileKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, i18n.Errorf("serve.access.open", err)
	}
	defer f.Close()
	if strict {
		st, err := f.Stat()
		if err != nil {
			return nil, err
		}
		if st.Mode().Perm()&0o022 != 0 {
			return nil, i18n.Errorf("serve.access.writable", path, fmt.Sprintf("%04o", st.Mode().Perm()), path)
		}
	}
	var keys []fileKey
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		key, comment, _, _, err := gossh.ParseAuthorizedKey([]byte(text))
		if err != nil {
			if strict {
				return nil, i18n.Errorf("serve.access.badline", path, line, i18n.Name(err.Error()))
			}
			continue
		}
		keys = append(keys, fileKey{key: key, comment: strings.TrimSpace(comment)})
	}
	if err := sc.Err(); err != nil {
		return nil, i18n.Errorf("serve.access.read", path, err)
	}
	return keys, nil
}
