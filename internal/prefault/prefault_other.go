//go:build !linux

package prefault

func populate([]byte) {}

// MemoryLimit returns how much memory the process may use, or 0 if unknown.
func MemoryLimit() int64 { return 0 }
