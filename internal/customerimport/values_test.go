package customerimport

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseText(t *testing.T) {
	ok := func(got string, p any) string {
		t.Helper()
		require.Nil(t, p)
		return got
	}
	bad := func(_ string, p any) {
		t.Helper()
		require.NotNil(t, p)
	}
	require.Equal(t, "C-100.1/2_A", ok(parseCode(" C-100.1/2_A ")))
	require.Equal(t, "C1001", ok(parseCode("Ｃ１００１")), "full-width letters and digits")
	bad(parseCode("C 1001"))
	bad(parseCode("1.23457E+11"))
	bad(parseCode("客户1"))
	bad(parseCode(""))

	require.Equal(t, "91320594MA1M7XKW25", ok(parseTaxID("91320594ma1m7xkw25", "CNY")))
	bad(parseTaxID("91320594MA1M7XKW26", "CNY")) // check digit
	bad(parseTaxID("91320594MA1M7XKWI5", "CNY")) // I is never used
	require.Equal(t, "320594123456789", ok(parseTaxID("320594123456789", "")), "an old 15-digit number")
	bad(parseTaxID("12345", "CNY"))
	require.Equal(t, "DE123456789", ok(parseTaxID("DE123456789", "EUR")), "a foreign VAT number")

	require.Equal(t, "0512-6288 1234 转 8001", ok(parsePhone("0512-6288 1234 转 8001")))
	require.Equal(t, "+86 138 0013 8000", ok(parsePhone("+86 138 0013 8000")))
	bad(parsePhone("1.38001E+10"))
	bad(parsePhone("call me"))
	bad(parsePhone("123"))

	for in, want := range map[string]string{"a": "A", "B类": "B", "C级客户": "C", "": ""} {
		require.Equal(t, want, ok(parseClass(in)), in)
	}
	bad(parseClass("D"))
	for in, want := range map[string]string{"人民币": "CNY", "usd": "USD", "港币": "HKD", "": ""} {
		require.Equal(t, want, ok(parseCurrency(in)), in)
	}
	bad(parseCurrency("JPY"))

	require.Equal(t, "Suzhou Parts", ok(parseText("\u00a0Suzhou Parts\u200b", 200, true)))
	bad(parseText("-Suzhou", 200, true))
	bad(parseText("@Suzhou", 200, true))
	bad(parseText("a\x01b", 200, true))
	bad(parseText("Suzhou \uFFFD Parts", 200, true))
}

func TestHeaderMatching(t *testing.T) {
	for cell, want := range map[string]Field{
		"客户编码": FieldCode, "Customer Code *": FieldCode, "客户编号（必填）": FieldCode, "customer_no": FieldCode,
		"客户名称 / Customer name": FieldName, "最低折扣（%）": FieldMinDiscount, "Min. discount": FieldMinDiscount,
		"信用额度(元)": FieldCreditLimit, "统一社会信用代码": FieldTaxID, "业务员": FieldSalesOwner, "ＴＥＬ": FieldPhone,
	} {
		got, ok := matchHeader(cell)
		require.True(t, ok, cell)
		require.Equal(t, want, got, cell)
	}
	_, ok := matchHeader("备注")
	require.False(t, ok)
	h, err := findHeader(1, []string{"2026 客户清单"})
	require.Nil(t, h)
	require.Nil(t, err, "a title is not a header")
}
