//go:build !linux

package prefault

func populate([]byte) {}

// PhysicalMemory returns the machine's memory in bytes, or 0 if unknown.
func PhysicalMemory() int64 { return 0 }
