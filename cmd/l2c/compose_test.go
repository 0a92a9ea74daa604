package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The production shape must not hand Temporal to the network: whoever reaches
// its frontend can start, signal and read every workflow, and its UI shows
// every deal's history. Nor may it ship an audit key everyone knows.
func TestComposePublishesNoTemporalAndNeedsAnAuditKey(t *testing.T) {
	raw, err := os.ReadFile("../../docker-compose.yml")
	require.NoError(t, err)
	var compose struct {
		Env      map[string]string `yaml:"x-l2c-env"`
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Ports       []string          `yaml:"ports"`
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &compose))
	require.Contains(t, compose.Services, "temporal", "the file still runs Temporal")
	for name, s := range compose.Services {
		if strings.Contains(name, "temporal") || strings.HasPrefix(s.Image, "temporalio/") {
			require.Empty(t, s.Ports, "service %s publishes Temporal", name)
		}
		require.NotContains(t, s.Image, "temporalio/ui", "service %s runs Temporal's UI", name)
		for _, p := range s.Ports {
			require.NotContains(t, p, "7233", "service %s publishes Temporal's frontend port", name)
			require.NotContains(t, p, "8233", "service %s publishes Temporal's UI port", name)
		}
	}
	key := compose.Env["L2C_AUDIT_KEY"]
	require.True(t, strings.HasPrefix(key, "${L2C_AUDIT_KEY:?"),
		"L2C_AUDIT_KEY must be required from the environment, not defaulted: %q", key)
}
