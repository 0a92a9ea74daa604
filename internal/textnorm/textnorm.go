// Package textnorm keeps names and addresses as they were written and says
// when two of them are the same anyway.
//
// A registered name is a legal name: 瑞丰贸易（上海）有限公司 with full-width
// parentheses is what the business licence says, and l2c stores it so. But
// people and systems type the same name with ASCII parentheses, a full-width
// digit or an extra space, so duplicates and matches are found on the folded
// form (Fold), never by rewriting what is stored.
package textnorm

import (
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// Tidy removes what nobody writes on purpose: zero-width characters pasted
// from web pages and chat, and spaces (no-break and ideographic ones too)
// around the text. Everything else stays as written.
func Tidy(s string) string {
	if strings.IndexFunc(s, invisible) >= 0 {
		s = strings.Map(func(r rune) rune {
			if invisible(r) {
				return -1
			}
			return r
		}, s)
	}
	return strings.TrimFunc(s, unicode.IsSpace)
}

func invisible(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff':
		return true
	}
	return false
}

// Fold is the form two texts are compared in: full-width ASCII folded to
// ASCII (（ → (, ８ → 8), half-width katakana to full width, letters to lower
// case, and every run of spaces to one space. Compare folded forms; store the
// original.
func Fold(s string) string {
	s = strings.ToLower(width.Fold.String(Tidy(s)))
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// Same reports whether a and b are the same text once folded.
func Same(a, b string) bool { return a == b || Fold(a) == Fold(b) }
