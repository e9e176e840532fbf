package prefault

import (
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// populate maps the whole pages inside b. Errors are ignored: the pages
// then fault in on first touch.
func populate(b []byte) {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	start := (p + pageSize - 1) &^ (pageSize - 1)
	end := (p + uintptr(len(b))) &^ (pageSize - 1)
	if start < end {
		_ = unix.Madvise(b[start-p:end-p], unix.MADV_POPULATE_WRITE)
	}
}

// MemoryLimit returns how much memory the process may use: the machine's,
// or the memory limit of the cgroup it runs in (a container's) when that
// is lower; 0 if unknown.
func MemoryLimit() int64 {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return 0
	}
	limit := int64(si.Totalram) * int64(si.Unit)
	// cgroup v2 shows the container's own group at the mount point; v1 its
	// memory controller's. "max", or v1's huge "no limit", are not lower.
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 {
			limit = min(limit, n)
		}
	}
	return limit
}
