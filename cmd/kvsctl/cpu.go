package main

import "time"

// cpuTimes is the user and system CPU time of the process.
type cpuTimes struct {
	User, System time.Duration
	Valid        bool
}

// sub returns the CPU time used between b and t.
func (t cpuTimes) sub(b cpuTimes) cpuTimes {
	return cpuTimes{User: t.User - b.User, System: t.System - b.System, Valid: t.Valid && b.Valid}
}

// serverProcess is the endpoint's server process when it runs on this
// machine and kvsctl can read its CPU time; pid 0 when not.
type serverProcess struct {
	pid  int
	name string
}
