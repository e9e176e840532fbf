package api

import (
	"net/http"
	"strconv"

	"github.com/openkvs/openkvs/internal/playback/clip"
)

// getClip answers GetClip: a progressive MP4 of the fragments in a
// ClipFragmentSelector range, streamed with its Content-Length.
func (h *Handler) getClip(w http.ResponseWriter, r *http.Request, req *request) error {
	in, err := decode[struct {
		streamRef
		ClipFragmentSelector *struct {
			FragmentSelectorType *string `json:"FragmentSelectorType"`
			TimestampRange       *struct {
				StartTimestamp *float64 `json:"StartTimestamp"`
				EndTimestamp   *float64 `json:"EndTimestamp"`
			} `json:"TimestampRange"`
		} `json:"ClipFragmentSelector"`
	}](req)
	if err != nil {
		return err
	}
	sel := in.ClipFragmentSelector
	if sel == nil {
		return invalid("ClipFragmentSelector is required.")
	}
	by, err := timestampKind(sel.FragmentSelectorType, "ClipFragmentSelector.FragmentSelectorType")
	if err != nil {
		return err
	}
	tr := sel.TimestampRange
	if tr == nil || tr.StartTimestamp == nil || tr.EndTimestamp == nil {
		return invalid("ClipFragmentSelector.TimestampRange needs StartTimestamp and EndTimestamp.")
	}
	st, err := h.ctl.DataStream(r.Context(), in.ref())
	if err != nil {
		return err
	}
	c, err := h.clip.Prepare(r.Context(), clip.Request{
		Stream: st.ARN, RetentionHours: st.RetentionHours, By: by,
		Start: epochTime(*tr.StartTimestamp), End: epochTime(*tr.EndTimestamp),
	})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "video/mp4")
	w.Header().Set("Content-Length", strconv.FormatInt(c.Size(), 10))
	w.WriteHeader(http.StatusOK)
	if err := c.WriteTo(r.Context(), w); err != nil {
		h.log.Warn("GetClip stopped", "stream", st.Name, "err", err)
	}
	return nil
}

// playbackRoute is a POST route served by a playback service, unimplemented
// when the service is not configured.
func (h *Handler) playbackRoute(op string, enabled bool, stream func(http.ResponseWriter, *http.Request, *request) error) route {
	rt := route{op: op, method: http.MethodPost}
	if enabled {
		rt.stream = stream
	}
	return rt
}
