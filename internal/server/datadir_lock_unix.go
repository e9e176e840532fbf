//go:build unix

package server

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive lock on f without waiting; the lock goes with
// the process, so a crashed kvsd never leaves its data dir locked.
func lockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}
