package server_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/openkvs/openkvs/internal/config"
	"github.com/openkvs/openkvs/internal/kvsdtest"
	"github.com/openkvs/openkvs/mkv"
)

// frameWriter produces the bytes of a producer's stream one element at a
// time, so that a benchmark can write each frame as its own write.
type frameWriter struct {
	buf bytes.Buffer
	w   *mkv.Writer
}

func newFrameWriter() *frameWriter {
	fw := &frameWriter{}
	fw.w = mkv.NewWriter(&fw.buf)
	return fw
}

func (fw *frameWriter) take() []byte {
	b := bytes.Clone(fw.buf.Bytes())
	fw.buf.Reset()
	return b
}

// liveLatency runs streams producers at 25 fps with frameSize-byte frames
// for the given time, each with readers GetMedia readers, and returns the
// delay from each frame's write to each reader's receipt of it, and from
// each fragment's last byte to its PERSISTED ack.
func liveLatency(b *testing.B, srv *kvsdtest.Server, prefix string, streams, readers, frameSize int, run time.Duration) (frames, persisted []time.Duration) {
	header := kvsdtest.NewBody(b).Bytes()
	endTags := kvsdtest.NewBody(b).Tags(mkv.TagEndOfFragment, "").Bytes()[len(header):]
	var (
		mu  sync.Mutex
		lat []time.Duration
		wg  sync.WaitGroup
	)
	for i := range streams {
		name := fmt.Sprintf("%s-%d", prefix, i)
		if r := srv.Post(b, "/createStream", `{"StreamName":"`+name+`","DataRetentionInHours":1}`); r.Status != 200 {
			b.Fatal(r.Body)
		}
		conn := srv.PutMedia(b, kvsdtest.PutMediaHeaders(name), header)
		var ends sync.Map // cluster timecode -> time its last byte was written
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			for a := range conn.Acks {
				if a.EventType == "PERSISTED" && a.FragmentTimecode != nil {
					if t, ok := ends.Load(*a.FragmentTimecode); ok {
						local = append(local, time.Since(t.(time.Time)))
					}
				}
			}
			mu.Lock()
			persisted = append(persisted, local...)
			mu.Unlock()
		}()
		for range readers {
			body := openGetMedia(b, srv, name, `{"StartSelectorType":"NOW"}`)
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := mkv.NewReader(body, mkv.ReaderOptions{})
				var local []time.Duration
				for {
					kind, err := r.Next()
					if err != nil {
						break
					}
					if kind == mkv.KindBlock {
						sent := int64(binary.BigEndian.Uint64(r.Block().Payload))
						local = append(local, time.Since(time.Unix(0, sent)))
					}
				}
				mu.Lock()
				lat = append(lat, local...)
				mu.Unlock()
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.Close()
			fw := newFrameWriter()
			frame := make([]byte, frameSize)
			start := time.Now()
			tc := int64(0)
			for k := 0; time.Since(start) < run; k++ {
				due := start.Add(time.Duration(k) * 40 * time.Millisecond)
				time.Sleep(time.Until(due))
				if k%25 == 0 { // one-second fragments
					if k > 0 {
						if conn.TryWrite(endTags) != nil {
							return
						}
						ends.Store(tc, time.Now())
					}
					tc = int64(1_000_000 + k*40)
					_ = fw.w.StartCluster(uint64(tc), true)
				}
				binary.BigEndian.PutUint64(frame, uint64(time.Now().UnixNano()))
				var flags uint8
				if k%25 == 0 {
					flags = mkv.FlagKeyframe
				}
				_ = fw.w.WriteSimpleBlock(1, int16((k%25)*40), flags, frame)
				if conn.TryWrite(fw.take()) != nil {
					return
				}
			}
			_ = conn.TryWrite(endTags)
			ends.Store(tc, time.Now())
		}()
	}
	wg.Wait()
	return lat, persisted
}

func reportLatency(b *testing.B, lat []time.Duration, prefix string) {
	if len(lat) == 0 {
		b.Fatal("no frames received")
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(lat[len(lat)/2]), prefix+"p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), prefix+"p99-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), prefix+"max-ms")
	b.ReportMetric(float64(len(lat)), prefix+"frames")
}

// BenchmarkLiveLatency measures how long a frame takes from the producer's
// write in PutMedia to a GetMedia reader parsing it, with 100 streams at
// 25 fps and 2 Mbps (10 KB frames), one reader each, for 5 s.
func BenchmarkLiveLatency(b *testing.B) {
	srv := kvsdtest.Start(b)
	for i := range b.N {
		frames, _ := liveLatency(b, srv, fmt.Sprintf("lat%d", i), 100, 1, 10_000, 5*time.Second)
		reportLatency(b, frames, "")
	}
}

// BenchmarkLiveFanOut measures one 4 Mbps stream (20 KB frames at 25 fps)
// read live by 200 GetMedia readers at once: the frame delay to the
// readers, and the producer's PERSISTED latency beside the same stream with
// no reader in the same run (a fan-out that slowed ingest would show there).
func BenchmarkLiveFanOut(b *testing.B) {
	srv := kvsdtest.Start(b, func(c *config.Config) { c.GetMediaConnections = 200 })
	for i := range b.N {
		_, alone := liveLatency(b, srv, fmt.Sprintf("alone%d", i), 1, 0, 20_000, 20*time.Second)
		frames, fanned := liveLatency(b, srv, fmt.Sprintf("fan%d", i), 1, 200, 20_000, 20*time.Second)
		reportLatency(b, frames, "")
		reportLatency(b, alone, "ack-0-readers-")
		reportLatency(b, fanned, "ack-200-readers-")
	}
}
