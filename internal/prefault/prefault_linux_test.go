package prefault

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The point of the package: the pages are resident before anything
// touches them. A buffer from make alone is not: FreeOSMemory first gives
// every free page back, so both allocations get unmapped memory.
func TestPopulatedPagesAreResident(t *testing.T) {
	const size = 64 << 20
	debug.FreeOSMemory()
	if got := resident(t, make([]byte, size)); got > size/2 {
		t.Fatalf("%d of %d bytes of a plain allocation resident: the comparison means nothing", got, size)
	}
	debug.FreeOSMemory()
	b := make([]byte, size)
	Populate(b)
	if got := resident(t, b); got < size-2*pageSize {
		t.Fatalf("%d of %d bytes resident after Populate", got, size)
	}
}

// resident counts the bytes of b's whole pages that are mapped.
func resident(t *testing.T, b []byte) int {
	t.Helper()
	b = b[:cap(b)]
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	start := (p + pageSize - 1) &^ (pageSize - 1)
	end := (p + uintptr(len(b))) &^ (pageSize - 1)
	vec := make([]byte, (end-start)/pageSize)
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, start, end-start, uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatal(errno)
	}
	n := 0
	for _, v := range vec {
		n += int(v&1) * pageSize
	}
	return n
}

// BenchmarkFreshPages is the measurement behind the package: the cost per
// 4 KiB page of fresh anonymous memory, faulted in by a store to each page
// against mapped by Populate first, against touching memory that is mapped
// already (warm), and against faulting in a region advised MADV_HUGEPAGE
// (the kernel's transparent huge pages, 2 MiB a fault when it has one
// free). Each op maps, touches and unmaps 64 MiB.
func BenchmarkFreshPages(b *testing.B) {
	const size = 64 << 20
	for _, tc := range []struct {
		name                 string
		populate, warm, huge bool
	}{{"fault", false, false, false}, {"populate", true, false, false}, {"warm", false, true, false}, {"hugepage", false, false, true}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				m, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
				if err != nil {
					b.Fatal(err)
				}
				switch {
				case tc.populate:
					Populate(m)
				case tc.huge:
					if err := unix.Madvise(m, unix.MADV_HUGEPAGE); err != nil {
						b.Skipf("MADV_HUGEPAGE: %v", err)
					}
				case tc.warm:
					b.StopTimer()
					touchPages(m)
					b.StartTimer()
				}
				touchPages(m)
				if err := unix.Munmap(m); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(size/pageSize), "ns/page")
		})
	}
}

// touchPages writes one byte to each page of m.
func touchPages(m []byte) {
	for i := 0; i < len(m); i += pageSize {
		m[i] = 1
	}
}

// TestPoolRegionAdvisedForHugePages checks, in /proc/self/smaps, that the
// kernel takes the pool's memory as eligible for transparent huge pages
// wherever THP is not switched off.
func TestPoolRegionAdvisedForHugePages(t *testing.T) {
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	want := "THPeligible:    1"
	if err != nil || bytes.Contains(mode, []byte("[never]")) {
		want = "THPeligible:    0"
	}
	b := Get(chunkSize, chunkSize)
	defer Put(b)
	Populate(b)
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	// The THPeligible line of the mapping that holds b.
	a := uint64(addr(b))
	var inside bool
	for _, line := range strings.Split(string(smaps), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			lo, hi, ok := strings.Cut(f[0], "-")
			if ok {
				l, err1 := strconv.ParseUint(lo, 16, 64)
				h, err2 := strconv.ParseUint(hi, 16, 64)
				inside = err1 == nil && err2 == nil && l <= a && a < h
			}
			continue
		}
		if inside && strings.HasPrefix(line, "THPeligible:") {
			if got := strings.Join(strings.Fields(line), "    "); got != want {
				t.Fatalf("pool mapping: %q, want %q (THP mode %q)", line, want, bytes.TrimSpace(mode))
			}
			return
		}
	}
	t.Fatalf("no THPeligible line for the mapping at %#x", a)
}

// TestPrewarmMapsTheNextChunks checks that Prewarm maps the pool memory
// that the next new chunks come from (Get takes them in address order),
// and nothing past it.
func TestPrewarmMapsTheNextChunks(t *testing.T) {
	from := mappedEnd()
	if got := Prewarm(3 * chunkSize); got != 3*chunkSize {
		t.Fatalf("Prewarm mapped %d bytes, want %d", got, 3*chunkSize)
	}
	requireMapped(t, from, 3*chunkSize)
}

// mappedEnd is the end of the pool memory mapped (or being mapped) so far.
func mappedEnd() int {
	global.once.Do(global.init)
	global.mu.Lock()
	defer global.mu.Unlock()
	return max(global.next, global.warm)
}

// requireMapped fails the test unless the n bytes of the pool's region
// from offset from are resident and the chunk after them is not.
func requireMapped(t *testing.T, from, n int) {
	t.Helper()
	if got := resident(t, global.region[from:from+n]); got != n {
		t.Fatalf("%d of %d bytes resident", got, n)
	}
	if got := resident(t, global.region[from+n:from+n+chunkSize]); got != 0 {
		t.Fatalf("%d bytes past them resident: the check means nothing", got)
	}
}

// TestWarmToMapsInTheBackground checks that WarmTo maps the pool memory up
// to its target without the caller waiting, counts what is mapped already,
// and ignores a smaller target.
func TestWarmToMapsInTheBackground(t *testing.T) {
	from := mappedEnd()
	target := int64(from) + 5*chunkSize + 1 // rounded up: 6 chunks

	WarmTo(target)
	WarmTo(int64(from)) // smaller: changes nothing
	deadline := time.Now().Add(10 * time.Second)
	for {
		global.mu.Lock()
		warming := global.warming
		global.mu.Unlock()
		if !warming {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("WarmTo's goroutine still runs after 10 s")
		}
		time.Sleep(time.Millisecond)
	}
	requireMapped(t, from, 6*chunkSize)
}

// TestMemoryLimitIsTheMachinesAtMost checks MemoryLimit against the
// machine's memory: never above it, and never zero on Linux.
func TestMemoryLimitIsTheMachinesAtMost(t *testing.T) {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		t.Fatal(err)
	}
	machine := int64(si.Totalram) * int64(si.Unit)
	if got := MemoryLimit(); got <= 0 || got > machine {
		t.Fatalf("MemoryLimit() = %d, want in (0, %d]", got, machine)
	}
}

func TestCgroupsLimit(t *testing.T) {
	root := t.TempDir()
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("memory.max", "max\n")
	write("pod/memory.max", "2147483648\n")
	write("pod/app/memory.max", "max\n")
	write("memory/memory.limit_in_bytes", "9223372036854771712\n")
	write("memory/box/memory.limit_in_bytes", "1073741824\n")
	const machine = 24 << 30
	for _, tc := range []struct {
		name, own string
		want      int64
	}{
		{"v2: a parent's limit", "0::/pod/app\n", 2 << 30},
		{"v2: no limit", "0::/\n", machine},
		{"v1: the memory controller's group", "9:name=systemd:/\n4:memory:/box\n1:cpu:/\n", 1 << 30},
		{"v1: unlimited", "4:memory:/\n", machine},
		{"a group without files", "0::/elsewhere\n", machine},
		{"nothing readable", "garbage", machine},
	} {
		if got := cgroupsLimit(machine, tc.own, root); got != tc.want {
			t.Errorf("%s: cgroupsLimit = %d, want %d", tc.name, got, tc.want)
		}
	}
}
