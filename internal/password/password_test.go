package password

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fast keeps the tests quick; the format and comparison do not depend on cost.
var fast = Params{MemoryKiB: 64, Time: 1, Threads: 1}

func TestHashVerify(t *testing.T) {
	h, err := Hash("correct horse battery", fast)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$"), h)

	ok, stale, err := Verify(h, "correct horse battery", fast)
	require.NoError(t, err)
	require.True(t, ok)
	require.False(t, stale)

	ok, _, err = Verify(h, "correct horse batterY", fast)
	require.NoError(t, err)
	require.False(t, ok)

	// A hash made with weaker parameters than today's still verifies and asks to be replaced.
	ok, stale, err = Verify(h, "correct horse battery", Default)
	require.NoError(t, err)
	require.True(t, ok)
	require.True(t, stale)

	// Two hashes of one password differ: each has its own salt.
	h2, err := Hash("correct horse battery", fast)
	require.NoError(t, err)
	require.NotEqual(t, h, h2)
}

func TestDefaultIsMemoryHard(t *testing.T) {
	h, err := Hash("a long enough password", Default)
	require.NoError(t, err)
	require.Contains(t, h, "$m=47104,t=1,p=1$")
	ok, stale, err := Verify(h, "a long enough password", Default)
	require.NoError(t, err)
	require.True(t, ok)
	require.False(t, stale)
}

func TestVerifyRejectsMalformedHashes(t *testing.T) {
	for _, bad := range []string{"", "plain", "$2a$10$abcdefghijklmnopqrstuv", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$!!$a2V5a2V5a2V5a2V5a2V5"} {
		_, _, err := Verify(bad, "x", fast)
		require.ErrorIs(t, err, ErrMalformed, bad)
	}
}

func TestCheck(t *testing.T) {
	require.NoError(t, Check("purple monkey dishwasher", "wang"))
	require.NoError(t, Check("销售合同审批流程很重要的密码", "wang")) // 14 characters, more bytes
	require.ErrorContains(t, Check("short", "wang"), "too short")
	require.ErrorContains(t, Check(strings.Repeat("x", 129)+"y", "wang"), "too long")
	require.ErrorContains(t, Check("my name is WANG really", "wang"), "user name")
	require.NoError(t, Check("reliable long passphrase", "li"))
	require.ErrorContains(t, Check("aaaaaaaaaaaaaaaa", "wang"), "repeated")
	require.ErrorContains(t, Check("abc\xffdefghijklmn", "wang"), "UTF-8")
}
