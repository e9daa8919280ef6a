//go:build integration

package steps_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/testenv/envtest"
	"github.com/esmigrate/esmigrate/testenv/faultproxy"
)

// hostileInputs are the rows of the bad-input suite for hostile and mistaken input (issue 11), one or more per
// item of the issue; docs/reliability.md lists them.
var hostileInputs = []badInput{
	// 1. Credentials in a URL: moved into the credentials, used, and never written or printed.
	{name: "credentials in the URLs", try: credentialsInURLs, may: anyChange},
	// 2. Files esmigrate writes: never through a link, checked before the first request.
	{name: "a link planted at the lock file", wire: true,
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) { plant(t, m, m.plan.StateFile+".lock") },
		want:    []string{"lock file", "is a symbolic link (to ", "never writes through a link"},
		after:   victimUntouchedAndNothingSent},
	{name: "a link planted at the state file's previous version", wire: true,
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) { plant(t, m, m.plan.StateFile+".prev") },
		want:    []string{"previous state file", "is a symbolic link (to "},
		after:   victimUntouchedAndNothingSent},
	{name: "a report directory that is a link to a file", wire: true,
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) { plant(t, m, m.plan.ReportDir) },
		try:     binaryRun(nil, "run", "--accept-warnings"),
		want:    []string{"report directory", "is a symbolic link to ", "which is not a directory", "give a directory"},
		after:   both(exitCode(2), victimUntouchedAndNothingSent)},
	{name: "a report that cannot be written at the end",
		try: func(t *testing.T, m *migration, p steps.Plan, o steps.Options) tried {
			// The report directory is fine at the start and becomes a file during the run.
			return runEngine(t, m, p, o, func(e steps.Event) {
				if e.Kind == steps.KindStart && e.Phase == steps.PhaseCleanup {
					os.RemoveAll(p.ReportDir)
					os.WriteFile(p.ReportDir, []byte("not a directory"), 0o600)
				}
			})
		},
		may:  anyChange,
		want: []string{"the report could not be written", "the results are in the state file", "esmigrate resume --state"},
		after: func(t *testing.T, m *migration, r tried) {
			if st, err := steps.ReadState(m.plan.StateFile); err != nil || st.Batches[0].Indices[0].Result != steps.ResultVerified {
				t.Errorf("the migration itself did not go through: %v", err)
			}
			if fi, err := os.Stat(m.plan.ReportDir); err != nil || fi.IsDir() {
				t.Errorf("the report directory was not replaced by a file: %v", err)
			}
		}},
	// 3. The dry run shows the DELETE the run sends.
	{name: "a dry run with on_conflict: delete",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			inTheWay(t, m)
			m.plan.OnConflict = steps.ConflictDelete
		},
		options: func(o *steps.Options) { o.DryRun, o.AllowTargetDelete = true, true },
		after: func(t *testing.T, m *migration, r tried) {
			name := steps.TargetName("metrics-small", m.plan.Restore)
			found := false
			for _, e := range r.events {
				found = found || e.Kind == steps.KindRequest && strings.Contains(e.Curl, "-X DELETE") && strings.Contains(e.Curl, "/"+name+"'")
			}
			if !found {
				t.Errorf("the dry run does not show the DELETE of %s", name)
			}
			if n, err := m.dst.Count(context.Background(), name); err != nil || n != 1 {
				t.Errorf("the index in the way was changed by a dry run: %d documents, %v", n, err)
			}
		}},
	// 4. A source location that is a link, and a host path that is not the source's repository.
	{name: "a source location that is a link",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			real := filepath.Join(m.env.SourceRepoDir, m.id+"-real")
			os.MkdirAll(real, 0o755)
			link := filepath.Join(m.env.SourceRepoDir, m.id)
			if err := os.Symlink(real, link); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(real) })
			m.plan.Repository.SourceLocation = link
		},
		may: anyChange,
		after: func(t *testing.T, m *migration, r tried) {
			if fi, err := os.Lstat(m.plan.Repository.SourceLocation); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Errorf("the source location is not a link: %v", err)
			}
			copied := regexp.MustCompile(`copied (\d+) file\(s\)`)
			for _, e := range r.events {
				if mm := copied.FindStringSubmatch(e.Message); mm != nil && mm[1] == "0" {
					t.Errorf("the copy copied nothing: %s", e.Message)
				}
			}
			m.countsEqual("metrics-small")
		}},
	{name: "a source_local_path that is not the source's repository",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			m.plan.Repository.SourceLocal = t.TempDir()
		},
		may:  func(c string) bool { return !strings.Contains(c, "_restore") && !strings.Contains(c, "DELETE") },
		want: []string{"the repository this host reads at", "is not that one", "set repository.source_local_path"},
		after: func(t *testing.T, m *migration, r tried) {
			if strings.Contains(r.out, "target nodes see") {
				t.Errorf("the target is blamed: %s", r.out)
			}
		}},
	// 5. A password without a user is refused, not sent.
	{name: "a password without a user", wire: true,
		try:   binaryRun([]string{"ES_SOURCE_PASSWORD=stray-Pw-0451"}, "run", "--accept-warnings"),
		want:  []string{"a password was given but no user", "unset ES_SOURCE_PASSWORD"},
		after: both(exitCode(2), nothingSent, secretNowhere("stray-Pw-0451"))},
	// 6. The source guard, at the wire.
	{name: "requests the source guard refuses", try: guardAtTheWire},
	// 7. Which side speaks TLS.
	{name: "an https URL for a plain-HTTP listener",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			m.plan.Target.URL = "https://" + http09Listener(t, m)
		},
		want: []string{"target", "answers without TLS", "use http:// in the URL"},
		after: func(t *testing.T, m *migration, r tried) {
			if !m.sawTLSHello.Load() {
				t.Errorf("the listener was not sent a TLS hello")
			}
		}},
	{name: "the transport port instead of the HTTP port",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			m.plan.Source.URL = transportURL(t, m.env.SourceURL)
		},
		want: []string{"transport port", "This is not an HTTP port", "9200 by default"}},
	// 8. Names checked before anything is sent.
	{name: "an invalid repository.target_name", wire: true,
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) { m.plan.Repository.TargetName = "Target Repo" },
		want:    []string{"repository.target_name", "must not contain"},
		after:   nothingSent},
	{name: "a rename to an invalid index name", wire: true,
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			m.plan.Restore.RenameReplacement = "Migrated-$1"
		},
		want:  []string{"restore.rename_replacement", "must be lower case"},
		after: nothingSent},
	{name: "a rename to names longer than 255 bytes", wire: true,
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			m.plan.Restore.RenamePattern, m.plan.Restore.RenameReplacement = "(.+)", strings.Repeat("$1", 20)
		},
		want: []string{"The rename gives valid index names", "is longer than 255 bytes", "rename_replacement"}},
	// 9. Outcomes and exit codes.
	{name: "a batch size an int64 cannot hold", wire: true,
		try:   binaryRun(nil, "run", "--batch-max-size", "8192pb"),
		want:  []string{`--batch-max-size (batch_max_size): "8192pb" is too large`},
		after: both(exitCode(2), nothingSent)},
	{name: "Ctrl-C while connecting", try: interrupted("/"),
		want:  []string{"stopped during connect, before any snapshot or restore was started"},
		after: both(exitCode(3), noFalseFailures)},
	{name: "Ctrl-C during the pre-flight", try: interrupted("/_snapshot/_status"),
		want:  []string{"stopped during pre-flight, before any snapshot or restore was started"},
		after: both(exitCode(3), noFalseFailures)},
	{name: "a plan file that is not there", try: binaryRaw(nil, "run", "--plan", "/nonexistent/plan.yaml"),
		want: []string{"/nonexistent/plan.yaml: cannot read the plan file"}, after: exitCode(2)},
	{name: "a CA file that is not there", wire: true, try: binaryRun(nil, "run", "--ca-cert", "/nonexistent/ca.pem"),
		want: []string{"read CA certificate", "/nonexistent/ca.pem"}, after: both(exitCode(2), nothingSent)},
	{name: "an API key and a password", wire: true,
		try:   binaryRun([]string{"ES_SOURCE_API_KEY=a2V5OnZhbHVl", "ES_SOURCE_PASSWORD=pw-2-0451"}, "run", "--source-user", "elastic"),
		want:  []string{"both an API key and a user/password"},
		after: both(exitCode(2), nothingSent)},
	// 10. Flags and the environment fill in an empty plan.
	{name: "a plan without URLs, filled in by ES_SOURCE_URL and --target", wire: true, try: urlsFromFlags,
		after: func(t *testing.T, m *migration, r tried) {
			exitCode(0)(t, m, r)
			if r.requests == 0 {
				t.Errorf("nothing reached the clusters named by the variable and the flag")
			}
		}},
	// 11. Messages that help.
	{name: "curl commands name the plan's user and password variable", try: curlPlaceholders},
	{name: "a listener that never answers", try: silentListener,
		want: []string{"no answer within 2s", "does not answer", "HTTP port"}},
	{name: "plan --plan on a file that is not there", try: binaryRaw(nil, "plan", "--plan", "/nonexistent/plan.yaml"),
		want: []string{"cannot read the plan file"}, after: exitCode(2)},
	{name: "a poll interval of an hour", wire: true,
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			m.plan.PollInterval = steps.Duration{Duration: time.Hour}
		},
		try:   binaryRun(nil, "run"),
		want:  []string{"poll_interval: 1h0m0s is too long (at most 1m"},
		after: both(exitCode(2), nothingSent)},
	{name: "a plan that is a list", try: func(t *testing.T, m *migration, p steps.Plan, o steps.Options) tried {
		f := filepath.Join(t.TempDir(), "plan.yaml")
		os.WriteFile(f, []byte("- version: 1\n- source: {url: "+p.Source.URL+"}\n"), 0o600)
		return binaryRaw(nil, "run", "--plan", f)(t, m, p, o)
	}, want: []string{"expected a plan: a mapping of fields"}, after: both(exitCode(2), noGoInternals)},
	{name: "a flag that makes the plan wrong", wire: true,
		try: func(t *testing.T, m *migration, p steps.Plan, o steps.Options) tried {
			return binaryRun(nil, "run", "--target", p.Source.URL)(t, m, p, o)
		},
		want: []string{"--target (target.url): source and target are the same cluster"}, after: both(exitCode(2), noGoInternals)},
	{name: "a copy into a directory that holds another repository",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			foreignRepository(t, m.plan.Repository.TargetLocation)
		},
		may:  func(c string) bool { return !strings.Contains(c, "_restore") && !strings.Contains(c, "DELETE") },
		want: []string{"give the copy an empty directory of its own (repository.target_location"},
		after: func(t *testing.T, m *migration, r tried) {
			if strings.Contains(r.out, "AllowForeignTarget") {
				t.Errorf("the fix names an internal option: %s", r.out)
			}
		}},
	{name: "a resume that fails as the run did", try: resumeFailsAgain, may: func(c string) bool { return !strings.Contains(c, "_restore") },
		want: []string{"does not contain snapshot", "the previous attempt stopped with this same error", "until its cause is fixed"}},
	// 12. A second writer, by identity rather than by path.
	{name: "a second writer through a link, by repository uuid (7.17)",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			m.plan.Repository.Shared = true
			m.plan.Repository.SourceLocation = filepath.Join(m.env.SharedRepoDir, m.id)
			m.plan.Repository.TargetLocation = m.plan.Repository.SourceLocation
			seedSnapshot(t, m.plan.Source.URL, m.plan.Repository.Name, m.plan.Repository.SourceLocation)
			secondWriter(t, m.plan.Target.URL, m.plan.Repository.SourceLocation, m.id)
		},
		want: []string{"other-" + "", "already writes to", "the same repository uuid", "readonly: true"}},
	{name: "a second writer through a link, by device and inode (7.10)",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			env := envtest.Legacy(t)
			m.plan.Source.URL = env.LegacyURL
			m.plan.Repository.SourceLocation = filepath.Join(env.SharedRepoDir, m.id)
			os.MkdirAll(m.plan.Repository.SourceLocation, 0o755)
			secondWriter(t, env.LegacyURL, m.plan.Repository.SourceLocation, m.id)
		},
		registers: true,
		want:      []string{"already writes to", "the same directory (device and inode) on this host"}},
	// 13. Alias clashes, before the restore finds them.
	{name: "a write alias that is already a write alias on the target", arrange: writeAliasOnBothSides,
		want: []string{"more than one write index", "restore.include_aliases: false"}},
	// 14. Plugins compared by what they are, across distributions.
	{name: "Elasticsearch 7.17 into 8.19 with no plugin in use",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			m.plan.Target.URL = envtest.Extra(t, "next")
			m.plan.Repository.TargetLocation = filepath.Join(m.env.TargetRepoDir, m.id)
		},
		options: func(o *steps.Options) { o.DryRun, o.AcceptWarnings = true, false },
		after:   pluginNamesDifferButNothingWarns},
	{name: "Elasticsearch 7.10 into OpenSearch 2 with no plugin in use",
		arrange: func(t *testing.T, m *migration, _ *steps.Credentials) {
			env := envtest.Legacy(t)
			m.plan.Source.URL, m.plan.Target.URL = env.LegacyURL, envtest.Extra(t, "opensearch")
			m.plan.Repository.SourceLocation = filepath.Join(env.SharedRepoDir, m.id)
			m.plan.Repository.TargetLocation = filepath.Join(m.env.TargetRepoDir, m.id)
		},
		options: func(o *steps.Options) { o.DryRun, o.AcceptWarnings = true, false },
		after:   pluginNamesDifferButNothingWarns},
}

func anyChange(string) bool { return true }

func both(fs ...func(*testing.T, *migration, tried)) func(*testing.T, *migration, tried) {
	return func(t *testing.T, m *migration, r tried) {
		for _, f := range fs {
			f(t, m, r)
		}
	}
}

func exitCode(want int) func(*testing.T, *migration, tried) {
	return func(t *testing.T, m *migration, r tried) {
		if r.exit != want {
			t.Errorf("exit code %d, want %d:\n%s", r.exit, want, r.out)
		}
	}
}

func nothingSent(t *testing.T, m *migration, r tried) {
	if r.requests != 0 {
		t.Errorf("%d request(s) reached the clusters before the mistake was said", r.requests)
	}
}

func secretNowhere(secret string) func(*testing.T, *migration, tried) {
	return func(t *testing.T, m *migration, r tried) {
		if strings.Contains(r.out, secret) {
			t.Errorf("the secret is in the output:\n%s", r.out)
		}
	}
}

func noGoInternals(t *testing.T, m *migration, r tried) {
	for _, s := range []string{"!!", "steps.", "unmarshal", "esmigrate: : "} {
		if strings.Contains(r.out, s) {
			t.Errorf("%q shows through:\n%s", s, r.out)
		}
	}
}

func noFalseFailures(t *testing.T, m *migration, r tried) {
	for _, s := range []string{"[fail]", "context canceled", "ERROR", "cancelled", "canceled"} {
		if strings.Contains(r.out, s) {
			t.Errorf("%q after a stop:\n%s", s, r.out)
		}
	}
	if _, err := os.Stat(m.plan.StateFile); err == nil {
		if st, _ := steps.ReadState(m.plan.StateFile); st != nil && len(st.Batches) > 0 {
			t.Errorf("a stop before the batches left batches in the state")
		}
	}
}

// plant puts a link at path that points at a file someone else owns (the "victim"), as an attacker on a shared
// host would, and records the victim's content to compare afterwards.
func plant(t *testing.T, m *migration, path string) {
	t.Helper()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("root:x:0:0:root:/root:/bin/bash\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(path), 0o700)
	if err := os.Symlink(victim, path); err != nil {
		t.Fatal(err)
	}
	m.victim = victim
}

func victimUntouchedAndNothingSent(t *testing.T, m *migration, r tried) {
	b, err := os.ReadFile(m.victim)
	fi, _ := os.Stat(m.victim)
	if err != nil || string(b) != "root:x:0:0:root:/root:/bin/bash\n" || fi.Mode().Perm() != 0o644 {
		t.Errorf("the file behind the link changed: %q %v", b, err)
	}
	if !strings.Contains(r.out, m.victim) {
		t.Errorf("the message does not name where the link points")
	}
	nothingSent(t, m, r)
}

// binaryRun writes p as a plan file and runs the esmigrate binary on it (the plan's state and reports where
// the plan says), with env added to a clean environment.
func binaryRun(env []string, args ...string) func(*testing.T, *migration, steps.Plan, steps.Options) tried {
	return func(t *testing.T, m *migration, p steps.Plan, o steps.Options) tried {
		plan := writePlan(t, p)
		full := append([]string{args[0], "--plan", plan}, args[1:]...)
		return binaryRaw(env, full...)(t, m, p, o)
	}
}

func binaryRaw(env []string, args ...string) func(*testing.T, *migration, steps.Plan, steps.Options) tried {
	return func(t *testing.T, m *migration, p steps.Plan, o steps.Options) tried {
		cmd := exec.Command(binary, args...)
		cmd.Env = append(cleanEnv(), env...)
		out, _ := cmd.CombinedOutput()
		return tried{exit: cmd.ProcessState.ExitCode(), out: string(out)}
	}
}

// cleanEnv is the test's environment without the variables esmigrate reads credentials and URLs from.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ES_") {
			out = append(out, kv)
		}
	}
	return out
}

// inTheWay creates the index the restore would create, with one document.
func inTheWay(t *testing.T, m *migration) {
	t.Helper()
	name := steps.TargetName("metrics-small", m.plan.Restore)
	ctx := context.Background()
	if err := m.dst.Do(ctx, i18n.Text("create"), esclient.Request{Method: "PUT", Path: "/" + name + "/_doc/1", Params: url.Values{"refresh": {"true"}},
		Body: map[string]any{"mine": true}}, nil); err != nil {
		t.Fatal(err)
	}
}

// credentialsInURLs: a source URL with user:password@ in the plan file, a target URL with them in --target;
// the secrets must reach the clusters as credentials and appear in no output and no file written: the plan
// written by `plan -o`, the state file, its .prev and lock, the reports.
func credentialsInURLs(t *testing.T, m *migration, p steps.Plan, o steps.Options) tried {
	const secret, other = "Src-S3cret-7f3a", "Tgt-S3cret-19c4"
	sp := faultproxy.Start(t, m.env.SourceURL, faultproxy.Options{User: "elastic", Password: secret})
	tp := faultproxy.Start(t, m.env.TargetURL, faultproxy.Options{User: "admin", Password: other})
	withCreds := func(u, user, pw string) string { return strings.Replace(u, "http://", "http://"+user+":"+pw+"@", 1) }
	p.Source.URL, p.Target.URL = sp.URL, "http://127.0.0.1:9"
	dir := t.TempDir()
	planFile := filepath.Join(dir, "plan.yaml")
	y := strings.Replace(string(p.YAML()), "url: "+sp.URL, "url: "+withCreds(sp.URL, "elastic", secret), 1)
	if !strings.Contains(y, secret) {
		t.Fatalf("the plan file does not hold the secret: the input is not what this row tries")
	}
	os.WriteFile(planFile, []byte(y), 0o600)
	target := withCreds(tp.URL, "admin", other)
	var outs []string
	var last tried
	for i, args := range [][]string{
		{"plan", "--plan", planFile, "--target", target, "-o", filepath.Join(dir, "written.yaml")},
		{"run", "--plan", planFile, "--target", target, "--accept-warnings", "--dry-run"},
		{"run", "--plan", planFile, "--target", target, "--accept-warnings"},
		// a wrong password in the URL: the error must not show it either
		{"run", "--plan", planFile, "--target", withCreds(tp.URL, "admin", "Wrong-S3cret-88"), "--state", filepath.Join(dir, "other-state.json")},
	} {
		last = binaryRaw(nil, args...)(t, m, p, o)
		outs = append(outs, last.out)
		if i < 3 && last.exit != 0 {
			t.Errorf("the migration with credentials in the URLs: exit %d\n%s", last.exit, last.out)
		}
	}
	if last.exit != 1 || !strings.Contains(last.out, "unable to authenticate user [admin]") {
		t.Errorf("a wrong password in the URL: exit %d\n%s", last.exit, last.out)
	}
	m.countsEqual("metrics-small")
	// The clusters got the credentials (they were moved, not dropped).
	auth := func(px *faultproxy.Proxy, user, pw string) bool {
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
		for _, h := range px.SeenHeaders() {
			if h.Get("Authorization") == want {
				return true
			}
		}
		return false
	}
	if !auth(sp, "elastic", secret) || !auth(tp, "admin", other) {
		t.Errorf("the credentials from the URLs were not sent as credentials")
	}
	// Nowhere else: every output, every file written (state, .prev, lock, reports, plans).
	secrets := []string{secret, other, "Wrong-S3cret-88", base64.StdEncoding.EncodeToString([]byte("elastic:" + secret)),
		base64.StdEncoding.EncodeToString([]byte("admin:" + other))}
	all := strings.Join(outs, "\n")
	files := 0
	for _, d := range []string{dir, filepath.Dir(p.StateFile), p.ReportDir} {
		filepath.WalkDir(d, func(path string, de fs.DirEntry, err error) error {
			if err != nil || de.IsDir() || path == planFile {
				return nil
			}
			b, _ := os.ReadFile(path)
			all += "\n" + string(b)
			files++
			if fi, _ := de.Info(); fi.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v", path, fi.Mode().Perm())
			}
			return nil
		})
	}
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("a secret is written or printed somewhere: %.6s…", s)
		}
	}
	for _, f := range []string{p.StateFile, p.StateFile + ".prev", p.StateFile + ".lock", filepath.Join(dir, "written.yaml")} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%s was not written, so it was not checked: %v", f, err)
		}
	}
	if st, err := steps.ReadState(p.StateFile); err != nil || st.Plan.Source.Username != "elastic" || strings.Contains(st.Plan.Source.URL, "@") {
		t.Errorf("the state's plan: %+v %v", st.Plan.Source, err)
	}
	if files < 6 {
		t.Errorf("only %d files were looked at", files)
	}
	return tried{exit: 0, out: ""}
}

// guardAtTheWire: the requests of the item 6 go through a source client (the guard) to a recording proxy
// in front of the real source, and none arrives; the same requests sent without the guard do arrive at a proxy
// that records them and forwards nothing, so the recorder would have seen them.
func guardAtTheWire(t *testing.T, m *migration, p steps.Plan, o steps.Options) tried {
	ctx := context.Background()
	plain, _ := esclient.New(esclient.Config{Role: "test", URL: m.env.SourceURL})
	other := "other-" + m.id
	otherDir := filepath.Join(m.env.SourceRepoDir, other)
	if err := plain.CreateRepository(ctx, esclient.RepositorySpec{Name: other, Location: otherDir}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		plain.DeleteSnapshot(ctx, other, "kept")
		plain.DeleteRepository(ctx, other)
		os.RemoveAll(otherDir)
	})
	if err := plain.Do(ctx, i18n.Text("snapshot"), esclient.Request{Method: "PUT", Path: "/_snapshot/" + other + "/kept",
		Params: url.Values{"wait_for_completion": {"true"}}, Body: map[string]any{"indices": "metrics-small"}}, nil); err != nil {
		t.Fatal(err)
	}
	refused := []esclient.Request{
		{Method: "PUT", Path: "/metrics-small/_doc/_count", Body: map[string]any{"x": 1}},
		{Method: "DELETE", Path: "/metrics-small/_doc/_search"},
		{Method: "DELETE", Path: "/_snapshot/" + other + "/kept"},
	}
	rec := faultproxy.Start(t, m.env.SourceURL, faultproxy.Options{})
	src, _ := esclient.New(esclient.Config{Role: "source", URL: rec.URL, ReadOnly: true, Repository: m.plan.Repository.Name})
	for _, r := range refused {
		err := src.Do(ctx, i18n.Text("hostile"), r, nil)
		if !esclient.IsType(err, esclient.TypeSourceProtection) {
			t.Errorf("%s %s: %v, want the guard's refusal", r.Method, r.Path, err)
		}
	}
	if _, err := src.Count(ctx, "metrics-small"); err != nil { // a read passes, and is recorded
		t.Fatal(err)
	}
	// Only the read may arrive: judged by method and whole path (a suffix rule would let PUT .../_doc/_count,
	// the first refused request, through unseen).
	seen := rec.Requests()
	for _, s := range seen {
		p := strings.SplitN(s.Path, "?", 2)[0]
		if !((s.Method == "GET" || s.Method == "POST") && p == "/metrics-small/_count") {
			t.Errorf("reached the source: %s %s", s.Method, s.Path)
		}
	}
	if len(seen) == 0 {
		t.Errorf("the recorder saw nothing at all, not even the read")
	}
	// Control: the same requests without the guard arrive at a recorder (which forwards none of them).
	swallow := faultproxy.Start(t, m.env.SourceURL, faultproxy.Options{Fault: func(w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusTeapot)
		return true
	}})
	unguarded, _ := esclient.New(esclient.Config{Role: "test", URL: swallow.URL})
	for _, r := range refused {
		unguarded.Do(ctx, i18n.Text("control"), r, nil)
	}
	if got := swallow.Requests(); len(got) != len(refused) {
		t.Errorf("the control recorder saw %d of %d requests: %+v", len(got), len(refused), got)
	}
	// The source is as it was.
	if _, ok, err := plain.Snapshot(ctx, other, "kept"); err != nil || !ok {
		t.Errorf("another repository's snapshot is gone: %v", err)
	}
	var doc map[string]any
	if err := plain.Do(ctx, i18n.Text("get"), esclient.Request{Method: "GET", Path: "/metrics-small/_doc/_count"}, &doc); err == nil && doc["found"] == true {
		t.Errorf("a document _count was written into the source index")
	}
	return tried{exit: -1}
}

// http09Listener answers like Python's http.server answers a TLS hello (checked on this machine: Go reports
// "tls: first record does not look like a TLS handshake"): an HTTP/0.9-style error page, no status line. It
// notes whether it was sent a TLS hello.
func http09Listener(t *testing.T, m *migration) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				b := make([]byte, 1)
				if _, err := io.ReadFull(c, b); err == nil && b[0] == 0x16 {
					m.sawTLSHello.Store(true)
				}
				c.Write([]byte("<!DOCTYPE HTML>\n<html><body><h1>Error response</h1><p>Error code: 400</p></body></html>\n"))
			}(c)
		}
	}()
	return ln.Addr().String()
}

// transportURL is the HTTP URL of a test cluster's first transport port (HTTP port + 100).
func transportURL(t *testing.T, httpURL string) string {
	u, _ := url.Parse(httpURL)
	port, _ := strconv.Atoi(u.Port())
	return fmt.Sprintf("http://%s:%d", u.Hostname(), port+100)
}

// interrupted runs the binary with a proxy in front of the source that holds one request (path) until the
// process gets Ctrl-C (SIGINT) while waiting for it.
func interrupted(path string) func(*testing.T, *migration, steps.Plan, steps.Options) tried {
	return func(t *testing.T, m *migration, p steps.Plan, o steps.Options) tried {
		arrived := make(chan struct{}, 1)
		hold := faultproxy.Start(t, m.env.SourceURL, faultproxy.Options{Fault: func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != path {
				return false
			}
			select {
			case arrived <- struct{}{}:
			default:
			}
			select {
			case <-r.Context().Done():
			case <-time.After(time.Minute):
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}})
		p.Source.URL = hold.URL
		run := start(t, nil, "run", "--plan", writePlan(t, p), "--accept-warnings")
		select {
		case <-arrived:
		case <-time.After(2 * time.Minute):
			_, out := run.wait()
			t.Fatalf("%s never reached the source:\n%s", path, out)
		}
		run.cmd.Process.Signal(os.Interrupt)
		code, out := run.wait()
		r := tried{exit: code, out: out}
		for _, s := range hold.Requests() {
			r.requests++
			if c := changing(s.Method, s.Path); c != "" {
				r.changes = append(r.changes, c)
			}
		}
		return r
	}
}

// urlsFromFlags: a plan file whose URLs are empty; ES_SOURCE_URL and --target give them.
func urlsFromFlags(t *testing.T, m *migration, p steps.Plan, o steps.Options) tried {
	src, dst := p.Source.URL, p.Target.URL
	p.Source.URL, p.Target.URL = "", ""
	plan := filepath.Join(t.TempDir(), "plan.yaml")
	y := strings.Replace(string(p.YAML()), `url: ""`, `url: ""`, -1)
	os.WriteFile(plan, []byte(y), 0o600)
	if n := strings.Count(y, `url: ""`); n != 2 {
		t.Fatalf("the plan has %d empty URLs, want 2:\n%s", n, y)
	}
	return binaryRaw([]string{"ES_SOURCE_URL=" + src}, "run", "--plan", plan, "--target", dst, "--dry-run", "--accept-warnings")(t, m, p, o)
}

// curlPlaceholders: a plan whose user is migrator and whose password variable is PROD_ES_PW; the dry run's curl
// commands show those (not $ES_SOURCE_USER, not the password).
func curlPlaceholders(t *testing.T, m *migration, p steps.Plan, o steps.Options) tried {
	const pw = "Curl-S3cret-5521"
	sp := faultproxy.Start(t, m.env.SourceURL, faultproxy.Options{User: "migrator", Password: pw})
	p.Source.URL, p.Source.Username, p.Source.PasswordEnv = sp.URL, "migrator", "PROD_ES_PW"
	r := binaryRun([]string{"PROD_ES_PW=" + pw}, "run", "--dry-run", "--accept-warnings")(t, m, p, o)
	if r.exit != 0 || !strings.Contains(r.out, `-u "migrator:$PROD_ES_PW"`) || strings.Contains(r.out, pw) || strings.Contains(r.out, "$ES_SOURCE_USER") {
		t.Errorf("curl commands: exit %d\n%s", r.exit, r.out)
	}
	return tried{exit: -1}
}

// silentListener: something accepts the connection and never answers (a proxy holding it, a wrong port): said
// after the connection time-out (2s here), with one connection, not three attempts of a minute each.
func silentListener(t *testing.T, m *migration, p steps.Plan, o steps.Options) tried {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var conns atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() { bufio.NewReader(c).ReadString(0); c.Close() }() // reads, never answers
		}
	}()
	old := esclient.ConnectTimeout
	esclient.ConnectTimeout = 2 * time.Second
	defer func() { esclient.ConnectTimeout = old }()
	p.Source.URL = "http://" + ln.Addr().String()
	r := runEngine(t, m, p, o)
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connection(s) to a listener that never answers, want 1", n)
	}
	return r
}

// foreignRepository puts another repository's files (another lineage: index.latest, an index-0 with its own
// uuid) where the copy goes.
func foreignRepository(t *testing.T, dir string) {
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "index-0"), []byte(`{"min_version":"7.12.0","uuid":"someoneElsesRepo00000A","snapshots":[{"name":"theirs","uuid":"theirSnapshot0000000AA","state":1}],"indices":{}}`), 0o644)
	os.WriteFile(filepath.Join(dir, "index.latest"), []byte{0, 0, 0, 0, 0, 0, 0, 0}, 0o644)
}

// resumeFailsAgain: the nodes of the target read another directory than the one this host copies into, so the
// restore cannot find the snapshot; resume fails the same way, and says so instead of advising resume again.
func resumeFailsAgain(t *testing.T, m *migration, p steps.Plan, o steps.Options) tried {
	p.Repository.TargetLocal = t.TempDir()
	os.MkdirAll(p.Repository.TargetLocation, 0o755) // empty: what the target nodes see
	if r := runEngine(t, m, p, o); r.err == nil || !strings.Contains(r.out, "does not contain snapshot") {
		t.Fatalf("the first run: %v", r.err)
	}
	o.Resuming = true
	return runEngine(t, m, p, o)
}

// seedSnapshot registers the plan's repository on the source and takes a snapshot in it, so that it holds one
// (7.17 then reports its uuid).
func seedSnapshot(t *testing.T, url, repo, dir string) {
	ctx := context.Background()
	c, _ := esclient.New(esclient.Config{Role: "test", URL: url})
	if err := c.CreateRepository(ctx, esclient.RepositorySpec{Name: repo, Location: dir}); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, i18n.Text("snapshot"), esclient.Request{Method: "PUT", Path: "/_snapshot/" + repo + "/seed",
		Params: map[string][]string{"wait_for_completion": {"true"}}, Body: map[string]any{"indices": "empty-index"}}, nil); err != nil {
		t.Fatal(err)
	}
}

// secondWriter registers, writable, a repository named other-<id> at a link to dir.
func secondWriter(t *testing.T, url, dir, id string) {
	ctx := context.Background()
	link := dir + "-link"
	if err := os.Symlink(filepath.Base(dir), link); err != nil {
		t.Fatal(err)
	}
	c, _ := esclient.New(esclient.Config{Role: "test", URL: url})
	if err := c.CreateRepository(ctx, esclient.RepositorySpec{Name: "other-" + id, Location: link}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.DeleteRepository(ctx, "other-"+id); os.Remove(link) })
	a, _ := os.Stat(dir)
	b, _ := os.Stat(link)
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 || !os.SameFile(a, b) {
		t.Fatalf("the second writer's path is not a link to the same directory")
	}
}

// writeAliasOnBothSides: the source index is the write index of alias <id>-alias, and so is an index on the target.
func writeAliasOnBothSides(t *testing.T, m *migration, _ *steps.Credentials) {
	ctx := context.Background()
	plain, _ := esclient.New(esclient.Config{Role: "test", URL: m.env.SourceURL})
	alias := m.id + "-alias"
	body := map[string]any{"settings": map[string]any{"number_of_replicas": 0}, "aliases": map[string]any{alias: map[string]any{"is_write_index": true}}}
	src, existing := m.id+"-aw", m.id+"-existing"
	if err := plain.Do(ctx, i18n.Text("create"), esclient.Request{Method: "PUT", Path: "/" + src, Body: body}, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { plain.DeleteIndices(ctx, []string{src}) })
	if err := m.dst.Do(ctx, i18n.Text("create"), esclient.Request{Method: "PUT", Path: "/" + existing, Body: body}, nil); err != nil {
		t.Fatal(err)
	}
	m.plan.Indices = []string{src}
}

// pluginNamesDifferButNothingWarns: the two clusters list their class-path modules under Java class names that
// differ (what the old check compared), and yet the pre-flight, run without --accept-warnings, passes.
func pluginNamesDifferButNothingWarns(t *testing.T, m *migration, r tried) {
	names := func(u string) map[string]bool {
		resp, err := http.Get(u + "/_nodes/plugins?filter_path=nodes.*.plugins.name")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v struct {
			Nodes map[string]struct {
				Plugins []struct{ Name string } `json:"plugins"`
			} `json:"nodes"`
		}
		json.NewDecoder(resp.Body).Decode(&v)
		out := map[string]bool{}
		for _, n := range v.Nodes {
			for _, p := range n.Plugins {
				out[p.Name] = true
			}
		}
		return out
	}
	src, dst := names(m.plan.Source.URL), names(m.plan.Target.URL)
	lacking := 0
	for n := range src {
		if !dst[n] && strings.Contains(n, ".") {
			lacking++
		}
	}
	if lacking == 0 {
		t.Fatalf("the clusters list the same class names: the row does not try what it is named after")
	}
	for _, e := range r.events {
		if e.Kind == steps.KindCheck && e.Check.Status != steps.OK {
			t.Errorf("[%s] %s: %s", e.Check.Status, e.Check.Title, e.Check.Evidence)
		}
	}
}

// legacy2DoesNotSeeTheShare checks, from this host, that legacy-2's process runs in a mount namespace where the
// half-mounted share is a tmpfs, and that legacy-1's is not.
func legacy2DoesNotSeeTheShare(t *testing.T, m *migration, r tried) {
	env := envtest.Legacy(t)
	c, _ := esclient.New(esclient.Config{Role: "legacy", URL: env.LegacyURL})
	nodes, err := c.Nodes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", n.PID))
		if err != nil {
			t.Fatalf("%s: %v", n.Name, err)
		}
		covered := regexp.MustCompile(` ` + regexp.QuoteMeta(env.HalfMountedRepoDir) + ` [^\n]* - tmpfs `).Match(b)
		if covered != (n.Name == "legacy-2") {
			t.Errorf("%s: the share covered by a tmpfs: %v", n.Name, covered)
		}
	}
}
