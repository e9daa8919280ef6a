package nfs

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/esmigrate/esmigrate/i18n"
)

// Elasticsearch throttles snapshots and restores to 40 MB/s per node by default (max_snapshot_bytes_per_sec,
// indices.recovery.max_bytes_per_sec), but the real limit is usually the share that every node writes to and
// reads from at once. MeasureShare writes and reads back a bounded probe file on the share, so that the
// pre-flight can propose per-node throttles that fit it.

// ShareSpeed is what a probe of a share measured from this host.
type ShareSpeed struct {
	Dir         string
	Bytes       int64         // written, then read back
	Write       time.Duration // including the fsync: the data is on the server
	Read        time.Duration
	CacheDrop   bool // the read came from the share, not from this host's page cache
	WriteBPS    float64
	ReadBPS     float64
	LimitedTime bool // the probe stopped at its time cap before writing Bytes
}

// SpeedOptions bound a probe.
type SpeedOptions struct {
	Bytes   int64         // the probe file's size at most (default 256 MiB)
	MaxTime time.Duration // stop writing after this long (default 10 s)
}

const probeBlock = 1 << 20

// MeasureShare writes a probe file of at most o.Bytes into dir (for at most o.MaxTime), fsyncs it, drops it from
// this host's page cache, reads it back, and removes it. The read figure would otherwise be the page cache's
// (gigabytes per second); when the cache cannot be dropped, CacheDrop is false and the read figure must not be
// used.
func MeasureShare(ctx context.Context, dir string, o SpeedOptions) (ShareSpeed, error) {
	if o.Bytes <= 0 {
		o.Bytes = 256 << 20
	}
	if o.MaxTime <= 0 {
		o.MaxTime = 10 * time.Second
	}
	s := ShareSpeed{Dir: dir}
	f, err := os.CreateTemp(dir, ".esmigrate-speed-probe-*")
	if err != nil {
		return s, i18n.Errorf("nfs.probe.create", dir, err)
	}
	name := f.Name()
	defer os.Remove(name)
	defer f.Close()

	// Data that does not compress: a share or a disk that compresses would otherwise look faster than it is
	// for Lucene's already compact files.
	block := make([]byte, probeBlock)
	var x uint64 = 0x9E3779B97F4A7C15
	for i := range block {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		block[i] = byte(x)
	}
	start := time.Now()
	for s.Bytes < o.Bytes {
		if err := ctx.Err(); err != nil {
			return s, err
		}
		if time.Since(start) > o.MaxTime {
			s.LimitedTime = true
			break
		}
		n, err := f.Write(block)
		s.Bytes += int64(n)
		if err != nil {
			return s, i18n.Errorf("nfs.probe.write", name, err)
		}
	}
	if err := f.Sync(); err != nil {
		return s, i18n.Errorf("nfs.probe.fsync", name, err)
	}
	s.Write = time.Since(start)
	s.CacheDrop = dropCache(f) == nil
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return s, err
	}
	start = time.Now()
	buf := make([]byte, probeBlock)
	var read int64
	for {
		if err := ctx.Err(); err != nil {
			return s, err
		}
		n, err := f.Read(buf)
		read += int64(n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return s, i18n.Errorf("nfs.probe.read", name, err)
		}
	}
	s.Read = time.Since(start)
	if read != s.Bytes {
		return s, i18n.Errorf("nfs.probe.short", read, name, s.Bytes)
	}
	s.WriteBPS = bytesPerSecond(s.Bytes, s.Write)
	s.ReadBPS = bytesPerSecond(s.Bytes, s.Read)
	return s, nil
}

func bytesPerSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// Throttles are per-node byte rates that share a measured share among the nodes using it at once.
type Throttles struct {
	SnapshotPerNode int64 // max_snapshot_bytes_per_sec for the source repository: the source's data nodes write at once
	RestorePerNode  int64 // indices.recovery.max_bytes_per_sec on the target: its data nodes read at once
}

// ProposeThrottles divides the share's write rate among the source's data nodes and its read rate among the
// target's, rounded down to whole megabytes and never below Elasticsearch's 40mb default (a slower share gains
// nothing from a lower throttle: the share is the limit either way).
func ProposeThrottles(write, read ShareSpeed, sourceDataNodes, targetDataNodes int) Throttles {
	per := func(bps float64, nodes int) int64 {
		if nodes < 1 {
			nodes = 1
		}
		mb := int64(bps/float64(nodes)) >> 20
		if mb < 40 {
			mb = 40
		}
		return mb << 20
	}
	return Throttles{SnapshotPerNode: per(write.WriteBPS, sourceDataNodes), RestorePerNode: per(read.ReadBPS, targetDataNodes)}
}

// probePattern is the name probe files have, so that a probe left by a killed process can be recognised.
const probePattern = ".esmigrate-speed-probe-"

// LeftoverProbes lists probe files a killed probe left in dir.
func LeftoverProbes(dir string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, probePattern+"*"))
	return m
}
