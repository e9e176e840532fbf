package local

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
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

// recover makes the files and the index agree again. The index is the
// truth: media is fsynced before the rows that point at it commit, so
// bytes no committed row references were never acknowledged and can go,
// while a row whose bytes are missing or bad lost its data to something
// other than a crash (a damaged disk, a hand-edited file) and is dropped
// with an error in the log. Each step is idempotent, so a crash during
// recovery is repaired by the next Open.
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
