package customerimport

import (
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

var columns = [numFields]column{
	FieldCode: {key: "code", zh: "客户编码", en: "Customer code", required: true, text: true, width: 14,
		aliases: []string{"客户编号", "客户代码", "客户号", "编码", "客户id", "customerno", "customernumber", "customerid", "code", "custno", "kunnr"},
		help: workbook.Text{EN: "The customer's number in the ERP. Letters, digits and - _ . / only, up to 40 characters. A code already in l2c updates that customer's address, contact and phone; its terms must match.",
			ZH: "ERP 中的客户编号。仅限字母、数字及 - _ . /，不超过 40 个字符。已存在的编码只会更新地址、联系人和电话，其余条款须与系统一致。"},
		example: "C10023"},
	FieldName: {key: "name", zh: "客户名称", en: "Customer name", required: true, width: 32,
		aliases: []string{"客户全称", "名称", "客户", "公司名称", "单位名称", "企业名称", "name", "companyname", "company", "accountname"},
		help:    workbook.Text{EN: "The company's full registered name, up to 200 characters.", ZH: "公司注册全称，不超过 200 个字符。"},
		example: "苏州精密零件有限公司"},
	FieldTaxID: {key: "tax_id", zh: "税号", en: "Tax ID", text: true, width: 22,
		aliases: []string{"纳税人识别号", "统一社会信用代码", "社会信用代码", "信用代码", "税务登记号", "taxid", "taxnumber", "taxno", "vatnumber", "vatid", "vatno", "uscc", "creditcode"},
		help: workbook.Text{EN: "Unified social credit code (18 characters, check digit verified) or an old 15/20-character tax number; foreign customers (currency not CNY) may use their own VAT number. Two customers cannot share one.",
			ZH: "统一社会信用代码（18 位，校验位会核对），或旧版 15/20 位税务登记号；外币客户可填其本国税号。不同客户不能使用同一税号。"},
		example: "91320594MA1MXXXX0X"},
	FieldAddress: {key: "address", zh: "地址", en: "Address", width: 36,
		aliases: []string{"客户地址", "公司地址", "详细地址", "联系地址", "通讯地址", "注册地址", "address", "companyaddress", "street"},
		help:    workbook.Text{EN: "Up to 500 characters.", ZH: "不超过 500 个字符。"}, example: "苏州工业园区星湖街 328 号"},
	FieldContact: {key: "contact_name", zh: "联系人", en: "Contact", width: 12,
		aliases: []string{"联系人姓名", "客户联系人", "contact", "contactname", "contactperson"},
		help:    workbook.Text{EN: "Up to 100 characters.", ZH: "不超过 100 个字符。"}, example: "张伟"},
	FieldPhone: {key: "phone", zh: "电话", en: "Phone", text: true, width: 16,
		aliases: []string{"联系电话", "手机", "手机号", "电话号码", "联系方式", "座机", "phone", "telephone", "tel", "mobile", "phonenumber"},
		help: workbook.Text{EN: "Digits with + - ( ) spaces, ext or 转; several numbers separated by / or ;. Format the column as text so Excel does not turn long numbers into 1.38E+10.",
			ZH: "数字，可含 + - ( ) 空格、ext 或“转”；多个号码用 / 或 ; 分隔。请把该列设为文本格式，避免 Excel 把长号码变成 1.38E+10。"},
		example: "0512-62881234"},
	FieldPaymentTerms: {key: "payment_terms", zh: "付款条件", en: "Payment terms", text: true, width: 14,
		aliases: []string{"付款条款", "结算方式", "结算条件", "账期", "paymentterms", "terms", "paymentterm", "termsofpayment", "zterm"},
		help:    workbook.Text{EN: "The ERP's payment terms key, e.g. NT30 or 0001, up to 40 characters.", ZH: "ERP 中的付款条件代码，如 NT30、0001，不超过 40 个字符。"},
		example: "NT30"},
	FieldMinDiscount: {key: "min_discount", zh: "最低折扣", en: "Minimum discount", width: 12,
		aliases: []string{"最低折扣率", "折扣", "折扣率", "最低价格折扣", "minimumdiscount", "mindiscount", "discount", "minimumdiscountrate"},
		help: workbook.Text{EN: "The lowest share of list price this customer may be quoted without approval, from 1% to 100%: 85%, 85, 0.85, 8.5折 and 八五折 all mean 85%. A bare 1 is refused as ambiguous (write 100% or 1%).",
			ZH: "不经审批可报给该客户的最低价格比例（1%–100%）：85%、85、0.85、8.5折、八五折 都表示 85%。单独的 1 有歧义会被拒绝（请写 100% 或 1%）。"},
		example: "85%"},
	FieldCreditLimit: {key: "credit_limit", zh: "信用额度", en: "Credit limit", width: 16,
		aliases: []string{"授信额度", "信用限额", "赊销额度", "creditlimit", "credit", "creditline"},
		help: workbook.Text{EN: "An amount in the customer's currency, at most two decimals, not negative: 500000, 500,000.00, ¥500,000 and 50万 are all accepted.",
			ZH: "以客户币种计的金额，最多两位小数，不可为负：500000、500,000.00、¥500,000、50万 均可。"},
		example: "500000.00"},
	FieldValueClass: {key: "value_class", zh: "客户等级", en: "Value class", width: 10,
		aliases: []string{"客户级别", "等级", "客户分类", "价值等级", "abc分类", "valueclass", "class", "customerclass", "tier", "grade", "abcclass"},
		help:    workbook.Text{EN: "A, B or C (A is the most valuable).", ZH: "A、B 或 C（A 为最高价值）。"}, example: "A"},
	FieldSalesOwner: {key: "sales_owner", zh: "销售负责人", en: "Sales owner", width: 14,
		aliases: []string{"负责人", "销售员", "业务员", "销售", "客户经理", "销售代表", "营销员", "salesowner", "owner", "salesrep", "salesperson", "accountmanager", "salesman"},
		help: workbook.Text{EN: "The user ID (or full name as in l2c) of a sales rep or sales manager.",
			ZH: "销售人员或销售经理在系统中的用户名（或系统中的完整姓名）。"},
		example: "wang"},
	FieldCurrency: {key: "currency", zh: "币种", en: "Currency", width: 8,
		aliases: []string{"币别", "货币", "结算币种", "currency", "currencycode", "waers"},
		help: workbook.Text{EN: "CNY (default when empty), USD, EUR, HKD or GBP; 人民币, 美元 and the like are understood. The credit limit is in this currency.",
			ZH: "CNY（留空即为人民币）、USD、EUR、HKD 或 GBP；也可写“人民币”“美元”等。信用额度以此币种计。"},
		example: "CNY"},
}

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
