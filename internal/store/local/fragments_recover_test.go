package local

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/store"
)

// tornFixture is a closed store whose newest segment ends with the record
// of fragments[len-1] and its batch record.
type tornFixture struct {
	dir       string
	frags     []store.Fragment
	segPath   string // relative to dir
	lastStart int64
	lastEnd   int64
	fileEnd   int64 // after the last record's batch record
}

func newTornFixture(t *testing.T) tornFixture {
	t.Helper()
	dir := t.TempDir()
	s, err := OpenFragments(context.Background(), dir, FragmentsOptions{SegmentSize: 2 << 10})
	require.NoError(t, err)
	var frags []store.Fragment
	for i := range 12 {
		// A second stream, so that a segment mixes streams.
		stream := testARN
		if i%2 == 1 {
			stream = testARN + "-b"
		}
		size := 300 + i
		if i == 11 {
			// The record every byte of which the tests cut or flip: short,
			// because each byte costs a reopen.
			stream, size = "arn:short", 16
		}
		frags = append(frags, appendDurable(t, s, newFragment(stream, i, size, []byte("hdr"))))
	}
	require.NoError(t, s.Close())
	last := frags[len(frags)-1]
	files := segmentFiles(t, dir)
	segPath := filepath.Join(segmentDir, files[len(files)-1])
	recs := segmentRecords(t, filepath.Join(dir, segPath))
	// The segment ends with the last fragment's record and its batch
	// record.
	require.Greater(t, len(recs), 2, "the newest segment holds more than the last record")
	media, batch := recs[len(recs)-2], recs[len(recs)-1]
	require.Equal(t, byte(recordMedia), media.typ)
	require.Equal(t, last.Number, media.id)
	require.Equal(t, byte(recordBatch), batch.typ)
	return tornFixture{dir: dir, frags: frags, segPath: segPath, lastStart: media.off, lastEnd: media.end, fileEnd: batch.end}
}

// segmentRecord is where a record lies in a segment file.
type segmentRecord struct {
	typ      byte
	id       uint64
	off, end int64
}

// segmentRecords walks the records of a segment file from its start.
func segmentRecords(t *testing.T, path string) []segmentRecord {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []segmentRecord
	for off := int64(0); off < int64(len(b)); {
		if !slices.ContainsFunc(b[off:], func(c byte) bool { return c != 0 }) {
			break // the zero padding of the active segment
		}
		h, err := decodeRecordHead(b[off:])
		require.NoError(t, err, "record at %d", off)
		end := off + int64(recordLen(h.keyLen, int(h.length)))
		out = append(out, segmentRecord{typ: h.typ, id: h.id, off: off, end: end})
		off = end
	}
	return out
}

// clone copies the fixture's files into a fresh directory.
func (fx tornFixture) clone(t *testing.T) string {
	t.Helper()
	return copyDir(t, fx.dir)
}

// copyDir copies the files under src into a fresh directory: with the
// store quiet, what a crash at that moment would leave.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	require.NoError(t, filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	}))
	return dst
}

// checkRecovered opens dir and checks that every fragment but the last is
// intact, whether the last one is, and that new appends work with higher
// numbers.
func (fx tornFixture) checkRecovered(t *testing.T, dir string, lastSurvives, appends bool) {
	t.Helper()
	s, err := OpenFragments(context.Background(), dir, FragmentsOptions{SegmentSize: 2 << 10})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	for _, f := range fx.frags[:len(fx.frags)-1] {
		requireIntact(t, s, f)
	}
	last := fx.frags[len(fx.frags)-1]
	if lastSurvives {
		requireIntact(t, s, last)
	} else {
		_, err := s.Get(context.Background(), last.Stream, last.Number)
		require.ErrorIs(t, err, store.ErrNotFound)
	}
	if !appends {
		return
	}
	for i := range 2 {
		f := appendDurable(t, s, newFragment(testARN, 100+i, 500, []byte("hdr")))
		require.Greater(t, f.Number, last.Number)
		requireIntact(t, s, f)
	}
}

// sampleAppends picks the offsets at which the test also appends after
// recovery (appends cost fsyncs; every offset is reopened and read back): the
// first and last byte of each field of the record and every 8th byte.
func (fx tornFixture) sampleAppends(pos int64) bool {
	rel := pos - fx.lastStart
	keyEnd := int64(recordHeaderSize + len(fx.frags[len(fx.frags)-1].Stream))
	for _, b := range []int64{0, 7, 8, 15, 16, 19, 20, 27, 28, 31, 32, keyEnd - 1, keyEnd} {
		if rel == b {
			return true
		}
	}
	return rel%8 == 0 || pos == fx.lastEnd-1
}

// TestFragmentsTornTail cuts the newest segment at every byte offset of its
// last record: the index says the record is there, the file says it is not.
func TestFragmentsTornTail(t *testing.T) {
	fx := newTornFixture(t)
	for cut := fx.lastStart; cut < fx.lastEnd; cut++ {
		dir := fx.clone(t)
		require.NoError(t, os.Truncate(filepath.Join(dir, fx.segPath), cut))
		fx.checkRecovered(t, dir, false, fx.sampleAppends(cut))
		if t.Failed() {
			t.Fatalf("cut at %d (record %d..%d)", cut, fx.lastStart, fx.lastEnd)
		}
	}
}

// TestFragmentsFlippedTail flips each byte of the last record of the newest
// segment: recovery checks that segment's records and drops the bad one.
func TestFragmentsFlippedTail(t *testing.T) {
	fx := newTornFixture(t)
	for pos := fx.lastStart; pos < fx.lastEnd; pos++ {
		dir := fx.clone(t)
		path := filepath.Join(dir, fx.segPath)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		b[pos] ^= 0x5a
		require.NoError(t, os.WriteFile(path, b, 0o644))
		fx.checkRecovered(t, dir, false, fx.sampleAppends(pos))
		if t.Failed() {
			t.Fatalf("flipped byte %d (record %d..%d)", pos, fx.lastStart, fx.lastEnd)
		}
	}
}

// TestFragmentsUnacknowledgedTail is what a crash during a commit leaves:
// bytes after the last indexed record, and a new segment no row references.
func TestFragmentsUnacknowledgedTail(t *testing.T) {
	fx := newTornFixture(t)
	for _, tc := range []struct {
		name string
		mess func(t *testing.T, dir string)
		gone string // a file recovery must remove
	}{
		{"garbage tail", func(t *testing.T, dir string) {
			f, err := os.OpenFile(filepath.Join(dir, fx.segPath), os.O_WRONLY|os.O_APPEND, 0)
			require.NoError(t, err)
			_, err = f.Write([]byte("OKVR\x01\x01 half a record"))
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}, ""},
		{"whole unindexed record", func(t *testing.T, dir string) {
			rec := make([]byte, recordLen(len(testARN), 10))
			encodeRecord(rec, recordMedia, 1<<40, testARN, make([]byte, 10), 0)
			f, err := os.OpenFile(filepath.Join(dir, fx.segPath), os.O_WRONLY|os.O_APPEND, 0)
			require.NoError(t, err)
			_, err = f.Write(rec)
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}, ""},
		{"new unreferenced segment", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, segmentDir, segmentName(999)), []byte("junk"), 0o644))
		}, segmentName(999)},
		{"empty new segment", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, segmentDir, segmentName(1000)), nil, 0o644))
		}, segmentName(1000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := fx.clone(t)
			tc.mess(t, dir)
			fx.checkRecovered(t, dir, true, false)
			fi, err := os.Stat(filepath.Join(dir, fx.segPath))
			require.NoError(t, err)
			require.Equal(t, fx.fileEnd, fi.Size(), "cut back to the end of the last indexed batch")
			if tc.gone != "" {
				require.NotContains(t, segmentFiles(t, dir), tc.gone)
			}
			fx.checkRecovered(t, dir, true, true)
		})
	}
}

// TestFragmentsMissingSegment: a segment file deleted behind the store's
// back loses its fragments (with an error in the log), nothing else.
func TestFragmentsMissingSegment(t *testing.T) {
	fx := newTornFixture(t)
	dir := fx.clone(t)
	files := segmentFiles(t, dir)
	require.NoError(t, os.Remove(filepath.Join(dir, segmentDir, files[0])))
	s := openTestFragments(t, dir, FragmentsOptions{SegmentSize: 2 << 10})
	lost := 0
	for _, f := range fx.frags {
		if _, err := s.Get(context.Background(), f.Stream, f.Number); err != nil {
			require.ErrorIs(t, err, store.ErrNotFound)
			lost++
			continue
		}
		requireIntact(t, s, f)
	}
	require.Positive(t, lost)
	require.Less(t, lost, len(fx.frags))
}

// unindexedStore is a store whose acknowledged fragments never get their
// index rows while the test runs (IndexDelay of an hour), as after a crash
// between the acknowledgement and the index commit.
func unindexedStore(t *testing.T, segmentSize int64) (*Fragments, string) {
	t.Helper()
	dir := t.TempDir()
	return openTestFragments(t, dir, FragmentsOptions{SegmentSize: segmentSize, IndexDelay: time.Hour}), dir
}

// indexedCount is how many fragment rows the index of dir holds.
func indexedCount(t *testing.T, s *Fragments) int {
	t.Helper()
	var n int
	require.NoError(t, s.rdb.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM fragments`).Scan(&n))
	return n
}

// TestFragmentsRebuildFromBatchRecords: fragments acknowledged before their
// index commit survive a crash, across segment rolls and new streams, with
// their headers, in order, and byte for byte; numbers go on after them.
func TestFragmentsRebuildFromBatchRecords(t *testing.T) {
	ctx := context.Background()
	s, dir := unindexedStore(t, 4<<10)
	var frags []store.Fragment
	for i := range 30 {
		stream := fmt.Sprintf("%s-%d", testARN, i%3)
		frags = append(frags, appendDurable(t, s, newFragment(stream, i, 700+i, []byte("hdr "+stream))))
	}
	require.Zero(t, indexedCount(t, s), "the index commit is still to come")
	// Durable and not indexed: read from the segments, their blocks
	// recycled already.
	listed, err := s.List(ctx, store.FragmentQuery{Stream: testARN + "-0"})
	require.NoError(t, err)
	require.Len(t, listed, 10)
	for _, f := range listed {
		require.True(t, f.Location.Known, "fragment %d", f.Number)
	}
	s.mu.Lock()
	require.Zero(t, s.pendingBytes, "blocks of durable batches are back in the pool")
	s.mu.Unlock()
	for _, f := range frags {
		requireIntact(t, s, f)
	}
	require.Greater(t, len(segmentFiles(t, dir)), 3, "the batches span segments")
	crashed := copyDir(t, dir)

	check := func(r *Fragments, frags []store.Fragment) {
		t.Helper()
		require.Equal(t, len(frags), indexedCount(t, r))
		perStream := make(map[string][]store.Fragment)
		for _, f := range frags {
			requireIntact(t, r, f)
			hdr, err := r.ReadHeader(ctx, f.Stream, f.HeaderID)
			require.NoError(t, err)
			require.Equal(t, "hdr "+f.Stream, string(hdr))
			perStream[f.Stream] = append(perStream[f.Stream], f)
		}
		for stream, want := range perStream {
			listed, err := r.List(ctx, store.FragmentQuery{Stream: stream})
			require.NoError(t, err)
			require.Len(t, listed, len(want))
			for j, f := range listed {
				require.Equal(t, want[j].Number, f.Number)
				require.Equal(t, want[j].ProducerTimestamp, f.ProducerTimestamp)
				require.Equal(t, want[j].ServerTimestamp, f.ServerTimestamp)
				require.Equal(t, want[j].Duration, f.Duration)
				require.Equal(t, want[j].Checksum, f.Checksum)
				require.Equal(t, want[j].HeaderID, f.HeaderID)
			}
		}
	}
	r, err := OpenFragments(ctx, crashed, FragmentsOptions{SegmentSize: 4 << 10})
	require.NoError(t, err)
	check(r, frags)
	next := appendDurable(t, r, newFragment(testARN+"-0", 100, 500, []byte("hdr "+testARN+"-0")))
	require.Greater(t, next.Number, frags[len(frags)-1].Number)
	require.Equal(t, frags[0].HeaderID, next.HeaderID, "the rebuilt header is deduplicated")
	require.NoError(t, r.Close())

	// A second open finds the rows in the index and rebuilds nothing twice.
	r, err = OpenFragments(ctx, crashed, FragmentsOptions{SegmentSize: 4 << 10})
	require.NoError(t, err)
	check(r, append(frags, next))
	require.NoError(t, r.Close())
}

// TestFragmentsRebuildStopsAtTornBatch: a batch whose batch record did not
// reach the disk whole was never acknowledged, and neither it nor anything
// after it is indexed; the batches before it are.
func TestFragmentsRebuildStopsAtTornBatch(t *testing.T) {
	s, dir := unindexedStore(t, 1<<20)
	var frags []store.Fragment
	for i := range 5 {
		frags = append(frags, appendDurable(t, s, newFragment(testARN, i, 400, []byte("hdr"))))
	}
	files := segmentFiles(t, dir)
	require.Len(t, files, 1)
	recs := segmentRecords(t, filepath.Join(dir, segmentDir, files[0]))
	var batches []segmentRecord
	for _, r := range recs {
		if r.typ == recordBatch {
			batches = append(batches, r)
		}
	}
	require.Len(t, batches, 5, "one batch record per acknowledged batch")
	third := batches[2]
	for _, cut := range []int64{third.off + 1, third.off + recordHeaderSize, third.end - 1} {
		crashed := copyDir(t, dir)
		path := filepath.Join(crashed, segmentDir, files[0])
		require.NoError(t, os.Truncate(path, cut))
		r := openTestFragments(t, crashed, FragmentsOptions{})
		for _, f := range frags[:2] {
			requireIntact(t, r, f)
		}
		for _, f := range frags[2:] {
			_, err := r.Get(context.Background(), f.Stream, f.Number)
			require.ErrorIs(t, err, store.ErrNotFound, "cut at %d", cut)
		}
		fi, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, batches[1].end, fi.Size(), "cut back to the last intact batch")
		require.NoError(t, r.Close())
	}
}

// TestFragmentsRebuildKeepsDeletesDeleted: rows deleted on purpose stay
// deleted through a crash, though their records and batch records are
// still in the segment.
func TestFragmentsRebuildKeepsDeletesDeleted(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTestFragments(t, dir, FragmentsOptions{SegmentSize: 1 << 20})
	var kept []store.Fragment
	var last store.Fragment
	for i := range 6 {
		stream := testARN
		if i%2 == 1 {
			stream = testARN + "-gone"
		}
		last = appendDurable(t, s, newFragment(stream, i, 400, []byte("hdr")))
		if i%2 == 0 {
			kept = append(kept, last)
		}
	}
	require.NoError(t, s.DeleteStream(ctx, testARN+"-gone"))
	for range 2 { // the second open starts from what the first rewrote
		r := openTestFragments(t, copyDir(t, dir), FragmentsOptions{SegmentSize: 1 << 20})
		for _, f := range kept {
			requireIntact(t, r, f)
		}
		listed, err := r.List(ctx, store.FragmentQuery{Stream: testARN + "-gone"})
		require.NoError(t, err)
		require.Empty(t, listed)
		// The end stays past the deleted records: an end moved back over
		// them would make a crash during this open resurrect them.
		var end int64
		require.NoError(t, r.rdb.QueryRowContext(ctx, `SELECT MAX(end_offset) FROM segments`).Scan(&end))
		files := segmentFiles(t, r.dir)
		fi, err := os.Stat(filepath.Join(r.dir, segmentDir, files[len(files)-1]))
		require.NoError(t, err)
		require.Equal(t, fi.Size(), end)
		recs := segmentRecords(t, filepath.Join(r.dir, segmentDir, files[len(files)-1]))
		require.Equal(t, last.Number, recs[len(recs)-2].id, "the deleted last record is still in the file")
		require.NoError(t, r.Close())
		dir = r.dir
	}
}

// TestFragmentsIndexSyncRestored: index commits of rows skip the WAL fsync,
// and the connection is back to synchronous=FULL after them, for the
// deletes and reservations that must be durable when they return.
func TestFragmentsIndexSyncRestored(t *testing.T) {
	s := openTestFragments(t, t.TempDir(), FragmentsOptions{IndexDelay: time.Millisecond})
	f := appendDurable(t, s, newFragment(testARN, 0, 400, []byte("hdr")))
	waitIndexed(t, s, f.Number)
	_, err := s.DeleteBefore(context.Background(), testARN, time.Now()) // runs on the committer, after the flush
	require.NoError(t, err)
	var mode int
	require.NoError(t, s.wdb.QueryRowContext(context.Background(), `PRAGMA synchronous`).Scan(&mode))
	require.Equal(t, 2, mode, "FULL")
}
