package playback

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/openkvs/openkvs/internal/errkind"
	"github.com/openkvs/openkvs/internal/store"
	"github.com/openkvs/openkvs/mkv"
)

// Store is the part of store.Fragments that playback reads.
type Store interface {
	Get(ctx context.Context, stream string, number uint64) (store.Fragment, error)
	List(ctx context.Context, q store.FragmentQuery) ([]store.Fragment, error)
	ReadMedia(ctx context.Context, f store.Fragment, dst []byte) ([]byte, error)
	ReadHeader(ctx context.Context, stream string, headerID uint64) ([]byte, error)
}

// Source reads stored fragments and their headers. Parsed headers are
// cached: a stream has few distinct headers and every fragment names one.
type Source struct {
	store Store

	mu      sync.Mutex
	headers map[headerKey]*Header
	pool    sync.Pool // *demuxer
	cache   *fragmentCache
}

type headerKey struct {
	stream string
	id     uint64
}

// maxCachedHeaders bounds the header cache; it is cleared when full, which
// only costs a re-parse.
const maxCachedHeaders = 1024

// NewSource returns a Source over st, with a fragment cache of
// DefaultCacheBytes for Cached.
func NewSource(st Store) *Source {
	s := &Source{store: st, headers: map[headerKey]*Header{}}
	s.SetCacheBytes(DefaultCacheBytes)
	return s
}

// Store returns the underlying store.
func (s *Source) Store() Store { return s.store }

// Header returns the parsed producer header of fragment f.
func (s *Source) Header(ctx context.Context, f store.Fragment) (*Header, error) {
	k := headerKey{f.Stream, f.HeaderID}
	s.mu.Lock()
	h := s.headers[k]
	s.mu.Unlock()
	if h != nil {
		return h, nil
	}
	raw, err := s.store.ReadHeader(ctx, f.Stream, f.HeaderID)
	if err != nil {
		return nil, fmt.Errorf("read header %d: %w", f.HeaderID, err)
	}
	if h, err = ParseHeader(raw); err != nil {
		return nil, err
	}
	s.mu.Lock()
	if len(s.headers) >= maxCachedHeaders {
		clear(s.headers)
	}
	s.headers[k] = h
	s.mu.Unlock()
	return h, nil
}

// Frame is one frame of a demuxed fragment.
type Frame struct {
	// Track is the index into Header.Tracks.
	Track int
	// PTS is the presentation time in nanoseconds relative to the
	// fragment's Cluster Timestamp (negative when a muxer put a frame
	// before it).
	PTS int64
	Key bool
	// Data is the frame as stored: AVCC length-prefixed NAL units for
	// video, a raw access unit for AAC. It points into Fragment.buf.
	Data []byte
}

// Fragment is one stored fragment, demuxed.
type Fragment struct {
	Meta   store.Fragment
	Header *Header
	Frames []Frame

	media []byte // the stored bytes, reused between reads
	buf   []byte // frame payloads, reused between reads
}

// Read reads and demuxes fragment f into dst, reusing dst's buffers.
func (s *Source) Read(ctx context.Context, f store.Fragment, dst *Fragment) error {
	h, err := s.Header(ctx, f)
	if err != nil {
		return err
	}
	media, err := s.store.ReadMedia(ctx, f, dst.media[:0])
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errkind.New(ErrNotFound, "Fragment %d was deleted.", f.Number)
		}
		return fmt.Errorf("read fragment %d: %w", f.Number, err)
	}
	dst.Meta, dst.Header, dst.media = f, h, media
	d, _ := s.pool.Get().(*demuxer)
	if d == nil {
		d = &demuxer{r: mkv.NewReader(nil, mkv.ReaderOptions{})}
	}
	defer s.pool.Put(d)
	return d.demux(h, media, dst, false)
}

// DemuxPartial demuxes the beginning of a fragment still arriving (number
// names it in errors): the frames complete so far, ignoring a frame cut
// off at the end. dst keeps media.
func DemuxPartial(h *Header, media []byte, number uint64, dst *Fragment) error {
	d := &demuxer{r: mkv.NewReader(nil, mkv.ReaderOptions{})}
	dst.Meta = store.Fragment{Number: number}
	dst.Header, dst.media = h, nil
	return d.demux(h, media, dst, true)
}

// demuxer holds a reusable Matroska reader.
type demuxer struct {
	r     *mkv.Reader
	src   [2]bytes.Reader
	sizes []int
}

// demux splits the Cluster into frames. The reader is fed the header first
// because a Cluster is only valid inside a Segment.
func (d *demuxer) demux(h *Header, media []byte, dst *Fragment, partial bool) error {
	d.src[0].Reset(h.Raw)
	d.src[1].Reset(media)
	d.r.Reset(io.MultiReader(&d.src[0], &d.src[1]))
	dst.Frames, dst.buf = dst.Frames[:0], dst.buf[:0]
	scale := int64(h.TimestampScale)
	// Sizes first: buf may move while it grows.
	d.sizes = d.sizes[:0]
	inCluster := false
	for {
		kind, err := d.r.Next()
		if errors.Is(err, io.EOF) || (err != nil && partial) {
			break
		}
		if err != nil {
			return errkind.New(ErrInvalidMediaFrame, "Fragment %d cannot be parsed: %v", dst.Meta.Number, err)
		}
		switch kind {
		case mkv.KindCluster:
			if inCluster {
				return errkind.New(ErrInvalidMediaFrame, "Fragment %d holds more than one Cluster.", dst.Meta.Number)
			}
			inCluster = true
		case mkv.KindBlock:
			b := d.r.Block()
			ti := h.trackIndex(b.Track)
			if ti < 0 {
				continue
			}
			pts := int64(b.Timestamp) * scale
			n := b.NumFrames()
			var laced int64 // samples of the block's frames before this one
			for i := range n {
				data := b.Frame(i)
				f := Frame{Track: ti, PTS: pts, Key: b.Keyframe()}
				if t := &h.Tracks[ti]; t.Codec.Audio() {
					// Laced audio frames share the block timestamp; each
					// starts where the one before it ends.
					f.PTS += laced * 1_000_000_000 / int64(t.Timescale)
					laced += t.frameSamples(data)
				}
				d.sizes = append(d.sizes, len(data))
				dst.buf = append(dst.buf, data...)
				dst.Frames = append(dst.Frames, f)
			}
		}
	}
	off := 0
	for i, n := range d.sizes {
		dst.Frames[i].Data = dst.buf[off : off+n : off+n]
		off += n
	}
	return nil
}
