package hugeheap

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Files that describe the system's THP mode and memory accounting; tests
// point them elsewhere.
var (
	thpEnabledFile  = "/sys/kernel/mm/transparent_hugepage/enabled"
	overcommitFile  = "/proc/sys/vm/overcommit_memory"
	memInfoFile     = "/proc/meminfo"
	maxShareOfTotal = 4 // never reserve more than MemTotal / maxShareOfTotal
)

func advise(size int) (int, error) {
	mode, err := os.ReadFile(thpEnabledFile)
	if err != nil || !bytes.Contains(mode, []byte("[madvise]")) {
		return 0, nil // no THP, or THP for every mapping already
	}
	if policy, err := os.ReadFile(overcommitFile); err != nil || string(bytes.TrimSpace(policy)) == "2" {
		return 0, nil
	}
	if total := memTotal(); total > 0 {
		size = min(size, total/maxShareOfTotal)
	}
	if size < 2*hugePage {
		return 0, nil
	}
	block := make([]byte, size) // fresh address space: never touched
	p := uintptr(unsafe.Pointer(unsafe.SliceData(block)))
	start := (p + hugePage - 1) &^ (hugePage - 1)
	end := (p + uintptr(size)) &^ (hugePage - 1)
	if err := unix.Madvise(block[start-p:end-p], unix.MADV_HUGEPAGE); err != nil {
		return 0, fmt.Errorf("advise huge pages: %w", err)
	}
	runtime.KeepAlive(block)
	return int(end - start), nil
}

// memTotal is MemTotal from /proc/meminfo in bytes, 0 if unknown.
func memTotal() int {
	b, err := os.ReadFile(memInfoFile)
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(b) {
		fields := bytes.Fields(line)
		if len(fields) >= 2 && string(fields[0]) == "MemTotal:" {
			kb, err := strconv.Atoi(string(fields[1]))
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
