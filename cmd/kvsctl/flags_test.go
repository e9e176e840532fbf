package main

import (
	"io"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
)

func TestParseBitrate(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{in: "2Mbps", want: 2_000_000},
		{in: "2mbps", want: 2_000_000},
		{in: "100Mbps", want: 100_000_000},
		{in: "1.5Mbit/s", want: 1_500_000},
		{in: "500kbps", want: 500_000},
		{in: "500Kb/s", want: 500_000},
		{in: "1G", want: 1_000_000_000},
		{in: "1Gbps", want: 1_000_000_000},
		{in: "800000", want: 800_000},
		{in: "800000bps", want: 800_000},
		{in: " 3 Mbps ", want: 3_000_000},
		{in: "2MBps", wantErr: true},
		{in: "2MB/s", wantErr: true},
		{in: "", wantErr: true},
		{in: "Mbps", wantErr: true},
		{in: "fast", wantErr: true},
		{in: "0", wantErr: true},
		{in: "-2Mbps", wantErr: true},
		{in: "0.1bps", wantErr: true},
		{in: "NaN", wantErr: true},
		{in: "200Gbps", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseBitrate(tc.in)
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestFormatBitrate(t *testing.T) {
	for v, want := range map[int64]string{
		2_000_000: "2Mbps", 1_500_000: "1500kbps", 1_000_000_000: "1Gbps", 999: "999bps", 0: "0bps",
	} {
		require.Equal(t, want, formatBitrate(v))
		if v > 0 {
			back, err := parseBitrate(want)
			require.NoError(t, err)
			require.Equal(t, v, back)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "10s", want: 10 * time.Second},
		{in: "1m30s", want: 90 * time.Second},
		{in: "500ms", want: 500 * time.Millisecond},
		{in: "10", want: 10 * time.Second},
		{in: "0.5", want: 500 * time.Millisecond},
		{in: "ten", wantErr: true},
		{in: "10 parsecs", wantErr: true},
		{in: "1e300", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseDuration(tc.in)
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// TestBenchIngestFlags parses whole command lines through cobra and checks
// the validation messages.
func TestBenchIngestFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		check   func(t *testing.T, o *benchIngestOptions)
		wantErr string
	}{
		{
			name: "defaults",
			check: func(t *testing.T, o *benchIngestOptions) {
				require.Equal(t, 1, o.streams)
				require.Equal(t, int64(2_000_000), int64(o.bitrate))
				require.Equal(t, time.Second, time.Duration(o.fragment))
				require.Equal(t, 10*time.Second, time.Duration(o.duration))
				require.Equal(t, 25, o.fps)
				require.True(t, o.baselines)
				require.Equal(t, 25, o.framesPerFragment())
				require.Equal(t, 250, o.totalFrames())
				require.Equal(t, []string{"bench-0"}, o.streamNames())
			},
		},
		{
			name: "everything",
			args: []string{"--streams", "3", "--bitrate", "100Mbps", "--fragment", "2s", "--duration", "3", "--fps", "30",
				"--unthrottled", "--stream-prefix", "x.", "--retention-hours", "2", "--json", "--baselines=false"},
			check: func(t *testing.T, o *benchIngestOptions) {
				require.Equal(t, int64(100_000_000), int64(o.bitrate))
				require.Equal(t, 60, o.framesPerFragment())
				require.Equal(t, 90, o.totalFrames())
				require.True(t, o.unthrottled)
				require.True(t, o.json)
				require.False(t, o.baselines)
				require.Equal(t, []string{"x.0", "x.1", "x.2"}, o.streamNames())
			},
		},
		{name: "bad bitrate", args: []string{"--bitrate", "2MBps"}, wantErr: "bits per second"},
		{name: "bad duration", args: []string{"--duration", "soon"}, wantErr: "duration"},
		{name: "zero streams", args: []string{"--streams", "0"}, wantErr: "--streams 0"},
		{name: "long fragment", args: []string{"--fragment", "21s"}, wantErr: "at most 20s"},
		{name: "fragment under a frame", args: []string{"--fragment", "10ms"}, wantErr: "shorter than one frame"},
		{name: "negative duration", args: []string{"--duration", "-1s"}, wantErr: "must be positive"},
		{name: "no retention", args: []string{"--retention-hours", "0"}, wantErr: "never sends PERSISTED"},
		{name: "bad prefix", args: []string{"--stream-prefix", "a/b"}, wantErr: "--stream-prefix"},
		{name: "fragment over 50 MB", args: []string{"--bitrate", "1Gbps"}, wantErr: "50 MB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := defaultBenchIngestOptions()
			cmd := &cobra.Command{Use: "ingest"}
			cmd.SetOut(io.Discard)
			got.addFlags(cmd)
			err := cmd.ParseFlags(tc.args)
			if err == nil {
				err = got.validate()
			}
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.check(t, got)
		})
	}
}
