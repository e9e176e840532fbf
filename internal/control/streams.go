package control

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/openkvs/openkvs/internal/errkind"
	"github.com/openkvs/openkvs/internal/store"
)

// Limits from the KVS API reference.
const (
	maxTagsPerResource  = 50
	maxRetentionHours   = 87600
	maxListStreams      = 10000
	notFoundStreamMsg   = "The requested stream is not found or not active."
	storageTierHot      = "HOT"
	storageTierWarm     = "WARM"
	operationIncrease   = "INCREASE_DATA_RETENTION"
	operationDecrease   = "DECREASE_DATA_RETENTION"
	comparisonBeginWith = "BEGINS_WITH"
)

// StreamRef names a stream by StreamName or StreamARN (either, or both when
// they agree).
type StreamRef struct {
	Name *string
	ARN  *string
}

// CreateStreamInput is the CreateStream request.
type CreateStreamInput struct {
	StreamName           *string
	DeviceName           *string
	MediaType            *string
	KMSKeyID             *string
	DataRetentionInHours *int
	Tags                 map[string]string
	// StorageTier is StreamStorageConfiguration.DefaultStorageTier; nil
	// means the configuration was omitted (HOT).
	StorageTier    *string
	StorageTierSet bool
}

// CreateStream creates a stream in CREATING state and returns its ARN.
func (s *Service) CreateStream(ctx context.Context, in CreateStreamInput) (string, error) {
	if in.StreamName == nil {
		return "", required("streamName")
	}
	if err := checkString("streamName", *in.StreamName, 1, 256, namePattern); err != nil {
		return "", err
	}
	if err := checkOptional("deviceName", in.DeviceName, 1, 128, namePattern); err != nil {
		return "", err
	}
	if err := checkOptional("mediaType", in.MediaType, 1, 128, mediaTypePattern); err != nil {
		return "", err
	}
	if err := checkOptional("kmsKeyId", in.KMSKeyID, 1, 2048, nil); err != nil {
		return "", err
	}
	retention := 0
	if in.DataRetentionInHours != nil {
		retention = *in.DataRetentionInHours
		if err := checkRange("dataRetentionInHours", retention, 0, maxRetentionHours); err != nil {
			return "", err
		}
	}
	if err := checkTagMap(in.Tags, in.Tags != nil); err != nil {
		return "", err
	}
	tier := storageTierHot
	if in.StorageTierSet {
		if in.StorageTier == nil {
			return "", required("streamStorageConfiguration.defaultStorageTier")
		}
		if err := checkEnum("streamStorageConfiguration.defaultStorageTier", *in.StorageTier, storageTierHot, storageTierWarm); err != nil {
			return "", err
		}
		tier = *in.StorageTier
	}

	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	now := s.now()
	name := *in.StreamName
	if old, err := s.cat.GetStream(ctx, name); err == nil {
		if !old.Gone(now) {
			return "", errkind.New(ErrInUse, "The stream %s already exists.", name)
		}
		// Deleted but not yet swept: purge it now so the name is free.
		if err := s.purge(ctx, old); err != nil {
			return "", err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	if n, err := s.countLive(ctx, now); err != nil {
		return "", err
	} else if n >= s.cfg.MaxStreams {
		return "", errkind.New(ErrStreamLimit, "The account has reached its limit of %d streams.", s.cfg.MaxStreams)
	}
	// The ARN ends in the creation time in milliseconds, which tells a
	// re-created stream from an older one of the same name.
	created := now.Truncate(time.Millisecond)
	st := store.Stream{
		Name:           name,
		ARN:            fmt.Sprintf("arn:aws:kinesisvideo:%s:%s:stream/%s/%d", s.cfg.Region, s.cfg.AccountID, name, created.UnixMilli()),
		DeviceName:     deref(in.DeviceName),
		MediaType:      deref(in.MediaType),
		KMSKeyID:       deref(in.KMSKeyID),
		RetentionHours: retention,
		Status:         store.StatusCreating,
		StatusUntil:    created.Add(s.cfg.TransitionDelay),
		Version:        newVersion(),
		CreatedAt:      created,
		StorageTier:    tier,
		Tags:           in.Tags,
	}
	if st.KMSKeyID == "" {
		// KVS encrypts with the service-managed key when none is given.
		st.KMSKeyID = fmt.Sprintf("arn:aws:kms:%s:%s:alias/aws/kinesisvideo", s.cfg.Region, s.cfg.AccountID)
	}
	if err := s.cat.CreateStream(ctx, st); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return "", errkind.New(ErrInUse, "The stream %s already exists.", name)
		}
		return "", fmt.Errorf("create stream: %w", err)
	}
	s.log.Info("stream created", "stream", name, "arn", st.ARN, "retention_hours", retention)
	return st.ARN, nil
}

// countLive counts the streams that count against the account limit.
func (s *Service) countLive(ctx context.Context, now time.Time) (int, error) {
	n, err := s.cat.CountStreams(ctx)
	if err != nil || n < s.cfg.MaxStreams {
		return n, err
	}
	// At the limit: streams that finished deleting may not be swept yet.
	if err := s.purgeDeleted(ctx); err != nil {
		return 0, err
	}
	return s.cat.CountStreams(ctx)
}

// checkRef validates a StreamRef; badARN is the kind used for a malformed
// ARN (InvalidResourceFormat for the tag actions, InvalidArgument
// elsewhere).
func checkRef(ref StreamRef, badARN error) error {
	if ref.Name == nil && ref.ARN == nil {
		return errkind.New(ErrInvalidArgument, "Either the StreamName or the StreamARN must be specified.")
	}
	if err := checkOptional("streamName", ref.Name, 1, 256, namePattern); err != nil {
		return err
	}
	if ref.ARN != nil {
		if err := checkString("streamARN", *ref.ARN, 1, 1024, arnPattern); err != nil {
			if badARN == ErrInvalidArgument {
				return err
			}
			return errkind.New(badARN, "The format of the StreamARN is invalid: %s", *ref.ARN)
		}
	}
	return nil
}

// parseStreamARN returns the stream name in a well-formed stream ARN of this
// region and account, or ok=false.
func (s *Service) parseStreamARN(arn string) (name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[3] != s.cfg.Region || parts[4] != s.cfg.AccountID {
		return "", false
	}
	res := strings.Split(parts[5], "/")
	if len(res) != 3 || res[0] != "stream" {
		return "", false
	}
	return res[1], true
}

// resolve finds the live (not DELETING) stream that ref names.
func (s *Service) resolve(ctx context.Context, ref StreamRef, badARN error) (store.Stream, error) {
	st, err := s.lookup(ctx, ref, badARN)
	if err != nil {
		return store.Stream{}, err
	}
	if st.Status == store.StatusDeleting {
		return store.Stream{}, errkind.New(ErrNotFound, notFoundStreamMsg)
	}
	return st, nil
}

// lookup finds the stream that ref names, including one being deleted.
func (s *Service) lookup(ctx context.Context, ref StreamRef, badARN error) (store.Stream, error) {
	if err := checkRef(ref, badARN); err != nil {
		return store.Stream{}, err
	}
	name := deref(ref.Name)
	if ref.ARN != nil {
		arnName, ok := s.parseStreamARN(*ref.ARN)
		if !ok {
			return store.Stream{}, errkind.New(ErrNotFound, notFoundStreamMsg)
		}
		if ref.Name != nil && arnName != name {
			return store.Stream{}, errkind.New(ErrInvalidArgument, "The StreamName %s and the StreamARN %s identify different streams.", name, *ref.ARN)
		}
		name = arnName
	}
	st, err := s.cat.GetStream(ctx, name)
	if errors.Is(err, store.ErrNotFound) || err == nil && (st.Gone(s.now()) || ref.ARN != nil && st.ARN != *ref.ARN) {
		return store.Stream{}, errkind.New(ErrNotFound, notFoundStreamMsg)
	}
	if err != nil {
		return store.Stream{}, fmt.Errorf("get stream: %w", err)
	}
	return st, nil
}

// DescribeStream returns the stream with its effective status.
func (s *Service) DescribeStream(ctx context.Context, ref StreamRef) (store.Stream, error) {
	st, err := s.lookup(ctx, ref, ErrInvalidArgument)
	if err != nil {
		return store.Stream{}, err
	}
	st.Status = st.EffectiveStatus(s.now())
	return st, nil
}

// ListStreamsInput is the ListStreams request.
type ListStreamsInput struct {
	MaxResults *int
	NextToken  *string
	// Condition is StreamNameCondition; nil when absent.
	Condition *NameCondition
}

// NameCondition is StreamNameCondition (and, later, ChannelNameCondition).
type NameCondition struct {
	ComparisonOperator *string
	ComparisonValue    *string
}

// ListStreams returns one page of streams in name order and the token for
// the next page, which is empty on the last page.
func (s *Service) ListStreams(ctx context.Context, in ListStreamsInput) ([]store.Stream, string, error) {
	limit := maxListStreams
	if in.MaxResults != nil {
		if err := checkRange("maxResults", *in.MaxResults, 1, maxListStreams); err != nil {
			return nil, "", err
		}
		limit = *in.MaxResults
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, "", err
	}
	prefix := ""
	if c := in.Condition; c != nil {
		if c.ComparisonOperator != nil {
			if err := checkEnum("streamNameCondition.comparisonOperator", *c.ComparisonOperator, comparisonBeginWith); err != nil {
				return nil, "", err
			}
		}
		if err := checkOptional("streamNameCondition.comparisonValue", c.ComparisonValue, 1, 256, namePattern); err != nil {
			return nil, "", err
		}
		prefix = deref(c.ComparisonValue)
	}
	now := s.now()
	out := make([]store.Stream, 0, min(limit+1, 1024))
	page := store.StreamPage{Prefix: prefix, After: after, Limit: limit}
	for {
		batch, err := s.cat.ListStreams(ctx, page)
		if err != nil {
			return nil, "", fmt.Errorf("list streams: %w", err)
		}
		for _, st := range batch {
			if len(out) == limit {
				// A stream beyond the page exists: hand out a token. Gone
				// streams may follow, so the next page may come back empty,
				// which paginators accept.
				return out, encodeToken(out[len(out)-1].Name), nil
			}
			page.After = st.Name
			if st.Gone(now) {
				continue
			}
			st.Status = st.EffectiveStatus(now)
			out = append(out, st)
		}
		if len(batch) <= page.Limit {
			return out, "", nil
		}
	}
}

// Pagination tokens are the base64 of the last name returned, which matches
// the NextToken pattern [a-zA-Z0-9+/=]*.
func encodeToken(after string) string { return base64.StdEncoding.EncodeToString([]byte(after)) }

func decodeToken(tok *string) (string, error) {
	if tok == nil || *tok == "" {
		return "", nil
	}
	if err := checkString("nextToken", *tok, 0, 1024, tokenPattern); err != nil {
		return "", err
	}
	b, err := base64.StdEncoding.DecodeString(*tok)
	if err != nil || !namePattern.Match(b) {
		return "", errkind.New(ErrInvalidArgument, "The NextToken %s is not valid.", *tok)
	}
	return string(b), nil
}

// UpdateStreamInput is the UpdateStream request.
type UpdateStreamInput struct {
	StreamRef
	CurrentVersion *string
	DeviceName     *string
	MediaType      *string
}

// checkVersion validates a required CurrentVersion.
func checkVersion(v *string) error {
	if v == nil {
		return required("currentVersion")
	}
	return checkString("currentVersion", *v, 1, 64, versionPattern)
}

// mutate runs a validated read-modify-write of an ACTIVE stream whose
// version must equal currentVersion (when not nil).
func (s *Service) mutate(ctx context.Context, ref StreamRef, currentVersion *string, badARN error, fn func(*store.Stream) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	st, err := s.lookup(ctx, ref, badARN)
	if err != nil {
		return err
	}
	if currentVersion != nil && *currentVersion != st.Version {
		return errkind.New(ErrVersionMismatch, "The version %s is not the latest version of the stream %s. Call DescribeStream to get the latest version.", *currentVersion, st.Name)
	}
	if status := st.EffectiveStatus(s.now()); status != store.StatusActive {
		return errkind.New(ErrInUse, "The stream %s is not in ACTIVE status (it is %s).", st.Name, status)
	}
	st.Status = store.StatusActive
	if err := fn(&st); err != nil {
		return err
	}
	if _, err := s.cat.UpdateStream(ctx, st); err != nil {
		return mapUpdateErr(err, st.Name)
	}
	return nil
}

// mapUpdateErr turns a catalog write error into the API's kinds.
func mapUpdateErr(err error, name string) error {
	switch {
	case errors.Is(err, store.ErrConflict):
		return errkind.New(ErrInUse, "The stream %s was modified concurrently; retry.", name)
	case errors.Is(err, store.ErrNotFound):
		return errkind.New(ErrNotFound, notFoundStreamMsg)
	}
	return fmt.Errorf("update stream: %w", err)
}

// UpdateStream changes DeviceName and MediaType and issues a new version.
// The stream is UPDATING for the transition delay.
func (s *Service) UpdateStream(ctx context.Context, in UpdateStreamInput) error {
	if err := checkVersion(in.CurrentVersion); err != nil {
		return err
	}
	if err := checkOptional("deviceName", in.DeviceName, 1, 128, namePattern); err != nil {
		return err
	}
	if err := checkOptional("mediaType", in.MediaType, 1, 128, mediaTypePattern); err != nil {
		return err
	}
	return s.mutate(ctx, in.StreamRef, in.CurrentVersion, ErrInvalidArgument, func(st *store.Stream) error {
		if in.DeviceName != nil {
			st.DeviceName = *in.DeviceName
		}
		if in.MediaType != nil {
			st.MediaType = *in.MediaType
		}
		st.Version = newVersion()
		now := s.now()
		st.Status, st.StatusUntil = store.StatusUpdating, now.Add(s.cfg.TransitionDelay)
		return nil
	})
}

// DeleteStream marks the stream DELETING; its data is inaccessible at once
// and it disappears after the transition delay.
func (s *Service) DeleteStream(ctx context.Context, arn, currentVersion *string) error {
	if arn == nil {
		return required("streamARN")
	}
	if currentVersion != nil {
		if err := checkVersion(currentVersion); err != nil {
			return err
		}
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	// Looking the stream up by ARN checks its creation time, so an ARN of an
	// older stream of the same name never deletes the new one.
	st, err := s.lookup(ctx, StreamRef{ARN: arn}, ErrInvalidArgument)
	if err != nil {
		return err
	}
	if currentVersion != nil && *currentVersion != st.Version {
		return errkind.New(ErrVersionMismatch, "The version %s is not the latest version of the stream %s. Call DescribeStream to get the latest version.", *currentVersion, st.Name)
	}
	if st.Status == store.StatusDeleting {
		return errkind.New(ErrInUse, "The stream %s is already being deleted.", st.Name)
	}
	st.Status, st.StatusUntil = store.StatusDeleting, s.now().Add(s.cfg.TransitionDelay)
	if _, err := s.cat.UpdateStream(ctx, st); err != nil {
		return mapUpdateErr(err, st.Name)
	}
	s.log.Info("stream deleting", "stream", st.Name)
	return nil
}

// UpdateDataRetentionInput is the UpdateDataRetention request.
type UpdateDataRetentionInput struct {
	StreamRef
	CurrentVersion             *string
	DataRetentionChangeInHours *int
	Operation                  *string
}

// UpdateDataRetention raises or lowers DataRetentionInHours by the change,
// keeping the result within 0–87600, and issues a new version.
func (s *Service) UpdateDataRetention(ctx context.Context, in UpdateDataRetentionInput) error {
	if err := checkVersion(in.CurrentVersion); err != nil {
		return err
	}
	if in.DataRetentionChangeInHours == nil {
		return required("dataRetentionChangeInHours")
	}
	change := *in.DataRetentionChangeInHours
	if err := checkRange("dataRetentionChangeInHours", change, 1, maxRetentionHours); err != nil {
		return err
	}
	if in.Operation == nil {
		return required("operation")
	}
	if err := checkEnum("operation", *in.Operation, operationIncrease, operationDecrease); err != nil {
		return err
	}
	err := s.mutate(ctx, in.StreamRef, in.CurrentVersion, ErrInvalidArgument, func(st *store.Stream) error {
		next := st.RetentionHours + change
		if *in.Operation == operationDecrease {
			next = st.RetentionHours - change
		}
		if next < 0 || next > maxRetentionHours {
			return errkind.New(ErrInvalidArgument, "The resulting data retention of %d hours for stream %s is outside the allowed range 0 to %d.", next, st.Name, maxRetentionHours)
		}
		st.RetentionHours = next
		st.Version = newVersion()
		return nil
	})
	if err != nil || *in.Operation != operationDecrease {
		return err
	}
	// A decrease deletes data older than the new period at once.
	st, err := s.lookup(ctx, in.StreamRef, ErrInvalidArgument)
	if err != nil {
		return nil // deleted meanwhile: nothing to expire
	}
	return s.expire(ctx, st)
}

// DataStream returns the stream a data-plane request names, if it is not
// being deleted. CREATING streams are accepted: the producer C SDK sends
// PutMedia right after CreateStream without waiting for ACTIVE.
func (s *Service) DataStream(ctx context.Context, ref StreamRef) (store.Stream, error) {
	return s.resolve(ctx, ref, ErrInvalidArgument)
}

// RetentionHours returns the retention of the stream incarnation with the
// given ARN, or ErrNotFound once it is deleted or being deleted.
func (s *Service) RetentionHours(ctx context.Context, arn string) (int, error) {
	st, err := s.resolve(ctx, StreamRef{ARN: &arn}, ErrInvalidArgument)
	if err != nil {
		return 0, err
	}
	return st.RetentionHours, nil
}

// APINames are the GetDataEndpoint APIName values.
var APINames = []string{
	"PUT_MEDIA", "GET_MEDIA", "LIST_FRAGMENTS", "GET_MEDIA_FOR_FRAGMENT_LIST",
	"GET_HLS_STREAMING_SESSION_URL", "GET_DASH_STREAMING_SESSION_URL", "GET_CLIP", "GET_IMAGES",
}

// GetDataEndpoint returns the data-plane endpoint URL for the stream. One
// kvsd serves every API on one port, so it is the same for every APIName.
func (s *Service) GetDataEndpoint(ctx context.Context, ref StreamRef, apiName *string) (string, error) {
	if apiName == nil {
		return "", required("aPIName")
	}
	if err := checkEnum("aPIName", *apiName, APINames...); err != nil {
		return "", err
	}
	if _, err := s.resolve(ctx, ref, ErrInvalidArgument); err != nil {
		return "", err
	}
	return s.cfg.DataEndpoint, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
