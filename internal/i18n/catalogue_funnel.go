package i18n

// The words of the funnel and forecast (issue 14, item 4): the /funnel page
// and the deal page's forecast form; and of market activities (item 2). Merged into the catalogue at start; a
// key both hold panics.
var funnelCatalogue = map[string]entry{
	"funnel":                {"销售漏斗", "Funnel"},
	"funnel_stages":         {"阶段转化", "Stage to stage"},
	"funnel_entered":        {"进入", "Entered"},
	"funnel_moved_on":       {"推进", "Moved on"},
	"funnel_lost":           {"丢单", "Lost"},
	"funnel_open":           {"停留中", "In it now"},
	"funnel_conversion":     {"转化率", "Conversion"},
	"funnel_days":           {"停留天数（平均 / 中位）", "Days in stage (mean / median)"},
	"funnel_probability":    {"赢单概率", "Probability of the order"},
	"funnel_source.history": {"历史（样本 %d）", "history (sample %d)"},
	"funnel_source.ladder":  {"默认（样本 %d，不足 %d）", "default (sample %d, below %d)"},
	"funnel_deals":          {"统计商机 %d 个", "%d deals counted"},
	"funnel_none":           {"—", "—"},
	"forecast":              {"加权预测（按预计下单月份）", "Weighted forecast (by expected order month)"},
	"forecast_month":        {"月份", "Month"},
	"forecast_no_month":     {"未定", "not set"},
	"forecast_count":        {"商机数", "Deals"},
	"forecast_weighted":     {"加权金额", "Weighted"},
	"forecast_commit":       {"承诺", "Commit"},
	"forecast_best_case":    {"乐观", "Best case"},
	"forecast_deals":        {"在途商机", "Open deals"},
	"forecast_empty":        {"没有在途商机。", "No open deals."},
	"forecast_owner_call":   {"销售判断", "Owner's call"},
	"value.pipeline":        {"储备", "pipeline"},
	"value.best_case":       {"乐观", "best case"},
	"value.commit":          {"承诺", "commit"},
	"do.set_forecast":       {"更新预测", "Set the forecast"},
	"hint.month":            {"格式 YYYY-MM，可不填", "as YYYY-MM; optional"},
	"funnel_owner_hint":     {"用户名，不填为全部可见商机", "a user name; empty for every deal you see"},
	"funnel_since":          {"起始日期（商机创建）", "Opened from"},

	// Market activities (item 2): the approvers' case.
	"kind.market_activity":   {"市场活动申请", "Market activity"},
	"field.activity":         {"活动", "Activity"},
	"field.department":       {"部门", "Department"},
	"field.quarter":          {"季度", "Quarter"},
	"field.budget_lines":     {"预算明细", "Budget lines"},
	"field.total":            {"合计", "Total"},
	"field.budget_remaining": {"剩余预算（申请前）", "Budget remaining (before this)"},
	"step.management":        {"管理层审批", "Management approval"},
}

func init() { merge(funnelCatalogue) }
