package playback

import (
	"io"
	"slices"

	"github.com/Eyevinn/mp4ff/mp4"
)

// Sample is one MP4 sample of one track, timed in the track's timescale.
type Sample struct {
	// DTS is the decode time relative to the fragment's Cluster Timestamp.
	DTS int64
	Dur uint32
	// CTO is the composition offset, PTS - DTS; negative only from
	// CMAFSamples.
	CTO  int32
	Key  bool
	Data []byte
}

// nsTo converts nanoseconds to ticks of timescale, rounding to nearest.
func nsTo(ns int64, timescale uint32) int64 {
	ts := int64(timescale)
	if ns >= 0 {
		return (ns*ts + 500_000_000) / 1_000_000_000
	}
	return -((-ns*ts + 500_000_000) / 1_000_000_000)
}

// NsTo converts nanoseconds to ticks of the track's timescale.
func (t *Track) NsTo(ns int64) int64 { return nsTo(ns, t.Timescale) }

// Samples returns the samples of track ti of the fragment in decode order,
// appended to dst.
//
// Matroska stores presentation times only, in decode order. Decode times
// are the sorted presentation times, moved back by the fragment's largest
// reorder delay so that no composition offset is negative: players and
// ffmpeg accept such offsets in every MP4 box version. Each fragment starts
// with a key frame, so the fragment is a closed unit. The last sample lasts
// as long as the one before it, since the next fragment is not read.
//
// Audio frames decode to a known number of samples (1024 for AAC, the
// byte count for G.711, the TOC's for Opus), so audio is timed by sample
// count from the first frame; Matroska's millisecond timestamps would
// otherwise make every duration jitter by a few samples. A jump of more than
// half a frame is kept as a gap.
func (f *Fragment) Samples(ti int, dst []Sample) []Sample {
	return f.samples(ti, dst, true)
}

// CMAFSamples is Samples with decode times equal to the sorted
// presentation times and signed composition offsets (trun version 1), as
// CMAF does: every fragment's decode times then continue the previous
// fragment's exactly, whatever its reordering, and the first frame's decode
// time is its presentation time. Segments of a playlist need that, since
// players (ffmpeg's HLS demuxer among them) join them by duration.
func (f *Fragment) CMAFSamples(ti int, dst []Sample) []Sample {
	return f.samples(ti, dst, false)
}

func (f *Fragment) samples(ti int, dst []Sample, shift bool) []Sample {
	t := &f.Header.Tracks[ti]
	start := len(dst)
	for _, fr := range f.Frames {
		if fr.Track == ti {
			dst = append(dst, Sample{DTS: t.NsTo(fr.PTS), Key: fr.Key, Data: fr.Data})
		}
	}
	ss := dst[start:]
	if len(ss) == 0 {
		return dst
	}
	if t.Codec.Audio() {
		next := ss[0].DTS
		for i := range ss {
			n := t.frameSamples(ss[i].Data)
			if ss[i].DTS-next > max(n, 1)/2 {
				next = ss[i].DTS
			}
			ss[i].DTS, ss[i].Dur, ss[i].Key = next, uint32(n), true
			next += n
		}
		return dst
	}
	// Video: ss[i].DTS holds the PTS so far.
	pts := make([]int64, len(ss))
	for i := range ss {
		pts[i] = ss[i].DTS
	}
	sorted := slices.Clone(pts)
	slices.Sort(sorted)
	var delay int64
	for i := range ss {
		if shift {
			delay = max(delay, sorted[i]-pts[i])
		}
	}
	for i := range ss {
		ss[i].DTS = sorted[i] - delay
		ss[i].CTO = int32(pts[i] - ss[i].DTS)
	}
	for i := range len(ss) - 1 {
		ss[i].Dur = uint32(max(ss[i+1].DTS-ss[i].DTS, 0))
	}
	switch {
	case len(ss) > 1:
		ss[len(ss)-1].Dur = ss[len(ss)-2].Dur
	default:
		ss[0].Dur = uint32(t.NsTo(int64(f.Meta.Duration)))
	}
	return dst
}

// InitSegment writes the fMP4 initialization segment (ftyp + moov with
// mvex) of track ti of h, as track ID 1: KVS serves one media playlist,
// and one init segment, per track (GetMP4InitFragment).
func InitSegment(w io.Writer, h *Header, ti int) error {
	t := &h.Tracks[ti]
	init := mp4.CreateEmptyInit()
	init.Ftyp = mp4.NewFtyp("iso6", 0, []string{"iso6", "isom", "mp41", "dash", "cmfc"})
	init.Children[0] = init.Ftyp
	kind := "audio"
	if t.Codec.Video() {
		kind = "video"
	}
	trak := init.AddEmptyTrack(t.Timescale, kind, "und")
	AddSampleEntry(trak, t)
	return init.Encode(w)
}

// AddSampleEntry puts the track's sample entry (avc1, hvc1, mp4a) into
// the trak's stsd and sets the presentation size.
func AddSampleEntry(trak *mp4.TrakBox, t *Track) {
	trak.Mdia.Minf.Stbl.Stsd.AddChild(t.entry)
	if t.Codec.Video() {
		trak.Tkhd.Width = mp4.Fixed32(t.Width << 16)
		trak.Tkhd.Height = mp4.Fixed32(t.Height << 16)
	}
}

// sampleFlags are the trun flags of a sample: sync samples depend on no
// other sample, the rest are non-sync.
func sampleFlags(s *Sample) uint32 {
	if s.Key {
		return mp4.SyncSampleFlags
	}
	return mp4.NonSyncSampleFlags
}

// MediaSegment writes one fMP4 media segment (moof + mdat) for track ID 1
// with sequence number seq and base media decode time base. The samples'
// DTS only matter relative to the first one. The sample data is written
// straight from the samples, without assembling the mdat in memory.
func MediaSegment(w io.Writer, seq uint32, base uint64, ss []Sample) error {
	frag, err := mp4.CreateFragment(seq, 1)
	if err != nil {
		return err
	}
	var size uint64
	for i := range ss {
		s := &ss[i]
		frag.AddSample(mp4.Sample{Flags: sampleFlags(s), Dur: s.Dur, Size: uint32(len(s.Data)), CompositionTimeOffset: s.CTO}, base)
		size += uint64(len(s.Data))
	}
	frag.Mdat.SetLazyDataSize(size)
	if err := frag.Encode(w); err != nil {
		return err
	}
	for i := range ss {
		if _, err := w.Write(ss[i].Data); err != nil {
			return err
		}
	}
	return nil
}
