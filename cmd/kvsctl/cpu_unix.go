//go:build unix

package main

import (
	"syscall"
	"time"
)

// readCPU returns the CPU time this process used so far
// (getrusage(RUSAGE_SELF)).
func readCPU() cpuTimes {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return cpuTimes{}
	}
	return cpuTimes{
		User:   time.Duration(ru.Utime.Nano()),
		System: time.Duration(ru.Stime.Nano()),
		Valid:  true,
	}
}
