package ingest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"time"

	"github.com/openkvs/openkvs/internal/live"
	"github.com/openkvs/openkvs/internal/prefault"
	"github.com/openkvs/openkvs/internal/store"
	"github.com/openkvs/openkvs/mkv"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// unknownSizeSegment is a Segment element header with the 8-octet unknown
// size 01 FF FF FF FF FF FF FF, as real GetMedia output has it.
var unknownSizeSegment = []byte{0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}

// exemptTags are the AWS_ names producers may send as fragment metadata.
var exemptTags = map[string]bool{
	mkv.TagEndOfFragment:                true,
	"AWS_KINESISVIDEO_IMAGE_GENERATION": true,
	"AWS_KINESISVIDEO_IMAGE_PREFIX":     true,
	"AWS_KINESISVIDEO_NOTIFICATION":     true,
}

// fragment is the Cluster being assembled.
type fragment struct {
	number      uint64
	timecode    int64 // Cluster Timestamp in TimestampScale units
	scale       int64 // nanoseconds per TimestampScale unit
	hasTimecode bool
	serverTime  time.Time
	producerTS  time.Time
	// header is the producer header the fragment's chunks repeat: the
	// session's whole header for its first fragment, repeat for the others.
	header       []byte
	media        []byte
	clusterEnded bool
	// minTS and maxTS are frame timestamps in nanoseconds, over all tracks
	// and per track.
	minTS, maxTS int64
	frames       int
	framesTrack  map[uint64]int
	trackSpan    map[uint64]span
	metadata     int
	failure      *ErrorCode
}

// span is the earliest and latest frame timestamp of one track.
type span struct{ min, max int64 }

// parser holds the state of one session's Matroska stream.
type parser struct {
	// header is everything the producer sent before the first Cluster,
	// with the Segment size rewritten. repeat is the same without the
	// Segment-level Tags that came before any other header element: real
	// GetMedia output has such Tags (the KVS producer SDK sends fragment
	// metadata queued before the stream started there) in the first chunk
	// only, and repeats only the rest
	// (shared/fixtures/kvs-real/dumps/test_mixed_tags.outline.txt).
	header      []byte
	repeat      []byte
	leading     bool // after the Segment start, before any header element but Tags
	sawEBML     bool
	sawSegment  bool
	clusterSeen bool
	tracks      mkv.Tracks
	hasTracks   bool
	scale       int64 // nanoseconds per TimestampScale tick
	cur         *fragment
	// spare is the media buffer of the last completed fragment, reused for
	// the next one (the store copies what it appends).
	spare []byte
	// retired are buffers the current fragment outgrew or dropped; they go
	// back to the pool once the fragment ends (see recycle).
	retired [][]byte
	// buf is the Matroska reader's buffer.
	buf []byte
	// nextCap is the capacity of the next fragment's buffer when there is
	// no spare: firstFragmentCap for a session's first fragment, then
	// twice the size of a fragment whose buffer was too large to keep.
	nextCap int
	// prevMax is, per track, the latest frame timestamp of the previous
	// accepted fragment of this connection; the check restarts with each
	// connection, as in KVS.
	prevMax map[uint64]int64
}

// recycle keeps a completed fragment's buffer for the next fragment, or
// gives it back to the pool, and gives back the buffers the fragment grew
// out of. Only once End has told the live hub about the fragment: until
// then the hub may copy from the buffer for a reader who joins.
func (p *parser) recycle(media []byte) {
	for _, b := range p.retired {
		prefault.Put(b)
	}
	p.retired = p.retired[:0]
	switch n := len(media); {
	case cap(media) > 64<<20:
		prefault.Put(media)
	case 4*n >= cap(media):
		p.spare = media[:0]
	default:
		// Mostly unused (a small first fragment in a buffer of
		// firstFragmentCap): an idle connection should not hold it.
		prefault.Put(media)
		p.nextCap = max(2*n, 4<<10)
	}
}

// release gives back every pooled buffer of the session once it ended.
func (p *parser) release() {
	if p.cur != nil {
		p.retired = append(p.retired, p.cur.media)
		p.cur.media = nil
	}
	p.recycle(nil)
	prefault.Put(p.spare)
	prefault.Put(p.buf)
	p.spare, p.buf = nil, nil
}

// firstFragmentCap is the buffer a session's first fragment starts with:
// a 1 s fragment of 2 Mbps fits, where growing from nothing by doubling
// copied it about twice more, into fresh memory (a fifth of kvsd's CPU while
// 500 sessions started at once).
const firstFragmentCap = 256 << 10

// fatalError ends the session after its ERROR ack.
type fatalError struct{ code ErrorCode }

func (e *fatalError) Error() string {
	return fmt.Sprintf("session ended with %d %s", e.code.ID, e.code.Name)
}

func (s *session) parse(ctx context.Context, body *countingReader) error {
	p := &parser{scale: 1_000_000, prevMax: map[uint64]int64{}, buf: prefault.Get(mkv.DefaultBufferSize, 0)}
	prefault.Populate(p.buf)
	defer func() {
		// A fragment cut off by the end of the session was never kept.
		if p.cur != nil && p.cur.number != 0 {
			s.in.live.End(s.p.StreamARN, p.cur.number, false)
		}
		p.release()
	}()
	r := mkv.NewReader(body, mkv.ReaderOptions{MaxFrameSize: s.in.cfg.MaxFragmentBytes, Buffer: p.buf})
	for {
		kind, err := r.Next()
		if errors.Is(err, io.EOF) {
			if p.cur != nil {
				s.complete(ctx, p)
			}
			return nil
		}
		if err != nil {
			return s.readFailed(ctx, p, body, err)
		}
		if err := s.handle(ctx, p, r, kind); err != nil {
			var fe *fatalError
			if errors.As(err, &fe) {
				s.sendError(p.cur, fe.code)
				return nil
			}
			return err
		}
		if time.Since(s.start) > s.in.cfg.MaxConnectionDuration && (kind == mkv.KindClusterEnd || kind == mkv.KindCluster) {
			s.sendError(p.cur, ErrMaxConnectionDuration)
			return nil
		}
	}
}

// readFailed decides what a Reader error means: the connection ended
// (superseded, idle, gone), or the producer sent bytes that are not MKV.
func (s *session) readFailed(ctx context.Context, p *parser, body *countingReader, err error) error {
	switch {
	case s.superseded.Load(), s.idledOut.Load(), ctx.Err() != nil:
		return nil
	case body.err != nil:
		return fmt.Errorf("read PutMedia body: %w", body.err)
	case errors.Is(err, mkv.ErrFrameTooLarge):
		s.sendError(p.cur, ErrMaxFragmentSize)
		return nil
	}
	// The source read fine, so the bytes are not valid Matroska (or the
	// body ended inside an element).
	s.in.log.Info("PutMedia body is not valid MKV", "stream", s.p.StreamARN, "err", err)
	s.sendError(p.cur, ErrInvalidMKV)
	return nil
}

func (s *session) sendError(f *fragment, code ErrorCode) {
	a := Ack{Event: EventError, Error: code}
	if f != nil {
		a.Number = f.number
		a.Timecode, a.HasTimecode = f.timecodeMS(), f.hasTimecode
	}
	s.send(event{ack: a})
}

// timecodeMS is the ack's FragmentTimecode: the Cluster Timestamp in
// milliseconds.
func (f *fragment) timecodeMS() int64 { return f.timecode * f.scale / 1e6 }

func (s *session) handle(ctx context.Context, p *parser, r *mkv.Reader, kind mkv.Kind) error {
	switch kind {
	case mkv.KindEBMLHeader:
		if p.sawEBML {
			return &fatalError{ErrInvalidMKV} // a second MKV stream in one body
		}
		p.sawEBML = true
		return p.addHeader(r.Raw())
	case mkv.KindSegment:
		if p.sawSegment {
			return &fatalError{ErrInvalidMKV}
		}
		p.sawSegment, p.leading = true, true
		// GetMedia repeats the header in every chunk inside a Segment of
		// unknown size written on 8 octets, whatever size the producer
		// used; store it in that form.
		p.header = append(p.header, unknownSizeSegment...)
		p.repeat = append(p.repeat, unknownSizeSegment...)
	case mkv.KindInfo:
		if p.clusterSeen {
			return &fatalError{ErrInvalidMKV}
		}
		info, err := r.Info()
		if err != nil {
			return &fatalError{ErrInvalidMKV}
		}
		if info.TimestampScale > 0 {
			p.scale = int64(info.TimestampScale)
		}
		return p.addHeader(r.Raw())
	case mkv.KindTracks:
		if p.clusterSeen {
			return &fatalError{ErrInvalidMKV}
		}
		tracks, err := r.Tracks()
		if err != nil || len(tracks.Entries) == 0 {
			return &fatalError{ErrInvalidMKV}
		}
		if len(tracks.Entries) > s.in.cfg.MaxTracks {
			return &fatalError{ErrTooManyTracks}
		}
		p.tracks, p.hasTracks = tracks, true
		return p.addHeader(r.Raw())
	case mkv.KindCluster:
		if p.cur != nil {
			s.complete(ctx, p)
		}
		if !p.hasTracks || !p.sawSegment {
			return &fatalError{ErrInvalidMKV}
		}
		header := p.repeat
		if !p.clusterSeen {
			header = p.header
		}
		p.clusterSeen = true
		s.fragments.take(1)
		media := p.spare[:0]
		if media == nil {
			media = prefault.Get(0, cmp.Or(p.nextCap, firstFragmentCap))
			prefault.Populate(media)
		}
		p.cur = &fragment{serverTime: s.in.now(), scale: p.scale, framesTrack: map[uint64]int{}, trackSpan: map[uint64]span{},
			header: header, media: media}
		p.spare = nil
		p.cur.media = append(p.cur.media, r.RawHeader()...)
	case mkv.KindClusterTimestamp:
		f := p.cur
		if f == nil || f.hasTimecode {
			return &fatalError{ErrInvalidMKV}
		}
		f.timecode, f.hasTimecode = int64(r.ClusterTimestamp()), true
		if err := s.appendRaw(p, r); err != nil {
			return err
		}
		n, err := s.in.store.ReserveNumber(ctx)
		if err != nil {
			s.in.log.Error("reserve fragment number", "err", err)
			return &fatalError{ErrInternal}
		}
		f.number = n
		f.producerTS = s.producerTimestamp(f)
		s.send(event{ack: Ack{Event: EventBuffering, Timecode: f.timecodeMS(), HasTimecode: true, Number: n}})
		// Live readers get the fragment from here on, frame by frame.
		s.in.live.Begin(s.p.StreamARN, live.FragmentInfo{Number: n, Header: f.header,
			ServerTimestamp: f.serverTime, ProducerTimestamp: f.producerTS})
		s.in.live.Data(s.p.StreamARN, n, f.media)
	case mkv.KindBlock:
		f := p.cur
		if f == nil || !f.hasTimecode || f.clusterEnded {
			return &fatalError{ErrInvalidMKV}
		}
		b := r.Block()
		if _, ok := p.tracks.Track(b.Track); !ok && f.failure == nil {
			f.failure = &ErrTrackNumberMismatch
		}
		ts := (f.timecode + int64(b.Timestamp)) * p.scale
		if f.frames == 0 || ts < f.minTS {
			f.minTS = ts
		}
		if f.frames == 0 || ts > f.maxTS {
			f.maxTS = ts
		}
		f.frames++
		f.framesTrack[b.Track]++
		if sp, ok := f.trackSpan[b.Track]; !ok {
			f.trackSpan[b.Track] = span{ts, ts}
		} else {
			f.trackSpan[b.Track] = span{min(sp.min, ts), max(sp.max, ts)}
		}
		return s.appendRaw(p, r)
	case mkv.KindClusterEnd:
		if p.cur != nil {
			p.cur.clusterEnded = true
		}
	case mkv.KindSegmentEnd:
		if p.cur != nil {
			s.complete(ctx, p)
		}
	case mkv.KindTags:
		return s.handleTags(ctx, p, r)
	default:
		raw, err := r.Raw()
		if err != nil {
			return &fatalError{ErrInvalidMKV}
		}
		if !p.clusterSeen {
			return p.addHeader(raw, nil)
		}
		if p.cur != nil {
			return s.appendBytes(p, raw)
		}
	}
	return nil
}

func (p *parser) addHeader(raw []byte, err error) error {
	if err != nil {
		return &fatalError{ErrInvalidMKV}
	}
	p.header = append(p.header, raw...)
	p.repeat = append(p.repeat, raw...)
	p.leading = false
	return nil
}

func (s *session) appendRaw(p *parser, r *mkv.Reader) error {
	raw, err := r.Raw()
	if err != nil {
		return &fatalError{ErrInvalidMKV}
	}
	return s.appendBytes(p, raw)
}

// appendBytes adds raw to the current fragment, or marks it too large (the
// rest of an oversized fragment is read and dropped).
func (s *session) appendBytes(p *parser, raw []byte) error {
	f := p.cur
	if f.failure != nil && *f.failure == ErrMaxFragmentSize {
		return nil
	}
	need := len(f.media) + len(raw)
	if int64(need) > s.in.cfg.MaxFragmentBytes {
		p.retired = append(p.retired, f.media)
		f.failure, f.media = &ErrMaxFragmentSize, nil
		return nil
	}
	if need > cap(f.media) {
		grown := prefault.Get(len(f.media), max(2*cap(f.media), need))
		prefault.Populate(grown)
		copy(grown, f.media)
		// The live hub holds the old buffer until the Data call below.
		p.retired = append(p.retired, f.media)
		f.media = grown
	}
	f.media = append(f.media, raw...)
	if f.number != 0 {
		s.in.live.Data(s.p.StreamARN, f.number, f.media)
	}
	return nil
}

// handleTags places a Segment-level Tags element: before the first Cluster
// it is part of the header; after a Cluster it is the fragment's metadata,
// and AWS_KINESISVIDEO_END_OF_FRAGMENT completes the fragment.
func (s *session) handleTags(ctx context.Context, p *parser, r *mkv.Reader) error {
	raw, err := r.Raw()
	if err != nil {
		return &fatalError{ErrInvalidMKV}
	}
	if !p.clusterSeen {
		if p.leading {
			p.header = append(p.header, raw...) // first chunk only
			return nil
		}
		return p.addHeader(raw, nil)
	}
	f := p.cur
	if f == nil {
		return nil // metadata between fragments belongs to none
	}
	tags, err := r.Tags()
	if err != nil {
		return &fatalError{ErrInvalidMKV}
	}
	end, others := false, false
	for st := range tags.All() {
		switch {
		case st.Name == mkv.TagEndOfFragment:
			end = true
			continue
		case strings.HasPrefix(st.Name, "AWS_") && !exemptTags[st.Name]:
			if f.failure == nil {
				f.failure = &ErrInvalidFragmentMetadata
			}
		case len(st.Name) > 128 || len(st.String) > 256:
			if f.failure == nil {
				f.failure = &ErrMetadataLimit
			}
		}
		f.metadata++
		others = true
	}
	if f.metadata > s.in.cfg.MaxMetadataTags && f.failure == nil {
		f.failure = &ErrMetadataLimit
	}
	// The END_OF_FRAGMENT marker is protocol, not metadata: like KVS, do
	// not store or return a Tags element that holds only it.
	if others || !end {
		if err := s.appendBytes(p, raw); err != nil {
			return err
		}
	}
	if end {
		s.complete(ctx, p)
	}
	return nil
}

// complete validates the current fragment, stores it and queues its acks.
func (s *session) complete(ctx context.Context, p *parser) {
	f := p.cur
	p.cur = nil
	if f != nil {
		// After End below, and after the store copied the bytes: nothing
		// refers to them any more.
		defer func() { p.recycle(f.media) }()
	}
	// Live readers already have the fragment's bytes; tell them whether it
	// was kept.
	kept := false
	defer func() {
		if f != nil && f.number != 0 {
			s.in.live.End(s.p.StreamARN, f.number, kept)
		}
	}()
	if f == nil || !f.hasTimecode {
		if f != nil {
			s.sendError(f, ErrInvalidMKV)
		}
		return
	}
	if code := s.validate(p, f); code != nil {
		s.sendError(f, *code)
		return
	}
	for track, sp := range f.trackSpan {
		p.prevMax[track] = sp.max
	}

	retention, err := s.in.streams.RetentionHours(ctx, s.p.StreamARN)
	if err != nil {
		s.sendError(f, ErrStreamNotActive)
		s.abort()
		return
	}
	received := Ack{Event: EventReceived, Timecode: f.timecodeMS(), HasTimecode: true, Number: f.number}
	if retention == 0 {
		// Without retention, media lives only in the live buffer: there is
		// nothing to persist and no PERSISTED ack.
		kept = true
		s.send(event{ack: received})
		return
	}
	producerTS := f.producerTS
	// The fragment is whole: store it (or find its stored copy) even if the
	// connection is cut meanwhile, which cancels ctx. A look-up that failed
	// on the cancelled context would otherwise pass for "not stored yet",
	// and the producer's resend would be stored a second time.
	ctx = context.WithoutCancel(ctx)
	lock := s.in.storeLock(s.p.StreamARN)
	lock.Lock()
	defer lock.Unlock()
	stored, ok, err := s.findResent(ctx, producerTS, f)
	if err != nil {
		s.in.log.Error("look for a re-sent fragment", "stream", s.p.StreamARN, "err", err)
		s.sendError(f, ErrInternal)
		return
	}
	if ok {
		// A fragment re-sent after a reconnect: acknowledge the stored copy.
		received.Number = stored.Number
		done := make(chan error, 1)
		done <- nil
		s.send(event{ack: received, durable: done})
		return
	}
	_, durable, err := s.in.store.Append(ctx, store.NewFragment{
		Stream:            s.p.StreamARN,
		Number:            f.number,
		ProducerTimestamp: producerTS,
		ServerTimestamp:   f.serverTime,
		Duration:          f.duration(),
		Header:            f.header,
		Media:             f.media,
	})
	if err != nil {
		s.in.log.Error("append fragment", "stream", s.p.StreamARN, "err", err)
		s.sendError(f, ErrArchival)
		return
	}
	kept = true
	s.send(event{ack: received, durable: durable})
}

// producerTimestamp is the fragment's producer timestamp: the cluster
// timecode itself (ABSOLUTE) or the producer start plus it (RELATIVE).
func (s *session) producerTimestamp(f *fragment) time.Time {
	if s.p.Absolute {
		return time.Unix(0, f.timecode*f.scale)
	}
	return s.p.ProducerStart.Add(time.Duration(f.timecode * f.scale))
}

// validate applies the per-fragment rules; nil means the fragment is good.
func (s *session) validate(p *parser, f *fragment) *ErrorCode {
	if f.failure != nil {
		return f.failure
	}
	for _, t := range p.tracks.Entries {
		if f.framesTrack[t.Number] == 0 {
			return &ErrFramesMissingForTrack
		}
	}
	if time.Duration(f.maxTS-f.timecode*p.scale) > s.in.cfg.MaxFragmentDuration {
		return &ErrMaxFragmentDuration
	}
	if limit := s.in.cfg.MaxProducerTimeAhead; limit > 0 && f.producerTS.Sub(f.serverTime) > limit {
		return &ErrInvalidProducerTime
	}
	// Each track's frames must start after that track's last frame of the
	// previous fragment. The rule is per track because muxers such as
	// ffmpeg interleave audio around a video key frame, so the first audio
	// frames of a fragment may precede the previous fragment's last video
	// frame.
	for track, sp := range f.trackSpan {
		if prev, ok := p.prevMax[track]; ok && sp.min <= prev {
			return &ErrTimecodeNotMonotonic
		}
	}
	return nil
}

// duration estimates the fragment's duration: the span of its frame
// timestamps plus one average frame interval, for the last frame.
func (f *fragment) duration() time.Duration {
	span := f.maxTS - f.minTS
	if perTrack := f.frames / max(len(f.framesTrack), 1); perTrack > 1 {
		span += span / int64(perTrack-1)
	}
	return time.Duration(span)
}

// findResent looks for a stored fragment of this stream with the same
// producer timestamp and the same bytes: the producer's resend of it.
func (s *session) findResent(ctx context.Context, producerTS time.Time, f *fragment) (store.Fragment, bool, error) {
	found, err := s.in.store.List(ctx, store.FragmentQuery{
		Stream: s.p.StreamARN, By: store.ByProducerTimestamp, Start: producerTS, End: producerTS,
	})
	if err != nil {
		return store.Fragment{}, false, err
	}
	sum := crc32.Checksum(f.media, castagnoli)
	for _, st := range found {
		if st.Checksum == sum && st.Size == int64(len(f.media)) {
			return st, true, nil
		}
	}
	return store.Fragment{}, false, nil
}
