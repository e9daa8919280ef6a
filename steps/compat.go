package steps

import (
	"fmt"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
)

// Product is a distribution and version, as a snapshot's reader or writer.
type Product struct {
	Distribution string // esclient.Elasticsearch or esclient.OpenSearch
	Version      esclient.Version
}

func (p Product) String() string {
	name := "Elasticsearch"
	if p.Distribution == esclient.OpenSearch {
		name = "OpenSearch"
	}
	return fmt.Sprintf("%s %s", name, p.Version)
}

// Compatibility is whether a target can restore indices created by a given version.
type Compatibility struct {
	OK     bool
	Reason string // why not, or a caveat (English)
	Fix    string
	// The same as messages (package i18n).
	ReasonMsg, FixMsg i18n.Msg
}

// cannot is an incompatibility: why, and what to do.
func cannot(reason, fix i18n.Msg) Compatibility {
	return Compatibility{Reason: reason.String(), Fix: fix.String(), ReasonMsg: reason, FixMsg: fix}
}

// CanRestore tells whether target can restore an index created by created (an index's index.version.created,
// which may be older than the cluster that snapshotted it). The rules, from Elasticsearch's and OpenSearch's
// documentation (see docs/compatibility.md):
//   - never into an older version;
//   - Elasticsearch: same major, or the next major (5→6, 6→7, 7→8, 8→9); 6.8-created not into 7.0/7.1;
//     indices two majors old only as archive indices (8.3+), which esmigrate does not do;
//   - OpenSearch 1.x restores Elasticsearch 6.x and 7.x indices up to 7.10.2; OpenSearch 2.x restores
//     Elasticsearch 7.x up to 7.10.2; nothing from OpenSearch goes back to Elasticsearch.
func CanRestore(created, target Product) Compatibility {
	c, t := created.Version, target.Version
	if created.Distribution == esclient.OpenSearch && target.Distribution != esclient.OpenSearch {
		return cannot(i18n.M("compat.os-to-es", target.String(), created.String()), i18n.M("compat.os-to-es.fix"))
	}
	if created.Distribution != esclient.OpenSearch && target.Distribution == esclient.OpenSearch {
		limit := esclient.Version{Major: 7, Minor: 10, Patch: 2}
		switch {
		case limit.Less(c):
			return cannot(i18n.M("compat.os-fork", target.String(), created.String()), i18n.M("compat.os-fork.fix"))
		case t.Major == 1 && (c.Major == 6 || c.Major == 7):
			return Compatibility{OK: true}
		case t.Major == 2 && c.Major == 7:
			return Compatibility{OK: true}
		case t.Major == 2 && c.Major == 6:
			return cannot(i18n.M("compat.os2-es6", target.String(), created.String()), i18n.M("compat.os2-es6.fix"))
		default:
			return cannot(i18n.M("compat.cannot", target.String(), created.String()), i18n.M("compat.remote.fix"))
		}
	}
	if created.Distribution == esclient.OpenSearch {
		// OpenSearch to OpenSearch: same major or the next one.
		if t.Less(c) {
			return cannot(i18n.M("compat.older", created.String(), target.String()), i18n.M("compat.upgrade.fix", c.String()))
		}
		if t.Major-c.Major > 1 {
			return cannot(i18n.M("compat.os-majors", target.String(), created.String()), i18n.M("compat.os-majors.fix"))
		}
		return Compatibility{OK: true}
	}
	if t.Less(c) {
		return cannot(i18n.M("compat.es-older", created.String(), target.String(), c.String()), i18n.M("compat.upgrade.fix", c.String()))
	}
	switch t.Major - c.Major {
	case 0:
		return Compatibility{OK: true}
	case 1:
		if c.Major == 6 && c.Minor == 8 && t.Major == 7 && t.Minor < 2 {
			return cannot(i18n.M("compat.68-71", target.String()), i18n.M("compat.68-71.fix"))
		}
		return Compatibility{OK: true}
	default:
		return cannot(i18n.M("compat.majors", target.String(), created.String()), i18n.M("compat.majors.fix", c.Major+1))
	}
}
