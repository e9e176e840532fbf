package api

import (
	"context"
	"math"
	"net/http"
	"regexp"
	"time"

	"github.com/openkvs/openkvs/internal/control"
	"github.com/openkvs/openkvs/internal/errkind"
	"github.com/openkvs/openkvs/internal/media"
	"github.com/openkvs/openkvs/internal/store"
)

var (
	fragmentNumberPattern = regexp.MustCompile(`^[0-9]+$`)
	listTokenPattern      = regexp.MustCompile(`^[a-zA-Z0-9+/]+={0,2}$`)
	continuationPattern   = regexp.MustCompile(`^[a-zA-Z0-9_.\-]+$`)
)

// epochTime converts a request timestamp: epoch seconds, whole (AWS CLI,
// boto3) or fractional (other SDKs).
func epochTime(v float64) time.Time {
	sec, frac := math.Modf(v)
	return time.Unix(int64(sec), int64(math.Round(frac*1e3))*int64(time.Millisecond))
}

func invalid(format string, args ...any) error {
	return errkind.New(control.ErrInvalidArgument, format, args...)
}

// fragmentJSON is the Fragment shape of ListFragments.
type fragmentJSON struct {
	FragmentNumber               string       `json:"FragmentNumber"`
	FragmentSizeInBytes          int64        `json:"FragmentSizeInBytes"`
	ProducerTimestamp            epochSeconds `json:"ProducerTimestamp"`
	ServerTimestamp              epochSeconds `json:"ServerTimestamp"`
	FragmentLengthInMilliseconds int64        `json:"FragmentLengthInMilliseconds"`
}

func timestampKind(v *string, member string) (store.TimestampKind, error) {
	switch {
	case v == nil:
		return 0, invalid("%s must be PRODUCER_TIMESTAMP or SERVER_TIMESTAMP.", member)
	case *v == "SERVER_TIMESTAMP":
		return store.ByServerTimestamp, nil
	case *v == "PRODUCER_TIMESTAMP":
		return store.ByProducerTimestamp, nil
	}
	return 0, invalid("%s must be PRODUCER_TIMESTAMP or SERVER_TIMESTAMP, not %q.", member, *v)
}

func (h *Handler) listFragments(ctx context.Context, req *request) (any, error) {
	in, err := decode[struct {
		streamRef
		MaxResults       *int64  `json:"MaxResults"`
		NextToken        *string `json:"NextToken"`
		FragmentSelector *struct {
			FragmentSelectorType *string `json:"FragmentSelectorType"`
			TimestampRange       *struct {
				StartTimestamp *float64 `json:"StartTimestamp"`
				EndTimestamp   *float64 `json:"EndTimestamp"`
			} `json:"TimestampRange"`
		} `json:"FragmentSelector"`
	}](req)
	if err != nil {
		return nil, err
	}
	li := media.ListInput{}
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 1000 {
			return nil, invalid("MaxResults must be between 1 and 1000, not %d.", *in.MaxResults)
		}
		li.MaxResults = int(*in.MaxResults)
	}
	if in.NextToken != nil {
		if len(*in.NextToken) > 4096 || !listTokenPattern.MatchString(*in.NextToken) {
			return nil, invalid("The NextToken is not valid.")
		}
		li.NextToken = *in.NextToken
	}
	if sel := in.FragmentSelector; sel != nil && li.NextToken == "" {
		by, err := timestampKind(sel.FragmentSelectorType, "FragmentSelector.FragmentSelectorType")
		if err != nil {
			return nil, err
		}
		r := sel.TimestampRange
		if r == nil || r.StartTimestamp == nil || r.EndTimestamp == nil {
			return nil, invalid("FragmentSelector.TimestampRange needs StartTimestamp and EndTimestamp.")
		}
		li.Selector = &media.Selector{By: by, Start: epochTime(*r.StartTimestamp), End: epochTime(*r.EndTimestamp)}
	}
	st, err := h.ctl.DataStream(ctx, in.ref())
	if err != nil {
		return nil, err
	}
	fs, next, err := h.media.ListFragments(ctx, st.ARN, li)
	if err != nil {
		return nil, err
	}
	out := struct {
		Fragments []fragmentJSON `json:"Fragments"`
		NextToken string         `json:"NextToken,omitempty"`
	}{Fragments: make([]fragmentJSON, len(fs)), NextToken: next}
	for i, f := range fs {
		out.Fragments[i] = fragmentJSON{
			FragmentNumber:               media.FormatFragmentNumber(f.Number),
			FragmentSizeInBytes:          f.Size,
			ProducerTimestamp:            toEpochSeconds(f.ProducerTimestamp),
			ServerTimestamp:              toEpochSeconds(f.ServerTimestamp),
			FragmentLengthInMilliseconds: f.Duration.Milliseconds(),
		}
	}
	return out, nil
}

// flusher adapts a ResponseWriter for media's streaming writers.
type flusher struct {
	http.ResponseWriter
	rc *http.ResponseController
}

func (f flusher) Flush() error { return f.rc.Flush() }

func (h *Handler) getMediaForFragmentList(w http.ResponseWriter, r *http.Request, req *request) error {
	in, err := decode[struct {
		streamRef
		Fragments []string `json:"Fragments"`
	}](req)
	if err != nil {
		return err
	}
	if len(in.Fragments) < 1 || len(in.Fragments) > 1000 {
		return invalid("Fragments must list between 1 and 1000 fragment numbers.")
	}
	for _, n := range in.Fragments {
		if len(n) > 128 || !fragmentNumberPattern.MatchString(n) {
			return invalid("Fragment number %q is not valid.", n)
		}
	}
	st, err := h.ctl.DataStream(r.Context(), in.ref())
	if err != nil {
		return err
	}
	fs, err := h.media.CheckFragments(r.Context(), st.ARN, in.Fragments)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "video/webm")
	w.WriteHeader(http.StatusOK)
	if err := h.media.WriteFragments(r.Context(), st.ARN, fs, flusher{w, http.NewResponseController(w)}); err != nil {
		h.log.Warn("GetMediaForFragmentList stopped", "stream", st.Name, "err", err)
	}
	return nil
}

func (h *Handler) getMedia(w http.ResponseWriter, r *http.Request, req *request) error {
	in, err := decode[struct {
		streamRef
		StartSelector *struct {
			StartSelectorType   *string  `json:"StartSelectorType"`
			AfterFragmentNumber *string  `json:"AfterFragmentNumber"`
			ContinuationToken   *string  `json:"ContinuationToken"`
			StartTimestamp      *float64 `json:"StartTimestamp"`
		} `json:"StartSelector"`
	}](req)
	if err != nil {
		return err
	}
	ss := in.StartSelector
	if ss == nil || ss.StartSelectorType == nil {
		return invalid("StartSelector.StartSelectorType is required.")
	}
	sel := media.StartSelector{Kind: media.StartKind(*ss.StartSelectorType)}
	switch sel.Kind {
	case media.StartNow, media.StartEarliest:
	case media.StartFragmentNumber:
		if ss.AfterFragmentNumber == nil || len(*ss.AfterFragmentNumber) > 128 || !fragmentNumberPattern.MatchString(*ss.AfterFragmentNumber) {
			return invalid("StartSelector FRAGMENT_NUMBER needs a valid AfterFragmentNumber.")
		}
		n, ok := media.ParseFragmentNumber(*ss.AfterFragmentNumber)
		if !ok {
			return errkind.New(media.ErrNotFound, "Fragment %s was not found.", *ss.AfterFragmentNumber)
		}
		sel.After = n
	case media.StartContinuationToken:
		if ss.ContinuationToken == nil || len(*ss.ContinuationToken) > 128 || !continuationPattern.MatchString(*ss.ContinuationToken) {
			return invalid("StartSelector CONTINUATION_TOKEN needs a valid ContinuationToken.")
		}
		n, ok := media.ParseFragmentNumber(*ss.ContinuationToken)
		if !ok {
			return invalid("The ContinuationToken %q is not one this server issued.", *ss.ContinuationToken)
		}
		sel.After = n
	case media.StartServerTimestamp, media.StartProducerTimestamp:
		if ss.StartTimestamp == nil {
			return invalid("StartSelector %s needs StartTimestamp.", sel.Kind)
		}
		sel.Timestamp = epochTime(*ss.StartTimestamp)
	default:
		return invalid("StartSelector.StartSelectorType %q is not valid.", sel.Kind)
	}
	st, err := h.ctl.DataStream(r.Context(), in.ref())
	if err != nil {
		return err
	}
	release, err := h.media.Acquire(st.ARN)
	if err != nil {
		return err
	}
	defer release()
	w.Header().Set("Content-Type", "video/webm")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	if err := h.media.GetMedia(r.Context(), st.ARN, sel, flusher{w, rc}); err != nil {
		h.log.Warn("GetMedia stopped", "stream", st.Name, "err", err)
	}
	return nil
}
