package session

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/openkvs/openkvs/internal/errkind"
	"github.com/openkvs/openkvs/internal/playback"
	"github.com/openkvs/openkvs/internal/store"
)

// Playback modes of GetHLSStreamingSessionURL and
// GetDASHStreamingSessionURL.
const (
	ModeLive       = "LIVE"
	ModeLiveReplay = "LIVE_REPLAY"
	ModeOnDemand   = "ON_DEMAND"
)

// Discontinuity modes (HLS only).
const (
	DiscontinuityAlways = "ALWAYS"
	DiscontinuityNever  = "NEVER"
	DiscontinuityOnGap  = "ON_DISCONTINUITY"
)

// Session is what a session token carries. The token is the session: the
// server keeps nothing per session but a count for the per-stream limit,
// so sessions survive nothing but a key change. JSON names are short
// because the token travels in every segment URL.
type Session struct {
	ID string `json:"i"`
	// API is the protocol the token was made for ("hls" or "dash").
	API    string              `json:"k"`
	Stream string              `json:"s"`
	Mode   string              `json:"m"`
	By     store.TimestampKind `json:"b"`
	// Start and End are the TimestampRange in unix ms; 0 = absent.
	Start int64 `json:"f,omitempty"`
	End   int64 `json:"t,omitempty"`
	// Disc is the HLS DiscontinuityMode; PDT is DisplayFragmentTimestamp
	// ALWAYS, FN DASH's DisplayFragmentNumber ALWAYS.
	Disc string `json:"d,omitempty"`
	PDT  bool   `json:"p,omitempty"`
	FN   bool   `json:"fn,omitempty"`
	// TS is HLS ContainerFormat MPEG_TS.
	TS  bool `json:"ts,omitempty"`
	Max int  `json:"n"`
	// Expires is the unix second after which the token is refused.
	Expires int64 `json:"e"`
	// Created is the unix ms of creation; LIVE_REPLAY paces from it.
	Created int64 `json:"c"`
	// After is the fragment number before the session's first fragment:
	// media sequence numbers count from it.
	After uint64 `json:"a"`
	// Origin is the timestamp (unix ms) that is time 0 of the session's
	// media timeline.
	Origin int64 `json:"o"`
	// AST is the DASH availabilityStartTime of a live session (unix ms):
	// the wall-clock time of media time 0.
	AST int64 `json:"as,omitempty"`
	// Header is the producer header ID of the session's first fragment:
	// DASH sessions keep one codec configuration.
	Header uint64 `json:"h,omitempty"`
}

// macSize is the length of the truncated HMAC-SHA256 in a token.
const macSize = 20

// sign encodes s as a token: URL-safe base64 of the JSON and its HMAC,
// ending in "~" as KVS tokens do. It contains no character that needs
// escaping in a query string or in XML.
func sign(key []byte, s *Session) string {
	payload, _ := json.Marshal(s)
	m := hmac.New(sha256.New, key)
	m.Write(payload)
	return base64.RawURLEncoding.EncodeToString(append(payload, m.Sum(nil)[:macSize]...)) + "~"
}

// open verifies a token and returns its session, or ErrNotAuthorized.
func open(key []byte, token string, now time.Time) (*Session, error) {
	denied := errkind.New(playback.ErrNotAuthorized, "The session token is not valid.")
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimSuffix(token, "~"))
	if err != nil || len(raw) <= macSize {
		return nil, denied
	}
	payload, mac := raw[:len(raw)-macSize], raw[len(raw)-macSize:]
	m := hmac.New(sha256.New, key)
	m.Write(payload)
	if !hmac.Equal(mac, m.Sum(nil)[:macSize]) {
		return nil, denied
	}
	var s Session
	if err := json.Unmarshal(payload, &s); err != nil {
		return nil, denied
	}
	if now.Unix() >= s.Expires {
		return nil, errkind.New(playback.ErrNotAuthorized, "The session token has expired.")
	}
	return &s, nil
}

func newSessionID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
