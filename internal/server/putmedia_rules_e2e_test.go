package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/config"
	"github.com/openkvs/openkvs/internal/kvsdtest"
)

const ackWait = 10 * time.Second

func isPersisted(a kvsdtest.Ack) bool { return a.EventType == "PERSISTED" }
func isError(a kvsdtest.Ack) bool     { return a.EventType == "ERROR" }
func never(kvsdtest.Ack) bool         { return false }

// events lists the acks' event types, with the error ID for ERROR.
func events(acks []kvsdtest.Ack) []string {
	var out []string
	for _, a := range acks {
		if a.EventType == "ERROR" {
			out = append(out, fmt.Sprintf("ERROR %d %s", a.ErrorID, a.ErrorCode))
			continue
		}
		out = append(out, a.EventType)
	}
	return out
}

// TestPutMediaWithCurl sends a fixture body with the curl CLI, which uses
// libcurl like the producer SDKs: Expect: 100-continue and a chunked body.
func TestPutMediaWithCurl(t *testing.T) {
	srv := kvsdtest.Start(t)
	createStream(t, srv, "curl", 1)
	body := filepath.Join(fixtures, "producer-c", "putmedia-body.mkv")
	out, err := exec.Command("curl", "-sS", "-N", "--fail-with-body",
		"--aws-sigv4", "aws:amz:us-east-1:kinesisvideo", "--user", kvsdtest.AccessKeyID+":"+kvsdtest.SecretAccessKey,
		"-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
		"-H", "x-amzn-stream-name: curl", "-H", "x-amzn-fragment-timecode-type: ABSOLUTE",
		"-H", "x-amzn-producer-start-timestamp: 1795620729.825",
		"-H", "Transfer-Encoding: chunked", "-H", "Expect: 100-continue",
		"--data-binary", "@"+body, srv.URL+"/putMedia").CombinedOutput()
	require.NoError(t, err, string(out))
	counts := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var a kvsdtest.Ack
		require.NoError(t, json.Unmarshal(sc.Bytes(), &a), sc.Text())
		counts[a.EventType]++
	}
	require.Equal(t, map[string]int{"BUFFERING": 5, "RECEIVED": 5, "PERSISTED": 5}, counts,
		"every fragment is persisted before the response ends, even when the body ends first")
}

// withoutPersisted checks that every RECEIVED fragment got exactly one
// PERSISTED after its RECEIVED, and returns the acks without them.
func withoutPersisted(t *testing.T, acks []kvsdtest.Ack) []kvsdtest.Ack {
	t.Helper()
	received := map[string]bool{}
	persisted := map[string]bool{}
	var out []kvsdtest.Ack
	for _, a := range acks {
		switch a.EventType {
		case "RECEIVED":
			received[a.FragmentNumber] = true
		case "PERSISTED":
			require.True(t, received[a.FragmentNumber], "PERSISTED before RECEIVED for %s", a.FragmentNumber)
			require.False(t, persisted[a.FragmentNumber], "second PERSISTED for %s", a.FragmentNumber)
			persisted[a.FragmentNumber] = true
			continue
		}
		out = append(out, a)
	}
	require.Equal(t, received, persisted, "every RECEIVED fragment is PERSISTED")
	return out
}

func video(n int) []kvsdtest.Frame { return kvsdtest.Video(n, 2000) }

func TestPutMediaErrorRules(t *testing.T) {
	srv := kvsdtest.Start(t, func(c *config.Config) {
		c.MaxFragmentSize = 200_000
		c.PutMediaConnectionsPerSec = 1000
	})
	audioVideo := []kvsdtest.Track{{Number: 1, CodecID: "V_MPEG4/ISO/AVC", Video: true}, {Number: 2, CodecID: "A_AAC"}}
	tests := []struct {
		name string
		body func() []byte
		// want is the ack sequence without PERSISTED, which arrives when the
		// group commit completes and may follow later fragments' acks; the
		// session ends after it.
		want []string
	}{
		{"4001 fragment too large", func() []byte {
			return kvsdtest.NewBody(t).Cluster(1000, kvsdtest.Video(3, 100_000), nil, false).Cluster(2000, video(3), nil, false).Bytes()
		}, []string{"BUFFERING", "ERROR 4001 MAX_FRAGMENT_SIZE_REACHED", "BUFFERING", "RECEIVED"}},
		{"4002 fragment duration too long", func() []byte {
			frames := video(2)
			frames[1].Rel = 20_001
			return kvsdtest.NewBody(t).Cluster(1000, frames, nil, false).Bytes()
		}, []string{"BUFFERING", "ERROR 4002 MAX_FRAGMENT_DURATION_REACHED"}},
		{"4004 timecode not after the previous fragment", func() []byte {
			return kvsdtest.NewBody(t).Cluster(10_000, video(3), nil, false).Cluster(10_080, video(3), nil, false).
				Cluster(10_200, video(3), nil, false).Bytes()
		}, []string{"BUFFERING", "RECEIVED", "BUFFERING", "ERROR 4004 FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS",
			"BUFFERING", "RECEIVED"}},
		{"4005 too many tracks", func() []byte {
			return kvsdtest.NewBody(t, kvsdtest.Track{Number: 1, CodecID: "V_MPEG4/ISO/AVC", Video: true},
				kvsdtest.Track{Number: 2, CodecID: "A_AAC"}, kvsdtest.Track{Number: 3, CodecID: "A_AAC"},
				kvsdtest.Track{Number: 4, CodecID: "A_AAC"}).Cluster(1000, video(1), nil, false).Bytes()
		}, []string{"ERROR 4005 MORE_THAN_ALLOWED_TRACKS_FOUND"}},
		{"4006 not MKV", func() []byte { return []byte("this is not a matroska stream at all") }, []string{"ERROR 4006 INVALID_MKV_DATA"}},
		{"4006 tracks after the first cluster", func() []byte {
			b := kvsdtest.NewBody(t).Cluster(1000, video(2), nil, false).Bytes()
			second := kvsdtest.NewBody(t).Bytes()
			// Cut the second body's EBML header and Segment start: keep Info+Tracks.
			return append(b, second[bytes.Index(second, []byte{0x15, 0x49, 0xA9, 0x66}):]...)
		}, []string{"BUFFERING", "RECEIVED", "ERROR 4006 INVALID_MKV_DATA"}},
		{"4006 second segment", func() []byte {
			b := kvsdtest.NewBody(t).Cluster(1000, video(2), nil, false).Bytes()
			return append(b, kvsdtest.NewBody(t).Cluster(3000, video(2), nil, false).Bytes()...)
		}, []string{"BUFFERING", "RECEIVED", "ERROR 4006 INVALID_MKV_DATA"}},
		{"4007 producer timestamp more than 15 min ahead of the server", func() []byte {
			now := uint64(time.Now().UnixMilli())
			return kvsdtest.NewBody(t).Cluster(now+16*60_000, video(3), nil, false).Cluster(now, video(3), nil, false).Bytes()
		}, []string{"BUFFERING", "ERROR 4007 INVALID_PRODUCER_TIMESTAMP", "BUFFERING", "RECEIVED"}},
		{"a producer clock a few minutes ahead is accepted", func() []byte {
			return kvsdtest.NewBody(t).Cluster(uint64(time.Now().Add(14*time.Minute).UnixMilli()), video(3), nil, false).Bytes()
		}, []string{"BUFFERING", "RECEIVED"}},
		{"4009 too many metadata tags", func() []byte {
			md := map[string]string{}
			for i := range 11 {
				md[fmt.Sprintf("key%d", i)] = "v"
			}
			return kvsdtest.NewBody(t).Cluster(1000, video(2), md, false).Bytes()
		}, []string{"BUFFERING", "ERROR 4009 FRAGMENT_METADATA_LIMIT_REACHED"}},
		{"4009 metadata value too long", func() []byte {
			return kvsdtest.NewBody(t).Cluster(1000, video(2), map[string]string{"k": strings.Repeat("v", 257)}, false).Bytes()
		}, []string{"BUFFERING", "ERROR 4009 FRAGMENT_METADATA_LIMIT_REACHED"}},
		{"4012 AWS_ metadata name", func() []byte {
			return kvsdtest.NewBody(t).Cluster(1000, video(2), map[string]string{"AWS_MINE": "v"}, false).Bytes()
		}, []string{"BUFFERING", "ERROR 4012 INVALID_FRAGMENT_METADATA"}},
		{"documented AWS_KINESISVIDEO_ tags are allowed", func() []byte {
			return kvsdtest.NewBody(t).Cluster(1000, video(2), map[string]string{"AWS_KINESISVIDEO_NOTIFICATION": "v", "ten": "x"}, false).Bytes()
		}, []string{"BUFFERING", "RECEIVED"}},
		{"4010 track number mismatch", func() []byte {
			frames := video(2)
			frames[1].Track = 7
			return kvsdtest.NewBody(t).Cluster(1000, frames, nil, false).Bytes()
		}, []string{"BUFFERING", "ERROR 4010 TRACK_NUMBER_MISMATCH"}},
		{"4011 frames missing for a track", func() []byte {
			return kvsdtest.NewBody(t, audioVideo...).Cluster(1000, video(2), nil, false).Bytes()
		}, []string{"BUFFERING", "ERROR 4011 FRAMES_MISSING_FOR_TRACK"}},
		{"audio and video", func() []byte {
			frames := append(video(2), kvsdtest.Frame{Track: 2, Rel: 10, Data: []byte("aac")})
			return kvsdtest.NewBody(t, audioVideo...).Cluster(1000, frames, nil, false).Bytes()
		}, []string{"BUFFERING", "RECEIVED"}},
		{"fragment ends at the next cluster without END_OF_FRAGMENT", func() []byte {
			return kvsdtest.NewBody(t).Cluster(1000, video(2), nil, true).Cluster(2000, video(2), nil, true).Bytes()
		}, []string{"BUFFERING", "RECEIVED", "BUFFERING", "RECEIVED"}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("rules-%d", i)
			createStream(t, srv, name, 1)
			conn := srv.PutMedia(t, kvsdtest.PutMediaHeaders(name), tc.body())
			require.Equal(t, 200, conn.Status, conn.ErrorBody)
			conn.Close()
			got := conn.Until(ackWait, never)
			require.Equal(t, tc.want, events(withoutPersisted(t, got)))
		})
	}
}

func TestPutMediaConnectionDuration(t *testing.T) {
	srv := kvsdtest.Start(t, func(c *config.Config) { c.MaxConnectionDuration = 300 * time.Millisecond })
	createStream(t, srv, "long", 1)
	conn := srv.PutMedia(t, kvsdtest.PutMediaHeaders("long"), kvsdtest.NewBody(t).Cluster(1000, video(2), nil, false).Bytes())
	require.Equal(t, []string{"BUFFERING", "RECEIVED", "PERSISTED"}, events(conn.Until(ackWait, isPersisted)))
	time.Sleep(400 * time.Millisecond)
	conn.Write(kvsdtest.NewBody(t).Cluster(2000, video(2), nil, false).Bytes()[len(kvsdtest.NewBody(t).Bytes()):])
	got := conn.Until(ackWait, never)
	require.Equal(t, "ERROR 4003 MAX_CONNECTION_DURATION_REACHED", events(got)[len(got)-1])
}

func TestPutMediaStreamDeletedMidIngest(t *testing.T) {
	srv := kvsdtest.Start(t)
	createStream(t, srv, "doomed", 1)
	conn := srv.PutMedia(t, kvsdtest.PutMediaHeaders("doomed"), kvsdtest.NewBody(t).Cluster(1000, video(2), nil, false).Bytes())
	require.Equal(t, []string{"BUFFERING", "RECEIVED", "PERSISTED"}, events(conn.Until(ackWait, isPersisted)))
	d := srv.Post(t, "/describeStream", `{"StreamName":"doomed"}`)
	var desc struct{ StreamInfo struct{ StreamARN string } }
	require.NoError(t, json.Unmarshal([]byte(d.Body), &desc))
	require.Equal(t, 200, srv.Post(t, "/deleteStream", `{"StreamARN":"`+desc.StreamInfo.StreamARN+`"}`).Status)
	conn.Write(kvsdtest.NewBody(t).Cluster(2000, video(2), nil, false).Bytes()[len(kvsdtest.NewBody(t).Bytes()):])
	got := conn.Until(ackWait, never)
	require.Equal(t, []string{"BUFFERING", "ERROR 4008 STREAM_NOT_ACTIVE"}, events(got), "the session ends after the error")
}

func TestPutMediaBadRequests(t *testing.T) {
	srv := kvsdtest.Start(t)
	createStream(t, srv, "hdr", 1)
	with := func(change map[string]string) map[string]string {
		h := kvsdtest.PutMediaHeaders("hdr")
		for k, v := range change {
			if v == "" {
				delete(h, k)
			} else {
				h[k] = v
			}
		}
		return h
	}
	body := kvsdtest.NewBody(t).Cluster(1000, video(1), nil, false).Bytes()
	tests := []struct {
		name   string
		hdr    map[string]string
		status int
		code   string
	}{
		{"no timecode type", with(map[string]string{"x-amzn-fragment-timecode-type": ""}), 400, "InvalidArgumentException"},
		{"bad timecode type", with(map[string]string{"x-amzn-fragment-timecode-type": "SOMETIMES"}), 400, "InvalidArgumentException"},
		{"name and ARN", with(map[string]string{"x-amzn-stream-arn": "arn:aws:kinesisvideo:us-east-1:000000000000:stream/hdr/1"}), 400, "InvalidArgumentException"},
		{"neither name nor ARN", with(map[string]string{"x-amzn-stream-name": ""}), 400, "InvalidArgumentException"},
		{"bad producer start", with(map[string]string{"x-amzn-producer-start-timestamp": "yesterday"}), 400, "InvalidArgumentException"},
		{"bad ack flag", with(map[string]string{"x-amzn-fragment-acknowledgment-required": "maybe"}), 400, "InvalidArgumentException"},
		{"unknown stream", with(map[string]string{"x-amzn-stream-name": "nope"}), 404, "ResourceNotFoundException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn := srv.PutMedia(t, tc.hdr, body)
			require.Equal(t, tc.status, conn.Status, conn.ErrorBody)
			require.Equal(t, tc.code, conn.Header.Get("x-amzn-ErrorType"))
		})
	}
}

func TestPutMediaNewConnectionSupersedesOld(t *testing.T) {
	srv := kvsdtest.Start(t)
	createStream(t, srv, "two", 1)
	first := srv.PutMedia(t, kvsdtest.PutMediaHeaders("two"), kvsdtest.NewBody(t).Cluster(1000, video(2), nil, false).Bytes())
	require.Equal(t, []string{"BUFFERING", "RECEIVED", "PERSISTED"}, events(first.Until(ackWait, isPersisted)))
	second := srv.PutMedia(t, kvsdtest.PutMediaHeaders("two"), kvsdtest.NewBody(t).Cluster(5000, video(2), nil, false).Bytes())
	require.Equal(t, []string{"BUFFERING", "RECEIVED", "PERSISTED"}, events(second.Until(ackWait, isPersisted)))
	require.Empty(t, first.Until(ackWait, never), "the older connection's response ends")
	second.Close()
	require.Empty(t, second.Until(ackWait, never))
}

// TestPutMediaResentFragmentIsKeptOnce follows the producer C SDK after an
// ERROR ack: it reconnects and re-sends a fragment that was already
// persisted (shared/fixtures/producer-c/README.md).
func TestPutMediaResentFragmentIsKeptOnce(t *testing.T) {
	srv := kvsdtest.Start(t)
	createStream(t, srv, "resend", 1)
	header := len(kvsdtest.NewBody(t).Bytes())
	clusterB := kvsdtest.NewBody(t).Cluster(2000, video(3), map[string]string{"k": "v"}, false).Bytes()[header:]

	first := srv.PutMedia(t, kvsdtest.PutMediaHeaders("resend"), kvsdtest.NewBody(t).Cluster(1000, video(3), nil, false).Bytes())
	a := first.Until(ackWait, isPersisted)
	first.Write(clusterB)
	b := first.Until(ackWait, isPersisted)
	first.Close()
	require.Empty(t, first.Until(ackWait, never))

	second := srv.PutMedia(t, kvsdtest.PutMediaHeaders("resend"), append(kvsdtest.NewBody(t).Bytes(), clusterB...))
	again := second.Until(ackWait, isPersisted)
	second.Write(kvsdtest.NewBody(t).Cluster(3000, video(3), nil, false).Bytes()[header:])
	c := second.Until(ackWait, isPersisted)
	second.Close()

	require.Equal(t, b[2].FragmentNumber, again[2].FragmentNumber, "the re-sent fragment is acknowledged with its stored number")
	require.Equal(t, b[1].FragmentNumber, again[1].FragmentNumber)
	require.Greater(t, c[2].FragmentNumber, b[2].FragmentNumber)
	require.Greater(t, b[2].FragmentNumber, a[2].FragmentNumber)
}

func TestPutMediaWithoutRetention(t *testing.T) {
	srv := kvsdtest.Start(t)
	createStream(t, srv, "live-only", 0)
	conn := srv.PutMedia(t, kvsdtest.PutMediaHeaders("live-only"),
		kvsdtest.NewBody(t).Cluster(1000, video(2), nil, false).Cluster(2000, video(2), nil, false).Bytes())
	conn.Close()
	require.Equal(t, []string{"BUFFERING", "RECEIVED", "BUFFERING", "RECEIVED"}, events(conn.Until(ackWait, never)),
		"no PERSISTED when the stream keeps no data")
}

func TestPutMediaIdle(t *testing.T) {
	srv := kvsdtest.Start(t, func(c *config.Config) {
		c.IdleAckInterval = 50 * time.Millisecond
		c.IdleTimeout = 400 * time.Millisecond
	})
	createStream(t, srv, "idle", 1)
	conn := srv.PutMedia(t, kvsdtest.PutMediaHeaders("idle"), kvsdtest.NewBody(t).Cluster(1000, video(2), nil, false).Bytes())
	var idle int
	start := time.Now()
	for {
		a, ok := conn.Next(ackWait)
		if !ok {
			break
		}
		if a.EventType == "IDLE" {
			idle++
			require.Nil(t, a.FragmentTimecode)
		}
	}
	require.GreaterOrEqual(t, idle, 2, "IDLE acks while no data arrives")
	require.Less(t, time.Since(start), 5*time.Second, "the idle connection is closed")
}

func TestPutMediaConnectionRate(t *testing.T) {
	srv := kvsdtest.Start(t, func(c *config.Config) { c.PutMediaConnectionsPerSec = 1 })
	createStream(t, srv, "rate", 1)
	body := kvsdtest.NewBody(t).Cluster(1000, video(1), nil, false).Bytes()
	first := srv.PutMedia(t, kvsdtest.PutMediaHeaders("rate"), body)
	require.Equal(t, 200, first.Status)
	second := srv.PutMedia(t, kvsdtest.PutMediaHeaders("rate"), body)
	require.Equal(t, 400, second.Status)
	require.Equal(t, "ClientLimitExceededException", second.Header.Get("x-amzn-ErrorType"))
	first.Close()
}
