package local

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// oDirect is O_DIRECT where the platform has it.
const oDirect = syscall.O_DIRECT

// adviseWillNeed asks the kernel to start reading [off, off+n) of f into
// the page cache in the background. Best effort: an error only means no
// read-ahead.
func adviseWillNeed(f *os.File, off, n int64) {
	_ = unix.Fadvise(int(f.Fd()), off, n, unix.FADV_WILLNEED)
}
