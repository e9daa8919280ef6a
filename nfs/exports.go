//go:build linux

package nfs

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Export is one line of an exports(5) file: a path and the clients it is exported to.
type Export struct {
	Path    string
	Clients []ExportClient
	File    string
	Line    int
	Notes   []string // legal but probably unintended things on the line (a space before "(", no client)
}

// ExportClient is one client specification with its options (line defaults given with "-opts" included).
type ExportClient struct {
	Host    string   // host, address, network, wildcard, @netgroup, gss/krb5, or "*" for everyone
	Options []string // in order; a later option overrides an earlier one (rw then ro = ro)
}

// Option returns the value of the last key[=value] option named key.
func (c ExportClient) Option(key string) (string, bool) {
	val, found := "", false
	for _, o := range c.Options {
		k, v, _ := strings.Cut(o, "=")
		if k == key {
			val, found = v, true
		}
	}
	return val, found
}

// last returns which of the options in group appears last (or def when none does).
func (c ExportClient) last(def string, group ...string) string {
	res := def
	for _, o := range c.Options {
		for _, g := range group {
			if o == g {
				res = g
			}
		}
	}
	return res
}

// RW says whether the client may write (the default is ro).
func (c ExportClient) RW() bool { return c.last("ro", "rw", "ro") == "rw" }

// Sync says whether the server commits writes before answering (the default since nfs-utils 1.0.1 is sync).
func (c ExportClient) Sync() bool { return c.last("sync", "sync", "async") == "sync" }

// AllSquash says whether every uid is mapped to anonuid/anongid.
func (c ExportClient) AllSquash() bool {
	return c.last("no_all_squash", "all_squash", "no_all_squash") == "all_squash"
}

// RootSquash says whether uid 0 is mapped to anonuid (the default).
func (c ExportClient) RootSquash() bool {
	return c.last("root_squash", "root_squash", "no_root_squash") == "root_squash"
}

// Anon returns anonuid/anongid (65534, nobody, when not given).
func (c ExportClient) Anon() (uid, gid int) {
	uid, gid = 65534, 65534
	if v, ok := c.Option("anonuid"); ok {
		uid, _ = strconv.Atoi(v)
	}
	if v, ok := c.Option("anongid"); ok {
		gid, _ = strconv.Atoi(v)
	}
	return uid, gid
}

func (c ExportClient) String() string { return c.Host + "(" + strings.Join(c.Options, ",") + ")" }

// SyntaxError is a line of an exports file that exportfs would reject.
type SyntaxError struct {
	File string
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// exportOptions are the options exportfs(8) of nfs-utils 1.3–2.6 accepts; value: "" no value, "=" needs one,
// "?" value optional.
var exportOptions = map[string]string{
	"rw": "", "ro": "", "sync": "", "async": "", "secure": "", "insecure": "", "wdelay": "", "no_wdelay": "",
	"hide": "", "nohide": "", "crossmnt": "", "nocrossmnt": "", "subtree_check": "", "no_subtree_check": "",
	"secure_locks": "", "insecure_locks": "", "auth_nlm": "", "no_auth_nlm": "", "root_squash": "",
	"no_root_squash": "", "all_squash": "", "no_all_squash": "", "acl": "", "no_acl": "", "pnfs": "",
	"no_pnfs": "", "security_label": "", "nordirplus": "", "rdirplus": "", "async_commit": "",
	"anonuid": "=", "anongid": "=", "fsid": "=", "sec": "=", "refer": "=", "replicas": "=", "xprtsec": "=",
	"mountpoint": "?", "mp": "?",
}

// ParseExports reads an exports(5) file. It returns every export it could read and, when some lines are
// wrong, an error joining one *SyntaxError per line (so the message carries "file:line").
//
// Hand-written: no maintained Go parser for exports(5) exists. It follows exportfs: "#" comments, "\" at the
// end of a line continues it, paths may be "quoted" or use \040 escapes, "-opts" after the path sets defaults
// for the line, options follow a client with no space ("host(rw)"; "host (rw)" is legal but means host with
// defaults plus everyone with rw, a classic mistake noted in Notes).
func ParseExports(r io.Reader, name string) ([]Export, error) {
	var out []Export
	var errs []error
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		start := n
		line := sc.Text()
		for strings.HasSuffix(line, `\`) && sc.Scan() {
			n++
			line = strings.TrimSuffix(line, `\`) + " " + sc.Text()
		}
		e, err := parseExportLine(line, name, start)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if e != nil {
			out = append(out, *e)
		}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", name, err))
	}
	return out, errors.Join(errs...)
}

func parseExportLine(line, file string, n int) (*Export, error) {
	bad := func(format string, a ...any) error {
		return &SyntaxError{File: file, Line: n, Msg: fmt.Sprintf(format, a...)}
	}
	toks, err := tokenizeExport(stripComment(line))
	if err != nil {
		return nil, bad("%v", err)
	}
	if len(toks) == 0 {
		return nil, nil
	}
	e := &Export{File: file, Line: n}
	p := toks[0]
	if !strings.HasPrefix(p.text, "/") && !strings.HasPrefix(p.text, "gss/") {
		return nil, bad("export path %q is not absolute", p.text)
	}
	if strings.ContainsAny(p.text, "()") && !p.quoted {
		return nil, bad("export path %q contains a parenthesis: options must follow a client, not the path", p.text)
	}
	e.Path = filepath.Clean(unescapeOctal(p.text))
	toks = toks[1:]
	var defaults []string
	if len(toks) > 0 && strings.HasPrefix(toks[0].text, "-") {
		opts, err := parseExportOptions(toks[0].text[1:])
		if err != nil {
			return nil, bad("default options %q: %v", toks[0].text, err)
		}
		defaults = opts
		toks = toks[1:]
	}
	if len(toks) == 0 {
		e.Notes = append(e.Notes, "no client given: exportfs exports it to everyone (*) read-only, with a warning")
		e.Clients = append(e.Clients, ExportClient{Host: "*", Options: append([]string{"ro"}, defaults...)})
		return e, nil
	}
	for i, t := range toks {
		host, opts, hasOpts := strings.Cut(t.text, "(")
		if strings.Count(t.text, "(") > 1 || strings.Count(t.text, ")") > 1 {
			return nil, bad("client %q has more than one option list", t.text)
		}
		if hasOpts && !strings.HasSuffix(opts, ")") {
			if strings.Contains(opts, ")") {
				return nil, bad("client %q: text after the closing parenthesis", t.text)
			}
			return nil, bad("client %q: missing closing parenthesis", t.text)
		}
		if !hasOpts && strings.Contains(t.text, ")") {
			return nil, bad("client %q: closing parenthesis without an opening one", t.text)
		}
		list := []string{}
		if hasOpts {
			var err error
			list, err = parseExportOptions(strings.TrimSuffix(opts, ")"))
			if err != nil {
				return nil, bad("client %q: %v", t.text, err)
			}
		}
		if host == "" {
			host = "*"
			if i > 0 && !strings.Contains(toks[i-1].text, "(") {
				e.Notes = append(e.Notes, fmt.Sprintf("%q follows %q after a space: the options apply to everyone (*), and %s gets the defaults (ro, root_squash); write %s%s without the space",
					t.text, toks[i-1].text, toks[i-1].text, toks[i-1].text, t.text))
			}
		}
		if strings.ContainsAny(host, " \t") {
			return nil, bad("client %q contains a space", host)
		}
		e.Clients = append(e.Clients, ExportClient{Host: host, Options: append(append([]string{}, defaults...), list...)})
	}
	return e, nil
}

type exportToken struct {
	text   string
	quoted bool
}

// tokenizeExport splits on blanks, honouring "double quotes" (exportfs allows them around paths).
func tokenizeExport(s string) ([]exportToken, error) {
	var out []exportToken
	var cur strings.Builder
	inQuote, quoted, have := false, false, false
	flush := func() {
		if have {
			out = append(out, exportToken{cur.String(), quoted})
		}
		cur.Reset()
		have, quoted = false, false
	}
	for _, r := range s {
		switch {
		case r == '"':
			inQuote = !inQuote
			quoted, have = true, true
		case !inQuote && (r == ' ' || r == '\t'):
			flush()
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if inQuote {
		return nil, errors.New("unterminated double quote")
	}
	flush()
	return out, nil
}

func stripComment(s string) string {
	inQuote := false
	for i, r := range s {
		switch r {
		case '"':
			inQuote = !inQuote
		case '#':
			if !inQuote {
				return s[:i]
			}
		}
	}
	return s
}

func parseExportOptions(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	for _, o := range strings.Split(s, ",") {
		k, v, hasV := strings.Cut(o, "=")
		kind, known := exportOptions[k]
		switch {
		case o == "":
			return nil, errors.New("empty option (two commas in a row?)")
		case !known:
			return nil, fmt.Errorf("unknown option %q", k)
		case kind == "" && hasV:
			return nil, fmt.Errorf("option %q takes no value", k)
		case kind == "=" && (!hasV || v == ""):
			return nil, fmt.Errorf("option %q needs a value (%s=...)", k, k)
		case (k == "anonuid" || k == "anongid") && !isDigits(v):
			return nil, fmt.Errorf("option %s=%s: not a number", k, v)
		}
		out = append(out, o)
	}
	return out, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ExportsFiles lists the exports files the NFS server reads under root ("" = /): etc/exports and
// etc/exports.d/*.exports, in the order exportfs reads them.
func ExportsFiles(root string) []string {
	if root == "" {
		root = "/"
	}
	files := []string{filepath.Join(root, "etc/exports")}
	more, _ := filepath.Glob(filepath.Join(root, "etc/exports.d/*.exports"))
	sort.Strings(more)
	return append(files, more...)
}

// CheckExports checks, on the NFS server, the export line for path in files: that the files parse, that path
// is exported, rw, sync, and squashed so the Elasticsearch uid/gid can write (no_root_squash; all_squash with
// anonuid/anongid equal to uid/gid; or root_squash with the directory writable by uid). uid < 0 = unknown.
func CheckExports(files []string, path string, uid, gid int) []Result {
	var out []Result
	path = filepath.Clean(path)
	var all []Export
	var synErrs, readErrs []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			if !(errors.Is(err, fs.ErrNotExist) && f != files[0]) {
				readErrs = append(readErrs, err.Error())
			}
			continue
		}
		ex, err := ParseExports(fh, f)
		fh.Close()
		all = append(all, ex...)
		if err != nil {
			synErrs = append(synErrs, strings.Split(err.Error(), "\n")...)
		}
	}
	syn := Result{ID: "exports.syntax", Title: "Exports files parse", Status: OK,
		Evidence: fmt.Sprintf("read %s: %d export lines", strings.Join(files, ", "), len(all))}
	var notes []string
	for _, e := range all {
		for _, n := range e.Notes {
			notes = append(notes, fmt.Sprintf("%s:%d: %s", e.File, e.Line, n))
		}
	}
	switch {
	case len(synErrs) > 0:
		syn.Status = Fail
		syn.Evidence = strings.Join(append(synErrs, readErrs...), "; ")
		syn.Fix = "correct the line(s) named above (exportfs -ra refuses them and keeps the old exports), then run exportfs -ra"
	case len(readErrs) > 0:
		syn.Status = Fail
		syn.Evidence = strings.Join(readErrs, "; ")
		syn.Fix = "this host does not look like the NFS server (no readable exports file): run the check on the server, or create the export (see the setup commands)"
	case len(notes) > 0:
		syn.Status = Warn
		syn.Evidence += "; " + strings.Join(notes, "; ")
		syn.Fix = "check the lines noted: they do something else than they seem to"
	}
	out = append(out, syn)

	// find the line: the path itself, else the nearest exported parent (clients may mount a subdirectory of
	// an export on the same filesystem, with that export's options).
	var match []Export
	var parent *Export
	for i, e := range all {
		if e.Path == path {
			match = append(match, e)
		} else if under(path, e.Path) && (parent == nil || len(e.Path) > len(parent.Path)) {
			parent = &all[i]
		}
	}
	pr := Result{ID: "exports.path", Title: "Path is exported"}
	var line Export
	switch {
	case len(match) > 1:
		var where []string
		for _, e := range match {
			where = append(where, fmt.Sprintf("%s:%d", e.File, e.Line))
		}
		pr.Status = Warn
		pr.Evidence = fmt.Sprintf("%s is exported more than once: %s", path, strings.Join(where, ", "))
		pr.Fix = "keep one line per path: exportfs merges or rejects duplicates depending on the version"
		line = match[len(match)-1]
	case len(match) == 1:
		pr.Status = OK
		line = match[0]
		pr.Evidence = fmt.Sprintf("%s:%d exports %s to %s", line.File, line.Line, path, clientList(line.Clients))
	case parent != nil:
		pr.Status = Warn
		line = *parent
		pr.Evidence = fmt.Sprintf("%s is not exported itself; %s:%d exports its parent %s to %s", path, line.File, line.Line, line.Path, clientList(line.Clients))
		pr.Fix = fmt.Sprintf("clients can mount %s through %s if both are on one filesystem; export %s on its own line to be explicit", path, line.Path, path)
	default:
		pr.Status = Fail
		pr.Evidence = fmt.Sprintf("no line in %s exports %s or a parent of it", strings.Join(files, ", "), path)
		pr.Fix = fmt.Sprintf("add to /etc/exports: %s, then run exportfs -ra", exportsLine(path, []string{"<each Elasticsearch node>"}, uid, gid))
		return append(out, pr)
	}
	out = append(out, pr)
	return append(out, checkExportOptions(line, path, uid, gid)...)
}

func clientList(cs []ExportClient) string {
	var s []string
	for _, c := range cs {
		s = append(s, c.String())
	}
	return strings.Join(s, " ")
}

func checkExportOptions(e Export, path string, uid, gid int) []Result {
	where := fmt.Sprintf("%s:%d", e.File, e.Line)
	rw := Result{ID: "exports.rw", Title: "Export is read-write", Status: OK}
	var ro, rwc []string
	for _, c := range e.Clients {
		if c.RW() {
			rwc = append(rwc, c.Host)
		} else {
			ro = append(ro, c.Host)
		}
	}
	switch {
	case len(rwc) == 0:
		rw.Status = Fail
		rw.Evidence = fmt.Sprintf("%s exports %s read-only to every client (%s); ro is the default when rw is not written", where, e.Path, strings.Join(ro, ", "))
		rw.Fix = fmt.Sprintf("add rw to the options of each Elasticsearch node on %s, then exportfs -ra", where)
	case len(ro) > 0:
		rw.Status = Warn
		rw.Evidence = fmt.Sprintf("%s: read-write for %s, read-only for %s", where, strings.Join(rwc, ", "), strings.Join(ro, ", "))
		rw.Fix = "read-only is right only for nodes of a cluster that registers the repository with readonly: true; every node of the writing cluster needs rw"
	default:
		rw.Evidence = fmt.Sprintf("%s: read-write for %s", where, strings.Join(rwc, ", "))
	}

	sy := Result{ID: "exports.sync", Title: "Export commits writes (sync)", Status: OK}
	var async []string
	for _, c := range e.Clients {
		if !c.Sync() {
			async = append(async, c.Host)
		}
	}
	if len(async) > 0 {
		sy.Status = Warn
		sy.Evidence = fmt.Sprintf("%s: async for %s", where, strings.Join(async, ", "))
		sy.Fix = fmt.Sprintf("with async a server crash loses writes Elasticsearch was told were safe, and the repository's index-N files can point at missing blobs: replace async with sync on %s, then exportfs -ra", where)
	} else {
		sy.Evidence = where + ": sync (explicit or default) for every client"
	}

	sq := Result{ID: "exports.squash", Title: "Squashing lets Elasticsearch write"}
	var ev []string
	worst := OK
	var fixes []string
	owner := ""
	var st unix.Stat_t
	statErr := unix.Stat(path, &st)
	if statErr == nil {
		owner = fmt.Sprintf("%d:%d %s", st.Uid, st.Gid, fs.FileMode(st.Mode&0o7777)|fs.ModeDir)
	}
	bump := func(s Status) {
		if s == Fail || (s == Warn && worst == OK) {
			worst = s
		}
	}
	for _, c := range e.Clients {
		if !c.RW() {
			continue
		}
		au, ag := c.Anon()
		switch {
		case c.AllSquash():
			ev = append(ev, fmt.Sprintf("%s: all_squash to %d:%d", c.Host, au, ag))
			if uid >= 0 && (au != uid || ag != gid) {
				bump(Fail)
				fixes = append(fixes, fmt.Sprintf("%s squashes everyone to %d:%d, not the Elasticsearch uid %d:%d: set anonuid=%d,anongid=%d for %s on %s", c.Host, au, ag, uid, gid, uid, gid, c.Host, where))
			}
			if statErr == nil && !modeAllows(st, au, ag) {
				bump(Fail)
				fixes = append(fixes, fmt.Sprintf("%s (%s) is not writable by the squashed uid %d:%d: chown %d:%d %s", path, owner, au, ag, au, ag, shq(path)))
			}
		case !c.RootSquash():
			ev = append(ev, c.Host+": no_root_squash")
			if uid >= 0 && statErr == nil && !modeAllows(st, uid, gid) {
				bump(Fail)
				fixes = append(fixes, fmt.Sprintf("%s (%s) is not writable by uid %d:%d: chown %d:%d %s", path, owner, uid, gid, uid, gid, shq(path)))
			}
		default: // root_squash: only uid 0 is mapped; Elasticsearch's own uid passes through unchanged
			ev = append(ev, c.Host+": root_squash (uids other than 0 pass unchanged)")
			switch {
			case uid == 0:
				bump(Fail)
				fixes = append(fixes, fmt.Sprintf("Elasticsearch runs as root but %s squashes root for %s: add no_root_squash, or better run Elasticsearch as its own user", where, c.Host))
			case uid < 0:
				bump(Warn)
				fixes = append(fixes, "the Elasticsearch uid is unknown: give it to check whether it can write")
			case statErr == nil && !modeAllows(st, uid, gid):
				bump(Fail)
				fixes = append(fixes, fmt.Sprintf("%s (%s) is not writable by uid %d:%d: chown %d:%d %s, or export with all_squash,anonuid=%d,anongid=%d", path, owner, uid, gid, uid, gid, shq(path), uid, gid))
			case statErr != nil:
				bump(Warn)
				fixes = append(fixes, fmt.Sprintf("cannot see %s on this host (%v) to check that uid %d can write it", path, statErr, uid))
			}
		}
	}
	if owner != "" {
		ev = append(ev, "directory "+owner)
	}
	sq.Status = worst
	sq.Evidence = where + ": " + strings.Join(ev, "; ")
	sq.Fix = strings.Join(fixes, "; ")
	if len(ev) == 0 {
		sq.Status = Fail
		sq.Evidence = where + ": no client can write"
		sq.Fix = fmt.Sprintf("export %s rw to every Elasticsearch node on %s (see the read-write check), then exportfs -ra", e.Path, where)
	}
	return []Result{rw, sy, sq}
}

// CheckExportsApplied compares the exports files with what the kernel server exports now (etab, normally
// /var/lib/nfs/etab): an edited /etc/exports does nothing until `exportfs -ra`.
func CheckExportsApplied(etab string, files []string, path string) Result {
	r := Result{ID: "exports.applied", Title: "Exports are applied (exportfs -ra)"}
	path = filepath.Clean(path)
	est, err := os.Stat(etab)
	if err != nil {
		r.Status = Warn
		r.Evidence = fmt.Sprintf("cannot read %s: %v", etab, err)
		r.Fix = "start the NFS server (systemctl enable --now nfs-server) and run exportfs -ra"
		return r
	}
	b, err := os.ReadFile(etab)
	if err != nil {
		r.Status = Warn
		r.Evidence = err.Error()
		r.Fix = "run the check as root on the NFS server, or compare by hand: exportfs -v lists what the server exports now"
		return r
	}
	found := false
	for _, l := range strings.Split(string(b), "\n") {
		p, _, _ := strings.Cut(l, "\t")
		if p != "" && filepath.Clean(unescapeOctal(p)) == path {
			found = true
			break
		}
	}
	var newer []string
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.ModTime().After(est.ModTime()) {
			newer = append(newer, f)
		}
	}
	switch {
	case !found:
		r.Status = Fail
		r.Evidence = fmt.Sprintf("%s is not in %s: the server does not export it now", path, etab)
		r.Fix = "run exportfs -ra on the server (and check its output for errors)"
	case len(newer) > 0:
		r.Status = Warn
		r.Evidence = fmt.Sprintf("%s is exported, but %s changed after %s was written", path, strings.Join(newer, ", "), etab)
		r.Fix = "run exportfs -ra so the server uses the current files"
	default:
		r.Status = OK
		r.Evidence = fmt.Sprintf("%s lists %s", etab, path)
	}
	return r
}
