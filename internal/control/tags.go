package control

import (
	"context"
	"errors"
	"maps"

	"github.com/openkvs/openkvs/internal/errkind"
	"github.com/openkvs/openkvs/internal/store"
)

// Tag is one Key/Value pair of the *Resource tag actions.
type Tag struct {
	Key   *string
	Value *string
}

// checkTagMap validates a tag map of 1–50 entries; present says whether the
// member was in the request (an absent optional map is fine).
func checkTagMap(tags map[string]string, present bool) error {
	if !present {
		return nil
	}
	if len(tags) < 1 {
		return errkind.New(ErrInvalidArgument, "1 validation error detected: Value '{}' at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if len(tags) > maxTagsPerResource {
		return errkind.New(ErrTagLimit, "The resource can have at most %d tags; the request has %d.", maxTagsPerResource, len(tags))
	}
	for k, v := range tags {
		if err := checkTag(k, v); err != nil {
			return err
		}
	}
	return nil
}

func checkTagKeys(keys []string, present bool) error {
	if !present {
		return required("tagKeyList")
	}
	if len(keys) < 1 || len(keys) > maxTagsPerResource {
		return errkind.New(ErrInvalidArgument, "1 validation error detected: Value at 'tagKeyList' failed to satisfy constraint: Member must have length between 1 and %d", maxTagsPerResource)
	}
	for _, k := range keys {
		if err := checkTagKey("tagKeyList.member", k); err != nil {
			return err
		}
	}
	return nil
}

// addTags merges tags into st, replacing values of existing keys, and
// enforces the 50-tag limit on the result.
func addTags(st *store.Stream, tags map[string]string) error {
	merged := make(map[string]string, len(st.Tags)+len(tags))
	maps.Copy(merged, st.Tags)
	maps.Copy(merged, tags)
	if len(merged) > maxTagsPerResource {
		return errkind.New(ErrTagLimit, "The stream %s would have %d tags; at most %d are allowed.", st.Name, len(merged), maxTagsPerResource)
	}
	st.Tags = merged
	return nil
}

func removeTags(st *store.Stream, keys []string) {
	for _, k := range keys {
		delete(st.Tags, k)
	}
}

// TagStream adds or replaces tags on a stream. Tags do not change the
// stream's version.
func (s *Service) TagStream(ctx context.Context, ref StreamRef, tags map[string]string) error {
	if tags == nil {
		return required("tags")
	}
	if err := checkTagMap(tags, true); err != nil {
		return err
	}
	return s.retag(ctx, ref, ErrInvalidResourceFormat, func(st *store.Stream) error { return addTags(st, tags) })
}

// UntagStream removes tags by key; unknown keys are ignored.
func (s *Service) UntagStream(ctx context.Context, ref StreamRef, keys []string, present bool) error {
	if err := checkTagKeys(keys, present); err != nil {
		return err
	}
	return s.retag(ctx, ref, ErrInvalidResourceFormat, func(st *store.Stream) error { removeTags(st, keys); return nil })
}

// ListTagsForStream returns the stream's tags. A stream has at most 50 tags,
// so there is only ever one page; a NextToken is validated and ignored.
func (s *Service) ListTagsForStream(ctx context.Context, ref StreamRef, nextToken *string) (map[string]string, error) {
	if err := checkOptional("nextToken", nextToken, 0, 1024, tokenPattern); err != nil {
		return nil, err
	}
	st, err := s.resolve(ctx, ref, ErrInvalidResourceFormat)
	if err != nil {
		return nil, err
	}
	if st.Tags == nil {
		st.Tags = map[string]string{}
	}
	return st.Tags, nil
}

// retag runs a tag change on a stream that is not being deleted. Unlike
// mutate it needs no version and allows CREATING and UPDATING streams.
func (s *Service) retag(ctx context.Context, ref StreamRef, badARN error, fn func(*store.Stream) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	st, err := s.resolve(ctx, ref, badARN)
	if err != nil {
		return err
	}
	if err := fn(&st); err != nil {
		return err
	}
	if _, err := s.cat.UpdateStream(ctx, st); err != nil {
		return mapUpdateErr(err, st.Name)
	}
	return nil
}

// resourceRef turns a ResourceARN into the stream it names. Signaling
// channel ARNs are well formed but name no stream until channels exist.
func (s *Service) resourceRef(arn *string) (StreamRef, error) {
	if arn == nil {
		return StreamRef{}, required("resourceARN")
	}
	if err := checkString("resourceARN", *arn, 1, 1024, arnPattern); err != nil {
		return StreamRef{}, err
	}
	if _, ok := s.parseStreamARN(*arn); !ok {
		return StreamRef{}, errkind.New(ErrNotFound, "The resource %s is not found.", *arn)
	}
	return StreamRef{ARN: arn}, nil
}

// tagList converts a Key/Value list to a map; a repeated key keeps its last
// value.
func tagList(tags []Tag, present bool) (map[string]string, error) {
	if !present {
		return nil, required("tags")
	}
	if len(tags) < 1 {
		return nil, errkind.New(ErrInvalidArgument, "1 validation error detected: Value '[]' at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if len(tags) > maxTagsPerResource {
		return nil, errkind.New(ErrTagLimit, "The resource can have at most %d tags; the request has %d.", maxTagsPerResource, len(tags))
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		if t.Key == nil {
			return nil, required("tags.member.key")
		}
		if t.Value == nil {
			return nil, required("tags.member.value")
		}
		if err := checkTag(*t.Key, *t.Value); err != nil {
			return nil, err
		}
		m[*t.Key] = *t.Value
	}
	return m, nil
}

// TagResource adds or replaces tags on the resource an ARN names.
func (s *Service) TagResource(ctx context.Context, arn *string, tags []Tag, present bool) error {
	ref, err := s.resourceRef(arn)
	if err != nil {
		return err
	}
	m, err := tagList(tags, present)
	if err != nil {
		return err
	}
	return s.retag(ctx, ref, ErrInvalidArgument, func(st *store.Stream) error { return addTags(st, m) })
}

// UntagResource removes tags by key from the resource an ARN names.
func (s *Service) UntagResource(ctx context.Context, arn *string, keys []string, present bool) error {
	ref, err := s.resourceRef(arn)
	if err != nil {
		return err
	}
	if err := checkTagKeys(keys, present); err != nil {
		return err
	}
	return s.retag(ctx, ref, ErrInvalidArgument, func(st *store.Stream) error { removeTags(st, keys); return nil })
}

// ListTagsForResource returns the tags of the resource an ARN names.
func (s *Service) ListTagsForResource(ctx context.Context, arn, nextToken *string) (map[string]string, error) {
	ref, err := s.resourceRef(arn)
	if err != nil {
		return nil, err
	}
	tags, err := s.ListTagsForStream(ctx, ref, nextToken)
	if errors.Is(err, ErrNotFound) {
		return nil, errkind.New(ErrNotFound, "The resource %s is not found.", *arn)
	}
	return tags, err
}
