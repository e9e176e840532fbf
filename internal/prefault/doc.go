// Package prefault provides large byte buffers that are cheap to touch for
// the first time: Populate maps a buffer's pages in one system call rather
// than by one page fault per 4 KiB page on first touch, and Get hands out
// buffers from a pool outside the Go heap whose memory the kernel is asked
// to back with 2 MiB huge pages, and which Put makes reusable.
//
// On the virtual machines kvsd is measured on, a fresh 4 KiB page costs
// about 13.6 µs when it faults in on first touch, 7.8 µs in all when
// MADV_POPULATE_WRITE maps it first, 0.46 µs once mapped, and 0.3 µs per
// 4 KiB inside a huge page (BenchmarkFreshPages, docs/benchmarks.md). Their
// kernels report free memory to the host (virtio-balloon free page
// reporting), so memory a process frees, or never had, must be backed by
// the host again when it is next touched.
// Faults were most of the CPU that 500 PutMedia sessions starting in the
// same second spent: each touches hundreds of KiB of fresh fragment buffer,
// and the store as many bytes of fresh batch blocks, so acknowledgements
// waited behind them. The Go heap cannot be asked for huge pages (the
// runtime maps its arenas without the advice), hence the pool for the
// buffers that are large, long-lived and handed from one owner to the next:
// ingest's fragment and Matroska buffers and the store's batch blocks.
//
// The pool never returns memory to the system: like a database's buffer
// pool, it keeps its peak for the next burst. Where the kernel lacks
// MADV_POPULATE_WRITE (before Linux 5.14) or transparent huge pages, or on
// other systems, the same calls work with ordinary pages or the Go heap.
package prefault
