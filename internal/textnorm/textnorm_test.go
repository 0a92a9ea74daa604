package textnorm

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTidyKeepsWhatWasWritten(t *testing.T) {
	require.Equal(t, "瑞丰贸易（上海）有限公司", Tidy("\u3000瑞丰贸易（上海）\u200b有限公司 "))
	require.Equal(t, "张江路８８号", Tidy("张江路８８号"))
	require.Equal(t, "a\u3000b", Tidy("a\u3000b"), "inner spaces are the writer's")
}

func TestFoldComparesWidthsAndSpaces(t *testing.T) {
	require.True(t, Same("瑞丰贸易（上海）有限公司", "瑞丰贸易(上海)有限公司"))
	require.True(t, Same("ＡＢＣ Trading  Co.", "abc trading co."))
	require.True(t, Same("张江路８８号", "张江路88号"))
	require.False(t, Same("瑞丰贸易（上海）有限公司", "瑞丰贸易（北京）有限公司"))
	require.Equal(t, "a b", Fold(" a \u3000 b "))
}
