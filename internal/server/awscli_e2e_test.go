package server_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openkvs/openkvs/internal/config"
	"github.com/openkvs/openkvs/internal/kvsdtest"
)

// TestAWSCLIControlPlane runs scripts/awscli-control-plane.sh against a live
// kvsd with the Debian AWS CLI v2 (/usr/bin/aws, installed by .ci/run) and
// with the CLI v1 that this machine image puts first on PATH, when present.
func TestAWSCLIControlPlane(t *testing.T) {
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "awscli-control-plane.sh"))
	if err != nil {
		t.Fatal(err)
	}
	clis := []struct{ name, path, errRC string }{{"v2", "/usr/bin/aws", "254"}}
	if p, err := exec.LookPath("aws"); err == nil && p != "/usr/bin/aws" {
		clis = append(clis, struct{ name, path, errRC string }{"v1", p, "255"})
	} else {
		t.Log("no second AWS CLI on PATH; testing /usr/bin/aws only")
	}
	for _, cli := range clis {
		t.Run(cli.name, func(t *testing.T) {
			if _, err := os.Stat(cli.path); err != nil {
				t.Fatalf("AWS CLI %s missing (.ci/run installs Debian awscli): %v", cli.path, err)
			}
			srv := kvsdtest.Start(t, func(c *config.Config) { c.MaxStreams = 6 })
			cmd := exec.Command("bash", script)
			cmd.Env = append(os.Environ(),
				"AWS_CLI="+cli.path, "ENDPOINT="+srv.URL, "ERR_RC="+cli.errRC, "MAX_STREAMS=6",
				"AWS_ACCESS_KEY_ID="+kvsdtest.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+kvsdtest.SecretAccessKey)
			out, err := cmd.CombinedOutput()
			t.Log(string(out))
			if err != nil {
				t.Fatalf("script failed: %v", err)
			}
			if !strings.Contains(string(out), "PASS: ") {
				t.Fatal("script ended without PASS")
			}
		})
	}
}
