package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/kvsdtest"
	"github.com/openkvs/openkvs/mkv"
)

// ingestClusters sends n one-second fragments (producer timestamps
// 1,000,000 + i*1000 ms) with a metadata tag each, and waits until all are
// persisted.
func ingestClusters(t *testing.T, srv *kvsdtest.Server, stream string, n int) {
	t.Helper()
	b := kvsdtest.NewBody(t)
	for i := range n {
		b.Cluster(uint64(1_000_000+i*1000), kvsdtest.Video(3, 500+i), map[string]string{"seq": fmt.Sprint(i)}, false)
	}
	conn := srv.PutMedia(t, kvsdtest.PutMediaHeaders(stream), b.Bytes())
	conn.Close()
	requireAllPersisted(t, conn.Until(ackWait, never), n)
}

// chunkInfo is what one GetMedia chunk holds, read back with mkv.Reader.
type chunkInfo struct {
	tags     map[string]string // the AWS_KINESISVIDEO_* tags
	producer []string          // producer metadata tag names
	frames   int
	sizes    []int // payload size of each block
	timecode uint64
	// layout is the sequence of element kinds of the chunk, with the size
	// width of KVS tags, e.g. "EBML Segment(8,unknown) Info Tracks KVSTags Cluster ..."
	layout []string
}

// readChunks splits GetMedia output into chunks at each EBML header.
func readChunks(t *testing.T, body []byte) []chunkInfo {
	t.Helper()
	r := mkv.NewReader(bytes.NewReader(body), mkv.ReaderOptions{})
	var out []chunkInfo
	var cur *chunkInfo
	for {
		kind, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		switch kind {
		case mkv.KindEBMLHeader:
			out = append(out, chunkInfo{tags: map[string]string{}})
			cur = &out[len(out)-1]
			cur.layout = append(cur.layout, "EBML")
		case mkv.KindSegment:
			el := r.Element()
			cur.layout = append(cur.layout, fmt.Sprintf("Segment(%d,unknown=%v)", el.SizeLen, el.UnknownSize()))
		case mkv.KindInfo, mkv.KindTracks, mkv.KindCluster:
			cur.layout = append(cur.layout, kind.String())
		case mkv.KindClusterTimestamp:
			cur.timecode = r.ClusterTimestamp()
		case mkv.KindBlock:
			cur.frames++
			cur.sizes = append(cur.sizes, len(r.Block().Payload))
		case mkv.KindTags:
			tags, err := r.Tags()
			require.NoError(t, err)
			kvs := false
			for st := range tags.All() {
				if len(st.Name) > 17 && st.Name[:17] == "AWS_KINESISVIDEO_" {
					cur.tags[st.Name] = st.String
					kvs = true
				} else {
					cur.producer = append(cur.producer, st.Name)
				}
			}
			if kvs {
				cur.layout = append(cur.layout, fmt.Sprintf("KVSTags(size %d)", r.Element().SizeLen))
			} else {
				cur.layout = append(cur.layout, "ProducerTags")
			}
		}
	}
	return out
}

func TestListFragments(t *testing.T) {
	ctx := context.Background()
	srv := kvsdtest.Start(t)
	createStream(t, srv, "list", 1)
	ingestClusters(t, srv, "list", 12)
	c := srv.ArchivedMedia()

	var all []types.Fragment
	p := kinesisvideoarchivedmedia.NewListFragmentsPaginator(c, &kinesisvideoarchivedmedia.ListFragmentsInput{
		StreamName: aws.String("list"), MaxResults: aws.Int64(5)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		require.NoError(t, err)
		pages++
		all = append(all, page.Fragments...)
	}
	require.Equal(t, 3, pages)
	require.Len(t, all, 12)
	for i, f := range all {
		require.Len(t, aws.ToString(f.FragmentNumber), 47)
		require.Equal(t, int64(1_000_000+i*1000), aws.ToTime(f.ProducerTimestamp).UnixMilli())
		require.Equal(t, int64(120), f.FragmentLengthInMilliseconds)
		require.Positive(t, f.FragmentSizeInBytes)
		require.WithinDuration(t, time.Now(), aws.ToTime(f.ServerTimestamp), time.Minute)
		if i > 0 {
			require.Greater(t, aws.ToString(f.FragmentNumber), aws.ToString(all[i-1].FragmentNumber))
		}
	}

	// Producer timestamps 1,002,000..1,005,000 ms: fragments 2 to 5, both
	// ends inclusive.
	out, err := c.ListFragments(ctx, &kinesisvideoarchivedmedia.ListFragmentsInput{
		StreamName: aws.String("list"),
		FragmentSelector: &types.FragmentSelector{FragmentSelectorType: types.FragmentSelectorTypeProducerTimestamp,
			TimestampRange: &types.TimestampRange{StartTimestamp: aws.Time(time.UnixMilli(1_002_000)), EndTimestamp: aws.Time(time.UnixMilli(1_005_000))}},
	})
	require.NoError(t, err)
	require.Len(t, out.Fragments, 4)
	require.Nil(t, out.NextToken)
	require.Equal(t, all[2].FragmentNumber, out.Fragments[0].FragmentNumber)

	out, err = c.ListFragments(ctx, &kinesisvideoarchivedmedia.ListFragmentsInput{
		StreamName: aws.String("list"),
		FragmentSelector: &types.FragmentSelector{FragmentSelectorType: types.FragmentSelectorTypeServerTimestamp,
			TimestampRange: &types.TimestampRange{StartTimestamp: aws.Time(time.Now().Add(-time.Hour)), EndTimestamp: aws.Time(time.Now().Add(time.Hour))}},
	})
	require.NoError(t, err)
	require.Len(t, out.Fragments, 12)

	_, err = c.ListFragments(ctx, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("nope")})
	requireAPIError(t, err, "ResourceNotFoundException", 404)
	_, err = c.ListFragments(ctx, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("list"), MaxResults: aws.Int64(1001)})
	requireAPIError(t, err, "InvalidArgumentException", 400)
	_, err = c.ListFragments(ctx, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("list"), NextToken: aws.String("!!")})
	requireAPIError(t, err, "InvalidArgumentException", 400)

	// ListFragments costs MaxResults of the stream's 10,000 fragment
	// metadata points per second.
	var limited error
	for range 12 {
		if _, err := c.ListFragments(ctx, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("list"), MaxResults: aws.Int64(1000)}); err != nil {
			limited = err
			break
		}
	}
	requireAPIError(t, limited, "ClientLimitExceededException", 400)
}

func TestGetMediaForFragmentList(t *testing.T) {
	ctx := context.Background()
	srv := kvsdtest.Start(t)
	createStream(t, srv, "frag", 1)
	ingestClusters(t, srv, "frag", 4)
	c := srv.ArchivedMedia()
	list, err := c.ListFragments(ctx, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("frag")})
	require.NoError(t, err)
	require.Len(t, list.Fragments, 4)

	want := []string{aws.ToString(list.Fragments[2].FragmentNumber), aws.ToString(list.Fragments[0].FragmentNumber)}
	out, err := c.GetMediaForFragmentList(ctx, &kinesisvideoarchivedmedia.GetMediaForFragmentListInput{
		StreamName: aws.String("frag"), Fragments: want})
	require.NoError(t, err)
	require.Equal(t, "video/webm", aws.ToString(out.ContentType))
	body, err := io.ReadAll(out.Payload)
	require.NoError(t, err)
	chunks := readChunks(t, body)
	require.Len(t, chunks, 2, "one chunk per fragment, in the requested order")
	for i, ch := range chunks {
		require.Equal(t, want[i], ch.tags["AWS_KINESISVIDEO_FRAGMENT_NUMBER"])
		require.NotEmpty(t, ch.tags["AWS_KINESISVIDEO_SERVER_SIDE_TIMESTAMP"])
		require.Equal(t, 3, ch.frames)
		require.Equal(t, []string{"seq"}, ch.producer)
	}
	require.Equal(t, "1002.000", chunks[0].tags["AWS_KINESISVIDEO_PRODUCER_SIDE_TIMESTAMP"])

	_, err = c.GetMediaForFragmentList(ctx, &kinesisvideoarchivedmedia.GetMediaForFragmentListInput{
		StreamName: aws.String("frag"), Fragments: []string{"91343852333000000000000000000000000000000999999"}})
	requireAPIError(t, err, "ResourceNotFoundException", 404)
	_, err = c.GetMediaForFragmentList(ctx, &kinesisvideoarchivedmedia.GetMediaForFragmentListInput{
		StreamName: aws.String("frag"), Fragments: []string{"12a"}})
	requireAPIError(t, err, "InvalidArgumentException", 400)
}

// getMedia calls GetMedia with a raw signed request and returns the body,
// which ends when kvsd has had nothing to send for 3 s.
func getMedia(t *testing.T, srv *kvsdtest.Server, body string) (int, []byte) {
	t.Helper()
	r := srv.Do(t, http.MethodPost, "/getMedia", body, kvsdtest.DefaultSigning(), nil)
	return r.Status, []byte(r.Body)
}

func TestGetMediaSelectorsAndLayout(t *testing.T) {
	srv := kvsdtest.Start(t)
	createStream(t, srv, "gm", 1)
	ingestClusters(t, srv, "gm", 5)
	status, body := getMedia(t, srv, `{"StreamName":"gm","StartSelector":{"StartSelectorType":"EARLIEST"}}`)
	require.Equal(t, 200, status)
	chunks := readChunks(t, body)
	require.Len(t, chunks, 5)
	// The layout of real GetMedia output (shared/fixtures/kvs-real/README.md §2).
	require.Equal(t, []string{"EBML", "Segment(8,unknown=true)", "Info", "Tracks", "KVSTags(size 4)", "Cluster", "ProducerTags", "KVSTags(size 4)"},
		chunks[0].layout)
	for i, ch := range chunks {
		require.Len(t, ch.tags[mkv.TagFragmentNumber], 47)
		require.Equal(t, ch.tags[mkv.TagFragmentNumber], ch.tags[mkv.TagContinuationToken])
		require.Equal(t, fmt.Sprintf("%d.000", 1000+i), ch.tags[mkv.TagProducerTimestamp])
		require.Regexp(t, `^[0-9]+\.[0-9]{3}$`, ch.tags[mkv.TagServerTimestamp])
		require.Regexp(t, `^[0-9]+$`, ch.tags[mkv.TagMillisBehindNow])
		require.Equal(t, uint64(1_000_000+i*1000), ch.timecode, "the cluster as the producer sent it")
		require.Equal(t, 3, ch.frames)
	}
	numbers := func(cs []chunkInfo) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.tags[mkv.TagFragmentNumber])
		}
		return out
	}
	all := numbers(chunks)

	for _, tc := range []struct {
		name, selector string
		want           []string
	}{
		{"FRAGMENT_NUMBER is exclusive", `{"StartSelectorType":"FRAGMENT_NUMBER","AfterFragmentNumber":"` + all[1] + `"}`, all[2:]},
		{"CONTINUATION_TOKEN resumes after the chunk", `{"StartSelectorType":"CONTINUATION_TOKEN","ContinuationToken":"` + all[3] + `"}`, all[4:]},
		{"PRODUCER_TIMESTAMP inside a fragment", `{"StartSelectorType":"PRODUCER_TIMESTAMP","StartTimestamp":1002.05}`, all[2:]},
		{"PRODUCER_TIMESTAMP between fragments", `{"StartSelectorType":"PRODUCER_TIMESTAMP","StartTimestamp":1002.5}`, all[3:]},
		{"SERVER_TIMESTAMP before everything", fmt.Sprintf(`{"StartSelectorType":"SERVER_TIMESTAMP","StartTimestamp":%d}`, time.Now().Add(-time.Hour).Unix()), all},
		{"NOW starts with the newest chunk", `{"StartSelectorType":"NOW"}`, all[4:]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := getMedia(t, srv, `{"StreamName":"gm","StartSelector":`+tc.selector+`}`)
			require.Equal(t, 200, status, string(body))
			require.Equal(t, tc.want, numbers(readChunks(t, body)))
		})
	}

	for _, tc := range []struct{ name, body, code string }{
		{"no selector", `{"StreamName":"gm"}`, "InvalidArgumentException"},
		{"bad type", `{"StreamName":"gm","StartSelector":{"StartSelectorType":"LATER"}}`, "InvalidArgumentException"},
		{"fragment number missing", `{"StreamName":"gm","StartSelector":{"StartSelectorType":"FRAGMENT_NUMBER"}}`, "InvalidArgumentException"},
		{"timestamp missing", `{"StreamName":"gm","StartSelector":{"StartSelectorType":"SERVER_TIMESTAMP"}}`, "InvalidArgumentException"},
		{"unknown stream", `{"StreamName":"none","StartSelector":{"StartSelectorType":"NOW"}}`, "ResourceNotFoundException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := srv.Post(t, "/getMedia", tc.body)
			require.Equal(t, tc.code, r.Header.Get("x-amzn-ErrorType"), r.Body)
		})
	}
}

// TestGetMediaCatchUpAcrossBatches reads more stored fragments than one
// store query returns, each of a different size, so that a read buffer
// reused too early would show.
func TestGetMediaCatchUpAcrossBatches(t *testing.T) {
	srv := kvsdtest.Start(t)
	createStream(t, srv, "many", 1)
	ingestClusters(t, srv, "many", 150)
	status, body := getMedia(t, srv, `{"StreamName":"many","StartSelector":{"StartSelectorType":"EARLIEST"}}`)
	require.Equal(t, 200, status)
	chunks := readChunks(t, body)
	require.Len(t, chunks, 150)
	for i, ch := range chunks {
		require.Equal(t, uint64(1_000_000+i*1000), ch.timecode)
		require.Equal(t, []int{500 + i, 500 + i, 500 + i}, ch.sizes, "chunk %d holds its own frames", i)
	}
}

// TestGetMediaCaughtUpChunkArrivesWhole: a reader that has read every
// stored fragment gets the last one's trailing tags (its continuation
// token) at once, not when the response ends after 3 s without data.
func TestGetMediaCaughtUpChunkArrivesWhole(t *testing.T) {
	srv := kvsdtest.Start(t)
	createStream(t, srv, "few", 1)
	ingestClusters(t, srv, "few", 3)
	start := time.Now()
	events := watch(openGetMedia(t, srv, "few", `{"StartSelectorType":"EARLIEST"}`))
	tokens := 0
	waitFor(t, events, "the third chunk's continuation token", func(ev liveEvent) bool {
		if slices.Contains(ev.tags, mkv.TagContinuationToken) {
			tokens++
		}
		return tokens == 3
	})
	require.Less(t, time.Since(start), 1500*time.Millisecond, "the last chunk waited for the end of the response")
}

// TestGetMediaClientLeavesDuringCatchUp: a reader that goes away in the
// middle of a long catch-up frees its place under the reader limit, and its
// read-ahead stops (goleak checks the goroutines at the end).
func TestGetMediaClientLeavesDuringCatchUp(t *testing.T) {
	srv := kvsdtest.Start(t)
	createStream(t, srv, "big", 1)
	b := kvsdtest.NewBody(t)
	for i := range 200 {
		b.Cluster(uint64(1_000_000+i*1000), kvsdtest.Video(3, 20_000), nil, false)
	}
	conn := srv.PutMedia(t, kvsdtest.PutMediaHeaders("big"), b.Bytes())
	conn.Close()
	requireAllPersisted(t, conn.Until(ackWait, never), 200) // 12 MB, more than the socket buffers hold
	for range 3 {
		body := openGetMedia(t, srv, "big", `{"StartSelectorType":"EARLIEST"}`)
		_, err := io.ReadFull(body, make([]byte, 100_000))
		require.NoError(t, err)
		require.NoError(t, body.Close())
	}
	// All three left: three new readers fit under the limit of 3.
	require.Eventually(t, func() bool {
		var bodies []io.ReadCloser
		defer func() {
			for _, b := range bodies {
				b.Close()
			}
		}()
		for range 3 {
			resp := srv.Open(t, http.MethodPost, "/getMedia", `{"StreamName":"big","StartSelector":{"StartSelectorType":"NOW"}}`, kvsdtest.DefaultSigning(), nil)
			bodies = append(bodies, resp.Body)
			if resp.StatusCode != 200 {
				return false
			}
		}
		return true
	}, 5*time.Second, 50*time.Millisecond)
}

// TestGetMediaTailsLiveAndLimitsReaders follows a stream while a producer
// sends, and checks the per-stream reader limit.
func TestGetMediaTailsLiveAndLimitsReaders(t *testing.T) {
	srv := kvsdtest.Start(t)
	createStream(t, srv, "tail", 1)
	header := kvsdtest.NewBody(t).Bytes()
	conn := srv.PutMedia(t, kvsdtest.PutMediaHeaders("tail"), header)
	type result struct {
		status int
		body   []byte
	}
	done := make(chan result, 1)
	go func() {
		r := srv.Do(t, http.MethodPost, "/getMedia", `{"StreamName":"tail","StartSelector":{"StartSelectorType":"NOW"}}`, kvsdtest.DefaultSigning(), nil)
		done <- result{r.Status, []byte(r.Body)}
	}()
	time.Sleep(300 * time.Millisecond)
	for i := range 4 {
		conn.Write(kvsdtest.NewBody(t).Cluster(uint64(5000+i*1000), video(3), nil, false).Bytes()[len(header):])
		time.Sleep(200 * time.Millisecond)
	}
	// Three readers are allowed per stream; the fourth is refused.
	var extra []chan result
	for range 2 {
		ch := make(chan result, 1)
		extra = append(extra, ch)
		go func() {
			r := srv.Do(t, http.MethodPost, "/getMedia", `{"StreamName":"tail","StartSelector":{"StartSelectorType":"NOW"}}`, kvsdtest.DefaultSigning(), nil)
			ch <- result{r.Status, nil}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	r := srv.Post(t, "/getMedia", `{"StreamName":"tail","StartSelector":{"StartSelectorType":"NOW"}}`)
	require.Equal(t, "ConnectionLimitExceededException", r.Header.Get("x-amzn-ErrorType"))
	conn.Close()

	res := <-done
	require.Equal(t, 200, res.status)
	chunks := readChunks(t, res.body)
	require.Len(t, chunks, 4, "every fragment sent after the reader started, delivered live")
	for _, ch := range extra {
		require.Equal(t, 200, (<-ch).status)
	}
}

// TestGetMediaWithAWSCLI reads a stream with the AWS CLI v2, which writes
// the payload to a file, and decodes it with ffprobe.
func TestGetMediaWithAWSCLI(t *testing.T) {
	srv := kvsdtest.Start(t)
	createStream(t, srv, "cli", 1)
	body := ffmpegMKV(t, 3, "libx264", false)
	_, timecodes := clusterSplit(t, body)
	requireAllPersisted(t, sendFile(t, srv, "cli", "RELATIVE", body, 0), len(timecodes))
	out := filepath.Join(t.TempDir(), "out.mkv")
	cmd := exec.Command("/usr/bin/aws", "--endpoint-url", srv.URL, "--region", kvsdtest.Region, "kinesis-video-media", "get-media",
		"--stream-name", "cli", "--start-selector", "StartSelectorType=EARLIEST", out)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+kvsdtest.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+kvsdtest.SecretAccessKey,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, string(msg))
	require.Contains(t, string(msg), `"ContentType": "video/webm"`)
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	chunks := readChunks(t, got)
	require.Len(t, chunks, len(timecodes))
	frames := 0
	for _, ch := range chunks {
		frames += ch.frames
	}
	require.Equal(t, 75, frames, "3 s at 25 fps")
	// The first chunk alone is a complete Matroska file that ffprobe decodes.
	first := filepath.Join(t.TempDir(), "first.mkv")
	require.NoError(t, os.WriteFile(first, got[:bytes.Index(got[4:], []byte{0x1A, 0x45, 0xDF, 0xA3})+4], 0o600))
	probe, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,nb_read_frames", "-of", "csv=p=0", first).CombinedOutput()
	require.NoError(t, err, string(probe))
	require.Equal(t, fmt.Sprintf("h264,%d", chunks[0].frames), string(bytes.TrimSpace(probe)))
}
