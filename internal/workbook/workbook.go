// Package workbook reads and writes the spreadsheets people exchange with l2c,
// safely: .xlsx and .csv in, .xlsx out.
//
// Reading trusts nothing in the file. The real format is sniffed from its bytes,
// not its name, so a legacy .xls, a password-protected workbook, a PDF or a web
// page saved as "x.xls" is refused with a message saying what to do. Before a
// byte of an .xlsx is inflated, the sizes declared in its zip directory are
// checked against Limits; Go's zip reader refuses to inflate an entry past its
// declared size, so those sizes bound all the work and a zip bomb is refused
// from its directory alone. Worksheets are streamed row by row, never held
// whole, and the row and column numbers a file claims are capped, so a tiny
// file cannot make l2c walk a million rows.
//
// Reading does not use excelize's Rows iterator: it runs encoding/xml over
// every cell and, for a large shared-strings table, reads each string back
// from a temporary file with a system call; a 100,000-row customer list took
// over 20 seconds. The worksheet and shared strings are read here by a small
// streaming scanner instead (xmlscan.go), against the same limits.
//
// Writing streams rows through excelize's StreamWriter, so a 100,000-row report
// never sits in memory whole, and writes any text that a spreadsheet would take
// for a formula (=, +, -, @, tab, carriage return first) as a quoted text cell.
package workbook

import (
	"fmt"
	"strings"
)

// Lang is the language of a workbook's labels and messages.
type Lang string

const (
	Chinese Lang = "zh" // Simplified Chinese, the first users' language
	English Lang = "en"
)

// ParseLang reads "zh", "en", or an Accept-Language value such as
// "zh-CN,zh;q=0.9,en;q=0.8" (the first language l2c speaks wins). It reports
// false when s names neither.
func ParseLang(s string) (Lang, bool) {
	for _, part := range strings.Split(s, ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		switch {
		case tag == "zh" || strings.HasPrefix(tag, "zh-"):
			return Chinese, true
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			return English, true
		}
	}
	return "", false
}

// Text is something said to a person in both languages.
type Text struct {
	EN, ZH string
}

// In picks the text for lang; English when lang is unknown.
func (t Text) In(lang Lang) string {
	if lang == Chinese && t.ZH != "" {
		return t.ZH
	}
	return t.EN
}

// Textf formats the same arguments into both languages' formats.
func Textf(en, zh string, args ...any) Text {
	return Text{EN: fmt.Sprintf(en, args...), ZH: fmt.Sprintf(zh, args...)}
}

// Limits bound what reading one file may cost. The defaults suit a sales
// assistant's customer list up to 200,000 rows on a small server.
type Limits struct {
	// MaxFileBytes is the largest file accepted, as uploaded.
	MaxFileBytes int64
	// MaxUnzippedBytes bounds the sum of the sizes an .xlsx declares for its
	// parts once inflated. Worksheets are streamed, never held whole.
	MaxUnzippedBytes int64
	// MaxSharedStringsBytes bounds the shared-strings part, the one large
	// part held in memory (as text, without its XML).
	MaxSharedStringsBytes int64
	// MaxPartBytes bounds each small part read whole: the workbook, its
	// relationships and its styles.
	MaxPartBytes int64
	// MaxRows is the last sheet row (or CSV record) read: a file that goes
	// further, even with blank rows, is refused rather than read in part.
	MaxRows int
	// MaxColumns is the last column read; cells beyond it refuse the file.
	MaxColumns int
}

// DefaultLimits are the limits imports use unless told otherwise.
func DefaultLimits() Limits {
	return Limits{
		MaxFileBytes:          50 << 20,
		MaxUnzippedBytes:      256 << 20,
		MaxSharedStringsBytes: 96 << 20,
		MaxPartBytes:          8 << 20,
		MaxRows:               200_001, // a header and 200,000 customers
		MaxColumns:            200,
	}
}

// ErrorKind says what is wrong with a file as a whole.
type ErrorKind string

const (
	ErrEmpty          ErrorKind = "empty_file"
	ErrTooLarge       ErrorKind = "file_too_large"
	ErrLegacyXLS      ErrorKind = "legacy_xls"
	ErrEncrypted      ErrorKind = "encrypted_workbook"
	ErrUnsupported    ErrorKind = "unsupported_format"
	ErrNotSpreadsheet ErrorKind = "not_a_spreadsheet"
	ErrDamaged        ErrorKind = "damaged_file"
	ErrZipBomb        ErrorKind = "unzip_limit"
	ErrTooManyRows    ErrorKind = "too_many_rows"
	ErrTooManyColumns ErrorKind = "too_many_columns"
)

// FileError is a problem with a whole file: nothing in it was used. Its text
// tells the person what to do about it, in both languages.
type FileError struct {
	Kind ErrorKind
	Text Text
}

func (e *FileError) Error() string { return e.Text.EN }

func fileErr(kind ErrorKind, en, zh string, args ...any) *FileError {
	return &FileError{Kind: kind, Text: Textf(en, zh, args...)}
}

// FileErrorf builds a FileError; packages that read workbooks use it for
// problems they find in a file's content, such as a missing header.
func FileErrorf(kind ErrorKind, en, zh string, args ...any) *FileError {
	return fileErr(kind, en, zh, args...)
}

// humanBytes writes n as "12.5 MB" for messages.
func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
