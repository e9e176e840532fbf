package parser

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strconv"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/require"
)

// wantChunk is what the dumps under fixtures/kvs-real/dumps say about one
// chunk. millis -1 means absent; frames counts the SimpleBlocks the dump
// lists, including a cut-off last one.
type wantChunk struct {
	fn, server, producer string
	millis               int64
	frames               int
	clusterTS            int64
	headerTags, tags     int
}

// fixtureCase is one real GetMedia capture.
type fixtureCase struct {
	file      string
	codecID   string
	width     uint64
	height    uint64
	truncated bool // the last chunk is cut off
	cutFrames int  // frames of the last chunk that are whole
	unexpEOF  bool // the cut is inside an element
	chunks    []wantChunk
}

// fixtureCases hold the values read from the *.outline.txt dumps.
var fixtureCases = []fixtureCase{
	{
		file: "output_get_media.mkv", codecID: "V_MPEG4/ISO/AVC", width: 640, height: 360,
		chunks: []wantChunk{
			{fn: "91343852333181432392682062607743920146159169392", server: "1511852109.126", producer: "1511852108.513", millis: 15858, frames: 60, clusterTS: 0, headerTags: 7, tags: 0},
			{fn: "91343852333181432397633822764885441725874549018", server: "1511852110.915", producer: "1511852110.513", millis: 14155, frames: 60, clusterTS: 2000, headerTags: 7, tags: 0},
			{fn: "91343852333181432402585582922026963247510532162", server: "1511852112.487", producer: "1511852112.513", millis: 12940, frames: 60, clusterTS: 4000, headerTags: 7, tags: 0},
			{fn: "91343852333181432407537343079168484595829378270", server: "1511852113.414", producer: "1511852114.513", millis: 12414, frames: 60, clusterTS: 6000, headerTags: 7, tags: 0},
			{fn: "91343852333181432412489103236310005892133364608", server: "1511852114.147", producer: "1511852116.513", millis: 12093, frames: 60, clusterTS: 8000, headerTags: 7, tags: 0},
		},
	},
	{
		file: "kinesis_video_renderer_example_output.mkv", codecID: "V_MPEG4/ISO/AVC", width: 640, height: 480,
		chunks: []wantChunk{
			{fn: "91343852333181432392682062609776234230823574155", server: "1519423069.070", producer: "1519423067.997", millis: 7336747, frames: 59, clusterTS: 0},
			{fn: "91343852333181432397633822766917755336254238380", server: "1519423069.091", producer: "1519423069.996", millis: 7336858, frames: 59, clusterTS: 1999},
			{fn: "91343852333181432402585582924059276442495538010", server: "1519423069.116", producer: "1519423071.996", millis: 7336941, frames: 59, clusterTS: 3999},
			{fn: "91343852333181432407537343081200797550166190101", server: "1519423069.146", producer: "1519423073.995", millis: 7337034, frames: 59, clusterTS: 5998},
			{fn: "91343852333181432412489103238342318653675228707", server: "1519423069.161", producer: "1519423075.995", millis: 7337313, frames: 59, clusterTS: 7998},
			{fn: "91343852333181432417440863395483839757491686017", server: "1519423069.176", producer: "1519423077.995", millis: 7337410, frames: 59, clusterTS: 9998},
			{fn: "91343852333181432422392623552625360860731813472", server: "1519423069.190", producer: "1519423079.994", millis: 7337494, frames: 59, clusterTS: 11997},
			{fn: "91343852333181432427344383709766881962776549716", server: "1519423069.199", producer: "1519423081.994", millis: 7337577, frames: 31, clusterTS: 13997},
		},
	},
	{
		file: "test_mixed_tags.mkv", codecID: "V_MS/VFW/FOURCC", width: 640, height: 480,
		chunks: []wantChunk{
			{fn: "91343852333713038908964877623801423530396737899", server: "1537574915.281", producer: "0.000", millis: 910, frames: 10, clusterTS: 0, headerTags: 5, tags: 5},
			{fn: "91343852333713038913916637780942944683031040297", server: "1537574915.478", producer: "5.000", millis: 723, frames: 10, clusterTS: 5000, headerTags: 0, tags: 5},
			{fn: "91343852333713038918868397938084465802887066670", server: "1537574915.554", producer: "10.000", millis: 658, frames: 10, clusterTS: 10000, headerTags: 0, tags: 5},
			{fn: "91343852333713038923820158095225986915711326403", server: "1537574915.603", producer: "15.000", millis: 633, frames: 10, clusterTS: 15000, headerTags: 0, tags: 5},
			{fn: "91343852333713038928771918252367508026640589178", server: "1537574915.645", producer: "20.000", millis: 609, frames: 10, clusterTS: 20000, headerTags: 0, tags: 5},
			{fn: "91343852333713038933723678409509029132346185461", server: "1537574915.668", producer: "25.000", millis: 602, frames: 10, clusterTS: 25000, headerTags: 0, tags: 5},
			{fn: "91343852333713038938675438566650550295562402559", server: "1537574915.905", producer: "30.000", millis: 377, frames: 10, clusterTS: 30000, headerTags: 0, tags: 5},
			{fn: "91343852333713038943627198723792071401813780459", server: "1537574915.930", producer: "35.000", millis: 395, frames: 10, clusterTS: 35000, headerTags: 0, tags: 5},
			{fn: "91343852333713038948578958880933592508004495778", server: "1537574915.955", producer: "40.000", millis: 385, frames: 10, clusterTS: 40000, headerTags: 0, tags: 5},
			{fn: "91343852333713038953530719038075113645398559869", server: "1537574916.095", producer: "45.000", millis: 274, frames: 10, clusterTS: 45000, headerTags: 0, tags: 5},
		},
	},
	{
		file: "output-get-media-equal-timecode.mkv", codecID: "V_MPEG4/ISO/AVC", width: 1280, height: 674,
		truncated: true, cutFrames: 119, unexpEOF: true,
		chunks: []wantChunk{
			{fn: "91343852338381417542203754135250098963782391502", server: "1519074132.668", producer: "1518814932.515", millis: 909335, frames: 120, clusterTS: 0, headerTags: 7, tags: 0},
			{fn: "91343852338381422498915671433912930725530893291", server: "1519074918.949", producer: "1518815718.647", millis: -1, frames: 120, clusterTS: 0, headerTags: 7, tags: 0},
		},
	},
	{
		file: "output-get-media-non-increasing-timecode.mkv", codecID: "V_MPEG4/ISO/AVC", width: 960, height: 720,
		truncated: true, cutFrames: 28, unexpEOF: true,
		chunks: []wantChunk{
			{fn: "91343852338381293673923423239754896920603583280", server: "1517789296.298", producer: "1517530105.907", millis: 1483915, frames: 30, clusterTS: 10014, headerTags: 0, tags: 54},
			{fn: "91343852338381298581117738967002310959581833860", server: "1517789312.462", producer: "1517530112.387", millis: 1468004, frames: 30, clusterTS: 0},
			{fn: "91343852338381298586069499124143832064522347461", server: "1517789312.482", producer: "1517530113.388", millis: 1468092, frames: 30, clusterTS: 1001},
			{fn: "91343852338381298591021259281285353167411810240", server: "1517789312.494", producer: "1517530114.390", millis: 1468156, frames: 30, clusterTS: 2003},
			{fn: "91343852338381298595973019438426874278919130790", server: "1517789312.538", producer: "1517530115.391", millis: 1468249, frames: 30, clusterTS: 3004},
			{fn: "91343852338381298600924779595568395381773541972", server: "1517789312.551", producer: "1517530116.392", millis: 1468334, frames: 30, clusterTS: 4005},
			{fn: "91343852338381298605876539752709916486567964627", server: "1517789312.570", producer: "1517530117.394", millis: 1468394, frames: 30, clusterTS: 5007},
			{fn: "91343852338381298610828299909851437589062773285", server: "1517789312.581", producer: "1517530118.395", millis: 1468491, frames: 30, clusterTS: 6008},
			{fn: "91343852338381298615780060066992958691570573719", server: "1517789312.592", producer: "1517530119.397", millis: 1468593, frames: 30, clusterTS: 7010},
			{fn: "91343852338381298620731820224134479800643425492", server: "1517789312.627", producer: "1517530120.398", millis: 1468654, frames: 30, clusterTS: 8011},
			{fn: "91343852338381298625683580381276000903592396386", server: "1517789312.639", producer: "1517530121.399", millis: 1468751, frames: 30, clusterTS: 9012},
			{fn: "91343852338381298630635340538417522006416018997", server: "1517789312.651", producer: "1517530122.401", millis: -1, frames: 29, clusterTS: 10014},
		},
	},
	{
		file: "empty-mkv-with-tags.mkv", codecID: "V_MPEG4/ISO/AVC", width: 960, height: 720,
		truncated: true, cutFrames: 0,
		chunks: []wantChunk{
			{fn: "91343852338378294813695855977007281634605393997", server: "1516124526.822", producer: "1515865326.543", millis: -1, frames: 0, clusterTS: -1},
		},
	},
}

// gotChunk records what a Handler saw of one chunk.
type gotChunk struct {
	chunk          *Chunk
	frames         int
	firstClusterTS uint64
	keyframeFirst  bool
	ended          bool
}

// collect walks src and records every chunk.
func collect(src io.Reader, opts Options) ([]*gotChunk, error) {
	var got []*gotChunk
	err := NewReader(src, opts).Walk(Handler{
		ChunkStart: func(c *Chunk) error {
			got = append(got, &gotChunk{chunk: c})
			return nil
		},
		Frame: func(c *Chunk, f *Frame) error {
			g := got[len(got)-1]
			if g.chunk != c {
				return errors.New("frame of another chunk")
			}
			if f.Index != g.frames {
				return errors.New("frame index out of order")
			}
			if g.frames == 0 {
				g.firstClusterTS, g.keyframeFirst = f.ClusterTimestamp, f.Keyframe
			}
			want := time.Duration(int64(f.ClusterTimestamp)+int64(f.BlockTimestamp)) * time.Duration(c.TimestampScale())
			if f.Timestamp != want || len(f.Data) == 0 || f.Track != 1 {
				return errors.New("bad frame")
			}
			g.frames++
			return nil
		},
		ChunkEnd: func(c *Chunk) error {
			g := got[len(got)-1]
			if g.chunk != c || !c.Complete || c.Frames != g.frames {
				return errors.New("chunk end does not match its start")
			}
			g.ended = true
			return nil
		},
	})
	return got, err
}

// epochMillis turns "1511852109.126" into milliseconds without parseSeconds.
func epochMillis(t *testing.T, s string) int64 {
	f, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err)
	return int64(math.Round(f * 1000))
}

// TestRealGetMediaFixtures reads every real GetMedia capture and checks each
// chunk against the dumps.
func TestRealGetMediaFixtures(t *testing.T) {
	for _, tc := range fixtureCases {
		t.Run(tc.file, func(t *testing.T) {
			data := readFixture(t, parserLib+"/"+tc.file)
			readers := map[string]io.Reader{"whole": bytes.NewReader(data)}
			if len(data) < 64<<10 {
				readers["one-byte"] = iotest.OneByteReader(bytes.NewReader(data))
			} else {
				readers["half"] = iotest.HalfReader(bytes.NewReader(data))
			}
			for name, src := range readers {
				t.Run(name, func(t *testing.T) {
					got, err := collect(src, Options{})
					checkFixture(t, tc, got, err)
				})
			}
		})
	}
}

func checkFixture(t *testing.T, tc fixtureCase, got []*gotChunk, err error) {
	t.Helper()
	if tc.truncated {
		require.ErrorIs(t, err, ErrTruncated)
		require.Equal(t, tc.unexpEOF, errors.Is(err, io.ErrUnexpectedEOF), "%v", err)
	} else {
		require.NoError(t, err)
	}
	require.Len(t, got, len(tc.chunks))
	for i, want := range tc.chunks {
		g, c := got[i], got[i].chunk
		last := i == len(tc.chunks)-1
		complete := !(tc.truncated && last)
		require.Equal(t, i, c.Index)
		require.Equal(t, want.fn, c.FragmentNumber, "chunk %d", i)
		require.Equal(t, epochMillis(t, want.server), c.ServerTimestamp.UnixMilli(), "chunk %d", i)
		require.Equal(t, epochMillis(t, want.producer), c.ProducerTimestamp.UnixMilli(), "chunk %d", i)
		require.Equal(t, complete, g.ended, "chunk %d", i)
		require.Equal(t, complete, c.Complete, "chunk %d", i)
		if complete {
			require.Equal(t, want.fn, c.ContinuationToken, "chunk %d: token equals the fragment number", i)
			require.True(t, c.HasBehindNow)
			require.Equal(t, time.Duration(want.millis)*time.Millisecond, c.BehindNow)
			require.Equal(t, want.frames, g.frames, "chunk %d", i)
			require.Len(t, c.KVSTags, 5)
		} else {
			require.Empty(t, c.ContinuationToken)
			require.False(t, c.HasBehindNow)
			require.Equal(t, tc.cutFrames, g.frames, "chunk %d", i)
			require.Len(t, c.KVSTags, 3)
		}
		if g.frames > 0 {
			require.EqualValues(t, want.clusterTS, g.firstClusterTS)
			require.True(t, g.keyframeFirst, "the first frame of a fragment is a key frame")
		}
		require.Len(t, c.HeaderTags, want.headerTags, "chunk %d", i)
		require.Len(t, c.Tags, want.tags, "chunk %d", i)
		require.Len(t, c.Tracks, 1)
		tr := c.Tracks[0]
		require.EqualValues(t, 1, tr.Number)
		require.EqualValues(t, 1, tr.Type)
		require.Equal(t, tc.codecID, tr.CodecID)
		require.NotNil(t, tr.Video)
		require.Equal(t, tc.width, tr.Video.PixelWidth)
		require.Equal(t, tc.height, tr.Video.PixelHeight)
		require.EqualValues(t, 1_000_000, c.TimestampScale())
	}
}

// TestMixedTagsValues checks the producer tags' names and values.
func TestMixedTagsValues(t *testing.T) {
	got, err := collect(bytes.NewReader(readFixture(t, parserLib+"/test_mixed_tags.mkv")), Options{})
	require.NoError(t, err)
	for _, g := range got {
		for j, st := range g.chunk.Tags {
			name := "testTag_" + strconv.Itoa(j)
			require.Equal(t, name, st.Name)
			require.Equal(t, name+"_Value", st.String)
		}
		v, ok := g.chunk.Tag("testTag_3")
		require.True(t, ok)
		require.Equal(t, "testTag_3_Value", v)
	}
	require.Equal(t, "testTag_0", got[0].chunk.HeaderTags[0].Name)
	require.Equal(t, "test track", got[0].chunk.Tracks[0].Name)
	require.Equal(t, "Kinesis Video SDK", got[0].chunk.Info.Title)
	// Identical Tracks octets are decoded once and shared.
	require.Equal(t, &got[1].chunk.Tracks[0], &got[2].chunk.Tracks[0])
}
