package workbook

import (
	"archive/zip"
	"compress/flate"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/l2c/l2c/internal/money"
)

// Writer builds an .xlsx workbook one sheet at a time. Rows are streamed to a
// temporary file as they are written, so memory stays flat however many rows
// there are. Close it when done, written or not.
type Writer struct {
	f      *excelize.File
	styles map[styleKey]int
	sheets int
}

// NewWriter starts an empty workbook; title and author go into its document
// properties.
func NewWriter(title, author string) (*Writer, error) {
	f := excelize.NewFile()
	// Fast compression: a result is written once and downloaded a few times,
	// and the default level costs twice the time for a tenth less size.
	f.ZipWriter = func(w io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(w)
		zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
			return flate.NewWriter(out, flate.BestSpeed)
		})
		return zw
	}
	err := f.SetDocProps(&excelize.DocProperties{
		Title: title, Creator: author, LastModifiedBy: author,
		Created: time.Now().UTC().Format(time.RFC3339), Modified: time.Now().UTC().Format(time.RFC3339),
	})
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("workbook properties: %w", err)
	}
	return &Writer{f: f, styles: map[styleKey]int{}}, nil
}

// Kind is how a cell's value is written and formatted.
type Kind uint8

const (
	KindText       Kind = iota
	KindInt             // whole numbers
	KindMoney           // money.Amount, #,##0.00
	KindDate            // a calendar day, yyyy-mm-dd
	KindDateTime        // wall-clock time, yyyy-mm-dd hh:mm
	KindPercent         // basis points, 85.5%
	kindQuoted          // text that a spreadsheet would read as a formula
	kindTextFormat      // a text-formatted column, for the template
)

// Mark is how a cell is highlighted.
type Mark uint8

const (
	MarkNone   Mark = iota
	MarkHeader      // bold on a grey fill, bordered
	MarkError       // a bad cell: light red fill
	MarkGood        // green text: an accepted row's result
	MarkBad         // red text: a rejected row's result
	MarkBold
)

// Cell is one value to write. The zero Cell is an empty cell.
type Cell struct {
	Value any
	Kind  Kind
	Mark  Mark
}

// Str is a text cell.
func Str(s string) Cell { return Cell{Value: s, Kind: KindText} }

// Int is a whole-number cell.
func Int(n int64) Cell { return Cell{Value: n, Kind: KindInt} }

// Money is an amount cell, typed as a number so it sums in Excel.
func Money(a money.Amount) Cell { return Cell{Value: a, Kind: KindMoney} }

// Date is a calendar-day cell; t's own year, month and day are used.
func Date(t time.Time) Cell { return Cell{Value: t, Kind: KindDate} }

// DateTime is a time shown on the wall clock of loc.
func DateTime(t time.Time, loc *time.Location) Cell {
	return Cell{Value: t.In(loc), Kind: KindDateTime}
}

// Percent is a share in basis points (8500 is 85%).
func Percent(bp int64) Cell { return Cell{Value: bp, Kind: KindPercent} }

// With returns the cell highlighted as m.
func (c Cell) With(m Mark) Cell { c.Mark = m; return c }

// Column describes one column of a sheet.
type Column struct {
	Width float64 // in characters; 0 leaves Excel's default
	// Text formats the whole column as text, so what people type into it
	// later (codes with leading zeros, long phone numbers) stays as typed.
	Text bool
}

// Comment is a note on a cell, shown when the mouse is over it.
type Comment struct {
	Row, Col int // 1-based row, 0-based column
	Text     string
}

// SheetOptions shape a sheet before its rows are written.
type SheetOptions struct {
	Columns []Column
	// HeaderRow is the row holding column headers (1-based); 0 for none. The
	// rows above it stay in view (frozen) and the filter starts at it.
	HeaderRow int
	Freeze    bool
	Filter    bool
	Comments  []Comment
}

// Sheet is a worksheet being written, row by row, top to bottom.
type Sheet struct {
	w       *Writer
	name    string
	sw      *excelize.StreamWriter
	opts    SheetOptions
	lastRow int
	maxCols int
}

// NewSheet adds a sheet. Sheets are written one after another: close one
// before starting the next.
func (w *Writer) NewSheet(name string, opts SheetOptions) (*Sheet, error) {
	name = sheetName(name)
	if w.sheets == 0 {
		if err := w.f.SetSheetName("Sheet1", name); err != nil {
			return nil, fmt.Errorf("sheet %q: %w", name, err)
		}
	} else if _, err := w.f.NewSheet(name); err != nil {
		return nil, fmt.Errorf("sheet %q: %w", name, err)
	}
	w.sheets++
	// Comments go onto the sheet before streaming starts: the stream writer
	// copies the sheet's drawing reference when it flushes.
	for _, c := range opts.Comments {
		ref, err := excelize.CoordinatesToCellName(c.Col+1, c.Row)
		if err != nil {
			return nil, err
		}
		if err := w.f.AddComment(name, excelize.Comment{Cell: ref, Author: "l2c", Text: truncate(c.Text, 2000)}); err != nil {
			return nil, fmt.Errorf("comment on %s: %w", ref, err)
		}
	}
	sw, err := w.f.NewStreamWriter(name)
	if err != nil {
		return nil, fmt.Errorf("sheet %q: %w", name, err)
	}
	for i, c := range opts.Columns {
		if c.Width > 0 {
			if err := sw.SetColWidth(i+1, i+1, c.Width); err != nil {
				return nil, fmt.Errorf("column width: %w", err)
			}
		}
		if c.Text {
			style, err := w.style(styleKey{kind: kindTextFormat})
			if err == nil {
				err = sw.SetColStyle(i+1, i+1, style)
			}
			if err != nil {
				return nil, fmt.Errorf("column format: %w", err)
			}
		}
	}
	if opts.Freeze && opts.HeaderRow > 0 {
		top, _ := excelize.CoordinatesToCellName(1, opts.HeaderRow+1)
		err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: opts.HeaderRow, TopLeftCell: top, ActivePane: "bottomLeft",
			Selection: []excelize.Selection{{SQRef: top, ActiveCell: top, Pane: "bottomLeft"}}})
		if err != nil {
			return nil, fmt.Errorf("freeze header: %w", err)
		}
	}
	return &Sheet{w: w, name: name, sw: sw, opts: opts}, nil
}

// Activate makes the sheet the one Excel shows when the file opens.
func (s *Sheet) Activate() {
	if i, err := s.w.f.GetSheetIndex(s.name); err == nil && i >= 0 {
		s.w.f.SetActiveSheet(i)
	}
}

// Name is the sheet's name as written (cleaned of characters Excel forbids).
func (s *Sheet) Name() string { return s.name }

// WriteRow writes the row after the last one written.
func (s *Sheet) WriteRow(cells ...Cell) error { return s.WriteRowAt(s.lastRow+1, cells...) }

// WriteRowAt writes row num (1-based), which must come after the last row written.
func (s *Sheet) WriteRowAt(num int, cells ...Cell) error {
	vals := make([]any, len(cells))
	for i, c := range cells {
		v, style, err := s.w.cellValue(c)
		if err != nil {
			return fmt.Errorf("row %d column %d: %w", num, i+1, err)
		}
		if v == nil && style == 0 {
			continue
		}
		vals[i] = excelize.Cell{Value: v, StyleID: style}
	}
	ref, err := excelize.CoordinatesToCellName(1, num)
	if err != nil {
		return err
	}
	if err := s.sw.SetRow(ref, vals); err != nil {
		return fmt.Errorf("write row %d: %w", num, err)
	}
	s.lastRow = num
	s.maxCols = max(s.maxCols, len(cells))
	return nil
}

// AddList offers a drop-down of values in column col (from 0), rows from to
// to, and refuses anything else typed there.
func (s *Sheet) AddList(col, from, to int, values []string, errTitle, errText string) error {
	first, _ := excelize.CoordinatesToCellName(col+1, from)
	last, _ := excelize.CoordinatesToCellName(col+1, to)
	dv := excelize.NewDataValidation(true)
	dv.Sqref = first + ":" + last
	if err := dv.SetDropList(values); err != nil {
		return fmt.Errorf("drop-down list: %w", err)
	}
	dv.SetError(excelize.DataValidationErrorStyleStop, errTitle, errText)
	if err := s.w.f.AddDataValidation(s.name, dv); err != nil {
		return fmt.Errorf("drop-down list: %w", err)
	}
	return nil
}

// Rows is the number of the last row written.
func (s *Sheet) Rows() int { return s.lastRow }

// Close finishes the sheet: the filter over the header and everything below
// it, then the stream is flushed.
func (s *Sheet) Close() error {
	if s.opts.Filter && s.opts.HeaderRow > 0 && s.maxCols > 0 {
		from, _ := excelize.CoordinatesToCellName(1, s.opts.HeaderRow)
		to, _ := excelize.CoordinatesToCellName(s.maxCols, max(s.lastRow, s.opts.HeaderRow))
		if err := s.w.f.AutoFilter(s.name, from+":"+to, nil); err != nil {
			return fmt.Errorf("filter: %w", err)
		}
	}
	if err := s.sw.Flush(); err != nil {
		return fmt.Errorf("finish sheet %q: %w", s.name, err)
	}
	return nil
}

// Write writes the workbook as .xlsx to out.
func (w *Writer) Write(out io.Writer) error {
	if err := w.f.Write(out); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
}

// Close removes the workbook's temporary files.
func (w *Writer) Close() error { return w.f.Close() }

// maxCellChars is Excel's limit on the characters in one cell.
const maxCellChars = 32767

// cellValue turns a Cell into what excelize writes, and its style.
func (w *Writer) cellValue(c Cell) (any, int, error) {
	kind := c.Kind
	var v any
	switch x := c.Value.(type) {
	case nil:
		if c.Mark == MarkNone {
			return nil, 0, nil
		}
	case string:
		if x == "" && c.Mark == MarkNone {
			return nil, 0, nil
		}
		x = truncate(x, maxCellChars)
		if kind == KindText && Risky(x) {
			kind = kindQuoted
		}
		v = x
	case money.Amount:
		v = float64(x) / 100 // exact to the cent below 2^53 minor units
	case int64:
		if kind == KindPercent {
			v = float64(x) / 10000
		} else {
			v = x
		}
	case int:
		v = int64(x)
	case float64:
		v = x
	case time.Time:
		if x.IsZero() {
			if c.Mark == MarkNone {
				return nil, 0, nil
			}
			break
		}
		// Excel has no time zones: write the wall clock as if it were UTC.
		y, mo, d := x.Date()
		if kind == KindDateTime {
			h, mi, sec := x.Clock()
			v = time.Date(y, mo, d, h, mi, sec, 0, time.UTC)
		} else {
			v = time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
		}
	default:
		return nil, 0, fmt.Errorf("cannot write a %T", c.Value)
	}
	decimals := 0
	if kind == KindPercent {
		if bp, ok := c.Value.(int64); ok && bp%100 != 0 {
			decimals = 2
		}
	}
	style, err := w.style(styleKey{kind: kind, mark: c.Mark, decimals: decimals})
	return v, style, err
}

// Risky reports whether a spreadsheet would take text for a formula (or, with
// a leading tab or carriage return, hide that it is one): OWASP's list for
// CSV injection. Such text is written with a quote prefix so it stays text.
func Risky(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	// Full-width forms are read as formulas by some spreadsheet programs.
	r, _ := utf8.DecodeRuneInString(s)
	return r == '＝' || r == '＋' || r == '－' || r == '＠'
}

// CSVCell is s made safe for a CSV cell: text a spreadsheet would take for a
// formula (Risky) gets a leading apostrophe, so it opens as the text it is,
// like the quote prefix the workbook writer gives such cells. CSV exports
// pass every cell through it.
func CSVCell(s string) string {
	if Risky(s) {
		return "'" + s
	}
	return s
}

type styleKey struct {
	kind     Kind
	mark     Mark
	decimals int
}

var (
	codeMoney    = "#,##0.00"
	codeDate     = "yyyy-mm-dd"
	codeDateTime = "yyyy-mm-dd hh:mm"
	codePct0     = "0%"
	codePct2     = "0.00%"
	codeText     = 49 // "@": typed-in text stays text
)

// style returns the style for a kind and mark, creating it on first use.
func (w *Writer) style(k styleKey) (int, error) {
	if k.kind == KindText && k.mark == MarkNone {
		return 0, nil
	}
	if id, ok := w.styles[k]; ok {
		return id, nil
	}
	st := &excelize.Style{}
	switch k.kind {
	case KindInt:
		st.NumFmt = 1 // "0"
	case KindMoney:
		st.CustomNumFmt = &codeMoney
	case KindDate:
		st.CustomNumFmt = &codeDate
	case KindDateTime:
		st.CustomNumFmt = &codeDateTime
	case KindPercent:
		st.CustomNumFmt = &codePct0
		if k.decimals > 0 {
			st.CustomNumFmt = &codePct2
		}
	case kindQuoted, kindTextFormat:
		st.NumFmt = codeText
	}
	thin := []excelize.Border{{Type: "left", Color: "BFBFBF", Style: 1}, {Type: "right", Color: "BFBFBF", Style: 1},
		{Type: "top", Color: "BFBFBF", Style: 1}, {Type: "bottom", Color: "BFBFBF", Style: 1}}
	switch k.mark {
	case MarkHeader:
		st.Font = &excelize.Font{Bold: true}
		st.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}}
		st.Border = thin
		st.Alignment = &excelize.Alignment{Vertical: "center", WrapText: true}
	case MarkError:
		st.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}
		st.Font = &excelize.Font{Color: "9C0006"}
		st.Border = []excelize.Border{{Type: "left", Color: "C00000", Style: 1}, {Type: "right", Color: "C00000", Style: 1},
			{Type: "top", Color: "C00000", Style: 1}, {Type: "bottom", Color: "C00000", Style: 1}}
	case MarkGood:
		st.Font = &excelize.Font{Color: "006100"}
	case MarkBad:
		st.Font = &excelize.Font{Color: "C00000", Bold: true}
	case MarkBold:
		st.Font = &excelize.Font{Bold: true}
	}
	id, err := w.f.NewStyle(st)
	if err != nil {
		return 0, fmt.Errorf("style: %w", err)
	}
	if k.kind == kindQuoted {
		// excelize has no option for it; the quote prefix is what Excel sets
		// when someone types a leading apostrophe, and it keeps the text from
		// becoming a formula even when the cell is edited later.
		quote := true
		w.f.Styles.CellXfs.Xf[id].QuotePrefix = &quote
	}
	w.styles[k] = id
	return id, nil
}

// sheetName makes name acceptable to Excel: at most 31 characters, none of : \ / ? * [ ].
func sheetName(name string) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '_'
		}
		return r
	}, strings.Trim(strings.TrimSpace(name), "'"))
	if name == "" {
		name = "Sheet"
	}
	if utf8.RuneCountInString(name) > 31 {
		name = string([]rune(name)[:31])
	}
	return name
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
