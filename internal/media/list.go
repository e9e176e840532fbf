package media

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/openkvs/openkvs/internal/errkind"
	"github.com/openkvs/openkvs/internal/store"
)

// Selector is a ListFragments FragmentSelector: fragments whose start
// timestamp (server or producer) lies in [Start, End].
type Selector struct {
	By         store.TimestampKind
	Start, End time.Time
}

// ListInput is a ListFragments request. Selector may be nil (every
// fragment); a NextToken carries the selector of the first page.
type ListInput struct {
	Selector   *Selector
	MaxResults int
	NextToken  string
}

// listToken is what a ListFragments NextToken encodes.
type listToken struct {
	By    store.TimestampKind `json:"b"`
	Start int64               `json:"s,omitempty"` // unix ms; 0 = open
	End   int64               `json:"e,omitempty"`
	Sel   bool                `json:"x,omitempty"`
	After uint64              `json:"a"`
}

// ListFragments returns one page of the stream's fragments in fragment
// number order and the token for the next page ("" on the last page).
func (s *Service) ListFragments(ctx context.Context, stream string, in ListInput) ([]store.Fragment, string, error) {
	if in.MaxResults == 0 {
		in.MaxResults = 100
	}
	if in.MaxResults < 1 || in.MaxResults > 1000 {
		return nil, "", errkind.New(ErrInvalidArgument, "MaxResults must be between 1 and 1000, not %d.", in.MaxResults)
	}
	// ListFragments costs MaxResults fragment-metadata points.
	if err := s.metadata.spend(stream, in.MaxResults, s.now()); err != nil {
		return nil, "", err
	}
	tok := listToken{}
	if in.NextToken != "" {
		b, err := base64.StdEncoding.DecodeString(in.NextToken)
		if err != nil || json.Unmarshal(b, &tok) != nil {
			return nil, "", errkind.New(ErrInvalidArgument, "The NextToken is not valid.")
		}
	} else if sel := in.Selector; sel != nil {
		if sel.End.Before(sel.Start) {
			return nil, "", errkind.New(ErrInvalidArgument, "The EndTimestamp must not be before the StartTimestamp.")
		}
		tok = listToken{By: sel.By, Start: sel.Start.UnixMilli(), End: sel.End.UnixMilli(), Sel: true}
	}
	q := store.FragmentQuery{Stream: stream, AfterNumber: tok.After, Limit: in.MaxResults + 1}
	if tok.Sel {
		q.By, q.Start, q.End = tok.By, time.UnixMilli(tok.Start), time.UnixMilli(tok.End)
	}
	fs, err := s.store.List(ctx, q)
	if err != nil {
		return nil, "", fmt.Errorf("list fragments: %w", err)
	}
	if len(fs) <= in.MaxResults {
		return fs, "", nil
	}
	fs = fs[:in.MaxResults]
	tok.After = fs[len(fs)-1].Number
	b, _ := json.Marshal(tok)
	return fs, base64.StdEncoding.EncodeToString(b), nil
}
