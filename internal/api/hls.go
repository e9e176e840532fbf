package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/openkvs/openkvs/internal/errkind"
	"github.com/openkvs/openkvs/internal/media"
	"github.com/openkvs/openkvs/internal/playback/hls"
	"github.com/openkvs/openkvs/internal/store"
)

// getHLSStreamingSessionURL answers GetHLSStreamingSessionURL. The URL
// points at the host the client called, which is the data endpoint it got
// from GetDataEndpoint.
func (h *Handler) getHLSStreamingSessionURL(w http.ResponseWriter, r *http.Request, req *request) error {
	in, err := decode[struct {
		streamRef
		PlaybackMode        *string `json:"PlaybackMode"`
		HLSFragmentSelector *struct {
			FragmentSelectorType *string `json:"FragmentSelectorType"`
			TimestampRange       *struct {
				StartTimestamp *float64 `json:"StartTimestamp"`
				EndTimestamp   *float64 `json:"EndTimestamp"`
			} `json:"TimestampRange"`
		} `json:"HLSFragmentSelector"`
		ContainerFormat                 *string `json:"ContainerFormat"`
		DiscontinuityMode               *string `json:"DiscontinuityMode"`
		DisplayFragmentTimestamp        *string `json:"DisplayFragmentTimestamp"`
		Expires                         *int64  `json:"Expires"`
		MaxMediaPlaylistFragmentResults *int64  `json:"MaxMediaPlaylistFragmentResults"`
	}](req)
	if err != nil {
		return err
	}
	hr := hls.Request{Mode: hls.ModeLive, By: store.ByServerTimestamp}
	if in.PlaybackMode != nil {
		switch *in.PlaybackMode {
		case hls.ModeLive, hls.ModeLiveReplay, hls.ModeOnDemand:
			hr.Mode = *in.PlaybackMode
		default:
			return invalid("PlaybackMode must be LIVE, LIVE_REPLAY or ON_DEMAND, not %q.", *in.PlaybackMode)
		}
	}
	if sel := in.HLSFragmentSelector; sel != nil {
		if sel.FragmentSelectorType != nil {
			if hr.By, err = timestampKind(sel.FragmentSelectorType, "HLSFragmentSelector.FragmentSelectorType"); err != nil {
				return err
			}
		}
		if tr := sel.TimestampRange; tr != nil {
			if tr.StartTimestamp != nil {
				hr.Start = epochTime(*tr.StartTimestamp)
			}
			if tr.EndTimestamp != nil {
				hr.End = epochTime(*tr.EndTimestamp)
			}
		}
	}
	if in.ContainerFormat != nil {
		switch *in.ContainerFormat {
		case "FRAGMENTED_MP4":
		case "MPEG_TS":
			return errkind.New(errNotImplemented, "ContainerFormat MPEG_TS is not implemented by this kvsd yet; use FRAGMENTED_MP4.")
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
	if v := in.DisplayFragmentTimestamp; v != nil {
		if *v != "ALWAYS" && *v != "NEVER" {
			return invalid("DisplayFragmentTimestamp must be ALWAYS or NEVER, not %q.", *v)
		}
		hr.DisplayTime = *v == "ALWAYS"
	}
	if v := in.Expires; v != nil {
		if *v < 300 || *v > 43200 {
			return invalid("Expires must be between 300 and 43200 seconds, not %d.", *v)
		}
		hr.Expires = time.Duration(*v) * time.Second
	}
	if v := in.MaxMediaPlaylistFragmentResults; v != nil {
		if *v < 1 || *v > 5000 {
			return invalid("MaxMediaPlaylistFragmentResults must be between 1 and 5000, not %d.", *v)
		}
		hr.MaxResults = int(*v)
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
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return writeJSON(w, struct {
		HLSStreamingSessionURL string `json:"HLSStreamingSessionURL"`
	}{scheme + "://" + r.Host + "/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=" + token})
}

// hlsResource serves one session resource. The session token in the query
// authorizes it; these GETs carry no SigV4 signature.
func (h *Handler) hlsResource(contentType string, serve func(ctx context.Context, q queryArgs, w io.Writer) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		var b bytes.Buffer
		if err := serve(r.Context(), queryArgs{r}, &b); err != nil {
			return err
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b.Bytes())
		return nil
	}
}

// queryArgs reads and checks the query parameters of playback URLs.
type queryArgs struct{ r *http.Request }

func (q queryArgs) token() string { return q.r.URL.Query().Get("SessionToken") }

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
			return h.hls.MasterPlaylist(ctx, q.token(), w)
		}),
		"/hls/v1/getHLSMediaPlaylist.m3u8": h.hlsResource("application/vnd.apple.mpegurl", func(ctx context.Context, q queryArgs, w io.Writer) error {
			track, err := q.track()
			if err != nil {
				return err
			}
			return h.hls.MediaPlaylist(ctx, q.token(), track, w)
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
			n, ok := media.ParseFragmentNumber(q.r.URL.Query().Get("FragmentNumber"))
			if !ok {
				return invalid("FragmentNumber is not valid.")
			}
			return h.hls.MediaFragment(ctx, q.token(), track, n, w)
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

// withPlayback makes the playback GET paths public when HLS is configured.
func (h *Handler) withPlayback(m map[string]route) map[string]route {
	if h.hls == nil {
		return m
	}
	m["/getHLSStreamingSessionURL"] = h.playbackRoute("GetHLSStreamingSessionURL", true, h.getHLSStreamingSessionURL)
	for path, serve := range h.hlsRoutes() {
		rt := m[path]
		rt.public = serve
		m[path] = rt
	}
	return m
}
