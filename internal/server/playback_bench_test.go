package server_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openkvs/openkvs/internal/config"
	"github.com/openkvs/openkvs/internal/hlsload"
	"github.com/openkvs/openkvs/internal/kvsdtest"
	"github.com/openkvs/openkvs/mkv"
)

// liveMedia is a real H.264 stream (so that playback sessions accept its
// codec private data), parsed into frames that a benchmark writes one at a
// time in real time, as a camera would.
type liveMedia struct {
	header []byte // EBML header, unknown-size Segment, Info, Tracks
	frames []liveFrame
}

type liveFrame struct {
	pts  int64 // ms from the first frame
	key  bool
	data []byte
}

// makeLiveMedia encodes seconds of 720p25 H.264 at 2 Mbps with 1 s GOPs.
func makeLiveMedia(b testing.TB, seconds int) liveMedia {
	b.Helper()
	out := filepath.Join(b.TempDir(), "live.mkv")
	cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
		fmt.Sprintf("testsrc2=size=1280x720:rate=25:duration=%d", seconds), "-c:v", "libx264", "-preset", "ultrafast",
		"-b:v", "2M", "-maxrate", "2M", "-bufsize", "2M", "-g", "25", "-bf", "0", "-pix_fmt", "yuv420p", "-f", "matroska", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("ffmpeg: %v: %s", err, msg)
	}
	body, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	r := mkv.NewReader(bytes.NewReader(body), mkv.ReaderOptions{})
	var m liveMedia
	var tracks mkv.Tracks
	var cluster int64
	for {
		kind, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		switch kind {
		case mkv.KindTracks:
			if tracks, err = r.Tracks(); err != nil {
				b.Fatal(err)
			}
		case mkv.KindClusterTimestamp:
			cluster = int64(r.ClusterTimestamp())
		case mkv.KindBlock:
			blk := r.Block()
			m.frames = append(m.frames, liveFrame{pts: cluster + int64(blk.Timestamp), key: blk.Keyframe(), data: bytes.Clone(blk.Frame(0))})
		}
	}
	var hb bytes.Buffer
	w := mkv.NewWriter(&hb)
	_ = w.WriteEBMLHeader(mkv.EBMLHeader{DocType: "matroska", DocTypeVersion: 2, DocTypeReadVersion: 2})
	_ = w.StartSegment(true)
	_ = w.WriteInfo(mkv.Info{TimestampScale: 1_000_000, MuxingApp: "openkvs-bench", WritingApp: "openkvs-bench"})
	if err := w.WriteTracks(tracks); err != nil {
		b.Fatal(err)
	}
	m.header = hb.Bytes()
	return m
}

// liveProducer writes m to a new stream in real time for run, one
// fragment per GOP ended by END_OF_FRAGMENT right after its last frame (as
// the producer SDK's Stream.EndFragment does). It returns one ackSample
// per PERSISTED fragment, in ack order. started is closed once the first
// fragment is persisted, so that playback sessions can be created.
func liveProducer(b testing.TB, srv *kvsdtest.Server, stream string, m liveMedia, run time.Duration, started chan<- struct{}) []ackSample {
	if r := srv.Post(b, "/createStream", `{"StreamName":"`+stream+`","DataRetentionInHours":1}`); r.Status != 200 {
		b.Fatal(r.Body)
	}
	endTags := kvsdtest.NewBody(b).Tags(mkv.TagEndOfFragment, "").Bytes()[len(kvsdtest.NewBody(b).Bytes()):]
	conn := srv.PutMedia(b, kvsdtest.PutMediaHeaders(stream), m.header)
	var byTC sync.Map // cluster timecode -> time its last frame was written
	var samples []ackSample
	done := make(chan struct{})
	go func() {
		defer close(done)
		once := sync.Once{}
		for a := range conn.Acks {
			if a.EventType != "PERSISTED" || a.FragmentTimecode == nil {
				continue
			}
			if t, ok := byTC.Load(*a.FragmentTimecode); ok {
				samples = append(samples, ackSample{number: a.FragmentNumber, end: t.(time.Time), latency: time.Since(t.(time.Time))})
			}
			once.Do(func() { close(started) })
		}
	}()
	fw := newFrameWriter()
	start := time.Now()
	base := start.UnixMilli()
	var tc int64 = -1
	for k := 0; ; k++ {
		f := m.frames[k%len(m.frames)]
		loop := int64(k/len(m.frames)) * (m.frames[len(m.frames)-1].pts + 40)
		at := f.pts + loop
		time.Sleep(time.Until(start.Add(time.Duration(at) * time.Millisecond)))
		if f.key {
			if tc >= 0 {
				if conn.TryWrite(endTags) != nil {
					break
				}
				byTC.Store(tc, time.Now())
			}
			if time.Since(start) >= run {
				break
			}
			tc = base + at
			_ = fw.w.StartCluster(uint64(tc), true)
		}
		var flags uint8
		if f.key {
			flags = mkv.FlagKeyframe
		}
		_ = fw.w.WriteSimpleBlock(1, int16(base+at-tc), flags, f.data)
		if conn.TryWrite(fw.take()) != nil {
			break
		}
	}
	conn.Close()
	<-done
	return samples
}

// ackSample is one fragment's PERSISTED ack: when its last frame and end
// tag were written, and how long the ack took from then.
type ackSample struct {
	number  string
	end     time.Time
	latency time.Duration
}

func latencies(ss []ackSample) []time.Duration {
	out := make([]time.Duration, len(ss))
	for i, s := range ss {
		out[i] = s.latency
	}
	return out
}

// hlsLiveSession creates a LIVE fMP4 HLS session and returns its track 1
// media playlist URL.
func hlsLiveSession(b testing.TB, srv *kvsdtest.Server, stream string) string {
	r := srv.Post(b, "/getHLSStreamingSessionURL", `{"StreamName":"`+stream+`","PlaybackMode":"LIVE"}`)
	if r.Status != 200 {
		b.Fatal(r.Body)
	}
	var out struct{ HLSStreamingSessionURL string }
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
		b.Fatal(err)
	}
	return strings.Replace(out.HLSStreamingSessionURL, "getHLSMasterPlaylist.m3u8?", "getHLSMediaPlaylist.m3u8?TrackNumber=1&", 1)
}

var fragmentNumberRE = regexp.MustCompile(`FragmentNumber=(\d+)`)

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// median returns the middle value of xs (the upper one of the two middle
// values for an even count), leaving xs as it was.
func median[T cmp.Ordered](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkHLSLivePlaylist measures, for a LIVE HLS session of a 2 Mbps
// stream with 1 s fragments written in real time, the time from a
// fragment's last frame (and END_OF_FRAGMENT) being written to PutMedia
// until the fragment is listed in the media playlist, which a client polls
// every 2 ms. Same-run baseline: the PERSISTED ack of the same fragments.
func BenchmarkHLSLivePlaylist(b *testing.B) {
	srv := kvsdtest.Start(b)
	m := makeLiveMedia(b, 4)
	for i := range b.N {
		stream := fmt.Sprintf("hlslat%d", i)
		started := make(chan struct{})
		seen := map[string]time.Time{}
		stop := make(chan struct{})
		pollDone := make(chan struct{})
		go func() {
			defer close(pollDone)
			select {
			case <-started:
			case <-stop:
				return
			}
			url := hlsLiveSession(b, srv, stream)
			c := &http.Client{}
			for {
				select {
				case <-stop:
					return
				default:
				}
				body, err := hlsload.Get(context.Background(), c, url)
				now := time.Now()
				if err != nil {
					b.Error(err)
					return
				}
				for _, sm := range fragmentNumberRE.FindAllSubmatch(body, -1) {
					if _, ok := seen[string(sm[1])]; !ok {
						seen[string(sm[1])] = now
					}
				}
				time.Sleep(2 * time.Millisecond)
			}
		}()
		acks := liveProducer(b, srv, stream, m, 10*time.Second, started)
		time.Sleep(200 * time.Millisecond) // let the poller see the last fragment
		close(stop)
		<-pollDone
		var lat []time.Duration
		for _, a := range acks {
			if t, ok := seen[a.number]; ok && t.After(a.end) {
				lat = append(lat, t.Sub(a.end))
			}
		}
		if len(lat) < 5 {
			b.Fatalf("only %d fragments seen in the playlist", len(lat))
		}
		slices.Sort(lat)
		b.ReportMetric(ms(median(lat)), "playlist-p50-ms")
		b.ReportMetric(ms(lat[len(lat)-1]), "playlist-max-ms")
		b.ReportMetric(ms(median(latencies(acks))), "persisted-p50-ms")
		b.ReportMetric(float64(len(lat)), "fragments")
	}
}

// BenchmarkHLSLiveViewers runs 2 Mbps streams with 1 s fragments in real
// time for eight 10 s windows, with 200 LIVE HLS viewers of the first
// stream watching in every second window and none in the others.
// Interleaving the windows makes the machine's drifting background load
// fall on both sides of the comparison alike. A viewer polls the media
// playlist every second, starts with the last 3 segments listed and then
// fetches every new one, as hls.js does; viewers share 100 sessions. Three more unwatched streams,
// started a quarter second apart, multiply the ack samples: one stream
// gives only about 35 per side, and the spread of fsync times (about 1 ms)
// then moves a median by several per cent from run to run. It reports the
// segment response times (request to last byte) and the PERSISTED ack
// latency with and without viewers, for all streams and for the watched
// one, leaving out each window's first seconds while viewers join or leave.
//
// The viewers (package hlsload) run in one of two places. "viewers=process"
// runs them in "kvsctl bench hls", a process of their own, as real viewers
// are never inside the server. "viewers=in-process" runs them as goroutines
// of the benchmark, which also holds kvsd, so that they share its Go
// scheduler.
func BenchmarkHLSLiveViewers(b *testing.B) {
	b.Run("viewers=process", func(b *testing.B) {
		kvsctl := kvsdtest.BuildKVSCtl(b)
		benchmarkLiveViewers(b, func(srv *kvsdtest.Server, stream string, window time.Duration) viewerResult {
			cmd := exec.Command(kvsctl, "--endpoint-url", srv.URL, "bench", "hls", stream, "--viewers", fmt.Sprint(liveViewers),
				"--sessions", fmt.Sprint(liveViewerSessions), "--duration", window.String(), "--json")
			cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+kvsdtest.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+kvsdtest.SecretAccessKey,
				"AWS_REGION="+kvsdtest.Region, "AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				b.Fatalf("kvsctl bench hls: %v: %s", err, stderr.String())
			}
			var rep struct {
				Segments struct {
					Count int     `json:"count"`
					P50   float64 `json:"p50_ms"`
					P99   float64 `json:"p99_ms"`
				} `json:"segment_response"`
			}
			if err := json.Unmarshal(out, &rep); err != nil {
				b.Fatal(err)
			}
			return viewerResult{segments: rep.Segments.Count, p50: rep.Segments.P50, p99: rep.Segments.P99}
		})
	})
	b.Run("viewers=in-process", func(b *testing.B) {
		tr := &http.Transport{MaxIdleConnsPerHost: liveViewers}
		c := &http.Client{Transport: tr}
		defer tr.CloseIdleConnections()
		benchmarkLiveViewers(b, func(srv *kvsdtest.Server, stream string, window time.Duration) viewerResult {
			urls := make([]string, liveViewerSessions)
			for s := range urls {
				urls[s] = hlsLiveSession(b, srv, stream)
			}
			ctx, cancel := context.WithTimeout(context.Background(), window)
			defer cancel()
			res := hlsload.Watch(ctx, c, urls, liveViewers, time.Second)
			if res.Errors > 0 {
				b.Fatalf("%d viewer requests failed; the first: %v", res.Errors, res.FirstError)
			}
			segs := res.Segments
			if len(segs) == 0 {
				return viewerResult{}
			}
			slices.Sort(segs)
			return viewerResult{segments: len(segs), p50: ms(segs[len(segs)/2]), p99: ms(segs[len(segs)*99/100])}
		})
	})
}

const liveViewers, liveViewerSessions = 200, 100

// viewerResult is what one watched window's viewers saw: segment count and
// response times in ms.
type viewerResult struct {
	segments int
	p50, p99 float64
}

// benchmarkLiveViewers is BenchmarkHLSLiveViewers with watch running the
// viewers of one window.
func benchmarkLiveViewers(b *testing.B, watch func(srv *kvsdtest.Server, stream string, window time.Duration) viewerResult) {
	const windows, streams = 8, 4
	const window, settle = 10 * time.Second, 2 * time.Second
	// Each watched window opens 100 new sessions.
	srv := kvsdtest.Start(b, func(c *config.Config) { c.PlaybackSessionsPerStream = liveViewerSessions * windows })
	m := makeLiveMedia(b, 4)
	for i := range b.N {
		stream := fmt.Sprintf("viewed%d", i)
		started := make(chan struct{})
		var (
			spans   []viewerSpan // the windows, in order
			results []viewerResult
		)
		controlled := make(chan struct{})
		go func() {
			defer close(controlled)
			<-started
			for w := range windows {
				span := viewerSpan{from: time.Now(), watched: w%2 == 1}
				if span.watched {
					r := watch(srv, stream, window)
					b.Logf("window %d: %d segments, response p50 %.2f ms, p99 %.2f ms", w, r.segments, r.p50, r.p99)
					results = append(results, r)
				} else {
					time.Sleep(window)
				}
				span.to = time.Now()
				spans = append(spans, span)
			}
		}()
		run := windows*window + 5*time.Second
		acks := make([][]ackSample, streams)
		var producers sync.WaitGroup
		for p := range streams {
			producers.Go(func() {
				if p == 0 {
					acks[p] = liveProducer(b, srv, stream, m, run, started)
					return
				}
				time.Sleep(time.Duration(p) * time.Second / streams)
				acks[p] = liveProducer(b, srv, fmt.Sprintf("%s-probe%d", stream, p), m, run, make(chan struct{}))
			})
		}
		producers.Wait()
		<-controlled
		var watched, unwatched, watchedOwn, unwatchedOwn []time.Duration
		for p, as := range acks {
			for _, a := range as {
				for _, sp := range spans {
					if !a.end.After(sp.from.Add(settle)) || !a.end.Before(sp.to) {
						continue
					}
					if sp.watched {
						watched = append(watched, a.latency)
						if p == 0 {
							watchedOwn = append(watchedOwn, a.latency)
						}
					} else {
						unwatched = append(unwatched, a.latency)
						if p == 0 {
							unwatchedOwn = append(unwatchedOwn, a.latency)
						}
					}
				}
			}
		}
		var segments int
		var p50s []float64
		var worstP99 float64
		for _, r := range results {
			segments += r.segments
			p50s = append(p50s, r.p50)
			worstP99 = max(worstP99, r.p99)
		}
		if segments == 0 || len(watchedOwn) < 10 || len(unwatchedOwn) < 10 {
			b.Fatalf("too few samples: %d segments, %d acks watched, %d unwatched", segments, len(watchedOwn), len(unwatchedOwn))
		}
		slices.Sort(p50s)
		b.ReportMetric(p50s[len(p50s)/2], "segment-p50-ms")
		b.ReportMetric(worstP99, "segment-p99-ms")
		b.ReportMetric(float64(segments), "segments")
		b.ReportMetric(ms(median(unwatched)), "ack-0-viewers-p50-ms")
		b.ReportMetric(ms(median(watched)), "ack-200-viewers-p50-ms")
		b.ReportMetric(float64(median(watched))/float64(median(unwatched)), "ack-ratio")
		b.ReportMetric(float64(median(watchedOwn))/float64(median(unwatchedOwn)), "ack-ratio-watched-stream")
		b.ReportMetric(float64(len(watched)+len(unwatched)), "acks")
	}
}

// viewerSpan is one window of BenchmarkHLSLiveViewers.
type viewerSpan struct {
	from, to time.Time
	watched  bool
}
