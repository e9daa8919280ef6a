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

	"github.com/esmigrate/esmigrate/i18n"
)

// Export is one line of an exports(5) file: a path and the clients it is exported to.
type Export struct {
	Path    string
	Clients []ExportClient
	File    string
	Line    int
	Notes   []i18n.Msg // legal but probably unintended things on the line (a space before "(", no client)
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
	Msg  i18n.Msg
}

func (e *SyntaxError) Error() string { return e.Localize().String() }

// Localize is the error as a message: file:line, and what is wrong.
func (e *SyntaxError) Localize() i18n.Msg {
	return i18n.Join("list.colon", i18n.Name(fmt.Sprintf("%s:%d", e.File, e.Line)), e.Msg)
}

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
		errs = append(errs, i18n.Errorf("nfs.exports.read", name, err))
	}
	return out, errors.Join(errs...)
}

func parseExportLine(line, file string, n int) (*Export, error) {
	bad := func(key string, a ...any) error {
		return &SyntaxError{File: file, Line: n, Msg: i18n.M(key, a...)}
	}
	toks, err := tokenizeExport(stripComment(line))
	if err != nil {
		return nil, &SyntaxError{File: file, Line: n, Msg: i18n.MsgOf(err)}
	}
	if len(toks) == 0 {
		return nil, nil
	}
	e := &Export{File: file, Line: n}
	p := toks[0]
	if !strings.HasPrefix(p.text, "/") && !strings.HasPrefix(p.text, "gss/") {
		return nil, bad("nfs.exports.relative", p.text)
	}
	if strings.ContainsAny(p.text, "()") && !p.quoted {
		return nil, bad("nfs.exports.paren", p.text)
	}
	e.Path = filepath.Clean(unescapeOctal(p.text))
	toks = toks[1:]
	var defaults []string
	if len(toks) > 0 && strings.HasPrefix(toks[0].text, "-") {
		opts, err := parseExportOptions(toks[0].text[1:])
		if err != nil {
			return nil, bad("nfs.exports.defaults", toks[0].text, err)
		}
		defaults = opts
		toks = toks[1:]
	}
	if len(toks) == 0 {
		e.Notes = append(e.Notes, i18n.M("nfs.exports.noclient"))
		e.Clients = append(e.Clients, ExportClient{Host: "*", Options: append([]string{"ro"}, defaults...)})
		return e, nil
	}
	for i, t := range toks {
		host, opts, hasOpts := strings.Cut(t.text, "(")
		if strings.Count(t.text, "(") > 1 || strings.Count(t.text, ")") > 1 {
			return nil, bad("nfs.exports.twolists", t.text)
		}
		if hasOpts && !strings.HasSuffix(opts, ")") {
			if strings.Contains(opts, ")") {
				return nil, bad("nfs.exports.after", t.text)
			}
			return nil, bad("nfs.exports.unclosed", t.text)
		}
		if !hasOpts && strings.Contains(t.text, ")") {
			return nil, bad("nfs.exports.unopened", t.text)
		}
		list := []string{}
		if hasOpts {
			var err error
			list, err = parseExportOptions(strings.TrimSuffix(opts, ")"))
			if err != nil {
				return nil, bad("nfs.exports.client", t.text, err)
			}
		}
		if host == "" {
			host = "*"
			if i > 0 && !strings.Contains(toks[i-1].text, "(") {
				e.Notes = append(e.Notes, i18n.M("nfs.exports.space", t.text, toks[i-1].text))
			}
		}
		if strings.ContainsAny(host, " \t") {
			return nil, bad("nfs.exports.hostspace", host)
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
		return nil, i18n.Errorf("nfs.exports.quote")
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
			return nil, i18n.Errorf("nfs.exports.emptyopt")
		case !known:
			return nil, i18n.Errorf("nfs.exports.unknownopt", k)
		case kind == "" && hasV:
			return nil, i18n.Errorf("nfs.exports.novalue", k)
		case kind == "=" && (!hasV || v == ""):
			return nil, i18n.Errorf("nfs.exports.needsvalue", k)
		case (k == "anonuid" || k == "anongid") && !isDigits(v):
			return nil, i18n.Errorf("nfs.exports.notnumber", k, v)
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
	var synErrs, readErrs []i18n.Msg
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			if !(errors.Is(err, fs.ErrNotExist) && f != files[0]) {
				readErrs = append(readErrs, i18n.Name(err.Error()))
			}
			continue
		}
		ex, err := ParseExports(fh, f)
		fh.Close()
		all = append(all, ex...)
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				synErrs = append(synErrs, i18n.MsgOf(e))
			}
		} else if err != nil {
			synErrs = append(synErrs, i18n.MsgOf(err))
		}
	}
	syn := newResult("exports.syntax")
	syn.say(OK, i18n.M("nfs.exports.read.ok", strings.Join(files, ", "), len(all)), i18n.Msg{})
	var notes []i18n.Msg
	for _, e := range all {
		for _, n := range e.Notes {
			notes = append(notes, i18n.Join("list.colon", i18n.Name(fmt.Sprintf("%s:%d", e.File, e.Line)), n))
		}
	}
	switch {
	case len(synErrs) > 0:
		syn.say(Fail, i18n.List("list.semi", append(synErrs, readErrs...)), i18n.M("nfs.exports.syntax.fix"))
	case len(readErrs) > 0:
		syn.say(Fail, i18n.List("list.semi", readErrs), i18n.M("nfs.exports.noserver.fix"))
	case len(notes) > 0:
		syn.say(Warn, i18n.List("list.semi", append([]i18n.Msg{syn.EvidenceMsg}, notes...)), i18n.M("nfs.exports.notes.fix"))
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
	pr := newResult("exports.path")
	var line Export
	switch {
	case len(match) > 1:
		var where []string
		for _, e := range match {
			where = append(where, fmt.Sprintf("%s:%d", e.File, e.Line))
		}
		line = match[len(match)-1]
		pr.say(Warn, i18n.M("nfs.exports.twice", path, strings.Join(where, ", ")), i18n.M("nfs.exports.twice.fix"))
	case len(match) == 1:
		line = match[0]
		pr.say(OK, i18n.M("nfs.exports.line", line.File, line.Line, path, clientList(line.Clients)), i18n.Msg{})
	case parent != nil:
		line = *parent
		pr.say(Warn, i18n.M("nfs.exports.parent", path, line.File, line.Line, line.Path, clientList(line.Clients)),
			i18n.M("nfs.exports.parent.fix", path, line.Path))
	default:
		pr.say(Fail, i18n.M("nfs.exports.none", strings.Join(files, ", "), path),
			i18n.M("nfs.exports.none.fix", exportsLine(path, []string{"<each Elasticsearch node>"}, uid, gid)))
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
	rw := newResult("exports.rw")
	rw.Status = OK
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
		rw.say(Fail, i18n.M("nfs.exports.ro", where, e.Path, strings.Join(ro, ", ")), i18n.M("nfs.exports.ro.fix", where))
	case len(ro) > 0:
		rw.say(Warn, i18n.M("nfs.exports.mixed", where, strings.Join(rwc, ", "), strings.Join(ro, ", ")), i18n.M("nfs.exports.mixed.fix"))
	default:
		rw.setEvidence(i18n.M("nfs.exports.rw", where, strings.Join(rwc, ", ")))
	}

	sy := newResult("exports.sync")
	sy.Status = OK
	var async []string
	for _, c := range e.Clients {
		if !c.Sync() {
			async = append(async, c.Host)
		}
	}
	if len(async) > 0 {
		sy.say(Warn, i18n.M("nfs.exports.async", where, strings.Join(async, ", ")), i18n.M("nfs.exports.async.fix", where))
	} else {
		sy.setEvidence(i18n.M("nfs.exports.sync", where))
	}

	sq := newResult("exports.squash")
	var ev []i18n.Msg
	worst := OK
	var fixes []i18n.Msg
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
			ev = append(ev, i18n.M("nfs.squash.all", c.Host, au, ag))
			if uid >= 0 && (au != uid || ag != gid) {
				bump(Fail)
				fixes = append(fixes, i18n.M("nfs.squash.all.fix", c.Host, au, ag, uid, gid, where))
			}
			if statErr == nil && !modeAllows(st, au, ag) {
				bump(Fail)
				fixes = append(fixes, i18n.M("nfs.squash.anon.fix", path, owner, au, ag, shq(path)))
			}
		case !c.RootSquash():
			ev = append(ev, i18n.Name(c.Host+": no_root_squash"))
			if uid >= 0 && statErr == nil && !modeAllows(st, uid, gid) {
				bump(Fail)
				fixes = append(fixes, i18n.M("nfs.squash.uid.fix", path, owner, uid, gid, shq(path)))
			}
		default: // root_squash: only uid 0 is mapped; Elasticsearch's own uid passes through unchanged
			ev = append(ev, i18n.M("nfs.squash.root", c.Host))
			switch {
			case uid == 0:
				bump(Fail)
				fixes = append(fixes, i18n.M("nfs.squash.root.fix", where, c.Host))
			case uid < 0:
				bump(Warn)
				fixes = append(fixes, i18n.M("nfs.squash.nouid.fix"))
			case statErr == nil && !modeAllows(st, uid, gid):
				bump(Fail)
				fixes = append(fixes, i18n.M("nfs.squash.uid.all.fix", path, owner, uid, gid, shq(path)))
			case statErr != nil:
				bump(Warn)
				fixes = append(fixes, i18n.M("nfs.squash.unseen.fix", path, statErr, uid))
			}
		}
	}
	if owner != "" {
		ev = append(ev, i18n.M("nfs.squash.dir", owner))
	}
	sq.Status = worst
	sq.setEvidence(i18n.Join("list.colon", i18n.Name(where), i18n.List("list.semi", ev)))
	sq.setFix(i18n.List("list.semi", fixes))
	if len(ev) == 0 {
		sq.say(Fail, i18n.M("nfs.squash.nowriter", where), i18n.M("nfs.squash.nowriter.fix", e.Path, where))
	}
	return []Result{rw, sy, sq}
}

// CheckExportsApplied compares the exports files with what the kernel server exports now (etab, normally
// /var/lib/nfs/etab): an edited /etc/exports does nothing until `exportfs -ra`.
func CheckExportsApplied(etab string, files []string, path string) Result {
	r := newResult("exports.applied")
	path = filepath.Clean(path)
	est, err := os.Stat(etab)
	if err != nil {
		r.say(Warn, i18n.M("nfs.fstab.unreadable", etab, err), i18n.M("nfs.applied.noetab.fix"))
		return r
	}
	b, err := os.ReadFile(etab)
	if err != nil {
		r.say(Warn, i18n.Name(err.Error()), i18n.M("nfs.applied.unreadable.fix"))
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
		r.say(Fail, i18n.M("nfs.applied.missing", path, etab), i18n.M("nfs.applied.missing.fix"))
	case len(newer) > 0:
		r.say(Warn, i18n.M("nfs.applied.stale", path, strings.Join(newer, ", "), etab), i18n.M("nfs.applied.stale.fix"))
	default:
		r.say(OK, i18n.M("nfs.applied.ok", etab, path), i18n.Msg{})
	}
	return r
}
