// Package serve is `esmigrate serve`: the wizard over SSH for a team. One long-running process keeps the
// migration (the wizard and the engine it starts) whatever happens to the SSH sessions that show it. Keys in
// the operators file drive, one session at a time (another operator may take over); the other authorized keys
// watch read-only: what the operator chose, then the same live progress. Only SSH keys get in.
package serve

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	bm "charm.land/wish/v2/bubbletea"
	"github.com/charmbracelet/colorprofile"
	gossh "golang.org/x/crypto/ssh"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui"
	"github.com/esmigrate/esmigrate/ui/common"
)

// Config starts a server.
type Config struct {
	Listen  string // host:port; loopback unless told otherwise
	Access  *Access
	HostKey gossh.Signer
	// Wizard is what the wizard starts from (flags, environment, a plan file) and its language (the
	// operator's screens; a watcher's are in its own LANG when its client sends one).
	Wizard ui.Options
	// PauseFile remembers a pause across the server's restarts (next to the state file).
	PauseFile string
	Log       *slog.Logger
	// Listening is told the address once the server listens (the log says it too).
	Listening func(net.Addr)
}

// PauseFileFor is where a server with this state file remembers that its migration is paused.
func PauseFileFor(stateFile string) string { return stateFile + ".paused" }

// Serve runs the server until ctx ends: then the migration stops following Elasticsearch (which finishes
// what it started), its state is saved, the sessions end, and Serve returns. Started again with the same state
// file, the server goes on with the migration, as `esmigrate resume` does.
func Serve(ctx context.Context, cfg Config) error {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	gate, err := pauseGate(cfg.PauseFile, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return i18n.Errorf("serve.listen", cfg.Listen, err)
	}
	hub := NewHub(ctx, HubOptions{Wizard: cfg.Wizard, Pause: gate, Log: log})
	lang := ui.DetectLang(cfg.Wizard.Lang, os.Getenv)
	srv, err := wish.NewServer(
		ssh.AllocatePty(),
		func(s *ssh.Server) error { s.AddHostKey(cfg.HostKey); return nil },
		// Keys only: there is no password handler, so password authentication is not offered.
		wish.WithPublicKeyAuth(func(sctx ssh.Context, key ssh.PublicKey) bool {
			offered(sctx, key)
			_, ok := cfg.Access.Lookup(key)
			return ok
		}),
		// Keyboard-interactive never lets anyone in: after every key a client offered was refused, it only
		// tells the client why (OpenSSH shows the text of a challenge without questions), which a refused
		// public key cannot: its refusal carries no text.
		wish.WithKeyboardInteractiveAuth(func(sctx ssh.Context, challenge gossh.KeyboardInteractiveChallenge) bool {
			if told, _ := sctx.Value(toldKey{}).(bool); told {
				return false // OpenSSH asks up to three times: say it once
			}
			sctx.SetValue(toldKey{}, true)
			keys := offeredKeys(sctx)
			log.Warn("refused: no key of the operators' or watchers' files", "remote", sctx.RemoteAddr().String(), "keys", strings.Join(keys, " "))
			msg := i18n.New(lang).T("serve.auth.nokey")
			if len(keys) > 0 {
				msg = i18n.New(lang).T("serve.auth.refused", strings.Join(keys, ", "))
			}
			_, _ = challenge("", msg+"\n", nil, nil)
			return false
		}),
		wish.WithMiddleware(
			bm.MiddlewareWithProgramHandler(func(sess ssh.Session) *tea.Program { return program(sess, hub, cfg.Wizard.Lang) }),
			attach(hub, cfg.Access, lang, log),
		),
	)
	if err != nil {
		ln.Close()
		return err
	}
	log.Info("listening", "address", ln.Addr().String(), "host_key", gossh.FingerprintSHA256(cfg.HostKey.PublicKey()))
	if cfg.Listening != nil {
		cfg.Listening(ln.Addr())
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	hubErr := hub.Run(ctx)
	// The sessions were told to end; give them a moment to restore their terminals, then close.
	shut, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		srv.Close()
	}
	if err := <-serveErr; err != nil && !errors.Is(err, ssh.ErrServerClosed) {
		log.Warn("ssh server", "error", err)
	}
	return hubErr
}

type (
	offeredKeysKey struct{}
	toldKey        struct{}
)

// offered remembers the fingerprints of the keys a client offered (for the refusal).
func offered(sctx ssh.Context, key ssh.PublicKey) {
	keys, _ := sctx.Value(offeredKeysKey{}).([]string)
	fp := gossh.FingerprintSHA256(key)
	for _, k := range keys {
		if k == fp {
			return
		}
	}
	sctx.SetValue(offeredKeysKey{}, append(keys, fp))
}

func offeredKeys(sctx ssh.Context) []string {
	keys, _ := sctx.Value(offeredKeysKey{}).([]string)
	return keys
}

type clientIDKey struct{}

// attach is the middleware that lets a session in: it looks its key up again (the files may have changed
// since it authenticated), wants a terminal and no command, and adds it to the hub for as long as it lasts.
func attach(hub *Hub, access *Access, lang string, log *slog.Logger) wish.Middleware {
	return func(next ssh.Handler) ssh.Handler {
		return func(sess ssh.Session) {
			l := i18n.New(sessionLang(lang, sess.Environ()))
			key := sess.PublicKey()
			if key == nil {
				wish.Fatalln(sess, l.T("serve.auth.nokey"))
				return
			}
			who, ok := access.Lookup(key)
			if !ok {
				log.Warn("refused: key no longer listed", "key", gossh.FingerprintSHA256(key))
				wish.Fatalln(sess, l.T("serve.auth.refused", gossh.FingerprintSHA256(key)))
				return
			}
			if len(sess.Command()) > 0 {
				wish.Fatalln(sess, l.T("serve.nocommand"))
				return
			}
			pty, _, isPty := sess.Pty()
			if !isPty {
				wish.Fatalln(sess, l.T("serve.nopty"))
				return
			}
			id := hub.Attach(who, pty.Window.Width, pty.Window.Height)
			defer hub.Detach(id)
			sess.Context().SetValue(clientIDKey{}, id)
			next(sess)
		}
	}
}

// sessionLang is a session's language: --lang, else the LANG its client sent, else the server's.
func sessionLang(serverLang string, env []string) string {
	get := envGetter(env)
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if serverLang == "" && get(v) != "" {
			return ui.DetectLang("", get)
		}
	}
	return ui.DetectLang(serverLang, os.Getenv)
}

func envGetter(env []string) func(string) string {
	return func(name string) string {
		for i := len(env) - 1; i >= 0; i-- {
			if v, ok := strings.CutPrefix(env[i], name+"="); ok {
				return v
			}
		}
		return ""
	}
}

// program is a session's Bubble Tea program, drawn for its terminal: its size, its TERM's colors (never true
// color, as the wizard), the locale its client sent (else the server's).
func program(sess ssh.Session, hub *Hub, serverLang string) *tea.Program {
	id, _ := sess.Context().Value(clientIDKey{}).(int)
	pty, _, _ := sess.Pty()
	env := append(sess.Environ(), "TERM="+pty.Term)
	get := envGetter(env)
	utf8 := ui.DetectUTF8(os.Getenv)
	for _, v := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if get(v) != "" {
			utf8 = ui.DetectUTF8(get)
			break
		}
	}
	c := common.New(sess.Context(), common.Options{Lang: sessionLang(serverLang, env), UTF8: utf8,
		Color: ui.ColorProfile(env) > colorprofile.ASCII})
	c.Width, c.Height = pty.Window.Width, pty.Window.Height
	m := newSessionModel(sess.Context(), hub, id, c)
	// The server handles the signals (SIGTERM stops it, with every session): not each session's program.
	opts := append(ui.ProgramOptions(sess.Context(), env), tea.WithoutSignalHandler())
	opts = append(opts, bm.MakeOptions(sess)...)
	return tea.NewProgram(m, opts...)
}

// pauseGate is the migration's pause switch, paused from the start when the server stopped while its
// migration was paused; each turn is written down (a file next to the state file while paused, created
// without following a link).
func pauseGate(path string, log *slog.Logger) (*steps.PauseGate, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if path == "" {
		return steps.NewPauseGate(false), nil
	}
	_, err := os.Lstat(path)
	paused := err == nil
	gate := steps.NewPauseGate(paused)
	if paused {
		log.Info("the migration was paused when the server stopped: it holds at its next phase until an operator resumes it", "file", path)
	}
	gate.Watch(func(p bool) {
		if p {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|oNoFollow, 0o600)
			if err == nil {
				_, err = f.WriteString(time.Now().Format(time.RFC3339) + "\n")
				f.Close()
			}
			if err != nil {
				log.Warn("could not write down the pause (a restart of the server would go on)", "file", path, "error", err)
			}
			log.Info("paused")
			return
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			log.Warn("could not remove the pause file", "file", path, "error", err)
		}
		log.Info("resumed")
	})
	return gate, nil
}
