package customerimport

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"

	"github.com/l2c/l2c/internal/workbook"
)

// Field is a column of the customer import.
type Field int

const (
	FieldCode Field = iota
	FieldName
	FieldTaxID
	FieldAddress
	FieldContact
	FieldPhone
	FieldPaymentTerms
	FieldMinDiscount
	FieldCreditLimit
	FieldValueClass
	FieldSalesOwner
	FieldCurrency
	numFields
)

// column is what l2c knows about one import column: its names in both
// languages (as the template writes them), the other names people give it,
// and how to fill it in.
type column struct {
	key      string // in JSON and the API
	zh, en   string
	aliases  []string // compared after normHeader
	required bool
	text     bool // the template formats it as text, so Excel keeps leading zeros
	width    float64
	help     workbook.Text
	example  string
}

// columnsJSON is the columns, in Field order: what a translator or the person
// who looks after the import template edits.
//
//go:embed columns.json
var columnsJSON []byte

var columns = func() [numFields]column {
	var list []struct {
		Key      string        `json:"key"`
		ZH       string        `json:"zh"`
		EN       string        `json:"en"`
		Required bool          `json:"required"`
		Text     bool          `json:"text"`
		Width    float64       `json:"width"`
		Aliases  []string      `json:"aliases"`
		Help     workbook.Text `json:"help"`
		Example  string        `json:"example"`
	}
	if err := json.Unmarshal(columnsJSON, &list); err != nil {
		panic(fmt.Sprintf("customerimport: columns.json: %v", err))
	}
	if len(list) != int(numFields) {
		panic(fmt.Sprintf("customerimport: columns.json has %d columns, want %d", len(list), numFields))
	}
	var cs [numFields]column
	for f, c := range list {
		cs[f] = column{key: c.Key, zh: c.ZH, en: c.EN, aliases: c.Aliases, required: c.Required, text: c.Text,
			width: c.Width, help: c.Help, example: c.Example}
	}
	return cs
}()

// Label is the column's name in lang, as the template writes it.
func (f Field) Label(lang workbook.Lang) string {
	if lang == workbook.Chinese {
		return columns[f].zh
	}
	return columns[f].en
}

// Key is the field's name in JSON.
func (f Field) Key() string { return columns[f].key }

func (f Field) String() string { return columns[f].key }

// MarshalText writes the field's key.
func (f Field) MarshalText() ([]byte, error) { return []byte(f.Key()), nil }

var aliasIndex = func() map[string]Field {
	m := map[string]Field{}
	for f := range numFields {
		c := columns[f]
		for _, a := range append([]string{c.zh, c.en}, c.aliases...) {
			m[normHeader(a)] = f
		}
	}
	return m
}()

// normHeader reduces a header cell to what identifies it: full-width folded,
// lower case, without spaces, punctuation, required-field stars or a unit in
// brackets ("最低折扣（%）", "Customer Code *" → "最低折扣", "customercode").
func normHeader(s string) string {
	s = width.Narrow.String(s)
	var b strings.Builder
	depth := 0
	for _, r := range strings.ToLower(s) {
		switch {
		case r == '(' || r == '[' || r == '【' || r == '〔':
			depth++
		case r == ')' || r == ']' || r == '】' || r == '〕':
			if depth > 0 {
				depth--
			}
		case depth > 0:
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// matchHeader finds the field a header cell names. A bilingual header
// ("客户编码 / Customer code", or the two on separate lines) matches by either part.
func matchHeader(cell string) (Field, bool) {
	if f, ok := aliasIndex[normHeader(cell)]; ok {
		return f, true
	}
	for _, part := range strings.FieldsFunc(cell, func(r rune) bool { return r == '/' || r == '\n' || r == '|' || r == '／' }) {
		if f, ok := aliasIndex[normHeader(part)]; ok {
			return f, true
		}
	}
	return 0, false
}

// header is the header row found in a sheet.
type header struct {
	row     int
	col     [numFields]int // sheet column (from 0) of each field, -1 if absent
	labels  []string       // the header cells as written
	ignored []int          // columns with a header l2c does not know
	lang    workbook.Lang  // the language most of the known headers are in
}

func (h *header) has(f Field) bool { return h.col[f] >= 0 }

// repeats reports whether cells are the header again.
func (h *header) repeats(cells []string) bool {
	for f := range numFields {
		c := h.col[f]
		if c < 0 {
			continue
		}
		if c >= len(cells) || strings.TrimSpace(cells[c]) != strings.TrimSpace(h.labels[c]) {
			return false
		}
	}
	return true
}

// headerSearchRows is how far down a sheet the header may be: title rows, a
// logo, notes and blank rows often sit above it.
const headerSearchRows = 30

// findHeader decides whether row (number num) is the header: it must name at
// least two known columns, one of them the code or the name. A row that looks
// like a header but names one column twice is an error, not a miss.
func findHeader(num int, cells []string) (*header, *workbook.FileError) {
	h := &header{row: num, labels: cells}
	for f := range h.col {
		h.col[f] = -1
	}
	found, han := 0, 0
	var dupes []string
	for i, c := range cells {
		if strings.TrimSpace(c) == "" {
			continue
		}
		f, ok := matchHeader(c)
		if !ok {
			h.ignored = append(h.ignored, i)
			continue
		}
		if prev := h.col[f]; prev >= 0 {
			dupes = append(dupes, fmt.Sprintf("%s (%s) / %s (%s)", strings.TrimSpace(cells[prev]), colName(prev), strings.TrimSpace(c), colName(i)))
			continue
		}
		h.col[f] = i
		found++
		if hasHan(c) {
			han++
		}
	}
	if found < 2 || (!h.has(FieldCode) && !h.has(FieldName)) {
		return nil, nil
	}
	if len(dupes) > 0 {
		return nil, workbook.FileErrorf("duplicate_column",
			"the header in row %d names the same column twice: %s. Keep one of each and upload again",
			"第 %d 行表头中有重复的列：%s。每列只保留一个后重新上传", num, strings.Join(dupes, "; "))
	}
	h.lang = workbook.English
	if han*2 >= found {
		h.lang = workbook.Chinese
	}
	var missing []string
	for f := range numFields {
		if columns[f].required && !h.has(f) {
			missing = append(missing, fmt.Sprintf("%s (%s)", columns[f].zh, columns[f].en))
		}
	}
	if len(missing) > 0 {
		return nil, workbook.FileErrorf("missing_column",
			"the header in row %d has no %s column, which every customer needs: add the column (see the template) and upload again",
			"第 %d 行表头缺少必填列 %s：请按导入模板补上该列后重新上传", num, strings.Join(missing, ", "))
	}
	return h, nil
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// colName is a sheet column's letter, from 0: 0 → A.
func colName(i int) string {
	n, _ := excelize.ColumnNumberToName(i + 1)
	return n
}
