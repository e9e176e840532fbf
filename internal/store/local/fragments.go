package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openkvs/openkvs/internal/prefault"
	"github.com/openkvs/openkvs/internal/store"
)

// Defaults that FragmentsOptions' zero values stand for.
const (
	// DefaultSegmentSize is the size at which a segment file is sealed.
	DefaultSegmentSize = 64 << 20
	// DefaultMaxPendingBytes bounds the bytes appended but not yet durable.
	DefaultMaxPendingBytes = 256 << 20
	// DefaultOpenSegments bounds the segment read handles kept open.
	DefaultOpenSegments = 64
	// DefaultIndexDelay is how long durable fragments wait for their index
	// rows: long enough that one SQLite transaction covers the rows of
	// several group commits. Longer was measured slower at 500 streams: the
	// larger transaction holds up the next group commit for longer.
	DefaultIndexDelay = 50 * time.Millisecond
)

// ErrClosed is returned by the methods of a Fragments after Close.
var ErrClosed = errors.New("fragment store closed")

// sequenceWindow is how many fragment numbers (and header IDs) the index
// reserves ahead of use. Numbers are visible before they are durable, so a
// number handed out must never be handed out again after a crash; Open
// skips to the end of the reserved window. The committer extends the window
// in its normal transactions, so Append only waits for it when more than
// half a window is appended during one commit. A variable only so that a
// test can exhaust it.
var sequenceWindow uint64 = 1 << 16

const (
	// blockSize is the unit in which a batch buffers records. Records never
	// span blocks; fixed blocks avoid re-copying a growing buffer under
	// the lock and are recycled between batches. A record larger than a
	// block gets a buffer of whole blocks, recycled like the others.
	blockSize = 4 << 20
	// deleteChunk is how many rows one retention transaction deletes, so
	// that a large delete never holds the single writer connection (and so
	// the group commit) for long.
	deleteChunk = 1000
)

// FragmentsOptions tune the embedded media store. The zero value is a
// working configuration.
type FragmentsOptions struct {
	// SegmentSize is the size at which the active segment file is sealed
	// and the next one started. Zero means DefaultSegmentSize. A record
	// larger than SegmentSize gets a segment to itself.
	SegmentSize int64
	// MaxBytes caps the bytes of segment files (the index is not counted).
	// Zero means no cap. When a commit would go over it, the store deletes
	// the oldest sealed segments, whatever streams their fragments belong
	// to; a fragment that still does not fit gets store.ErrNoSpace on its
	// channel, and one larger than MaxBytes gets it from Append. With a
	// cap, segments are at most MaxBytes/4, so delete-oldest frees space in
	// steps of at most a quarter of the cap.
	MaxBytes int64
	// MaxBatchDelay is how long the committer waits after the first append
	// of a batch before it commits, to share each fsync among more
	// fragments. Zero means commit as soon as the previous commit ends,
	// which already batches whatever arrived during that commit.
	MaxBatchDelay time.Duration
	// MaxPendingBytes bounds the bytes appended but not yet durable. Append
	// waits (until its ctx is done) while the bound is reached, so a slow
	// disk slows producers down instead of growing memory. Zero means
	// DefaultMaxPendingBytes. One record is always admitted when nothing is
	// pending, whatever its size.
	MaxPendingBytes int64
	// OpenSegments bounds the segment files kept open for reading. Zero
	// means DefaultOpenSegments.
	OpenSegments int
	// IndexDelay is how long the committer may hold durable fragments
	// before it commits their index rows, so that one index transaction
	// serves several group commits. Their acknowledgement does not wait for
	// it: each batch's records end with a batch record from which Open
	// rebuilds missing rows. Zero means DefaultIndexDelay; negative means
	// index every batch at once.
	IndexDelay time.Duration
	// Logger receives recovery findings and commit failures. Nil discards.
	Logger *slog.Logger
}

func (o FragmentsOptions) withDefaults() FragmentsOptions {
	if o.SegmentSize <= 0 {
		o.SegmentSize = DefaultSegmentSize
	}
	if o.MaxBytes < 0 {
		o.MaxBytes = 0
	}
	if o.MaxBytes > 0 {
		o.SegmentSize = max(1, min(o.SegmentSize, o.MaxBytes/4))
	}
	if o.MaxPendingBytes <= 0 {
		o.MaxPendingBytes = DefaultMaxPendingBytes
	}
	if o.MaxBytes > 0 {
		// A commit can only evict segments older than itself, so a batch
		// must fit beside them: cap it at a quarter of MaxBytes and let a
		// burst of appends wait (backpressure) instead of failing.
		o.MaxPendingBytes = max(1, min(o.MaxPendingBytes, o.MaxBytes/4))
	}
	if o.OpenSegments <= 0 {
		o.OpenSegments = DefaultOpenSegments
	}
	if o.IndexDelay == 0 {
		o.IndexDelay = DefaultIndexDelay
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Fragments is the embedded store.Fragments: media in append-only segment
// files under dir/segments, the index in SQLite (dir/fragments.db).
//
// Append copies a fragment into the pending batch and returns at once. One
// committer goroutine repeatedly takes the whole pending batch, writes it to
// the segment files followed by a batch record that holds the batch's index
// rows, fsyncs them, and signals every fragment of the batch: one fsync
// covers every fragment and stream that arrived during the previous commit
// (group commit). The rows go into the SQLite index later, those of several
// batches in one transaction (IndexDelay). After a crash, Open rebuilds the
// rows the index lacks from the batch records past each segment's indexed
// end, and cuts off what follows the last intact batch record: records that
// were never acknowledged.
//
// Fragments appended but not yet indexed are listed from memory, so they
// are visible, and their media readable, as soon as Append returns: from the
// batch's blocks until the batch is durable, from the segment after.
type Fragments struct {
	dir     string
	segDir  string
	opts    FragmentsOptions
	log     *slog.Logger
	wdb     *sql.DB // one connection, used only by the committer (and Open)
	rdb     *sql.DB // readers, so that a Get never waits behind a commit's fsync
	reads   *stmtCache
	readers *segmentCache

	// syncFile makes a segment file durable: (*os.File).Sync, which tests
	// replace to make an fsync fail.
	syncFile func(*os.File) error

	kick chan struct{} // cap 1: "there is work"
	quit chan struct{} // closed by Close
	done chan struct{} // closed when the committer returns

	// fileBytes is the size of all segment files.
	fileBytes atomic.Int64

	mu           sync.Mutex
	closed       bool
	pending      *fragBatch
	pendingBytes int64         // appended and not yet durable (or failed)
	progress     chan struct{} // closed and replaced after every commit
	needReserve  bool          // an Append waits for a sequence window
	// reserveErr is why the last attempt to extend a sequence window
	// failed; an Append waiting for the window gets it rather than
	// retrying in a loop against, say, a full disk.
	reserveErr   error
	frags        map[uint64]*memFragment
	streams      map[string]*memStream
	headers      map[uint64]*memHeader
	nextStreamID int64
	fragSeq      sequence
	headerSeq    sequence
	// indexedThrough is the highest fragment number whose batch has been
	// committed or failed: every number up to it is either in the index or
	// gone for good.
	indexedThrough uint64
	requests       []*fragRequest
	// freeBlocks are recycled batch buffers, each a whole number of blocks;
	// freeBytes is their total capacity.
	freeBlocks [][]byte
	freeBytes  int64

	// w is owned by the committer goroutine (and by Open before it starts).
	w writerState
}

var _ store.Fragments = (*Fragments)(nil)

// sequence hands out fragment numbers or header IDs: next is the next one,
// reserved the highest one the index has durably reserved.
type sequence struct{ next, reserved uint64 }

func (q *sequence) available() bool { return q.next <= q.reserved }

// low reports whether less than half a window is left, so the committer
// should extend the reservation in its next transaction.
func (q *sequence) low() bool { return q.reserved < q.next+sequenceWindow/2 }

func (q *sequence) take() uint64 {
	n := q.next
	q.next++
	return n
}

// memStream is a stream the store knows: one with rows in the index or
// appended fragments.
type memStream struct {
	id  int64  // streams.id; immutable
	arn string // immutable
	// persisted is whether the streams row exists; committer-owned.
	persisted bool
	// frags are the stream's fragments not yet indexed, in number order.
	frags []*memFragment
	// last is the highest number appended to the stream since open. Numbers
	// reserved after open exceed every earlier one, so it need not survive
	// a restart.
	last    uint64
	headers map[[sha256.Size]byte]*memHeader
	// maxProducerTS is at least the newest producer timestamp of the
	// stream's fragments: the newest appended since open, joined with the
	// index's newest once producerLoaded. Deletes never lower it, so it is
	// an upper bound, which is all List needs to skip the index for a
	// producer-timestamp query past the stream's end: the question ingest
	// asks of every fragment (is this one a re-send?), whose answer is
	// almost always no.
	maxProducerTS  time.Time
	producerLoaded bool
}

// memHeader is a producer header. Every live header is in memory (there are
// few: one per producer session); its bytes are loaded on first use.
type memHeader struct {
	id     uint64     // immutable
	stream *memStream // immutable
	hash   [sha256.Size]byte
	size   int64
	// bytes, once set, never change; nil until loaded.
	bytes []byte
	// seg and off locate the committed copy; seg 0 means none (not yet
	// written, or its segment was evicted while a pending fragment uses
	// it). Written by the committer under mu.
	seg uint64
	off int64
	// lastUse is the number of the newest fragment appended with it, so
	// that garbage collection never drops a header a pending fragment uses.
	lastUse uint64
}

// memFragment is a fragment appended and not yet indexed.
type memFragment struct {
	frag   store.Fragment // its Location is set under mu once durable
	stream *memStream
	header *memHeader
	batch  *fragBatch
	blk    int // record at batch.blocks[blk][off : off+recLen]
	off    int
	recLen int
	ch     chan error
	// encoded is closed once the record's bytes are in place.
	encoded chan struct{}
}

func (mf *memFragment) record() []byte {
	return mf.batch.blocks[mf.blk][mf.off : mf.off+mf.recLen]
}

func (mf *memFragment) payload() []byte {
	return mf.record()[recordHeaderSize+len(mf.frag.Stream):]
}

// fragBatch is one group commit's worth of records, encoded and ready to be
// written; Append adds to it until the committer takes it.
type fragBatch struct {
	blocks [][]byte
	frags  []*memFragment
	bytes  int64
	first  time.Time
	// encoding counts Appends still copying into blocks.
	encoding sync.WaitGroup
}

// OpenFragments opens (creating if needed) the media store in dir: it
// applies the index migrations, repairs what a crash left behind (see
// docs/on-disk-format.md) and starts the committer. Close it to stop the
// committer and flush.
func OpenFragments(ctx context.Context, dir string, opts FragmentsOptions) (*Fragments, error) {
	opts = opts.withDefaults()
	segDir := filepath.Join(dir, segmentDir)
	if _, err := os.Stat(segDir); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(segDir, 0o755); err != nil {
			return nil, fmt.Errorf("create segment dir: %w", err)
		}
		if err := syncDir(dir); err != nil {
			return nil, fmt.Errorf("sync data dir: %w", err)
		}
	}
	dbPath := filepath.Join(dir, "fragments.db")
	wdb, err := sql.Open("sqlite", "file:"+dbPath+
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(5000)"+
		"&_pragma=journal_size_limit(67108864)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open fragment index: %w", err)
	}
	// One connection serialises the writers: the committer, retention and
	// eviction all run on the committer goroutine anyway.
	wdb.SetMaxOpenConns(1)
	if err := migrateWith(ctx, wdb, fragmentMigrations); err != nil {
		_ = wdb.Close()
		return nil, fmt.Errorf("migrate fragment index: %w", err)
	}
	// The file is in WAL mode now (a persistent setting), so readers see
	// the last commit without blocking the writer or each other.
	rdb, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(5000)&_pragma=query_only(1)")
	if err != nil {
		_ = wdb.Close()
		return nil, fmt.Errorf("open fragment index: %w", err)
	}
	rdb.SetMaxOpenConns(4)
	s := &Fragments{
		dir:      dir,
		segDir:   segDir,
		opts:     opts,
		log:      opts.Logger,
		wdb:      wdb,
		rdb:      rdb,
		reads:    newStmtCache(rdb),
		readers:  newSegmentCache(segDir, opts.OpenSegments),
		syncFile: (*os.File).Sync,
		kick:     make(chan struct{}, 1),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
		pending:  &fragBatch{},
		progress: make(chan struct{}),
		frags:    make(map[uint64]*memFragment),
		streams:  make(map[string]*memStream),
		headers:  make(map[uint64]*memHeader),
	}
	if err := s.open(ctx); err != nil {
		s.readers.close()
		if s.w.file != nil {
			_ = s.w.file.Close()
		}
		_ = rdb.Close()
		_ = wdb.Close()
		return nil, err
	}
	go s.run()
	return s, nil
}

// Append implements store.Fragments. It waits only while more than
// MaxPendingBytes are not yet durable (or, rarely, for the committer to
// reserve more numbers), and gives up when ctx is done.
func (s *Fragments) Append(ctx context.Context, nf store.NewFragment) (store.Fragment, <-chan error, error) {
	switch {
	case nf.Stream == "":
		return store.Fragment{}, nil, errors.New("append fragment: empty stream")
	case len(nf.Stream) > maxStreamKey:
		return store.Fragment{}, nil, fmt.Errorf("append fragment: stream key of %d bytes", len(nf.Stream))
	case int64(len(nf.Media)) > maxRecordPayload || int64(len(nf.Header)) > maxRecordPayload:
		return store.Fragment{}, nil, fmt.Errorf("append fragment: %w: record over 4 GiB", store.ErrNoSpace)
	}
	recLen := recordLen(len(nf.Stream), len(nf.Media))
	need := int64(recLen)
	if len(nf.Header) > 0 {
		need += int64(recordLen(len(nf.Stream), len(nf.Header)))
	}
	if m := s.opts.MaxBytes; m > 0 && need > m {
		return store.Fragment{}, nil, fmt.Errorf("append fragment of %d bytes: %w: cap is %d bytes", len(nf.Media), store.ErrNoSpace, m)
	}
	// Hash outside the lock: it is the only per-byte work besides the copy.
	checksum := crc32.Checksum(nf.Media, castagnoli)
	var hash [sha256.Size]byte
	if len(nf.Header) > 0 {
		hash = sha256.Sum256(nf.Header)
	}

	s.mu.Lock()
	if err := s.waitRoomLocked(ctx, int64(recLen)); err != nil {
		s.mu.Unlock()
		return store.Fragment{}, nil, fmt.Errorf("append fragment: %w", err)
	}
	ms := s.streams[nf.Stream]
	if ms == nil {
		ms = &memStream{id: s.nextStreamID, arn: nf.Stream, headers: make(map[[sha256.Size]byte]*memHeader)}
		s.nextStreamID++
		s.streams[nf.Stream] = ms
	}
	var h *memHeader
	if len(nf.Header) > 0 {
		h = ms.headers[hash]
		if h == nil {
			h = &memHeader{id: s.headerSeq.take(), stream: ms, hash: hash, size: int64(len(nf.Header)), bytes: bytes.Clone(nf.Header)}
			ms.headers[hash] = h
			s.headers[h.id] = h
		}
	}
	number := nf.Number
	switch {
	case number == 0:
		number = s.fragSeq.take()
	case number >= s.fragSeq.next:
		s.mu.Unlock()
		return store.Fragment{}, nil, fmt.Errorf("append fragment: number %d was never reserved", number)
	case number <= ms.last:
		s.mu.Unlock()
		return store.Fragment{}, nil, fmt.Errorf("append fragment: number %d is not after the stream's last fragment %d", number, ms.last)
	}
	ms.last = number
	f := store.Fragment{
		Stream:            nf.Stream,
		Number:            number,
		ProducerTimestamp: normalizeTime(nf.ProducerTimestamp),
		ServerTimestamp:   normalizeTime(nf.ServerTimestamp),
		Duration:          nf.Duration,
		Size:              int64(len(nf.Media)),
		Checksum:          checksum,
	}
	if f.ProducerTimestamp.After(ms.maxProducerTS) {
		ms.maxProducerTS = f.ProducerTimestamp
	}
	if h != nil {
		h.lastUse = f.Number
		f.HeaderID = h.id
	}
	b := s.pending
	if len(b.frags) == 0 {
		b.first = time.Now()
	}
	blk, off, fresh := s.allocLocked(b, recLen)
	mf := &memFragment{frag: f, stream: ms, header: h, batch: b, blk: blk, off: off, recLen: recLen, ch: make(chan error, 1),
		encoded: make(chan struct{})}
	rec := mf.record()
	b.frags = append(b.frags, mf)
	b.bytes += int64(recLen)
	s.pendingBytes += int64(recLen)
	s.frags[f.Number] = mf
	ms.frags = append(ms.frags, mf)
	b.encoding.Add(1)
	s.mu.Unlock()
	prefault.Populate(fresh)
	// Copy the media into its reserved place outside the lock: for large
	// fragments the copy is the longest part of Append, and holding mu for
	// it stalled every other stream's Append and the committer's finish.
	// The committer waits for b.encoding before it writes the batch, and
	// ReadMedia for mf.encoded.
	encodeRecord(rec, recordMedia, f.Number, nf.Stream, nf.Media, checksum)
	close(mf.encoded)
	b.encoding.Done()
	s.kickWriter()
	return f, mf.ch, nil
}

// ReserveNumber implements store.Fragments. Numbers come from the same
// durably reserved window as the ones Append assigns itself.
func (s *Fragments) ReserveNumber(ctx context.Context) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.waitRoomLocked(ctx, 0); err != nil {
		return 0, fmt.Errorf("reserve fragment number: %w", err)
	}
	return s.fragSeq.take(), nil
}

// waitRoomLocked waits, with mu held on entry and exit, until a record of n
// bytes may join the pending batch.
func (s *Fragments) waitRoomLocked(ctx context.Context, n int64) error {
	for {
		if s.closed {
			return ErrClosed
		}
		seqOK := s.fragSeq.available() && s.headerSeq.available()
		if seqOK && (s.pendingBytes == 0 || s.pendingBytes+n <= s.opts.MaxPendingBytes) {
			return nil
		}
		if !seqOK {
			if err := s.reserveErr; err != nil {
				s.reserveErr = nil // the next Append tries again
				return err
			}
			s.needReserve = true
			s.kickWriter()
		}
		wait := s.progress
		s.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			s.mu.Lock()
			return ctx.Err()
		}
		s.mu.Lock()
	}
}

// allocLocked reserves n bytes for a record in b and returns where. When
// that is a new buffer it returns it as fresh too: mapping its pages in one
// call (prefault.Populate) costs far less than a page fault per 4 KiB on
// first touch, but up to a millisecond, so the caller does it after
// releasing mu. Appends that share the buffer meanwhile may touch its
// pages first; Populate keeps what they wrote.
func (s *Fragments) allocLocked(b *fragBatch, n int) (blk, off int, fresh []byte) {
	if k := len(b.blocks); k > 0 {
		last := b.blocks[k-1]
		if cap(last)-len(last) >= n {
			b.blocks[k-1] = last[:len(last)+n]
			return k - 1, len(last), nil
		}
	}
	var nb []byte
	if i := s.freeBlockFor(n); i >= 0 {
		nb = s.freeBlocks[i][:n]
		s.freeBytes -= int64(cap(nb))
		last := len(s.freeBlocks) - 1
		s.freeBlocks[i] = s.freeBlocks[last]
		s.freeBlocks = s.freeBlocks[:last]
	} else {
		// Fresh memory costs a page fault per 4 KiB on first touch, which
		// at large fragments took longer than the copy itself: hence the
		// pools (this one, and prefault's huge pages behind it), and whole
		// blocks so that any buffer can serve again.
		nb = prefault.Get(n, (n+blockSize-1)/blockSize*blockSize)
		fresh = nb
	}
	b.blocks = append(b.blocks, nb)
	return len(b.blocks) - 1, 0, fresh
}

// freeBlockFor returns the index of the smallest free buffer that holds n
// bytes, or -1. The list is short (MaxPendingBytes of blocks at most).
func (s *Fragments) freeBlockFor(n int) int {
	best := -1
	for i, blk := range s.freeBlocks {
		if cap(blk) >= n && (best < 0 || cap(blk) < cap(s.freeBlocks[best])) {
			best = i
		}
	}
	return best
}

func (s *Fragments) kickWriter() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Get implements store.Fragments.
func (s *Fragments) Get(ctx context.Context, stream string, number uint64) (store.Fragment, error) {
	s.mu.Lock()
	if mf, ok := s.frags[number]; ok {
		f := mf.frag // under mu: the committer sets its location
		s.mu.Unlock()
		if f.Stream != stream {
			return store.Fragment{}, store.ErrNotFound
		}
		return f, nil
	}
	ms := s.streams[stream]
	s.mu.Unlock()
	// Not in memory: committed (memory is dropped only after the index
	// commit), or gone.
	if ms == nil || number > math.MaxInt64 {
		return store.Fragment{}, store.ErrNotFound
	}
	f, err := scanFragment(s.rdb.QueryRowContext(ctx,
		`SELECT `+fragmentColumns+` FROM fragments WHERE number = ? AND stream_id = ?`, int64(number), ms.id), stream)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Fragment{}, store.ErrNotFound
	}
	if err != nil {
		return store.Fragment{}, fmt.Errorf("get fragment %d: %w", number, err)
	}
	return f, nil
}

// List implements store.Fragments.
func (s *Fragments) List(ctx context.Context, q store.FragmentQuery) ([]store.Fragment, error) {
	// Snapshot memory first, then query the index. A fragment committed in
	// between is in both (deduplicated below); one still pending then has
	// a higher number than every committed one, because batches commit in
	// number order.
	s.mu.Lock()
	ms := s.streams[q.Stream]
	var mem []store.Fragment
	if ms != nil {
		for _, mf := range ms.frags {
			if matches(q, mf.frag) {
				mem = append(mem, mf.frag)
			}
		}
	}
	s.mu.Unlock()
	if ms == nil || q.AfterNumber >= math.MaxInt64 {
		return []store.Fragment{}, nil
	}
	if q.By == store.ByProducerTimestamp && !q.Start.IsZero() {
		bound, err := s.producerBound(ctx, ms)
		if err != nil {
			return nil, fmt.Errorf("list fragments: %w", err)
		}
		if q.Start.After(bound) {
			return []store.Fragment{}, nil // mem is empty too: bound covers it
		}
	}

	col := "server_ts"
	if q.By == store.ByProducerTimestamp {
		col = "producer_ts"
	}
	query := `SELECT ` + fragmentColumns + ` FROM fragments WHERE stream_id = ? AND number > ?`
	args := []any{ms.id, int64(q.AfterNumber)}
	if !q.Start.IsZero() {
		query += ` AND ` + col + ` >= ?`
		args = append(args, encodeTime(q.Start))
	}
	if !q.End.IsZero() {
		query += ` AND ` + col + ` <= ?`
		args = append(args, encodeTime(q.End))
	}
	limit := -1 // SQLite: no limit
	if q.Limit > 0 {
		limit = q.Limit
	}
	query += ` ORDER BY number LIMIT ?`
	args = append(args, limit)

	st, err := s.reads.prepared(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("list fragments: %w", err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("list fragments: %w", err)
	}
	defer rows.Close()
	out := []store.Fragment{}
	for rows.Next() {
		f, err := scanFragment(rows, q.Stream)
		if err != nil {
			return nil, fmt.Errorf("list fragments: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list fragments: %w", err)
	}
	var last uint64
	if len(out) > 0 {
		last = out[len(out)-1].Number
	}
	for _, f := range mem {
		if q.Limit > 0 && len(out) >= q.Limit {
			break
		}
		if f.Number > last {
			out = append(out, f)
		}
	}
	return out, nil
}

// producerBound is ms.maxProducerTS, loading the index's part on first use.
func (s *Fragments) producerBound(ctx context.Context, ms *memStream) (time.Time, error) {
	s.mu.Lock()
	bound, loaded := ms.maxProducerTS, ms.producerLoaded
	s.mu.Unlock()
	if loaded {
		return bound, nil
	}
	var newest sql.NullInt64
	if err := s.rdb.QueryRowContext(ctx, `SELECT MAX(producer_ts) FROM fragments WHERE stream_id = ?`, ms.id).Scan(&newest); err != nil {
		return time.Time{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if newest.Valid {
		if t := decodeTime(newest.Int64); t.After(ms.maxProducerTS) {
			ms.maxProducerTS = t
		}
	}
	ms.producerLoaded = true
	return ms.maxProducerTS, nil
}

func matches(q store.FragmentQuery, f store.Fragment) bool {
	if f.Number <= q.AfterNumber {
		return false
	}
	ts := f.ServerTimestamp
	if q.By == store.ByProducerTimestamp {
		ts = f.ProducerTimestamp
	}
	return (q.Start.IsZero() || !ts.Before(q.Start)) && (q.End.IsZero() || !ts.After(q.End))
}

// ReadMedia implements store.Fragments. Committed media is read with one
// pread through a cached handle and verified against both record checksums.
func (s *Fragments) ReadMedia(ctx context.Context, f store.Fragment, dst []byte) ([]byte, error) {
	s.mu.Lock()
	for {
		mf, ok := s.frags[f.Number]
		if !ok {
			break
		}
		if mf.frag.Stream != f.Stream {
			s.mu.Unlock()
			return dst, store.ErrNotFound
		}
		if mf.frag.Location.Known {
			// Durable: its blocks may be recycled already, so read it
			// where it was written.
			f = mf.frag
			break
		}
		select {
		case <-mf.encoded:
			// Copy under the lock: the committer recycles the batch's
			// blocks once the fragment is durable.
			dst = append(dst, mf.payload()...)
			s.mu.Unlock()
			return dst, nil
		default:
		}
		// Its Append is still copying: wait, then look again (it may
		// have been committed meanwhile).
		s.mu.Unlock()
		select {
		case <-mf.encoded:
		case <-ctx.Done():
			return dst, ctx.Err()
		}
		s.mu.Lock()
	}
	ms := s.streams[f.Stream]
	s.mu.Unlock()
	if ms == nil || f.Number > math.MaxInt64 {
		return dst, store.ErrNotFound
	}
	// A listed fragment says where it is; the record's own header is
	// checked against the fragment below either way, so a location that
	// went stale (its segment deleted by retention) reads as not found.
	seg, off, size := f.Location.Segment, f.Location.Offset, f.Size
	if !f.Location.Known {
		err := s.rdb.QueryRowContext(ctx, `SELECT segment, seg_offset, size FROM fragments WHERE number = ? AND stream_id = ?`,
			int64(f.Number), ms.id).Scan(&seg, &off, &size)
		if errors.Is(err, sql.ErrNoRows) {
			return dst, store.ErrNotFound
		}
		if err != nil {
			return dst, fmt.Errorf("read fragment %d: %w", f.Number, err)
		}
	}
	h, err := s.readers.acquire(uint64(seg))
	if err != nil {
		return dst, fmt.Errorf("read fragment %d: %w", f.Number, err)
	}
	defer s.readers.release(h)
	h.adviseAhead(off, size)
	dst, err = readRecord(h.f, off, recordWant{typ: recordMedia, id: f.Number, key: f.Stream, length: size}, dst)
	if err != nil {
		return dst, fmt.Errorf("read fragment %d in segment %d at %d: %w", f.Number, seg, off, err)
	}
	return dst, nil
}

// ReadHeader implements store.Fragments. The ID belongs to one stream; asked
// for under another stream it is store.ErrNotFound.
func (s *Fragments) ReadHeader(_ context.Context, stream string, headerID uint64) ([]byte, error) {
	s.mu.Lock()
	h := s.headers[headerID]
	s.mu.Unlock()
	if h == nil || h.stream.arn != stream {
		return nil, store.ErrNotFound
	}
	b, err := s.headerBytes(h)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(b), nil
}

// headerBytes returns h's bytes, reading and caching them on first use. The
// result must not be modified.
func (s *Fragments) headerBytes(h *memHeader) ([]byte, error) {
	// Two tries: retention may move or drop the copy between our look at
	// its location and the read.
	for attempt := 0; ; attempt++ {
		s.mu.Lock()
		b, seg, off := h.bytes, h.seg, h.off
		s.mu.Unlock()
		if b != nil {
			return b, nil
		}
		if seg == 0 {
			return nil, fmt.Errorf("read header %d: %w", h.id, store.ErrNotFound)
		}
		sh, err := s.readers.acquire(seg)
		if err == nil {
			b, err = readRecord(sh.f, off, recordWant{typ: recordHeader, id: h.id, key: h.stream.arn, length: h.size}, nil)
			s.readers.release(sh)
		}
		if err == nil {
			s.mu.Lock()
			if h.bytes == nil {
				h.bytes = b
			}
			b = h.bytes
			s.mu.Unlock()
			return b, nil
		}
		if !errors.Is(err, store.ErrNotFound) || attempt > 0 {
			return nil, fmt.Errorf("read header %d in segment %d at %d: %w", h.id, seg, off, err)
		}
	}
}

// DeleteBefore implements store.Fragments. It deletes what was appended
// before the call, in transactions of at most deleteChunk rows that take
// turns with group commits, and removes the segment files that no row
// references any more.
func (s *Fragments) DeleteBefore(ctx context.Context, stream string, t time.Time) (int, error) {
	r := &fragRequest{kind: deleteBefore, before: encodeTime(t)}
	if err := s.enqueue(stream, r); err != nil {
		return 0, err
	}
	select {
	case <-r.done:
		return r.deleted, r.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// DeleteStream implements store.Fragments. Fragments appended after the
// call are not deleted.
func (s *Fragments) DeleteStream(ctx context.Context, stream string) error {
	r := &fragRequest{kind: deleteStream}
	if err := s.enqueue(stream, r); err != nil {
		return err
	}
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// enqueue hands r to the committer, bounded to what was appended so far.
func (s *Fragments) enqueue(stream string, r *fragRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	r.done = make(chan struct{})
	r.ms = s.streams[stream]
	if r.ms == nil {
		close(r.done) // nothing stored: nothing to delete
		return nil
	}
	r.bound = s.fragSeq.next - 1
	s.requests = append(s.requests, r)
	s.kickWriter()
	return nil
}

// Usage implements store.Fragments: the segment files plus the index.
func (s *Fragments) Usage(context.Context) (int64, error) {
	n := s.fileBytes.Load()
	for _, name := range []string{"fragments.db", "fragments.db-wal"} {
		if fi, err := os.Stat(filepath.Join(s.dir, name)); err == nil {
			n += fi.Size()
		}
	}
	return n, nil
}

// Close implements store.Fragments: it commits what is pending (each
// channel gets its result), finishes queued deletes, stops the committer
// and closes the files and the index. Appends waiting for room fail with
// ErrClosed.
func (s *Fragments) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.progress)
	s.progress = make(chan struct{})
	s.mu.Unlock()
	close(s.quit)
	<-s.done

	s.readers.close()
	s.mu.Lock()
	for _, blk := range s.freeBlocks {
		prefault.Put(blk)
	}
	s.freeBlocks, s.freeBytes = nil, 0
	s.mu.Unlock()
	var errs []error
	if s.w.file != nil {
		// Cut the zero padding after the last record, so that Open finds
		// no tail to repair after a clean shutdown.
		errs = append(errs, s.w.file.Truncate(s.w.size), s.w.file.Close())
	}
	errs = append(errs, s.reads.close(), s.rdb.Close(), s.wdb.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close fragments: %w", err)
	}
	return nil
}
