package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadAPIError(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		typ      string
		body     string
		wantName string
		wantMsg  string
		auth     bool
	}{
		{name: "kvsd", status: 403, typ: "InvalidSignatureException", body: `{"__type":"InvalidSignatureException","message":"bad sig"}`,
			wantName: "InvalidSignatureException", wantMsg: "bad sig", auth: true},
		{name: "header with suffix", status: 404, typ: "ResourceNotFoundException:http://internal.amazon.com/", body: `{"Message":"no stream"}`,
			wantName: "ResourceNotFoundException", wantMsg: "no stream"},
		{name: "namespaced type in the body", status: 400, body: `{"__type":"com.amazonaws.kinesisvideo#ResourceInUseException","message":"exists"}`,
			wantName: "ResourceInUseException", wantMsg: "exists"},
		{name: "not KVS", status: 404, body: "<html><body>Not Found</body></html>",
			wantName: "UnexpectedResponse", wantMsg: "is the endpoint right?"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tc.status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tc.body))}
			if tc.typ != "" {
				resp.Header.Set("x-amzn-ErrorType", tc.typ)
			}
			err := readAPIError("CreateStream s", resp)
			var ae *apiError
			require.ErrorAs(t, err, &ae)
			require.Equal(t, tc.wantName, ae.Name)
			require.Contains(t, ae.Message, tc.wantMsg)
			require.Equal(t, tc.auth, strings.Contains(err.Error(), "check the credentials"))
			require.NotContains(t, err.Error(), "\n")
		})
	}
}
