package prefault

import (
	"math/bits"
	"sync"
	"unsafe"
)

// Buffers of at least MinPooled bytes come from the pool; smaller ones are
// cheaper on the Go heap.
const MinPooled = 64 << 10

// chunkSize is the unit in which the pool takes memory from its region: one
// transparent huge page on x86-64 and arm64 with 4 KiB pages.
const chunkSize = 2 << 20

// Get returns a buffer of length n and capacity at least c (c < n counts as
// n). Its contents are undefined and its pages may not be mapped yet:
// Populate maps them. Give it back with Put once nothing refers to it.
//
// A request of MinPooled bytes or more is served from the pool's region
// outside the Go heap, which the kernel is asked to back with huge pages
// (MADV_HUGEPAGE): one fault maps 2 MiB there, where the Go heap takes one
// fault per 4 KiB. On the VM kvsd is measured on, a huge page costs about
// 0.3 µs per 4 KiB against 13.6 µs for a fresh small page, and the pool
// keeps what is given back warm for the next Get. Smaller requests, and
// every request where the region is not available (other systems, a
// refused reservation, an exhausted region), get Go heap memory, for which
// Put does nothing.
func Get(n, c int) []byte {
	c = max(c, n)
	if c < MinPooled {
		return make([]byte, n, c)
	}
	if b := global.get(classOf(c)); b != nil {
		return b[:n]
	}
	return make([]byte, n, c)
}

// Put gives back a buffer that Get returned, so that a later Get may hand
// its memory out again: nothing may use b (or any slice of the same
// memory) afterwards. Buffers that Get took from the Go heap, and nil, are
// ignored. Putting a pooled buffer twice panics.
func Put(b []byte) {
	if cap(b) == 0 {
		return
	}
	global.put(b)
}

// Prewarm maps the next n bytes (rounded up to whole chunks) of pool
// memory that no buffer has used yet, so that the buffers Get hands out
// first find their pages mapped, and returns how many bytes it mapped. It
// is for a server that expects many streams at once, at its start: the
// first touch of fresh memory was most of the cost of 500 PutMedia sessions
// starting in the same second (docs/benchmarks.md). The pages stay the
// process's from then on, whether or not buffers ever use them; Stats
// counts them once Get has taken their chunks.
func Prewarm(n int64) int64 {
	global.once.Do(global.init)
	if global.region == nil || n <= 0 {
		return 0
	}
	n = min(n, int64(len(global.region))) // so that the sum cannot overflow
	global.mu.Lock()
	from, to := global.claimWarm(int64(max(global.next, global.warm)) + n)
	global.mu.Unlock()
	// Outside the lock: mapping hundreds of MiB takes a while, and a Get
	// meanwhile may take a chunk in the range (Populate keeps what it
	// wrote).
	Populate(global.region[from:to:to])
	return int64(to - from)
}

// WarmTo makes sure that the first n bytes of the pool's memory (rounded up
// to whole chunks) are mapped: what buffers have taken so far counts, and
// the rest is mapped by a goroutine of the pool's while WarmTo returns at
// once. A server calls it with what the streams it serves may need at once
// (kvsd: a share per stream), so that memory is mapped while it is quiet
// rather than when every stream's producer connects in the same second.
// Targets only grow: a smaller n than before does nothing.
func WarmTo(n int64) {
	global.once.Do(global.init)
	if global.region == nil {
		return
	}
	global.mu.Lock()
	defer global.mu.Unlock()
	global.target = max(global.target, min(n, int64(len(global.region))))
	if !global.warming && int64(max(global.next, global.warm)) < global.target {
		global.warming = true
		go global.warmAhead()
	}
}

// warmStep is how much warmAhead maps per system call: small enough that
// Gets meanwhile take chunks it has mapped already, large enough that the
// calls cost nothing beside the mapping.
const warmStep = 4 * chunkSize

// warmAhead maps the pool's memory up to target, a step at a time, and
// ends when it gets there.
func (p *pool) warmAhead() {
	for {
		p.mu.Lock()
		from, to := p.claimWarm(min(int64(max(p.next, p.warm))+warmStep, p.target))
		if from == to {
			p.warming = false
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		Populate(p.region[from:to:to])
	}
}

// claimWarm marks the memory from the end of what is mapped (or being
// mapped) up to end, rounded up to whole chunks and cut at the region's
// end, as mapped, and returns that range for the caller to map. Called
// with mu held.
func (p *pool) claimWarm(end int64) (from, to int) {
	from = max(p.next, p.warm)
	end = (end + chunkSize - 1) / chunkSize * chunkSize
	to = max(from, int(min(end, int64(len(p.region)))))
	p.warm = to
	return from, to
}

// Stats describes the pool's memory.
type Stats struct {
	// InUse is the capacity of the pooled buffers handed out and not yet
	// given back.
	InUse int64
	// Mapped is the memory the pool has taken from its region: InUse plus
	// what waits in its free lists. The pool never gives memory back to the
	// system; Mapped is the peak of what was in use at once, rounded up to
	// whole chunks.
	Mapped int64
}

// ReadStats returns the pool's current figures.
func ReadStats() Stats {
	global.mu.Lock()
	defer global.mu.Unlock()
	return Stats{InUse: global.inUse, Mapped: global.mapped}
}

// classOf is the capacity of the buffers that serve a request for c bytes:
// the next power of two up to chunkSize, whole chunks above it.
func classOf(c int) int {
	if c <= chunkSize {
		return 1 << bits.Len(uint(c-1))
	}
	return (c + chunkSize - 1) / chunkSize * chunkSize
}

// pool hands out buffers carved from one reserved address range: chunks are
// taken from its start in order and never returned; a chunk of a class
// below chunkSize is cut into equal buffers of that class.
type pool struct {
	once   sync.Once
	region []byte // reserved; nil if unavailable

	mu   sync.Mutex
	next int // offset of the first chunk not yet taken
	warm int // end of the range Prewarm or warmAhead mapped (or is mapping)
	// target is the most WarmTo asked for; warming is whether warmAhead
	// runs.
	target  int64
	warming bool
	free    map[int][][]byte // by class
	live    map[uintptr]int  // start address of each buffer handed out -> class
	inUse   int64
	mapped  int64
}

var global pool

func (p *pool) get(class int) []byte {
	p.once.Do(p.init)
	if p.region == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.free[class]
	if len(list) == 0 {
		size := max(class, chunkSize)
		if p.next+size > len(p.region) {
			return nil
		}
		chunk := p.region[p.next : p.next+size : p.next+size]
		p.next += size
		p.mapped += int64(size)
		for off := 0; off < size; off += class {
			list = append(list, chunk[off:off+class:off+class])
		}
	}
	b := list[len(list)-1]
	p.free[class] = list[:len(list)-1]
	p.live[addr(b)] = class
	p.inUse += int64(class)
	return b
}

func (p *pool) put(b []byte) {
	p.once.Do(p.init)
	a := addr(b)
	if !p.holds(a) {
		return // Go heap memory
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	class, ok := p.live[a]
	if !ok {
		panic("prefault: Put of a pooled buffer that is not out (put twice, or a slice not starting where Get's did)")
	}
	delete(p.live, a)
	p.inUse -= int64(class)
	p.free[class] = append(p.free[class], unsafe.Slice(unsafe.SliceData(b[:1]), class))
}

func (p *pool) init() {
	p.free = map[int][][]byte{}
	p.live = map[uintptr]int{}
	p.region = reserve()
}

// holds reports whether address a lies in the pool's region.
func (p *pool) holds(a uintptr) bool {
	return p.region != nil && a >= addr(p.region) && a < addr(p.region)+uintptr(len(p.region))
}

func addr(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b[:1]))) }
