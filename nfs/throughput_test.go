//go:build linux

package nfs

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestMeasureShareWritesReadsBackAndRemovesItsProbe(t *testing.T) {
	dir := t.TempDir()
	s, err := MeasureShare(context.Background(), dir, SpeedOptions{Bytes: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if s.Bytes != 8<<20 || s.WriteBPS <= 0 || s.ReadBPS <= 0 {
		t.Errorf("probe: %+v", s)
	}
	if left := LeftoverProbes(dir); len(left) != 0 {
		t.Errorf("probe file left behind: %v", left)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("the share holds %d entries after the probe", len(entries))
	}
}

// The read-back figure is the share's only when the probe's pages left the page cache: look at them with
// mincore, which tells which pages of a mapping are resident.
func TestTheProbeIsReadFromTheShareNotFromThePageCache(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "probe")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write(make([]byte, 4<<20))
	f.Sync()
	resident := func() int {
		m, err := unix.Mmap(int(f.Fd()), 0, 4<<20, unix.PROT_READ, unix.MAP_SHARED)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Munmap(m)
		vec := make([]byte, (4<<20)/os.Getpagesize())
		// x/sys/unix has no Mincore wrapper: the raw system call.
		if _, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
			t.Fatal(e)
		}
		n := 0
		for _, v := range vec {
			n += int(v & 1)
		}
		return n
	}
	if resident() == 0 {
		t.Fatal("the freshly written file is not in the page cache: this filesystem cannot show the fault")
	}
	if err := dropCache(f); err != nil {
		t.Fatal(err)
	}
	if n := resident(); n != 0 {
		t.Errorf("%d page(s) still cached after dropCache: the read-back would measure the page cache", n)
	}
}

func TestMeasureShareStopsAtItsTimeCap(t *testing.T) {
	s, err := MeasureShare(context.Background(), t.TempDir(), SpeedOptions{Bytes: 1 << 40, MaxTime: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !s.LimitedTime || s.Bytes >= 1<<40 {
		t.Errorf("a 1 TiB probe was not cut at its time cap: %+v", s)
	}
}

func TestMeasureShareNamesTheDirectoryItCannotWrite(t *testing.T) {
	_, err := MeasureShare(context.Background(), "/nonexistent/share", SpeedOptions{Bytes: 1 << 20})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/share") {
		t.Errorf("error does not name the share: %v", err)
	}
}

func TestProposeThrottlesSharesTheShareAmongTheNodes(t *testing.T) {
	w := ShareSpeed{WriteBPS: 300 << 20}
	r := ShareSpeed{ReadBPS: 600 << 20}
	got := ProposeThrottles(w, r, 3, 2)
	if got.SnapshotPerNode != 100<<20 || got.RestorePerNode != 300<<20 {
		t.Errorf("300 MB/s write over 3 nodes, 600 MB/s read over 2: %+v", got)
	}
	slow := ProposeThrottles(ShareSpeed{WriteBPS: 50 << 20}, ShareSpeed{ReadBPS: 50 << 20}, 4, 4)
	if slow.SnapshotPerNode != 40<<20 || slow.RestorePerNode != 40<<20 {
		t.Errorf("a slow share must not propose less than the default: %+v", slow)
	}
}
