// Package workbooktest builds spreadsheet files for tests, byte for byte, so no
// binary fixtures are committed: well-formed workbooks shaped like Excel's own
// (shared strings, numbers as numbers, formulas with or without a calculated
// value), and the hostile or broken files an importer must refuse.
package workbooktest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Formula is a formula cell. Cached is its calculated value as Excel saves
// it; nil means it was never calculated (as files written by programs are).
type Formula struct {
	Expr   string
	Cached any
}

// Sheet is one worksheet. Rows are written from row 1, or from Start when set;
// a nil row leaves a blank row. Cells are string (shared string), int,
// int64 or float64 (number), Formula, or nil (no cell). RawXML, when set,
// replaces the generated sheet data entirely.
type Sheet struct {
	Name   string
	Start  int
	Rows   [][]any
	RawXML string
}

// XLSX builds a workbook the way Excel saves one: shared strings, numbers as
// numbers. It streams, so a 100,000-row sheet is cheap to build.
func XLSX(t testing.TB, sheets ...Sheet) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, sheets...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// WriteXLSX is XLSX writing to w.
func WriteXLSX(w io.Writer, sheets ...Sheet) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	put := func(name, content string) error {
		f, err := zw.Create(name)
		if err != nil {
			return err
		}
		_, err = io.WriteString(f, content)
		return err
	}
	var types, wbSheets, wbRels strings.Builder
	for i, s := range sheets {
		n := i + 1
		fmt.Fprintf(&types, `<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`, n)
		fmt.Fprintf(&wbSheets, `<sheet name="%s" sheetId="%d" r:id="rId%d"/>`, esc(s.Name), n, n)
		fmt.Fprintf(&wbRels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet%d.xml"/>`, n, n)
	}
	sstID := len(sheets) + 1
	fmt.Fprintf(&wbRels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`, sstID)
	err := put("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>`+types.String()+`</Types>`)
	if err == nil {
		err = put("_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	}
	if err == nil {
		err = put("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>`+wbSheets.String()+`</sheets></workbook>`)
	}
	if err == nil {
		err = put("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+wbRels.String()+`</Relationships>`)
	}
	if err != nil {
		return err
	}
	sst := &sharedStrings{index: map[string]int{}}
	for i, s := range sheets {
		f, err := zw.Create(fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1))
		if err != nil {
			return err
		}
		if err := writeSheet(f, s, sst); err != nil {
			return err
		}
	}
	f, err := zw.Create("xl/sharedStrings.xml")
	if err != nil {
		return err
	}
	bw := &errWriter{w: f}
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, sst.count, len(sst.list))
	for _, s := range sst.list {
		bw.str(`<si><t xml:space="preserve">`)
		bw.str(esc(s))
		bw.str(`</t></si>`)
	}
	bw.str(`</sst>`)
	if bw.err != nil {
		return bw.err
	}
	return zw.Close()
}

type sharedStrings struct {
	index map[string]int
	list  []string
	count int
}

func (s *sharedStrings) id(v string) int {
	s.count++
	if i, ok := s.index[v]; ok {
		return i
	}
	s.index[v] = len(s.list)
	s.list = append(s.list, v)
	return len(s.list) - 1
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) str(s string) { _, _ = io.WriteString(e, s) }

func writeSheet(w io.Writer, s Sheet, sst *sharedStrings) error {
	bw := &errWriter{w: w}
	bw.str(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`)
	if s.RawXML != "" {
		bw.str(s.RawXML)
		bw.str(`</worksheet>`)
		return bw.err
	}
	bw.str(`<sheetData>`)
	start := max(s.Start, 1)
	for i, row := range s.Rows {
		if row == nil {
			continue
		}
		num := start + i
		bw.str(`<row r="` + strconv.Itoa(num) + `">`)
		for j, v := range row {
			if v == nil {
				continue
			}
			ref, _ := excelize.CoordinatesToCellName(j+1, num)
			writeCell(bw, ref, v, sst)
		}
		bw.str(`</row>`)
	}
	bw.str(`</sheetData></worksheet>`)
	return bw.err
}

func writeCell(bw *errWriter, ref string, v any, sst *sharedStrings) {
	switch x := v.(type) {
	case string:
		bw.str(`<c r="` + ref + `" t="s"><v>` + strconv.Itoa(sst.id(x)) + `</v></c>`)
	case int:
		bw.str(`<c r="` + ref + `"><v>` + strconv.Itoa(x) + `</v></c>`)
	case int64:
		bw.str(`<c r="` + ref + `"><v>` + strconv.FormatInt(x, 10) + `</v></c>`)
	case float64:
		bw.str(`<c r="` + ref + `"><v>` + strconv.FormatFloat(x, 'g', -1, 64) + `</v></c>`)
	case Formula:
		switch c := x.Cached.(type) {
		case nil:
			bw.str(`<c r="` + ref + `"><f>` + esc(x.Expr) + `</f></c>`)
		case string:
			bw.str(`<c r="` + ref + `" t="str"><f>` + esc(x.Expr) + `</f><v>` + esc(c) + `</v></c>`)
		default:
			bw.str(`<c r="` + ref + `"><f>` + esc(x.Expr) + `</f><v>` + fmt.Sprint(c) + `</v></c>`)
		}
	default:
		panic(fmt.Sprintf("workbooktest: cannot write a %T", v))
	}
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// ZipBomb is a small file claiming to be a workbook whose one worksheet
// inflates to size bytes of rows: the sizes in its zip directory are honest,
// as in a classic bomb, so only a check of the directory catches it early.
func ZipBomb(t testing.TB, size int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	small := map[string]string{
		"[Content_Types].xml":        `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`,
		"xl/workbook.xml":            `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
	}
	for _, name := range []string{"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"} {
		f, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(f, small[name])
	}
	f, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte(`<row><c><v>0</v></c></row>`), 40_000)
	for written := int64(0); written < size; written += int64(len(chunk)) {
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// OLE2 is the start of a compound file (the container of legacy .xls and of
// password-protected workbooks) whose directory names the given streams.
func OLE2(streams ...string) []byte {
	b := []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	b = append(b, make([]byte, 504)...) // the rest of the 512-byte header
	for _, s := range streams {
		entry := make([]byte, 128)
		for i, r := range s {
			entry[2*i] = byte(r)
		}
		b = append(b, entry...)
	}
	return append(b, make([]byte, 1024)...)
}

// LegacyXLS looks like an Excel 97–2003 workbook.
func LegacyXLS() []byte { return OLE2("Root Entry", "Workbook", "\x05SummaryInformation") }

// EncryptedXLSX looks like a password-protected .xlsx (OLE2 around an encrypted package).
func EncryptedXLSX() []byte {
	return OLE2("Root Entry", "EncryptionInfo", "EncryptedPackage", "\x06DataSpaces")
}

// GBK encodes s as GBK, as Excel on Chinese Windows saves CSV.
func GBK(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Raw builds a one-sheet workbook from the XML of its worksheet and, when not
// empty, of its shared strings and styles: for files shaped in ways the
// builder above does not write (rich text, namespace prefixes, number formats).
func Raw(t testing.TB, sheetXML, sharedStringsXML, stylesXML string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	parts := map[string]string{
		"[Content_Types].xml":        `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`,
		"xl/workbook.xml":            `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml":   sheetXML,
	}
	if sharedStringsXML != "" {
		parts["xl/sharedStrings.xml"] = sharedStringsXML
	}
	if stylesXML != "" {
		parts["xl/styles.xml"] = stylesXML
	}
	for name, content := range parts {
		f, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(f, content)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
