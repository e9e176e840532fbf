package playback

import (
	"container/list"
	"context"
	"sync"

	"github.com/openkvs/openkvs/internal/store"
)

// DefaultCacheBytes bounds the demuxed fragments a Source keeps for live
// viewers: 8 MB is about 30 s of one 2 Mbps stream, the few newest
// fragments of a handful of streams.
const DefaultCacheBytes = 8 << 20

// fragmentCache keeps recently demuxed fragments, least recently used
// evicted first. Live viewers of one stream all ask for the same newest
// fragment within a second or two; without it each request reads the
// fragment from the store and demuxes it again. Concurrent misses for the
// same fragment wait for one read.
type fragmentCache struct {
	max int

	mu      sync.Mutex
	size    int
	entries map[cacheKey]*cacheEntry
	lru     list.List // of *cacheEntry, most recent at the front
}

type cacheKey struct {
	stream string
	number uint64
}

type cacheEntry struct {
	key   cacheKey
	ready chan struct{}
	frag  *Fragment
	err   error
	size  int
	elem  *list.Element
}

// SetCacheBytes sets the bound of the fragment cache; 0 turns it off.
// Call it before the Source is used.
func (s *Source) SetCacheBytes(n int) {
	if n <= 0 {
		s.cache = nil
		return
	}
	s.cache = &fragmentCache{max: n, entries: map[cacheKey]*cacheEntry{}}
}

// Cached returns fragment f demuxed, shared with other callers: it must
// not be modified. Without a cache it reads a fresh Fragment.
func (s *Source) Cached(ctx context.Context, f store.Fragment) (*Fragment, error) {
	c := s.cache
	if c == nil {
		frag := &Fragment{}
		return frag, s.Read(ctx, f, frag)
	}
	k := cacheKey{f.Stream, f.Number}
	c.mu.Lock()
	e := c.entries[k]
	if e != nil {
		if e.elem != nil {
			c.lru.MoveToFront(e.elem)
		}
		c.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return e.frag, e.err
	}
	e = &cacheEntry{key: k, ready: make(chan struct{})}
	c.entries[k] = e
	c.mu.Unlock()

	frag := &Fragment{}
	// The read is not tied to this request: others may be waiting on it.
	err := s.Read(context.WithoutCancel(ctx), f, frag)
	frag.media = nil // frames point into buf only; keep half the memory
	e.frag, e.err, e.size = frag, err, cap(frag.buf)
	close(e.ready)

	c.mu.Lock()
	if err != nil || e.size > c.max {
		// Errors are not cached: a fragment may become readable.
		delete(c.entries, k)
	} else {
		e.elem = c.lru.PushFront(e)
		c.size += e.size
		for c.size > c.max {
			old := c.lru.Back().Value.(*cacheEntry)
			c.lru.Remove(old.elem)
			delete(c.entries, old.key)
			c.size -= old.size
		}
	}
	c.mu.Unlock()
	return frag, err
}
