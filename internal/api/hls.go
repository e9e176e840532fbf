package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/openkvs/openkvs/internal/media"
	"github.com/openkvs/openkvs/internal/playback/hls"
)

// getHLSStreamingSessionURL answers GetHLSStreamingSessionURL. The URL
// points at the host the client called, which is the data endpoint it got
// from GetDataEndpoint.
func (h *Handler) getHLSStreamingSessionURL(w http.ResponseWriter, r *http.Request, req *request) error {
	in, err := decode[struct {
		streamRef
		PlaybackMode                    *string           `json:"PlaybackMode"`
		HLSFragmentSelector             *fragmentSelector `json:"HLSFragmentSelector"`
		ContainerFormat                 *string           `json:"ContainerFormat"`
		DiscontinuityMode               *string           `json:"DiscontinuityMode"`
		DisplayFragmentTimestamp        *string           `json:"DisplayFragmentTimestamp"`
		Expires                         *int64            `json:"Expires"`
		MaxMediaPlaylistFragmentResults *int64            `json:"MaxMediaPlaylistFragmentResults"`
	}](req)
	if err != nil {
		return err
	}
	hr, err := sessionRequest(sessionArgs{mode: in.PlaybackMode, sel: in.HLSFragmentSelector, selName: "HLSFragmentSelector",
		displayTime: in.DisplayFragmentTimestamp, expires: in.Expires, max: in.MaxMediaPlaylistFragmentResults, maxName: "MaxMediaPlaylistFragmentResults"})
	if err != nil {
		return err
	}
	if in.ContainerFormat != nil {
		switch *in.ContainerFormat {
		case "FRAGMENTED_MP4":
		case "MPEG_TS":
			hr.TS = true
		default:
			return invalid("ContainerFormat must be FRAGMENTED_MP4 or MPEG_TS, not %q.", *in.ContainerFormat)
		}
	}
	if v := in.DiscontinuityMode; v != nil {
		switch *v {
		case hls.DiscontinuityAlways, hls.DiscontinuityNever, hls.DiscontinuityOnGap:
			hr.Discontinuity = *v
		default:
			return invalid("DiscontinuityMode must be ALWAYS, NEVER or ON_DISCONTINUITY, not %q.", *v)
		}
	}
	st, err := h.ctl.DataStream(r.Context(), in.ref())
	if err != nil {
		return err
	}
	hr.Stream, hr.RetentionHours = st.ARN, st.RetentionHours
	token, err := h.hls.NewSession(r.Context(), hr)
	if err != nil {
		return err
	}
	return writeJSON(w, struct {
		HLSStreamingSessionURL string `json:"HLSStreamingSessionURL"`
	}{baseURL(r) + "/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=" + token})
}

// hlsResource serves one session resource. The session token in the query
// authorizes it; these GETs carry no SigV4 signature.
func (h *Handler) hlsResource(contentType string, serve func(ctx context.Context, q queryArgs, w io.Writer) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		// The whole resource is made before the status is sent, so that
		// an error gets its documented status; the buffers are reused
		// because live viewers ask for a segment every second or two.
		b := resourceBufs.Get().(*bytes.Buffer)
		b.Reset()
		defer func() {
			if b.Cap() <= maxPooledResource {
				resourceBufs.Put(b)
			}
		}()
		if err := serve(r.Context(), queryArgs{r}, b); err != nil {
			return err
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b.Bytes())
		return nil
	}
}

var resourceBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledResource keeps buffers of unusually large segments out of the
// pool, so that one does not stay allocated for good.
const maxPooledResource = 4 << 20

// queryArgs reads and checks the query parameters of playback URLs.
type queryArgs struct{ r *http.Request }

func (q queryArgs) token() string { return q.r.URL.Query().Get("SessionToken") }

// lowLatency reports LowLatency=1, our option for low-latency HLS.
func (q queryArgs) lowLatency() bool { return q.r.URL.Query().Get("LowLatency") == "1" }

// fragmentNumber is the FragmentNumber parameter of a segment URL.
func (q queryArgs) fragmentNumber() (uint64, error) {
	n, ok := media.ParseFragmentNumber(q.r.URL.Query().Get("FragmentNumber"))
	if !ok {
		return 0, invalid("FragmentNumber is not valid.")
	}
	return n, nil
}

func (q queryArgs) track() (int, error) {
	v := q.r.URL.Query().Get("TrackNumber")
	if v == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, invalid("TrackNumber %q is not valid.", v)
	}
	return n, nil
}

func (h *Handler) hlsRoutes() map[string]func(http.ResponseWriter, *http.Request) error {
	return map[string]func(http.ResponseWriter, *http.Request) error{
		"/hls/v1/getHLSMasterPlaylist.m3u8": h.hlsResource("application/vnd.apple.mpegurl", func(ctx context.Context, q queryArgs, w io.Writer) error {
			return h.hls.MasterPlaylistLL(ctx, q.token(), q.lowLatency(), w)
		}),
		"/hls/v1/getHLSMediaPlaylist.m3u8": h.hlsResource("application/vnd.apple.mpegurl", func(ctx context.Context, q queryArgs, w io.Writer) error {
			track, err := q.track()
			if err != nil {
				return err
			}
			llr := hls.LLRequest{On: q.lowLatency(), MSN: -1, Part: -1}
			for name, dst := range map[string]*int{"_HLS_msn": &llr.MSN, "_HLS_part": &llr.Part} {
				if v := q.r.URL.Query().Get(name); v != "" {
					n, err := strconv.Atoi(v)
					if err != nil || n < 0 {
						return invalid("%s %q is not valid.", name, v)
					}
					*dst = n
				}
			}
			if llr.Part >= 0 && llr.MSN < 0 {
				return invalid("_HLS_part needs _HLS_msn.")
			}
			return h.hls.MediaPlaylistLL(ctx, q.token(), track, llr, w)
		}),
		"/hls/v1/getMP4PartialFragment.mp4": h.hlsResource("video/mp4", func(ctx context.Context, q queryArgs, w io.Writer) error {
			track, err := q.track()
			if err != nil {
				return err
			}
			n, err := q.fragmentNumber()
			if err != nil {
				return err
			}
			part, err := strconv.Atoi(q.r.URL.Query().Get("Part"))
			if err != nil || part < 0 {
				return invalid("Part is not valid.")
			}
			return h.hls.PartialFragment(ctx, q.token(), track, n, part, w)
		}),
		"/hls/v1/getMP4InitFragment.mp4": h.hlsResource("video/mp4", func(ctx context.Context, q queryArgs, w io.Writer) error {
			track, err := q.track()
			if err != nil {
				return err
			}
			seq, err := strconv.ParseUint(q.r.URL.Query().Get("SequenceNumber"), 10, 64)
			if err != nil {
				return invalid("SequenceNumber is not valid.")
			}
			return h.hls.InitFragment(ctx, q.token(), track, seq, w)
		}),
		"/hls/v1/getMP4MediaFragment.mp4": h.hlsResource("video/mp4", func(ctx context.Context, q queryArgs, w io.Writer) error {
			track, err := q.track()
			if err != nil {
				return err
			}
			n, err := q.fragmentNumber()
			if err != nil {
				return err
			}
			return h.hls.MediaFragment(ctx, q.token(), track, n, w)
		}),
		"/hls/v1/getTSFragment.ts": h.hlsResource("video/mp2t", func(ctx context.Context, q queryArgs, w io.Writer) error {
			n, err := q.fragmentNumber()
			if err != nil {
				return err
			}
			return h.hls.TSFragment(ctx, q.token(), n, w)
		}),
	}
}

// writeJSON sends v as a 200 JSON response.
func writeJSON(w http.ResponseWriter, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
	return nil
}

// withPlayback makes the playback GET paths public when HLS or DASH is
// configured.
func (h *Handler) withPlayback(m map[string]route) map[string]route {
	public := func(routes map[string]func(http.ResponseWriter, *http.Request) error) {
		for path, serve := range routes {
			rt := m[path]
			rt.public = serve
			m[path] = rt
		}
	}
	if h.hls != nil {
		m["/getHLSStreamingSessionURL"] = h.playbackRoute("GetHLSStreamingSessionURL", true, h.getHLSStreamingSessionURL)
		public(h.hlsRoutes())
	}
	if h.dash != nil {
		m["/getDASHStreamingSessionURL"] = h.playbackRoute("GetDASHStreamingSessionURL", true, h.getDASHStreamingSessionURL)
		public(h.dashRoutes())
	}
	return m
}
