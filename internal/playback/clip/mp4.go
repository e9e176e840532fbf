package clip

import (
	"bytes"
	"context"
	"fmt"

	"github.com/Eyevinn/mp4ff/mp4"

	"github.com/openkvs/openkvs/internal/errkind"
	"github.com/openkvs/openkvs/internal/playback"
	"github.com/openkvs/openkvs/internal/store"
)

// movieTimescale is the mvhd timescale: milliseconds, the precision of
// Matroska timestamps.
const movieTimescale = 1000

// layout is a planned progressive MP4: everything before the sample data,
// and what WriteTo must find when it reads the fragments again.
type layout struct {
	head      []byte
	size      int64
	order     []int   // track indices in chunk order within a fragment
	fragBytes []int64 // sample bytes per fragment
}

// written checks that fragment i yielded the bytes planned for it: the
// file's offsets depend on it.
func (l *layout) written(i int, f *playback.Fragment) error {
	var n int64
	for _, fr := range f.Frames {
		n += int64(len(fr.Data))
	}
	if n != l.fragBytes[i] {
		return fmt.Errorf("fragment %d changed between planning and writing the clip", f.Meta.Number)
	}
	return nil
}

// trackPlan collects one track's sample table.
type trackPlan struct {
	t        *playback.Track
	dts      []int64 // global decode times, ticks
	dur      []uint32
	size     []uint32
	cto      []int32
	sync     []uint32 // 1-based sample numbers of key frames
	chunks   []chunk
	firstPTS int64 // earliest presentation time, ticks
}

type chunk struct {
	frag     int
	samples  uint32
	firstOff int64 // offset within the mdat payload
}

// plan reads the fragments once and builds the moov. It stops before the
// fragment that would take the media past maxBytes, or whose tracks differ
// from the first fragment's, and returns how many fragments it took.
func plan(ctx context.Context, src *playback.Source, fs []store.Fragment, maxBytes int64) (*layout, int, error) {
	var frag playback.Fragment
	if err := src.Read(ctx, fs[0], &frag); err != nil {
		return nil, 0, err
	}
	h0 := frag.Header
	if err := h0.Check(playback.APIClip); err != nil {
		return nil, 0, err
	}
	tps := make([]*trackPlan, len(h0.Tracks))
	l := &layout{}
	for i := range tps {
		tps[i] = &trackPlan{t: &h0.Tracks[i]}
		l.order = append(l.order, i)
	}
	origin := fs[0].ProducerTimestamp
	var total int64
	var ss []playback.Sample
	n := 0
	for i, f := range fs {
		if i > 0 {
			if err := src.Read(ctx, f, &frag); err != nil {
				return nil, 0, err
			}
			if !frag.Header.SameTracks(h0) {
				break // KVS clips hold one codec configuration
			}
		}
		var bytesIn int64
		for _, fr := range frag.Frames {
			bytesIn += int64(len(fr.Data))
		}
		if i > 0 && total+bytesIn > maxBytes {
			break
		}
		anchor := f.ProducerTimestamp.Sub(origin).Nanoseconds()
		for ti, tp := range tps {
			ss = frag.Samples(ti, ss[:0])
			if len(ss) == 0 {
				continue
			}
			tp.add(i, total, ss, tp.t.NsTo(anchor))
			for _, s := range ss {
				total += int64(len(s.Data))
			}
		}
		l.fragBytes = append(l.fragBytes, bytesIn)
		n++
	}
	for _, tp := range tps {
		// A fragment of one frame has no duration of its own: when it is
		// the last, it lasts as long as the frame before it.
		if k := len(tp.dur); k > 1 && tp.dur[k-1] == 0 {
			tp.dur[k-1] = tp.dur[k-2]
		}
	}
	if err := l.build(tps, total); err != nil {
		return nil, 0, err
	}
	return l, n, nil
}

// add appends one fragment's samples of the track. offset is the
// fragment's start on the clip timeline, in ticks. Decode times must rise
// strictly: a fragment that overlaps the previous one is moved to its end,
// and after a gap the previous sample lasts until the fragment starts, so
// the tracks stay in sync.
func (tp *trackPlan) add(frag int, mdatOff int64, ss []playback.Sample, offset int64) {
	first := offset + ss[0].DTS
	if n := len(tp.dts); n > 0 {
		end := tp.dts[n-1] + int64(tp.dur[n-1])
		if first < end {
			first = end
		} else {
			tp.dur[n-1] = uint32(first - tp.dts[n-1])
		}
	} else {
		tp.firstPTS = first + int64(ss[0].CTO)
	}
	tp.chunks = append(tp.chunks, chunk{frag: frag, samples: uint32(len(ss)), firstOff: mdatOff})
	for _, s := range ss {
		dts := first + s.DTS - ss[0].DTS
		tp.dts = append(tp.dts, dts)
		tp.dur = append(tp.dur, s.Dur)
		tp.size = append(tp.size, uint32(len(s.Data)))
		tp.cto = append(tp.cto, s.CTO)
		tp.firstPTS = min(tp.firstPTS, dts+int64(s.CTO))
		if s.Key {
			tp.sync = append(tp.sync, uint32(len(tp.dts)))
		}
	}
}

// build encodes ftyp, moov and the mdat header. Chunk offsets depend on the
// moov's size, which does not depend on their values, so the moov is
// encoded twice.
func (l *layout) build(tps []*trackPlan, media int64) error {
	ftyp := mp4.NewFtyp("isom", 512, []string{"isom", "iso2", "avc1", "mp41"})
	// The clip starts with the video's first frame; audio before it is
	// skipped (ffmpeg puts AAC frames just before a key frame).
	startNs := tps[0].firstPTS * 1_000_000_000 / int64(tps[0].t.Timescale)
	moov := mp4.NewMoovBox()
	mvhd := mp4.CreateMvhd()
	mvhd.Timescale = movieTimescale
	moov.AddChild(mvhd)
	stcos := make([]*mp4.StcoBox, len(tps))
	for i, tp := range tps {
		trak, stco, dur := tp.trak(uint32(i+1), startNs)
		moov.AddChild(trak)
		stcos[i] = stco
		mvhd.Duration = max(mvhd.Duration, dur)
	}
	mvhd.NextTrackID = uint32(len(tps) + 1)
	mdatHdr := int64(8)
	if media+8 > 1<<32-1 {
		mdatHdr = 16
	}
	payload := int64(ftyp.Size()+moov.Size()) + mdatHdr
	if payload+media > 1<<32-1 {
		return errkind.New(playback.ErrInvalidArgument, "The clip is too large for 32-bit chunk offsets.")
	}
	for i, tp := range tps {
		for j, c := range tp.chunks {
			stcos[i].ChunkOffset[j] = uint32(payload + c.firstOff)
		}
	}
	var buf bytes.Buffer
	if err := ftyp.Encode(&buf); err != nil {
		return err
	}
	if err := moov.Encode(&buf); err != nil {
		return err
	}
	if mdatHdr == 8 {
		buf.Write([]byte{byte((media + 8) >> 24), byte((media + 8) >> 16), byte((media + 8) >> 8), byte(media + 8), 'm', 'd', 'a', 't'})
	} else {
		s := uint64(media + 16)
		buf.Write([]byte{0, 0, 0, 1, 'm', 'd', 'a', 't', byte(s >> 56), byte(s >> 48), byte(s >> 40), byte(s >> 32), byte(s >> 24), byte(s >> 16), byte(s >> 8), byte(s)})
	}
	l.head = buf.Bytes()
	l.size = int64(len(l.head)) + media
	return nil
}

// trak builds the track box with its sample table and returns it, its
// chunk-offset box (offsets filled in later) and its duration in movie
// timescale units.
func (tp *trackPlan) trak(id uint32, startNs int64) (*mp4.TrakBox, *mp4.StcoBox, uint64) {
	kind := "audio"
	if tp.t.Codec.Video() {
		kind = "video"
	}
	trak := mp4.CreateEmptyTrak(id, tp.t.Timescale, kind, "und")
	playback.AddSampleEntry(trak, tp.t)
	stbl := trak.Mdia.Minf.Stbl

	n := len(tp.dts)
	var mediaDur uint64
	for i := range n {
		mediaDur += uint64(tp.dur[i])
		if i > 0 && tp.dur[i] == tp.dur[i-1] {
			stbl.Stts.SampleCount[len(stbl.Stts.SampleCount)-1]++
			continue
		}
		stbl.Stts.SampleCount = append(stbl.Stts.SampleCount, 1)
		stbl.Stts.SampleTimeDelta = append(stbl.Stts.SampleTimeDelta, tp.dur[i])
	}
	hasCTO := false
	for _, c := range tp.cto {
		hasCTO = hasCTO || c != 0
	}
	if hasCTO {
		ctts := &mp4.CttsBox{}
		var counts []uint32
		var offs []int32
		for i, c := range tp.cto {
			if i > 0 && c == offs[len(offs)-1] {
				counts[len(counts)-1]++
				continue
			}
			counts = append(counts, 1)
			offs = append(offs, c)
		}
		_ = ctts.AddSampleCountsAndOffset(counts, offs)
		stbl.AddChild(ctts)
	}
	if tp.t.Codec.Video() && len(tp.sync) < n {
		stbl.AddChild(&mp4.StssBox{SampleNumber: tp.sync})
	}
	stbl.Stsz.SampleNumber = uint32(n)
	stbl.Stsz.SampleSize = tp.size
	var prev uint32
	for i, c := range tp.chunks {
		if i == 0 || c.samples != prev {
			_ = stbl.Stsc.AddEntry(uint32(i+1), c.samples, 1)
			prev = c.samples
		}
	}
	stbl.Stco.ChunkOffset = make([]uint32, len(tp.chunks))

	toMovie := func(ticks int64) uint64 {
		return uint64(max(ticks, 0) * movieTimescale / int64(tp.t.Timescale))
	}
	trak.Mdia.Mdhd.Duration = mediaDur
	// Presentation starts at the first track's first frame. The track's
	// media before its first presented frame (B-frame reordering puts decode
	// times before it) is skipped; a track that starts later waits in an
	// empty edit.
	start := tp.t.NsTo(startNs)
	edts := &mp4.EdtsBox{}
	elst := &mp4.ElstBox{}
	skip := start - tp.dts[0]
	if first := tp.firstPTS - tp.dts[0]; skip < first {
		if wait := first - skip; wait > 0 {
			elst.Entries = append(elst.Entries, mp4.ElstEntry{SegmentDuration: toMovie(wait), MediaTime: -1, MediaRateInteger: 1})
		}
		skip = first
	}
	elst.Entries = append(elst.Entries, mp4.ElstEntry{SegmentDuration: toMovie(int64(mediaDur) - skip + tp.firstPTS - tp.dts[0]), MediaTime: skip, MediaRateInteger: 1})
	edts.AddChild(elst)
	trak.AddChild(edts)
	var total uint64
	for _, e := range elst.Entries {
		total += e.SegmentDuration
	}
	trak.Tkhd.Duration = total
	return trak, stbl.Stco, total
}
