package customerimport

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"

	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/textnorm"
	"github.com/l2c/l2c/internal/workbook"
)

// Values arrive as the spreadsheet shows them: typed by people, pasted from
// web pages and chat, exported by other systems. Each parser reads what is
// unambiguous and refuses the rest with a reason that says how to write it.

func bad(en, zh string, args ...any) *workbook.Text {
	t := workbook.Textf(en, zh, args...)
	return &t
}

// clean folds full-width characters (“８５％”, “，”) to their ASCII forms and
// trims spaces, including no-break and ideographic spaces and zero-width
// characters pasted from web pages.
func clean(s string) string {
	plain := true
	for _, r := range s {
		if r >= 0x80 && (r < 0x3400 || r > 0x9fff) { // CJK ideographs need no folding
			plain = false
			break
		}
	}
	if plain {
		return strings.TrimSpace(s)
	}
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff':
			return -1
		case '\u00a0', '\u3000':
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(width.Narrow.String(s))
}

var excelScientificRE = regexp.MustCompile(`^[0-9](\.[0-9]+)?[eE][+-]?[0-9]+$`)

// scientific reports whether s is a number as Excel shows it in scientific
// notation (1.38E+10): a long code or phone number already mangled.
func scientific(s string) bool {
	return strings.ContainsAny(s, "eE") && excelScientificRE.MatchString(s)
}

// textProblem checks what every text field must satisfy.
func textProblem(s string, maxLen int) *workbook.Text {
	switch {
	case strings.ContainsRune(s, utf8.RuneError):
		return bad("has characters that could not be read; save the file as CSV UTF-8 or .xlsx and upload again",
			"含有无法识别的字符：请另存为 CSV UTF-8 或 .xlsx 后重新上传")
	case utf8.RuneCountInString(s) > maxLen:
		return bad("is %d characters long; at most %d are allowed", "长度为 %d 个字符，最多允许 %d 个",
			utf8.RuneCountInString(s), maxLen)
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0:
		return bad("has control characters; retype it", "含有控制字符，请重新输入")
	}
	return nil
}

// formulaLike refuses free text that a spreadsheet would run as a formula when
// the customer list is next exported: l2c escapes it in its own exports, but
// the ERP and other tools may not.
func formulaLike(s string) *workbook.Text {
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return bad("starts with %q, which spreadsheets run as a formula; remove the leading character",
			"以 %q 开头，表格软件会把它当作公式执行：请删除开头的这个字符", s[:1])
	}
	return nil
}

func parseCode(raw string) (string, *workbook.Text) {
	s := clean(raw)
	if s == "" {
		return "", bad("is required", "必填")
	}
	if scientific(s) {
		return "", bad("reads %s: Excel turned a long number into scientific notation; format the column as text and retype the codes",
			"显示为 %s：Excel 把长数字变成了科学计数法，请把该列设为文本格式后重新输入编码", s)
	}
	if p := textProblem(s, 40); p != nil {
		return "", p
	}
	for _, r := range s {
		if !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_./", r))) {
			return "", bad("%q may hold only letters, digits and - _ . / (no spaces)", "%q 只能包含字母、数字和 - _ . /（不能有空格）", s)
		}
	}
	return s, nil
}

func parseText(raw string, maxLen int, required bool) (string, *workbook.Text) {
	return checkText(clean(raw), maxLen, required)
}

// parseWritten reads a name, address or contact: kept as written (a
// registered name with full-width parentheses is the legal name), only
// invisible characters and surrounding spaces removed. Compare such values
// with textnorm.Same, never by rewriting them.
func parseWritten(raw string, maxLen int, required bool) (string, *workbook.Text) {
	return checkText(textnorm.Tidy(raw), maxLen, required)
}

func checkText(s string, maxLen int, required bool) (string, *workbook.Text) {
	if s == "" {
		if required {
			return "", bad("is required", "必填")
		}
		return "", nil
	}
	if p := textProblem(s, maxLen); p != nil {
		return "", p
	}
	if p := formulaLike(s); p != nil {
		return "", p
	}
	return s, nil
}

// usccChars are the characters of a unified social credit code (统一社会信用代码,
// GB 32100-2015), in the order that gives their value; I, O, S, V and Z are not used.
const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// usccValid checks an 18-character code's check digit.
func usccValid(s string) bool {
	sum := 0
	for i := range 17 {
		v := strings.IndexByte(usccChars, s[i])
		if v < 0 {
			return false
		}
		sum += v * usccWeights[i]
	}
	check := (31 - sum%31) % 31
	return s[17] == usccChars[check]
}

func parseTaxID(raw, currency string) (string, *workbook.Text) {
	s := strings.ToUpper(strings.ReplaceAll(clean(raw), " ", ""))
	if s == "" {
		return "", nil
	}
	if scientific(s) {
		return "", bad("reads %s: Excel turned the number into scientific notation; format the column as text and retype it",
			"显示为 %s：Excel 把数字变成了科学计数法，请把该列设为文本格式后重新输入", s)
	}
	for _, r := range s {
		if !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-')) {
			return "", bad("%q may hold only letters and digits", "%q 只能包含字母和数字", s)
		}
	}
	domestic := currency == "" || currency == money.DefaultCurrency
	switch n := len(s); {
	case n == 18 && strings.Trim(s, usccChars) == "":
		if !usccValid(s) {
			return "", bad("%s is not a valid unified social credit code: its check digit does not match (a typo?)",
				"%s 不是有效的统一社会信用代码：校验位不符（是否输错？）", s)
		}
	case n == 18 && domestic:
		return "", bad("%s is not a valid unified social credit code: it uses letters such as I, O, S, V or Z that codes never contain",
			"%s 不是有效的统一社会信用代码：含有代码中不会出现的字母（如 I、O、S、V、Z）", s)
	case (n == 15 || n == 17 || n == 20) && domestic:
		// the tax registration numbers that came before the unified code
	case domestic:
		return "", bad("%s has %d characters; a Chinese tax ID has 18 (unified social credit code), or 15 or 20 (old tax registration number)",
			"%s 共 %d 位；国内税号应为 18 位统一社会信用代码，或 15/20 位旧税务登记号", s, n)
	case n < 5 || n > 30:
		return "", bad("%s has %d characters; a tax or VAT number has 5 to 30", "%s 共 %d 位，税号应为 5–30 位", s, n)
	}
	return s, nil
}

// phoneOnly reports whether s uses only what phone numbers are written with.
func phoneOnly(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789+-() /;,.、xX#转分机extEXT", r) {
			return false
		}
	}
	return true
}

func parsePhone(raw string) (string, *workbook.Text) {
	s := clean(raw)
	if s == "" {
		return "", nil
	}
	if scientific(s) {
		return "", bad("reads %s: Excel turned the number into scientific notation; format the column as text and retype it",
			"显示为 %s：Excel 把号码变成了科学计数法，请把该列设为文本格式后重新输入", s)
	}
	if p := textProblem(s, 60); p != nil {
		return "", p
	}
	digits := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if !phoneOnly(s) || digits < 5 {
		return "", bad("%q is not a phone number: use digits, with + - ( ) spaces, ext or 转", "%q 不是电话号码：请使用数字，可含 + - ( ) 空格、ext 或“转”", s)
	}
	return s, nil
}

func parseClass(raw string) (string, *workbook.Text) {
	s := strings.ToUpper(clean(raw))
	for _, suffix := range []string{"类客户", "级客户", "类", "级", " CLASS"} {
		s = strings.TrimSuffix(s, suffix)
	}
	s = strings.TrimPrefix(s, "CLASS ")
	switch s {
	case "", "A", "B", "C":
		return s, nil
	}
	return "", bad("%q is not a value class: write A, B or C", "%q 不是客户等级：请填 A、B 或 C", clean(raw))
}

var currencyNames = map[string]string{
	"人民币": "CNY", "RMB": "CNY", "元": "CNY", "美元": "USD", "美金": "USD", "US$": "USD",
	"欧元": "EUR", "港币": "HKD", "港元": "HKD", "英镑": "GBP",
}

func parseCurrency(raw string) (string, *workbook.Text) {
	s := strings.ToUpper(clean(raw))
	if s == "" {
		return "", nil
	}
	if c, ok := currencyNames[s]; ok {
		s = c
	}
	if !money.ValidCurrency(s) {
		return "", bad("%q is not a currency l2c uses: write CNY, USD, EUR, HKD or GBP", "%q 不是系统支持的币种：请填 CNY、USD、EUR、HKD 或 GBP", clean(raw))
	}
	return s, nil
}

// decimal is an exact decimal number as written: its digits and how many of
// them follow the point. No float is involved, so 0.1 stays 0.1.
type decimal struct {
	digits string // without sign or point
	scale  int
}

// parseDecimal reads digits with at most one point: "12", "12.5", ".5".
func parseDecimal(s string) (decimal, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" {
		return decimal{}, false
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return decimal{}, false
			}
		}
	}
	return decimal{digits: whole + frac, scale: len(frac)}, true
}

// scaled returns d × 10^n as an integer. Digits that do not fit are refused,
// unless the number has 15 or more significant digits: that is a float that
// went through Excel (84.99999999999999), and it is rounded to the nearest.
func (d decimal) scaled(n int) (v int64, exact, ok bool) {
	digits := d.digits
	shift := n - d.scale
	for ; shift > 0; shift-- {
		digits += "0"
	}
	var rest string
	if shift < 0 {
		cut := len(digits) + shift
		if cut < 0 {
			cut = 0
		}
		digits, rest = digits[:cut], digits[cut:]
	}
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		digits = "0"
	}
	if len(digits) > 18 {
		return 0, false, false
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, false, false
	}
	if strings.Trim(rest, "0") == "" {
		return v, true, true
	}
	significant := len(strings.TrimLeft(d.digits, "0"))
	if significant < 15 {
		return v, false, true
	}
	if rest[0] >= '5' {
		v++
	}
	return v, true, true
}

// chineseDigits turns 八五, 八点五, 九 into 85, 8.5, 9 for discounts written in 折.
func chineseDigits(s string) string {
	return strings.NewReplacer("〇", "0", "零", "0", "一", "1", "二", "2", "两", "2", "三", "3", "四", "4",
		"五", "5", "六", "6", "七", "7", "八", "8", "九", "9", "十", "10", "点", ".").Replace(s)
}

// parseDiscount reads a minimum discount, the share of list price charged, in
// basis points.
func parseDiscount(raw string) (*int64, *workbook.Text) {
	s := strings.ReplaceAll(clean(raw), " ", "")
	if s == "" {
		return nil, nil
	}
	if strings.HasPrefix(s, "=") {
		return nil, bad("is a formula, not a discount; write a number such as 85%%", "是公式而不是折扣：请填写数字，如 85%%")
	}
	if strings.HasPrefix(s, "-") {
		return nil, bad("%s is negative; a discount is the share of list price charged, from 1%% to 100%%", "%s 为负数；折扣是成交价占标价的比例，应在 1%% 到 100%% 之间", s)
	}
	var bp int64
	switch {
	case strings.HasSuffix(s, "折") || strings.HasSuffix(s, "折半"):
		body := strings.TrimSuffix(s, "折")
		if strings.HasSuffix(s, "折半") {
			body = strings.TrimSuffix(s, "折半") + ".5"
		}
		d, ok := parseDecimal(chineseDigits(body))
		if !ok {
			return nil, bad("%q is not a discount: write it like 85%%, 0.85 or 8.5折", "%q 不是有效的折扣：请写成 85%%、0.85 或 8.5折", s)
		}
		// 8.5折 is 85%, and so is 85折 (八五折); 10折 is full price.
		tenths, exact, ok := d.scaled(3)
		if ok && exact && tenths <= 10000 {
			bp = tenths
		} else if pct, exact, ok := d.scaled(2); ok && exact && pct > 1000 && pct < 10000 {
			bp = pct
		} else {
			return nil, bad("%q is not a discount: write it like 85%%, 0.85 or 8.5折", "%q 不是有效的折扣：请写成 85%%、0.85 或 8.5折", s)
		}
	case strings.HasSuffix(s, "%"):
		d, ok := parseDecimal(strings.TrimSuffix(s, "%"))
		if !ok {
			return nil, bad("%q is not a percentage: write it like 85%% or 85.5%%", "%q 不是百分比：请写成 85%% 或 85.5%%", s)
		}
		v, exact, ok := d.scaled(2)
		if !ok || !exact {
			return nil, bad("%s has too many decimals: at most two, like 85.25%%", "%s 小数位太多：最多两位，如 85.25%%", s)
		}
		bp = v
	default:
		d, ok := parseDecimal(s)
		if !ok {
			return nil, bad("%q is not a discount: write it like 85%%, 85, 0.85 or 8.5折", "%q 不是有效的折扣：请写成 85%%、85、0.85 或 8.5折", s)
		}
		whole, _, _ := d.scaled(0)
		switch frac, exactFrac, okFrac := d.scaled(4); {
		case okFrac && frac == 10000 && exactFrac:
			return nil, bad("1 is ambiguous: it could mean 100%% (no discount) or 1%%; write 100%% or 1%%",
				"1 有歧义：可能是 100%%（不打折）也可能是 1%%；请写 100%% 或 1%%")
		case okFrac && frac < 10000:
			if !exactFrac {
				return nil, bad("%s has too many decimals: a fraction like 0.855 is at most four", "%s 小数位太多：小数形式如 0.855 最多四位", s)
			}
			bp = frac
		case whole <= 100:
			v, exact, ok := d.scaled(2)
			if !ok || !exact {
				return nil, bad("%s has too many decimals: at most two, like 85.25", "%s 小数位太多：最多两位，如 85.25", s)
			}
			bp = v
		default:
			return nil, bad("%s is more than 100%% of list price; a discount is the share charged, like 85 for 85%%",
				"%s 超过标价的 100%%；折扣是成交价占标价的比例，如 85 表示 85%%", s)
		}
	}
	switch {
	case bp == 0:
		return nil, bad("0%% would give the goods away; a discount is the share of list price charged, from 1%% to 100%%",
			"0%% 等于白送；折扣是成交价占标价的比例，应在 1%% 到 100%% 之间")
	case bp < 100:
		return nil, bad("%s is less than 1%% of list price; did you mean %s%%?", "%s 低于标价的 1%%；是否想写 %s%%？",
			s, strconv.FormatInt(bp, 10))
	case bp > 10000:
		return nil, bad("%s is more than 100%% of list price; a discount is the share charged, from 1%% to 100%%",
			"%s 超过标价的 100%%；折扣是成交价占标价的比例，应在 1%% 到 100%% 之间", s)
	}
	return &bp, nil
}

// parseMoney reads a credit limit in minor units: 500000, 500,000.00, ¥500,000,
// 500000元, 50万.
func parseMoney(raw string) (*int64, *workbook.Text) {
	s := clean(raw)
	if s == "" {
		return nil, nil
	}
	orig := s
	upper := strings.ToUpper(s)
	for _, p := range []string{"¥", "RMB", "CNY"} {
		upper = strings.TrimSpace(strings.TrimPrefix(upper, p))
	}
	for _, p := range []string{"元", "RMB", "CNY"} {
		upper = strings.TrimSpace(strings.TrimSuffix(upper, p))
	}
	multiplier := 2 // decimal places to minor units
	if strings.HasSuffix(upper, "万") {
		upper, multiplier = strings.TrimSpace(strings.TrimSuffix(upper, "万")), 6
	}
	s = upper
	switch {
	case strings.HasPrefix(s, "=") || strings.HasPrefix(s, "@"):
		return nil, bad("is a formula, not an amount; write a number such as 500000", "是公式而不是金额：请填写数字，如 500000")
	case strings.HasPrefix(s, "-") || (strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")")):
		return nil, bad("%s is negative; a credit limit is 0 or more", "%s 为负数；信用额度不能小于 0", orig)
	case scientific(s):
		return nil, bad("reads %s: Excel shows the number in scientific notation; widen the column or format it as a number",
			"显示为 %s：Excel 以科学计数法显示了该数字，请加宽该列或设为数值格式", orig)
	case strings.ContainsAny(s, "$€£"):
		return nil, bad("%s has a currency sign; write the number alone and the currency in the Currency column",
			"%s 带有货币符号：请只填数字，币种填在“币种”列", orig)
	}
	if strings.Contains(s, ",") {
		whole, frac, _ := strings.Cut(s, ".")
		groups := strings.Split(whole, ",")
		ok := len(groups[0]) >= 1 && len(groups[0]) <= 3
		for _, g := range groups[1:] {
			ok = ok && len(g) == 3
		}
		if !ok || strings.Contains(frac, ",") {
			return nil, bad("%s is ambiguous: use a dot for decimals and commas only between thousands, like 1,234,567.89",
				"%s 有歧义：小数点请用“.”，逗号只用作千位分隔，如 1,234,567.89", orig)
		}
		s = strings.ReplaceAll(s, ",", "")
	}
	d, ok := parseDecimal(s)
	if !ok {
		return nil, bad("%q is not an amount: write it like 500000 or 500,000.00", "%q 不是金额：请写成 500000 或 500,000.00", orig)
	}
	v, exact, ok := d.scaled(multiplier)
	if !ok || v > 1e15 {
		return nil, bad("%s is too large for a credit limit", "%s 作为信用额度过大", orig)
	}
	if !exact {
		return nil, bad("%s has more than two decimals (fen); round it", "%s 超过两位小数（分）：请四舍五入", orig)
	}
	return &v, nil
}

// TaxID checks a tax ID as an import row's is checked (for customers entered
// one at a time): its stored form, or what is wrong with it in English.
func TaxID(raw, currency string) (string, string) {
	s, p := parseTaxID(raw, currency)
	if p != nil {
		return "", p.EN
	}
	return s, ""
}
