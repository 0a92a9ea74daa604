package i18n

// The words the pages' review added (issue 11 as its users try it): the
// deal list's filters by person, holder and age, who holds a deal on a
// credit hold. Merged into the catalogue at start; a key both hold panics.
var reviewCatalogue = map[string]entry{
	"owner_person":      {"负责人", "Owner"},
	"hint.person":       {"姓名或用户名，例如 李娜 或 li", "a name or user name, e.g. Li Na or li"},
	"in_stage_for":      {"在当前阶段", "In its stage for"},
	"any_age":           {"不限", "any time"},
	"at_least_days":     {"%s 天以上", "%s days or more"},
	"days_in_stage":     {"已 %d 天", "%d days"},
	"nobody_named":      {"没有名为“%s”的人", "nobody is named “%s”"},
	"several_named":     {"有几位：%s，请写全名或用户名", "that could be %s: type the whole name or the user name"},
	"bad_stage_days":    {"请选择天数（0 到 %d）", "choose a number of days (0 to %d)"},
	"held_for_credit":   {"财务（信用冻结放行）", "finance (credit hold)"},
	"quote_lines":       {"报价明细（第 %d 版）", "Quote lines (revision %d)"},
	"description":       {"说明", "Description"},
	"list_price":        {"标价", "List price"},
	"line_amount":       {"小计", "Amount"},
	"list_total":        {"标价合计", "List total"},
	"chain_so_far":      {"已审批", "The chain so far"},
	"next_run":          {"下次自动同步", "Next scheduled run"},
	"schedule_off":      {"未启用", "off"},
	"hint.customer":     {"名称的一部分或客户编码", "a part of its name, or its code"},
	"no_customer_named": {"您可见的客户中没有“%s”", "none of the customers you see is “%s”"},
	"several_customers": {"有几个客户：%s，请写得更完整或写编码", "that could be %s: type more of the name, or the code"},
}

func init() { merge(reviewCatalogue) }
