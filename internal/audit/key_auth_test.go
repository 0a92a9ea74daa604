package audit_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/audit"
)

// TestAuthCheckKeyRefusesPublicAndShortKeys: what serve and worker accept
// outside `l2c dev`.
func TestAuthCheckKeyRefusesPublicAndShortKeys(t *testing.T) {
	for key, says := range map[string]string{
		"":                                      "not set",
		audit.DevKey:                            "placeholder",
		"replace-with-a-long-random-secret":     "placeholder",
		"  replace-with-a-long-random-secret\n": "placeholder",
		"my-changeme-key-for-production-use-ok": "placeholder",
		"short":                                 "want at least 32",
		hex.EncodeToString(make([]byte, 16)):    "want at least 32", // 32 hex digits are 16 bytes
		strings.Repeat("ab", 40):                "not random",
		strings.Repeat("x", 64):                 "not random",
	} {
		_, err := audit.CheckKey(key)
		require.Error(t, err, "%q", key)
		require.Contains(t, err.Error(), says, "%q", key)
		require.Contains(t, err.Error(), "openssl rand -hex 32", "the error says how to make one")
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	for _, key := range []string{hex.EncodeToString(b), base64.StdEncoding.EncodeToString(b), "a passphrase of many words, long enough, 7 Q!"} {
		k, err := audit.CheckKey(key)
		require.NoError(t, err, key)
		require.Equal(t, key, string(k), "the text is the key, as before")
	}
}
