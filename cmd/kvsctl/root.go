package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// globalOptions are the flags every command shares. They follow the AWS CLI.
type globalOptions struct {
	endpointURL string
	region      string
	profile     string
	noVerifySSL bool
}

// newRootCmd builds the kvsctl command tree. Each command lives in its own
// file and is added here.
func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "kvsctl",
		Short: "Command-line client for OpenKVS and Amazon Kinesis Video Streams",
		Long: "kvsctl talks to kvsd (or to any Kinesis Video Streams endpoint) over the public KVS APIs,\n" +
			"signed with AWS Signature Version 4. Credentials come from AWS_ACCESS_KEY_ID /\n" +
			"AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) or from a profile of ~/.aws/credentials\n" +
			"and ~/.aws/config (AWS_PROFILE or --profile).",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&g.endpointURL, "endpoint-url", "",
		"KVS control-plane endpoint, e.g. http://127.0.0.1:4566 (default $AWS_ENDPOINT_URL_KINESIS_VIDEO, $AWS_ENDPOINT_URL, else the AWS endpoint of the region)")
	pf.StringVar(&g.region, "region", "", "region to sign requests for (default $AWS_REGION, $AWS_DEFAULT_REGION, the profile's region, else us-east-1)")
	pf.StringVar(&g.profile, "profile", "", "named profile of the shared AWS config and credentials files (default $AWS_PROFILE)")
	pf.BoolVar(&g.noVerifySSL, "no-verify-ssl", false, "do not verify the endpoint's TLS certificate (for kvsd -tls-self-signed)")

	root.AddCommand(newBenchCmd(g, stdout, stderr), newGetMediaCmd(g, stdout, stderr), newFragmentsCmd(g, stdout), newPutCmd(g, stderr),
		newCreateCmd(g, stdout), newDescribeCmd(g, stdout), newListCmd(g, stdout), newUpdateCmd(g), newDeleteCmd(g),
		newTagCmd(g, stdout), newRetentionCmd(g, stdout))
	root.AddCommand(newPlaybackCmds(g, stdout, stderr)...)
	return root
}

// newBenchCmd is the "bench" command group.
func newBenchCmd(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure a KVS endpoint",
		Args:  cobra.ArbitraryArgs,
		RunE:  unknownSubcommand,
	}
	cmd.AddCommand(newBenchIngestCmd(g, stdout, stderr), newBenchHLSCmd(g, stdout))
	return cmd
}

// unknownSubcommand is the action of a command group: help without
// arguments, an error for an unknown subcommand.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())
	}
	return cmd.Help()
}
