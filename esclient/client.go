// Package esclient is everything esmigrate says to Elasticsearch (and OpenSearch): one function per thing the
// migration needs, named after that need, built on github.com/olivere/elastic/v7.
//
// Every request passes through one http.RoundTripper (see transport.go). That is where requests are counted,
// shown as curl commands, and where a read-only client (the source cluster) refuses anything that could write to
// or delete an index, whatever code path asked for it.
package esclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/olivere/elastic/v7"

	"github.com/esmigrate/esmigrate/i18n"
)

// Config says how to reach one cluster. Credentials live here and nowhere else: they are never rendered into
// curl commands, logs, state or report files.
type Config struct {
	// Role names the cluster in errors and curl placeholders: "source" or "target".
	Role     string
	URL      string
	Username string
	Password string
	APIKey   string // base64 "id:key" as Elasticsearch issues it; sent as "Authorization: ApiKey ..."
	// PasswordEnv and APIKeyEnv name the variables that hold the password and the API key: curl commands show
	// them ($ES_SOURCE_PASSWORD by default), never the values.
	PasswordEnv, APIKeyEnv string
	CACert                 string // PEM file with the CA that signed the cluster's certificate
	Insecure               bool   // skip TLS verification (explicit opt-in only)
	// Timeout bounds each request; 0 means 60s. Long operations are asynchronous and polled, so no request
	// needs to wait for a snapshot or a restore.
	Timeout time.Duration
	// ReadOnly passes every request through the source guard (guard.go), which refuses anything that is not
	// on its list of what may be sent to a source. The source cluster's client is always read-only:
	// esmigrate never changes source indices.
	ReadOnly bool
	// Repository is, for a read-only client, the only repository where snapshots may be written (the plan's).
	Repository string
	// Observe, when set, sees every request after it was sent (for the request log and counts).
	Observe func(Sent)
	// Transport replaces the HTTP transport (tests inject faults with it).
	Transport http.RoundTripper
}

// Client talks to one cluster.
type Client struct {
	cfg Config
	es  *elastic.Client
	tr  *transport
}

// New builds a client. It does not contact the cluster: sniffing and the start-up health check are off so that
// clusters behind NAT, a load balancer or an SSH tunnel work (the nodes' published addresses are not reachable
// from there). Call Info to find out whether the cluster answers.
func New(cfg Config) (*Client, error) {
	if cfg.Role == "" {
		cfg.Role = "cluster"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 60 * time.Second
	}
	if i := strings.Index(cfg.URL, "@"); i >= 0 {
		// user:password@ in the URL: the caller (steps) moves it into the credentials when it reads a plan.
		// Here it is refused rather than sent along, printed in errors or shown in curl commands.
		return nil, newError(cfg.Role, i18n.M("es.op.parseurl"), i18n.M("es.reason.userinfo"), i18n.M("es.fix.userinfo", cfg.Role))
	}
	u, err := url.Parse(strings.TrimRight(cfg.URL, "/"))
	if err != nil || u.Host == "" {
		return nil, newError(cfg.Role, i18n.M("es.op.parseurl"), i18n.M("es.reason.notaurl", cfg.URL), i18n.M("es.fix.url"))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, newError(cfg.Role, i18n.M("es.op.parseurl"), i18n.M("es.reason.scheme", u.Scheme, cfg.URL), i18n.M("es.fix.scheme"))
	}
	if cfg.APIKey != "" && (cfg.Username != "" || cfg.Password != "") {
		return nil, newError(cfg.Role, i18n.M("es.op.auth"), i18n.M("es.reason.twoauth"), i18n.M("es.fix.twoauth"))
	}
	if cfg.Password != "" && cfg.Username == "" {
		// Sent as it is, this would be "Authorization: Basic :password": a password offered to whoever answers.
		return nil, newError(cfg.Role, i18n.M("es.op.auth"), i18n.M("es.reason.nouser"),
			i18n.M("es.fix.nouser", i18n.M("es.cluster.the."+cfg.Role), cfg.Role, strings.ToUpper(cfg.Role), cfg.Role,
				orDefault(cfg.PasswordEnv, "ES_"+strings.ToUpper(cfg.Role)+"_PASSWORD")))
	}
	base := cfg.Transport
	if base == nil {
		tlsConf, err := tlsConfig(cfg)
		if err != nil {
			return nil, err
		}
		ht := http.DefaultTransport.(*http.Transport).Clone()
		ht.TLSClientConfig = tlsConf
		ht.MaxIdleConnsPerHost = 4
		base = ht
	}
	tr := &transport{role: cfg.Role, base: base, observe: cfg.Observe}
	if cfg.ReadOnly {
		tr.guard = &SourceGuard{Repository: cfg.Repository}
	}
	opts := []elastic.ClientOptionFunc{
		elastic.SetURL(u.String()),
		elastic.SetSniff(false),
		elastic.SetHealthcheck(false),
		elastic.SetHttpClient(&http.Client{Transport: tr, Timeout: cfg.Timeout}),
		// Retries belong to the engine, which knows whether a request is safe to repeat
		// (a restore is not: repeating it fails with "index already exists").
		elastic.SetRetrier(elastic.NewStopRetrier()),
	}
	if cfg.Username != "" || cfg.Password != "" {
		opts = append(opts, elastic.SetBasicAuth(cfg.Username, cfg.Password))
	}
	if cfg.APIKey != "" {
		opts = append(opts, elastic.SetHeaders(http.Header{"Authorization": []string{"ApiKey " + cfg.APIKey}}))
	}
	es, err := elastic.NewSimpleClient(opts...)
	if err != nil {
		e := newError(cfg.Role, i18n.M("es.op.client"), i18n.Name(err.Error()), i18n.Msg{})
		e.Err = err
		return nil, e
	}
	return &Client{cfg: cfg, es: es, tr: tr}, nil
}

func tlsConfig(cfg Config) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.Insecure {
		// The operator asked for it explicitly (--insecure); callers warn about it on every run.
		c.InsecureSkipVerify = true
	}
	if cfg.CACert != "" {
		pem, err := os.ReadFile(cfg.CACert)
		if err != nil {
			e := newError(cfg.Role, i18n.M("es.op.ca"), i18n.Name(err.Error()), i18n.M("es.fix.ca"))
			e.Err = err
			return nil, e
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, newError(cfg.Role, i18n.M("es.op.ca"), i18n.M("es.reason.nopem", cfg.CACert), i18n.M("es.fix.pem"))
		}
		c.RootCAs = pool
	}
	return c, nil
}

// Guard is the source guard of a read-only client (nil otherwise): the engine grants the cut-over's write
// block through it.
func (c *Client) Guard() *SourceGuard { return c.tr.guard }

// Role is "source" or "target".
func (c *Client) Role() string { return c.cfg.Role }

// URL is the cluster's address as configured.
func (c *Client) URL() string { return c.cfg.URL }

// Requests is how many HTTP requests this client has sent.
func (c *Client) Requests() int64 { return c.tr.count.Load() }

// Elastic gives tests and benchmarks the underlying client. Migration code uses the functions of this package.
func (c *Client) Elastic() *elastic.Client { return c.es }

// Request describes one HTTP request to Elasticsearch. The engine shows it as a curl command, prints it in
// dry-run mode, and sends it with Client.Do.
type Request struct {
	Method string
	Path   string
	Params url.Values
	Body   any
}

// Do sends a request and decodes the JSON answer into out (when out is not nil).
// op says what the request is for, as a message, for errors: i18n.M("es.op.snapshot", "s1", "r").
func (c *Client) Do(ctx context.Context, op i18n.Msg, req Request, out any) error {
	return c.do(ctx, op, req, out)
}

func (c *Client) do(ctx context.Context, op i18n.Msg, req Request, out any, ignore ...int) error {
	resp, err := c.es.PerformRequest(ctx, elastic.PerformRequestOptions{
		Method:       req.Method,
		Path:         req.Path,
		Params:       req.Params,
		Body:         req.Body,
		IgnoreErrors: ignore,
	})
	if err != nil {
		return c.wrap(op, err)
	}
	if out != nil && len(resp.Body) > 0 {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			e := newError(c.cfg.Role, op, i18n.M("es.reason.unexpected", err.Error()), i18n.M("es.fix.unexpected"))
			e.Status, e.Err = resp.StatusCode, err
			return e
		}
	}
	return nil
}

// params builds url.Values from key/value pairs.
func params(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// joinIndices renders an index list for a URL path.
func joinIndices(indices []string) string {
	if len(indices) == 0 {
		return "_all"
	}
	esc := make([]string, len(indices))
	for i, s := range indices {
		esc[i] = url.PathEscape(s)
	}
	return strings.Join(esc, ",")
}
