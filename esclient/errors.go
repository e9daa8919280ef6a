package esclient

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strings"
	"syscall"

	"github.com/olivere/elastic/v7"
)

// Error is what went wrong talking to a cluster: which cluster, doing what, Elasticsearch's own error type and
// reason (kept word for word: operators search for them), and what to do about it.
type Error struct {
	Cluster string // "source" or "target"
	Op      string // what was being done, in words
	Status  int    // HTTP status; 0 when no answer came
	Type    string // Elasticsearch's error type, e.g. repository_exception, or one of the Type* constants here
	Reason  string // Elasticsearch's reason, root cause first
	Fix     string // what the operator can do
	Err     error  // the underlying error, if any
}

// Kinds of failure that are not Elasticsearch error types.
const (
	TypeUnreachable = "unreachable"       // nothing answered at the URL
	TypeTLS         = "tls"               // the certificate could not be verified
	TypeAuth        = "authentication"    // 401
	TypeForbidden   = "authorization"     // 403
	TypeTimeout     = "timeout"           // no answer in time
	TypeNotES       = "not_elasticsearch" // something else answered
)

func (e *Error) Error() string {
	if e.Fix != "" {
		return e.Problem() + " (" + e.Fix + ")"
	}
	return e.Problem()
}

// Problem is the error without its fix, for screens that show the fix on a line of its own.
func (e *Error) Problem() string {
	var b strings.Builder
	b.WriteString(e.Cluster)
	if e.Op != "" {
		b.WriteString(": " + e.Op)
	}
	switch {
	case e.Type != "" && e.Reason != "":
		b.WriteString(": " + e.Type + ": " + e.Reason)
	case e.Reason != "":
		b.WriteString(": " + e.Reason)
	case e.Err != nil:
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Transient tells whether repeating the same request later may succeed: the cluster was unreachable, busy (429)
// or unavailable (502-504). Permanent failures (bad request, missing repository, conflicts) return false.
func (e *Error) Transient() bool {
	switch e.Type {
	case TypeUnreachable, TypeTimeout:
		return true
	}
	switch e.Status {
	case 429, 502, 503, 504:
		return true
	}
	return false
}

// IsType tells whether err is an *Error of Elasticsearch type t (also matching root causes).
func IsType(err error, t string) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Type == t || strings.Contains(e.Reason, t)
}

// IsTransient reports whether err is worth retrying (see Error.Transient).
func IsTransient(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Transient()
}

// StatusOf returns the HTTP status of an *Error, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

func (c *Client) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var own *Error
	if errors.As(err, &own) {
		if own.Op == "" || own.Type == TypeSourceProtection {
			own.Op = op
		}
		return own
	}
	e := &Error{Cluster: c.cfg.Role, Op: op, Err: err}
	var ee *elastic.Error
	switch {
	case errors.As(err, &ee):
		e.Status = ee.Status
		if ee.Details != nil {
			e.Type, e.Reason = detailsText(ee.Details)
		} else {
			e.Reason = fmt.Sprintf("HTTP %d", ee.Status)
		}
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		e.Type = TypeTimeout
		e.Reason = "no answer within the time limit"
	case errors.Is(err, context.Canceled):
		e.Reason = "cancelled"
	default:
		e.Type, e.Reason = transportFailure(err)
	}
	e.Fix = fixFor(c.cfg, e)
	return e
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// transportFailure classifies an error that came before any HTTP answer.
func transportFailure(err error) (string, string) {
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		return TypeTLS, "the cluster's certificate is signed by an authority this machine does not trust"
	case errors.As(err, &hn):
		return TypeTLS, "the certificate is not valid for this host name: " + hn.Error()
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		return TypeTLS, "the cluster's certificate has expired: " + ci.Detail
	case errors.As(err, &ci):
		return TypeTLS, "the certificate is not valid: " + ci.Error()
	// Which side speaks what. An https:// URL to a plain-HTTP listener: Go says "server gave HTTP response to
	// HTTPS client" when the answer starts with "HTTP/", and "first record does not look like a TLS
	// handshake" when it does not (an HTTP/0.9-style answer, as Python's http.server gives): both mean the
	// listener does not speak TLS. An http:// URL to a TLS listener gets TLS bytes back: "malformed HTTP
	// response".
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return TypeTLS, "the cluster speaks plain HTTP, not HTTPS"
	case strings.Contains(err.Error(), "tls: first record does not look like a TLS handshake"):
		return TypeTLS, "the address answers without TLS (plain HTTP, not HTTPS)"
	case strings.Contains(err.Error(), "malformed HTTP response"):
		return TypeTLS, "the cluster speaks HTTPS, not plain HTTP"
	// Elasticsearch's transport port answers an HTTP request with "This is not an HTTP port", which Go reads
	// as the status code "is"; a TLS hello there is closed without an answer.
	case strings.Contains(err.Error(), `malformed HTTP status code "is"`):
		return TypeNotES, "this is an Elasticsearch transport port (it answers \"This is not an HTTP port\"), not the HTTP port"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return TypeUnreachable, "the connection was closed without an answer"
	case errors.Is(err, syscall.ECONNREFUSED):
		return TypeUnreachable, "connection refused: nothing listens at that address and port"
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		return TypeUnreachable, "no route to the host"
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return TypeUnreachable, "the host name does not resolve: " + dns.Err
	}
	if errors.Is(err, elastic.ErrNoClient) {
		return TypeUnreachable, "the cluster did not answer"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return TypeUnreachable, ue.Err.Error()
	}
	return TypeUnreachable, err.Error()
}

// detailsText flattens Elasticsearch's error object: the type, and the reason followed by the root causes
// and the caused_by chain, because the useful words ("doesn't match any of the locations specified by path.repo")
// are often nested.
func detailsText(d *elastic.ErrorDetails) (string, string) {
	reasons := []string{}
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s == "" {
			return
		}
		for _, r := range reasons {
			if strings.Contains(r, s) {
				return
			}
		}
		reasons = append(reasons, s)
	}
	add(d.Reason)
	for _, rc := range d.RootCause {
		if rc != nil {
			add(rc.Reason)
		}
	}
	cb := d.CausedBy
	for depth := 0; cb != nil && depth < 5; depth++ {
		if r, ok := cb["reason"].(string); ok {
			add(r)
		}
		next, _ := cb["caused_by"].(map[string]any)
		cb = next
	}
	for _, fs := range d.FailedShards {
		if b, err := json.Marshal(fs["reason"]); err == nil && len(reasons) < 6 {
			add(string(b))
		}
	}
	return d.Type, strings.Join(reasons, "; ")
}

var pathRepoRE = regexp.MustCompile(`location \[([^\]]*)\] doesn't match any of the locations specified by path\.repo`)

// fixFor turns a failure into advice. The texts come from Elasticsearch's own messages (see docs and notes).
func fixFor(cfg Config, e *Error) string {
	r := e.Reason
	switch {
	case e.Type == TypeSourceProtection:
		return "nothing was sent: esmigrate never changes source indices; this is a bug, please report it with this message"
	case e.Type == TypeTLS && strings.Contains(r, "plain HTTP, not HTTPS"):
		return "use http:// in the URL"
	case e.Type == TypeNotES && strings.Contains(r, "transport port"):
		return "give the node's HTTP port (http.port, 9200 by default; 9300 is the transport port)"
	case e.Type == TypeUnreachable && strings.Contains(r, "closed without an answer"):
		return fmt.Sprintf("check that %s is the HTTP port of a node of the %s cluster (9200 by default, not the transport port 9300) and that the scheme (http:// or https://) is the one the cluster speaks", cfg.URL, cfg.Role)
	case e.Type == TypeTLS && strings.Contains(r, "HTTPS, not plain HTTP"):
		return "use https:// in the URL"
	case e.Type == TypeTLS && strings.Contains(r, "expired"):
		return "renew the certificate on the " + cfg.Role + " cluster's nodes (or, knowingly, --insecure)"
	case e.Type == TypeTLS:
		return "give the cluster's CA certificate with --ca-cert (on a node: config/certs/http_ca.crt), or --insecure to skip verification"
	case e.Type == TypeUnreachable:
		return fmt.Sprintf("check that %s is the address of a running node of the %s cluster and that no firewall blocks the port", cfg.URL, cfg.Role)
	case e.Type == TypeTimeout && strings.HasPrefix(e.Op, "connect to "):
		return fmt.Sprintf("something accepts connections at %s but does not answer: check that it is the HTTP port of a node of the %s cluster (9200 by default) and that no proxy or firewall holds the connection", cfg.URL, cfg.Role)
	case e.Type == TypeTimeout:
		return "the cluster is slow or overloaded; check its health and try again"
	case e.Status == 401:
		e.Type = TypeAuth
		return "check the user and password (or the API key) for the " + cfg.Role + " cluster"
	case e.Status == 403:
		e.Type = TypeForbidden
		return "the user lacks a privilege for this request: give it the manage and snapshot privileges (cluster: manage, monitor; indices: all on the migrated indices)"
	case pathRepoRE.MatchString(r):
		loc := pathRepoRE.FindStringSubmatch(r)[1]
		return fmt.Sprintf("add %s to path.repo in elasticsearch.yml on every node of the %s cluster and restart them one by one", loc, cfg.Role)
	case strings.Contains(r, "is not accessible on master node") || strings.Contains(r, "AccessDenied") || strings.Contains(r, "Permission denied"):
		return "the elasticsearch user cannot write to the repository directory: chown it to the elasticsearch uid/gid on the NFS server, and give that user the same uid on every node"
	case strings.Contains(r, "cannot be accessed on the node") || strings.Contains(r, "not shared"):
		return "the repository directory is not the same shared directory on every node: mount the NFS share at that path on all nodes"
	case strings.Contains(r, "an open index with same name already exists"):
		return "restore under another name (rename pattern), or delete or close the existing index on the target first"
	case strings.Contains(r, "which is higher than the version of this node"):
		return "a snapshot can only be restored into the same or a newer version: upgrade the target first"
	case strings.Contains(r, "maximum normal shards open") || strings.Contains(r, "maximum shards open"):
		return "raise cluster.max_shards_per_node on the target, add data nodes, or migrate fewer indices per batch"
	case strings.Contains(r, "concurrent modification of the index-N file"):
		return "two clusters write to the same repository: register it readonly on all but one cluster"
	case strings.Contains(r, "Indices don't have primary shards"):
		return "an index is red on the source: fix its health before the snapshot, or leave it out"
	case e.Type == "snapshot_missing_exception":
		return "the snapshot is not in the repository: check its name, and on the target that the repository files were copied"
	case e.Type == "repository_missing_exception":
		return "register the repository first"
	case e.Type == "invalid_snapshot_name_exception":
		return "snapshot names are lower case, without spaces, commas, #, \\, /, *, ?, \", <, >, |"
	case e.Type == "index_not_found_exception":
		return "check the index name; closed and hidden indices need to be named explicitly"
	}
	return ""
}
