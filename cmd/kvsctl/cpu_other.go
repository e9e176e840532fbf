//go:build !unix

package main

// readCPU is not available on this platform.
func readCPU() cpuTimes { return cpuTimes{} }
