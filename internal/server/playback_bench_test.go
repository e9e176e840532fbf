package server_test

import (
	"bytes"
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
// the producer SDK's Stream.EndFragment does). It returns, per fragment
// number, when its last frame and end tag were written, and the delay from
// then to each PERSISTED ack. started is closed once the first fragment is
// persisted, so that playback sessions can be created.
func liveProducer(b testing.TB, srv *kvsdtest.Server, stream string, m liveMedia, run time.Duration, started chan<- struct{}) (ends map[string]time.Time, persisted []time.Duration) {
	if r := srv.Post(b, "/createStream", `{"StreamName":"`+stream+`","DataRetentionInHours":1}`); r.Status != 200 {
		b.Fatal(r.Body)
	}
	endTags := kvsdtest.NewBody(b).Tags(mkv.TagEndOfFragment, "").Bytes()[len(kvsdtest.NewBody(b).Bytes()):]
	conn := srv.PutMedia(b, kvsdtest.PutMediaHeaders(stream), m.header)
	var byTC sync.Map // cluster timecode -> time its last frame was written
	ends = map[string]time.Time{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		once := sync.Once{}
		for a := range conn.Acks {
			if a.EventType != "PERSISTED" || a.FragmentTimecode == nil {
				continue
			}
			if t, ok := byTC.Load(*a.FragmentTimecode); ok {
				persisted = append(persisted, time.Since(t.(time.Time)))
				ends[a.FragmentNumber] = t.(time.Time)
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
	return ends, persisted
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

func getBody(c *http.Client, url string) ([]byte, error) {
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return body, err
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
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
				body, err := getBody(c, url)
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
		ends, persisted := liveProducer(b, srv, stream, m, 10*time.Second, started)
		time.Sleep(200 * time.Millisecond) // let the poller see the last fragment
		close(stop)
		<-pollDone
		var lat []time.Duration
		for fn, end := range ends {
			if t, ok := seen[fn]; ok && t.After(end) {
				lat = append(lat, t.Sub(end))
			}
		}
		if len(lat) < 5 {
			b.Fatalf("only %d fragments seen in the playlist", len(lat))
		}
		slices.Sort(lat)
		b.ReportMetric(ms(median(lat)), "playlist-p50-ms")
		b.ReportMetric(ms(lat[len(lat)-1]), "playlist-max-ms")
		b.ReportMetric(ms(median(persisted)), "persisted-p50-ms")
		b.ReportMetric(float64(len(lat)), "fragments")
	}
}

// BenchmarkHLSLiveViewers runs one 2 Mbps stream with 1 s fragments in
// real time, first alone and then, as a second stream in the same run,
// with 200 LIVE HLS viewers, each of which polls the media playlist every
// second and fetches every segment it has not fetched yet, as hls.js does.
// It reports the segment response times (request to last byte) and the
// PERSISTED ack latency of both streams. Viewers share 100 sessions, the
// per-stream session limit.
func BenchmarkHLSLiveViewers(b *testing.B) {
	const viewers, sessions = 200, 100
	srv := kvsdtest.Start(b)
	m := makeLiveMedia(b, 4)
	run := 10 * time.Second
	for i := range b.N {
		_, alone := liveProducer(b, srv, fmt.Sprintf("alone%d", i), m, run, make(chan struct{}))

		stream := fmt.Sprintf("viewed%d", i)
		started := make(chan struct{})
		stop := make(chan struct{})
		var (
			mu   sync.Mutex
			segs []time.Duration
			wg   sync.WaitGroup
		)
		tr := &http.Transport{MaxIdleConnsPerHost: viewers, MaxConnsPerHost: 0}
		c := &http.Client{Transport: tr}
		go func() {
			<-started
			urls := make([]string, sessions)
			for s := range urls {
				urls[s] = hlsLiveSession(b, srv, stream)
			}
			for v := range viewers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					url := urls[v%sessions]
					base := url[:strings.LastIndex(url, "/")+1]
					fetched := map[string]bool{}
					// Spread the viewers' polls over the second.
					time.Sleep(time.Duration(v) * time.Second / viewers)
					var local []time.Duration
					defer func() {
						mu.Lock()
						segs = append(segs, local...)
						mu.Unlock()
					}()
					for {
						select {
						case <-stop:
							return
						default:
						}
						pl, err := getBody(c, url)
						if err != nil {
							b.Error(err)
							return
						}
						for _, line := range strings.Split(string(pl), "\n") {
							if !strings.HasPrefix(line, "getMP4MediaFragment") || fetched[line] {
								continue
							}
							fetched[line] = true
							t0 := time.Now()
							if _, err := getBody(c, base+line); err != nil {
								b.Error(err)
								return
							}
							local = append(local, time.Since(t0))
						}
						select {
						case <-stop:
							return
						case <-time.After(time.Second):
						}
					}
				}()
			}
		}()
		_, viewed := liveProducer(b, srv, stream, m, run, started)
		close(stop)
		wg.Wait()
		tr.CloseIdleConnections()
		if len(segs) == 0 {
			b.Fatal("no segments fetched")
		}
		slices.Sort(segs)
		b.ReportMetric(ms(segs[len(segs)/2]), "segment-p50-ms")
		b.ReportMetric(ms(segs[len(segs)*99/100]), "segment-p99-ms")
		b.ReportMetric(float64(len(segs)), "segments")
		b.ReportMetric(ms(median(alone)), "ack-0-viewers-p50-ms")
		b.ReportMetric(ms(median(viewed)), "ack-200-viewers-p50-ms")
	}
}
