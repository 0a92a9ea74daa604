package customerimport

import (
	"fmt"
	"io"

	"github.com/l2c/l2c/internal/workbook"
)

// templateRows is how far down the template's drop-down lists and text
// formats reach.
const templateRows = 5000

// TemplateName is the template's file name in lang.
func TemplateName(lang workbook.Lang) string {
	if lang == workbook.Chinese {
		return "客户导入模板.xlsx"
	}
	return "customer-import-template.xlsx"
}

// WriteTemplate writes the import template in lang: a sheet to fill in, with
// the headers the importer looks for (required ones starred, each explained
// in a comment), text-formatted code and phone columns and drop-down lists,
// and a sheet documenting every column and the rules of the import.
func WriteTemplate(out io.Writer, lang workbook.Lang, lim workbook.Limits) error {
	t := func(en, zh string) string { return workbook.Text{EN: en, ZH: zh}.In(lang) }
	w, err := workbook.NewWriter(t("Customer import template", "客户导入模板"), "l2c")
	if err != nil {
		return err
	}
	defer w.Close()

	cols := make([]workbook.Column, numFields)
	header := make([]workbook.Cell, numFields)
	comments := make([]workbook.Comment, numFields)
	for f := range numFields {
		c := columns[f]
		cols[f] = workbook.Column{Width: c.width, Text: c.text}
		label := f.Label(lang)
		if c.required {
			label += " *"
		}
		header[f] = workbook.Str(label).With(workbook.MarkHeader)
		comments[f] = workbook.Comment{Row: 1, Col: int(f), Text: c.help.In(lang)}
	}
	data, err := w.NewSheet(t("Customers", "客户"), workbook.SheetOptions{Columns: cols, HeaderRow: 1, Freeze: true, Comments: comments})
	if err != nil {
		return err
	}
	if err := data.WriteRow(header...); err != nil {
		return err
	}
	if err := data.AddList(int(FieldValueClass), 2, templateRows, []string{"A", "B", "C"},
		t("Value class", "客户等级"), t("Choose A, B or C.", "请选择 A、B 或 C。")); err != nil {
		return err
	}
	if err := data.AddList(int(FieldCurrency), 2, templateRows, []string{"CNY", "USD", "EUR", "HKD", "GBP"},
		t("Currency", "币种"), t("Choose CNY, USD, EUR, HKD or GBP.", "请选择 CNY、USD、EUR、HKD 或 GBP。")); err != nil {
		return err
	}
	if err := data.Close(); err != nil {
		return err
	}
	data.Activate()

	help, err := w.NewSheet(t("Instructions", "填写说明"), workbook.SheetOptions{
		Columns:   []workbook.Column{{Width: 18}, {Width: 18}, {Width: 10}, {Width: 90}, {Width: 24}},
		HeaderRow: 3, Freeze: true,
	})
	if err != nil {
		return err
	}
	rows := [][]workbook.Cell{
		{workbook.Str(t("Customer import: how to fill in the Customers sheet", "客户导入：“客户”工作表填写说明")).With(workbook.MarkBold)},
		{workbook.Str(t("Keep the header row; columns may be in any order, extra columns are ignored and listed in the result. Headers in Chinese or English are both recognised.",
			"请保留表头行；列的顺序可以调整，多余的列会被忽略并在结果中列出。表头用中文或英文均可识别。"))},
		{workbook.Str(t("Column (中文)", "列名（中文）")).With(workbook.MarkHeader), workbook.Str(t("Column (English)", "列名（英文）")).With(workbook.MarkHeader),
			workbook.Str(t("Required", "必填")).With(workbook.MarkHeader), workbook.Str(t("What to enter", "填写要求")).With(workbook.MarkHeader),
			workbook.Str(t("Example", "示例")).With(workbook.MarkHeader)},
	}
	for f := range numFields {
		c := columns[f]
		req := ""
		if c.required {
			req = t("yes", "是")
		}
		rows = append(rows, []workbook.Cell{workbook.Str(c.zh), workbook.Str(c.en), workbook.Str(req), workbook.Str(c.help.In(lang)), workbook.Str(c.example)})
	}
	notes := []workbook.Text{
		{EN: "Rules of the import", ZH: "导入规则"},
		{EN: "• Every row is checked. The result is this workbook again: each bad cell highlighted with a comment saying what is wrong, a result column on every row, and a summary sheet.",
			ZH: "• 每一行都会校验。结果会以原工作簿返回：每个有错误的单元格标红并附批注说明原因，每行增加“导入结果”列，并附摘要工作表。"},
		{EN: "• All or nothing (default): if any row has an error nothing is imported. Accept valid rows: the good rows are imported and the bad ones reported. A dry run checks without writing.",
			ZH: "• 全部或全不（默认）：只要有一行出错就不导入任何数据。仅导入正确行：正确的行会导入，错误的行会列出。试运行只校验不写入。"},
		{EN: "• A customer code that is already in l2c updates only the address, contact and phone. Its name, tax ID, payment terms, discount, credit limit, class, owner and currency must match what l2c has: terms change through an approved change request.",
			ZH: "• 系统中已存在的客户编码只会更新地址、联系人和电话；名称、税号、付款条件、折扣、信用额度、等级、负责人和币种须与系统一致——条款变更须走审批。"},
		{EN: "• A code or a tax ID may appear once in a file; a tax ID that belongs to another customer in l2c is refused.",
			ZH: "• 同一文件中客户编码和税号都不能重复；已属于系统中其他客户的税号会被拒绝。"},
		{EN: "• Formulas are read as the values Excel calculated. Text starting with = + - @ is refused in names and addresses.",
			ZH: "• 公式按 Excel 计算出的值读取。名称、地址等文本不能以 = + - @ 开头。"},
		workbook.Textf("• Files: .xlsx, or .csv in UTF-8 or GBK; up to %d MB and %d rows. Old .xls files must be saved as .xlsx first.",
			"• 文件：.xlsx，或 UTF-8 / GBK 编码的 .csv；最大 %d MB、%d 行。旧版 .xls 请先另存为 .xlsx。",
			lim.MaxFileBytes>>20, lim.MaxRows-1),
	}
	rows = append(rows, nil)
	for i, n := range notes {
		cell := workbook.Str(n.In(lang))
		if i == 0 {
			cell = cell.With(workbook.MarkBold)
		}
		rows = append(rows, []workbook.Cell{cell})
	}
	for i, r := range rows {
		if r == nil {
			continue
		}
		if err := help.WriteRowAt(i+1, r...); err != nil {
			return fmt.Errorf("template: %w", err)
		}
	}
	if err := help.Close(); err != nil {
		return err
	}
	return w.Write(out)
}
