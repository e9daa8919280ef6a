package serve

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	gossh "golang.org/x/crypto/ssh"

	"github.com/esmigrate/esmigrate/i18n"
)

func hostKeyLink(path string) error {
	return i18n.Errorf("serve.hostkey.link", path)
}

// HostKeyName is the host key's file name, in the state file's directory.
const HostKeyName = "esmigrate_host_ed25519_key"

// HostKeyPath is where the host key of a server with this state file lives: next to the state file.
func HostKeyPath(stateFile string) string {
	return filepath.Join(filepath.Dir(stateFile), HostKeyName)
}

// HostKey is the server's SSH host key: read from path, or made there (ed25519) on the first start. The file
// is created with mode 0600, never through a symbolic link (O_NOFOLLOW, O_EXCL: a link planted at the path
// makes the start fail instead of writing the key where the link points), and a key file that others may
// read is refused, as sshd refuses it. (wish.WithHostKeyPath would write through a link; hence these lines.)
func HostKey(path string) (signer gossh.Signer, created bool, err error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return nil, false, hostKeyLink(path)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|oNoFollow, 0)
	switch {
	case errors.Is(err, os.ErrNotExist):
		s, err := createHostKey(path)
		return s, err == nil, err
	case isLinkErr(err):
		return nil, false, hostKeyLink(path)
	case err != nil:
		return nil, false, i18n.Errorf("serve.hostkey.open", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, false, err
	}
	if !st.Mode().IsRegular() {
		return nil, false, i18n.Errorf("serve.hostkey.notfile", path)
	}
	ownerOK, modeOK, uid := privateTo(st)
	if !modeOK {
		return nil, false, i18n.Errorf("serve.hostkey.readable", path, fmt.Sprintf("%04o", st.Mode().Perm()), path)
	}
	if !ownerOK {
		return nil, false, i18n.Errorf("serve.hostkey.owner", path, uid, os.Geteuid())
	}
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, false, err
	}
	s, err := gossh.ParsePrivateKey(b)
	if err != nil {
		return nil, false, i18n.Errorf("serve.hostkey.parse", path, i18n.Name(err.Error()))
	}
	return s, false, nil
}

func createHostKey(path string) (gossh.Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := gossh.MarshalPrivateKey(priv, "esmigrate serve host key")
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
	if err != nil {
		return nil, i18n.Errorf("serve.hostkey.create", path, err)
	}
	// The mode is 0600 whatever the umask; the file is durable before the key is used (clients remember it).
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Write(pem.EncodeToMemory(block)); err != nil {
		f.Close()
		os.Remove(path)
		return nil, i18n.Errorf("serve.hostkey.write", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return gossh.NewSignerFromKey(priv)
}
