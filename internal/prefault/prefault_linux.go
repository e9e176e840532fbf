package prefault

import (
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
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
// or the lowest memory limit of the cgroups it runs in (a container's)
// when that is lower; 0 if unknown.
func MemoryLimit() int64 {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return 0
	}
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return int64(si.Totalram) * int64(si.Unit)
	}
	return cgroupsLimit(int64(si.Totalram)*int64(si.Unit), string(own), "/sys/fs/cgroup")
}

// cgroupsLimit lowers limit to the memory limits of the cgroups that own
// (the text of /proc/self/cgroup) names, in the hierarchy mounted at root.
func cgroupsLimit(limit int64, own, root string) int64 {
	for _, line := range strings.Split(own, "\n") {
		// "0::/path" for cgroup v2, "N:memory:/path" (among others) for v1.
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		var dir, file string
		switch {
		case parts[0] == "0" && parts[1] == "":
			dir, file = root, "memory.max"
		case slices.Contains(strings.Split(parts[1], ","), "memory"):
			dir, file = filepath.Join(root, "memory"), "memory.limit_in_bytes"
		default:
			continue
		}
		// A group's parents may limit it more than it limits itself.
		for p := path.Clean(parts[2]); ; p = path.Dir(p) {
			limit = min(limit, cgroupLimit(filepath.Join(dir, p, file)))
			if p == "/" || p == "." {
				break
			}
		}
	}
	return limit
}

// cgroupLimit reads a cgroup memory limit file; "max" (v2), v1's huge "no
// limit" value, a missing file and anything unreadable count as no limit.
func cgroupLimit(file string) int64 {
	b, err := os.ReadFile(file)
	if err != nil {
		return math.MaxInt64
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n <= 0 {
		return math.MaxInt64
	}
	return n
}
