package steps

import (
	"net/url"
	"os"
	"strings"

	"github.com/esmigrate/esmigrate/i18n"
)

// Credentials for the two clusters. They come from flags, the environment, a URL's user:password@ or a prompt,
// and are never written anywhere.
type Credentials struct {
	SourcePassword, SourceAPIKey string
	TargetPassword, TargetAPIKey string
}

// CredentialsFromEnv reads the variables the plan names (ES_SOURCE_PASSWORD... by default). A password that
// came in the plan's URL (user:password@host, moved out of the URL when the plan was read) comes first.
func CredentialsFromEnv(p Plan) Credentials {
	get := func(name string) string {
		if name == "" {
			return ""
		}
		return os.Getenv(name)
	}
	c := Credentials{
		SourcePassword: get(p.Source.PasswordEnv), SourceAPIKey: get(p.Source.APIKeyEnv),
		TargetPassword: get(p.Target.PasswordEnv), TargetAPIKey: get(p.Target.APIKeyEnv),
	}
	if p.Source.urlPassword != "" {
		c.SourcePassword = p.Source.urlPassword
	}
	if p.Target.urlPassword != "" {
		c.TargetPassword = p.Target.urlPassword
	}
	return c
}

// SplitURLCredentials takes the user:password@ part out of a cluster URL: "https://elastic:s3cret@es:9200"
// gives "https://es:9200", "elastic", "s3cret", true. Everything between "://" and the last "@" of the URL is the
// user information, split at its first ":" and percent-decoded where it decodes.
//
// Hand-written rather than url.Parse: operators paste passwords as they are, with /, #, ? or @ in them, which
// url.Parse reads as the start of the path or the fragment, putting half the password into the host name and
// the whole URL into its error message. Elasticsearch URLs have no "@" after the host.
func SplitURLCredentials(raw string) (clean, user, password string, hasPassword bool) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		// No scheme: still never keep a password; "user:pw@host" loses its user information too.
		scheme, rest = "", raw
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return raw, "", "", false
	}
	info, host := rest[:at], rest[at+1:]
	u, p, has := strings.Cut(info, ":")
	if d, err := url.PathUnescape(u); err == nil {
		u = d
	}
	if d, err := url.PathUnescape(p); err == nil && has {
		p = d
	}
	clean = host
	if ok {
		clean = scheme + "://" + host
	}
	return clean, u, p, has
}

// moveURLCredentials takes a user and password written into a cluster URL out of it: the user goes to the
// plan's username (not a secret), the password to memory only (never marshalled: it is an unexported field),
// where CredentialsFromEnv and ClusterConfig find it. A URL password without a user is an error, and so is a
// URL user that contradicts the plan's username.
func (c *ClusterPlan) moveURLCredentials(role string) error {
	clean, user, pw, hasPW := SplitURLCredentials(c.URL)
	if clean == c.URL {
		return nil
	}
	c.URL = clean
	if user != "" {
		if c.Username != "" && c.Username != user {
			return planErr(role+".url", i18n.M("plan.url.user", user, c.Username, role))
		}
		c.Username = user
	}
	if hasPW {
		c.urlPassword = pw
	}
	if (hasPW && pw != "") && c.Username == "" {
		return planErr(role+".url", i18n.M("plan.url.nouser", role, orDefault(c.PasswordEnv, "ES_"+strings.ToUpper(role)+"_PASSWORD")))
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
