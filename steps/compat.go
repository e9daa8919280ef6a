package steps

import (
	"fmt"

	"github.com/esmigrate/esmigrate/esclient"
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
	Reason string // why not, or a caveat
	Fix    string
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
		return Compatibility{Reason: fmt.Sprintf("%s cannot restore snapshots of %s", target, created),
			Fix: "migrate OpenSearch only to OpenSearch"}
	}
	if created.Distribution != esclient.OpenSearch && target.Distribution == esclient.OpenSearch {
		limit := esclient.Version{Major: 7, Minor: 10, Patch: 2}
		switch {
		case limit.Less(c):
			return Compatibility{Reason: fmt.Sprintf("%s cannot restore indices created by %s: OpenSearch forked from Elasticsearch 7.10.2 and reads nothing newer", target, created),
				Fix: "reindex from remote, or restore into Elasticsearch instead"}
		case t.Major == 1 && (c.Major == 6 || c.Major == 7):
			return Compatibility{OK: true}
		case t.Major == 2 && c.Major == 7:
			return Compatibility{OK: true}
		case t.Major == 2 && c.Major == 6:
			return Compatibility{Reason: fmt.Sprintf("%s cannot restore indices created by %s (OpenSearch 2 reads Elasticsearch 7.x indices only)", target, created),
				Fix: "restore into OpenSearch 1.x first and reindex there, or reindex from remote"}
		default:
			return Compatibility{Reason: fmt.Sprintf("%s cannot restore indices created by %s", target, created),
				Fix: "reindex from remote"}
		}
	}
	if created.Distribution == esclient.OpenSearch {
		// OpenSearch to OpenSearch: same major or the next one.
		if t.Less(c) {
			return Compatibility{Reason: fmt.Sprintf("a snapshot of %s cannot be restored into the older %s", created, target),
				Fix: "upgrade the target to at least " + c.String()}
		}
		if t.Major-c.Major > 1 {
			return Compatibility{Reason: fmt.Sprintf("%s cannot restore indices created by %s (more than one major version apart)", target, created),
				Fix: "reindex them in an intermediate version first, or reindex from remote"}
		}
		return Compatibility{OK: true}
	}
	if t.Less(c) {
		return Compatibility{Reason: fmt.Sprintf("a snapshot of %s cannot be restored into the older %s (Elasticsearch says: snapshot was created with version [%s] which is higher than the version of this node)", created, target, c),
			Fix: "upgrade the target to at least " + c.String()}
	}
	switch t.Major - c.Major {
	case 0:
		return Compatibility{OK: true}
	case 1:
		if c.Major == 6 && c.Minor == 8 && t.Major == 7 && t.Minor < 2 {
			return Compatibility{Reason: fmt.Sprintf("%s cannot restore indices created by 6.8 (from 7.2 on it can)", target),
				Fix: "use a 7.2 or newer target"}
		}
		return Compatibility{OK: true}
	default:
		return Compatibility{Reason: fmt.Sprintf("%s cannot restore indices created by %s: only one major version apart is possible (older ones only as read-only archive indices)", target, created),
			Fix: fmt.Sprintf("reindex these indices on a %d.x cluster first (or reindex from remote), then migrate", c.Major+1)}
	}
}
