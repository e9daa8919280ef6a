// Package faultproxy puts a proxy on loopback in front of a real test cluster to give it what the test clusters
// lack (TLS with a chosen certificate, a user and password, as Elasticsearch's security answers them) or to
// inject faults (refused connections, 429/503 answers, rewritten answers). Everything else goes to the real
// cluster unchanged, so every request a test makes is still answered by Elasticsearch itself.
package faultproxy

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Options say what the proxy adds.
type Options struct {
	// Record keeps every request the proxy passes on to the cluster with its body (see Proxy.Recorded): what
	// reached the cluster, seen from outside the client that sent it.
	Record bool
	// TLS serves HTTPS with a certificate for 127.0.0.1 signed by a CA of the proxy's own (see Proxy.CAFile).
	TLS bool
	// Expired makes that certificate expired.
	Expired bool
	// User and Password, when set, are required as basic authentication; others get Elasticsearch's 401.
	User, Password string
	// Fault, when set, may answer a request itself (return true) instead of the cluster.
	Fault func(w http.ResponseWriter, r *http.Request) bool
}

// Proxy is a running proxy.
type Proxy struct {
	URL     string // http(s)://127.0.0.1:port
	CAFile  string // PEM of the CA that signed the proxy's certificate (TLS only)
	srv     *http.Server
	ln      net.Listener
	down    atomic.Bool
	mu      sync.Mutex
	Headers []http.Header // request headers seen (to check what credentials were sent)
	seen    []Seen
	sent    []Recorded
}

// Recorded is one request as it reached the cluster, with its body (Options.Record).
type Recorded struct {
	Method   string
	Path     string // as sent, escaped
	RawQuery string
	Body     []byte
}

// Recorded returns the requests passed on to the cluster so far (Options.Record).
func (p *Proxy) Recorded() []Recorded {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Recorded(nil), p.sent...)
}

// Seen is a request as it reached the proxy, before the proxy forwards it or answers it itself.
type Seen struct {
	Method string
	Path   string // path and query, as sent
}

// Start starts a proxy in front of backend and stops it when the test ends.
func Start(t testing.TB, backend string, o Options) *Proxy {
	t.Helper()
	target, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln}
	rp := httputil.NewSingleHostReverseProxy(target)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.Headers = append(p.Headers, r.Header.Clone())
		p.seen = append(p.seen, Seen{Method: r.Method, Path: r.URL.RequestURI()})
		p.mu.Unlock()
		if p.down.Load() {
			// Close the connection without an answer, like a node that died mid-request.
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		if o.User != "" {
			u, pw, ok := r.BasicAuth()
			if !ok || u != o.User || pw != o.Password {
				// What Elasticsearch's security answers.
				w.Header().Set("WWW-Authenticate", `Basic realm="security" charset="UTF-8"`)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				w.Write([]byte(`{"error":{"root_cause":[{"type":"security_exception","reason":"unable to authenticate user [` + u + `] for REST request [` + r.URL.Path + `]","header":{"WWW-Authenticate":"Basic realm=\"security\" charset=\"UTF-8\""}}],"type":"security_exception","reason":"unable to authenticate user [` + u + `] for REST request [` + r.URL.Path + `]"},"status":401}`))
				return
			}
			r.Header.Del("Authorization")
		}
		if o.Fault != nil && o.Fault(w, r) {
			return
		}
		if o.Record {
			var body []byte
			if r.Body != nil {
				body, _ = io.ReadAll(r.Body)
				r.Body.Close()
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
			p.mu.Lock()
			p.sent = append(p.sent, Recorded{Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Body: body})
			p.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	})
	// Handshake failures are what the TLS tests provoke: keep them out of the test output.
	p.srv = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	scheme := "http"
	if o.TLS {
		dir := t.TempDir()
		cert, caPEM := certificates(t, o.Expired)
		p.CAFile = filepath.Join(dir, "ca.pem")
		if err := os.WriteFile(p.CAFile, caPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		p.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		scheme = "https"
		go p.srv.ServeTLS(ln, "", "")
	} else {
		go p.srv.Serve(ln)
	}
	p.URL = scheme + "://" + ln.Addr().String()
	t.Cleanup(func() { p.srv.Close() })
	return p
}

// SetDown makes the proxy drop every connection (true) or pass them again (false).
func (p *Proxy) SetDown(down bool) { p.down.Store(down) }

// Requests returns every request the proxy received, in order: what was sent at the wire.
func (p *Proxy) Requests() []Seen {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Seen(nil), p.seen...)
}

// SeenHeaders returns the request headers the proxy received.
func (p *Proxy) SeenHeaders() []http.Header {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]http.Header(nil), p.Headers...)
}

// certificates makes a CA and a server certificate for 127.0.0.1 signed by it.
func certificates(t testing.TB, expired bool) (tls.Certificate, []byte) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "esmigrate test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	notAfter := now.Add(24 * time.Hour)
	if expired {
		notAfter = now.Add(-time.Minute)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-2 * time.Hour), NotAfter: notAfter, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	cert, err := tls.X509KeyPair(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
}
