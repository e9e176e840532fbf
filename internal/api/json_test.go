package api

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestEpochSecondsEncoding(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.UnixMilli(1704164645678), "1704164645.678"},
		{time.UnixMilli(1704164645000), "1704164645"},
		{time.UnixMilli(1795623198001), "1795623198.001"},
		{time.UnixMilli(4102444799999), "4102444799.999"},
		{time.Unix(1704164645, 678_900_000), "1704164645.678"},
	}
	for _, tc := range tests {
		b, err := json.Marshal(toEpochSeconds(tc.in))
		require.NoError(t, err)
		require.Equal(t, tc.want, string(b))
	}
}
