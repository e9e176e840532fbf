package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/kvsdtest"
	"github.com/openkvs/openkvs/mkv"
)

var fixtures = filepath.Join("..", "..", "..", "shared", "fixtures")

// clusterSplit returns the body cut at each Cluster start (the first piece
// also holds the header) and each Cluster's timecode.
func clusterSplit(t *testing.T, body []byte) (pieces [][]byte, timecodes []int64) {
	t.Helper()
	r := mkv.NewReader(bytes.NewReader(body), mkv.ReaderOptions{})
	var starts []int64
	for {
		kind, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		switch kind {
		case mkv.KindCluster:
			starts = append(starts, r.Element().Offset)
		case mkv.KindClusterTimestamp:
			timecodes = append(timecodes, int64(r.ClusterTimestamp()))
		}
	}
	prev := int64(0)
	for _, s := range starts[1:] {
		pieces = append(pieces, body[prev:s])
		prev = s
	}
	return append(pieces, body[prev:]), timecodes
}

func createStream(t *testing.T, srv *kvsdtest.Server, name string, retention int) {
	t.Helper()
	r := srv.Post(t, "/createStream", `{"StreamName":"`+name+`","DataRetentionInHours":`+strconv.Itoa(retention)+`}`)
	require.Equal(t, 200, r.Status, r.Body)
}

// TestPutMediaProducerFixtures replays the producer C SDK's PutMedia bodies
// the way the SDK sends them: each fragment, up to and including its
// END_OF_FRAGMENT tag, then a wait for its PERSISTED ack, and the body ends
// only after the last PERSISTED. The acks must be what the SDK accepted in
// the capture (shared/fixtures/producer-c/acks-sent.jsonl).
func TestPutMediaProducerFixtures(t *testing.T) {
	for _, tc := range []struct{ file, acks string }{
		{"putmedia-body.mkv", "acks-sent.jsonl"},
		{"putmedia-body-h265.mkv", ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(fixtures, "producer-c", tc.file))
			require.NoError(t, err)
			pieces, timecodes := clusterSplit(t, body)
			srv := kvsdtest.Start(t)
			createStream(t, srv, "kvs-capture-stream", 2)

			conn := srv.PutMedia(t, kvsdtest.PutMediaHeaders("kvs-capture-stream"), pieces[0])
			require.Equal(t, 200, conn.Status, conn.ErrorBody)
			var got []kvsdtest.Ack
			for i, p := range pieces {
				if i > 0 {
					conn.Write(p)
				}
				got = append(got, conn.Until(10*time.Second, func(a kvsdtest.Ack) bool { return a.EventType == "PERSISTED" })...)
			}
			conn.Close()
			rest := conn.Until(10*time.Second, func(kvsdtest.Ack) bool { return false })
			require.Empty(t, rest, "nothing after the last PERSISTED")

			require.Len(t, got, 3*len(timecodes))
			var prev string
			for i, a := range got {
				want := []string{"BUFFERING", "RECEIVED", "PERSISTED"}[i%3]
				require.Equal(t, want, a.EventType, "ack %d", i)
				require.NotNil(t, a.FragmentTimecode)
				require.Equal(t, timecodes[i/3], *a.FragmentTimecode)
				require.Len(t, a.FragmentNumber, 47)
				if i%3 == 0 {
					require.Greater(t, a.FragmentNumber, prev, "numbers increase")
					prev = a.FragmentNumber
				} else {
					require.Equal(t, prev, a.FragmentNumber)
				}
			}
			if tc.acks != "" {
				f, err := os.Open(filepath.Join(fixtures, "producer-c", tc.acks))
				require.NoError(t, err)
				defer f.Close()
				sc := bufio.NewScanner(f)
				for i := 0; sc.Scan(); i++ {
					var line struct{ Ack string }
					require.NoError(t, json.Unmarshal(sc.Bytes(), &line))
					var want kvsdtest.Ack
					require.NoError(t, json.Unmarshal([]byte(line.Ack), &want))
					require.Equal(t, want.EventType, got[i].EventType)
					require.Equal(t, *want.FragmentTimecode, *got[i].FragmentTimecode)
				}
			}
		})
	}
}
