package api

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/openkvs/openkvs/internal/playback/session"
	"github.com/openkvs/openkvs/internal/store"
)

// fragmentSelector is an HLSFragmentSelector or DASHFragmentSelector.
type fragmentSelector struct {
	FragmentSelectorType *string `json:"FragmentSelectorType"`
	TimestampRange       *struct {
		StartTimestamp *float64 `json:"StartTimestamp"`
		EndTimestamp   *float64 `json:"EndTimestamp"`
	} `json:"TimestampRange"`
}

// sessionArgs are the members GetHLSStreamingSessionURL and
// GetDASHStreamingSessionURL share; the names differ between the two.
type sessionArgs struct {
	mode         *string
	sel          *fragmentSelector
	selName      string
	displayTime  *string
	expires, max *int64
	maxName      string
}

// sessionRequest checks the shared members' values and fills a session
// request with them; the modes' rules are checked by package session.
func sessionRequest(a sessionArgs) (session.Request, error) {
	sr := session.Request{Mode: session.ModeLive, By: store.ByServerTimestamp}
	if a.mode != nil {
		switch *a.mode {
		case session.ModeLive, session.ModeLiveReplay, session.ModeOnDemand:
			sr.Mode = *a.mode
		default:
			return sr, invalid("PlaybackMode must be LIVE, LIVE_REPLAY or ON_DEMAND, not %q.", *a.mode)
		}
	}
	if sel := a.sel; sel != nil {
		if sel.FragmentSelectorType != nil {
			var err error
			if sr.By, err = timestampKind(sel.FragmentSelectorType, a.selName+".FragmentSelectorType"); err != nil {
				return sr, err
			}
		}
		if tr := sel.TimestampRange; tr != nil {
			if tr.StartTimestamp != nil {
				sr.Start = epochTime(*tr.StartTimestamp)
			}
			if tr.EndTimestamp != nil {
				sr.End = epochTime(*tr.EndTimestamp)
			}
		}
	}
	var err error
	if sr.DisplayTime, err = alwaysNever(a.displayTime, "DisplayFragmentTimestamp"); err != nil {
		return sr, err
	}
	if v := a.expires; v != nil {
		if *v < 300 || *v > 43200 {
			return sr, invalid("Expires must be between 300 and 43200 seconds, not %d.", *v)
		}
		sr.Expires = time.Duration(*v) * time.Second
	}
	if v := a.max; v != nil {
		if *v < 1 || *v > 5000 {
			return sr, invalid("%s must be between 1 and 5000, not %d.", a.maxName, *v)
		}
		sr.MaxResults = int(*v)
	}
	return sr, nil
}

// alwaysNever parses an ALWAYS/NEVER member; absent is NEVER.
func alwaysNever(v *string, member string) (bool, error) {
	if v == nil {
		return false, nil
	}
	if *v != "ALWAYS" && *v != "NEVER" {
		return false, invalid("%s must be ALWAYS or NEVER, not %q.", member, *v)
	}
	return *v == "ALWAYS", nil
}

// baseURL is the scheme and host the client called: the data endpoint it
// got from GetDataEndpoint, where the session URLs point.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// getDASHStreamingSessionURL answers GetDASHStreamingSessionURL.
func (h *Handler) getDASHStreamingSessionURL(w http.ResponseWriter, r *http.Request, req *request) error {
	in, err := decode[struct {
		streamRef
		PlaybackMode               *string           `json:"PlaybackMode"`
		DASHFragmentSelector       *fragmentSelector `json:"DASHFragmentSelector"`
		DisplayFragmentNumber      *string           `json:"DisplayFragmentNumber"`
		DisplayFragmentTimestamp   *string           `json:"DisplayFragmentTimestamp"`
		Expires                    *int64            `json:"Expires"`
		MaxManifestFragmentResults *int64            `json:"MaxManifestFragmentResults"`
	}](req)
	if err != nil {
		return err
	}
	dr, err := sessionRequest(sessionArgs{mode: in.PlaybackMode, sel: in.DASHFragmentSelector, selName: "DASHFragmentSelector",
		displayTime: in.DisplayFragmentTimestamp, expires: in.Expires, max: in.MaxManifestFragmentResults, maxName: "MaxManifestFragmentResults"})
	if err != nil {
		return err
	}
	if dr.DisplayNumber, err = alwaysNever(in.DisplayFragmentNumber, "DisplayFragmentNumber"); err != nil {
		return err
	}
	st, err := h.ctl.DataStream(r.Context(), in.ref())
	if err != nil {
		return err
	}
	dr.Stream, dr.RetentionHours = st.ARN, st.RetentionHours
	token, err := h.dash.NewSession(r.Context(), dr)
	if err != nil {
		return err
	}
	return writeJSON(w, struct {
		DASHStreamingSessionURL string `json:"DASHStreamingSessionURL"`
	}{baseURL(r) + "/dash/v1/getDASHManifest.mpd?SessionToken=" + token})
}

func (h *Handler) dashRoutes() map[string]func(http.ResponseWriter, *http.Request) error {
	return map[string]func(http.ResponseWriter, *http.Request) error{
		"/dash/v1/getDASHManifest.mpd": h.hlsResource("application/dash+xml", func(ctx context.Context, q queryArgs, w io.Writer) error {
			return h.dash.Manifest(ctx, q.token(), w)
		}),
		"/dash/v1/getMP4InitFragment.mp4": h.hlsResource("video/mp4", func(ctx context.Context, q queryArgs, w io.Writer) error {
			track, err := q.track()
			if err != nil {
				return err
			}
			return h.dash.InitFragment(ctx, q.token(), track, w)
		}),
		"/dash/v1/getMP4MediaFragment.mp4": h.hlsResource("video/mp4", func(ctx context.Context, q queryArgs, w io.Writer) error {
			track, err := q.track()
			if err != nil {
				return err
			}
			n, err := strconv.Atoi(q.r.URL.Query().Get("SegmentNumber"))
			if err != nil {
				return invalid("SegmentNumber is not valid.")
			}
			return h.dash.MediaFragment(ctx, q.token(), track, n, w)
		}),
	}
}
