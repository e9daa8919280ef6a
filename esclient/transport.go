package esclient

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

// Sent is one request as it went over the wire, for the request log and counts. It never holds credentials:
// headers are not kept.
type Sent struct {
	Role     string
	Method   string
	Path     string // path and query
	Body     []byte
	Status   int // 0 when no response came
	Duration time.Duration
	Err      error
}

// transport is the single place every request passes through.
type transport struct {
	role    string
	base    http.RoundTripper
	guard   *SourceGuard // nil: not a source, nothing is refused here
	observe func(Sent)
	count   atomic.Int64
}

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.GetBody == nil {
		// olivere/elastic sets a body without GetBody: read it once, so that the guard (whose one body-dependent
		// route, lifting the cut-over's write block, reads it) and the observer see what is sent.
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		r.ContentLength = int64(len(b))
	}
	if t.guard != nil {
		body := func() []byte {
			if r.GetBody == nil {
				return nil
			}
			rc, err := r.GetBody()
			if err != nil {
				return nil
			}
			defer rc.Close()
			b, _ := io.ReadAll(io.LimitReader(rc, 64<<10))
			return b
		}
		if err := t.guard.Check(r.Method, r.URL.EscapedPath(), body); err != nil {
			// Answer as Elasticsearch would, without sending anything: an error returned here would make the
			// client library mark the (healthy) connection dead.
			return refusal(r, err), nil
		}
	}
	var body []byte
	if t.observe != nil && r.Body != nil && r.GetBody != nil {
		if rc, err := r.GetBody(); err == nil {
			body, _ = io.ReadAll(io.LimitReader(rc, 64<<10))
			rc.Close()
			body = redactRemotePassword(r.URL.Path, body) // a _reindex from a remote with a password
		}
	}
	t.count.Add(1)
	start := time.Now()
	resp, err := t.base.RoundTrip(r)
	if t.observe != nil {
		s := Sent{Role: t.role, Method: r.Method, Path: r.URL.RequestURI(), Body: body, Duration: time.Since(start), Err: err}
		if resp != nil {
			s.Status = resp.StatusCode
		}
		t.observe(s)
	}
	return resp, err
}

func refusal(r *http.Request, why error) *http.Response {
	body := mustJSON(map[string]any{"status": http.StatusForbidden,
		"error": map[string]any{"type": TypeSourceProtection, "reason": "refused: " + why.Error()}})
	return &http.Response{StatusCode: http.StatusForbidden, Status: "403 Forbidden", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)), Request: r}
}

// TypeSourceProtection is the error type of a request refused by a read-only client.
const TypeSourceProtection = "esmigrate_source_protection"

// Curl renders a request as a curl command an operator can paste. (No library renders curl from a request with
// credential placeholders; this is a few lines of quoting.) Credentials appear as shell variables
// ($ES_SOURCE_PASSWORD...), never as values.
func (c *Client) Curl(req Request) string {
	var body []byte
	switch b := req.Body.(type) {
	case nil:
	case string:
		body = []byte(b)
	case []byte:
		body = b
	default:
		body = mustJSON(b)
	}
	return curlCommand(c.cfg, req.Method, req.Path, req.Params, body)
}

// CurlOf renders a request that was sent (see Sent) for the given cluster configuration.
func CurlOf(cfg Config, s Sent) string {
	u, _ := url.Parse(s.Path)
	var q url.Values
	if u != nil {
		q = u.Query()
		return curlCommand(cfg, s.Method, u.Path, q, s.Body)
	}
	return curlCommand(cfg, s.Method, s.Path, nil, s.Body)
}

func curlCommand(cfg Config, method, path string, q url.Values, body []byte) string {
	role := strings.ToUpper(cfg.Role)
	if role == "" {
		role = "ES"
	}
	var b strings.Builder
	b.WriteString("curl -sS")
	if method != "" && method != http.MethodGet {
		b.WriteString(" -X " + method)
	}
	// The variables the plan names for the secrets ($ES_SOURCE_PASSWORD unless it names another), and the
	// user as it is: a user name is not a secret, and the command then works as pasted.
	switch {
	case cfg.APIKey != "":
		fmt.Fprintf(&b, ` -H "Authorization: ApiKey $%s"`, orDefault(cfg.APIKeyEnv, "ES_"+role+"_API_KEY"))
	case cfg.Username != "" || cfg.Password != "":
		fmt.Fprintf(&b, ` -u "%s:$%s"`, dquoteEscape(cfg.Username), orDefault(cfg.PasswordEnv, "ES_"+role+"_PASSWORD"))
	}
	if cfg.CACert != "" {
		b.WriteString(" --cacert " + shellQuote(cfg.CACert))
	}
	if cfg.Insecure {
		b.WriteString(" -k")
	}
	full := strings.TrimRight(cfg.URL, "/") + "/" + strings.TrimLeft(path, "/")
	if len(q) > 0 {
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			for _, v := range q[k] {
				parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v))
			}
		}
		full += "?" + strings.Join(parts, "&")
	}
	b.WriteString(" " + shellQuote(full))
	if len(body) > 0 {
		b.WriteString(" -H 'Content-Type: application/json' -d " + shellQuote(string(bytes.TrimSpace(body))))
	}
	return b.String()
}

// dquoteEscape escapes what is special inside a shell's double quotes.
func dquoteEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`")
	return r.Replace(s)
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
