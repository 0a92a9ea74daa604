package reports

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/l2c/l2c/internal/collection"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/workbook"
)

var stageLabels = map[deal.Stage]workbook.Text{
	deal.StageOpportunity:       {EN: "Opportunity", ZH: "商机"},
	deal.StageQuote:             {EN: "Quote", ZH: "报价"},
	deal.StageBid:               {EN: "Bid", ZH: "招投标"},
	deal.StageContractReview:    {EN: "Contract review", ZH: "合同评审"},
	deal.StageOrder:             {EN: "Order", ZH: "订单"},
	deal.StageDelivery:          {EN: "Delivery", ZH: "交付"},
	deal.StagePaymentCollection: {EN: "Payment collection", ZH: "回款"},
	deal.StageClosed:            {EN: "Closed (paid)", ZH: "已完成（已回款）"},
	deal.StageLost:              {EN: "Lost", ZH: "已丢单"},
}

var timeframeLabels = map[string]workbook.Text{
	string(deal.TimeframeNow):     {EN: "now", ZH: "立即"},
	string(deal.Timeframe3Months): {EN: "within 3 months", ZH: "3 个月内"},
	string(deal.Timeframe6Months): {EN: "within 6 months", ZH: "6 个月内"},
	string(deal.TimeframeOneYear): {EN: "within a year", ZH: "1 年内"},
}

func label(m map[string]workbook.Text, key string, lang workbook.Lang) string {
	if l, ok := m[key]; ok {
		return l.In(lang)
	}
	return key
}

func (x *export) pipeline(ctx context.Context) error {
	f := database.PipelineFilter{Viewer: database.ViewerOf(x.viewer), Stage: x.p.Stage, Owner: x.p.Owner, SalesOwner: x.salesOwner}
	if f.Stage != "" {
		if !deal.Stage(f.Stage).Valid() {
			return &ParamError{Field: "stage", Message: fmt.Sprintf("%q is not a stage; want one of %v", f.Stage, deal.Stages)}
		}
		x.filters = append(x.filters, [2]string{x.t("Stage", "阶段"), stageLabels[deal.Stage(f.Stage)].In(x.p.Lang)})
	}
	if f.Owner != "" {
		x.filters = append(x.filters, [2]string{x.t("Person on the deal", "相关人员"), f.Owner})
	}
	s, err := x.sheet(workbook.Text{EN: "Pipeline", ZH: "销售管道"}, []column{
		{"Deal", "商机编号", 11}, {"Title", "商机名称", 30}, {"Customer code", "客户编码", 13}, {"Customer", "客户名称", 30},
		{"Stage", "阶段", 16}, {"In stage since", "进入阶段时间", 17}, {"Days in stage", "停留天数", 10},
		{"Waiting on", "当前处理人", 16}, {"Sales owner", "销售负责人", 14}, {"Delivery owner", "交付负责人", 14},
		{"Payment owner", "货款负责人", 14}, {"Currency", "币种", 7}, {"Expected amount", "预计金额", 15},
		{"Contract amount", "合同金额", 15}, {"Invoiced", "已开票", 15}, {"Paid", "已回款", 15},
		{"Not yet paid", "未回款", 15}, {"Buying", "采购时间", 14}, {"Tendered", "招投标", 8},
		{"Opened", "创建时间", 17}, {"Closed", "关闭时间", 17}, {"Lost reason", "丢单原因", 30},
	})
	if err != nil {
		return err
	}
	lang := x.p.Lang
	yes, no := x.t("yes", "是"), x.t("no", "否")
	err = x.r.DB.ReportPipeline(ctx, f, func(d database.PipelineRow) error {
		contract, owed := workbook.Cell{}, workbook.Cell{}
		if d.ContractAmount != nil {
			contract = workbook.Money(money.Amount(*d.ContractAmount))
			owed = workbook.Money(money.Amount(*d.ContractAmount - d.Paid))
		}
		days := int64(math.Floor(x.now.Sub(d.StageEnteredAt).Hours() / 24))
		if deal.Stage(d.Stage).Terminal() {
			days = 0
		}
		tendered := no
		if d.Tendered {
			tendered = yes
		}
		closed := workbook.Cell{}
		if d.ClosedAt != nil {
			closed = workbook.DateTime(*d.ClosedAt, x.loc)
		}
		stage := d.Stage
		if l, ok := stageLabels[deal.Stage(d.Stage)]; ok {
			stage = l.In(lang)
		}
		return x.row(ctx, s,
			workbook.Str(d.ID), workbook.Str(d.Title), workbook.Str(d.CustomerCode), workbook.Str(d.CustomerName),
			workbook.Str(stage), workbook.DateTime(d.StageEnteredAt, x.loc), workbook.Int(days),
			x.person(d.Holder), x.person(d.SalesOwner), x.person(d.DeliveryOwner), x.person(d.PaymentOwner),
			workbook.Str(d.Currency), workbook.Money(money.Amount(d.ExpectedAmount)), contract,
			workbook.Money(money.Amount(d.Invoiced)), workbook.Money(money.Amount(d.Paid)), owed,
			workbook.Str(label(timeframeLabels, d.PurchaseTimeframe, lang)), workbook.Str(tendered),
			workbook.DateTime(d.CreatedAt, x.loc), closed, workbook.Str(d.LostReason))
	})
	if err != nil {
		return err
	}
	return s.Close()
}

// bucket is an ageing bracket by days overdue: its place in
// collection.Buckets, whose brackets the reports count in.
type bucket int

// numBuckets is len(collection.Buckets), as a constant for the totals'
// arrays (TestAgeingBucketsAreCollections keeps the two equal).
const numBuckets bucket = 5

var bucketLabels = [numBuckets]workbook.Text{
	{EN: "Not yet due", ZH: "未到期"}, {EN: "1–30 days", ZH: "1–30 天"}, {EN: "31–60 days", ZH: "31–60 天"},
	{EN: "61–90 days", ZH: "61–90 天"}, {EN: "Over 90 days", ZH: "90 天以上"},
}

// AgeingBuckets is how many ageing buckets there are; AgeingBucket is the
// one (0 not yet due, 1 for 1–30 days overdue, … 4 over 90) an amount
// overdue days falls in: the customer's page ages receivables as this
// report does.
const AgeingBuckets = int(numBuckets)

func AgeingBucket(overdueDays int64) int { return int(bucketOf(overdueDays)) }

func bucketOf(overdue int64) bucket { return bucket(collection.BucketIndex(int(overdue))) }

func (x *export) receivables(ctx context.Context) error {
	asOf := x.p.AsOf
	if asOf.IsZero() {
		asOf = x.now.In(x.loc)
	}
	day := time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, time.UTC)
	x.filters = append(x.filters, [2]string{x.t("As of", "截至日期"), day.Format(time.DateOnly)})
	s, err := x.sheet(workbook.Text{EN: "Receivables", ZH: "应收账款"}, []column{
		{"Customer code", "客户编码", 13}, {"Customer", "客户名称", 30}, {"Deal", "商机编号", 11},
		{"Invoice", "发票号", 16}, {"Issued", "开票日期", 11}, {"Due", "到期日", 11}, {"Currency", "币种", 7},
		{"Invoice amount", "发票金额", 15}, {"Paid", "已回款", 15}, {"Outstanding", "未回款", 15},
		{"Days overdue", "逾期天数", 10}, {"Ageing", "账龄", 12}, {"Payment owner", "货款负责人", 14},
		{"Sales owner", "销售负责人", 14},
	})
	if err != nil {
		return err
	}
	type key struct{ code, name, currency string }
	totals := map[key]*[numBuckets + 1]int64{}
	var order []key
	err = x.r.DB.ReportReceivables(ctx, day, database.ViewerOf(x.viewer), func(r database.ReceivableRow) error {
		overdue := int64(day.Sub(r.DueOn).Hours() / 24)
		b := bucketOf(overdue)
		k := key{r.CustomerCode, r.CustomerName, r.Currency}
		t := totals[k]
		if t == nil {
			t = &[numBuckets + 1]int64{}
			totals[k] = t
			order = append(order, k)
		}
		t[b] += r.Outstanding
		t[numBuckets] += r.Outstanding
		return x.row(ctx, s,
			workbook.Str(r.CustomerCode), workbook.Str(r.CustomerName), workbook.Str(r.DealID), workbook.Str(r.InvoiceNo),
			workbook.Date(r.IssuedOn), workbook.Date(r.DueOn), workbook.Str(r.Currency),
			workbook.Money(money.Amount(r.Amount)), workbook.Money(money.Amount(r.Paid)), workbook.Money(money.Amount(r.Outstanding)),
			workbook.Int(max(overdue, 0)), workbook.Str(bucketLabels[b].In(x.p.Lang)),
			x.person(r.PaymentOwner), x.person(r.SalesOwner))
	})
	if err != nil {
		return err
	}
	if err := s.Close(); err != nil {
		return err
	}

	// Totals by customer, largest first: who to call today.
	slices.SortStableFunc(order, func(a, b key) int {
		ta, tb := totals[a][numBuckets], totals[b][numBuckets]
		switch {
		case ta > tb:
			return -1
		case ta < tb:
			return 1
		}
		return strings.Compare(a.code, b.code)
	})
	cols := []column{{"Customer code", "客户编码", 13}, {"Customer", "客户名称", 30}, {"Currency", "币种", 7}}
	for _, l := range bucketLabels {
		cols = append(cols, column{l.EN, l.ZH, 14})
	}
	cols = append(cols, column{"Total outstanding", "未回款合计", 16})
	byCustomer, err := x.sheet(workbook.Text{EN: "By customer", ZH: "按客户汇总"}, cols)
	if err != nil {
		return err
	}
	for _, k := range order {
		cells := []workbook.Cell{workbook.Str(k.code), workbook.Str(k.name), workbook.Str(k.currency)}
		for _, v := range totals[k] {
			cells = append(cells, workbook.Money(money.Amount(v)))
		}
		if err := byCustomer.WriteRow(cells...); err != nil {
			return err
		}
	}
	return byCustomer.Close()
}

var kindLabels = map[string]workbook.Text{
	"contract_review": {EN: "Contract review", ZH: "合同评审"},
	"custom_order":    {EN: "Custom order", ZH: "定制订单评审"},
	"quote_discount":  {EN: "Quote discount", ZH: "报价折扣审批"},
}

func (x *export) stuckReviews(ctx context.Context) error {
	if x.p.Kind != "" {
		if _, ok := kindLabels[x.p.Kind]; !ok {
			return &ParamError{Field: "kind", Message: fmt.Sprintf("%q is not a kind of review; want contract_review, custom_order or quote_discount", x.p.Kind)}
		}
		x.filters = append(x.filters, [2]string{x.t("Kind", "类型"), label(kindLabels, x.p.Kind, x.p.Lang)})
	}
	s, err := x.sheet(workbook.Text{EN: "Stuck reviews", ZH: "滞留审批"}, []column{
		{"Case", "审批单号", 14}, {"Kind", "类型", 14}, {"Title", "标题", 30}, {"Deal", "商机编号", 11},
		{"Requested by", "申请人", 14}, {"Team", "团队", 10}, {"Stage", "审批环节", 16}, {"Round", "轮次", 6},
		{"Waiting on", "当前处理人", 14}, {"On behalf of", "代理", 14}, {"Waiting since", "等待开始", 17},
		{"Hours waiting", "已等待（小时）", 12}, {"Due", "到期时间", 17}, {"Hours overdue", "已超时（小时）", 12},
		{"Escalation level", "升级级别", 10},
	})
	if err != nil {
		return err
	}
	err = x.r.DB.ReportStuckReviews(ctx, x.p.Kind, database.ViewerOf(x.viewer), func(o database.OpenStep) error {
		due, overdue := workbook.Cell{}, workbook.Cell{}
		if o.DueAt != nil {
			due = workbook.DateTime(*o.DueAt, x.loc)
			if late := x.now.Sub(*o.DueAt); late > 0 {
				overdue = workbook.Int(int64(late.Hours()))
			}
		}
		return x.row(ctx, s,
			workbook.Str(o.CaseID), workbook.Str(label(kindLabels, o.Kind, x.p.Lang)), workbook.Str(o.Title),
			workbook.Str(o.DealID), x.person(o.Requester), workbook.Str(o.Team), workbook.Str(o.Stage),
			workbook.Int(int64(o.Round)), x.person(o.Holder), x.person(o.OnBehalfOf),
			workbook.DateTime(o.EnteredAt, x.loc), workbook.Int(int64(x.now.Sub(o.EnteredAt).Hours())),
			due, overdue, workbook.Int(int64(o.Escalated)))
	})
	if err != nil {
		return err
	}
	return s.Close()
}

var syncStatusLabels = map[string]workbook.Text{
	database.SyncRunning:   {EN: "running", ZH: "运行中"},
	database.SyncSucceeded: {EN: "succeeded", ZH: "成功"},
	database.SyncFailed:    {EN: "failed", ZH: "失败"},
	database.SyncSkipped:   {EN: "skipped", ZH: "跳过"},
}

func (x *export) syncRuns(ctx context.Context) error {
	since := x.p.Since
	if since.IsZero() {
		since = x.now.AddDate(0, 0, -30)
	}
	x.filters = append(x.filters, [2]string{x.t("Runs started since", "起始时间"), since.In(x.loc).Format("2006-01-02 15:04")})
	if x.p.Entity != "" {
		x.filters = append(x.filters, [2]string{x.t("Entity", "对象"), x.p.Entity})
	}
	s, err := x.sheet(workbook.Text{EN: "Sync runs", ZH: "同步记录"}, []column{
		{"Run", "运行编号", 30}, {"Entity", "对象", 11}, {"Trigger", "触发方式", 10}, {"Requested by", "发起人", 12},
		{"Status", "状态", 9}, {"Started", "开始时间", 17}, {"Finished", "结束时间", 17}, {"Seconds", "耗时（秒）", 9},
		{"Changes since", "增量起点", 17}, {"Pages", "页数", 7}, {"Rows read", "读取行数", 10}, {"Inserted", "新增", 9},
		{"Updated", "更新", 9}, {"Unchanged", "无变化", 9}, {"Rejected", "拒绝", 9}, {"Signalled", "通知流程", 9},
		{"Error", "错误", 50},
	})
	if err != nil {
		return err
	}
	err = x.r.DB.ReportSyncRuns(ctx, x.p.Entity, since, func(r database.SyncRun) error {
		finished, secs, from := workbook.Cell{}, workbook.Cell{}, workbook.Cell{}
		if r.FinishedAt != nil {
			finished = workbook.DateTime(*r.FinishedAt, x.loc)
			secs = workbook.Int(int64(r.FinishedAt.Sub(r.StartedAt).Seconds()))
		}
		if r.Since != nil {
			from = workbook.DateTime(*r.Since, x.loc)
		}
		return x.row(ctx, s,
			workbook.Str(r.ID), workbook.Str(r.Entity), workbook.Str(r.Trigger), x.person(r.RequestedBy),
			workbook.Str(label(syncStatusLabels, r.Status, x.p.Lang)), workbook.DateTime(r.StartedAt, x.loc), finished, secs,
			from, workbook.Int(r.Pages), workbook.Int(r.Read), workbook.Int(r.Inserted), workbook.Int(r.Updated),
			workbook.Int(r.Unchanged), workbook.Int(r.Rejected), workbook.Int(r.Signalled), workbook.Str(r.Error))
	})
	if err != nil {
		return err
	}
	return s.Close()
}
