package workbook

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
	"time"
)

// This file reads the structure of an .xlsx (sheets, number formats) with
// encoding/xml, which is fine for those small parts, and streams the cells of
// a worksheet with xmlScanner.

type sheetRef struct {
	name string
	part string // normalised path in the zip
}

// pkg is what l2c needs from an .xlsx package besides the cells.
type pkg struct {
	zr       *zip.Reader
	files    map[string]*zip.File // by normalised path
	sheets   []sheetRef           // visible worksheets, in workbook order
	sstPart  string
	formats  []cellFormat // by cell style index
	date1904 bool
	sst      *sharedStrings
}

func openPackage(zr *zip.Reader) (*pkg, error) {
	p := &pkg{zr: zr, files: map[string]*zip.File{}}
	for _, f := range zr.File {
		p.files[normPart(f.Name)] = f
	}
	var wb struct {
		Pr struct {
			Date1904 string `xml:"date1904,attr"`
		} `xml:"workbookPr"`
		Sheets []struct {
			Name  string     `xml:"name,attr"`
			State string     `xml:"state,attr"`
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := p.decode("xl/workbook.xml", &wb); err != nil {
		return nil, err
	}
	if err := p.decode("xl/_rels/workbook.xml.rels", &rels); err != nil {
		return nil, err
	}
	p.date1904 = wb.Pr.Date1904 == "1" || wb.Pr.Date1904 == "true"
	targets := map[string]string{}
	for _, r := range rels.Rels {
		t := r.Target
		if !strings.HasPrefix(t, "/") {
			t = path.Join("xl", t)
		}
		t = normPart(path.Clean(t))
		switch {
		case strings.HasSuffix(r.Type, "/worksheet"):
			targets[r.ID] = t
		case strings.HasSuffix(r.Type, "/sharedStrings"):
			p.sstPart = t
		}
	}
	for _, s := range wb.Sheets {
		if s.State != "" && s.State != "visible" {
			continue
		}
		for _, a := range s.Attrs {
			if a.Name.Local == "id" && a.Name.Space != "" {
				if t, ok := targets[a.Value]; ok && p.files[t] != nil {
					p.sheets = append(p.sheets, sheetRef{name: s.Name, part: t})
				}
			}
		}
	}
	if p.sstPart == "" && p.files["xl/sharedstrings.xml"] != nil {
		p.sstPart = "xl/sharedstrings.xml"
	}
	if p.files["xl/styles.xml"] != nil {
		var err error
		if p.formats, err = p.readStyles(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// decode reads a small XML part; checkZip has bounded its declared size, and
// Go's zip reader will not inflate past it.
func (p *pkg) decode(name string, v any) error {
	f := p.files[name]
	if f == nil {
		return fmt.Errorf("%s is missing", name)
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer rc.Close()
	dec := xml.NewDecoder(rc)
	dec.Strict = true
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// sharedStrings is the shared-strings table: all texts end to end in one
// buffer, so 600,000 strings are two allocations, not 600,000.
type sharedStrings struct {
	buf  []byte
	ends []uint32
}

func (s *sharedStrings) get(i int) (string, bool) {
	if i < 0 || i >= len(s.ends) {
		return "", false
	}
	start := uint32(0)
	if i > 0 {
		start = s.ends[i-1]
	}
	return string(s.buf[start:s.ends[i]]), true
}

// loadSharedStrings reads the table once: <si> items, each the text of its
// <t> elements (rich-text runs joined), leaving out phonetic guides (<rPh>).
func (p *pkg) loadSharedStrings() error {
	if p.sst != nil || p.sstPart == "" {
		return nil
	}
	f := p.files[p.sstPart]
	if f == nil {
		return nil // a cell that needs the table says so when it is read
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("shared strings: %w", err)
	}
	defer rc.Close()
	// The text is most of the part: sized once, not doubled on the way.
	sst := &sharedStrings{buf: make([]byte, 0, min(f.UncompressedSize64*3/4, 96<<20))}
	s := newXMLScanner(rc)
	inT, inPhonetic := false, false
	for {
		err := s.next(inT && !inPhonetic)
		if err == io.EOF {
			break // the end of the part, checked by the zip reader
		}
		if err != nil {
			return fmt.Errorf("shared strings: %w", err)
		}
		switch n := string(s.name()); {
		case n == "si" && s.kind == tokStart:
			s.text = s.text[:0]
		case n == "si":
			sst.buf = append(sst.buf, unescape(s.text)...)
			if len(sst.buf) > math.MaxUint32 {
				return errors.New("shared strings: too large")
			}
			sst.ends = append(sst.ends, uint32(len(sst.buf)))
		case n == "t":
			inT = s.kind == tokStart
		case n == "rPh":
			inPhonetic = s.kind == tokStart
		}
	}
	p.sst = sst
	return nil
}

// sheetReader streams one worksheet's rows.
type sheetReader struct {
	p    *pkg
	lim  Limits
	rc   io.ReadCloser
	s    *xmlScanner
	row  int // the last row read
	done bool
	// lastRow is the last row the sheet's <dimension> claims, 0 if none.
	lastRow int

	formulas     int
	uncalculated []int // columns (from 0) of the current row's uncalculated formulas
}

func (p *pkg) openSheet(part string, lim Limits) (*sheetReader, error) {
	f := p.files[part]
	if f == nil {
		return nil, fmt.Errorf("worksheet %s is missing", part)
	}
	if err := p.loadSharedStrings(); err != nil {
		return nil, err
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("worksheet %s: %w", part, err)
	}
	r := &sheetReader{p: p, lim: lim, rc: rc, s: newXMLScanner(rc)}
	if err := r.start(); err != nil {
		rc.Close()
		return nil, err
	}
	return r, nil
}

// start reads up to <sheetData>, noting the range <dimension> claims.
func (r *sheetReader) start() error {
	s := r.s
	for {
		if err := s.next(false); err != nil {
			return r.fail(err)
		}
		switch string(s.name()) {
		case "dimension":
			if ref, ok := s.attr("ref"); ok {
				_, last, _ := bytes.Cut(ref, []byte(":"))
				if len(last) == 0 {
					last = ref
				}
				i := bytes.IndexAny(last, "0123456789")
				if n, ok := atoi(last[max(i, 0):]); ok && i >= 0 {
					r.lastRow = n
				}
			}
		case "sheetData":
			r.done = s.kind == tokEmpty
			return nil
		}
	}
}

func (r *sheetReader) close() error { return r.rc.Close() }

// errRowLimit and errColumnLimit report a row or column past the limits.
type errRowLimit struct{ row int }
type errColumnLimit struct{ row, col int }

func (e errRowLimit) Error() string    { return fmt.Sprintf("row %d is past the limit", e.row) }
func (e errColumnLimit) Error() string { return fmt.Sprintf("column %d is past the limit", e.col) }

// next reads the next <row> of sheetData: its number and its cells' values,
// formatted (see formatNumber). It returns io.EOF after the last row.
func (r *sheetReader) next() (int, []string, error) {
	if r.done {
		return 0, nil, io.EOF
	}
	s := r.s
	// Find the next row.
	for {
		if err := s.next(false); err != nil {
			return 0, nil, r.fail(err)
		}
		name := s.name()
		if string(name) == "sheetData" && s.kind == tokEnd {
			r.done = true
			return 0, nil, io.EOF
		}
		if string(name) == "row" && s.kind != tokEnd {
			break
		}
	}
	num := r.row + 1
	if v, ok := s.attr("r"); ok {
		n, ok := atoi(v)
		if !ok || n < 1 {
			return 0, nil, fmt.Errorf("row number %q is not a number", v)
		}
		if n <= r.row {
			return 0, nil, fmt.Errorf("row %d comes after row %d", n, r.row)
		}
		num = n
	}
	if num > r.lim.MaxRows {
		return 0, nil, errRowLimit{num}
	}
	r.row = num
	r.uncalculated = r.uncalculated[:0]
	var cells []string
	if s.kind == tokEmpty {
		return num, cells, nil
	}
	col := 0
	for {
		if err := s.next(false); err != nil {
			return 0, nil, r.fail(err)
		}
		name := string(s.name())
		if name == "row" && s.kind == tokEnd {
			return num, cells, nil
		}
		if name != "c" || s.kind == tokEnd {
			continue
		}
		col++
		var ref, typ []byte
		style := -1
		s.attrs(func(name, value []byte) bool {
			switch string(name) {
			case "r":
				ref = value
			case "t":
				typ = value
			case "s":
				if n, ok := atoi(value); ok {
					style = n
				}
			}
			return true
		})
		if ref != nil {
			c, err := cellColumn(ref)
			if err != nil {
				return 0, nil, err
			}
			col = c
		}
		if col > r.lim.MaxColumns {
			return 0, nil, errColumnLimit{num, col}
		}
		t := string(typ)
		value, isFormula, hasValue, err := r.cell(t, style)
		if err != nil {
			return 0, nil, err
		}
		if isFormula {
			r.formulas++
			if !hasValue {
				r.uncalculated = append(r.uncalculated, col-1)
			}
		}
		if value == "" {
			continue
		}
		for len(cells) < col-1 {
			cells = append(cells, "")
		}
		if len(cells) == col-1 {
			cells = append(cells, value)
		} else {
			cells[col-1] = value
		}
	}
}

func (r *sheetReader) fail(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errors.New("the worksheet ends in the middle")
	}
	return err
}

// cell reads the inside of a <c> element whose start tag was just read.
func (r *sheetReader) cell(typ string, style int) (value string, isFormula, hasValue bool, err error) {
	s := r.s
	if s.kind == tokEmpty {
		return "", false, false, nil
	}
	s.text = s.text[:0]
	inV, inIS, inT, inPhonetic := false, false, false, false
	for {
		if err := s.next(inV || (inIS && inT && !inPhonetic)); err != nil {
			return "", false, false, r.fail(err)
		}
		start := s.kind != tokEnd
		switch string(s.name()) {
		case "c":
			if !start {
				v, err := r.value(typ, style, inIS || hasValue)
				return v, isFormula, hasValue, err
			}
			return "", false, false, errors.New("a cell inside a cell")
		case "v":
			hasValue = true
			inV = s.kind == tokStart
		case "f":
			isFormula = true
		case "is":
			hasValue = hasValue || start
			inIS = s.kind == tokStart
		case "t":
			inT = s.kind == tokStart
		case "rPh":
			inPhonetic = s.kind == tokStart
		}
	}
}

// value turns a cell's raw text into what a person reads in it.
func (r *sheetReader) value(typ string, style int, present bool) (string, error) {
	raw := r.s.text
	if !present {
		return "", nil
	}
	switch typ {
	case "s":
		i, ok := atoi(bytes.TrimSpace(raw))
		if !ok || r.p.sst == nil {
			return "", fmt.Errorf("shared string %q does not exist", raw)
		}
		v, ok := r.p.sst.get(i)
		if !ok {
			return "", fmt.Errorf("shared string %d does not exist", i)
		}
		return v, nil
	case "inlineStr", "str", "e", "d":
		return unescape(raw), nil
	case "b":
		if string(bytes.TrimSpace(raw)) == "1" {
			return "TRUE", nil
		}
		return "FALSE", nil
	}
	return r.p.formatNumber(string(bytes.TrimSpace(raw)), style), nil
}

// cellFormat is what a number format means for reading a value.
type cellFormat struct {
	kind  fmtKind
	zeros int // fmtZeroPad: digits
}

type fmtKind uint8

const (
	fmtGeneral  fmtKind = iota
	fmtPercent          // 0%, 0.00%
	fmtDate             // yyyy-mm-dd
	fmtDateTime         // yyyy-mm-dd hh:mm:ss
	fmtTime             // hh:mm:ss
	fmtZeroPad          // 000000: codes kept as numbers, shown with leading zeros
)

func (p *pkg) readStyles() ([]cellFormat, error) {
	var ss struct {
		NumFmts []struct {
			ID   int    `xml:"numFmtId,attr"`
			Code string `xml:"formatCode,attr"`
		} `xml:"numFmts>numFmt"`
		Xfs []struct {
			NumFmtID int `xml:"numFmtId,attr"`
		} `xml:"cellXfs>xf"`
	}
	if err := p.decode("xl/styles.xml", &ss); err != nil {
		return nil, err
	}
	custom := map[int]string{}
	for _, f := range ss.NumFmts {
		custom[f.ID] = f.Code
	}
	out := make([]cellFormat, len(ss.Xfs))
	for i, xf := range ss.Xfs {
		if code, ok := custom[xf.NumFmtID]; ok {
			out[i] = classifyFormat(code)
		} else {
			out[i] = builtinFormat(xf.NumFmtID)
		}
	}
	return out, nil
}

// builtinFormat classifies Excel's built-in number formats, including the
// ones Chinese Excel uses for dates (27–36, 50–58).
func builtinFormat(id int) cellFormat {
	switch {
	case id == 9 || id == 10:
		return cellFormat{kind: fmtPercent}
	case id >= 14 && id <= 17, id >= 27 && id <= 31, id == 34, id == 36, id >= 50 && id <= 58:
		return cellFormat{kind: fmtDate}
	case id == 22:
		return cellFormat{kind: fmtDateTime}
	case id >= 18 && id <= 21, id == 32, id == 33, id == 35, id >= 45 && id <= 47:
		return cellFormat{kind: fmtTime}
	}
	return cellFormat{}
}

// classifyFormat reads a custom format code's first section, ignoring quoted
// literals, escaped characters and [colour] or [$-locale] brackets.
func classifyFormat(code string) cellFormat {
	var b strings.Builder
	elapsed := false
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch c {
		case ';':
			i = len(code)
		case '"':
			if j := strings.IndexByte(code[i+1:], '"'); j >= 0 {
				i += j + 1
			} else {
				i = len(code)
			}
		case '\\', '_', '*':
			i++
		case '[':
			j := strings.IndexByte(code[i:], ']')
			if j < 0 {
				i = len(code)
				break
			}
			inner := strings.ToLower(code[i+1 : i+j])
			if inner == "h" || inner == "hh" || inner == "m" || inner == "mm" || inner == "s" || inner == "ss" {
				elapsed = true
			}
			i += j
		default:
			b.WriteByte(c)
		}
	}
	f := strings.ToLower(b.String())
	switch {
	case strings.Contains(f, "%"):
		return cellFormat{kind: fmtPercent}
	case elapsed:
		return cellFormat{kind: fmtTime}
	case strings.ContainsAny(f, "yd") || (strings.Contains(f, "m") && !strings.ContainsAny(f, "hs")):
		if strings.ContainsAny(f, "hs") {
			return cellFormat{kind: fmtDateTime}
		}
		return cellFormat{kind: fmtDate}
	case strings.ContainsAny(f, "hs"):
		return cellFormat{kind: fmtTime}
	case len(f) > 1 && strings.Trim(f, "0") == "":
		return cellFormat{kind: fmtZeroPad, zeros: len(f)}
	}
	return cellFormat{}
}

// formatNumber turns a number cell's stored text into what it means to a
// person. Unlike Excel's display it never rounds: a discount of 0.855 shown as
// "86%" by a "0%" format reads "85.5%", and an amount shown as "1,234" reads
// "1234.4" if that is what the cell holds. Percentages get their % sign,
// dates read yyyy-mm-dd, and codes kept as numbers with a 000000 format keep
// their leading zeros.
func (p *pkg) formatNumber(raw string, style int) string {
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return raw
	}
	var f cellFormat
	if style >= 0 && style < len(p.formats) {
		f = p.formats[style]
	}
	switch f.kind {
	case fmtPercent:
		return shiftDecimal(general(raw, v), 2) + "%"
	case fmtDate, fmtDateTime, fmtTime:
		if t, ok := p.serialTime(v); ok {
			switch f.kind {
			case fmtDate:
				return t.Format(time.DateOnly)
			case fmtTime:
				return t.Format(time.TimeOnly)
			}
			return t.Format(time.DateTime)
		}
	case fmtZeroPad:
		if v == math.Trunc(v) && v >= 0 && v < 1e15 {
			return fmt.Sprintf("%0*d", f.zeros, int64(v))
		}
	}
	return general(raw, v)
}

// general writes a number the way Excel's General format does for reading:
// the shortest text that is the same float, with 15 significant digits at
// most (Excel's precision), so 0.84999999999999998 reads 0.85.
func general(raw string, v float64) string {
	digits := 0
	for _, c := range strings.TrimLeft(strings.Split(strings.ToLower(raw), "e")[0], "-+0.") {
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	if digits > 15 {
		s := strconv.FormatFloat(v, 'g', 15, 64)
		if !strings.ContainsAny(s, "e") {
			return trimZeros(s)
		}
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// shiftDecimal multiplies a plain decimal by 10^n by moving its point.
func shiftDecimal(s string, n int) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	for len(frac) < n {
		frac += "0"
	}
	whole, frac = whole+frac[:n], frac[n:]
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	out := whole
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// serialTime converts an Excel date serial number to a time.
func (p *pkg) serialTime(v float64) (time.Time, bool) {
	if v < 0 || v > 2958465 { // 9999-12-31
		return time.Time{}, false
	}
	epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	if p.date1904 {
		epoch = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	} else if v < 61 {
		// Excel counts 1900-02-29, which never was.
		epoch = epoch.AddDate(0, 0, 1)
	}
	days := math.Floor(v)
	secs := math.Round((v - days) * 86400)
	return epoch.AddDate(0, 0, int(days)).Add(time.Duration(secs) * time.Second), true
}
