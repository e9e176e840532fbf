package parser

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"time"
)

// StartSelectorType says where GetMedia starts (StartSelector.StartSelectorType
// in the Kinesis Video Streams Media API:
// https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_dataplane_StartSelector.html).
type StartSelectorType string

// Start selector types.
const (
	// StartNow starts with the latest chunk on the stream.
	StartNow StartSelectorType = "NOW"
	// StartEarliest starts with the earliest available chunk.
	StartEarliest StartSelectorType = "EARLIEST"
	// StartFragmentNumber starts with the chunk after AfterFragmentNumber.
	StartFragmentNumber StartSelectorType = "FRAGMENT_NUMBER"
	// StartServerTimestamp starts with the chunk containing a fragment with
	// the server timestamp StartTimestamp.
	StartServerTimestamp StartSelectorType = "SERVER_TIMESTAMP"
	// StartProducerTimestamp starts with the chunk containing a fragment
	// with the producer timestamp StartTimestamp.
	StartProducerTimestamp StartSelectorType = "PRODUCER_TIMESTAMP"
	// StartContinuationToken resumes after the chunk whose
	// AWS_KINESISVIDEO_CONTINUATION_TOKEN is ContinuationToken.
	StartContinuationToken StartSelectorType = "CONTINUATION_TOKEN"
)

// StartSelector identifies the chunk GetMedia starts with (the StartSelector
// member of the GetMedia request). Its JSON form is the wire form, with
// StartTimestamp as epoch seconds (a JSON number, millisecond precision).
type StartSelector struct {
	// Type is the StartSelectorType.
	Type StartSelectorType
	// AfterFragmentNumber is required with StartFragmentNumber.
	AfterFragmentNumber string
	// StartTimestamp is required with StartServerTimestamp and
	// StartProducerTimestamp.
	StartTimestamp time.Time
	// ContinuationToken is required with StartContinuationToken.
	ContinuationToken string
}

var (
	fragmentNumberRE = regexp.MustCompile(`^[0-9]{1,128}$`)
	tokenRE          = regexp.MustCompile(`^[a-zA-Z0-9_.\-]{1,128}$`)
)

// Validate checks the selector against the GetMedia API constraints.
func (s StartSelector) Validate() error {
	switch s.Type {
	case StartNow, StartEarliest:
	case StartFragmentNumber:
		if !fragmentNumberRE.MatchString(s.AfterFragmentNumber) {
			return fmt.Errorf("start selector %s: after fragment number %q: %w", s.Type, s.AfterFragmentNumber, ErrInvalidConfig)
		}
	case StartServerTimestamp, StartProducerTimestamp:
		if s.StartTimestamp.IsZero() {
			return fmt.Errorf("start selector %s: no start timestamp: %w", s.Type, ErrInvalidConfig)
		}
	case StartContinuationToken:
		if !tokenRE.MatchString(s.ContinuationToken) {
			return fmt.Errorf("start selector %s: continuation token %q: %w", s.Type, s.ContinuationToken, ErrInvalidConfig)
		}
	default:
		return fmt.Errorf("start selector type %q: %w", s.Type, ErrInvalidConfig)
	}
	return nil
}

// wireSelector is the JSON form of StartSelector.
type wireSelector struct {
	StartSelectorType   StartSelectorType `json:"StartSelectorType"`
	AfterFragmentNumber string            `json:"AfterFragmentNumber,omitempty"`
	StartTimestamp      json.Number       `json:"StartTimestamp,omitempty"`
	ContinuationToken   string            `json:"ContinuationToken,omitempty"`
}

// MarshalJSON encodes the selector as the GetMedia request member, sending
// only the members its type uses.
func (s StartSelector) MarshalJSON() ([]byte, error) {
	w := wireSelector{StartSelectorType: s.Type}
	switch s.Type {
	case StartFragmentNumber:
		w.AfterFragmentNumber = s.AfterFragmentNumber
	case StartServerTimestamp, StartProducerTimestamp:
		w.StartTimestamp = json.Number(formatSeconds(s.StartTimestamp))
	case StartContinuationToken:
		w.ContinuationToken = s.ContinuationToken
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes the GetMedia request member; StartTimestamp may be
// an integer or a fraction of epoch seconds.
func (s *StartSelector) UnmarshalJSON(b []byte) error {
	var w wireSelector
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("decode start selector: %w", err)
	}
	*s = StartSelector{Type: w.StartSelectorType, AfterFragmentNumber: w.AfterFragmentNumber, ContinuationToken: w.ContinuationToken}
	if w.StartTimestamp != "" {
		f, err := w.StartTimestamp.Float64()
		if err != nil || f < 0 || f > math.MaxInt32*16 {
			return fmt.Errorf("decode start timestamp %q: %w", w.StartTimestamp, ErrInvalidConfig)
		}
		sec := math.Floor(f)
		s.StartTimestamp = time.Unix(int64(sec), int64(math.Round((f-sec)*1000))*int64(time.Millisecond)).UTC()
	}
	return nil
}
