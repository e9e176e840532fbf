package local

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// open loads the index's in-memory part, repairs what a crash (or a
// damaged file) left behind, and reserves the next window of numbers.
func (s *Fragments) open(ctx context.Context) error {
	if err := s.load(ctx); err != nil {
		return err
	}
	if err := s.recover(ctx); err != nil {
		return err
	}
	return s.reserve(ctx)
}

func (s *Fragments) load(ctx context.Context) error {
	byID := make(map[int64]*memStream)
	rows, err := s.wdb.QueryContext(ctx, `SELECT id, arn FROM streams`)
	if err != nil {
		return fmt.Errorf("load streams: %w", err)
	}
	s.nextStreamID = 1
	for rows.Next() {
		ms := &memStream{persisted: true, headers: make(map[[sha256.Size]byte]*memHeader)}
		if err := rows.Scan(&ms.id, &ms.arn); err != nil {
			_ = rows.Close()
			return fmt.Errorf("load streams: %w", err)
		}
		s.streams[ms.arn] = ms
		byID[ms.id] = ms
		s.nextStreamID = max(s.nextStreamID, ms.id+1)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("load streams: %w", err)
	}

	rows, err = s.wdb.QueryContext(ctx, `SELECT id, stream_id, hash, segment, seg_offset, size FROM headers ORDER BY id`)
	if err != nil {
		return fmt.Errorf("load headers: %w", err)
	}
	for rows.Next() {
		var (
			id, streamID, seg int64
			hash              []byte
			h                 memHeader
		)
		if err := rows.Scan(&id, &streamID, &hash, &seg, &h.off, &h.size); err != nil {
			_ = rows.Close()
			return fmt.Errorf("load headers: %w", err)
		}
		h.id, h.seg = uint64(id), uint64(seg)
		copy(h.hash[:], hash)
		h.stream = byID[streamID]
		if h.stream == nil {
			// Its stream row is gone; recover drops it as an orphan.
			h.stream = &memStream{id: streamID, headers: make(map[[sha256.Size]byte]*memHeader)}
		}
		hp := &h
		s.headers[hp.id] = hp
		hp.stream.headers[hp.hash] = hp // ascending IDs: the newest wins
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("load headers: %w", err)
	}

	var fragRes, hdrRes, maxNum, maxHdr int64
	if err := s.wdb.QueryRowContext(ctx, `SELECT
		(SELECT reserved FROM sequences WHERE name = 'fragment'),
		(SELECT reserved FROM sequences WHERE name = 'header'),
		(SELECT COALESCE(MAX(number), 0) FROM fragments),
		(SELECT COALESCE(MAX(id), 0) FROM headers)`).Scan(&fragRes, &hdrRes, &maxNum, &maxHdr); err != nil {
		return fmt.Errorf("load sequences: %w", err)
	}
	// Start after everything that may have been handed out: the reserved
	// window covers numbers that were visible but never committed.
	s.fragSeq.reserved = uint64(max(fragRes, maxNum))
	s.fragSeq.next = s.fragSeq.reserved + 1
	s.headerSeq.reserved = uint64(max(hdrRes, maxHdr))
	s.headerSeq.next = s.headerSeq.reserved + 1
	s.indexedThrough = s.fragSeq.reserved

	s.w.segs = make(map[uint64]*segmentInfo)
	s.w.maybeDead = make(map[uint64]bool)
	rows, err = s.wdb.QueryContext(ctx, `SELECT id, refs, end_offset FROM segments`)
	if err != nil {
		return fmt.Errorf("load segments: %w", err)
	}
	for rows.Next() {
		var id int64
		info := &segmentInfo{}
		if err := rows.Scan(&id, &info.refs, &info.end); err != nil {
			_ = rows.Close()
			return fmt.Errorf("load segments: %w", err)
		}
		s.w.segs[uint64(id)] = info
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("load segments: %w", err)
	}
	return nil
}

// recover makes the files and the index agree again. First the index gets
// the rows of acknowledged batches that it lacks, from their batch records
// (rebuildIndex); from then on it is the truth: media is fsynced before
// the rows that point at it commit, so bytes no row references were never
// acknowledged and can go, while a row whose bytes are missing or bad lost
// its data to something other than a crash (a damaged disk, a hand-edited
// file) and is dropped with an error in the log. Each step is idempotent,
// so a crash during recovery is repaired by the next Open.
func (s *Fragments) recover(ctx context.Context) error {
	entries, err := os.ReadDir(s.segDir)
	if err != nil {
		return fmt.Errorf("list segments: %w", err)
	}
	files := make(map[uint64]int64)
	var maxSeen uint64
	for _, e := range entries {
		n, ok := parseSegmentName(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			return fmt.Errorf("stat segment %d: %w", n, err)
		}
		files[n] = fi.Size()
		maxSeen = max(maxSeen, n)
	}
	for seg := range s.w.segs {
		maxSeen = max(maxSeen, seg)
	}
	if err := s.rebuildIndex(ctx, files); err != nil {
		return err
	}

	// Headers that point nowhere: detached by eviction for a fragment that
	// never committed, or orphaned from their stream.
	for _, h := range s.headers {
		if _, ok := files[h.seg]; !ok || h.stream.arn == "" {
			s.log.Warn("dropping header without a stored copy", "header", h.id, "segment", h.seg)
			if err := s.dropHeaderRow(ctx, h); err != nil {
				return err
			}
		}
	}

	// 1. Rows in segments whose file is gone.
	for _, seg := range sortedKeys(s.w.segs) {
		if _, ok := files[seg]; ok {
			continue
		}
		if s.w.segs[seg].refs > 0 {
			s.log.Error("segment file missing, dropping its index rows", "segment", seg)
		}
		if err := s.dropRows(ctx, seg, `1`); err != nil {
			return err
		}
	}
	// 2. The newest segment, the one that was being written: check every
	// record the index points at, both checksums and identity.
	var newest uint64
	for seg := range files {
		if info := s.w.segs[seg]; info != nil && info.refs > 0 {
			newest = max(newest, seg)
		}
	}
	if newest != 0 {
		if err := s.verifySegment(ctx, newest, files[newest]); err != nil {
			return err
		}
	}
	// 3. Rows that point past the end of their file.
	for _, seg := range sortedKeys(files) {
		info := s.w.segs[seg]
		if info == nil || info.end <= files[seg] {
			continue
		}
		s.log.Error("segment shorter than its index, dropping rows past its end", "segment", seg,
			"size", files[seg], "indexed_end", info.end)
		cond := fmt.Sprintf(`seg_offset + %d + size + COALESCE((SELECT length(CAST(arn AS BLOB)) FROM streams WHERE id = stream_id), 0) > %d`,
			recordHeaderSize, files[seg])
		if err := s.dropRows(ctx, seg, cond); err != nil {
			return err
		}
	}
	// 4. Files no row references: a segment created by a batch that never
	// committed, or one whose removal a crash interrupted.
	for _, seg := range sortedKeys(files) {
		info := s.w.segs[seg]
		if info != nil && info.refs > 0 {
			continue
		}
		if err := s.removeRecoveredSegment(ctx, seg); err != nil {
			return err
		}
		delete(files, seg)
	}
	// 5. Cut every file back to its last committed record: what follows is
	// a torn or unacknowledged tail (or records deleted since).
	var total int64
	for _, seg := range sortedKeys(files) {
		info := s.w.segs[seg]
		if files[seg] > info.end {
			s.log.Warn("cutting segment tail", "segment", seg, "from", files[seg], "to", info.end)
			if err := truncateFile(filepath.Join(s.segDir, segmentName(seg)), info.end); err != nil {
				return fmt.Errorf("cut segment %d: %w", seg, err)
			}
			files[seg] = info.end
		}
		info.size = files[seg]
		total += info.size
	}
	s.fileBytes.Store(total)

	// The newest remaining segment stays active; a new one comes after
	// every number ever seen, so no name is reused.
	s.w.nextSeg = maxSeen + 1
	if len(files) == 0 {
		s.w.seg = s.w.nextSeg
		s.w.nextSeg++
		return nil
	}
	s.w.seg = slices.Max(sortedKeys(files))
	s.w.size = files[s.w.seg]
	path := filepath.Join(s.segDir, segmentName(s.w.seg))
	if s.w.tail, err = readTail(path, s.w.size); err != nil {
		return fmt.Errorf("open segment %d: %w", s.w.seg, err)
	}
	f, err := s.openForWrite(path, 0)
	if err != nil {
		return fmt.Errorf("open segment %d: %w", s.w.seg, err)
	}
	s.w.file = f
	return nil
}

// rebuildIndex adds the rows that the index lacks for batches that were
// acknowledged before their index commit: their batch records follow the
// indexed end of the newest segment that has rows, or sit in newer
// segments. Older files past their end hold nothing acknowledged (records
// whose rows were deleted, or a file whose removal was cut short), so they
// are left to the steps below.
func (s *Fragments) rebuildIndex(ctx context.Context, files map[uint64]int64) error {
	var last uint64
	for seg := range s.w.segs {
		last = max(last, seg)
	}
	for _, seg := range sortedKeys(files) {
		if seg < last {
			continue
		}
		var start int64
		if info := s.w.segs[seg]; info != nil {
			start = info.end
		}
		if files[seg] <= start {
			continue
		}
		if err := s.rebuildSegment(ctx, seg, start, files[seg]); err != nil {
			return err
		}
	}
	return nil
}

// scannedRecord is an intact record met by rebuildSegment.
type scannedRecord struct {
	typ     byte
	id      uint64
	key     string
	length  int64
	dataCRC uint32
	hash    [sha256.Size]byte // of a header record's payload
}

// rebuildSegment reads the records of seg from start, an indexed end, up to
// the first one that is cut short or fails a check, and indexes what the
// intact batch records among them name. What follows the last intact batch
// record was never acknowledged; step 7 of recover cuts it off.
func (s *Fragments) rebuildSegment(ctx context.Context, seg uint64, start, size int64) error {
	f, err := os.Open(filepath.Join(s.segDir, segmentName(seg)))
	if err != nil {
		return fmt.Errorf("open segment %d: %w", seg, err)
	}
	defer f.Close()
	type batchAt struct {
		x   batchIndex
		end int64
	}
	var (
		batches []batchAt
		head    [recordHeaderSize]byte
		buf     []byte
	)
	seen := make(map[int64]scannedRecord)
	for off := start; off+recordHeaderSize <= size; {
		if _, err := f.ReadAt(head[:], off); err != nil {
			break
		}
		h, err := decodeRecordHead(head[:])
		if err != nil {
			break
		}
		end := off + int64(recordLen(h.keyLen, int(h.length)))
		if end > size {
			break
		}
		buf = grow(buf[:0], int(end-off-recordHeaderSize))
		if _, err := f.ReadAt(buf, off+recordHeaderSize); err != nil {
			break
		}
		key, payload := buf[:h.keyLen], buf[h.keyLen:]
		if h.checkKey(head[:], key) != nil || crc32.Checksum(payload, castagnoli) != h.dataCRC {
			break
		}
		rec := scannedRecord{typ: h.typ, id: h.id, key: string(key), length: int64(h.length), dataCRC: h.dataCRC}
		if h.typ == recordHeader {
			rec.hash = sha256.Sum256(payload)
		}
		if h.typ == recordBatch {
			x, err := decodeBatchIndex(payload)
			if err != nil || !batchNamesSeen(x, seen) {
				break
			}
			batches = append(batches, batchAt{x, end})
		} else {
			seen[off] = rec
		}
		off = end
	}
	if len(batches) == 0 {
		return nil
	}

	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("rebuild index of segment %d: %w", seg, err)
	}
	defer func() { _ = tx.Rollback() }()
	var maxNum, maxHdr uint64
	stream := func(arn string) (*memStream, error) {
		if ms := s.streams[arn]; ms != nil {
			return ms, nil
		}
		ms := &memStream{id: s.nextStreamID, arn: arn, persisted: true, headers: make(map[[sha256.Size]byte]*memHeader)}
		if _, err := tx.ExecContext(ctx, upsertStreamSQL, ms.id, ms.arn); err != nil {
			return nil, err
		}
		s.nextStreamID++
		s.streams[arn] = ms
		return ms, nil
	}
	var moved []placedHeader // header copies found here, applied once the rows are in
	n := 0
	for _, b := range batches {
		for _, e := range b.x.headers {
			r := seen[e.offset]
			ms, err := stream(r.key)
			if err != nil {
				return fmt.Errorf("rebuild index of segment %d: %w", seg, err)
			}
			if _, err := tx.ExecContext(ctx, upsertHeaderSQL, int64(r.id), ms.id, r.hash[:], int64(seg), e.offset, r.length); err != nil {
				return fmt.Errorf("rebuild index of segment %d: %w", seg, err)
			}
			h := s.headers[r.id]
			if h == nil {
				h = &memHeader{id: r.id, stream: ms, hash: r.hash, size: r.length}
			}
			moved = append(moved, placedHeader{h: h, seg: seg, off: e.offset})
			maxHdr = max(maxHdr, r.id)
		}
		for _, e := range b.x.frags {
			r := seen[e.offset]
			ms, err := stream(r.key)
			if err != nil {
				return fmt.Errorf("rebuild index of segment %d: %w", seg, err)
			}
			if _, err := tx.ExecContext(ctx, insertFragmentSQL+` ON CONFLICT (number) DO NOTHING`,
				e.number, ms.id, e.producerTS, e.serverTS, e.duration, r.length, int64(r.dataCRC), e.headerID,
				int64(seg), e.offset); err != nil {
				return fmt.Errorf("rebuild index of segment %d: %w", seg, err)
			}
			maxNum = max(maxNum, uint64(e.number))
			n++
		}
	}
	end := batches[len(batches)-1].end
	if err := upsertSegments(ctx, tx, map[uint64]int64{seg: 0}, map[uint64]int64{seg: end}); err != nil {
		return fmt.Errorf("rebuild index of segment %d: %w", seg, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("rebuild index of segment %d: %w", seg, err)
	}
	s.log.Warn("rebuilt index rows from batch records", "segment", seg, "fragments", n, "headers", len(moved), "end", end)

	info := s.w.segs[seg]
	if info == nil {
		info = &segmentInfo{}
		s.w.segs[seg] = info
	}
	info.end = max(info.end, end)
	prev := map[uint64]bool{}
	for _, ph := range moved {
		h := ph.h
		if h.seg != 0 && h.seg != seg {
			prev[h.seg] = true
		}
		h.seg, h.off = ph.seg, ph.off
		if s.headers[h.id] == nil {
			s.headers[h.id] = h
		}
		if cur := h.stream.headers[h.hash]; cur == nil || cur.id < h.id {
			h.stream.headers[h.hash] = h
		}
	}
	// A fragment number or header ID in a batch record may lie past the
	// reservation the index recorded.
	if maxNum > s.fragSeq.reserved {
		s.fragSeq.reserved, s.fragSeq.next, s.indexedThrough = maxNum, maxNum+1, maxNum
	}
	if maxHdr > s.headerSeq.reserved {
		s.headerSeq.reserved, s.headerSeq.next = maxHdr, maxHdr+1
	}
	for _, p := range append(sortedKeys(prev), seg) {
		if err := s.resyncSegment(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// batchNamesSeen reports whether every record x names is an intact record
// of the right type and identity met earlier in the same scan.
func batchNamesSeen(x batchIndex, seen map[int64]scannedRecord) bool {
	for _, e := range x.frags {
		if r, ok := seen[e.offset]; !ok || r.typ != recordMedia || r.id != uint64(e.number) {
			return false
		}
	}
	for _, e := range x.headers {
		if r, ok := seen[e.offset]; !ok || r.typ != recordHeader || r.id != uint64(e.id) {
			return false
		}
	}
	return true
}

// verifySegment reads every record of seg that a row points at and drops
// the rows whose record is cut short or fails a check.
func (s *Fragments) verifySegment(ctx context.Context, seg uint64, size int64) error {
	if s.w.segs[seg] == nil {
		return nil
	}
	arns := make(map[int64]string, len(s.streams))
	for _, ms := range s.streams {
		arns[ms.id] = ms.arn
	}
	f, err := os.Open(filepath.Join(s.segDir, segmentName(seg)))
	if err != nil {
		return fmt.Errorf("open segment %d: %w", seg, err)
	}
	defer f.Close()

	rows, err := s.wdb.QueryContext(ctx, `SELECT number, stream_id, seg_offset, size FROM fragments WHERE segment = ? ORDER BY seg_offset`, int64(seg))
	if err != nil {
		return fmt.Errorf("verify segment %d: %w", seg, err)
	}
	var (
		bad []int64
		buf []byte
	)
	for rows.Next() {
		var number, streamID, off, n int64
		if err := rows.Scan(&number, &streamID, &off, &n); err != nil {
			_ = rows.Close()
			return fmt.Errorf("verify segment %d: %w", seg, err)
		}
		arn, ok := arns[streamID]
		if ok && off+int64(recordLen(len(arn), int(n))) <= size {
			buf, err = readRecord(f, off, recordWant{typ: recordMedia, id: uint64(number), key: arn, length: n}, buf[:0])
		} else {
			err = errBadRecord
		}
		if err != nil {
			s.log.Error("dropping fragment with a bad record", "segment", seg, "offset", off, "fragment", number, "err", err)
			bad = append(bad, number)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("verify segment %d: %w", seg, err)
	}
	for _, number := range bad {
		if err := s.dropRows(ctx, seg, fmt.Sprintf(`number = %d`, number)); err != nil {
			return err
		}
	}
	for _, h := range s.headersIn(seg) {
		_, err := readRecord(f, h.off, recordWant{typ: recordHeader, id: h.id, key: h.stream.arn, length: h.size}, buf[:0])
		if err != nil {
			s.log.Error("dropping header with a bad record", "segment", seg, "offset", h.off, "header", h.id, "err", err)
			if err := s.dropHeaderRow(ctx, h); err != nil {
				return err
			}
		}
	}
	return s.resyncSegment(ctx, seg)
}

func (s *Fragments) headersIn(seg uint64) []*memHeader {
	var out []*memHeader
	for _, h := range s.headers {
		if h.seg == seg {
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b *memHeader) int { return int(a.off - b.off) })
	return out
}

// dropRows deletes the fragment rows of seg that match cond (an SQL
// expression over fragments' columns, built from numbers only), and, when
// cond is "1", the segment's headers too; then it recounts the segment.
func (s *Fragments) dropRows(ctx context.Context, seg uint64, cond string) error {
	if _, err := s.wdb.ExecContext(ctx, `DELETE FROM fragments WHERE segment = ? AND (`+cond+`)`, int64(seg)); err != nil {
		return fmt.Errorf("drop rows of segment %d: %w", seg, err)
	}
	for _, h := range s.headersIn(seg) {
		if cond == `1` || h.off+int64(recordLen(len(h.stream.arn), int(h.size))) > s.fileSizeHint(seg) {
			if err := s.dropHeaderRow(ctx, h); err != nil {
				return err
			}
		}
	}
	return s.resyncSegment(ctx, seg)
}

// fileSizeHint is the current size of seg's file, or 0 when it is gone.
func (s *Fragments) fileSizeHint(seg uint64) int64 {
	fi, err := os.Stat(filepath.Join(s.segDir, segmentName(seg)))
	if err != nil {
		return 0
	}
	return fi.Size()
}

// dropHeaderRow deletes h's row and forgets h.
func (s *Fragments) dropHeaderRow(ctx context.Context, h *memHeader) error {
	if _, err := s.wdb.ExecContext(ctx, `DELETE FROM headers WHERE id = ?`, int64(h.id)); err != nil {
		return fmt.Errorf("drop header %d: %w", h.id, err)
	}
	delete(s.headers, h.id)
	if h.stream.headers[h.hash] == h {
		delete(h.stream.headers, h.hash)
	}
	h.seg = 0
	return nil
}

// resyncSegment recomputes seg's refs and end from its remaining rows.
func (s *Fragments) resyncSegment(ctx context.Context, seg uint64) error {
	var refs, end int64
	if err := s.wdb.QueryRowContext(ctx, fmt.Sprintf(`SELECT COUNT(*), COALESCE(MAX(seg_offset + %d + size +
		COALESCE((SELECT length(CAST(arn AS BLOB)) FROM streams WHERE id = stream_id), 0)), 0)
		FROM fragments WHERE segment = ?`, recordHeaderSize), int64(seg)).Scan(&refs, &end); err != nil {
		return fmt.Errorf("count segment %d: %w", seg, err)
	}
	for _, h := range s.headersIn(seg) {
		refs++
		end = max(end, h.off+int64(recordLen(len(h.stream.arn), int(h.size))))
	}
	// Never move the end back over bytes the file still has: records
	// whose rows were deleted, and batch records, lie there, and a scan
	// from a lower end would index them again (rebuildIndex).
	if info := s.w.segs[seg]; info != nil {
		end = max(end, min(info.end, s.fileSizeHint(seg)))
	}
	if refs == 0 {
		if _, err := s.wdb.ExecContext(ctx, `DELETE FROM segments WHERE id = ?`, int64(seg)); err != nil {
			return fmt.Errorf("drop segment %d: %w", seg, err)
		}
		delete(s.w.segs, seg)
		return nil
	}
	if _, err := s.wdb.ExecContext(ctx, `UPDATE segments SET refs = ?, end_offset = ? WHERE id = ?`, refs, end, int64(seg)); err != nil {
		return fmt.Errorf("update segment %d: %w", seg, err)
	}
	if info := s.w.segs[seg]; info != nil {
		info.refs, info.end = refs, end
	}
	return nil
}

// removeRecoveredSegment removes a segment that no row references.
func (s *Fragments) removeRecoveredSegment(ctx context.Context, seg uint64) error {
	if _, err := s.wdb.ExecContext(ctx, `DELETE FROM segments WHERE id = ?`, int64(seg)); err != nil {
		return fmt.Errorf("drop segment %d: %w", seg, err)
	}
	delete(s.w.segs, seg)
	s.log.Warn("removing segment that no index row references", "segment", seg)
	if err := os.Remove(filepath.Join(s.segDir, segmentName(seg))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove segment %d: %w", seg, err)
	}
	return nil
}

// reserve extends both reserved windows past what Open starts from, before
// the first Append can hand a number out.
func (s *Fragments) reserve(ctx context.Context) error {
	fragRes := s.fragSeq.next - 1 + sequenceWindow
	hdrRes := s.headerSeq.next - 1 + sequenceWindow
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("reserve numbers: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `UPDATE sequences SET reserved = ? WHERE name = 'fragment'`, int64(fragRes)); err != nil {
		return fmt.Errorf("reserve numbers: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sequences SET reserved = ? WHERE name = 'header'`, int64(hdrRes)); err != nil {
		return fmt.Errorf("reserve numbers: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("reserve numbers: %w", err)
	}
	s.fragSeq.reserved, s.headerSeq.reserved = fragRes, hdrRes
	return nil
}

// truncateFile cuts path to size and fsyncs it.
func truncateFile(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	terr := f.Truncate(size)
	serr := f.Sync()
	cerr := f.Close()
	return errors.Join(terr, serr, cerr)
}

func sortedKeys[V any](m map[uint64]V) []uint64 {
	keys := make([]uint64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
