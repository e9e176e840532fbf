package api

import (
	"context"

	"github.com/openkvs/openkvs/internal/control"
	"github.com/openkvs/openkvs/internal/store"
)

// streamInfo is the StreamInfo shape.
type streamInfo struct {
	CreationTime         epochSeconds `json:"CreationTime"`
	DataRetentionInHours int          `json:"DataRetentionInHours"`
	DeviceName           string       `json:"DeviceName,omitempty"`
	KmsKeyID             string       `json:"KmsKeyId,omitempty"`
	MediaType            string       `json:"MediaType,omitempty"`
	Status               string       `json:"Status"`
	StreamARN            string       `json:"StreamARN"`
	StreamName           string       `json:"StreamName"`
	Version              string       `json:"Version"`
}

func toStreamInfo(s store.Stream) streamInfo {
	return streamInfo{
		CreationTime:         toEpochSeconds(s.CreatedAt),
		DataRetentionInHours: s.RetentionHours,
		DeviceName:           s.DeviceName,
		KmsKeyID:             s.KMSKeyID,
		MediaType:            s.MediaType,
		Status:               string(s.Status),
		StreamARN:            s.ARN,
		StreamName:           s.Name,
		Version:              s.Version,
	}
}

// streamRef is the StreamName/StreamARN pair most stream actions take.
type streamRef struct {
	StreamName *string `json:"StreamName"`
	StreamARN  *string `json:"StreamARN"`
}

func (r streamRef) ref() control.StreamRef {
	return control.StreamRef{Name: r.StreamName, ARN: r.StreamARN}
}

// decode decodes the request body into a new In.
func decode[In any](req *request) (*In, error) {
	in := new(In)
	return in, decodeBody(req.body, in)
}

func (h *Handler) createStream(ctx context.Context, req *request) (any, error) {
	in, err := decode[struct {
		StreamName                 *string           `json:"StreamName"`
		DeviceName                 *string           `json:"DeviceName"`
		MediaType                  *string           `json:"MediaType"`
		KmsKeyID                   *string           `json:"KmsKeyId"`
		DataRetentionInHours       *int              `json:"DataRetentionInHours"`
		Tags                       map[string]string `json:"Tags"`
		StreamStorageConfiguration *struct {
			DefaultStorageTier *string `json:"DefaultStorageTier"`
		} `json:"StreamStorageConfiguration"`
	}](req)
	if err != nil {
		return nil, err
	}
	ci := control.CreateStreamInput{
		StreamName: in.StreamName, DeviceName: in.DeviceName, MediaType: in.MediaType, KMSKeyID: in.KmsKeyID,
		DataRetentionInHours: in.DataRetentionInHours, Tags: in.Tags,
	}
	if c := in.StreamStorageConfiguration; c != nil {
		ci.StorageTierSet, ci.StorageTier = true, c.DefaultStorageTier
	}
	arn, err := h.ctl.CreateStream(ctx, ci)
	if err != nil {
		return nil, err
	}
	return struct {
		StreamARN string `json:"StreamARN"`
	}{arn}, nil
}

func (h *Handler) describeStream(ctx context.Context, req *request) (any, error) {
	in, err := decode[streamRef](req)
	if err != nil {
		return nil, err
	}
	st, err := h.ctl.DescribeStream(ctx, in.ref())
	if err != nil {
		return nil, err
	}
	return struct {
		StreamInfo streamInfo `json:"StreamInfo"`
	}{toStreamInfo(st)}, nil
}

func (h *Handler) listStreams(ctx context.Context, req *request) (any, error) {
	in, err := decode[struct {
		MaxResults          *int    `json:"MaxResults"`
		NextToken           *string `json:"NextToken"`
		StreamNameCondition *struct {
			ComparisonOperator *string `json:"ComparisonOperator"`
			ComparisonValue    *string `json:"ComparisonValue"`
		} `json:"StreamNameCondition"`
	}](req)
	if err != nil {
		return nil, err
	}
	li := control.ListStreamsInput{MaxResults: in.MaxResults, NextToken: in.NextToken}
	if c := in.StreamNameCondition; c != nil {
		li.Condition = &control.NameCondition{ComparisonOperator: c.ComparisonOperator, ComparisonValue: c.ComparisonValue}
	}
	streams, next, err := h.ctl.ListStreams(ctx, li)
	if err != nil {
		return nil, err
	}
	out := struct {
		StreamInfoList []streamInfo `json:"StreamInfoList"`
		NextToken      string       `json:"NextToken,omitempty"`
	}{StreamInfoList: make([]streamInfo, len(streams)), NextToken: next}
	for i, s := range streams {
		out.StreamInfoList[i] = toStreamInfo(s)
	}
	return out, nil
}

func (h *Handler) updateStream(ctx context.Context, req *request) (any, error) {
	in, err := decode[struct {
		streamRef
		CurrentVersion *string `json:"CurrentVersion"`
		DeviceName     *string `json:"DeviceName"`
		MediaType      *string `json:"MediaType"`
	}](req)
	if err != nil {
		return nil, err
	}
	return nil, h.ctl.UpdateStream(ctx, control.UpdateStreamInput{
		StreamRef: in.ref(), CurrentVersion: in.CurrentVersion, DeviceName: in.DeviceName, MediaType: in.MediaType,
	})
}

func (h *Handler) deleteStream(ctx context.Context, req *request) (any, error) {
	in, err := decode[struct {
		StreamARN      *string `json:"StreamARN"`
		CurrentVersion *string `json:"CurrentVersion"`
	}](req)
	if err != nil {
		return nil, err
	}
	return nil, h.ctl.DeleteStream(ctx, in.StreamARN, in.CurrentVersion)
}

func (h *Handler) updateDataRetention(ctx context.Context, req *request) (any, error) {
	in, err := decode[struct {
		streamRef
		CurrentVersion             *string `json:"CurrentVersion"`
		DataRetentionChangeInHours *int    `json:"DataRetentionChangeInHours"`
		Operation                  *string `json:"Operation"`
	}](req)
	if err != nil {
		return nil, err
	}
	return nil, h.ctl.UpdateDataRetention(ctx, control.UpdateDataRetentionInput{
		StreamRef: in.ref(), CurrentVersion: in.CurrentVersion,
		DataRetentionChangeInHours: in.DataRetentionChangeInHours, Operation: in.Operation,
	})
}

func (h *Handler) getDataEndpoint(ctx context.Context, req *request) (any, error) {
	in, err := decode[struct {
		streamRef
		APIName *string `json:"APIName"`
	}](req)
	if err != nil {
		return nil, err
	}
	ep, err := h.ctl.GetDataEndpoint(ctx, in.ref(), in.APIName)
	if err != nil {
		return nil, err
	}
	return struct {
		DataEndpoint string `json:"DataEndpoint"`
	}{ep}, nil
}
