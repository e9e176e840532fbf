package kvsdtest

import (
	"bytes"
	"testing"

	"github.com/openkvs/openkvs/mkv"
)

// Body builds producer-style PutMedia bodies (as the KVS producer SDK
// writes them: unknown-size Segment and Clusters, metadata Tags and an
// END_OF_FRAGMENT Tags after each Cluster) for tests.
type Body struct {
	t   testing.TB
	buf bytes.Buffer
	w   *mkv.Writer
}

// Track describes one track of a test body.
type Track struct {
	Number  uint64
	CodecID string
	Video   bool
}

// NewBody writes the EBML header, the Segment start, Info (1 ms scale) and
// Tracks.
func NewBody(t testing.TB, tracks ...Track) *Body {
	b := &Body{t: t}
	b.w = mkv.NewWriter(&b.buf)
	if len(tracks) == 0 {
		tracks = []Track{{Number: 1, CodecID: "V_MPEG4/ISO/AVC", Video: true}}
	}
	b.check(b.w.WriteEBMLHeader(mkv.EBMLHeader{DocType: "matroska", DocTypeVersion: 2, DocTypeReadVersion: 2}))
	b.check(b.w.StartSegment(true))
	b.check(b.w.WriteInfo(mkv.Info{TimestampScale: 1_000_000, MuxingApp: "openkvs-test", WritingApp: "openkvs-test"}))
	var entries []mkv.TrackEntry
	for _, tr := range tracks {
		e := mkv.TrackEntry{Number: tr.Number, UID: tr.Number, CodecID: tr.CodecID, Type: mkv.TrackTypeAudio}
		if tr.Video {
			e.Type = mkv.TrackTypeVideo
			e.Video = &mkv.Video{PixelWidth: 640, PixelHeight: 480}
			e.CodecPrivate = []byte{1, 0x64, 0, 0x1e, 0xff, 0xe0, 0}
		} else {
			e.Audio = &mkv.Audio{SamplingFrequency: 48000, Channels: 1}
		}
		entries = append(entries, e)
	}
	b.check(b.w.WriteTracks(mkv.Tracks{Entries: entries}))
	return b
}

func (b *Body) check(err error) {
	if err != nil {
		b.t.Helper()
		b.t.Fatal(err)
	}
}

// Frame is one SimpleBlock of a test cluster.
type Frame struct {
	Track uint64
	// Rel is the timestamp relative to the cluster, in ms.
	Rel  int16
	Key  bool
	Data []byte
}

// Cluster writes an unknown-size Cluster at timecode (ms) with the frames,
// then one Tags element per metadata pair, then END_OF_FRAGMENT unless
// noEnd.
func (b *Body) Cluster(timecode uint64, frames []Frame, metadata map[string]string, noEnd bool) *Body {
	b.check(b.w.StartCluster(timecode, true))
	for _, f := range frames {
		var flags uint8
		if f.Key {
			flags = mkv.FlagKeyframe
		}
		b.check(b.w.WriteSimpleBlock(f.Track, f.Rel, flags, f.Data))
	}
	b.check(b.w.EndMaster())
	for k, v := range metadata {
		b.Tags(k, v)
	}
	if !noEnd {
		b.Tags(mkv.TagEndOfFragment, "")
	}
	return b
}

// Tags writes one Segment-level Tags element with one SimpleTag.
func (b *Body) Tags(name, value string) *Body {
	b.check(b.w.WriteTags(mkv.Tags{Tags: []mkv.Tag{{SimpleTags: []mkv.SimpleTag{{Name: name, String: value}}}}}))
	return b
}

// Video returns n frames of track 1 at 40 ms intervals, the first a key
// frame, each with size bytes.
func Video(n, size int) []Frame {
	out := make([]Frame, n)
	for i := range out {
		data := bytes.Repeat([]byte{byte(i)}, size)
		out[i] = Frame{Track: 1, Rel: int16(i * 40), Key: i == 0, Data: data}
	}
	return out
}

// Bytes returns what was written so far.
func (b *Body) Bytes() []byte { return b.buf.Bytes() }
