package workbook_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/unicode"

	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/workbook"
	"github.com/l2c/l2c/internal/workbook/workbooktest"
)

// readAll opens data and returns every non-blank row of the first sheet as
// "num:cell|cell".
func readAll(t *testing.T, data []byte, name string, lim workbook.Limits) ([]string, error) {
	t.Helper()
	b, err := workbook.Open(data, name, lim)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	sheets := b.Sheets()
	require.NotEmpty(t, sheets)
	rows, err := b.Rows(sheets[0])
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		if len(rows.Values()) > 0 {
			out = append(out, fmt.Sprintf("%d:%s", rows.Num(), strings.Join(rows.Values(), "|")))
		}
	}
	return out, rows.Err()
}

func kindOf(t *testing.T, err error) workbook.ErrorKind {
	t.Helper()
	var fe *workbook.FileError
	require.True(t, errors.As(err, &fe), "want a FileError, got %v", err)
	require.NotEmpty(t, fe.Text.EN)
	require.NotEmpty(t, fe.Text.ZH)
	return fe.Kind
}

func smallWorkbook(t *testing.T, rows int) []byte {
	data := [][]any{{"客户编码", "客户名称"}}
	for i := range rows {
		data = append(data, []any{fmt.Sprintf("C%05d", i), fmt.Sprintf("Customer number %d with a long name", i)})
	}
	return workbooktest.XLSX(t, workbooktest.Sheet{Name: "客户", Rows: data})
}

func TestRefusesWhatItCannotRead(t *testing.T) {
	lim := workbook.DefaultLimits()
	good := smallWorkbook(t, 2000)
	corrupt := bytes.Clone(good)
	for i := len(corrupt) / 3; i < len(corrupt)/3+64; i++ {
		corrupt[i] ^= 0x5A
	}
	cases := []struct {
		name string
		file string
		data []byte
		want workbook.ErrorKind
		says string // what the message must tell the person to do
	}{
		{"legacy xls", "客户.xls", workbooktest.LegacyXLS(), workbook.ErrLegacyXLS, "Save As"},
		{"legacy xls renamed", "customers.xlsx", workbooktest.LegacyXLS(), workbook.ErrLegacyXLS, ".xlsx"},
		{"password protected", "customers.xlsx", workbooktest.EncryptedXLSX(), workbook.ErrEncrypted, "password"},
		{"word 97", "customers.xls", workbooktest.OLE2("Root Entry", "WordDocument"), workbook.ErrNotSpreadsheet, "Word"},
		{"truncated", "customers.xlsx", good[:len(good)/2], workbook.ErrDamaged, "save it again"},
		{"corrupted inside", "customers.xlsx", corrupt, workbook.ErrDamaged, "save it again"},
		{"empty", "customers.csv", []byte(" \n"), workbook.ErrEmpty, "empty"},
		{"pdf", "customers.xlsx", []byte("%PDF-1.7\n..."), workbook.ErrNotSpreadsheet, "PDF"},
		{"png", "customers.xlsx", []byte("\x89PNG\r\n\x1a\n...."), workbook.ErrNotSpreadsheet, "picture"},
		{"binary", "customers.csv", []byte("MZ\x90\x00\x03\x00\x00\x00"), workbook.ErrNotSpreadsheet, ".xlsx"},
		{"html saved as xls", "export.xls", []byte("<html><body><table><tr><td>C1</td></tr></table></body></html>"), workbook.ErrUnsupported, "save it as"},
		{"xml 2003", "export.xml", []byte(`<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>`), workbook.ErrUnsupported, ".xlsx"},
		{"zip of something else", "customers.xlsx", zipOf(t, map[string]string{"readme.txt": "hello"}), workbook.ErrNotSpreadsheet, "extract"},
		{"word document", "customers.xlsx", zipOf(t, map[string]string{"[Content_Types].xml": "<Types/>", "word/document.xml": "<w/>"}), workbook.ErrNotSpreadsheet, "Word"},
		{"ods", "customers.ods", zipOf(t, map[string]string{"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"}), workbook.ErrUnsupported, ".xlsx"},
		{"xlsb", "customers.xlsb", zipOf(t, map[string]string{"[Content_Types].xml": "<Types/>", "xl/workbook.bin": "\x00"}), workbook.ErrUnsupported, ".xlsx"},
		{"gzip", "customers.xlsx.gz", []byte("\x1f\x8b\x08\x00...."), workbook.ErrNotSpreadsheet, "extract"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := readAll(t, c.data, c.file, lim)
			require.Error(t, err)
			require.Equal(t, c.want, kindOf(t, err), err.Error())
			require.Contains(t, err.Error(), c.says)
			require.Contains(t, err.Error(), c.file, "the message names the file")
		})
	}

	t.Run("too large", func(t *testing.T) {
		small := lim
		small.MaxFileBytes = 1000
		_, err := readAll(t, good, "big.xlsx", small)
		require.Equal(t, workbook.ErrTooLarge, kindOf(t, err))
	})
}

func zipOf(t *testing.T, files map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		f, err := zw.Create(name)
		require.NoError(t, err)
		_, _ = io.WriteString(f, content)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// TestZipBombsStopBeforeInflating: a 1 GiB worksheet packed into a few MB is
// refused from its zip directory alone, quickly and without the memory it
// would take; so are a part too large to hold in memory and an entry whose
// declared size lies.
func TestZipBombsStopBeforeInflating(t *testing.T) {
	lim := workbook.DefaultLimits()
	bomb := workbooktest.ZipBomb(t, 1<<30)
	require.Less(t, len(bomb), 16<<20)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := workbook.Open(bomb, "bomb.xlsx", lim)
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	require.Equal(t, workbook.ErrZipBomb, kindOf(t, err))
	require.Less(t, took, time.Second)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<20), "allocated while refusing")

	// Many parts, each under the limit, together over it.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"[Content_Types].xml", "xl/workbook.xml"} {
		f, _ := zw.Create(name)
		_, _ = io.WriteString(f, "<x/>")
	}
	zeros := make([]byte, 1<<20)
	for i := range 300 {
		f, err := zw.Create(fmt.Sprintf("xl/media/image%d.png", i))
		require.NoError(t, err)
		_, _ = f.Write(zeros)
	}
	require.NoError(t, zw.Close())
	_, err = workbook.Open(buf.Bytes(), "many.xlsx", lim)
	require.Equal(t, workbook.ErrZipBomb, kindOf(t, err))

	// A styles part that excelize would read into memory whole.
	styles := workbooktest.XLSX(t, workbooktest.Sheet{Name: "S", Rows: [][]any{{"a"}}})
	buf.Reset()
	zr, err := zip.NewReader(bytes.NewReader(styles), int64(len(styles)))
	require.NoError(t, err)
	zw = zip.NewWriter(&buf)
	for _, f := range zr.File {
		require.NoError(t, zw.Copy(f))
	}
	f, err := zw.Create("xl/styles.xml")
	require.NoError(t, err)
	_, _ = f.Write(bytes.Repeat([]byte(" "), 20<<20))
	require.NoError(t, zw.Close())
	_, err = workbook.Open(buf.Bytes(), "styles.xlsx", lim)
	require.Equal(t, workbook.ErrZipBomb, kindOf(t, err))
	require.Contains(t, err.Error(), "xl/styles.xml")

	// An entry that declares 1 KB and inflates to 64 MB: Go's zip reader stops
	// at the declared size and the file is refused as damaged.
	buf.Reset()
	zw = zip.NewWriter(&buf)
	for _, name := range []string{"[Content_Types].xml", "xl/workbook.xml"} {
		f, _ := zw.Create(name)
		_, _ = io.WriteString(f, "<x/>")
	}
	var packed bytes.Buffer
	fw, _ := flate.NewWriter(&packed, flate.BestSpeed)
	big := bytes.Repeat([]byte("<row><c><v>1</v></c></row>"), (64<<20)/26)
	_, _ = fw.Write(big)
	require.NoError(t, fw.Close())
	raw, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate,
		CRC32: crc32.ChecksumIEEE(big[:1024]), CompressedSize64: uint64(packed.Len()), UncompressedSize64: 1024})
	require.NoError(t, err)
	_, _ = raw.Write(packed.Bytes())
	require.NoError(t, zw.Close())
	_, err = workbook.Open(buf.Bytes(), "liar.xlsx", lim)
	require.Equal(t, workbook.ErrDamaged, kindOf(t, err))
}

// TestRowAndColumnIndexesAreCapped: a file that claims a far-away row or
// column is refused after a bounded walk, not read to the end.
func TestRowAndColumnIndexesAreCapped(t *testing.T) {
	lim := workbook.DefaultLimits()
	far := func(ref string, row int) []byte {
		return workbooktest.XLSX(t, workbooktest.Sheet{Name: "S", RawXML: fmt.Sprintf(
			`<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c></row><row r="%d"><c r="%s"><v>1</v></c></row></sheetData>`, row, ref)})
	}
	start := time.Now()
	_, err := readAll(t, far("A1048576", 1048576), "far.xlsx", lim)
	require.Equal(t, workbook.ErrTooManyRows, kindOf(t, err))
	require.Less(t, time.Since(start), 5*time.Second)

	_, err = readAll(t, far("A5000000", 5000000), "beyond.xlsx", lim)
	require.Equal(t, workbook.ErrTooManyRows, kindOf(t, err), "past Excel's own last row")

	_, err = readAll(t, far("XFD2", 2), "wide.xlsx", lim)
	require.Equal(t, workbook.ErrTooManyColumns, kindOf(t, err))
	require.Contains(t, err.Error(), "XFD")

	csvLim := lim
	csvLim.MaxRows = 10
	_, err = readAll(t, []byte(strings.Repeat("a,b\n", 11)), "long.csv", csvLim)
	require.Equal(t, workbook.ErrTooManyRows, kindOf(t, err))
	rows, err := readAll(t, []byte(strings.Repeat("a,b\n", 10)), "ok.csv", csvLim)
	require.NoError(t, err)
	require.Len(t, rows, 10)
}

func TestReadsValuesAsShownAndFindsUncalculatedFormulas(t *testing.T) {
	data := workbooktest.XLSX(t, workbooktest.Sheet{Name: "客户", Start: 3, Rows: [][]any{
		{"Customer code", "Credit limit", "Doubled"},
		nil,
		{"C1", 500000, workbooktest.Formula{Expr: "B5*2", Cached: 1000000}},
		{"C2", workbooktest.Formula{Expr: "100*3"}, workbooktest.Formula{Expr: `"x"&A6`, Cached: "xC2"}},
	}}, workbooktest.Sheet{Name: "Notes", Rows: [][]any{{"n"}}})
	b, err := workbook.Open(data, "f.xlsx", workbook.DefaultLimits())
	require.NoError(t, err)
	defer b.Close()
	require.Equal(t, workbook.XLSX, b.Format())
	require.Equal(t, []string{"客户", "Notes"}, b.Sheets())
	rows, err := b.Rows("客户")
	require.NoError(t, err)
	defer rows.Close()
	got := map[int][]string{}
	uncalculated := map[string]bool{}
	for rows.Next() {
		got[rows.Num()] = rows.Values()
		for col := range 3 {
			if rows.Uncalculated(col) {
				ref, _ := excelize.CoordinatesToCellName(col+1, rows.Num())
				uncalculated[ref] = true
			}
		}
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"Customer code", "Credit limit", "Doubled"}, got[3])
	require.Empty(t, got[4])
	require.Equal(t, []string{"C1", "500000", "1000000"}, got[5])
	require.Equal(t, []string{"C2", "", "xC2"}, got[6])
	require.Equal(t, map[string]bool{"B6": true}, uncalculated)
	require.Equal(t, 3, rows.Formulas())

	// A percent-formatted cell reads as Excel shows it.
	f := excelize.NewFile()
	style, err := f.NewStyle(&excelize.Style{NumFmt: 9})
	require.NoError(t, err)
	require.NoError(t, f.SetSheetRow("Sheet1", "A1", &[]any{"discount", 0.85}))
	require.NoError(t, f.SetCellStyle("Sheet1", "B1", "B1", style))
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	all, err := readAll(t, buf.Bytes(), "pct.xlsx", workbook.DefaultLimits())
	require.NoError(t, err)
	require.Equal(t, []string{"1:discount|85%"}, all)
}

func TestCSVRowsNumberedAsASpreadsheetShowsThem(t *testing.T) {
	rows, err := readAll(t, []byte("Title\n\ncode,name\nC1,\"two\nlines\"\n\nC2,x\n"), "c.csv", workbook.DefaultLimits())
	require.NoError(t, err)
	require.Equal(t, []string{"1:Title", "3:code|name", "4:C1|two\nlines", "6:C2|x"}, rows)
}

func TestCSVEncodingsAndDelimiters(t *testing.T) {
	want := []string{"1:客户编码|客户名称|地址", "2:C1|苏州精密零件有限公司|苏州市工业园区, 星湖街 1 号"}
	text := "客户编码,客户名称,地址\r\nC1,苏州精密零件有限公司,\"苏州市工业园区, 星湖街 1 号\"\r\n"
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes(
		[]byte(strings.ReplaceAll(strings.ReplaceAll(text, ",", "\t"), "\"苏州市工业园区\t 星湖街 1 号\"", "苏州市工业园区, 星湖街 1 号")))
	require.NoError(t, err)
	cases := []struct {
		name, encoding string
		data           []byte
	}{
		{"utf8", "UTF-8", []byte(text)},
		{"utf8 bom", "UTF-8", append([]byte("\xEF\xBB\xBF"), text...)},
		{"gbk", "GBK", workbooktest.GBK(t, text)},
		{"utf16 tabs", "UTF-16", utf16},
		{"semicolons", "UTF-8", []byte(strings.ReplaceAll(strings.ReplaceAll(text, ",", ";"), "工业园区; 星湖", "工业园区, 星湖"))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := workbook.Open(c.data, "客户.csv", workbook.DefaultLimits())
			require.NoError(t, err)
			require.Equal(t, workbook.CSV, b.Format())
			require.Equal(t, c.encoding, b.Encoding())
			got, err := readAll(t, c.data, "客户.csv", workbook.DefaultLimits())
			require.NoError(t, err)
			require.Equal(t, want, got)
		})
	}
}

// TestRenamedTextFile: a text file with a workbook's name is read as text;
// the reader says so, so the importer can tell the person.
func TestRenamedTextFile(t *testing.T) {
	b, err := workbook.Open([]byte("Meeting notes\nCall Suzhou Parts on Monday\n"), "customers.xlsx", workbook.DefaultLimits())
	require.NoError(t, err)
	require.Equal(t, workbook.CSV, b.Format())
	require.True(t, b.NameSaysWorkbook())
}

// TestWriterTypesCellsAndNeverWritesFormulas writes every kind of cell and
// reads the file back with excelize: text that looks like a formula stays
// text, with a quote prefix; money, dates and percents are numbers with
// formats; the header is frozen and filtered.
func TestWriterTypesCellsAndNeverWritesFormulas(t *testing.T) {
	w, err := workbook.NewWriter("test", "l2c")
	require.NoError(t, err)
	defer w.Close()
	s, err := w.NewSheet("Report: 2026/05", workbook.SheetOptions{
		Columns: []workbook.Column{{Width: 20}, {Width: 12}}, HeaderRow: 1, Freeze: true, Filter: true,
		Comments: []workbook.Comment{{Row: 2, Col: 0, Text: "look here"}},
	})
	require.NoError(t, err)
	require.Equal(t, "Report_ 2026_05", s.Name())
	require.NoError(t, s.WriteRow(workbook.Str("Name").With(workbook.MarkHeader), workbook.Str("Amount").With(workbook.MarkHeader),
		workbook.Str("Due").With(workbook.MarkHeader), workbook.Str("Discount").With(workbook.MarkHeader)))
	risky := []string{"=HYPERLINK(\"http://evil\",\"x\")", "+1+2", "-3+4", "@SUM(A1)", "\t=1", "\r=1", "＝1+1"}
	due := time.Date(2026, 5, 31, 0, 0, 0, 0, time.UTC)
	for _, r := range risky {
		require.NoError(t, s.WriteRow(workbook.Str(r), workbook.Money(money.Amount(123456789)), workbook.Date(due), workbook.Percent(8550)))
	}
	require.NoError(t, s.Close())
	var buf bytes.Buffer
	require.NoError(t, w.Write(&buf))

	f, err := excelize.OpenReader(&buf)
	require.NoError(t, err)
	defer f.Close()
	sheet := "Report_ 2026_05"
	for i, r := range risky {
		cell := fmt.Sprintf("A%d", i+2)
		v, err := f.GetCellValue(sheet, cell)
		require.NoError(t, err)
		require.Equal(t, strings.TrimRight(r, "\r"), strings.TrimRight(v, "\r"))
		formula, err := f.GetCellFormula(sheet, cell)
		require.NoError(t, err)
		require.Empty(t, formula, "no formula in %s", cell)
		styleID, err := f.GetCellStyle(sheet, cell)
		require.NoError(t, err)
		xf := f.Styles.CellXfs.Xf[styleID]
		require.NotNil(t, xf.QuotePrefix, "%q is quoted", r)
		require.True(t, *xf.QuotePrefix)
	}
	raw, err := f.GetCellValue(sheet, "B2", excelize.Options{RawCellValue: true})
	require.NoError(t, err)
	require.Equal(t, "1234567.89", raw)
	shown, _ := f.GetCellValue(sheet, "B2")
	require.Equal(t, "1,234,567.89", shown)
	shown, _ = f.GetCellValue(sheet, "C2")
	require.Equal(t, "2026-05-31", shown)
	shown, _ = f.GetCellValue(sheet, "D2")
	require.Equal(t, "85.50%", shown)
	panes, err := f.GetPanes(sheet)
	require.NoError(t, err)
	require.True(t, panes.Freeze)
	require.Equal(t, 1, panes.YSplit)
	comments, err := f.GetComments(sheet)
	require.NoError(t, err)
	require.Len(t, comments, 1)
	require.Equal(t, "A2", comments[0].Cell)
	names := f.GetDefinedName()
	require.Len(t, names, 1)
	require.Equal(t, "_xlnm._FilterDatabase", names[0].Name)
	require.Contains(t, names[0].RefersTo, "$A$1:$D$8")
}

func TestParseLang(t *testing.T) {
	for in, want := range map[string]workbook.Lang{"zh": workbook.Chinese, "zh-CN,zh;q=0.9": workbook.Chinese,
		"en-US,en;q=0.8": workbook.English, "fr-FR, en;q=0.5": workbook.English} {
		got, ok := workbook.ParseLang(in)
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	_, ok := workbook.ParseLang("fr")
	require.False(t, ok)
}

// TestReadsWhatExcelWrites: rich text and phonetic guides in shared strings,
// inline strings with entities and OOXML escapes, booleans, errors, namespace
// prefixes, and number formats (percent, date, zero-padded codes, thousands).
func TestReadsWhatExcelWrites(t *testing.T) {
	sst := `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3">
		<si><t>客户编码</t></si>
		<si><r><rPr><b/></rPr><t>Suzhou</t></r><r><t xml:space="preserve"> Parts &amp; Co.</t></r><rPh sb="0" eb="2"><t>スズ</t></rPh></si>
		<si><t/></si></sst>`
	styles := `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
		<numFmts count="2"><numFmt numFmtId="164" formatCode="000000"/><numFmt numFmtId="165" formatCode="[Red]0.0%;-0.0%"/></numFmts>
		<cellXfs count="6"><xf numFmtId="0"/><xf numFmtId="9"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="4"/></cellXfs></styleSheet>`
	sheet := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:dimension ref="A1:H3"/><x:sheetData>
<x:row r="1" spans="1:8"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="s"><x:v>1</x:v></x:c><x:c r="C1" t="s"><x:v>2</x:v></x:c></x:row>
<x:row r="3"><x:c r="A3" t="inlineStr"><x:is><x:t>a &lt;b&gt; &#x4E2D;_x000D_c</x:t></x:is></x:c><x:c r="B3" t="b"><x:v>1</x:v></x:c><x:c r="C3" t="e"><x:v>#N/A</x:v></x:c>
<x:c r="D3" s="1"><x:v>0.855</x:v></x:c><x:c r="E3" s="2"><x:v>46203</x:v></x:c><x:c r="F3" s="3"><x:v>1023</x:v></x:c><x:c r="G3" s="4"><x:v>0.1</x:v></x:c><x:c r="H3" s="5"><x:v>1234567.891</x:v></x:c>
<x:c r="I3"><x:v>0.84999999999999998</x:v></x:c><x:c r="J3" s="99"><x:v>7</x:v></x:c></x:row>
</x:sheetData><x:rowBreaks count="1"><x:brk id="2"/></x:rowBreaks></x:worksheet>`
	rows, err := readAll(t, workbooktest.Raw(t, sheet, sst, styles), "excel.xlsx", workbook.DefaultLimits())
	require.NoError(t, err)
	require.Equal(t, []string{
		"1:客户编码|Suzhou Parts & Co.",
		"3:a <b> 中\rc|TRUE|#N/A|85.5%|2026-06-30|001023|10%|1234567.891|0.85|7",
	}, rows)

	_, err = readAll(t, workbooktest.Raw(t, `<!DOCTYPE x [<!ENTITY a "aaaa">]><worksheet><sheetData></sheetData></worksheet>`, "", ""), "dtd.xlsx", workbook.DefaultLimits())
	require.Equal(t, workbook.ErrDamaged, kindOf(t, err), "a DTD is refused")
	_, err = readAll(t, workbooktest.Raw(t, `<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>7</v></c></row></sheetData></worksheet>`, "", ""), "sst.xlsx", workbook.DefaultLimits())
	require.Equal(t, workbook.ErrDamaged, kindOf(t, err), "a shared string that does not exist")
	_, err = readAll(t, workbooktest.Raw(t, `<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>`, "", ""), "cut.xlsx", workbook.DefaultLimits())
	require.Equal(t, workbook.ErrDamaged, kindOf(t, err), "a worksheet that stops in the middle")
}
