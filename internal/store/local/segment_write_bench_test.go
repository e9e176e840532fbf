//go:build linux

package local

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkSegmentWriteModes measures what the disk under the data dir
// allows one stream of 6.5 MB fragments, each followed by an fsync: with
// O_DIRECT (what the store does) or through the page cache, and with each
// fsync waited for before the next write or overlapping it (what the
// committer does). It is the ceiling of BenchmarkPutMediaThroughput on the
// same disk. The rewritten mode writes over blocks that were written and
// synced before (and dropped from the page cache), as a store that reused
// expired segment files would. Set OPENKVS_BENCH_DIR to measure another
// filesystem.
func BenchmarkSegmentWriteModes(b *testing.B) {
	const frag = 6_553_600
	for _, m := range []struct {
		name                     string
		direct, overlap, rewrite bool
	}{
		{"direct", true, false, false},
		{"direct-overlapped", true, true, false},
		{"buffered", false, false, false},
		{"buffered-overlapped", false, true, false},
		{"buffered-overlapped-rewritten", false, true, true},
	} {
		b.Run(m.name, func(b *testing.B) {
			dir := os.Getenv("OPENKVS_BENCH_DIR")
			if dir == "" {
				dir = b.TempDir()
			}
			path := filepath.Join(dir, "write-modes.seg")
			flag := os.O_CREATE | os.O_RDWR | os.O_TRUNC
			if m.direct {
				flag |= unix.O_DIRECT
			}
			f, err := os.OpenFile(path, flag, 0o644)
			if err != nil {
				b.Skipf("open %s: %v", path, err)
			}
			defer os.Remove(path)
			defer f.Close()
			buf := alignedBuffer(alignUp(frag))
			for i := range buf {
				buf[i] = byte(i)
			}
			if m.rewrite {
				for i := range b.N {
					if _, err := f.WriteAt(buf, int64(i)*int64(len(buf))); err != nil {
						b.Fatal(err)
					}
				}
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
				if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
					b.Fatal(err)
				}
			}
			synced := make(chan error, 1)
			synced <- nil
			b.SetBytes(frag)
			b.ResetTimer()
			for i := range b.N {
				off := int64(i) * int64(len(buf))
				for p := 0; p < len(buf); p += bounceSize {
					if _, err := f.WriteAt(buf[p:min(len(buf), p+bounceSize)], off+int64(p)); err != nil {
						b.Fatal(err)
					}
				}
				if err := <-synced; err != nil {
					b.Fatal(err)
				}
				if m.overlap {
					go func() { synced <- f.Sync() }()
				} else {
					synced <- f.Sync()
				}
			}
			if err := <-synced; err != nil {
				b.Fatal(err)
			}
		})
	}
}
