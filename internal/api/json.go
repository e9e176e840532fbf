package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/openkvs/openkvs/internal/errkind"
)

// epochSeconds is a timestamp as epoch seconds with milliseconds
// (1704164645.678), the rest-json form. Epoch milliseconds would crash the
// AWS CLI v2 and boto3 (shared/fixtures/wire/README.md). A plain float64
// keeps encoding/json off its slower Marshaler path; float64 holds epoch
// milliseconds exactly, and its shortest form has at most three decimals.
type epochSeconds float64

func toEpochSeconds(t time.Time) epochSeconds { return epochSeconds(float64(t.UnixMilli()) / 1000) }

// decodeBody decodes a JSON request body into v. An empty body counts as {}.
func decodeBody(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	// Unmarshal also rejects data after the object.
	if err := json.Unmarshal(body, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return errkind.New(errSerialization, "Cannot deserialize %s: expected %s, got a JSON %s.", fieldName(typeErr), typeErr.Type, typeErr.Value)
		}
		return errkind.New(errSerialization, "The request body is not valid JSON: %v", err)
	}
	return nil
}

func fieldName(e *json.UnmarshalTypeError) string {
	if e.Field == "" {
		return "the request body"
	}
	return fmt.Sprintf("member %s", e.Field)
}
