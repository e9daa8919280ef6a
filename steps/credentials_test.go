package steps

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCredentialsInAURLMoveIntoTheCredentials(t *testing.T) {
	cases := []struct{ raw, clean, user, pw string }{
		{"https://elastic:s3cret@es1:9200", "https://es1:9200", "elastic", "s3cret"},
		{"http://elastic:p%40ss%2Fword@es1:9200/", "http://es1:9200/", "elastic", "p@ss/word"},
		{"http://elastic:a/b#c?d@e@es1:9200", "http://es1:9200", "elastic", "a/b#c?d@e"}, // pasted as it is
		{"http://elastic@es1:9200", "http://es1:9200", "elastic", ""},
		{"http://es1:9200", "http://es1:9200", "", ""},
	}
	for _, c := range cases {
		clean, user, pw, _ := SplitURLCredentials(c.raw)
		if clean != c.clean || user != c.user || pw != c.pw {
			t.Errorf("%s: %q %q %q, want %q %q %q", c.raw, clean, user, pw, c.clean, c.user, c.pw)
		}
	}

	p := DefaultPlan()
	p.Source.URL, p.Target.URL = "https://elastic:s3cret-42@old:9200", "http://new:9200"
	p.Repository.SourceLocation, p.Repository.Shared = "/r", true
	p.Indices = []string{"a"}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.Source.URL != "https://old:9200" || p.Source.Username != "elastic" {
		t.Errorf("plan after reading: url %q user %q", p.Source.URL, p.Source.Username)
	}
	if c := CredentialsFromEnv(p); c.SourcePassword != "s3cret-42" {
		t.Errorf("the URL's password is not the source password: %+v", c)
	}
	if cfg := ClusterConfig(p, "source", Credentials{}); cfg.Password != "s3cret-42" || strings.Contains(cfg.URL, "s3cret") {
		t.Errorf("client configuration: url %q", cfg.URL)
	}
	if y := string(p.YAML()); strings.Contains(y, "s3cret") {
		t.Errorf("the plan file holds the password:\n%s", y)
	}
	if strings.Contains(p.Hash(), "s3cret") || p.Hash() != func() string { q := p; q.Source.urlPassword = ""; return q.Hash() }() {
		t.Errorf("the password changes the plan's hash")
	}

	for _, bad := range []string{"https://:s3cret-42@old:9200", "https://other:s3cret-42@old:9200"} {
		q := DefaultPlan()
		q.Source.URL, q.Source.Username, q.Target.URL = bad, "", "http://new:9200"
		if strings.Contains(bad, "other") {
			q.Source.Username = "elastic"
		}
		q.Repository.SourceLocation, q.Repository.Shared, q.Indices = "/r", true, []string{"a"}
		err := q.Validate()
		var pe *PlanError
		if !errors.As(err, &pe) || pe.Field != "source.url" {
			t.Errorf("%s: %v", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}

// FuzzURLCredentials: whatever is typed as a URL with a user and a password, the password is never in the URL
// that is kept, nor in an error about the plan, nor in the plan file; and it comes out as the password.
func FuzzURLCredentials(f *testing.F) {
	f.Add("https", "elastic", "s3cret", "es1:9200")
	f.Add("http", "", "pw-only", "es1:9200")
	f.Add("http", "u", "a/b#c?d@e", "10.0.0.5:9200/")
	f.Add("ftp", "u", "p%zz", "h")
	f.Add("https", "u:v", "x:y", "[::1]:9200")
	f.Fuzz(func(t *testing.T, scheme, user, password, host string) {
		rest := scheme + "://" + user + host
		if len(password) < 4 || strings.Contains(rest, password) || strings.Contains(fmt.Sprintf("%q", rest), password) || strings.ContainsAny(password, "%@") ||
			strings.Contains(user, "@") || strings.Contains(host, "@") {
			return // a password found elsewhere in the URL, or one whose text is not what it means (%-escapes)
		}
		raw := scheme + "://" + user + ":" + password + "@" + host
		clean, gotUser, gotPW, has := SplitURLCredentials(raw)
		if strings.Contains(clean, password) {
			t.Fatalf("the password is left in the URL %q", clean)
		}
		if !strings.Contains(user, ":") && (!has || gotPW != password && !strings.Contains(password, "%")) {
			t.Fatalf("password %q came out as %q (%v)", password, gotPW, has)
		}
		// A user with none of the characters that end or escape a URL's user part comes out as typed.
		if has && !strings.ContainsAny(user, ":%/?#[]\\") && gotUser != user {
			t.Fatalf("user %q came out as %q", user, gotUser)
		}
		p := DefaultPlan()
		p.Source.URL, p.Target.URL = raw, "http://target:9200"
		p.Repository.SourceLocation, p.Repository.Shared, p.Indices = "/r", true, []string{"a"}
		err := p.Validate()
		if err != nil && strings.Contains(err.Error(), password) {
			t.Fatalf("the error shows the password: %v", err)
		}
		if strings.Contains(string(p.YAML()), password) || strings.Contains(p.Source.URL, password) {
			t.Fatalf("the plan keeps the password")
		}
		if cfg := ClusterConfig(p, "source", Credentials{}); strings.Contains(cfg.URL, password) {
			t.Fatalf("the client's URL holds the password")
		}
	})
}
