package parser

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/openkvs/openkvs/mkv"
	"github.com/stretchr/testify/require"
)

// testCreds are the fake credentials of the consumer tests.
var testCreds = aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", Source: "test"}

// action is what the fake server does with one GetMedia request.
type action struct {
	status   int    // answer with this HTTP error status
	errType  string // x-amzn-ErrorType of the error
	cut      int    // abort the connection after this many body octets; 0: no cut
	stallAt  int    // stop sending after this many octets ...
	stall    time.Duration
	stallFor bool // ... until the client goes away
	closeEnd bool // end the response after the last chunk instead of holding it open
	limit    int  // send only this many octets of the chunks; 0: all
	tail     []byte
}

// fakeKVS serves a real GetMedia capture chunk by chunk on 127.0.0.1, the
// way the service does: it honours the StartSelector (EARLIEST,
// FRAGMENT_NUMBER, CONTINUATION_TOKEN), checks the SigV4 signature, and
// cuts or stalls responses as its plan says.
type fakeKVS struct {
	t      *testing.T
	chunks [][]byte
	tokens []string
	fns    []string
	plan   func(n int) action

	mu   sync.Mutex
	sels []StartSelector
}

func newFakeKVS(t *testing.T, capture []byte, plan func(n int) action) *fakeKVS {
	s := &fakeKVS{t: t, chunks: splitChunks(t, capture), plan: plan}
	for _, c := range s.chunks {
		got, err := collect(bytes.NewReader(c), Options{})
		require.NoError(t, err)
		require.Len(t, got, 1)
		s.tokens = append(s.tokens, got[0].chunk.ContinuationToken)
		s.fns = append(s.fns, got[0].chunk.FragmentNumber)
	}
	return s
}

// selectors returns the StartSelectors received so far.
func (s *fakeKVS) selectors() []StartSelector {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]StartSelector(nil), s.sels...)
}

// start returns the index of the first chunk to send, or -1.
func (s *fakeKVS) start(sel StartSelector) int {
	switch sel.Type {
	case StartEarliest:
		return 0
	case StartNow:
		return len(s.chunks) - 1
	case StartContinuationToken:
		for i, tok := range s.tokens {
			if tok == sel.ContinuationToken {
				return i + 1
			}
		}
	case StartFragmentNumber:
		for i, fn := range s.fns {
			if fn == sel.AfterFragmentNumber {
				return i + 1
			}
		}
	}
	return -1
}

func (s *fakeKVS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := verifyRequest(r, body); err != nil {
		s.t.Errorf("bad request: %v", err)
		w.Header().Set("x-amzn-ErrorType", "NotAuthorizedException:")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var in struct {
		StreamName    string
		StartSelector StartSelector
	}
	if err := json.Unmarshal(body, &in); err != nil || in.StreamName != "cam1" {
		s.t.Errorf("bad body %q: %v", body, err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	n := len(s.sels)
	s.sels = append(s.sels, in.StartSelector)
	s.mu.Unlock()
	act := s.plan(n)
	start := s.start(in.StartSelector)
	if act.status == 0 && start < 0 {
		act.status, act.errType = http.StatusBadRequest, "InvalidArgumentException"
	}
	if act.status != 0 {
		w.Header().Set("x-amzn-ErrorType", act.errType+":http://internal.amazon.com/coral/com.amazon.kinesisvideo.v20170930/")
		w.Header().Set("x-amzn-RequestId", "req-"+fmt.Sprint(n))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(act.status)
		fmt.Fprintf(w, `{"message":"planned %s"}`, act.errType)
		return
	}
	payload := bytes.Join(s.chunks[start:], nil)
	if act.limit > 0 && act.limit < len(payload) {
		payload = payload[:act.limit]
	}
	payload = append(payload, act.tail...)
	w.Header().Set("Content-Type", "video/webm")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	send := func(p []byte) bool {
		for len(p) > 0 {
			k := min(len(p), 16<<10)
			if _, err := w.Write(p[:k]); err != nil {
				return false
			}
			p = p[k:]
		}
		return rc.Flush() == nil
	}
	if act.stallAt > 0 && act.stallAt < len(payload) {
		if !send(payload[:act.stallAt]) {
			return
		}
		payload = payload[act.stallAt:]
		if act.cut > 0 {
			act.cut -= act.stallAt
		}
		if act.stallFor {
			<-r.Context().Done()
			return
		}
		select {
		case <-time.After(act.stall):
		case <-r.Context().Done():
			return
		}
	}
	if act.cut > 0 && act.cut < len(payload) {
		send(payload[:act.cut])
		panic(http.ErrAbortHandler) // drop the connection mid-body
	}
	if !send(payload) || act.closeEnd {
		return
	}
	<-r.Context().Done() // GetMedia holds the connection open at the live edge
}

// verifyRequest checks the GetMedia request line, headers and SigV4
// signature (service kinesisvideo), re-signing the request as received.
func verifyRequest(r *http.Request, body []byte) error {
	if r.Method != http.MethodPost || r.URL.Path != "/getMedia" || r.Header.Get("Content-Type") != "application/json" {
		return fmt.Errorf("request %s %s %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
	}
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") ||
		!strings.Contains(auth, "/us-east-1/kinesisvideo/aws4_request, ") {
		return fmt.Errorf("authorization %q", auth)
	}
	_, signed, ok := strings.Cut(auth, "SignedHeaders=")
	if !ok {
		return fmt.Errorf("authorization %q: no SignedHeaders", auth)
	}
	signed, _, _ = strings.Cut(signed, ",")
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return fmt.Errorf("x-amz-date: %w", err)
	}
	again, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	for _, h := range strings.Split(signed, ";") {
		if h != "host" {
			again.Header.Set(h, r.Header.Get(h))
		}
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), testCreds, again, hex.EncodeToString(sum[:]), "kinesisvideo", "us-east-1", when); err != nil {
		return err
	}
	if got := again.Header.Get("Authorization"); got != auth {
		return fmt.Errorf("signature mismatch:\n got %s\nwant %s", auth, got)
	}
	return nil
}

// frameRec identifies a delivered frame.
type frameRec struct {
	fragment string
	index    int
	track    uint64
	ts       time.Duration
	key      bool
	sum      [32]byte
}

// recorder is a Handler that records what it is given.
type recorder struct {
	frames      []frameRec
	starts      []*Chunk
	ends        []*Chunk
	stopAtToken string
}

func (rec *recorder) handler(t *testing.T) Handler {
	return Handler{
		ChunkStart: func(c *Chunk) error {
			rec.starts = append(rec.starts, c)
			return nil
		},
		Frame: func(c *Chunk, f *Frame) error {
			if len(rec.starts) == 0 || rec.starts[len(rec.starts)-1] != c {
				t.Errorf("frame %d of fragment %s without its ChunkStart", f.Index, c.FragmentNumber)
			}
			rec.frames = append(rec.frames, frameRec{c.FragmentNumber, f.Index, f.Track, f.Timestamp, f.Keyframe, sha256.Sum256(f.Data)})
			return nil
		},
		ChunkEnd: func(c *Chunk) error {
			if len(rec.starts) == 0 || rec.starts[len(rec.starts)-1] != c {
				t.Errorf("end of fragment %s without its ChunkStart", c.FragmentNumber)
			}
			rec.ends = append(rec.ends, c)
			if rec.stopAtToken != "" && c.ContinuationToken == rec.stopAtToken {
				return ErrStop
			}
			return nil
		},
	}
}

// reference reads a capture directly.
func reference(t *testing.T, capture []byte) *recorder {
	rec := &recorder{}
	require.NoError(t, NewReader(bytes.NewReader(capture), Options{}).Walk(rec.handler(t)))
	return rec
}

// newTestConsumer starts a Consumer against srv with fast retries.
func newTestConsumer(t *testing.T, srv *httptest.Server, sel StartSelector, mod func(*ConsumerConfig)) *Consumer {
	t.Helper()
	cfg := ConsumerConfig{
		Endpoint:      srv.URL,
		StreamName:    "cam1",
		StartSelector: sel,
		Region:        "us-east-1",
		Credentials:   credentials.NewStaticCredentialsProvider(testCreds.AccessKeyID, testCreds.SecretAccessKey, ""),
		MaxRetries:    -1,
		MinBackoff:    time.Millisecond,
		MaxBackoff:    5 * time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewConsumer(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// elementOffsets returns, within one chunk, the offsets of its
// SimpleBlocks and of its last Tags element.
func elementOffsets(t *testing.T, chunk []byte) (blocks []int, lastTags int) {
	r := mkv.NewReader(bytes.NewReader(chunk), mkv.ReaderOptions{})
	for {
		k, err := r.Next()
		if err == io.EOF {
			return blocks, lastTags
		}
		require.NoError(t, err)
		switch k {
		case mkv.KindBlock:
			blocks = append(blocks, int(r.Element().Offset))
		case mkv.KindTags:
			lastTags = int(r.Element().Offset)
		}
	}
}

// runConsumer runs c until the handler stops at the last chunk's token.
func runConsumer(t *testing.T, c *Consumer, rec *recorder) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.Run(ctx, rec.handler(t))
}

// requireSameDelivery checks that got delivered exactly the frames and
// chunks of want, in order.
func requireSameDelivery(t *testing.T, want, got *recorder) {
	t.Helper()
	require.Equal(t, len(want.frames), len(got.frames), "frame count")
	for i := range want.frames {
		require.Equal(t, want.frames[i], got.frames[i], "frame %d", i)
	}
	require.Len(t, got.starts, len(want.starts))
	require.Len(t, got.ends, len(want.ends))
	for i, c := range got.ends {
		require.Same(t, got.starts[i], c, "ChunkStart and ChunkEnd get the same *Chunk")
		require.Equal(t, i, c.Index)
		require.True(t, c.Complete)
		w := want.ends[i]
		require.Equal(t, w.FragmentNumber, c.FragmentNumber)
		require.Equal(t, w.ContinuationToken, c.ContinuationToken)
		require.Equal(t, w.BehindNow, c.BehindNow)
		require.Equal(t, w.ServerTimestamp, c.ServerTimestamp)
		require.Equal(t, w.Tags, c.Tags)
		require.Equal(t, w.Frames, c.Frames)
	}
}

// TestConsumerResumesExactlyOnce drops the connection at every awkward
// place of test_mixed_tags.mkv and checks that every frame arrives once.
func TestConsumerResumesExactlyOnce(t *testing.T) {
	capture := readFixture(t, parserLib+"/test_mixed_tags.mkv")
	chunks := splitChunks(t, capture)
	require.Len(t, chunks, 10)
	off := func(i int) int { // offset of chunk i in a body starting at chunk from
		return len(chunks[i])
	}
	b0, _ := elementOffsets(t, chunks[0])
	b2, _ := elementOffsets(t, chunks[2])
	b3, tags3 := elementOffsets(t, chunks[3])
	b7, _ := elementOffsets(t, chunks[7])
	plan := []action{
		// 0 EARLIEST: cut inside the 4th SimpleBlock of chunk 0.
		{cut: b0[3] + 5},
		// 1 EARLIEST: a server error.
		{status: 500, errType: "InternalFailure"},
		// 2 EARLIEST: chunks 0 and 1, then cut chunk 2 between blocks 4 and 5.
		{cut: off(0) + off(1) + b2[4]},
		// 3 token of chunk 1: cut inside the header of chunk 2.
		{cut: 50},
		// 4 token of chunk 1: throttled.
		{status: 400, errType: "ClientLimitExceededException"},
		// 5 token of chunk 1: chunk 2, then cut chunk 3 right after its
		// Cluster started, before the first frame.
		{cut: off(2) + b3[0]},
		// 6 token of chunk 2: cut chunk 3 inside its trailing KVS Tags:
		// every frame was delivered, the chunk is not complete.
		{cut: tags3 + 20},
		// 7 token of chunk 2: chunks 3 to 6, cut chunk 7 inside its last
		// block.
		{cut: off(3) + off(4) + off(5) + off(6) + b7[9] + 30},
		// 8 token of chunk 6: the rest, then the live edge.
		{},
	}
	srv := newFakeKVS(t, capture, func(n int) action {
		if n < len(plan) {
			return plan[n]
		}
		t.Errorf("unplanned request %d", n)
		return action{status: 500, errType: "InternalFailure"}
	})
	hs := httptest.NewServer(srv)
	defer hs.Close()

	c := newTestConsumer(t, hs, StartSelector{Type: StartEarliest}, nil)
	rec := &recorder{stopAtToken: srv.tokens[9]}
	require.NoError(t, runConsumer(t, c, rec))
	requireSameDelivery(t, reference(t, capture), rec)

	tok := func(i int) StartSelector {
		return StartSelector{Type: StartContinuationToken, ContinuationToken: srv.tokens[i]}
	}
	early := StartSelector{Type: StartEarliest}
	require.Equal(t, []StartSelector{early, early, early, tok(1), tok(1), tok(1), tok(2), tok(2), tok(6)}, srv.selectors())
	require.Equal(t, len(plan), c.Requests())
	require.Equal(t, tok(9), c.Checkpoint())
}

// TestConsumerRandomCuts drops the connection at random offsets of
// output_get_media.mkv.
func TestConsumerRandomCuts(t *testing.T) {
	capture := readFixture(t, parserLib+"/output_get_media.mkv")
	want := reference(t, capture)
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			var fk *fakeKVS
			fk = newFakeKVS(t, capture, func(n int) action {
				if n >= 8 {
					return action{}
				}
				// Cut somewhere in what this response would send.
				start := fk.start(fk.selectors()[n])
				size := len(bytes.Join(fk.chunks[start:], nil))
				return action{cut: 1 + rng.IntN(size-1)}
			})
			hs := httptest.NewServer(fk)
			defer hs.Close()
			c := newTestConsumer(t, hs, StartSelector{Type: StartEarliest}, nil)
			rec := &recorder{stopAtToken: fk.tokens[len(fk.tokens)-1]}
			require.NoError(t, runConsumer(t, c, rec))
			requireSameDelivery(t, want, rec)
			require.Equal(t, 9, c.Requests())
		})
	}
}

// TestConsumerReconnectsAfterCleanEnd: the server ends every response after
// one chunk, as the service does with idle connections.
func TestConsumerReconnectsAfterCleanEnd(t *testing.T) {
	capture := readFixture(t, parserLib+"/kinesis_video_renderer_example_output.mkv")
	var fk *fakeKVS
	fk = newFakeKVS(t, capture, func(n int) action {
		start := fk.start(fk.selectors()[n])
		if start < 0 || start >= len(fk.chunks) {
			return action{closeEnd: true}
		}
		return action{limit: len(fk.chunks[start]), closeEnd: true}
	})
	hs := httptest.NewServer(fk)
	defer hs.Close()
	c := newTestConsumer(t, hs, StartSelector{Type: StartFragmentNumber, AfterFragmentNumber: fk.fns[0]}, nil)
	rec := &recorder{stopAtToken: fk.tokens[7]}
	require.NoError(t, runConsumer(t, c, rec))
	want := reference(t, bytes.Join(fk.chunks[1:], nil))
	requireSameDelivery(t, want, rec)
	require.Equal(t, 7, c.Requests())
	sels := fk.selectors()
	require.Equal(t, StartFragmentNumber, sels[0].Type)
	require.Equal(t, StartSelector{Type: StartContinuationToken, ContinuationToken: fk.tokens[1]}, sels[1])
}

// TestConsumerIdle: a silent connection is not an error; with IdleTimeout a
// stalled one is resumed.
func TestConsumerIdle(t *testing.T) {
	capture := readFixture(t, parserLib+"/test_mixed_tags.mkv")
	chunks := splitChunks(t, capture)
	want := reference(t, capture)
	t.Run("silence is waited on", func(t *testing.T) {
		fk := newFakeKVS(t, capture, func(n int) action {
			return action{stallAt: len(chunks[0]), stall: 300 * time.Millisecond}
		})
		hs := httptest.NewServer(fk)
		defer hs.Close()
		c := newTestConsumer(t, hs, StartSelector{Type: StartEarliest}, nil)
		rec := &recorder{stopAtToken: fk.tokens[9]}
		require.NoError(t, runConsumer(t, c, rec))
		requireSameDelivery(t, want, rec)
		require.Equal(t, 1, c.Requests())
	})
	t.Run("stalled connection is resumed", func(t *testing.T) {
		fk := newFakeKVS(t, capture, func(n int) action {
			if n == 0 {
				return action{stallAt: len(chunks[0]) + len(chunks[1])/2, stallFor: true}
			}
			return action{}
		})
		hs := httptest.NewServer(fk)
		defer hs.Close()
		c := newTestConsumer(t, hs, StartSelector{Type: StartEarliest}, func(cfg *ConsumerConfig) {
			cfg.IdleTimeout = 200 * time.Millisecond
		})
		rec := &recorder{stopAtToken: fk.tokens[9]}
		require.NoError(t, runConsumer(t, c, rec))
		requireSameDelivery(t, want, rec)
		// A loaded machine may stall the second response too; what counts
		// is that the first one was resumed after chunk 0.
		require.GreaterOrEqual(t, c.Requests(), 2)
		require.Equal(t, StartSelector{Type: StartContinuationToken, ContinuationToken: fk.tokens[0]}, fk.selectors()[1])
	})
}

// errorTags builds a Tags element with the GetMedia error tags.
func errorTags(t *testing.T, code, id string) []byte {
	var b bytes.Buffer
	w := mkv.NewWriter(&b)
	require.NoError(t, w.WriteTags(mkv.Tags{Tags: []mkv.Tag{{SimpleTags: []mkv.SimpleTag{
		{Name: mkv.TagErrorCode, String: code},
		{Name: mkv.TagErrorID, String: id},
	}}}}))
	return b.Bytes()
}

// TestConsumerErrors checks the typed errors of Run.
func TestConsumerErrors(t *testing.T) {
	capture := readFixture(t, parserLib+"/test_mixed_tags.mkv")
	chunks := splitChunks(t, capture)
	tests := []struct {
		name     string
		plan     func(n int) action
		retries  int
		requests int
		ends     int
		check    func(t *testing.T, err error)
	}{
		{
			name: "error tags after a chunk",
			plan: func(int) action {
				return action{limit: len(chunks[0]) + len(chunks[1]), tail: errorTags(t, "FRAGMENT_NOT_FOUND", "4000")}
			},
			requests: 1, ends: 2,
			check: func(t *testing.T, err error) {
				var se *StreamError
				require.ErrorAs(t, err, &se)
				require.ErrorIs(t, err, ErrStreamError)
				require.Equal(t, ErrorIDFragmentNotFound, se.ID)
				require.Equal(t, "FRAGMENT_NOT_FOUND", se.Code)
			},
		},
		{
			name:     "stream not found",
			plan:     func(int) action { return action{status: 404, errType: "ResourceNotFoundException"} },
			requests: 1,
			check: func(t *testing.T, err error) {
				var ae *APIError
				require.ErrorAs(t, err, &ae)
				require.ErrorIs(t, err, ErrAPI)
				require.Equal(t, 404, ae.StatusCode)
				require.Equal(t, "ResourceNotFoundException", ae.Type)
				require.Equal(t, "planned ResourceNotFoundException", ae.Message)
				require.Equal(t, "req-0", ae.RequestID)
				require.False(t, ae.Retryable())
			},
		},
		{
			name:     "gives up after MaxRetries",
			plan:     func(int) action { return action{status: 503, errType: "ServiceUnavailableException"} },
			retries:  2,
			requests: 3,
			check: func(t *testing.T, err error) {
				var ae *APIError
				require.ErrorAs(t, err, &ae)
				require.True(t, ae.Retryable())
				require.ErrorContains(t, err, "giving up after 3 failed attempts")
			},
		},
		{
			name:     "gives up on a connection that always drops",
			plan:     func(int) action { return action{cut: 100} },
			retries:  3,
			requests: 4,
			check: func(t *testing.T, err error) {
				require.ErrorIs(t, err, ErrTruncated)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fk := newFakeKVS(t, capture, tc.plan)
			hs := httptest.NewServer(fk)
			defer hs.Close()
			c := newTestConsumer(t, hs, StartSelector{Type: StartEarliest}, func(cfg *ConsumerConfig) {
				cfg.MaxRetries = tc.retries
			})
			rec := &recorder{}
			err := runConsumer(t, c, rec)
			require.Error(t, err)
			tc.check(t, err)
			require.Equal(t, tc.requests, c.Requests())
			require.Len(t, rec.ends, tc.ends)
		})
	}
}

// TestConsumerCancel stops Run with its context while the stream is silent.
func TestConsumerCancel(t *testing.T) {
	capture := readFixture(t, parserLib+"/test_mixed_tags.mkv")
	fk := newFakeKVS(t, capture, func(int) action { return action{} })
	hs := httptest.NewServer(fk)
	defer hs.Close()
	c := newTestConsumer(t, hs, StartSelector{Type: StartEarliest}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	ends := 0
	err := c.Run(ctx, Handler{ChunkEnd: func(*Chunk) error {
		if ends++; ends == 10 {
			time.AfterFunc(50*time.Millisecond, cancel)
		}
		return nil
	}})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, 10, ends)
	// Run resumes after the last complete chunk.
	require.Equal(t, StartContinuationToken, c.Checkpoint().Type)
	require.Equal(t, fk.tokens[9], c.Checkpoint().ContinuationToken)
}

// TestConsumerHandlerError returns the handler's error as is, and ErrStop as
// nil.
func TestConsumerHandlerError(t *testing.T) {
	capture := readFixture(t, parserLib+"/test_mixed_tags.mkv")
	fk := newFakeKVS(t, capture, func(int) action { return action{} })
	hs := httptest.NewServer(fk)
	defer hs.Close()
	c := newTestConsumer(t, hs, StartSelector{Type: StartEarliest}, nil)
	boom := errors.New("boom")
	frames := 0
	err := c.Run(context.Background(), Handler{Frame: func(*Chunk, *Frame) error {
		if frames++; frames == 15 {
			return boom
		}
		return nil
	}})
	require.Same(t, boom, err)
	require.Equal(t, 1, c.Requests())
	// Run again: it goes on after the last complete chunk (chunk 0), skips
	// the 4 frames of chunk 1 that were delivered, and delivers again the
	// one whose Handler call failed.
	var first *Frame
	var firstChunk *Chunk
	err = c.Run(context.Background(), Handler{Frame: func(ch *Chunk, f *Frame) error {
		if first == nil {
			g := *f
			first, firstChunk = &g, ch
		}
		if frames++; frames == 20 {
			return ErrStop
		}
		return nil
	}})
	require.NoError(t, err)
	require.Equal(t, 4, first.Index)
	require.Equal(t, fk.fns[1], firstChunk.FragmentNumber)
	require.Equal(t, 1, firstChunk.Index)
	require.Equal(t, 2, c.Requests())
	require.Equal(t, StartSelector{Type: StartContinuationToken, ContinuationToken: fk.tokens[0]}, fk.selectors()[1])
}

// TestNewConsumerConfig rejects incomplete configurations.
func TestNewConsumerConfig(t *testing.T) {
	good := ConsumerConfig{Endpoint: "http://127.0.0.1:1", StreamName: "s", Region: "us-east-1", Credentials: aws.AnonymousCredentials{}}
	tests := []struct {
		name string
		mod  func(*ConsumerConfig)
		ok   bool
	}{
		{name: "good", mod: func(*ConsumerConfig) {}, ok: true},
		{name: "no endpoint", mod: func(c *ConsumerConfig) { c.Endpoint = "" }},
		{name: "no stream", mod: func(c *ConsumerConfig) { c.StreamName = "" }},
		{name: "name and arn", mod: func(c *ConsumerConfig) { c.StreamARN = "arn:aws:kinesisvideo:us-east-1:1:stream/s/1" }},
		{name: "no credentials", mod: func(c *ConsumerConfig) { c.Credentials = nil }},
		{name: "no region", mod: func(c *ConsumerConfig) { c.Region = "" }},
		{name: "bad selector", mod: func(c *ConsumerConfig) { c.StartSelector = StartSelector{Type: "LATEST"} }},
		{name: "token without value", mod: func(c *ConsumerConfig) { c.StartSelector = StartSelector{Type: StartContinuationToken} }},
		{name: "fragment number not digits", mod: func(c *ConsumerConfig) {
			c.StartSelector = StartSelector{Type: StartFragmentNumber, AfterFragmentNumber: "12a"}
		}},
		{name: "timestamp missing", mod: func(c *ConsumerConfig) { c.StartSelector = StartSelector{Type: StartServerTimestamp} }},
		{name: "timestamp", mod: func(c *ConsumerConfig) {
			c.StartSelector = StartSelector{Type: StartProducerTimestamp, StartTimestamp: time.Unix(1704164645, 678e6)}
		}, ok: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.mod(&cfg)
			c, err := NewConsumer(cfg)
			if tc.ok {
				require.NoError(t, err)
				require.NoError(t, c.Close())
				return
			}
			require.ErrorIs(t, err, ErrInvalidConfig)
		})
	}
}

// TestStartSelectorJSON checks the wire form of every selector type against
// the requests the AWS CLI sends (fixtures/wire/awscli/kinesis-video-media).
func TestStartSelectorJSON(t *testing.T) {
	tests := []struct {
		sel  StartSelector
		json string
	}{
		{StartSelector{Type: StartNow}, `{"StartSelectorType":"NOW"}`},
		{StartSelector{Type: StartEarliest, ContinuationToken: "ignored"}, `{"StartSelectorType":"EARLIEST"}`},
		{StartSelector{Type: StartFragmentNumber, AfterFragmentNumber: "91343852333181432392682062607743920146264148563"},
			`{"StartSelectorType":"FRAGMENT_NUMBER","AfterFragmentNumber":"91343852333181432392682062607743920146264148563"}`},
		{StartSelector{Type: StartContinuationToken, ContinuationToken: "91343852333181432392682062607743920146264148563"},
			`{"StartSelectorType":"CONTINUATION_TOKEN","ContinuationToken":"91343852333181432392682062607743920146264148563"}`},
		{StartSelector{Type: StartProducerTimestamp, StartTimestamp: time.Unix(1704164645, 0)},
			`{"StartSelectorType":"PRODUCER_TIMESTAMP","StartTimestamp":1704164645}`},
		{StartSelector{Type: StartServerTimestamp, StartTimestamp: time.Unix(1704164645, 678_900_000)},
			`{"StartSelectorType":"SERVER_TIMESTAMP","StartTimestamp":1704164645.678}`},
	}
	for _, tc := range tests {
		t.Run(string(tc.sel.Type), func(t *testing.T) {
			b, err := json.Marshal(tc.sel)
			require.NoError(t, err)
			require.JSONEq(t, tc.json, string(b))
			var back StartSelector
			require.NoError(t, json.Unmarshal(b, &back))
			want := tc.sel
			if want.Type == StartEarliest {
				want.ContinuationToken = ""
			}
			want.StartTimestamp = want.StartTimestamp.Truncate(time.Millisecond)
			if !want.StartTimestamp.IsZero() {
				want.StartTimestamp = want.StartTimestamp.UTC()
			}
			require.Equal(t, want, back)
		})
	}
}
