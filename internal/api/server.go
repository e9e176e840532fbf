package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/openkvs/openkvs/internal/auth"
	"github.com/openkvs/openkvs/internal/control"
	"github.com/openkvs/openkvs/internal/errkind"
	"github.com/openkvs/openkvs/internal/ingest"
	"github.com/openkvs/openkvs/internal/media"
	"github.com/openkvs/openkvs/internal/playback/clip"
	"github.com/openkvs/openkvs/internal/playback/dash"
	"github.com/openkvs/openkvs/internal/playback/hls"
)

// Config tunes the HTTP layer.
type Config struct {
	// MaxBodyBytes caps JSON request bodies; streamed bodies are exempt.
	MaxBodyBytes int64
}

// Deps are the Handler's collaborators.
type Deps struct {
	Verifier *auth.Verifier
	Control  *control.Service
	// Ingest runs PutMedia sessions; nil leaves PutMedia unimplemented.
	Ingest *ingest.Ingester
	// Media serves stored fragments; nil leaves the read APIs
	// unimplemented.
	Media *media.Service
	// Clip serves GetClip; nil leaves it unimplemented.
	Clip *clip.Service
	// HLS serves HLS sessions; nil leaves them unimplemented.
	HLS *hls.Service
	// DASH serves DASH sessions; nil leaves them unimplemented.
	DASH *dash.Service
	// Log may be nil.
	Log *slog.Logger
}

// Handler serves every KVS API path.
type Handler struct {
	cfg    Config
	verify *auth.Verifier
	ctl    *control.Service
	ingest *ingest.Ingester
	media  *media.Service
	clip   *clip.Service
	hls    *hls.Service
	dash   *dash.Service
	log    *slog.Logger
	routes map[string]route
}

// New returns a Handler.
func New(cfg Config, deps Deps) (*Handler, error) {
	if deps.Verifier == nil || deps.Control == nil {
		return nil, errors.New("api: verifier and control are required")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	h := &Handler{cfg: cfg, verify: deps.Verifier, ctl: deps.Control, ingest: deps.Ingest, media: deps.Media, clip: deps.Clip, hls: deps.HLS, dash: deps.DASH, log: deps.Log}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.routes = h.routeTable()
	return h, nil
}

// request is what an action handler gets: the verified caller and the body.
type request struct {
	op       string
	body     []byte
	identity auth.Identity
}

// actionFunc runs one action and returns the value to encode as the JSON
// response, or nil for an action without output (empty 200 body).
type actionFunc func(ctx context.Context, req *request) (any, error)

// route is one path of the API.
type route struct {
	op string
	// method is the only method the path accepts (besides OPTIONS).
	method string
	// streamed bodies (PutMedia) are not read before the action and are
	// signed with the empty payload hash.
	streamed bool
	// action is nil for operations that are not implemented yet.
	action actionFunc
	// stream, when set, serves a streaming operation itself after
	// authentication. An error it returns before writing a response is
	// sent as an AWS error.
	stream func(w http.ResponseWriter, r *http.Request, req *request) error
	// public, when set, serves a playback GET whose session token
	// authorizes it: no body, no SigV4 (HLS players cannot sign).
	public func(w http.ResponseWriter, r *http.Request) error
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := newRequestID()
	hdr := w.Header()
	hdr.Set("x-amzn-RequestId", reqID)
	setCORS(hdr, r)
	if r.Method == http.MethodOptions {
		preflight(w, r)
		return
	}
	rt, ok := h.routes[r.URL.Path]
	op := rt.op
	status, err := h.serve(w, r, rt, ok)
	if err != nil {
		status = h.writeError(w, op, err)
	}
	if h.log.Enabled(r.Context(), slog.LevelDebug) { // skip building the attributes on the hot path
		h.log.Debug("request", "op", op, "path", r.URL.Path, "status", status, "request_id", reqID,
			"duration", time.Since(start))
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, rt route, known bool) (int, error) {
	if !known || r.Method != rt.method {
		return 0, errkind.New(errUnknownOperation, "No operation matches %s %s.", r.Method, r.URL.Path)
	}
	if rt.public != nil {
		return http.StatusOK, rt.public(w, r)
	}
	req := &request{op: rt.op}
	hash := ""
	if !rt.streamed {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return 0, errkind.New(errBodyTooLarge, "The request body exceeds %d bytes.", h.cfg.MaxBodyBytes)
			}
			return 0, errkind.New(errSerialization, "Reading the request body failed: %v", err)
		}
		req.body = body
		hash = auth.PayloadHash(body)
	}
	id, err := h.verify.Verify(r, hash)
	if err != nil {
		return 0, err
	}
	req.identity = id
	if rt.stream != nil {
		return http.StatusOK, rt.stream(w, r, req)
	}
	if rt.action == nil {
		return 0, errkind.New(errNotImplemented, "%s is not implemented by this kvsd yet.", rt.op)
	}
	out, err := rt.action(r.Context(), req)
	if err != nil {
		return 0, err
	}
	if out == nil {
		w.WriteHeader(http.StatusOK)
		return http.StatusOK, nil
	}
	b, err := json.Marshal(out)
	if err != nil {
		return 0, err
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
	return http.StatusOK, nil
}

// writeError sends err as an AWS error and returns the status sent.
func (h *Handler) writeError(w http.ResponseWriter, op string, err error) int {
	ae, public := classify(err)
	msg := err.Error()
	if !public {
		h.log.Error("internal failure", "op", op, "err", err)
		msg = "An internal error occurred. See the kvsd log for the request ID."
	}
	hdr := w.Header()
	hdr.Set("x-amzn-ErrorType", ae.name)
	hdr.Set("Content-Type", "application/json")
	w.WriteHeader(ae.status)
	// "message" is what the AWS CLI, boto3 and the Go SDK read first.
	b, _ := json.Marshal(map[string]string{"__type": ae.name, "message": msg})
	_, _ = w.Write(b)
	return ae.status
}

// setCORS lets browser pages (the console, HLS players) call every API.
func setCORS(h http.Header, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "x-amzn-RequestId, x-amzn-ErrorType, Content-Type, Content-Length, Date")
}

func preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
	} else {
		h.Set("Access-Control-Allow-Headers", strings.Join([]string{
			"Authorization", "Content-Type", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-User-Agent",
			"X-Amz-Content-Sha256", "amz-sdk-invocation-id", "amz-sdk-request",
		}, ", "))
	}
	h.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusOK)
}

// newRequestID returns a random UUID (version 4), the form of
// x-amzn-RequestId.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
