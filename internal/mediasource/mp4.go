package mediasource

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"

	"github.com/openkvs/openkvs/producer"
)

// mp4Sample locates one sample in the file. Times are in the track's
// timescale.
type mp4Sample struct {
	offset int64
	size   uint32
	dts    int64
	cto    int32
	dur    uint32
	sync   bool
}

// mp4Track is an MP4 track that is passed on, with its sample table.
type mp4Track struct {
	out        producer.Track
	video      videoCodec
	lengthSize int
	timescale  uint32
	trak       *mp4.TrakBox
	samples    []mp4Sample
	next       int
}

// mp4Source reads a progressive or fragmented MP4/MOV file. The box tree
// (moov, moof) is decoded up front with the media data left on disk, and
// each sample is read when its frame is due, so memory grows with the
// number of samples (about 40 octets each), not with the file size.
type mp4Source struct {
	file   *os.File
	tracks []*mp4Track
	out    []producer.Track
}

func openMP4(f *os.File, log *slog.Logger) (s *mp4Source, err error) {
	defer func() {
		// mp4ff trusts some table sizes; a corrupt file must be an error,
		// not a crash.
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("decode mp4: %v: %w", r, ErrMalformed)
		}
	}()
	parsed, err := mp4.DecodeFile(f, mp4.WithDecodeMode(mp4.DecModeLazyMdat))
	if err != nil {
		return nil, fmt.Errorf("decode mp4: %v: %w", err, ErrMalformed)
	}
	if parsed.Moov == nil {
		return nil, fmt.Errorf("mp4: no moov box: %w", ErrMalformed)
	}
	s = &mp4Source{file: f}
	var found []string
	var video *mp4.TrakBox
	for _, trak := range parsed.Moov.Traks {
		codec, name := mp4Codec(trak)
		found = append(found, name)
		if codec != 0 && video == nil {
			video = trak
		}
	}
	if video == nil {
		return nil, fmt.Errorf("mp4 sample entries %v: %w (supported: avc1/avc3, hvc1/hev1)", found, ErrNoVideo)
	}
	if err := s.addTrack(video); err != nil {
		return nil, err
	}
	for _, trak := range parsed.Moov.Traks {
		if trak == video {
			continue
		}
		if len(s.tracks) < maxTracks && isAAC(trak) {
			if err := s.addTrack(trak); err != nil {
				return nil, err
			}
			continue
		}
		_, name := mp4Codec(trak)
		log.Warn("skipping mp4 track", "id", trak.Tkhd.TrackID, "sample_entry", name)
	}
	for _, t := range s.tracks {
		if err := t.indexProgressive(); err != nil {
			return nil, err
		}
	}
	if parsed.IsFragmented() {
		if err := s.indexFragments(parsed); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// mp4Codec returns the video codec of a track (0 if none) and the name of
// its sample entry for messages.
func mp4Codec(trak *mp4.TrakBox) (videoCodec, string) {
	stsd := trak.Mdia.Minf.Stbl.Stsd
	switch {
	case stsd == nil:
		return 0, "none"
	case stsd.AvcX != nil && stsd.AvcX.AvcC != nil:
		return codecH264, stsd.AvcX.Type()
	case stsd.HvcX != nil && stsd.HvcX.HvcC != nil:
		return codecH265, stsd.HvcX.Type()
	case len(stsd.Children) > 0:
		return 0, stsd.Children[0].Type()
	}
	return 0, "none"
}

func isAAC(trak *mp4.TrakBox) bool {
	stsd := trak.Mdia.Minf.Stbl.Stsd
	return stsd != nil && stsd.Mp4a != nil && aacConfig(stsd.Mp4a) != nil
}

// aacConfig returns the AudioSpecificConfig of an mp4a sample entry.
func aacConfig(e *mp4.AudioSampleEntryBox) []byte {
	if e.Esds == nil || e.Esds.DecConfigDescriptor == nil || e.Esds.DecConfigDescriptor.DecSpecificInfo == nil {
		return nil
	}
	return e.Esds.DecConfigDescriptor.DecSpecificInfo.DecConfig
}

func (s *mp4Source) addTrack(trak *mp4.TrakBox) error {
	t := &mp4Track{timescale: trak.Mdia.Mdhd.Timescale, lengthSize: 4}
	if t.timescale == 0 {
		return fmt.Errorf("mp4 track %d: timescale 0: %w", trak.Tkhd.TrackID, ErrMalformed)
	}
	id := uint64(len(s.tracks) + 1)
	stsd := trak.Mdia.Minf.Stbl.Stsd
	codec, _ := mp4Codec(trak)
	if codec != 0 {
		var raw bytes.Buffer
		var entry *mp4.VisualSampleEntryBox
		if codec == codecH265 {
			entry = stsd.HvcX
			err := stsd.HvcX.HvcC.DecConfRec.Encode(&raw)
			if err != nil {
				return fmt.Errorf("mp4 track %d hvcC: %w", trak.Tkhd.TrackID, err)
			}
		} else {
			entry = stsd.AvcX
			if err := stsd.AvcX.AvcC.DecConfRec.Encode(&raw); err != nil {
				return fmt.Errorf("mp4 track %d avcC: %w", trak.Tkhd.TrackID, err)
			}
		}
		rec, lengthSize, err := normaliseDecoderConfig(codec, raw.Bytes())
		if err != nil {
			return fmt.Errorf("mp4 track %d: %w", trak.Tkhd.TrackID, err)
		}
		t.video, t.lengthSize = codec, lengthSize
		t.out = producer.Track{
			ID: id, Name: "kvs_video_track", CodecID: codec.codecID(), Type: producer.TrackVideo,
			CodecPrivate: rec, Width: int(entry.Width), Height: int(entry.Height),
		}
	} else {
		e := stsd.Mp4a
		t.out = producer.Track{
			ID: id, Name: "kvs_audio_track", CodecID: producer.CodecAAC, Type: producer.TrackAudio,
			CodecPrivate: bytes.Clone(aacConfig(e)), SampleRate: float64(e.SampleRate),
			Channels: int(e.ChannelCount), BitDepth: int(e.SampleSize),
		}
	}
	t.trak = trak
	s.tracks = append(s.tracks, t)
	s.out = append(s.out, t.out)
	return nil
}

// maxSamples bounds a sample table, so a corrupt count cannot exhaust
// memory: 16 M samples are days of video.
const maxSamples = 1 << 24

// indexProgressive builds the sample table from the moov boxes (stsz,
// stsc, stco/co64, stts, ctts, stss). A fragmented file's moov has none.
func (t *mp4Track) indexProgressive() error {
	stbl := t.trak.Mdia.Minf.Stbl
	if stbl.Stsz == nil || stbl.Stsc == nil || stbl.Stts == nil {
		return nil
	}
	n := int(stbl.Stsz.SampleNumber)
	if n == 0 {
		return nil
	}
	bad := func(what string) error {
		return fmt.Errorf("mp4 track %d: %s: %w", t.trak.Tkhd.TrackID, what, ErrMalformed)
	}
	if n > maxSamples || (stbl.Stsz.SampleUniformSize == 0 && len(stbl.Stsz.SampleSize) < n) {
		return bad("sample count")
	}
	var chunkOffsets []uint64
	switch {
	case stbl.Stco != nil:
		for _, o := range stbl.Stco.ChunkOffset {
			chunkOffsets = append(chunkOffsets, uint64(o))
		}
	case stbl.Co64 != nil:
		chunkOffsets = stbl.Co64.ChunkOffset
	default:
		return bad("no chunk offsets")
	}
	t.samples = make([]mp4Sample, 0, n)
	// Offsets: walk the chunks, each holding the samples-per-chunk of the
	// last stsc entry that starts at or before it.
	entries := stbl.Stsc.Entries
	entry := 0
	for c := range chunkOffsets {
		chunkNr := uint32(c + 1)
		for entry+1 < len(entries) && entries[entry+1].FirstChunk <= chunkNr {
			entry++
		}
		if len(entries) == 0 || entries[entry].FirstChunk > chunkNr {
			return bad("sample-to-chunk table")
		}
		off := chunkOffsets[c]
		for range entries[entry].SamplesPerChunk {
			if len(t.samples) == n {
				break
			}
			size := stbl.Stsz.SampleUniformSize
			if size == 0 {
				size = stbl.Stsz.SampleSize[len(t.samples)]
			}
			t.samples = append(t.samples, mp4Sample{offset: int64(off), size: size, sync: stbl.Stss == nil})
			off += uint64(size)
		}
	}
	if len(t.samples) != n {
		return bad(fmt.Sprintf("chunks hold %d of %d samples", len(t.samples), n))
	}
	// Decoding times.
	i := 0
	var dts int64
	for e, count := range stbl.Stts.SampleCount {
		for range count {
			if i == n {
				break
			}
			t.samples[i].dts, t.samples[i].dur = dts, stbl.Stts.SampleTimeDelta[e]
			dts += int64(stbl.Stts.SampleTimeDelta[e])
			i++
		}
	}
	for ; i < n; i++ { // a short stts: repeat the last duration
		t.samples[i].dts = dts
		if i > 0 {
			t.samples[i].dur = t.samples[i-1].dur
		}
		dts += int64(t.samples[i].dur)
	}
	// Composition offsets: run k covers samples EndSampleNr[k]+1 ..
	// EndSampleNr[k+1] (1-based).
	if ctts := stbl.Ctts; ctts != nil {
		for k := 0; k+1 < len(ctts.EndSampleNr) && k < len(ctts.SampleOffset); k++ {
			for nr := ctts.EndSampleNr[k] + 1; nr <= ctts.EndSampleNr[k+1] && int(nr) <= n; nr++ {
				t.samples[nr-1].cto = ctts.SampleOffset[k]
			}
		}
	}
	if stbl.Stss != nil {
		for _, nr := range stbl.Stss.SampleNumber {
			if nr >= 1 && int(nr) <= n {
				t.samples[nr-1].sync = true
			}
		}
	}
	return nil
}

// indexFragments appends the samples of every moof/mdat pair.
func (s *mp4Source) indexFragments(parsed *mp4.File) error {
	nextDTS := make(map[uint32]int64)
	for _, seg := range parsed.Segments {
		for _, frag := range seg.Fragments {
			if frag.Moof == nil {
				continue
			}
			for _, traf := range frag.Moof.Trafs {
				if traf.Tfhd == nil {
					return fmt.Errorf("mp4 fragment without tfhd: %w", ErrMalformed)
				}
				id := traf.Tfhd.TrackID
				t := s.track(id)
				if t == nil {
					continue
				}
				var trex *mp4.TrexBox
				if parsed.Moov.Mvex != nil {
					trex, _ = parsed.Moov.Mvex.GetTrex(id)
				}
				dts := nextDTS[id]
				if traf.Tfdt != nil {
					dts = int64(traf.Tfdt.BaseMediaDecodeTime())
				}
				base := frag.Moof.StartPos
				if traf.Tfhd.HasBaseDataOffset() {
					base = traf.Tfhd.BaseDataOffset
				}
				off := int64(base)
				for i, trun := range traf.Truns {
					trun.AddSampleDefaultValues(traf.Tfhd, trex)
					if trun.HasDataOffset() {
						off = int64(base) + int64(trun.DataOffset)
					} else if i == 0 && !traf.Tfhd.HasBaseDataOffset() && !traf.Tfhd.DefaultBaseIfMoof() {
						off = int64(base) // data right after moof for the first track of a moof
					}
					for _, smp := range trun.Samples {
						if len(t.samples) >= maxSamples {
							return fmt.Errorf("mp4 track %d: more than %d samples: %w", id, maxSamples, ErrMalformed)
						}
						flags := mp4.DecodeSampleFlags(smp.Flags)
						t.samples = append(t.samples, mp4Sample{
							offset: off, size: smp.Size, dts: dts, cto: smp.CompositionTimeOffset,
							dur: smp.Dur, sync: !flags.SampleIsNonSync,
						})
						off += int64(smp.Size)
						dts += int64(smp.Dur)
					}
				}
				nextDTS[id] = dts
			}
		}
	}
	return nil
}

func (s *mp4Source) track(mp4ID uint32) *mp4Track {
	for _, t := range s.tracks {
		if t.trak.Tkhd.TrackID == mp4ID {
			return t
		}
	}
	return nil
}

func (s *mp4Source) Tracks() []producer.Track { return s.out }

// ticks converts a time in a track's timescale to a duration without
// overflowing for long files.
func ticks(v int64, timescale uint32) time.Duration {
	ts := int64(timescale)
	return time.Duration(v/ts)*time.Second + time.Duration(v%ts)*time.Second/time.Duration(ts)
}

func (s *mp4Source) Next(ctx context.Context) (producer.Frame, error) {
	if err := ctx.Err(); err != nil {
		return producer.Frame{}, err
	}
	var best *mp4Track
	var bestDTS time.Duration
	for _, t := range s.tracks {
		if t.next >= len(t.samples) {
			continue
		}
		dts := ticks(t.samples[t.next].dts, t.timescale)
		if best == nil || dts < bestDTS {
			best, bestDTS = t, dts
		}
	}
	if best == nil {
		return producer.Frame{}, io.EOF
	}
	smp := best.samples[best.next]
	best.next++
	data := make([]byte, smp.size)
	if _, err := s.file.ReadAt(data, smp.offset); err != nil {
		if errors.Is(err, io.EOF) {
			return producer.Frame{}, fmt.Errorf("mp4 track %d sample %d: %d octets at offset %d lie past the end of the file: %w",
				best.trak.Tkhd.TrackID, best.next, smp.size, smp.offset, ErrMalformed)
		}
		return producer.Frame{}, fmt.Errorf("read mp4 sample: %w", err)
	}
	f := producer.Frame{
		TrackID:  best.out.ID,
		DTS:      bestDTS,
		PTS:      ticks(smp.dts+int64(smp.cto), best.timescale),
		Duration: ticks(int64(smp.dur), best.timescale),
		Data:     data,
	}
	if best.video != 0 {
		avcc, err := toAVCC4(data, best.lengthSize)
		if err != nil {
			return producer.Frame{}, fmt.Errorf("mp4 track %d sample %d: %w", best.trak.Tkhd.TrackID, best.next, err)
		}
		f.Data = avcc
		if smp.sync {
			f.Flags |= producer.FrameKey
		}
	} else {
		f.Flags |= producer.FrameKey
	}
	return f, nil
}

// Duration is the length of the longest track, from its sample table.
func (s *mp4Source) Duration() time.Duration {
	var d time.Duration
	for _, t := range s.tracks {
		if len(t.samples) == 0 {
			continue
		}
		first, last := t.samples[0], t.samples[len(t.samples)-1]
		d = max(d, ticks(last.dts+int64(last.dur)-first.dts, t.timescale))
	}
	return d
}

func (s *mp4Source) Close() error { return s.file.Close() }
