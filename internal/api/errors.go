package api

import (
	"errors"
	"net/http"

	"github.com/openkvs/openkvs/internal/auth"
	"github.com/openkvs/openkvs/internal/control"
	"github.com/openkvs/openkvs/internal/ingest"
	"github.com/openkvs/openkvs/internal/media"
	"github.com/openkvs/openkvs/internal/playback"
)

// Failures that only the api layer detects.
var (
	errSerialization    = errors.New("serialization")
	errUnknownOperation = errors.New("unknown operation")
	errNotImplemented   = errors.New("not implemented")
	errBodyTooLarge     = errors.New("request entity too large")
)

// awsError is an error as the AWS clients read it: the name from the
// x-amzn-ErrorType header and the HTTP status.
type awsError struct {
	name   string
	status int
}

// errorTable maps every domain error kind to its AWS error. Statuses follow
// the KVS service model (shared/spec/control-plane-api.md §2 and §5).
var errorTable = []struct {
	kind error
	awsError
}{
	{control.ErrInvalidArgument, awsError{"InvalidArgumentException", http.StatusBadRequest}},
	{control.ErrInvalidResourceFormat, awsError{"InvalidResourceFormatException", http.StatusBadRequest}},
	{control.ErrNotFound, awsError{"ResourceNotFoundException", http.StatusNotFound}},
	{control.ErrInUse, awsError{"ResourceInUseException", http.StatusBadRequest}},
	{control.ErrVersionMismatch, awsError{"VersionMismatchException", http.StatusBadRequest}},
	{control.ErrTagLimit, awsError{"TagsPerResourceExceededLimitException", http.StatusBadRequest}},
	{control.ErrStreamLimit, awsError{"AccountStreamLimitExceededException", http.StatusBadRequest}},

	{media.ErrNotFound, awsError{"ResourceNotFoundException", http.StatusNotFound}},
	{media.ErrInvalidArgument, awsError{"InvalidArgumentException", http.StatusBadRequest}},
	{media.ErrConnectionLimit, awsError{"ConnectionLimitExceededException", http.StatusBadRequest}},
	{media.ErrClientLimit, awsError{"ClientLimitExceededException", http.StatusBadRequest}},
	{playback.ErrNotFound, awsError{"ResourceNotFoundException", http.StatusNotFound}},
	{playback.ErrInvalidArgument, awsError{"InvalidArgumentException", http.StatusBadRequest}},
	{playback.ErrNoDataRetention, awsError{"NoDataRetentionException", http.StatusBadRequest}},
	{playback.ErrMissingCodecPrivateData, awsError{"MissingCodecPrivateDataException", http.StatusBadRequest}},
	{playback.ErrInvalidCodecPrivateData, awsError{"InvalidCodecPrivateDataException", http.StatusBadRequest}},
	{playback.ErrUnsupportedStreamMediaType, awsError{"UnsupportedStreamMediaTypeException", http.StatusBadRequest}},
	{playback.ErrInvalidMediaFrame, awsError{"InvalidMediaFrameException", http.StatusBadRequest}},
	{playback.ErrNotAuthorized, awsError{"NotAuthorizedException", http.StatusUnauthorized}},
	{playback.ErrClientLimit, awsError{"ClientLimitExceededException", http.StatusBadRequest}},
	{ingest.ErrThrottled, awsError{"ClientLimitExceededException", http.StatusBadRequest}},

	{auth.ErrMissingAuth, awsError{"MissingAuthenticationTokenException", http.StatusForbidden}},
	{auth.ErrIncompleteSignature, awsError{"IncompleteSignatureException", http.StatusBadRequest}},
	{auth.ErrUnknownKey, awsError{"UnrecognizedClientException", http.StatusForbidden}},
	{auth.ErrSignatureMismatch, awsError{"InvalidSignatureException", http.StatusForbidden}},
	{auth.ErrRequestExpired, awsError{"RequestExpired", http.StatusBadRequest}},

	{errSerialization, awsError{"SerializationException", http.StatusBadRequest}},
	{errUnknownOperation, awsError{"UnknownOperationException", http.StatusNotFound}},
	// 501 is not retried by the AWS SDKs, unlike 500 and 503.
	{errNotImplemented, awsError{"NotImplementedException", http.StatusNotImplemented}},
	{errBodyTooLarge, awsError{"RequestEntityTooLargeException", http.StatusRequestEntityTooLarge}},
}

var internalFailure = awsError{"InternalFailure", http.StatusInternalServerError}

// classify returns the AWS error for err and whether err's text may be shown
// to the client. Unknown errors are internal: their text stays in the log.
func classify(err error) (awsError, bool) {
	for _, e := range errorTable {
		if errors.Is(err, e.kind) {
			return e.awsError, true
		}
	}
	return internalFailure, false
}
