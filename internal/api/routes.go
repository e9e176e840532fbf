package api

import "net/http"

// routeTable lists every path of the five KVS services (control plane,
// media, archived media, signaling, WebRTC storage) and the HLS/DASH
// playback paths. Paths are case-sensitive, as the service models give them.
// An operation without an action answers NotImplementedException.
func (h *Handler) routeTable() map[string]route {
	post := func(op string, a actionFunc) route { return route{op: op, method: http.MethodPost, action: a} }
	get := func(op string) route { return route{op: op, method: http.MethodGet} }
	// Read APIs stream their answer; without a media service they are not
	// implemented.
	reader := func(op string, a actionFunc, stream func(http.ResponseWriter, *http.Request, *request) error) route {
		rt := post(op, nil)
		if h.media != nil {
			rt.action, rt.stream = a, stream
		}
		return rt
	}
	return h.withPlayback(map[string]route{
		// Control plane: streams.
		"/createStream":        post("CreateStream", h.createStream),
		"/describeStream":      post("DescribeStream", h.describeStream),
		"/listStreams":         post("ListStreams", h.listStreams),
		"/updateStream":        post("UpdateStream", h.updateStream),
		"/deleteStream":        post("DeleteStream", h.deleteStream),
		"/updateDataRetention": post("UpdateDataRetention", h.updateDataRetention),
		"/getDataEndpoint":     post("GetDataEndpoint", h.getDataEndpoint),
		"/tagStream":           post("TagStream", h.tagStream),
		"/untagStream":         post("UntagStream", h.untagStream),
		"/listTagsForStream":   post("ListTagsForStream", h.listTagsForStream),
		"/TagResource":         post("TagResource", h.tagResource),
		"/UntagResource":       post("UntagResource", h.untagResource),
		"/ListTagsForResource": post("ListTagsForResource", h.listTagsForResource),

		// Control plane: signaling channels, edge, images, notifications,
		// storage.
		"/createSignalingChannel":               post("CreateSignalingChannel", nil),
		"/deleteSignalingChannel":               post("DeleteSignalingChannel", nil),
		"/describeSignalingChannel":             post("DescribeSignalingChannel", nil),
		"/listSignalingChannels":                post("ListSignalingChannels", nil),
		"/updateSignalingChannel":               post("UpdateSignalingChannel", nil),
		"/getSignalingChannelEndpoint":          post("GetSignalingChannelEndpoint", nil),
		"/startEdgeConfigurationUpdate":         post("StartEdgeConfigurationUpdate", nil),
		"/describeEdgeConfiguration":            post("DescribeEdgeConfiguration", nil),
		"/deleteEdgeConfiguration":              post("DeleteEdgeConfiguration", nil),
		"/listEdgeAgentConfigurations":          post("ListEdgeAgentConfigurations", nil),
		"/updateImageGenerationConfiguration":   post("UpdateImageGenerationConfiguration", nil),
		"/describeImageGenerationConfiguration": post("DescribeImageGenerationConfiguration", nil),
		"/updateNotificationConfiguration":      post("UpdateNotificationConfiguration", nil),
		"/describeNotificationConfiguration":    post("DescribeNotificationConfiguration", nil),
		"/updateMediaStorageConfiguration":      post("UpdateMediaStorageConfiguration", nil),
		"/describeMediaStorageConfiguration":    post("DescribeMediaStorageConfiguration", nil),
		"/describeMappedResourceConfiguration":  post("DescribeMappedResourceConfiguration", nil),
		"/describeStreamStorageConfiguration":   post("DescribeStreamStorageConfiguration", nil),
		"/updateStreamStorageConfiguration":     post("UpdateStreamStorageConfiguration", nil),

		// Media.
		"/putMedia": {op: "PutMedia", method: http.MethodPost, streamed: true, stream: h.putMedia},
		"/getMedia": reader("GetMedia", nil, h.getMedia),

		// Archived media.
		"/listFragments":              reader("ListFragments", h.listFragments, nil),
		"/getMediaForFragmentList":    reader("GetMediaForFragmentList", nil, h.getMediaForFragmentList),
		"/getClip":                    h.playbackRoute("GetClip", h.clip != nil, h.getClip),
		"/getHLSStreamingSessionURL":  post("GetHLSStreamingSessionURL", nil),
		"/getDASHStreamingSessionURL": post("GetDASHStreamingSessionURL", nil),
		"/getImages":                  post("GetImages", nil),

		// HLS and DASH playback, reached through session URLs.
		"/hls/v1/getHLSMasterPlaylist.m3u8": get("GetHLSMasterPlaylist"),
		"/hls/v1/getHLSMediaPlaylist.m3u8":  get("GetHLSMediaPlaylist"),
		"/hls/v1/getMP4InitFragment.mp4":    get("GetMP4InitFragment"),
		"/hls/v1/getMP4MediaFragment.mp4":   get("GetMP4MediaFragment"),
		"/hls/v1/getTSFragment.ts":          get("GetTSFragment"),
		// Ours: low-latency HLS parts (LowLatency=1).
		"/hls/v1/getMP4PartialFragment.mp4": get("GetMP4PartialFragment"),
		"/dash/v1/getDASHManifest.mpd":      get("GetDASHManifest"),
		"/dash/v1/getMP4InitFragment.mp4":   get("GetDASHMP4InitFragment"),
		"/dash/v1/getMP4MediaFragment.mp4":  get("GetDASHMP4MediaFragment"),

		// Signaling.
		"/v1/get-ice-server-config":      post("GetIceServerConfig", nil),
		"/v1/send-alexa-offer-to-master": post("SendAlexaOfferToMaster", nil),

		// WebRTC storage.
		"/joinStorageSession":         post("JoinStorageSession", nil),
		"/joinStorageSessionAsViewer": post("JoinStorageSessionAsViewer", nil),
	})
}
