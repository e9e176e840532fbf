package server

import (
	"context"
	"sync/atomic"

	"github.com/openkvs/openkvs/internal/prefault"
	"github.com/openkvs/openkvs/internal/store"
)

// bufferWarmer keeps buffer memory mapped for the streams in the catalog:
// a share per stream, up to a sixteenth of the machine's memory. Every
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
	return &bufferWarmer{perStream: perStream, limit: prefault.PhysicalMemory() / 16}
}

// add counts n more streams and warms the pool for all of them.
func (w *bufferWarmer) add(n int) {
	if w.perStream <= 0 || n <= 0 {
		return
	}
	total := w.streams.Add(int64(n))
	prefault.WarmTo(min(total*w.perStream, w.limit))
}

// warmingCatalog is the catalog that control uses, telling the warmer of
// every stream it creates.
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
