package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

type requestKind int

const (
	deleteBefore requestKind = iota
	deleteStream
)

// fragRequest is a DeleteBefore or DeleteStream waiting for the committer.
// It runs in steps of one short transaction each, taking turns with group
// commits, so that retention never stalls ingest for long.
type fragRequest struct {
	kind requestKind
	ms   *memStream
	// before is the encoded server timestamp bound of deleteBefore.
	before int64
	// bound is the newest fragment number when the call was made; later
	// appends are not the request's business.
	bound    uint64
	deleted  int
	headers  map[uint64]bool // header IDs of deleted rows: GC candidates
	rowsDone bool
	err      error
	done     chan struct{}
}

// step runs one step of r and reports whether r is finished.
func (s *Fragments) step(ctx context.Context, r *fragRequest) bool {
	if !r.rowsDone {
		n, err := s.deleteRows(ctx, r)
		r.deleted += n
		if err != nil {
			r.err = err
			return true
		}
		r.rowsDone = n < deleteChunk
		return false
	}
	var cands []*memHeader
	s.mu.Lock()
	if r.kind == deleteStream {
		for _, h := range r.ms.headers {
			cands = append(cands, h)
		}
	} else {
		for id := range r.headers {
			if h := s.headers[id]; h != nil {
				cands = append(cands, h)
			}
		}
	}
	s.mu.Unlock()
	if err := s.collectHeaders(ctx, cands); err != nil {
		r.err = err
	} else if r.kind == deleteStream {
		r.err = s.dropStream(ctx, r.ms)
	}
	s.removeDeadSegments(ctx)
	return true
}

// deleteRows deletes up to deleteChunk of r's rows.
func (s *Fragments) deleteRows(ctx context.Context, r *fragRequest) (int, error) {
	q := `DELETE FROM fragments WHERE number IN (SELECT number FROM fragments WHERE stream_id = ? AND number <= ?`
	args := []any{r.ms.id, int64(r.bound)}
	if r.kind == deleteBefore {
		q += ` AND server_ts < ?`
		args = append(args, r.before)
	}
	q += ` LIMIT ?) RETURNING segment, header_id`
	args = append(args, deleteChunk)
	if r.headers == nil {
		r.headers = make(map[uint64]bool)
	}
	return s.deleteTx(ctx, q, args, func(id uint64) { r.headers[id] = true })
}

// deleteTx runs q, a DELETE of fragment rows RETURNING segment, header_id,
// and lowers the refs of the segments concerned in the same transaction.
func (s *Fragments) deleteTx(ctx context.Context, q string, args []any, onHeader func(uint64)) (int, error) {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return 0, spaceErr("begin delete", err)
	}
	defer func() { _ = tx.Rollback() }()
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, spaceErr("delete fragments", err)
	}
	perSeg := make(map[uint64]int64)
	n := 0
	for rows.Next() {
		var seg, hid int64
		if err := rows.Scan(&seg, &hid); err != nil {
			_ = rows.Close()
			return 0, fmt.Errorf("delete fragments: %w", err)
		}
		perSeg[uint64(seg)]++
		n++
		if hid != 0 {
			onHeader(uint64(hid))
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, fmt.Errorf("delete fragments: %w", err)
	}
	for seg, c := range perSeg {
		if _, err := tx.ExecContext(ctx, `UPDATE segments SET refs = refs - ? WHERE id = ?`, c, int64(seg)); err != nil {
			return 0, fmt.Errorf("update segment %d: %w", seg, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, spaceErr("commit delete", err)
	}
	for seg, c := range perSeg {
		if info := s.w.segs[seg]; info != nil {
			info.refs -= c
		}
		s.w.maybeDead[seg] = true
	}
	return n, nil
}

// headerInUse reports whether a committed fragment references h, or a
// pending one might (its newest user is not indexed yet).
func (s *Fragments) headerInUse(ctx context.Context, h *memHeader) (bool, error) {
	var used bool
	if err := s.wdb.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM fragments WHERE header_id = ?)`, int64(h.id)).Scan(&used); err != nil {
		return false, fmt.Errorf("check header %d: %w", h.id, err)
	}
	if used {
		return true, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return h.lastUse > s.indexedThrough, nil
}

// collectHeaders deletes the candidates that no fragment uses any more.
func (s *Fragments) collectHeaders(ctx context.Context, cands []*memHeader) error {
	var dead []*memHeader
	for _, h := range cands {
		var used bool
		if err := s.wdb.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM fragments WHERE header_id = ?)`, int64(h.id)).Scan(&used); err != nil {
			return fmt.Errorf("check header %d: %w", h.id, err)
		}
		if used {
			continue
		}
		// Decide and unlink under mu: from here on Append cannot pick h up
		// again (an identical header gets a new ID), and any append that
		// did pick it up is pending, which lastUse shows.
		s.mu.Lock()
		if h.lastUse <= s.indexedThrough && s.headers[h.id] == h {
			delete(s.headers, h.id)
			if h.stream.headers[h.hash] == h {
				delete(h.stream.headers, h.hash)
			}
			dead = append(dead, h)
		}
		s.mu.Unlock()
	}
	if len(dead) == 0 {
		return nil
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return spaceErr("begin header delete", err)
	}
	defer func() { _ = tx.Rollback() }()
	perSeg := make(map[uint64]int64)
	for _, h := range dead {
		if _, err := tx.ExecContext(ctx, `DELETE FROM headers WHERE id = ?`, int64(h.id)); err != nil {
			return fmt.Errorf("delete header %d: %w", h.id, err)
		}
		if h.seg != 0 {
			perSeg[h.seg]++
		}
	}
	for seg, c := range perSeg {
		if _, err := tx.ExecContext(ctx, `UPDATE segments SET refs = refs - ? WHERE id = ?`, c, int64(seg)); err != nil {
			return fmt.Errorf("update segment %d: %w", seg, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return spaceErr("commit header delete", err)
	}
	for seg, c := range perSeg {
		if info := s.w.segs[seg]; info != nil {
			info.refs -= c
		}
		s.w.maybeDead[seg] = true
	}
	return nil
}

// dropStream forgets a stream that DeleteStream emptied, unless fragments
// appended after the call keep it alive.
func (s *Fragments) dropStream(ctx context.Context, ms *memStream) error {
	var used bool
	if err := s.wdb.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM fragments WHERE stream_id = ?)`, ms.id).Scan(&used); err != nil {
		return fmt.Errorf("check stream: %w", err)
	}
	if used {
		return nil
	}
	s.mu.Lock()
	ok := s.streams[ms.arn] == ms && len(ms.frags) == 0 && len(ms.headers) == 0
	if ok {
		// A later Append of the same ARN makes a new stream with a new ID.
		delete(s.streams, ms.arn)
	}
	s.mu.Unlock()
	if !ok || !ms.persisted {
		return nil
	}
	if _, err := s.wdb.ExecContext(ctx, `DELETE FROM streams WHERE id = ?`, ms.id); err != nil {
		return fmt.Errorf("delete stream row: %w", err)
	}
	return nil
}

// removeDeadSegments removes the files that no index row references, except
// the active one.
func (s *Fragments) removeDeadSegments(ctx context.Context) {
	for seg := range s.w.maybeDead {
		if in := s.w.inflight; in != nil && (seg == in.prev.seg || in.p.refs[seg] != 0) {
			// The batch in flight changed what this segment holds, and
			// a failed fsync would change it back: decide after it.
			continue
		}
		delete(s.w.maybeDead, seg)
		info := s.w.segs[seg]
		if info == nil || info.refs > 0 || seg == s.w.seg {
			continue
		}
		if info.refs < 0 {
			s.log.Warn("segment refs below zero", "segment", seg, "refs", info.refs)
		}
		s.removeSegment(ctx, seg)
	}
}

// removeSegment deletes seg's row, then its file. A crash in between leaves
// a file without a row, which Open removes.
func (s *Fragments) removeSegment(ctx context.Context, seg uint64) {
	if _, err := s.wdb.ExecContext(ctx, `DELETE FROM segments WHERE id = ?`, int64(seg)); err != nil {
		s.log.Error("delete segment row", "segment", seg, "err", err)
		s.w.maybeDead[seg] = true
		return
	}
	s.readers.forget(seg)
	if err := os.Remove(filepath.Join(s.segDir, segmentName(seg))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Error("remove segment", "segment", seg, "err", err)
	}
	if info := s.w.segs[seg]; info != nil {
		s.fileBytes.Add(-info.size)
	}
	delete(s.w.segs, seg)
}

// evictOldest deletes the oldest segment older than below, with every
// fragment in it whatever its stream, to stay under MaxBytes. It reports
// false when there is none (or it failed).
func (s *Fragments) evictOldest(ctx context.Context, below uint64) bool {
	// Eviction deletes index rows: the acknowledged fragments that have
	// none yet must get theirs first.
	s.flushIndex(ctx, false)
	if len(s.w.unindexed) > 0 {
		return false
	}
	var oldest uint64
	for seg := range s.w.segs {
		if seg < below && (oldest == 0 || seg < oldest) {
			oldest = seg
		}
	}
	if oldest == 0 {
		return false
	}
	if err := s.evictSegment(ctx, oldest); err != nil {
		s.log.Error("evict segment", "segment", oldest, "err", err)
		return false
	}
	return true
}

func (s *Fragments) evictSegment(ctx context.Context, seg uint64) error {
	cands := make(map[uint64]bool)
	deleted := 0
	for {
		n, err := s.deleteTx(ctx, `DELETE FROM fragments WHERE number IN
			(SELECT number FROM fragments WHERE segment = ? LIMIT ?) RETURNING segment, header_id`,
			[]any{int64(seg), deleteChunk}, func(id uint64) { cands[id] = true })
		deleted += n
		if err != nil {
			return err
		}
		if n < deleteChunk {
			break
		}
	}
	var here, others []*memHeader
	s.mu.Lock()
	for _, h := range s.headers {
		if h.seg == seg {
			here = append(here, h)
		} else if cands[h.id] {
			others = append(others, h)
		}
	}
	s.mu.Unlock()
	for _, h := range here {
		used, err := s.headerInUse(ctx, h)
		if err != nil {
			return err
		}
		if !used {
			others = append(others, h)
			continue
		}
		// Still used (by a fragment being committed right now): keep the
		// bytes in memory and drop the location; the next fragment that
		// uses the header writes a fresh copy.
		if _, err := s.headerBytes(h); err != nil {
			s.log.Error("keep header of evicted segment", "header", h.id, "err", err)
		}
		if err := s.detachHeader(ctx, h); err != nil {
			return err
		}
	}
	if err := s.collectHeaders(ctx, others); err != nil {
		return err
	}
	if info := s.w.segs[seg]; info != nil && info.refs != 0 {
		s.log.Warn("evicted segment still has references", "segment", seg, "refs", info.refs)
	}
	s.removeSegment(ctx, seg)
	s.log.Info("evicted oldest segment to stay under the size cap", "segment", seg, "fragments", deleted)
	return nil
}

// detachHeader makes h's index row point nowhere (segment 0).
func (s *Fragments) detachHeader(ctx context.Context, h *memHeader) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin header detach: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `UPDATE headers SET segment = 0, seg_offset = 0 WHERE id = ?`, int64(h.id)); err != nil {
		return fmt.Errorf("detach header %d: %w", h.id, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE segments SET refs = refs - 1 WHERE id = ?`, int64(h.seg)); err != nil {
		return fmt.Errorf("update segment %d: %w", h.seg, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit header detach: %w", err)
	}
	if info := s.w.segs[h.seg]; info != nil {
		info.refs--
	}
	s.mu.Lock()
	h.seg, h.off = 0, 0
	s.mu.Unlock()
	return nil
}
