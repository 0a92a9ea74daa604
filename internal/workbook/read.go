package workbook

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// Book is a spreadsheet opened for reading: the sheets of an .xlsx, or the one
// table of a CSV file. It holds the file in memory; Close it when done.
type Book struct {
	name     string
	format   Format
	encoding string // of a CSV file: UTF-8, GBK, UTF-16
	lim      Limits

	pkg *pkg // an .xlsx

	text  string // a CSV file, decoded to UTF-8
	comma rune
}

// Open reads data as a spreadsheet named name (the name is used in messages).
// A file l2c cannot or will not read gives a *FileError saying what to do.
func Open(data []byte, name string, lim Limits) (*Book, error) {
	if int64(len(data)) > lim.MaxFileBytes {
		return nil, tooLarge(name, int64(len(data)), lim.MaxFileBytes)
	}
	format, ferr := sniff(data, name)
	if ferr != nil {
		return nil, ferr
	}
	if format == CSV {
		return openCSV(data, name, lim)
	}
	return openXLSX(data, name, lim)
}

func tooLarge(name string, size, max int64) *FileError {
	return fileErr(ErrTooLarge,
		"%s is %s; files up to %s are accepted: split it into smaller files",
		"%s 大小为 %s，超过上限 %s：请拆分为多个较小的文件", name, humanBytes(size), humanBytes(max))
}

// TooLarge is the error for a file bigger than max bytes, for callers that
// stop reading an upload at the limit.
func TooLarge(name string, size, max int64) *FileError { return tooLarge(name, size, max) }

func openXLSX(data []byte, name string, lim Limits) (*Book, error) {
	zr, ferr := checkZip(data, name, lim)
	if ferr != nil {
		return nil, ferr
	}
	p, err := openPackage(zr)
	if err != nil {
		return nil, damaged(name, err)
	}
	return &Book{name: name, format: XLSX, lim: lim, pkg: p}, nil
}

func damaged(name string, err error) *FileError {
	return fileErr(ErrDamaged,
		"%s could not be read as a workbook (%v): open it in Excel or WPS, save it again as Excel Workbook (.xlsx) and upload it again",
		"%s 无法作为工作簿读取（%v）：请用 Excel 或 WPS 打开，重新另存为“Excel 工作簿 (.xlsx)”后再上传", name, err)
}

func normPart(name string) string {
	return strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(name, "\\", "/"), "/"))
}

func openCSV(data []byte, name string, lim Limits) (*Book, error) {
	text, enc, ferr := decodeText(data, name)
	if ferr != nil {
		return nil, ferr
	}
	return &Book{name: name, format: CSV, encoding: enc, lim: lim, text: text, comma: sniffComma(text)}, nil
}

// decodeText turns a CSV file into UTF-8: UTF-8 with or without a BOM,
// UTF-16 with a BOM (Excel's "Unicode Text"), and otherwise GBK (read as
// GB18030, its superset), which is what Excel on Chinese Windows saves as CSV.
func decodeText(data []byte, name string) (string, string, *FileError) {
	switch {
	case bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")):
		data = data[3:]
		if !utf8.Valid(data) {
			return "", "", notText(name)
		}
		return string(data), "UTF-8", nil
	case bytes.HasPrefix(data, []byte("\xFF\xFE")), bytes.HasPrefix(data, []byte("\xFE\xFF")):
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		out, err := dec.Bytes(data)
		if err != nil {
			return "", "", notText(name)
		}
		return string(out), "UTF-16", nil
	case utf8.Valid(data):
		return string(data), "UTF-8", nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		return "", "", notText(name)
	}
	// GB18030 maps almost any byte sequence to something; many replacement
	// characters mean the file is not GBK text at all.
	if bad := bytes.Count(out, []byte("\uFFFD")); bad > 0 && bad*1000 > utf8.RuneCount(out) {
		return "", "", notText(name)
	}
	return string(out), "GBK", nil
}

func notText(name string) *FileError {
	return fileErr(ErrNotSpreadsheet,
		"%s is neither a workbook nor readable text (UTF-8 or GBK): upload an Excel workbook (.xlsx), or save the data as CSV UTF-8",
		"%s 既不是工作簿，也不是可识别的文本（UTF-8 或 GBK）：请上传 Excel 工作簿（.xlsx），或另存为“CSV UTF-8”后上传", name)
}

// sniffComma picks the delimiter that appears most in the first lines outside
// quotes: commas (CSV), semicolons (CSV from European settings) or tabs (text
// exported by many ERPs).
func sniffComma(text string) rune {
	counts := map[rune]int{}
	lines, inQuote := 0, false
	for _, r := range text {
		switch {
		case r == '"':
			inQuote = !inQuote
		case inQuote:
		case r == '\n':
			if lines++; lines >= 20 {
				goto done
			}
		case r == ',' || r == ';' || r == '\t':
			counts[r]++
		}
	}
done:
	best := ','
	for _, r := range []rune{'\t', ';'} {
		if counts[r] > counts[best] {
			best = r
		}
	}
	return best
}

// Name is the file's name as given to Open.
func (b *Book) Name() string { return b.name }

// Format is what the file really is.
func (b *Book) Format() Format { return b.format }

// Encoding is the text encoding of a CSV file ("" for a workbook).
func (b *Book) Encoding() string { return b.encoding }

// NameSaysWorkbook reports whether the file is text although its name says it
// is an Excel workbook: worth telling the person when its content is not what
// l2c expects.
func (b *Book) NameSaysWorkbook() bool { return b.format == CSV && claimsWorkbook(b.name) }

// Sheets lists the visible worksheets in workbook order; a CSV file has one,
// named after the file.
func (b *Book) Sheets() []string {
	if b.format == CSV {
		return []string{strings.TrimSuffix(b.name, ".csv")}
	}
	out := make([]string, len(b.pkg.sheets))
	for i, s := range b.pkg.sheets {
		out[i] = s.name
	}
	return out
}

// Close releases the book. Nothing is held outside memory, but callers
// should not depend on that.
func (b *Book) Close() error { return nil }

// Rows is a stream over one sheet's rows, top to bottom. Row numbers are the
// sheet's own (1-based), so they match what the person sees in Excel; rows
// with nothing in them may be skipped.
type Rows struct {
	book   *Book
	num    int
	values []string
	err    error

	x            *sheetReader
	uncalculated []int

	c        *csv.Reader
	newlines int // inside quoted values so far
}

// Rows starts reading sheet, one of Sheets.
func (b *Book) Rows(sheet string) (*Rows, error) {
	r := &Rows{book: b}
	if b.format == CSV {
		c := csv.NewReader(strings.NewReader(b.text))
		c.Comma = b.comma
		c.LazyQuotes = true
		c.FieldsPerRecord = -1
		c.ReuseRecord = true
		r.c = c
		return r, nil
	}
	for _, s := range b.pkg.sheets {
		if s.name == sheet {
			x, err := b.pkg.openSheet(s.part, b.lim)
			if err != nil {
				return nil, damaged(b.name, err)
			}
			r.x = x
			return r, nil
		}
	}
	return nil, fmt.Errorf("no worksheet %q in %s", sheet, b.name)
}

// Next moves to the next row. It returns false at the end of the sheet or on
// an error (see Err).
func (r *Rows) Next() bool {
	if r.err != nil {
		return false
	}
	lim := r.book.lim
	if r.x != nil {
		num, cells, err := r.x.next()
		var rowLimit errRowLimit
		var colLimit errColumnLimit
		switch {
		case err == io.EOF:
			return false
		case errors.As(err, &rowLimit):
			r.err = r.tooManyRows()
			return false
		case errors.As(err, &colLimit):
			r.err = r.tooManyColumns(colLimit.row, colLimit.col)
			return false
		case err != nil:
			r.err = damaged(r.book.name, err)
			return false
		}
		r.num, r.values, r.uncalculated = num, trimTail(cells, false), r.x.uncalculated
		return true
	}
	rec, err := r.c.Read()
	if err == io.EOF {
		return false
	}
	if err != nil {
		r.err = fileErr(ErrDamaged, "%s: %v", "%s：%v", r.book.name, err)
		return false
	}
	// Rows are numbered as a spreadsheet opening the file numbers them: the
	// reader skips blank lines, which are rows there, and a quoted value
	// spanning lines is still one row.
	line, _ := r.c.FieldPos(0)
	r.num = line - r.newlines
	for _, v := range rec {
		r.newlines += strings.Count(v, "\n")
	}
	if r.num > lim.MaxRows {
		r.err = r.tooManyRows()
		return false
	}
	r.values = trimTail(rec, true)
	if len(r.values) > lim.MaxColumns {
		r.err = r.tooManyColumns(r.num, len(r.values))
		return false
	}
	return true
}

func (r *Rows) tooManyColumns(row, col int) *FileError {
	name, _ := excelize.ColumnNumberToName(min(col, excelize.MaxColumns))
	return fileErr(ErrTooManyColumns,
		"%s: row %d has data in column %s; l2c reads at most %d columns: delete the columns on the right that are not needed",
		"%s：第 %d 行在第 %s 列有数据，系统最多读取 %d 列：请删除右侧不需要的列", r.book.name, row, name, r.book.lim.MaxColumns)
}

func (r *Rows) tooManyRows() *FileError {
	max := r.book.lim.MaxRows
	return fileErr(ErrTooManyRows,
		"%s goes past row %d; a file may hold at most %d rows: split it into smaller files (and delete empty rows at the bottom, which Excel sometimes keeps)",
		"%s 超过了第 %d 行，一个文件最多 %d 行：请拆分为多个文件（并删除表格底部 Excel 保留的空行）", r.book.name, max, max)
}

// trimTail drops empty cells at the end of a row, copying the slice when the
// reader reuses it (the CSV reader does).
func trimTail(cells []string, reused bool) []string {
	n := len(cells)
	for n > 0 && strings.TrimSpace(cells[n-1]) == "" {
		n--
	}
	if !reused {
		return cells[:n]
	}
	return append([]string(nil), cells[:n]...)
}

// Num is the current row's number in the sheet (1-based).
func (r *Rows) Num() int { return r.num }

// Values are the current row's cells as text, without empty cells at the end.
// Numbers read as typed, not as rounded for display (see formatNumber).
func (r *Rows) Values() []string { return r.values }

// Uncalculated reports whether the cell in column col (from 0) of the current
// row holds a formula that no application ever calculated, so it has no value.
func (r *Rows) Uncalculated(col int) bool {
	for _, c := range r.uncalculated {
		if c == col {
			return true
		}
	}
	return false
}

// Formulas counts the formula cells read so far; their calculated values are
// what Values returns.
func (r *Rows) Formulas() int {
	if r.x == nil {
		return 0
	}
	return r.x.formulas
}

// SizeHint guesses how many rows the sheet has, for sizing what is kept of
// it: what an .xlsx's <dimension> claims, or a CSV file's line count; never
// more than the row limit. 0 means no idea.
func (r *Rows) SizeHint() int {
	n := 0
	if r.x != nil {
		n = r.x.lastRow
	} else {
		n = strings.Count(r.book.text, "\n") + 1
	}
	return min(n, r.book.lim.MaxRows)
}

// Err is the error that stopped Next, if any.
func (r *Rows) Err() error { return r.err }

// Close releases the sheet.
func (r *Rows) Close() error {
	if r.x != nil {
		return r.x.close()
	}
	return nil
}
