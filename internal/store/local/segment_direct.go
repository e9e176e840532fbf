package local

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

const (
	// directAlign is the alignment O_DIRECT asks of file offsets, lengths
	// and buffer addresses: the page size, which covers every logical block
	// size in use (512 and 4096).
	directAlign = 4096
	// bounceSize is the buffer a batch is written through, in one write
	// per bounceSize: large enough that a write costs little per byte.
	bounceSize = 4 << 20
)

// alignUp rounds n up to a multiple of directAlign.
func alignUp(n int) int { return (n + directAlign - 1) &^ (directAlign - 1) }

// alignedBuffer returns n bytes (a multiple of directAlign) whose address
// is aligned to directAlign.
func alignedBuffer(n int) []byte {
	raw := make([]byte, n+directAlign)
	skip := int(-uintptr(unsafe.Pointer(&raw[0])) & (directAlign - 1))
	return raw[skip : skip+n : skip+n]
}

// openForWrite opens a segment file for the committer's writes, with
// O_DIRECT unless the filesystem refuses it (tmpfs on older kernels, some
// FUSE filesystems), in which case every later file is opened buffered.
// The writes are aligned either way.
func (s *Fragments) openForWrite(path string, flag int) (*os.File, error) {
	flag |= os.O_RDWR
	if !s.w.buffered && oDirect != 0 {
		f, err := os.OpenFile(path, flag|oDirect, 0o644)
		if !errors.Is(err, syscall.EINVAL) {
			return f, err
		}
		s.w.buffered = true
		s.log.Info("filesystem refuses O_DIRECT, segments are written through the page cache", "dir", s.segDir)
	}
	return os.OpenFile(path, flag, 0o644)
}

// readTail reads the bytes of a segment after its last directAlign
// boundary before size, for the first batch that continues the segment.
func readTail(path string, size int64) ([]byte, error) {
	n := size % directAlign
	if n == 0 {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tail := make([]byte, n)
	if _, err := f.ReadAt(tail, size-n); err != nil {
		return nil, fmt.Errorf("read segment tail: %w", err)
	}
	return tail, nil
}
