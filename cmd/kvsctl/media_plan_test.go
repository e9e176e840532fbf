package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/kvsdtest"
	"github.com/openkvs/openkvs/mkv"
	"github.com/openkvs/openkvs/parser"
	"github.com/openkvs/openkvs/producer"
)

// testSource is a synthetic stream: a key frame every gop frames, frame i
// of size 100+i%7 octets (AVCC, one slice NAL unit).
func testSource(t testing.TB, frames, gop int) *mediaSource {
	t.Helper()
	cp, err := producer.H264CodecPrivate([][]byte{unhex(t, x264SPS)}, [][]byte{unhex(t, x264PPS)})
	require.NoError(t, err)
	src := &mediaSource{Description: "test", CodecPrivate: cp, Width: 640, Height: 360}
	for i := range frames {
		nal := bytes.Repeat([]byte{byte(i)}, 100+i%7-avccLengthSize)
		nal[0] = 0x41
		key := i%gop == 0
		if key {
			nal[0] = 0x65
		}
		src.Frames = append(src.Frames, sourceFrame{Data: appendAVCC(nil, [][]byte{nal}), Key: key})
	}
	return src
}

// nalTypes lists the NAL unit types of an AVCC frame.
func nalTypes(t testing.TB, frame []byte) []int {
	t.Helper()
	nals, err := avccUnits(frame)
	require.NoError(t, err)
	var out []int
	for _, n := range nals {
		out = append(out, int(n[0]&0x1f))
	}
	return out
}

func TestResizeFrame(t *testing.T) {
	frame := appendAVCC(nil, [][]byte{{0x09, 0xf0}, bytes.Repeat([]byte{0x65}, 100)}) // 6 + 104 octets
	tests := []struct {
		name                    string
		want                    int
		wantLen                 int
		padded, trimmed         bool
		wantTypes               []int
		wantLastNALUnitNotEmpty bool
	}{
		{name: "exact", want: 110, wantLen: 110, wantTypes: []int{9, 5}},
		{name: "too close to pad", want: 115, wantLen: 110, wantTypes: []int{9, 5}},
		{name: "smallest filler", want: 116, wantLen: 116, padded: true, wantTypes: []int{9, 5, 12}},
		{name: "big filler", want: 10_000, wantLen: 10_000, padded: true, wantTypes: []int{9, 5, 12}},
		{name: "trim", want: 60, wantLen: 60, trimmed: true, wantTypes: []int{9, 5}},
		{name: "trim stops at the kept payload", want: 1, wantLen: 6 + 4 + trimKeep, trimmed: true, wantTypes: []int{9, 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, padded, trimmed := resizeFrame(frame, tc.want)
			require.Len(t, out, tc.wantLen)
			require.Equal(t, tc.padded, padded)
			require.Equal(t, tc.trimmed, trimmed)
			require.Equal(t, tc.wantTypes, nalTypes(t, out))
			if padded {
				nals, _ := avccUnits(out)
				filler := nals[len(nals)-1]
				require.Equal(t, byte(0x80), filler[len(filler)-1], "rbsp_trailing_bits")
				for _, c := range filler[1 : len(filler)-1] {
					require.Equal(t, byte(0xff), c)
				}
			}
		})
	}
	require.Equal(t, 110, len(frame), "the input is not modified")
}

func TestMediaPlan(t *testing.T) {
	tests := []struct {
		name                 string
		frames, gop          int
		fps, perFrag, total  int
		bitrate              int64
		wantFragments        int
		wantTemplates        int
		wantLastFragFrames   int
		wantTrimmed, wantPad bool
	}{
		{name: "padding", frames: 100, gop: 25, fps: 25, perFrag: 25, total: 250, bitrate: 2_000_000,
			wantFragments: 10, wantTemplates: 4, wantLastFragFrames: 25, wantPad: true},
		{name: "trimming", frames: 100, gop: 25, fps: 25, perFrag: 25, total: 60, bitrate: 8_000,
			wantFragments: 3, wantTemplates: 3, wantLastFragFrames: 10, wantTrimmed: true},
		{name: "source shorter than a fragment", frames: 10, gop: 10, fps: 25, perFrag: 25, total: 75, bitrate: 1_000_000,
			wantFragments: 3, wantTemplates: 1, wantLastFragFrames: 25, wantPad: true},
		{name: "GOP longer than a fragment", frames: 100, gop: 50, fps: 25, perFrag: 10, total: 100, bitrate: 1_000_000,
			wantFragments: 10, wantTemplates: 2, wantLastFragFrames: 10, wantPad: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := testSource(t, tc.frames, tc.gop)
			p, err := newMediaPlan(src, tc.fps, tc.perFrag, tc.total, tc.bitrate)
			require.NoError(t, err)
			require.Equal(t, tc.wantFragments, p.numFragments())
			require.Len(t, p.templates, tc.wantTemplates)
			require.Equal(t, tc.wantPad, p.padded > 0)
			require.Equal(t, tc.wantTrimmed, p.trimmed > 0)
			require.Equal(t, tc.bitrate*int64(tc.perFrag)/int64(tc.fps)/8, p.fragmentBytes)
			frames := 0
			for k := range p.numFragments() {
				f := p.fragment(k)
				frames += len(f)
				require.True(t, f[0].Key, "fragment %d starts with a key frame", k)
				require.Equal(t, []int{5}, nalTypes(t, f[0].Data)[:1], "fragment %d starts with an IDR", k)
				if len(f) == tc.perFrag {
					var size int64
					for _, fr := range f {
						size += int64(len(fr.Data))
					}
					if p.trimmed == 0 {
						require.Equal(t, p.fragmentBytes, size, "fragment %d carries the bitrate exactly", k)
					} else {
						require.LessOrEqual(t, size-p.fragmentBytes, int64(tc.perFrag*(trimKeep+avccLengthSize)))
					}
				}
			}
			require.Equal(t, tc.total, frames)
			require.Len(t, p.fragment(p.numFragments()-1), tc.wantLastFragFrames)
		})
	}

	_, err := newMediaPlan(&mediaSource{Frames: []sourceFrame{{Data: []byte{0, 0, 0, 1, 0x41}}}}, 25, 25, 25, 1000)
	require.ErrorContains(t, err, "no key frame")
}

func TestMediaPlanTiming(t *testing.T) {
	p := &mediaPlan{fps: 30, framesPerFragment: 30}
	require.Equal(t, int64(33), p.frameMS(1))
	require.Equal(t, int64(1000), p.frameMS(30))
	require.Equal(t, time.Second, p.fragmentDuration())
	require.Equal(t, 33333333*time.Nanosecond, p.frameOffset(1))
}

// captureTransport copies every request body that goes through it.
type captureTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	body bytes.Buffer
}

func (c *captureTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r2 := req.Clone(req.Context())
	r2.Body = &captureBody{rc: req.Body, c: c}
	return c.base.RoundTrip(r2)
}

type captureBody struct {
	rc io.ReadCloser
	c  *captureTransport
}

func (b *captureBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.c.mu.Lock()
	b.c.body.Write(p[:n])
	b.c.mu.Unlock()
	return n, err
}

func (b *captureBody) Close() error { return b.rc.Close() }

// sendPlan uploads the plan on one stream of a fresh kvsd, as a bench run
// does, and returns the stream's record and the PutMedia body that went
// out.
func sendPlan(t *testing.T, src *mediaSource, plan *mediaPlan, origin time.Time) (*streamRun, []byte) {
	t.Helper()
	srv := kvsdtest.Start(t)
	run := newStreamRun("s")
	capture := &captureTransport{base: benchTransport(false)}
	tap := &tapTransport{base: capture, streams: map[string]*streamRun{run.name: run}}
	p, err := producer.New(srv.AWSConfig(), producer.Options{Endpoint: srv.URL, HTTPClient: &http.Client{Transport: tap}})
	require.NoError(t, err)
	run.stream, err = p.NewStream(t.Context(), run.definition(src, plan, origin, 1))
	require.NoError(t, err)
	require.NoError(t, run.send(t.Context(), plan, origin, 0, true))
	require.NoError(t, run.stream.Close(t.Context()))
	run.metrics = run.stream.Metrics()
	capture.mu.Lock()
	defer capture.mu.Unlock()
	return run, bytes.Clone(capture.body.Bytes())
}

// TestStreamBody checks the PutMedia body a bench stream sends through the
// producer library: the producer SDK's layout, absolute timecodes, key
// frames first, an END_OF_FRAGMENT tag after each Cluster, the plan's
// frames unchanged; and that the body tap and the acks found every
// fragment.
func TestStreamBody(t *testing.T) {
	src := testSource(t, 100, 25)
	p, err := newMediaPlan(src, 25, 25, 60, 2_000_000)
	require.NoError(t, err)
	origin := time.UnixMilli(time.Now().UnixMilli())
	run, raw := sendPlan(t, src, p, origin)
	require.Len(t, run.frags, 3)
	require.Equal(t, uint64(3), run.metrics.FragmentsPut)
	for i, f := range run.frags {
		require.Equal(t, origin.UnixMilli()+int64(i)*1000, f.timecode)
		require.False(t, f.firstByte.IsZero(), "fragment %d: first octet seen", i)
		require.False(t, f.lastByte.IsZero(), "fragment %d: last octet seen", i)
		require.False(t, f.lastByte.Before(f.firstByte))
		require.Equal(t, 1, f.sends)
		require.False(t, f.lastFrameIn.IsZero())
		require.False(t, f.buffering.IsZero())
		require.False(t, f.received.IsZero())
		require.Equal(t, 1, f.persistedCount)
		require.NotEmpty(t, f.number)
	}
	require.Zero(t, run.unmatched)
	require.Equal(t, int64(len(raw)), run.bytes, "the tap counts every body octet")

	// The producer SDK's 1-octet unknown sizes of Segment and Cluster.
	require.True(t, bytes.Contains(raw, []byte{0x18, 0x53, 0x80, 0x67, 0xff}))
	require.Equal(t, 3, bytes.Count(raw, []byte{0x1f, 0x43, 0xb6, 0x75, 0xff}))
	r := mkv.NewReader(bytes.NewReader(raw), mkv.ReaderOptions{})
	var (
		events    []string
		clusterTS []uint64
		blocks    int
		keys      []int
		frameData int64
	)
	for {
		kind, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		switch kind {
		case mkv.KindSegment:
			require.True(t, r.Element().UnknownSize())
			events = append(events, "segment")
		case mkv.KindInfo:
			info, err := r.Info()
			require.NoError(t, err)
			require.Equal(t, uint64(1_000_000), info.TimestampScale)
			events = append(events, "info")
		case mkv.KindTracks:
			tr, err := r.Tracks()
			require.NoError(t, err)
			e, ok := tr.Track(1)
			require.True(t, ok)
			require.Equal(t, producer.CodecH264, e.CodecID)
			require.Equal(t, src.CodecPrivate, e.CodecPrivate)
			require.Equal(t, uint64(640), e.Video.PixelWidth)
			events = append(events, "tracks")
		case mkv.KindCluster:
			require.True(t, r.Element().UnknownSize())
			events = append(events, "cluster")
		case mkv.KindClusterTimestamp:
			clusterTS = append(clusterTS, r.ClusterTimestamp())
		case mkv.KindBlock:
			b := r.Block()
			require.Equal(t, uint64(1), b.Track)
			if b.Keyframe() {
				keys = append(keys, blocks)
				require.Equal(t, int16(0), b.Timestamp, "the key frame opens the cluster")
			}
			frameData += int64(len(b.Payload))
			blocks++
		case mkv.KindTags:
			tags, err := r.Tags()
			require.NoError(t, err)
			_, ok := tags.Find(mkv.TagEndOfFragment)
			require.True(t, ok)
			events = append(events, "eof")
		}
	}
	require.Equal(t, []string{"segment", "info", "tracks", "cluster", "eof", "cluster", "eof", "cluster", "eof"}, events)
	o := uint64(origin.UnixMilli())
	require.Equal(t, []uint64{o, o + 1000, o + 2000}, clusterTS)
	require.Equal(t, 60, blocks)
	require.Equal(t, []int{0, 25, 50}, keys)
	require.Equal(t, sum(p.fragment(0))+sum(p.fragment(1))+sum(p.fragment(2)), frameData)
	require.Equal(t, 2*p.fragmentBytes, frameData-sum(p.fragment(2)), "two full fragments at the bitrate")
}

// TestStreamBodyDecodes feeds a body made from ffmpeg's own frames, padded
// to a higher bitrate, to ffprobe: every frame must decode.
func TestStreamBodyDecodes(t *testing.T) {
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Skip("ffprobe is not installed")
	}
	src, err := generateSource(t.Context(), 25, 25, 2, 500_000)
	require.NoError(t, err)
	p, err := newMediaPlan(src, 25, 25, 75, 4_000_000)
	require.NoError(t, err)
	require.Positive(t, p.padded)
	require.Zero(t, p.trimmed)
	_, body := sendPlan(t, src, p, time.Now())

	cmd := exec.CommandContext(t.Context(), "ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "csv=p=0", "-i", "pipe:0")
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	require.Equal(t, "h264,640,360,75", string(bytes.TrimSpace(out)))
	require.Empty(t, stderr.String(), "ffprobe reports no decoding errors")
}

func TestAVCCFillerLength(t *testing.T) {
	out, padded, _ := resizeFrame(appendAVCC(nil, [][]byte{{0x65, 1}}), 6+6)
	require.True(t, padded)
	require.Equal(t, uint32(2), binary.BigEndian.Uint32(out[6:]))
	require.Equal(t, []byte{0x0c, 0x80}, out[10:])
}

func sum(frames []planFrame) int64 {
	var n int64
	for _, f := range frames {
		n += int64(len(f.Data))
	}
	return n
}

// appendAVCC appends the NAL units in AVCC form, each after its length as a
// 4-octet big-endian integer.
func appendAVCC(dst []byte, nals [][]byte) []byte {
	for _, nal := range nals {
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(nal)))
		dst = append(dst, nal...)
	}
	return dst
}

// avccUnits returns the NAL units of an AVCC frame with 4-octet lengths.
func avccUnits(frame []byte) ([][]byte, error) {
	var nals [][]byte
	for nal, err := range parser.AVCCUnits(frame, avccLengthSize) {
		if err != nil {
			return nil, err
		}
		nals = append(nals, nal)
	}
	return nals, nil
}
