package esclient

import (
	"net/url"
)

// Elasticsearch refuses a request line longer than http.max_initial_line_length (4kb by default) with
// too_long_http_line_exception, and a few hundred comma-joined index names in a path get there. Every call that
// puts index names in a path splits them into chunks whose whole request line stays under maxRequestLine.

// maxRequestLine is the longest request line esmigrate sends: below the 4,096-byte default, leaving room for
// the method, " HTTP/1.1" and a base path of a cluster reached through a proxy.
const maxRequestLine = 3500

// ChunkIndices splits names into groups whose escaped, comma-joined form fits in budget bytes (at least one
// name per group, so that a single name longer than the budget still gets its own request: Elasticsearch
// limits index names to 255 bytes, so that cannot overflow 4kb). An empty list gives no group.
func ChunkIndices(names []string, budget int) [][]string {
	var out [][]string
	var cur []string
	size := 0
	for _, n := range names {
		l := len(url.PathEscape(n))
		if len(cur) > 0 && size+1+l > budget {
			out = append(out, cur)
			cur, size = nil, 0
		}
		if len(cur) > 0 {
			size++
		}
		cur = append(cur, n)
		size += l
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// pathChunks gives, for a path "<prefix><names><suffix>" with query q, the index-name groups that keep each
// request line under maxRequestLine.
func pathChunks(names []string, prefix, suffix string, q url.Values) [][]string {
	overhead := len(prefix) + len(suffix)
	if len(q) > 0 {
		overhead += 1 + len(q.Encode())
	}
	budget := maxRequestLine - overhead
	if budget < 300 {
		budget = 300
	}
	return ChunkIndices(names, budget)
}

// joinedPath is prefix + joined names + suffix, as the requests of this package build them.
func joinedPath(prefix string, names []string, suffix string) string {
	return prefix + joinIndices(names) + suffix
}
