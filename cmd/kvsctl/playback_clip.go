package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"
	"github.com/aws/aws-sdk-go-v2/aws"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

// GetClip's hard quotas (data-plane-api.md §15). A clip's MP4 is a little
// larger than its fragments' Matroska, so the byte budget keeps a margin.
const (
	clipMaxFragments = 200
	clipMaxBytes     = 90 << 20
)

// clipHTTPClient is rq's transport without its 30 s request timeout: a
// 100 MB clip can take longer than that to download.
func clipHTTPClient(rq *requester) *http.Client {
	return &http.Client{Transport: rq.http.Transport}
}

func newClipCmd(g *globalOptions, stderr io.Writer) *cobra.Command {
	var start, end, out, selector string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "clip STREAM --start T --end T -o FILE.mp4",
		Short: "Download an MP4 of a time range (GetClip), of any length",
		Long: "clip lists the range's fragments (ListFragments), fetches them with as many GetClip calls\n" +
			"as the 200-fragment / 100 MB limit of one call needs, and joins the clips into one\n" +
			"fragmented MP4, one movie fragment per clip, on one continuous timeline.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, e, err := parseRange(start, end, true)
			if err != nil {
				return err
			}
			if out == "" {
				return fmt.Errorf("-o FILE is required")
			}
			var bar io.Writer = io.Discard
			if !quiet {
				bar = stderr
			}
			return downloadClip(cmd.Context(), g, args[0], selector, *s, *e, out, bar)
		},
	}
	f := cmd.Flags()
	f.StringVar(&start, "start", "", "start of the range, inclusive (RFC 3339)")
	f.StringVar(&end, "end", "", "end of the range, inclusive (RFC 3339)")
	f.StringVarP(&out, "output", "o", "", "MP4 file to write")
	f.StringVar(&selector, "timestamps", "SERVER_TIMESTAMP", "which timestamps the range means: SERVER_TIMESTAMP or PRODUCER_TIMESTAMP")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	return cmd
}

// clipPart is one GetClip call: a run of consecutive fragments.
type clipPart struct {
	start, end time.Time
	bytes      int64
}

// planClip splits the range's fragments into GetClip calls within the
// quotas. Fragments are ordered by the selected timestamp; with producer
// timestamps a re-sent fragment (same timestamp) counts once, as GetClip
// keeps only one.
func planClip(fs []fragment, selector string, start, end time.Time) []clipPart {
	ts := func(f fragment) time.Time {
		v := f.ServerTimestamp
		if selector == string(amtypes.ClipFragmentSelectorTypeProducerTimestamp) {
			v = f.ProducerTimestamp
		}
		return time.UnixMilli(int64(v*1000 + 0.5))
	}
	var in []fragment
	for _, f := range fs {
		if t := ts(f); !t.Before(start) && !t.After(end) {
			in = append(in, f)
		}
	}
	sort.SliceStable(in, func(i, j int) bool { return ts(in[i]).Before(ts(in[j])) })
	var parts []clipPart
	n := 0
	for i, f := range in {
		if i > 0 && ts(f).Equal(ts(in[i-1])) {
			continue // one clip call covers every fragment of one timestamp
		}
		p := len(parts) - 1
		if p < 0 || n == clipMaxFragments || parts[p].bytes+f.FragmentSizeInBytes > clipMaxBytes {
			parts = append(parts, clipPart{start: ts(f)})
			p, n = p+1, 0
		}
		parts[p].end = ts(f)
		parts[p].bytes += f.FragmentSizeInBytes
		n++
	}
	return parts
}

func downloadClip(ctx context.Context, g *globalOptions, stream, selector string, start, end time.Time, out string, progress io.Writer) error {
	fs, err := listFragments(ctx, g, stream)
	if err != nil {
		return err
	}
	parts := planClip(fs, selector, start, end)
	if len(parts) == 0 {
		return fmt.Errorf("%s has no fragments between %s and %s", stream, start.Format(time.RFC3339Nano), end.Format(time.RFC3339Nano))
	}
	client, err := archivedMediaClient(ctx, g, stream, "GET_CLIP")
	if err != nil {
		return err
	}
	var total int64
	for _, p := range parts {
		total += p.bytes
	}
	bar := progressbar.NewOptions64(total, progressbar.OptionSetWriter(progress), progressbar.OptionShowBytes(true),
		progressbar.OptionSetDescription(fmt.Sprintf("clip %s (%d GetClip calls)", stream, len(parts))),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(progress) }))
	file, err := os.Create(out)
	if err != nil {
		return err
	}
	st := &stitcher{w: file}
	for i, p := range parts {
		data, err := getClip(ctx, client, stream, selector, p, bar)
		if err != nil {
			file.Close()
			return err
		}
		if err := st.add(data); err != nil {
			file.Close()
			return fmt.Errorf("clip %d of %d: %w", i+1, len(parts), err)
		}
	}
	_ = bar.Finish()
	return file.Close()
}

// getClip fetches one part, counting its bytes on the progress bar.
func getClip(ctx context.Context, client *am.Client, stream, selector string, p clipPart, bar *progressbar.ProgressBar) ([]byte, error) {
	res, err := client.GetClip(ctx, &am.GetClipInput{StreamName: aws.String(stream),
		ClipFragmentSelector: &amtypes.ClipFragmentSelector{FragmentSelectorType: amtypes.ClipFragmentSelectorType(selector),
			TimestampRange: &amtypes.ClipTimestampRange{StartTimestamp: aws.Time(p.start), EndTimestamp: aws.Time(p.end)}}})
	if err != nil {
		return nil, fmt.Errorf("GetClip %s %s..%s: %w", stream, p.start.Format(time.RFC3339Nano), p.end.Format(time.RFC3339Nano), err)
	}
	defer res.Payload.Close()
	var b bytes.Buffer
	// The bar counts fragment bytes; MP4 bytes differ a little.
	_, err = io.Copy(&b, io.TeeReader(res.Payload, &capped{bar: bar, left: p.bytes}))
	return b.Bytes(), err
}

// capped adds at most left bytes to the bar, so each part advances it by
// its share however large its MP4 turns out.
type capped struct {
	bar  *progressbar.ProgressBar
	left int64
}

func (c *capped) Write(p []byte) (int, error) {
	n := min(int64(len(p)), c.left)
	c.left -= n
	_ = c.bar.Add64(n)
	return len(p), nil
}

// stitcher joins progressive MP4 clips into one fragmented MP4: the init
// segment from the first clip's sample descriptions, then one movie
// fragment per clip whose decode times continue the previous clip's.
// Rewriting the sample tables of one progressive file would need every
// clip before writing the moov; fragments stream.
type stitcher struct {
	w    io.Writer
	next []uint64 // per track: decode time where the next clip starts
	seq  uint32
}

func (s *stitcher) add(data []byte) error {
	f, err := mp4.DecodeFile(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("parse MP4: %w", err)
	}
	if f.Moov == nil || len(f.Moov.Traks) == 0 {
		return fmt.Errorf("the clip has no tracks")
	}
	traks := f.Moov.Traks
	if s.next == nil {
		if err := s.writeInit(traks); err != nil {
			return err
		}
	} else if len(traks) != len(s.next) {
		return fmt.Errorf("the clip has %d tracks, the first had %d", len(traks), len(s.next))
	}
	ids := make([]uint32, len(traks))
	for i := range ids {
		ids[i] = uint32(i + 1)
	}
	s.seq++
	frag, err := mp4.CreateMultiTrackFragment(s.seq, ids)
	if err != nil {
		return err
	}
	for i, trak := range traks {
		end, err := addSamples(frag, ids[i], trak, data, s.next[i])
		if err != nil {
			return err
		}
		s.next[i] = end
	}
	return frag.Encode(s.w)
}

func (s *stitcher) writeInit(traks []*mp4.TrakBox) error {
	init := mp4.CreateEmptyInit()
	for _, t := range traks {
		kind := "video"
		if t.Mdia.Hdlr.HandlerType == "soun" {
			kind = "audio"
		}
		out := init.AddEmptyTrack(t.Mdia.Mdhd.Timescale, kind, "und")
		out.Mdia.Minf.Stbl.Stsd.AddChild(t.Mdia.Minf.Stbl.Stsd.Children[0])
		out.Tkhd.Width, out.Tkhd.Height = t.Tkhd.Width, t.Tkhd.Height
	}
	s.next = make([]uint64, len(traks))
	return init.Encode(s.w)
}

// addSamples adds every sample of trak, read from the clip's bytes, with
// decode times from base, and returns where they end.
func addSamples(frag *mp4.Fragment, id uint32, trak *mp4.TrakBox, data []byte, base uint64) (uint64, error) {
	stbl := trak.Mdia.Minf.Stbl
	n := int(stbl.Stsz.SampleNumber)
	chunk, pos := -1, uint64(0)
	end := base
	for nr := 1; nr <= n; nr++ {
		c, first, err := stbl.Stsc.ChunkNrFromSampleNr(nr)
		if err != nil {
			return 0, err
		}
		if c != chunk {
			chunk = c
			if stbl.Stco != nil {
				pos, err = stbl.Stco.GetOffset(c)
			} else {
				pos, err = stbl.Co64.GetOffset(c)
			}
			if err != nil {
				return 0, err
			}
			for k := first; k < nr; k++ {
				pos += uint64(stbl.Stsz.GetSampleSize(k))
			}
		}
		size := uint64(stbl.Stsz.GetSampleSize(nr))
		if pos+size > uint64(len(data)) {
			return 0, fmt.Errorf("sample %d of track %d lies outside the file", nr, id)
		}
		dec, dur := stbl.Stts.GetDecodeTime(uint32(nr))
		flags := mp4.SyncSampleFlags
		if stbl.Stss != nil && !stbl.Stss.IsSyncSample(uint32(nr)) {
			flags = mp4.NonSyncSampleFlags
		}
		var cto int32
		if stbl.Ctts != nil {
			cto = stbl.Ctts.GetCompositionTimeOffset(uint32(nr))
		}
		fs := mp4.FullSample{Sample: mp4.Sample{Flags: flags, Dur: dur, Size: uint32(size), CompositionTimeOffset: cto},
			DecodeTime: base + dec, Data: data[pos : pos+size]}
		if err := frag.AddFullSampleToTrack(fs, id); err != nil {
			return 0, err
		}
		pos += size
		end = base + dec + uint64(dur)
	}
	return end, nil
}
