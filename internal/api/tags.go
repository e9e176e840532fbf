package api

import (
	"context"

	"github.com/openkvs/openkvs/internal/control"
)

// tagsOutput is the ListTagsForStream and ListTagsForResource output: a map,
// whichever shape the tags went in as.
type tagsOutput struct {
	NextToken string            `json:"NextToken,omitempty"`
	Tags      map[string]string `json:"Tags"`
}

func (h *Handler) tagStream(ctx context.Context, req *request) (any, error) {
	in, err := decode[struct {
		streamRef
		Tags map[string]string `json:"Tags"`
	}](req)
	if err != nil {
		return nil, err
	}
	return nil, h.ctl.TagStream(ctx, in.ref(), in.Tags)
}

func (h *Handler) untagStream(ctx context.Context, req *request) (any, error) {
	in, err := decode[struct {
		streamRef
		TagKeyList []string `json:"TagKeyList"`
	}](req)
	if err != nil {
		return nil, err
	}
	return nil, h.ctl.UntagStream(ctx, in.ref(), in.TagKeyList, in.TagKeyList != nil)
}

func (h *Handler) listTagsForStream(ctx context.Context, req *request) (any, error) {
	in, err := decode[struct {
		streamRef
		NextToken *string `json:"NextToken"`
	}](req)
	if err != nil {
		return nil, err
	}
	tags, err := h.ctl.ListTagsForStream(ctx, in.ref(), in.NextToken)
	if err != nil {
		return nil, err
	}
	return tagsOutput{Tags: tags}, nil
}

func (h *Handler) tagResource(ctx context.Context, req *request) (any, error) {
	in, err := decode[struct {
		ResourceARN *string `json:"ResourceARN"`
		Tags        []struct {
			Key   *string `json:"Key"`
			Value *string `json:"Value"`
		} `json:"Tags"`
	}](req)
	if err != nil {
		return nil, err
	}
	tags := make([]control.Tag, len(in.Tags))
	for i, t := range in.Tags {
		tags[i] = control.Tag{Key: t.Key, Value: t.Value}
	}
	return nil, h.ctl.TagResource(ctx, in.ResourceARN, tags, in.Tags != nil)
}

func (h *Handler) untagResource(ctx context.Context, req *request) (any, error) {
	in, err := decode[struct {
		ResourceARN *string  `json:"ResourceARN"`
		TagKeyList  []string `json:"TagKeyList"`
	}](req)
	if err != nil {
		return nil, err
	}
	return nil, h.ctl.UntagResource(ctx, in.ResourceARN, in.TagKeyList, in.TagKeyList != nil)
}

func (h *Handler) listTagsForResource(ctx context.Context, req *request) (any, error) {
	in, err := decode[struct {
		ResourceARN *string `json:"ResourceARN"`
		NextToken   *string `json:"NextToken"`
	}](req)
	if err != nil {
		return nil, err
	}
	tags, err := h.ctl.ListTagsForResource(ctx, in.ResourceARN, in.NextToken)
	if err != nil {
		return nil, err
	}
	return tagsOutput{Tags: tags}, nil
}
