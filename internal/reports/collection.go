package reports

import (
	"context"
	"fmt"
	"time"

	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/collection"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/workbook"
)

// The collection reports read the same functions as the API's JSON and the
// pages (internal/database/collection_views.go), with the same viewer: a
// rep's workbook holds what the rep's page shows.

// collectionLimit bounds the lists that are not streamed (deliveries, big
// deals): far more than a company has open at once.
const collectionLimit = 50000

func (x *export) today() collection.Date { return calendar.DateOf(x.now.In(x.loc)) }

// collectionFilter is the report's office, owner and customer, shown on the About sheet.
func (x *export) collectionFilter() database.ReceivableFilter {
	f := database.ReceivableFilter{Office: x.p.Office, Owner: x.p.Owner, Customer: x.p.Customer}
	if f.Office != "" {
		x.filters = append(x.filters, [2]string{x.t("Office", "办事处"), f.Office})
	}
	if f.Owner != "" {
		x.filters = append(x.filters, [2]string{x.t("Owner", "负责人"), x.person(f.Owner).Value.(string)})
	}
	if f.Customer != "" {
		x.filters = append(x.filters, [2]string{x.t("Customer", "客户"), f.Customer})
	}
	return f
}

func civilTime(d collection.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

// ageingGroups are the ageing's summary sheets.
var ageingGroups = []struct {
	by   string
	name workbook.Text
	col  column
}{
	{"customer", workbook.Text{EN: "By customer", ZH: "按客户"}, column{"Customer", "客户", 30}},
	{"owner", workbook.Text{EN: "By owner", ZH: "按负责人"}, column{"Owner", "负责人", 16}},
	{"office", workbook.Text{EN: "By office", ZH: "按办事处"}, column{"Office", "办事处", 14}},
}

func (x *export) collectionAgeing(ctx context.Context) error {
	asOf := x.today()
	if !x.p.AsOf.IsZero() {
		asOf = calendar.DateOf(x.p.AsOf)
	}
	x.filters = append(x.filters, [2]string{x.t("As of", "截至日期"), asOf.String()})
	groups := ageingGroups
	if x.p.By != "" {
		groups = nil
		for _, g := range ageingGroups {
			if g.by == x.p.By {
				groups = append(groups, g)
			}
		}
		if groups == nil {
			return &ParamError{Field: "by", Message: fmt.Sprintf("%q: want customer, owner or office", x.p.By)}
		}
	}
	f := x.collectionFilter()
	v := database.ViewerOf(x.viewer)
	for _, g := range groups {
		cols := []column{g.col}
		if g.by == "customer" {
			cols = []column{{"Customer code", "客户编码", 13}, g.col}
		}
		cols = append(cols, column{"Currency", "币种", 7})
		for _, l := range bucketLabels {
			cols = append(cols, column{l.EN, l.ZH, 14})
		}
		cols = append(cols, column{"Total open", "未清合计", 16}, column{"Items", "笔数", 8})
		s, err := x.sheet(g.name, cols)
		if err != nil {
			return err
		}
		after := ""
		for {
			a, err := x.r.DB.ReceivablesAgeingOf(ctx, v, g.by, asOf, f, after, 500)
			if err != nil {
				return err
			}
			for _, r := range a.Rows {
				var cells []workbook.Cell
				switch g.by {
				case "customer":
					name := r.Name
					if name == "" {
						name = r.Key
					}
					cells = []workbook.Cell{workbook.Str(r.Key), workbook.Str(name)}
				case "owner":
					cells = []workbook.Cell{x.person(r.Key)}
				default:
					cells = []workbook.Cell{workbook.Str(r.Key)}
				}
				cells = append(cells, workbook.Str(r.Currency))
				for _, b := range collection.Buckets {
					cells = append(cells, workbook.Money(r.Buckets[b]))
				}
				cells = append(cells, workbook.Money(r.Total), workbook.Int(r.Items))
				if err := s.WriteRow(cells...); err != nil {
					return err
				}
			}
			if a.Next == "" {
				break
			}
			after = a.Next
		}
		if err := s.Close(); err != nil {
			return err
		}
	}
	s, err := x.sheet(workbook.Text{EN: "Open items", ZH: "未清项"}, []column{
		{"Customer code", "客户编码", 13}, {"Customer", "客户名称", 30}, {"Deal", "商机编号", 11}, {"Invoice", "发票号", 16},
		{"Issued", "开票日期", 11}, {"Due", "到期日", 11}, {"Currency", "币种", 7}, {"Amount", "金额", 15},
		{"Open", "未清金额", 15}, {"Days overdue", "逾期天数", 10}, {"Ageing", "账龄", 12},
		{"Owner", "负责人", 14}, {"Office", "办事处", 12},
	})
	if err != nil {
		return err
	}
	err = x.r.DB.ReceivableOpenItems(ctx, v, f, func(it database.OpenItem) error {
		overdue := int64(civilTime(asOf).Sub(civilTime(it.DueOn)).Hours() / 24)
		return x.row(ctx, s,
			workbook.Str(it.CustomerCode), workbook.Str(it.CustomerName), workbook.Str(it.DealID), workbook.Str(it.Number),
			workbook.Date(civilTime(it.IssuedOn)), workbook.Date(civilTime(it.DueOn)), workbook.Str(it.Currency),
			workbook.Money(it.Amount), workbook.Money(it.Open), workbook.Int(max(overdue, 0)),
			workbook.Str(bucketLabels[bucketOf(overdue)].In(x.p.Lang)), x.person(it.Owner), workbook.Str(it.Office))
	})
	if err != nil {
		return err
	}
	return s.Close()
}

// ForecastWeeks is the forecast's horizon when none is asked for.
const ForecastWeeks = 13

func (x *export) collectionForecast(ctx context.Context) error {
	weeks := x.p.Weeks
	if weeks == 0 {
		weeks = ForecastWeeks
	}
	if weeks < 1 || weeks > 104 {
		return &ParamError{Field: "weeks", Message: "want a whole number of weeks from 1 to 104"}
	}
	x.filters = append(x.filters, [2]string{x.t("Weeks", "周数"), fmt.Sprint(weeks)})
	f, err := x.r.DB.CollectionForecast(ctx, database.ViewerOf(x.viewer), x.today(), weeks)
	if err != nil {
		return err
	}
	s, err := x.sheet(workbook.Text{EN: "Forecast", ZH: "回款预测"}, []column{
		{"Week of", "周（周一）", 12}, {"Currency", "币种", 7}, {"Expected", "预计回款", 16}, {"Instalments", "期数", 10},
	})
	if err != nil {
		return err
	}
	for _, w := range f.Weeks {
		if err := x.row(ctx, s, workbook.Date(civilTime(w.Week)), workbook.Str(w.Currency), workbook.Money(w.Expected), workbook.Int(w.Items)); err != nil {
			return err
		}
	}
	for _, w := range f.Later {
		if err := x.row(ctx, s, workbook.Str(x.t("Later", "之后")), workbook.Str(w.Currency), workbook.Money(w.Expected), workbook.Int(w.Items)); err != nil {
			return err
		}
	}
	return s.Close()
}

func (x *export) deliveriesDue(ctx context.Context) error {
	cal, err := x.r.DB.CalendarGet(ctx, calendar.DefaultID)
	if err != nil {
		cal = calendar.China()
	}
	today := x.today()
	until := database.WorkdaysAhead(cal, today, database.DeliveryHorizon)
	x.filters = append(x.filters, [2]string{x.t("Due by", "到期截至"), until.String()})
	list, err := x.r.DB.DeliveriesReport(ctx, database.ViewerOf(x.viewer), x.collectionFilter(), today, until, collectionLimit)
	if err != nil {
		return err
	}
	s, err := x.sheet(workbook.Text{EN: "Deliveries", ZH: "交付"}, []column{
		{"Deal", "商机编号", 11}, {"Title", "商机名称", 30}, {"Customer code", "客户编码", 13}, {"Customer", "客户名称", 30},
		{"Stage", "阶段", 12}, {"Delivery due", "交付日期", 11}, {"Days late", "逾期天数", 10}, {"Shipments", "发货次数", 9},
		{"Delivery owner", "交付负责人", 14}, {"Sales owner", "销售负责人", 14}, {"Office", "办事处", 12},
	})
	if err != nil {
		return err
	}
	for _, d := range list {
		stage := d.Stage
		if l, ok := stageLabels[deal.Stage(d.Stage)]; ok {
			stage = l.In(x.p.Lang)
		}
		if err := x.row(ctx, s, workbook.Str(d.DealID), workbook.Str(d.Title), workbook.Str(d.CustomerCode), workbook.Str(d.Customer),
			workbook.Str(stage), workbook.Date(civilTime(d.Due)), workbook.Int(int64(d.DaysLate)), workbook.Int(int64(d.Shipments)),
			x.person(d.DeliveryOwner), x.person(d.SalesOwner), workbook.Str(d.Office)); err != nil {
			return err
		}
	}
	return s.Close()
}

// BigDealDefaults are the big deals' threshold and window when a report
// names none (L2C_BIG_DEAL_AMOUNT, L2C_BIG_DEAL_DAYS).
var BigDealDefaults = struct {
	Amount money.Amount
	Days   int
}{100000_00, 10}

func (x *export) bigDeals(ctx context.Context) error {
	amount, days := x.p.Amount, x.p.Days
	if amount <= 0 {
		amount = BigDealDefaults.Amount
	}
	if days <= 0 {
		days = BigDealDefaults.Days
	}
	x.filters = append(x.filters, [2]string{x.t("At least", "金额不低于"), amount.String()},
		[2]string{x.t("Signed in the last days", "签约天数"), fmt.Sprint(days)})
	list, err := x.r.DB.BigDealsReport(ctx, database.ViewerOf(x.viewer), x.collectionFilter(), amount, x.now.AddDate(0, 0, -days), collectionLimit)
	if err != nil {
		return err
	}
	s, err := x.sheet(workbook.Text{EN: "Big deals", ZH: "大单"}, []column{
		{"Deal", "商机编号", 11}, {"Title", "商机名称", 30}, {"Customer code", "客户编码", 13}, {"Customer", "客户名称", 30},
		{"Currency", "币种", 7}, {"Contract amount", "合同金额", 16}, {"Signed", "签约时间", 17},
		{"Sales owner", "销售负责人", 14}, {"Office", "办事处", 12},
	})
	if err != nil {
		return err
	}
	for _, b := range list {
		if err := x.row(ctx, s, workbook.Str(b.DealID), workbook.Str(b.Title), workbook.Str(b.CustomerCode), workbook.Str(b.Customer),
			workbook.Str(b.Currency), workbook.Money(b.Amount), workbook.DateTime(b.SignedAt, x.loc),
			x.person(b.SalesOwner), workbook.Str(b.Office)); err != nil {
			return err
		}
	}
	return s.Close()
}
