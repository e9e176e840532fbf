package mkv

// TagName values that Kinesis Video Streams reads or writes in SimpleTags.
// The GetMedia ones are documented in the GetMedia API reference and were
// observed in real GetMedia output; END_OF_FRAGMENT is what the KVS producer
// SDK writes after each fragment.
const (
	// TagFragmentNumber is the fragment number of a GetMedia chunk (47 decimal
	// digits in real output).
	TagFragmentNumber = "AWS_KINESISVIDEO_FRAGMENT_NUMBER"
	// TagServerTimestamp is the server-side timestamp of a GetMedia chunk, in
	// epoch seconds with 3 decimals.
	TagServerTimestamp = "AWS_KINESISVIDEO_SERVER_TIMESTAMP"
	// TagProducerTimestamp is the producer-side timestamp of a GetMedia chunk,
	// in seconds with 3 decimals.
	TagProducerTimestamp = "AWS_KINESISVIDEO_PRODUCER_TIMESTAMP"
	// TagMillisBehindNow is how far a GetMedia chunk is behind the newest one,
	// in milliseconds.
	TagMillisBehindNow = "AWS_KINESISVIDEO_MILLIS_BEHIND_NOW"
	// TagContinuationToken is the token a GetMedia caller passes to resume
	// after the chunk.
	TagContinuationToken = "AWS_KINESISVIDEO_CONTINUATION_TOKEN"
	// TagErrorCode describes the error that stopped GetMedia.
	TagErrorCode = "AWS_KINESISVIDEO_ERROR_CODE"
	// TagErrorID is the numeric code of the error that stopped GetMedia.
	TagErrorID = "AWS_KINESISVIDEO_ERROR_ID"
	// TagEndOfFragment is the empty tag the KVS producer SDK writes in its own
	// Tags element after each fragment's metadata; the fragment is complete
	// when it arrives, before the next Cluster starts.
	TagEndOfFragment = "AWS_KINESISVIDEO_END_OF_FRAGMENT"
)
