package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/openkvs/openkvs/internal/prefault"
	"github.com/openkvs/openkvs/internal/store"
)

// writerState is the committer goroutine's own state; nothing else touches
// it once Open has returned.
type writerState struct {
	seg  uint64   // segment that receives the next record
	file *os.File // seg opened for writing; nil until its file exists
	size int64    // bytes in seg
	// nextSeg is the number the next new segment gets. Numbers only grow,
	// including past segments that a failed batch never created.
	nextSeg uint64
	// forceRoll is set when a failed write could not be cut back: seg has
	// junk after its last committed record, so the next record starts a
	// new segment and Open will cut the junk off.
	forceRoll bool
	// tail holds the bytes of seg after its last directAlign boundary. A
	// batch rewrites that block whole, since O_DIRECT writes whole aligned
	// blocks only.
	tail []byte
	// bounce is the aligned buffer every batch is written through.
	bounce []byte
	// buffered is set once the filesystem refused O_DIRECT.
	buffered bool
	// cached is the file whose O_DIRECT is off, for a batch of large
	// fragments (see pageCacheFragmentBytes); nil when there is none.
	cached *os.File
	segs   map[uint64]*segmentInfo
	queue  []*fragRequest
	// unindexed are the batches that are durable and acknowledged but
	// whose rows are not in the SQLite index yet, oldest first; their
	// fragments stay in memory until they are.
	unindexed []durableBatch
	// indexErr is why the last index commit failed, and indexRetry when
	// the next may be tried.
	indexErr   error
	indexRetry time.Time
	// maybeDead are segments whose refs dropped or that stopped being the
	// active segment; removeDeadSegments looks at them.
	maybeDead map[uint64]bool
	// inflight is the batch whose fsync runs while the next batch is
	// written; nil when none.
	inflight *syncingBatch
}

// syncingBatch is a batch that is written and adopted, and whose fsync
// runs on a goroutine of its own while the committer writes the next batch
// (for large batches only: see overlapMinBytes).
type syncingBatch struct {
	b    *fragBatch
	p    *placement
	prev adoptUndo // what taking the batch back restores
	err  error     // set before done is closed
	done chan struct{}
}

// adoptUndo is the committer state that adopt replaced.
type adoptUndo struct {
	seg       uint64
	file      *os.File
	size      int64
	tail      []byte
	segs      map[uint64]*segmentInfo // copies of the entries before; nil for none
	fileBytes int64                   // what adopt added to Fragments.fileBytes
	headers   []placedHeader          // header locations before, in adopt's order
}

// durableBatch is a batch whose records and batch records are on disk.
type durableBatch struct {
	b  *fragBatch
	p  *placement
	at time.Time
}

// indexRetryDelay spaces the attempts to commit index rows after a failure
// (a full disk, say): the fragments are durable, and stay listed from
// memory and readable from their segments meanwhile.
const indexRetryDelay = time.Second

// segmentInfo mirrors a segments row plus the file size.
type segmentInfo struct {
	refs int64 // committed index rows (fragments and headers) in the file
	end  int64 // end of the last committed record
	size int64 // file size
}

// placement is where one batch's records go, decided before any byte is
// written.
type placement struct {
	spans   []writeSpan
	frags   []placedFragment
	headers []placedHeader
	failed  []failedFragment
	streams []*memStream // streams without a row yet
	refs    map[uint64]int64
	ends    map[uint64]int64
	endSeg  uint64
	endSize int64
	added   int64 // bytes the spans add to the files
	touched []*touchedSegment
	// tail is what writerState.tail becomes for tailSeg, the segment the
	// batch wrote last.
	tail    []byte
	tailSeg uint64
	// pageCache writes the batch through the page cache instead of with
	// O_DIRECT (see pageCacheFragmentBytes).
	pageCache bool
	// seal and dead are what adopt defers until the batch is durable: the
	// files to seal, and the segments to mark maybeDead.
	seal []sealJob
	dead []uint64
}

// sealJob is a segment file to seal at end, once no batch writes to it.
type sealJob struct {
	f   *os.File
	end int64
}

// writeSpan is one contiguous write: consecutive records of one batch
// block that land next to each other in one segment, or one rewritten
// header record.
type writeSpan struct {
	seg      uint64
	off      int64
	data     []byte
	blk      int // batch block the data is in, -1 for a header copy
	blkStart int
	blkEnd   int
}

type placedFragment struct {
	mf  *memFragment
	seg uint64
	off int64
}

type placedHeader struct {
	h   *memHeader
	seg uint64
	off int64
}

type failedFragment struct {
	mf  *memFragment
	err error
}

// touchedSegment is a segment file a batch writes to, with what undoing the
// write takes.
type touchedSegment struct {
	seg     uint64
	f       *os.File
	pre     int64 // size before the batch
	created bool
}

// run is the committer: it alternates group commits, index commits and
// steps of queued deletes until Close, and then drains all three.
//
// Index commits run on this goroutine too. On a separate one they were
// measured slower (500 streams, PERSISTED p99 higher in four interleaved
// pairs): the index's fsync then competes with the segments' fsync.
func (s *Fragments) run() {
	defer close(s.done)
	ctx := context.Background()
	var timer *time.Timer
	for {
		s.mu.Lock()
		s.w.queue = append(s.w.queue, s.requests...)
		s.requests = nil
		hasBatch := len(s.pending.frags) > 0
		reserve := s.needReserve
		closed := s.closed
		first := s.pending.first
		s.mu.Unlock()

		if closed && !hasBatch && len(s.w.queue) == 0 {
			s.settle(nil)
			s.flushIndex(ctx, true)
			return
		}
		indexAt := s.indexDueAt()
		indexNow := reserve || (!indexAt.IsZero() && !time.Now().Before(indexAt))
		if !hasBatch && !indexNow && len(s.w.queue) == 0 {
			var wake <-chan time.Time
			if !indexAt.IsZero() {
				if timer == nil {
					timer = time.NewTimer(time.Until(indexAt))
				} else {
					timer.Reset(time.Until(indexAt))
				}
				wake = timer.C
			}
			var synced chan struct{}
			if in := s.w.inflight; in != nil {
				synced = in.done
			}
			select {
			case <-s.kick:
			case <-s.quit:
			case <-wake:
			case <-synced:
				s.settle(nil)
			}
			if timer != nil {
				timer.Stop()
			}
			continue
		}
		if hasBatch && s.opts.MaxBatchDelay > 0 && !closed {
			if d := time.Until(first.Add(s.opts.MaxBatchDelay)); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-s.quit:
				}
				t.Stop()
			}
		}
		if hasBatch {
			s.commit(ctx)
		}
		if indexNow {
			s.flushIndex(ctx, false)
		}
		if len(s.w.queue) > 0 {
			r := s.w.queue[0]
			// Deletes work on index rows: every acknowledged fragment
			// must have its row first.
			s.settle(nil)
			s.flushIndex(ctx, false)
			done := true
			if len(s.w.unindexed) > 0 {
				r.err = s.w.indexErr
			} else {
				done = s.step(ctx, r)
			}
			if done {
				s.w.queue[0] = nil
				s.w.queue = s.w.queue[1:]
				close(r.done)
			}
		}
	}
}

// indexDueAt is when the durable batches' rows should go to the index:
// IndexDelay after the oldest one, and not before a retry is due. Zero
// means nothing waits.
func (s *Fragments) indexDueAt() time.Time {
	if len(s.w.unindexed) == 0 {
		return time.Time{}
	}
	at := s.w.unindexed[0].at.Add(max(0, s.opts.IndexDelay))
	if at.Before(s.w.indexRetry) {
		at = s.w.indexRetry
	}
	return at
}

// commit writes the pending batch's records and a batch record per
// segment, and starts their fsync. The batch before it, whose fsync ran
// meanwhile, is settled once this one is written: its fragments are
// acknowledged, or, if its fsync failed, both batches are taken back. The
// index rows follow in flushIndex; until then the fragments are listed from
// memory and read from their segment.
func (s *Fragments) commit(ctx context.Context) {
	s.mu.Lock()
	b := s.pending
	s.pending = &fragBatch{}
	s.mu.Unlock()
	b.encoding.Wait() // Appends still copying their media into b

	if s.opts.MaxBytes > 0 {
		// Eviction works on index rows, which the batch in flight does
		// not have yet.
		s.settle(nil)
	}
	p := s.layout(ctx, b)
	if len(p.spans) == 0 {
		s.settle(nil) // acknowledgements keep the order of the batches
		s.acknowledge(b, p)
		s.finish(b, p)
		return
	}
	p.pageCache = b.bytes >= pageCacheFragmentBytes*int64(len(b.frags))
	if err := s.writeSpans(p); err != nil {
		s.log.Error("commit fragments", "fragments", len(p.frags), "err", err)
		s.undoWrite(p)
		s.fail(b, p, err)
		return
	}
	if err := s.settle(p); err != nil {
		s.fail(b, p, fmt.Errorf("written after a batch that failed: %w", err))
		return
	}
	in := &syncingBatch{b: b, p: p, prev: s.adopt(p), done: make(chan struct{})}
	s.w.inflight = in
	sync := func() {
		if in.err = s.syncSpans(p); in.err == nil {
			s.acknowledge(b, p)
		}
		close(in.done)
	}
	if b.bytes < overlapMinBytes {
		sync()
		s.settle(nil)
		return
	}
	// Acknowledged as soon as the fsync returns, not when the committer,
	// busy writing the next batch, gets to settle.
	go sync()
}

// overlapMinBytes is the smallest batch whose fsync overlaps the next
// batch's write. One stream of 6.5 MB fragments gained 9 % from the
// overlap (median of 5 pairs), but at 500 streams of 2 Mbit/s, whose
// batches are far smaller, overlapping every batch raised the median
// PERSISTED latency (by 0.2 to 3 ms) and, in two of 3 pairs, kvsd's CPU
// (docs/benchmarks.md).
const overlapMinBytes = blockSize

// pageCacheFragmentBytes is the average fragment size from which a batch
// is written through the page cache rather than with O_DIRECT. This disk
// takes one stream of 6.5 MB fragments, each fsync'd while the next is
// written, at about 400 MB/s with O_DIRECT and 720-760 MB/s through the
// page cache (BenchmarkSegmentWriteModes), where the kernel writes back a
// batch with many requests in flight. Small fragments stay with O_DIRECT:
// at 500 streams of 250 KB fragments, the page cache cost kvsd more CPU
// and raised the PERSISTED p99 (docs/benchmarks.md).
const pageCacheFragmentBytes = 2 << 20

// settle waits for the batch in flight, if any, and finishes it. If its
// fsync failed, it takes the batch back instead: next (written after it,
// not adopted, or nil) is undone first, then the batch's own writes and
// state, and the batch's fragments fail; settle returns the error.
func (s *Fragments) settle(next *placement) error {
	in := s.w.inflight
	if in == nil {
		return nil
	}
	s.w.inflight = nil
	<-in.done
	if in.err == nil {
		s.finish(in.b, in.p)
		return nil
	}
	s.log.Error("commit fragments", "fragments", len(in.p.frags), "err", in.err)
	if next != nil {
		s.undoWrite(next)
	}
	s.revert(in.prev)
	s.undoWrite(in.p)
	s.fail(in.b, in.p, in.err)
	return in.err
}

// finish moves the committer past a durable, acknowledged batch: it seals
// the files the batch rolled past, and the batch waits in unindexed for
// its rows.
func (s *Fragments) finish(b *fragBatch, p *placement) {
	for _, j := range p.seal {
		sealSegment(j.f, j.end)
	}
	for _, seg := range p.dead {
		s.w.maybeDead[seg] = true
	}
	s.w.unindexed = append(s.w.unindexed, durableBatch{b: b, p: p, at: time.Now()})
}

// acknowledge tells a durable batch's fragments so: they are read from
// their segments from now on. It touches only what s.mu guards, so the
// goroutine of the batch's fsync may call it while the committer writes
// the next batch.
func (s *Fragments) acknowledge(b *fragBatch, p *placement) {
	s.mu.Lock()
	// The blocks go back to the pool now rather than when the rows are
	// indexed.
	for _, pf := range p.frags {
		pf.mf.frag.Location = store.Location{Segment: int64(pf.seg), Offset: pf.off, Known: true}
	}
	// The fragments that did not fit (MaxBytes) leave memory with their
	// blocks: nothing else holds their bytes.
	for _, ff := range p.failed {
		s.dropLocked(ff.mf)
	}
	s.recycleLocked(b)
	s.signalLocked()
	s.mu.Unlock()
	p.notify(nil)
}

// fail drops a batch that could not be made durable and tells its
// fragments why.
func (s *Fragments) fail(b *fragBatch, p *placement, err error) {
	s.mu.Lock()
	for _, mf := range b.frags {
		s.dropLocked(mf)
	}
	s.recycleLocked(b)
	s.signalLocked()
	s.mu.Unlock()
	p.notify(err)
}

// dropLocked removes a fragment that failed from memory. Unlike
// releaseLocked it cannot assume the fragment heads its stream's list:
// earlier batches may still wait there for their rows.
func (s *Fragments) dropLocked(mf *memFragment) {
	delete(s.frags, mf.frag.Number)
	ms := mf.stream
	ms.frags = slices.DeleteFunc(ms.frags, func(x *memFragment) bool { return x == mf })
	if len(ms.frags) == 0 {
		ms.frags = nil
	}
}

// notify tells every fragment of the batch its outcome: err for the placed
// ones, their own error for those that could not be placed.
func (p *placement) notify(err error) {
	for _, pf := range p.frags {
		pf.mf.ch <- err
	}
	for _, ff := range p.failed {
		ff.mf.ch <- ff.err
	}
}

// flushIndex commits the rows of every durable batch, and the next
// reservation windows when due, in one transaction; on success the batches
// leave memory. On failure they stay unindexed (s.w.indexErr says why) and
// wait for a retry after indexRetryDelay, except when closing: then they
// are let go, and Open rebuilds their rows from the batch records.
func (s *Fragments) flushIndex(ctx context.Context, closing bool) {
	s.mu.Lock()
	s.needReserve = false
	var fragRes, hdrRes uint64
	if s.fragSeq.low() {
		fragRes = s.fragSeq.next - 1 + sequenceWindow
	}
	if s.headerSeq.low() {
		hdrRes = s.headerSeq.next - 1 + sequenceWindow
	}
	s.mu.Unlock()
	batches := s.w.unindexed
	if len(batches) == 0 && fragRes == 0 && hdrRes == 0 {
		return
	}
	s.w.unindexed = nil
	err := s.indexRelaxed(ctx, batches, fragRes, hdrRes)

	s.mu.Lock()
	switch {
	case err != nil && (fragRes > 0 || hdrRes > 0):
		s.reserveErr = err
	case err == nil:
		s.reserveErr = nil
		if fragRes > 0 {
			s.fragSeq.reserved = fragRes
		}
		if hdrRes > 0 {
			s.headerSeq.reserved = hdrRes
		}
	}
	if err != nil {
		s.log.Error("index fragments", "batches", len(batches), "err", err)
		s.w.indexErr, s.w.indexRetry = err, time.Now().Add(indexRetryDelay)
		if !closing {
			s.w.unindexed = append(batches, s.w.unindexed...)
			s.signalLocked() // an Append waiting for a window gets reserveErr
			s.mu.Unlock()
			return
		}
	} else {
		s.w.indexErr = nil
		for _, d := range batches {
			for _, ms := range d.p.streams {
				ms.persisted = true
			}
		}
	}
	for _, d := range batches {
		s.releaseLocked(d.b)
	}
	s.signalLocked()
	s.mu.Unlock()
	if err == nil && len(s.w.maybeDead) > 0 {
		s.removeDeadSegments(ctx)
	}
}

// layout decides the segment and offset of every record of b, rolling to a
// new segment at SegmentSize, writing a copy of a fragment's header into
// the segment first when that segment holds none yet, and evicting the
// oldest segments when MaxBytes requires it.
//
// The header copy is what lets old segments go: a header's index row
// always points at the copy in the newest segment that uses it, so a
// long-lived producer session never pins its first segment.
func (s *Fragments) layout(ctx context.Context, b *fragBatch) *placement {
	p := &placement{refs: make(map[uint64]int64), ends: make(map[uint64]int64)}
	cur, size := s.w.seg, s.w.size
	startSeg := s.w.seg
	roll := s.w.forceRoll
	hdrSeg := make(map[*memHeader]uint64) // where this batch put a copy
	seen := make(map[*memStream]bool)
	// idx holds the rows of what this batch placed in cur so far; closing
	// writes them as cur's batch record.
	var idx batchIndex
	closeSeg := func() {
		if len(idx.frags) == 0 && len(idx.headers) == 0 {
			return
		}
		data := idx.encode(make([]byte, 0, batchIndexLen(len(idx.frags), len(idx.headers))))
		rec := make([]byte, recordLen(0, len(data)))
		encodeRecord(rec, recordBatch, uint64(max(0, idx.frags[0].number)), "", data, crc32.Checksum(data, castagnoli))
		p.spans = append(p.spans, writeSpan{seg: cur, off: size, data: rec, blk: -1})
		size += int64(len(rec))
		p.added += int64(len(rec))
		p.ends[cur] = size
		idx = batchIndex{}
	}
	// closeLen is the size of cur's batch record with one more fragment
	// (and header) in it.
	closeLen := func(hdr bool) int64 {
		nh := len(idx.headers)
		if hdr {
			nh++
		}
		return int64(recordLen(0, batchIndexLen(len(idx.frags)+1, nh)))
	}
	for i, mf := range b.frags {
		h := mf.header
		var hdrLen int64
		if h != nil {
			hdrLen = int64(recordLen(len(h.stream.arn), int(h.size)))
		}
		// h.seg is written only by this goroutine: no lock needed to read.
		needHdr := func(seg uint64) bool {
			if h == nil {
				return false
			}
			if at, ok := hdrSeg[h]; ok {
				return at != seg
			}
			return h.seg != seg
		}
		need := int64(mf.recLen)
		total := func(seg uint64) int64 {
			if needHdr(seg) {
				return need + hdrLen
			}
			return need
		}
		if size > 0 && (roll || size+total(cur) > s.opts.SegmentSize) {
			closeSeg()
			cur = s.w.nextSeg
			s.w.nextSeg++
			size, roll = 0, false
		}
		if s.opts.MaxBytes > 0 {
			for s.fileBytes.Load()+p.added+total(cur)+closeLen(needHdr(cur)) > s.opts.MaxBytes {
				if !s.evictOldest(ctx, startSeg) {
					err := fmt.Errorf("commit fragment: %w: %d bytes cap reached", store.ErrNoSpace, s.opts.MaxBytes)
					for _, mf := range b.frags[i:] {
						p.failed = append(p.failed, failedFragment{mf, err})
					}
					closeSeg()
					p.endSeg, p.endSize = cur, size
					return p
				}
			}
		}
		if needHdr(cur) {
			data, err := s.headerBytes(h)
			if err != nil {
				p.failed = append(p.failed, failedFragment{mf, fmt.Errorf("rewrite header %d: %w", h.id, err)})
				continue
			}
			rec := make([]byte, hdrLen)
			encodeRecord(rec, recordHeader, h.id, h.stream.arn, data, crc32.Checksum(data, castagnoli))
			p.spans = append(p.spans, writeSpan{seg: cur, off: size, data: rec, blk: -1})
			prev, ok := hdrSeg[h]
			if !ok {
				prev = h.seg
			}
			if prev != 0 {
				p.refs[prev]--
			}
			p.refs[cur]++
			p.headers = append(p.headers, placedHeader{h: h, seg: cur, off: size})
			idx.headers = append(idx.headers, batchHeader{id: int64(h.id), offset: size})
			hdrSeg[h] = cur
			size += hdrLen
			p.added += hdrLen
			p.ends[cur] = size
		}
		merged := false
		if n := len(p.spans); n > 0 {
			last := &p.spans[n-1]
			if last.blk == mf.blk && last.blkEnd == mf.off && last.seg == cur && last.off+int64(len(last.data)) == size {
				last.blkEnd = mf.off + mf.recLen
				last.data = b.blocks[mf.blk][last.blkStart:last.blkEnd]
				merged = true
			}
		}
		if !merged {
			p.spans = append(p.spans, writeSpan{seg: cur, off: size, data: mf.record(), blk: mf.blk, blkStart: mf.off, blkEnd: mf.off + mf.recLen})
		}
		p.frags = append(p.frags, placedFragment{mf: mf, seg: cur, off: size})
		f := mf.frag
		idx.frags = append(idx.frags, batchFragment{number: int64(f.Number), offset: size,
			producerTS: encodeTime(f.ProducerTimestamp), serverTS: encodeTime(f.ServerTimestamp),
			duration: int64(f.Duration), headerID: int64(f.HeaderID)})
		p.refs[cur]++
		size += need
		p.added += need
		p.ends[cur] = size
		if !mf.stream.persisted && !seen[mf.stream] {
			seen[mf.stream] = true
			p.streams = append(p.streams, mf.stream)
		}
	}
	closeSeg()
	p.endSeg, p.endSize = cur, size
	return p
}

// writeSpans writes the batch's records. On failure the caller undoes
// what it wrote (undoWrite).
func (s *Fragments) writeSpans(p *placement) error {
	for i := 0; i < len(p.spans); {
		j := i + 1
		for j < len(p.spans) && p.spans[j].seg == p.spans[i].seg {
			j++
		}
		if err := s.writeSegment(p, p.spans[i:j]); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// syncSpans makes a written batch durable: it fsyncs the files the batch
// wrote, and the segment directory when the batch created a file. It runs
// on its own goroutine and touches nothing but p's files.
func (s *Fragments) syncSpans(p *placement) error {
	created := false
	for _, t := range p.touched {
		if err := s.syncFile(t.f); err != nil {
			return spaceErr(fmt.Sprintf("sync segment %d", t.seg), err)
		}
		created = created || t.created
	}
	if created {
		if err := syncDir(s.segDir); err != nil {
			return spaceErr("sync segment dir", err)
		}
	}
	return nil
}

// writeSegment writes spans, which follow each other in one segment, in
// whole aligned blocks through the bounce buffer. The first block starts
// with the segment's tail: committed bytes, rewritten unchanged, so a torn
// write leaves them intact whichever sectors land. The last block is padded
// with zeros, which the next batch overwrites.
//
// Aligned blocks let the file be opened with O_DIRECT, which skips the copy
// into the page cache: on ext4 that copy cost ten times the CPU of the
// direct write, and was the largest single cost of ingest.
func (s *Fragments) writeSegment(p *placement, spans []writeSpan) error {
	seg := spans[0].seg
	t, err := s.touch(p, seg)
	if err != nil {
		return err
	}
	s.writeThrough(t.f, p.pageCache)
	start := spans[0].off
	var tail []byte
	if !t.created {
		tail = s.w.tail
	}
	if int64(len(tail)) != start%directAlign {
		return fmt.Errorf("write segment %d: %d tail bytes kept for a segment ending at %d", seg, len(tail), start)
	}
	if s.w.bounce == nil {
		s.w.bounce = alignedBuffer(bounceSize)
	}
	off := start - int64(len(tail))
	buf := append(s.w.bounce[:0], tail...)
	for _, sp := range spans {
		for data := sp.data; len(data) > 0; {
			n := copy(buf[len(buf):cap(buf)], data)
			buf, data = buf[:len(buf)+n], data[n:]
			if len(buf) == cap(buf) {
				if err := writeBlocks(t.f, buf, off, seg); err != nil {
					return err
				}
				off += int64(len(buf))
				buf = buf[:0]
			}
		}
	}
	keep := len(buf) % directAlign
	p.tail, p.tailSeg = append(p.tail[:0], buf[len(buf)-keep:]...), seg
	if len(buf) == 0 {
		return nil
	}
	padded := buf[:alignUp(len(buf))]
	clear(padded[len(buf):])
	return writeBlocks(t.f, padded, off, seg)
}

// writeThrough sets f's writes to go through the page cache or not. The
// blocks written are aligned either way, so a failure to switch costs only
// speed: the file keeps the mode it has.
func (s *Fragments) writeThrough(f *os.File, pageCache bool) {
	switch {
	case s.w.buffered:
	case pageCache && s.w.cached != f:
		if setDirect(f, false) == nil {
			s.w.cached = f
		}
	case !pageCache && s.w.cached == f:
		if setDirect(f, true) == nil {
			s.w.cached = nil
		}
	}
}

// writeBlocks writes whole aligned blocks at off.
func writeBlocks(f *os.File, b []byte, off int64, seg uint64) error {
	if _, err := f.WriteAt(b, off); err != nil {
		return spaceErr(fmt.Sprintf("write segment %d", seg), err)
	}
	return nil
}

// touch returns the file of seg for writing, creating it if it is new.
// Spans come in segment order, so each segment is touched once.
func (s *Fragments) touch(p *placement, seg uint64) (*touchedSegment, error) {
	if n := len(p.touched); n > 0 && p.touched[n-1].seg == seg {
		return p.touched[n-1], nil
	}
	if seg == s.w.seg && s.w.file != nil {
		t := &touchedSegment{seg: seg, f: s.w.file, pre: s.w.size}
		p.touched = append(p.touched, t)
		return t, nil
	}
	f, err := s.openForWrite(filepath.Join(s.segDir, segmentName(seg)), os.O_CREATE|os.O_EXCL)
	if err != nil {
		return nil, spaceErr(fmt.Sprintf("create segment %d", seg), err)
	}
	t := &touchedSegment{seg: seg, f: f, created: true}
	p.touched = append(p.touched, t)
	return t, nil
}

// undoWrite takes back a batch's bytes: files it created are removed and
// the active file is cut back to its size before the batch, so a partial
// write (a full disk) leaves no junk that the next batch would follow.
func (s *Fragments) undoWrite(p *placement) {
	for _, t := range p.touched {
		if t.created {
			_ = t.f.Close()
			if err := os.Remove(filepath.Join(s.segDir, segmentName(t.seg))); err != nil && !errors.Is(err, fs.ErrNotExist) {
				s.log.Error("remove failed segment", "segment", t.seg, "err", err)
			}
			continue
		}
		if err := t.f.Truncate(t.pre); err != nil {
			// Leave the junk behind the last committed record, where Open
			// cuts it off, and write on in a new segment.
			s.log.Error("cut back failed write", "segment", t.seg, "err", err)
			s.w.forceRoll = true
			if fi, serr := t.f.Stat(); serr == nil {
				if info := s.w.segs[t.seg]; info != nil {
					s.fileBytes.Add(fi.Size() - info.size)
					info.size = fi.Size()
				}
			}
			continue
		}
		_ = t.f.Sync()
	}
	p.touched = nil
}

// indexRelaxed runs index without an fsync of the WAL when it commits only
// rows: the segments already hold them durably (in batch records, past the
// end the index records for each segment), so a power loss that takes the
// commit back only leaves more for Open to rebuild. A reservation must be
// durable before its numbers are handed out, so a job with one is synced.
func (s *Fragments) indexRelaxed(ctx context.Context, batches []durableBatch, fragRes, hdrRes uint64) error {
	if fragRes == 0 && hdrRes == 0 {
		if _, err := s.wdb.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
			return fmt.Errorf("relax index sync: %w", err)
		}
		defer func() {
			if _, err := s.wdb.ExecContext(ctx, `PRAGMA synchronous = FULL`); err != nil {
				s.log.Error("restore index sync", "err", err)
			}
		}()
	}
	return s.index(ctx, batches, fragRes, hdrRes)
}

// index commits the rows of batches, and the reservation windows when
// fragRes or hdrRes is set, in one transaction.
func (s *Fragments) index(ctx context.Context, batches []durableBatch, fragRes, hdrRes uint64) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return spaceErr("begin index commit", err)
	}
	defer func() { _ = tx.Rollback() }()
	inserted := make(map[*memStream]bool)
	var fragStmt *sql.Stmt
	for _, d := range batches {
		p := d.p
		for _, ms := range p.streams {
			if inserted[ms] {
				continue
			}
			inserted[ms] = true
			if _, err := tx.ExecContext(ctx, upsertStreamSQL, ms.id, ms.arn); err != nil {
				return spaceErr("insert stream", err)
			}
		}
		for _, ph := range p.headers {
			h := ph.h
			if _, err := tx.ExecContext(ctx, upsertHeaderSQL,
				int64(h.id), h.stream.id, h.hash[:], int64(ph.seg), ph.off, h.size); err != nil {
				return spaceErr("insert header", err)
			}
		}
		if len(p.frags) > 0 && fragStmt == nil {
			if fragStmt, err = tx.PrepareContext(ctx, insertFragmentSQL); err != nil {
				return spaceErr("prepare fragment insert", err)
			}
			defer fragStmt.Close()
		}
		for _, pf := range p.frags {
			f := pf.mf.frag
			if _, err := fragStmt.ExecContext(ctx, int64(f.Number), pf.mf.stream.id, encodeTime(f.ProducerTimestamp),
				encodeTime(f.ServerTimestamp), int64(f.Duration), f.Size, int64(f.Checksum), int64(f.HeaderID),
				int64(pf.seg), pf.off); err != nil {
				return spaceErr(fmt.Sprintf("insert fragment %d", f.Number), err)
			}
		}
		if err := upsertSegments(ctx, tx, p.refs, p.ends); err != nil {
			return err
		}
	}
	if fragRes > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE sequences SET reserved = ? WHERE name = 'fragment'`, int64(fragRes)); err != nil {
			return spaceErr("reserve fragment numbers", err)
		}
	}
	if hdrRes > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE sequences SET reserved = ? WHERE name = 'header'`, int64(hdrRes)); err != nil {
			return spaceErr("reserve header ids", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return spaceErr("commit index", err)
	}
	return nil
}

// The index writes the committer and the rebuild at Open share. A header
// row moves to the newest copy of its header; REPLACE in streams: a row of
// an earlier incarnation of the same ARN that DeleteStream failed to drop
// must not block this one.
const (
	upsertStreamSQL = `INSERT OR REPLACE INTO streams (id, arn) VALUES (?, ?)`
	upsertHeaderSQL = `INSERT INTO headers (id, stream_id, hash, segment, seg_offset, size)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET segment = excluded.segment, seg_offset = excluded.seg_offset`
	insertFragmentSQL = `INSERT INTO fragments
		(number, stream_id, producer_ts, server_ts, duration, size, checksum, header_id, segment, seg_offset)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// upsertSegments adds refs to the segments rows and moves their ends up to
// ends.
func upsertSegments(ctx context.Context, tx *sql.Tx, refs, ends map[uint64]int64) error {
	for seg, d := range refs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO segments (id, refs, end_offset) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET refs = refs + excluded.refs, end_offset = max(end_offset, excluded.end_offset)`,
			int64(seg), d, ends[seg]); err != nil {
			return spaceErr("update segment", err)
		}
	}
	return nil
}

// adopt moves the committer's state past a written batch, before its
// fsync is done, so that the next batch can be laid out and written
// meanwhile. What must wait for the fsync (sealing files, marking dead
// segments) goes into p.seal and p.dead for finish; what adopt replaced
// comes back for revert.
func (s *Fragments) adopt(p *placement) adoptUndo {
	u := adoptUndo{seg: s.w.seg, file: s.w.file, size: s.w.size, tail: s.w.tail, segs: make(map[uint64]*segmentInfo)}
	info := func(seg uint64) *segmentInfo {
		cur := s.w.segs[seg]
		if _, saved := u.segs[seg]; !saved {
			var before *segmentInfo
			if cur != nil {
				c := *cur
				before = &c
			}
			u.segs[seg] = before
		}
		if cur == nil {
			cur = &segmentInfo{}
			s.w.segs[seg] = cur
		}
		return cur
	}
	var endFile *os.File
	for _, t := range p.touched {
		in := info(t.seg)
		if e := p.ends[t.seg]; e > in.size {
			s.fileBytes.Add(e - in.size)
			u.fileBytes += e - in.size
			in.size = e
		}
		if t.seg == p.endSeg {
			endFile = t.f
		} else if t.f != s.w.file {
			p.seal = append(p.seal, sealJob{t.f, p.ends[t.seg]}) // sealed within this batch
		}
	}
	for seg, d := range p.refs {
		in := info(seg)
		in.refs += d
		in.end = max(in.end, p.ends[seg])
		if d < 0 {
			p.dead = append(p.dead, seg)
		}
	}
	if p.endSeg != s.w.seg {
		if s.w.file != nil && s.w.file != endFile {
			end := s.w.size
			if e, ok := p.ends[s.w.seg]; ok {
				end = e // the batch wrote more to it before it rolled
			}
			p.seal = append(p.seal, sealJob{s.w.file, end})
		}
		p.dead = append(p.dead, s.w.seg)
		s.w.seg, s.w.file = p.endSeg, endFile
		s.w.forceRoll = false
	} else if endFile != nil {
		s.w.file = endFile
	}
	s.w.size = p.endSize
	s.w.tail = nil
	if p.tailSeg == p.endSeg {
		s.w.tail = p.tail
	}
	s.mu.Lock()
	for _, ph := range p.headers {
		u.headers = append(u.headers, placedHeader{h: ph.h, seg: ph.h.seg, off: ph.h.off})
		ph.h.seg, ph.h.off = ph.seg, ph.off
	}
	s.mu.Unlock()
	return u
}

// revert takes back what adopt did for a batch whose fsync failed. The
// next batch starts a new segment: after a failed fsync the state of the
// old one's cached pages is unknown.
func (s *Fragments) revert(u adoptUndo) {
	s.w.seg, s.w.file, s.w.size, s.w.tail = u.seg, u.file, u.size, u.tail
	s.w.forceRoll = true
	for seg, before := range u.segs {
		switch cur := s.w.segs[seg]; {
		case before == nil:
			delete(s.w.segs, seg)
		case cur == nil:
			s.w.segs[seg] = before
		default:
			*cur = *before
		}
	}
	s.fileBytes.Add(-u.fileBytes)
	s.mu.Lock()
	for i := len(u.headers) - 1; i >= 0; i-- {
		ph := u.headers[i]
		ph.h.seg, ph.h.off = ph.seg, ph.off
	}
	s.mu.Unlock()
}

// sealSegment closes a segment that takes no more records, cutting the
// zero padding after its last record first (Open would cut it otherwise).
func sealSegment(f *os.File, end int64) {
	_ = f.Truncate(end)
	_ = f.Close()
}

// releaseLocked drops b's fragments from memory, now that their rows are
// in the index (or they failed).
func (s *Fragments) releaseLocked(b *fragBatch) {
	for _, mf := range b.frags {
		delete(s.frags, mf.frag.Number)
		// Batches are released in number order, so mf heads its stream's
		// list.
		if ms := mf.stream; len(ms.frags) > 0 && ms.frags[0] == mf {
			ms.frags[0] = nil
			ms.frags = ms.frags[1:]
			if len(ms.frags) == 0 {
				ms.frags = nil
			}
		}
	}
	if n := len(b.frags); n > 0 {
		s.indexedThrough = max(s.indexedThrough, b.frags[n-1].frag.Number)
	}
	s.recycleLocked(b)
}

// recycleLocked returns b's blocks to the pool once its records are on disk
// (or failed), which makes room for more Appends.
func (s *Fragments) recycleLocked(b *fragBatch) {
	if b.blocks == nil {
		return
	}
	s.pendingBytes -= b.bytes
	for _, blk := range b.blocks {
		if c := int64(cap(blk)); s.freeBytes+c <= s.opts.MaxPendingBytes {
			s.freeBlocks = append(s.freeBlocks, blk[:0])
			s.freeBytes += c
		} else {
			prefault.Put(blk)
		}
	}
	b.blocks = nil
}

// signalLocked wakes the Appends that wait for room or for a reservation.
func (s *Fragments) signalLocked() {
	close(s.progress)
	s.progress = make(chan struct{})
}
