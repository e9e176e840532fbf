// Package hugeheap asks Linux to back the Go heap with transparent huge
// pages (THP) where the system leaves THP to the program.
//
// On the virtual machines kvsd is measured on, touching a fresh 4 KiB page
// costs about 12 µs, and a process whose heap grows by a few hundred MiB
// in a second spends that second in page faults. That is what happens
// when hundreds of PutMedia connections start together: every session
// gets buffers and goroutine stacks at once, and acknowledgements wait
// behind the faults, in kvsd and in the load generator beside it. With
// 2 MiB pages the same growth takes a few hundred faults, and recycled
// huge pages fault in about 50 times faster per byte (docs/benchmarks.md).
//
// The Go runtime does not ask for huge pages for the heap, so under the
// common setting "madvise" it never gets any. Advise works around that
// from outside the runtime: it allocates one large block, advises
// MADV_HUGEPAGE over its address range and lets it go. The advice stays
// with the address range, and the runtime's page allocator hands out the
// lowest free addresses first, so the heap's next growth reuses the range.
// That is the runtime's behaviour, not its promise: should it change,
// Advise stops helping and harms nothing.
package hugeheap
