package local

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/openkvs/openkvs/internal/store"
)

// segmentDir is the directory under the data dir that holds segment files.
const segmentDir = "segments"

// segmentName is the file name of segment n. Numbers start at 1 and only
// grow, so a name is never reused for different bytes within one directory
// lifetime; %08d is a minimum width, larger numbers simply get more digits.
func segmentName(n uint64) string { return fmt.Sprintf("%08d.seg", n) }

// parseSegmentName returns the number in a segment file name.
func parseSegmentName(name string) (uint64, bool) {
	base, ok := strings.CutSuffix(name, ".seg")
	if !ok || base == "" {
		return 0, false
	}
	n, err := strconv.ParseUint(base, 10, 64)
	if err != nil || n == 0 {
		return 0, false
	}
	return n, true
}

// syncDir fsyncs a directory so that entries created in it survive a crash:
// a new segment file must be findable before the index references it.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	return errors.Join(serr, cerr)
}

// noSpace reports whether err means the file system is full (or the quota
// is), so that it can surface as store.ErrNoSpace.
func noSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// segmentCache keeps read handles to segment files open, at most max of
// them, so that ReadMedia is one pread rather than open+pread+close. Handles
// are reference counted: a segment that retention removes is closed only
// after the reads that hold it finish (they still see the unlinked file).
type segmentCache struct {
	dir string
	max int

	mu      sync.Mutex
	handles map[uint64]*segmentHandle
	tick    uint64
	closed  bool
}

type segmentHandle struct {
	seg     uint64
	f       *os.File
	refs    int
	lastUse uint64
	dead    bool // removed from the cache; close at refs == 0
	// advised is the end of the range read-ahead was last asked for.
	advised atomic.Int64
}

// readAhead is how far past a read the kernel is asked to prefetch. A
// catch-up reader reads one fragment (a few hundred KB) at a time and stops
// to write it to its client; the kernel's own read-ahead window (128 KB by
// default) then keeps only one small read in flight, and each fragment
// waits for the disk. Asking for the next few MB keeps the disk busy while
// the reader writes.
const readAhead = 8 << 20

// adviseAhead starts the read-ahead for a read of [off, off+n), unless an
// earlier read already asked for most of it. A read far behind the range
// asked for last is another pass over the segment (a second reader, or the
// same data after the page cache let it go): it asks again from where it
// is. Handles outlive readers, and without that a segment read once got
// no read-ahead ever again.
func (h *segmentHandle) adviseAhead(off, n int64) {
	end := off + n + readAhead
	done := h.advised.Load()
	from := max(off, done)
	switch {
	case off+n+readAhead/2 <= done && done-off <= 2*readAhead:
		return // inside the window asked for last
	case done-off > 2*readAhead:
		from = off // a new pass
	}
	if !h.advised.CompareAndSwap(done, end) {
		return
	}
	adviseWillNeed(h.f, from, end-from)
}

func newSegmentCache(dir string, maxOpen int) *segmentCache {
	return &segmentCache{dir: dir, max: maxOpen, handles: make(map[uint64]*segmentHandle)}
}

// acquire returns an open handle to segment seg; release it when done. A
// segment file that does not exist is store.ErrNotFound: retention removed
// it after the caller looked its location up.
func (c *segmentCache) acquire(seg uint64) (*segmentHandle, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	c.tick++
	if h, ok := c.handles[seg]; ok {
		h.refs++
		h.lastUse = c.tick
		return h, nil
	}
	f, err := os.Open(filepath.Join(c.dir, segmentName(seg)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open segment %d: %w", seg, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open segment %d: %w", seg, err)
	}
	h := &segmentHandle{seg: seg, f: f, refs: 1, lastUse: c.tick}
	c.handles[seg] = h
	c.evictLocked()
	return h, nil
}

// evictLocked closes idle handles, least recently used first, while the
// cache holds more than max. Busy handles stay, so the bound can be exceeded
// while more than max segments are being read at once.
func (c *segmentCache) evictLocked() {
	for len(c.handles) > c.max {
		var victim *segmentHandle
		for _, h := range c.handles {
			if h.refs == 0 && (victim == nil || h.lastUse < victim.lastUse) {
				victim = h
			}
		}
		if victim == nil {
			return
		}
		delete(c.handles, victim.seg)
		_ = victim.f.Close()
	}
}

func (c *segmentCache) release(h *segmentHandle) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h.refs--
	if h.refs == 0 && h.dead {
		_ = h.f.Close()
		return
	}
	c.evictLocked()
}

// forget drops the handle of a segment that is about to be removed or
// truncated, so that later reads reopen (and fail) rather than read stale
// bytes through an old descriptor.
func (c *segmentCache) forget(seg uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.handles[seg]
	if !ok {
		return
	}
	delete(c.handles, seg)
	h.dead = true
	if h.refs == 0 {
		_ = h.f.Close()
	}
}

// close closes every idle handle; busy ones close on release.
func (c *segmentCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for seg, h := range c.handles {
		delete(c.handles, seg)
		h.dead = true
		if h.refs == 0 {
			_ = h.f.Close()
		}
	}
}
