package server

import (
	"context"
	"sync/atomic"

	"github.com/openkvs/openkvs/internal/prefault"
	"github.com/openkvs/openkvs/internal/store"
)

// bufferWarmer keeps buffer memory mapped for the streams in the catalog:
// a share per stream, up to a sixteenth of the memory kvsd may use. Every
// producer of a deployment may connect in the same second (kvsd restarts
// with its cameras waiting, or a site's power comes back), and on virtual
// machines fresh memory is what those first seconds cost most: the first
// fragments' acknowledgements waited behind it (docs/benchmarks.md, "Ninth
// session"). The memory is mapped in the background, while kvsd starts and
// as streams are created, and stays mapped when streams are deleted, like
// the rest of the pool.
type bufferWarmer struct {
	perStream int64
	limit     int64
	streams   atomic.Int64
}

func newBufferWarmer(perStream int64) *bufferWarmer {
	w := &bufferWarmer{perStream: perStream}
	if perStream > 0 { // else the limit is never used: spare kvsd's start the files it reads
		w.limit = prefault.MemoryLimit() / 16
	}
	return w
}

// add counts n more streams (fewer when n is negative) and warms the pool
// for all of them. The pool keeps what it mapped when streams go: streams
// created later use it.
func (w *bufferWarmer) add(n int) {
	if w.perStream <= 0 {
		return
	}
	total := w.streams.Add(int64(n))
	if n > 0 {
		prefault.WarmTo(w.target(total))
	}
}

// target is the memory to keep mapped for the given number of streams.
func (w *bufferWarmer) target(streams int64) int64 {
	if streams > w.limit/w.perStream { // streams*perStream passes the limit, or overflows
		return w.limit
	}
	return max(streams, 0) * w.perStream
}

// warmingCatalog is the catalog that control uses, telling the warmer of
// every stream it creates or deletes.
type warmingCatalog struct {
	store.Catalog
	warmer *bufferWarmer
}

// CreateStream implements store.Catalog.
func (c warmingCatalog) CreateStream(ctx context.Context, s store.Stream) error {
	if err := c.Catalog.CreateStream(ctx, s); err != nil {
		return err
	}
	c.warmer.add(1)
	return nil
}

// DeleteStream implements store.Catalog.
func (c warmingCatalog) DeleteStream(ctx context.Context, name string, revision int64) error {
	if err := c.Catalog.DeleteStream(ctx, name, revision); err != nil {
		return err
	}
	c.warmer.add(-1)
	return nil
}
