package i18n

import (
	"os"
	"path"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

// TestCatalogueFilesLoad: every file under catalogue/ is a TSV the loader
// reads whole, and the catalogue at start is what they hold.
func TestCatalogueFilesLoad(t *testing.T) {
	dir, err := os.ReadDir("catalogue")
	require.NoError(t, err)
	for _, f := range dir {
		require.Equal(t, ".tsv", path.Ext(f.Name()), "catalogue/%s is not read: only *.tsv are", f.Name())
	}
	loaded, err := loadCatalogue(catalogueFiles)
	require.NoError(t, err)
	require.NotEmpty(t, loaded)
	require.Equal(t, catalogue, loaded)
}

func tsv(files map[string]string) fstest.MapFS {
	out := fstest.MapFS{}
	for name, text := range files {
		out["catalogue/"+name] = &fstest.MapFile{Data: []byte(text)}
	}
	return out
}

// TestCatalogueFileFormat: notes and blank lines are skipped, escapes read,
// quotes and verbs kept as written, an empty field is an empty text.
func TestCatalogueFileFormat(t *testing.T) {
	words, err := loadCatalogue(tsv(map[string]string{"a.tsv": "# a note\n\n" +
		"sep\t、\t,\\s\n" +
		"paren\t（%s）\t\\s(%s)\n" +
		"quoted\t“%s”\t\"%s\" 100%\n" +
		"lines\t一\\n二\tone\\ttwo \\\\ three\r\n" +
		"empty\t\tEmpty\n"}))
	require.NoError(t, err)
	require.Equal(t, map[string]entry{
		"sep":    {"、", ", "},
		"paren":  {"（%s）", " (%s)"},
		"quoted": {"“%s”", `"%s" 100%`},
		"lines":  {"一\n二", "one\ttwo \\ three"},
		"empty":  {"", "Empty"},
	}, words)
}

// TestCatalogueRefusesAKeyTwice: a key two rows define, in one file or in
// two, is refused naming both places; at start that panics.
func TestCatalogueRefusesAKeyTwice(t *testing.T) {
	_, err := loadCatalogue(tsv(map[string]string{"a.tsv": "x\t甲\tA\n# note\nx\t乙\tB\n"}))
	require.EqualError(t, err, `i18n: a.tsv:3: key "x" is in the catalogue twice (first at a.tsv:1)`)
	twoFiles := tsv(map[string]string{"a.tsv": "x\t甲\tA\n", "b.tsv": "y\t乙\tB\nx\t丙\tC\n"})
	_, err = loadCatalogue(twoFiles)
	require.EqualError(t, err, `i18n: b.tsv:2: key "x" is in the catalogue twice (first at a.tsv:1)`)
	require.PanicsWithError(t, err.Error(), func() { mustLoadCatalogue(twoFiles) })
}

// TestCatalogueRefusesAMalformedRow names the file and line of the row.
func TestCatalogueRefusesAMalformedRow(t *testing.T) {
	for row, want := range map[string]string{
		"x\t甲":       `i18n: a.tsv:2: 2 fields, want 3 (key, Chinese, English) split by tabs`,
		"x\t甲\tA\tB": `i18n: a.tsv:2: 4 fields, want 3 (key, Chinese, English) split by tabs`,
		"\t甲\tA":     `i18n: a.tsv:2: key "": want one word, without spaces or backslashes`,
		"a b\t甲\tA":  `i18n: a.tsv:2: key "a b": want one word, without spaces or backslashes`,
		"x\t甲\tA ":   `i18n: a.tsv:2: key x, English: "A " begins or ends with a raw space: write it as \s`,
		"x\t 甲\tA":   `i18n: a.tsv:2: key x, Chinese: " 甲" begins or ends with a raw space: write it as \s`,
		"x\t甲\\q\tA": `i18n: a.tsv:2: key x, Chinese: "甲\\q": \q is no escape (\t, \n, \s, \\ are)`,
		"x\t甲\\乙\tA": `i18n: a.tsv:2: key x, Chinese: "甲\\乙": \乙 is no escape (\t, \n, \s, \\ are)`,
		"x\t甲\tA\\":  `i18n: a.tsv:2: key x, English: "A\\" ends in a lone backslash: write it as \\`,
	} {
		_, err := loadCatalogue(tsv(map[string]string{"a.tsv": "ok\t好\tOK\n" + row + "\n"}))
		require.EqualError(t, err, want, row)
	}
}
