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

// setDirect turns O_DIRECT on or off for f's later writes.
func setDirect(f *os.File, on bool) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	err = rc.Control(func(fd uintptr) {
		var flags int
		if flags, ferr = unix.FcntlInt(fd, unix.F_GETFL, 0); ferr != nil {
			return
		}
		if on {
			flags |= unix.O_DIRECT
		} else {
			flags &^= unix.O_DIRECT
		}
		_, ferr = unix.FcntlInt(fd, unix.F_SETFL, flags)
	})
	if err != nil {
		return err
	}
	return ferr
}
