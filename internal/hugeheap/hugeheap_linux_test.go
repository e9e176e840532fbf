package hugeheap

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"testing"
)

// fakeSystem points the package at files with the given contents; an empty
// string leaves that file missing.
func fakeSystem(t *testing.T, thp, overcommit, meminfo string) {
	t.Helper()
	dir := t.TempDir()
	write := func(target *string, name, content string) {
		old := *target
		t.Cleanup(func() { *target = old })
		*target = filepath.Join(dir, name)
		if content != "" {
			if err := os.WriteFile(*target, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(&thpEnabledFile, "enabled", thp)
	write(&overcommitFile, "overcommit_memory", overcommit)
	write(&memInfoFile, "meminfo", meminfo)
}

func TestAdviseFollowsTheSystem(t *testing.T) {
	const big = "MemTotal:       24576000 kB\nMemFree:        1000 kB\n"
	const size = 64 << 20
	for _, tc := range []struct {
		name                  string
		thp, overcommit, info string
		min, max              int
	}{
		{"madvise mode", "always [madvise] never\n", "0\n", big, size - 2*hugePage, size},
		{"always mode", "[always] madvise never\n", "0\n", big, 0, 0},
		{"never mode", "always madvise [never]\n", "0\n", big, 0, 0},
		{"no THP in the kernel", "", "0\n", big, 0, 0},
		{"strict accounting", "always [madvise] never\n", "2\n", big, 0, 0},
		{"small machine", "always [madvise] never\n", "1\n", "MemTotal: 65536 kB\n", 16<<20 - 2*hugePage, 16 << 20},
		{"meminfo unreadable", "always [madvise] never\n", "0\n", "", size - 2*hugePage, size},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fakeSystem(t, tc.thp, tc.overcommit, tc.info)
			n, err := Advise(size)
			if err != nil {
				t.Fatal(err)
			}
			if n < tc.min || n > tc.max {
				t.Fatalf("advised %d bytes, want %d to %d", n, tc.min, tc.max)
			}
		})
	}
	n, err := Advise(hugePage)
	if n != 0 || err != nil {
		t.Fatalf("Advise of one huge page: %d, %v", n, err)
	}
}

// The point of the package: heap memory allocated after Advise comes in
// huge pages, which it does not under "madvise" otherwise.
func TestAdvisedHeapGetsHugePages(t *testing.T) {
	mode, err := os.ReadFile(thpEnabledFile)
	if err != nil || bytes.Contains(mode, []byte("[never]")) {
		t.Skipf("this kernel gives no huge pages (%q, %v): nothing to observe", mode, err)
	}
	if _, err := Advise(256 << 20); err != nil {
		t.Fatal(err)
	}
	// Free the advised block for the allocations below, and give every
	// free page back, so that they fault in afresh.
	debug.FreeOSMemory()
	before := anonHugeBytes(t)
	var keep [][]byte
	for range 32 {
		b := make([]byte, hugePage)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		keep = append(keep, b)
	}
	if got := anonHugeBytes(t) - before; got < 16<<20 {
		t.Fatalf("64 MiB of new heap got %d bytes of huge pages", got)
	}
	runtime.KeepAlive(keep)
}

func anonHugeBytes(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		t.Fatal(err)
	}
	for line := range bytes.Lines(b) {
		if f := bytes.Fields(line); len(f) >= 2 && string(f[0]) == "AnonHugePages:" {
			kb, err := strconv.Atoi(string(f[1]))
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no AnonHugePages in smaps_rollup")
	return 0
}
