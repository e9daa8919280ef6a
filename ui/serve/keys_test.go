package serve

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"github.com/esmigrate/esmigrate/steps"
)

func newKey(t *testing.T) gossh.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func authorizedLine(k gossh.PublicKey, comment string) string {
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k))) + " " + comment + "\n"
}

func TestOperatorsDriveOtherAuthorizedKeysWatchAndUnknownKeysAreNotLetIn(t *testing.T) {
	dir := t.TempDir()
	op, viewer, stranger := newKey(t), newKey(t), newKey(t)
	ops, watch := filepath.Join(dir, "operators"), filepath.Join(dir, "watchers")
	os.WriteFile(ops, []byte("# the team\n\n"+authorizedLine(op, "alice@laptop")), 0o600)
	os.WriteFile(watch, []byte(authorizedLine(viewer, "bob@desk")), 0o600)
	a, err := CheckAccess(watch, ops)
	if err != nil {
		t.Fatal(err)
	}
	if who, ok := a.Lookup(op); !ok || !who.Operator || who.Name != "alice@laptop" {
		t.Errorf("operator: %+v %v", who, ok)
	}
	if who, ok := a.Lookup(viewer); !ok || who.Operator || who.Name != "bob@desk" {
		t.Errorf("viewer: %+v %v", who, ok)
	}
	if who, ok := a.Lookup(stranger); ok || who.Fingerprint != gossh.FingerprintSHA256(stranger) {
		t.Errorf("an unknown key: %+v %v", who, ok)
	}
	// The files are read at each connection: a key added now gets in at the next one.
	f, _ := os.OpenFile(watch, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(authorizedLine(stranger, ""))
	f.Close()
	if who, ok := a.Lookup(stranger); !ok || who.Name != gossh.FingerprintSHA256(stranger) {
		t.Errorf("a key added to the file: %+v %v (no comment: named by its fingerprint)", who, ok)
	}
}

func TestKeyFilesThatCannotBeTrustedAreRefusedAtStart(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "ok")
	os.WriteFile(good, []byte(authorizedLine(newKey(t), "a")), 0o600)
	writable := filepath.Join(dir, "writable")
	os.WriteFile(writable, []byte(authorizedLine(newKey(t), "a")), 0o600)
	os.Chmod(writable, 0o666)
	garbage := filepath.Join(dir, "garbage")
	os.WriteFile(garbage, []byte(authorizedLine(newKey(t), "a")+"ssh-ed25519 not-a-key\n"), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("# nobody yet\n"), 0o600)
	for _, c := range []struct {
		authorized, operators, want string
	}{
		{"", "", "give --operators FILE"},
		{"", filepath.Join(dir, "missing"), "check the path"},
		{good, writable, "may be written by others (mode 0666): anyone who can write it can let a key in; run chmod go-w " + writable},
		{garbage, good, garbage + " line 2 is not a public key"},
		{empty, "", empty + " has no key"},
	} {
		_, err := CheckAccess(c.authorized, c.operators)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckAccess(%q, %q) = %v, want %q", c.authorized, c.operators, err, c.want)
		}
	}
}

func TestTheHostKeyIsMadeOnceWithMode0600AndNeverThroughALink(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	path := HostKeyPath(state)
	if path != filepath.Join(dir, HostKeyName) {
		t.Fatalf("host key at %s, want next to the state file", path)
	}
	s1, created, err := HostKey(path)
	if err != nil || !created {
		t.Fatalf("first start: %v created=%v", err, created)
	}
	st, err := os.Lstat(path)
	if err != nil || st.Mode().Perm() != 0o600 || !st.Mode().IsRegular() {
		t.Fatalf("host key file: %v %v, want a regular file with mode 0600", st.Mode(), err)
	}
	s2, created, err := HostKey(path)
	if err != nil || created || string(s2.PublicKey().Marshal()) != string(s1.PublicKey().Marshal()) {
		t.Fatalf("second start: %v created=%v; want the same key read back", err, created)
	}

	// A link planted where the key goes: nothing is written where it points, and the start fails saying why.
	other := filepath.Join(dir, "other")
	elsewhere := filepath.Join(dir, "elsewhere", "key")
	os.Mkdir(filepath.Dir(elsewhere), 0o700)
	if err := os.Symlink(elsewhere, other); err != nil {
		t.Fatal(err)
	}
	if _, _, err := HostKey(other); err == nil {
		t.Fatal("a host key was made through a symbolic link")
	}
	if _, err := os.Lstat(elsewhere); !os.IsNotExist(err) {
		t.Errorf("the key was written where the link points: %v", err)
	}
	// A link to an existing key is not followed either.
	os.Remove(other)
	os.Symlink(path, other)
	if _, _, err := HostKey(other); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("a link to a key: %v, want it refused", err)
	}
	// A key others may read is refused, as sshd refuses it.
	os.Chmod(path, 0o644)
	if _, _, err := HostKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a key with mode 0644: %v", err)
	}
}

func TestTheEventLogKeepsTheNewestProgressOfEachSubject(t *testing.T) {
	var l eventLog
	prog := func(batch int, ix string, done int64) steps.Event {
		return steps.Event{Kind: steps.KindProgress, Phase: steps.PhaseRestore, Batch: batch, Index: ix, Done: steps.Counts{Bytes: done}}
	}
	l.add(steps.Event{Kind: steps.KindStart, Phase: steps.PhaseRestore, Batch: 1})
	for i := int64(1); i <= 5000; i++ {
		l.add(prog(1, fmt.Sprint("ix-", i%3), i))
	}
	l.add(steps.Event{Kind: steps.KindDone, Phase: steps.PhaseRestore, Batch: 1})
	all, cursor := l.since(0)
	if len(all) != 5 || all[0].Kind != steps.KindStart || all[4].Kind != steps.KindDone {
		t.Fatalf("replayed %d events: %+v; want the start, the newest progress of each of the 3 indices, the end", len(all), all)
	}
	for _, e := range all[1:4] {
		if e.Done.Bytes < 4998 {
			t.Errorf("an old progress event was kept: %+v", e)
		}
	}
	if len(l.items) > 1100 {
		t.Errorf("%d events held for 5 current ones: replaced progress is not dropped", len(l.items))
	}
	l.add(prog(1, "ix-1", 6000))
	more, _ := l.since(cursor)
	if len(more) != 1 || more[0].Done.Bytes != 6000 {
		t.Errorf("after the cursor: %+v", more)
	}
}

func TestTheRedactorHidesEveryFormOfACredential(t *testing.T) {
	var r redactor
	p := steps.DefaultPlan()
	p.Source.URL, p.Source.Username = "https://elastic:url%2Fpw@10.0.0.1:9200", "elastic"
	p.Target.URL = "http://10.0.0.2:9200"
	r.learn(p, steps.Credentials{SourcePassword: "s3cret", TargetAPIKey: "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="})
	if got := r.url(p.Source.URL); got != "https://10.0.0.1:9200" {
		t.Errorf("url: %s", got)
	}
	for _, s := range []string{"password s3cret here", "ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==",
		"Basic ZWxhc3RpYzpzM2NyZXQ=", "url/pw", "url%2Fpw"} {
		if got := r.text(s); strings.Contains(got, "s3cret") || strings.Contains(got, "VnVhQ2") || strings.Contains(got, "ZWxhc3RpYzpzM2NyZXQ") || strings.Contains(got, "url/pw") || strings.Contains(got, "url%2Fpw") {
			t.Errorf("%q shown as %q", s, got)
		}
	}
	e := r.event(steps.Event{Message: "x s3cret", Curl: "curl -u elastic:s3cret", Check: &steps.Check{Evidence: "s3cret"}})
	if strings.Contains(e.Message+e.Curl+e.Check.Evidence, "s3cret") {
		t.Errorf("event: %+v %+v", e, e.Check)
	}
}
