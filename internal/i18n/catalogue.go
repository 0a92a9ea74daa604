package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"unicode/utf8"
)

type entry struct{ zh, en string }

// The texts live in catalogue/*.tsv, one file a feature, embedded in the
// program and read at start. A file is read line by line:
//
//   - a line that is empty or begins with "#" is a note for whoever
//     translates, and is skipped (a line may end in \r\n as well as \n);
//   - any other line is a row of three fields split by tabs: the key, the
//     Chinese, the English;
//   - a text is as it is written (quotes, "%s" and the other verbs T fills
//     in, a "%" of its own), but for a backslash, which escapes: \t a tab,
//     \n a line break, \\ a backslash, \s a space. A text that begins or
//     ends with a space writes that space as \s, so that an editor trimming
//     lines cannot change it;
//   - an empty field is an empty text (Has says false, and the tests want
//     every key in both languages).
//
// A row that is not that (not three fields, an empty key or one with a
// space in it, a field beginning or ending with a raw space, another
// backslash) stops the program at start naming its file and line; so does a
// key that two rows define, in one file or in two, rather than showing one
// of the two texts.
//
//go:embed catalogue/*.tsv
var catalogueFiles embed.FS

// loadCatalogue reads every catalogue/*.tsv of files.
func loadCatalogue(files fs.FS) (map[string]entry, error) {
	names, err := fs.Glob(files, "catalogue/*.tsv")
	if err != nil {
		return nil, err
	}
	words := map[string]entry{}
	where := map[string]string{} // key: the file:line defining it
	for _, name := range names {
		data, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, err
		}
		for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			at := fmt.Sprintf("%s:%d", path.Base(name), i+1)
			line = strings.TrimSuffix(line, "\r")
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			key, e, err := parseRow(line)
			if err != nil {
				return nil, fmt.Errorf("i18n: %s: %w", at, err)
			}
			if first, dup := where[key]; dup {
				return nil, fmt.Errorf("i18n: %s: key %q is in the catalogue twice (first at %s)", at, key, first)
			}
			words[key], where[key] = e, at
		}
	}
	return words, nil
}

// parseRow reads one row: key, Chinese and English, split by tabs.
func parseRow(line string) (string, entry, error) {
	f := strings.Split(line, "\t")
	if len(f) != 3 {
		return "", entry{}, fmt.Errorf("%d fields, want 3 (key, Chinese, English) split by tabs", len(f))
	}
	if f[0] == "" || strings.ContainsAny(f[0], " \\") {
		return "", entry{}, fmt.Errorf("key %q: want one word, without spaces or backslashes", f[0])
	}
	var texts [2]string
	for i, lang := range []string{"Chinese", "English"} {
		t, err := unescape(f[i+1])
		if err != nil {
			return "", entry{}, fmt.Errorf("key %s, %s: %w", f[0], lang, err)
		}
		texts[i] = t
	}
	return f[0], entry{texts[0], texts[1]}, nil
}

// unescape reads a text's \t, \n, \\ and \s.
func unescape(s string) (string, error) {
	if strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") {
		return "", fmt.Errorf("%q begins or ends with a raw space: write it as \\s", s)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i == len(s) {
			return "", fmt.Errorf("%q ends in a lone backslash: write it as \\\\", s)
		}
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 's':
			b.WriteByte(' ')
		case '\\':
			b.WriteByte('\\')
		default:
			r, _ := utf8.DecodeRuneInString(s[i:])
			return "", fmt.Errorf("%q: \\%c is no escape (\\t, \\n, \\s, \\\\ are)", s, r)
		}
	}
	return b.String(), nil
}

// catalogue holds every text the pages show, by key. Keys with a prefix
// name things the domain defines: stage.<deal stage>, kind.<kind of review>,
// step.<approval stage in the routing rules>, action.<history entry>,
// field.<reviewed field>, status.<case or step status>, role.<role>.
var catalogue = mustLoadCatalogue(catalogueFiles)

// mustLoadCatalogue is loadCatalogue at start: a file in error panics.
func mustLoadCatalogue(files fs.FS) map[string]entry {
	words, err := loadCatalogue(files)
	if err != nil {
		panic(err)
	}
	return words
}
