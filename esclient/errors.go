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

	"github.com/esmigrate/esmigrate/i18n"
)

// Error is what went wrong talking to a cluster: which cluster, doing what, Elasticsearch's own error type and
// reason (kept word for word: operators search for them), and what to do about it.
//
// What was being done, a reason of ours (when nothing answered, or the answer was not Elasticsearch's) and the fix
// are also messages (package i18n: OpMsg, ReasonMsg, FixMsg), so that screens say them in their language; Op,
// Reason and Fix are their English. Elasticsearch's own type and reason stay as Elasticsearch wrote them.
type Error struct {
	Cluster string // "source" or "target"
	Op      string // what was being done, in words
	Status  int    // HTTP status; 0 when no answer came
	Type    string // Elasticsearch's error type, e.g. repository_exception, or one of the Type* constants here
	Reason  string // Elasticsearch's reason, root cause first (or ours: ReasonMsg)
	Fix     string // what the operator can do
	Err     error  // the underlying error, if any

	OpMsg, ReasonMsg, FixMsg i18n.Msg
}

// newError is a failure of ours (no answer to read, a wrong input): the cluster, what was being done, why it
// failed and what to do, as messages.
func newError(role string, op, reason, fix i18n.Msg) *Error {
	e := &Error{Cluster: role}
	e.setOp(op)
	e.setReason(reason)
	e.setFix(fix)
	return e
}

func (e *Error) setOp(m i18n.Msg)     { e.OpMsg, e.Op = m, m.String() }
func (e *Error) setReason(m i18n.Msg) { e.ReasonMsg, e.Reason = m, m.String() }
func (e *Error) setFix(m i18n.Msg)    { e.FixMsg, e.Fix = m, m.String() }

// ProblemMsg is Problem as a message: the cluster, what was being done, and the error type and reason.
func (e *Error) ProblemMsg() i18n.Msg {
	parts := []i18n.Msg{}
	if e.Cluster != "" {
		parts = append(parts, i18n.M("es.cluster."+e.Cluster))
	}
	switch {
	case !e.OpMsg.IsZero():
		parts = append(parts, e.OpMsg)
	case e.Op != "":
		parts = append(parts, i18n.Text(e.Op))
	}
	reason := e.ReasonMsg
	if reason.IsZero() {
		reason = i18n.Name(e.Reason) // Elasticsearch's words, as it wrote them
	}
	typ := i18n.Name(e.Type) // Elasticsearch's error type, as it wrote it
	switch e.Type {
	case TypeUnreachable, TypeTLS, TypeAuth, TypeForbidden, TypeTimeout, TypeNotES, TypeSourceProtection:
		typ = i18n.M("es.type." + e.Type) // ours
	}
	switch {
	case e.Type != "" && e.Reason != "":
		parts = append(parts, typ, reason)
	case e.Reason != "":
		parts = append(parts, reason)
	case e.Err != nil:
		parts = append(parts, i18n.Name(e.Err.Error()))
	}
	return i18n.List("list.colon", parts)
}

// FixText is what to do, as a message.
func (e *Error) FixText() i18n.Msg {
	if !e.FixMsg.IsZero() {
		return e.FixMsg
	}
	return i18n.Text(e.Fix)
}

// Localize is the error as a message: the problem, and the fix in parentheses.
func (e *Error) Localize() i18n.Msg {
	if e.Fix == "" && e.FixMsg.IsZero() {
		return e.ProblemMsg()
	}
	return i18n.M("es.error.fix", e.ProblemMsg(), e.FixText())
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
func (e *Error) Problem() string { return e.ProblemMsg().String() }

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

func (c *Client) wrap(op i18n.Msg, err error) error {
	if err == nil {
		return nil
	}
	var own *Error
	if errors.As(err, &own) {
		if own.Op == "" || own.Type == TypeSourceProtection {
			own.setOp(op)
		}
		return own
	}
	e := &Error{Cluster: c.cfg.Role, Err: err}
	e.setOp(op)
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
		e.setReason(i18n.M("es.reason.timeout"))
	case errors.Is(err, context.Canceled):
		e.setReason(i18n.M("es.reason.cancelled"))
	default:
		var why i18n.Msg
		e.Type, why = transportFailure(err)
		e.setReason(why)
	}
	e.setFix(fixFor(c.cfg, e))
	return e
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// transportFailure classifies an error that came before any HTTP answer, and says why in words (the system's
// own text, a host name error say, goes in as it is).
func transportFailure(err error) (string, i18n.Msg) {
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		return TypeTLS, i18n.M("es.reason.tls.authority")
	case errors.As(err, &hn):
		return TypeTLS, i18n.M("es.reason.tls.hostname", hn.Error())
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		return TypeTLS, i18n.M("es.reason.tls.expired", ci.Detail)
	case errors.As(err, &ci):
		return TypeTLS, i18n.M("es.reason.tls.invalid", ci.Error())
	// Which side speaks what. An https:// URL to a plain-HTTP listener: Go says "server gave HTTP response to
	// HTTPS client" when the answer starts with "HTTP/", and "first record does not look like a TLS
	// handshake" when it does not (an HTTP/0.9-style answer, as Python's http.server gives): both mean the
	// listener does not speak TLS. An http:// URL to a TLS listener gets TLS bytes back: "malformed HTTP
	// response".
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return TypeTLS, i18n.M("es.reason.tls.plain")
	case strings.Contains(err.Error(), "tls: first record does not look like a TLS handshake"):
		return TypeTLS, i18n.M("es.reason.tls.notls")
	case strings.Contains(err.Error(), "malformed HTTP response"):
		return TypeTLS, i18n.M("es.reason.tls.https")
	// Elasticsearch's transport port answers an HTTP request with "This is not an HTTP port", which Go reads
	// as the status code "is"; a TLS hello there is closed without an answer.
	case strings.Contains(err.Error(), `malformed HTTP status code "is"`):
		return TypeNotES, i18n.M("es.reason.transport")
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return TypeUnreachable, i18n.M("es.reason.closed")
	case errors.Is(err, syscall.ECONNREFUSED):
		return TypeUnreachable, i18n.M("es.reason.refused")
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		return TypeUnreachable, i18n.M("es.reason.noroute")
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return TypeUnreachable, i18n.M("es.reason.dns", dns.Err)
	}
	if errors.Is(err, elastic.ErrNoClient) {
		return TypeUnreachable, i18n.M("es.reason.noanswer")
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return TypeUnreachable, i18n.Name(ue.Err.Error())
	}
	return TypeUnreachable, i18n.Name(err.Error())
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
func fixFor(cfg Config, e *Error) i18n.Msg {
	r := e.Reason
	role := i18n.M("es.cluster.the." + cfg.Role)
	switch {
	case e.Type == TypeSourceProtection:
		return i18n.M("es.fix.guard")
	case e.Type == TypeTLS && strings.Contains(r, "plain HTTP, not HTTPS"):
		return i18n.M("es.fix.http")
	case e.Type == TypeNotES && strings.Contains(r, "transport port"):
		return i18n.M("es.fix.transport")
	case e.Type == TypeUnreachable && strings.Contains(r, "closed without an answer"):
		return i18n.M("es.fix.closed", cfg.URL, role)
	case e.Type == TypeTLS && strings.Contains(r, "HTTPS, not plain HTTP"):
		return i18n.M("es.fix.https")
	case e.Type == TypeTLS && strings.Contains(r, "expired"):
		return i18n.M("es.fix.expired", role)
	case e.Type == TypeTLS:
		return i18n.M("es.fix.tls")
	case e.Type == TypeUnreachable:
		return i18n.M("es.fix.unreachable", cfg.URL, role)
	case e.Type == TypeTimeout && (strings.HasPrefix(e.Op, "connect to ") || e.OpMsg.Key == "es.op.connect"):
		return i18n.M("es.fix.silent", cfg.URL, role)
	case e.Type == TypeTimeout:
		return i18n.M("es.fix.timeout")
	case e.Status == 401:
		e.Type = TypeAuth
		return i18n.M("es.fix.401", role)
	case e.Status == 403:
		e.Type = TypeForbidden
		return i18n.M("es.fix.403")
	case pathRepoRE.MatchString(r):
		loc := pathRepoRE.FindStringSubmatch(r)[1]
		return i18n.M("es.fix.pathrepo", loc, role)
	case strings.Contains(r, "is not accessible on master node") || strings.Contains(r, "AccessDenied") || strings.Contains(r, "Permission denied"):
		return i18n.M("es.fix.permission")
	case strings.Contains(r, "cannot be accessed on the node") || strings.Contains(r, "not shared"):
		return i18n.M("es.fix.notshared")
	case strings.Contains(r, "an open index with same name already exists"):
		return i18n.M("es.fix.exists")
	case strings.Contains(r, "which is higher than the version of this node"):
		return i18n.M("es.fix.newer")
	case strings.Contains(r, "maximum normal shards open") || strings.Contains(r, "maximum shards open"):
		return i18n.M("es.fix.shards")
	case strings.Contains(r, "concurrent modification of the index-N file"):
		return i18n.M("es.fix.twowriters")
	case strings.Contains(r, "Indices don't have primary shards"):
		return i18n.M("es.fix.red")
	case e.Type == "snapshot_missing_exception":
		return i18n.M("es.fix.nosnapshot")
	case e.Type == "repository_missing_exception":
		return i18n.M("es.fix.norepo")
	case e.Type == "invalid_snapshot_name_exception":
		return i18n.M("es.fix.snapshotname")
	case e.Type == "index_not_found_exception":
		return i18n.M("es.fix.noindex")
	}
	return i18n.Msg{}
}
