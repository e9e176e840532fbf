package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// fragment is one ListFragments Fragment.
type fragment struct {
	FragmentNumber               string
	FragmentSizeInBytes          int64
	ProducerTimestamp            float64
	ServerTimestamp              float64
	FragmentLengthInMilliseconds int64
}

// newFragmentsCmd is "kvsctl fragments STREAM": ListFragments, every page.
func newFragmentsCmd(g *globalOptions, stdout io.Writer) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "fragments STREAM",
		Short: "List a stream's fragments (ListFragments) as a table or JSON",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fs, err := listFragments(cmd.Context(), g, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(fs)
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "FRAGMENT NUMBER\tPRODUCER TIME\tSERVER TIME\tDURATION\tBYTES")
			for _, f := range fs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", f.FragmentNumber, epoch(f.ProducerTimestamp), epoch(f.ServerTimestamp),
					time.Duration(f.FragmentLengthInMilliseconds)*time.Millisecond, f.FragmentSizeInBytes)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func epoch(s float64) string {
	return time.UnixMilli(int64(s*1000 + 0.5)).UTC().Format("2006-01-02T15:04:05.000Z")
}

func listFragments(ctx context.Context, g *globalOptions, stream string) ([]fragment, error) {
	rq, err := g.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer rq.close()
	endpoint, err := rq.getDataEndpoint(ctx, stream, "LIST_FRAGMENTS")
	if err != nil {
		return nil, err
	}
	rq.aws.Endpoint = endpoint
	var all []fragment
	token := ""
	for {
		in := map[string]any{"StreamName": stream, "MaxResults": 1000}
		if token != "" {
			in["NextToken"] = token
		}
		var out struct {
			Fragments []fragment
			NextToken string
		}
		if err := rq.call(ctx, "ListFragments "+stream, "/listFragments", in, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Fragments...)
		if out.NextToken == "" {
			return all, nil
		}
		token = out.NextToken
	}
}
