package customerimport

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/workbook"
)

const (
	// maxComments bounds the cells that get a comment: excelize adds each in
	// time proportional to those before it, and a person reads the first
	// screens anyway. Every bad cell is still highlighted, and every bad row
	// says what is wrong in its result column.
	maxComments = 1000
	// maxListed bounds the problems listed on the summary sheet.
	maxListed = 10_000
)

var (
	sheetSummary = workbook.Text{EN: "Import result", ZH: "导入结果"}
	statusHeader = workbook.Text{EN: "Import result", ZH: "导入结果"}
)

// result is the workbook handed back: a summary sheet, then the imported sheet
// as it was (same rows, same columns), with bad cells highlighted and
// commented and a result column saying what became of each row. The data sheet
// is written first (while the rows go into the database), the summary last,
// once the counts are final; the summary still comes first in the workbook.
type result struct {
	im      *Importer
	sr      *sheetRead
	req     Request
	lang    workbook.Lang
	w       *workbook.Writer
	summary *workbook.Sheet
	data    *workbook.Sheet
}

func (im *Importer) startResult(sr *sheetRead, rep *Report, req Request, lang workbook.Lang) (*result, error) {
	w, err := workbook.NewWriter(sheetSummary.In(lang)+" — "+req.FileName, "l2c")
	if err != nil {
		return nil, err
	}
	res := &result{im: im, sr: sr, req: req, lang: lang, w: w}
	res.summary, err = w.NewSheet(sheetSummary.In(lang), workbook.SheetOptions{
		Columns:   []workbook.Column{{Width: 16}, {Width: 10}, {Width: 16}, {Width: 28}, {Width: 90}},
		HeaderRow: len(res.info(rep)) + 2, Filter: rep.ErrorCount > 0,
	})
	if err != nil {
		w.Close()
		return nil, err
	}
	h := sr.hdr
	statusCol := max(sr.maxCols, len(h.labels))
	cols := make([]workbook.Column, statusCol+1)
	for i := range cols {
		cols[i].Width = 14
	}
	for f := range numFields {
		if c := h.col[f]; c >= 0 {
			cols[c].Width = columns[f].width
		}
	}
	cols[statusCol].Width = 60
	var comments []workbook.Comment
	for _, r := range sr.rows {
		texts := map[int][]string{}
		var order []int
		for _, is := range r.issues {
			if _, ok := texts[is.col]; !ok {
				order = append(order, is.col)
			}
			texts[is.col] = append(texts[is.col], is.text.In(lang))
		}
		for _, c := range order {
			if len(comments) < maxComments {
				comments = append(comments, workbook.Comment{Row: r.num, Col: c, Text: strings.Join(texts[c], "\n")})
			}
		}
	}
	res.data, err = w.NewSheet(sr.sheet, workbook.SheetOptions{Columns: cols, HeaderRow: h.row, Freeze: true, Filter: true, Comments: comments})
	if err != nil {
		w.Close()
		return nil, err
	}
	return res, nil
}

func (res *result) close() { _ = res.w.Close() }

// writeData writes the imported sheet's rows with their results.
func (res *result) writeData(ctx context.Context, status Status) error {
	sr, lang, h := res.sr, res.lang, res.sr.hdr
	statusCol := max(sr.maxCols, len(h.labels))
	next := 0
	for i := range sr.kept.len() {
		if i%progressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		num, cells := sr.kept.row(i)
		out := make([]workbook.Cell, statusCol+1)
		for i, v := range cells {
			out[i] = workbook.Str(v)
		}
		for next < len(sr.rows) && sr.rows[next].num < num {
			next++
		}
		switch {
		case num == h.row:
			for i := range out[:statusCol] {
				out[i] = out[i].With(workbook.MarkHeader)
			}
			out[statusCol] = workbook.Str(statusHeader.In(lang)).With(workbook.MarkHeader)
		case next < len(sr.rows) && sr.rows[next].num == num:
			r := sr.rows[next]
			// Numbers l2c understood are written back as numbers.
			if c := h.col[FieldMinDiscount]; c >= 0 && c < len(cells) && !r.hasIssue(FieldMinDiscount) {
				if bp, _ := parseDiscount(cells[c]); bp != nil {
					out[c] = workbook.Percent(*bp)
				}
			}
			if c := h.col[FieldCreditLimit]; c >= 0 && c < len(cells) && !r.hasIssue(FieldCreditLimit) {
				if minor, _ := parseMoney(cells[c]); minor != nil {
					out[c] = workbook.Money(money.Amount(*minor))
				}
			}
			for _, is := range r.issues {
				out[is.col] = out[is.col].With(workbook.MarkError)
			}
			text, mark := rowResult(r, status, lang)
			out[statusCol] = workbook.Str(text).With(mark)
		}
		if err := res.data.WriteRowAt(num, out...); err != nil {
			return err
		}
	}
	return res.data.Close()
}

// finish writes the summary and returns the workbook's bytes.
func (res *result) finish(rep *Report) ([]byte, error) {
	if err := res.writeSummary(rep); err != nil {
		return nil, err
	}
	res.summary.Activate()
	var buf bytes.Buffer
	if err := res.w.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// rowResult says what became of a row, for its result cell.
func rowResult(r row, s Status, lang workbook.Lang) (string, workbook.Mark) {
	if r.status == rowRejected {
		parts := make([]string, len(r.issues))
		for i, is := range r.issues {
			parts[i] = is.field.Label(lang) + ": " + is.text.In(lang)
		}
		return "✗ " + strings.Join(parts, sep(lang)), workbook.MarkBad
	}
	var t workbook.Text
	switch r.status {
	case rowNew:
		t = workbook.Text{EN: "Added", ZH: "新增"}
	case rowOnboard:
		t = workbook.Text{EN: "New customer: sent for approval (a lead customer until then)", ZH: "新客户：已提交审批（审批前为线索客户）"}
	case rowUpdate:
		var en, zh []string
		for f := range numFields {
			if r.changed&bit(f) != 0 {
				en, zh = append(en, strings.ToLower(f.Label(workbook.English))), append(zh, f.Label(workbook.Chinese))
			}
		}
		t = workbook.Text{EN: "Updated: " + strings.Join(en, ", "), ZH: "已更新：" + strings.Join(zh, "、")}
	default:
		t = workbook.Text{EN: "Already in l2c, unchanged", ZH: "系统中已有，无变化"}
	}
	switch s {
	case StatusValidated:
		t = workbook.Text{EN: "OK (dry run, not written): " + t.EN, ZH: "正确（试运行，未写入）：" + t.ZH}
	case StatusRejected:
		t = workbook.Text{EN: "OK, but not imported: other rows have errors (all or nothing)", ZH: "正确，但未导入：其他行有错误（全部或全不）"}
	}
	return "✓ " + t.In(lang), workbook.MarkGood
}

// info is the summary's list of facts about the import.
func (res *result) info(rep *Report) [][2]workbook.Cell {
	lang, req, sr := res.lang, res.req, res.sr
	t := func(en, zh string) string { return workbook.Text{EN: en, ZH: zh}.In(lang) }
	mode := t("all or nothing", "全部或全不")
	if rep.Mode == AcceptValid {
		mode = t("accept valid rows", "仅导入正确行")
	}
	if rep.DryRun {
		mode += t(", dry run (nothing written)", "，试运行（不写入）")
	}
	format := strings.ToUpper(rep.File.Format)
	if rep.File.Encoding != "" {
		format += " (" + rep.File.Encoding + ")"
	}
	var ignored []string
	for _, c := range rep.Ignored {
		ignored = append(ignored, strings.TrimSpace(c.Column+" "+c.Header))
	}
	by := req.Actor.ID
	if req.Actor.Name != "" {
		by = req.Actor.Name + " (" + req.Actor.ID + ")"
	}
	c := rep.Rows
	info := [][2]workbook.Cell{
		{workbook.Str(t("Outcome", "结果")), workbook.Str(rep.Message).With(outcomeMark(rep.Status, c))},
		{workbook.Str(t("File", "文件")), workbook.Str(req.FileName)},
		{workbook.Str(t("Format", "格式")), workbook.Str(format)},
		{workbook.Str(t("Sheet", "工作表")), workbook.Str(sr.sheet)},
		{workbook.Str(t("Header row", "表头行")), workbook.Int(int64(sr.hdr.row))},
		{workbook.Str(t("Mode", "方式")), workbook.Str(mode)},
		{workbook.Str(t("Imported by", "导入人")), workbook.Str(by)},
		{workbook.Str(t("Started", "开始时间")), workbook.DateTime(rep.StartedAt, res.im.Location)},
		{workbook.Str(t("Import no.", "导入编号")), workbook.Int(rep.ID)},
		{workbook.Str(t("Rows", "数据行")), workbook.Int(int64(c.Total))},
		{workbook.Str(t("Accepted", "通过")), workbook.Int(int64(c.Accepted))},
		{workbook.Str(t("Rejected", "有错误")), workbook.Int(int64(c.Rejected))},
		{workbook.Str(t("Added", "新增")), workbook.Int(int64(c.Inserted))},
		{workbook.Str(t("Updated", "更新")), workbook.Int(int64(c.Updated))},
		{workbook.Str(t("Unchanged", "无变化")), workbook.Int(int64(c.Unchanged))},
	}
	if len(ignored) > 0 {
		info = append(info, [2]workbook.Cell{workbook.Str(t("Ignored columns", "未导入的列")), workbook.Str(strings.Join(ignored, sep(lang)))})
	}
	if rep.Formulas > 0 {
		info = append(info, [2]workbook.Cell{workbook.Str(t("Formulas", "公式")),
			workbook.Str(fmt.Sprintf(t("%d cells hold formulas; their calculated values were read", "%d 个单元格含公式，已读取其计算结果"), rep.Formulas))})
	}
	return info
}

// writeSummary writes the first sheet: what was imported, how, by whom, and
// every problem in a list that can be filtered.
func (res *result) writeSummary(rep *Report) error {
	s, lang, sr := res.summary, res.lang, res.sr
	t := func(en, zh string) string { return workbook.Text{EN: en, ZH: zh}.In(lang) }
	info := res.info(rep)
	for _, kv := range info {
		if err := s.WriteRow(kv[0].With(workbook.MarkBold), kv[1]); err != nil {
			return err
		}
	}
	if rep.ErrorCount == 0 {
		return s.Close()
	}
	if err := s.WriteRowAt(len(info)+2,
		workbook.Str(t("Row", "行")).With(workbook.MarkHeader), workbook.Str(t("Column", "列")).With(workbook.MarkHeader),
		workbook.Str(t("Field", "字段")).With(workbook.MarkHeader), workbook.Str(t("Value", "值")).With(workbook.MarkHeader),
		workbook.Str(t("Problem", "问题")).With(workbook.MarkHeader)); err != nil {
		return err
	}
	listed := 0
	for _, r := range sr.rows {
		for _, is := range r.issues {
			if listed == maxListed {
				break
			}
			listed++
			if err := s.WriteRow(workbook.Int(int64(r.num)), workbook.Str(colName(is.col)), workbook.Str(is.field.Label(lang)),
				workbook.Str(is.value), workbook.Str(is.text.In(lang))); err != nil {
				return err
			}
		}
	}
	if listed < rep.ErrorCount {
		if err := s.WriteRow(workbook.Str(fmt.Sprintf(t("… and %d more: see the result column of the data sheet", "……另有 %d 个，见数据表的导入结果列"), rep.ErrorCount-listed))); err != nil {
			return err
		}
	}
	return s.Close()
}

func outcomeMark(s Status, c Counts) workbook.Mark {
	if c.Rejected == 0 && (s == StatusImported || s == StatusValidated) {
		return workbook.MarkGood
	}
	return workbook.MarkBad
}

// sep joins a list in lang.
func sep(lang workbook.Lang) string {
	if lang == workbook.Chinese {
		return "；"
	}
	return "; "
}
