package i18n

// The words of the computed value classes (issue 14, item 3): the class and
// its factors on the customer page, and the customer_class_in condition in
// the rule editor. Merged into the catalogue at start like the workspace's.
var classesCatalogue = map[string]entry{
	"class_section":          {"客户等级及依据", "Value class and why"},
	"class_held":             {"当前等级", "Class held"},
	"class_computed":         {"%s 计算的等级", "Computed on %s"},
	"class_not_computed":     {"尚未计算。", "Not computed yet."},
	"class_pending":          {"待审核的变更：%s → %s", "Change awaiting review: %s → %s"},
	"class.revenue":          {"近 %d 天开票收入", "Invoiced in the last %d days"},
	"class.share":            {"占总收入", "Share of the total"},
	"class.before":           {"排在前面的客户合计", "Customers ranked above"},
	"class.rank":             {"排名", "Rank"},
	"class.days_to_pay":      {"平均付款天数", "Days to pay"},
	"class.on_time":          {"按期付款比例", "Paid on time"},
	"class.longest_overdue":  {"最长逾期", "Longest overdue"},
	"class.not_graded":       {"无到期发票，未评付款等级", "nothing fell due: not graded"},
	"class.rule_abc":         {"A：累计前 %s 的收入；B：其后 %s；C：其余", "A: the customers making the first %s of revenue; B: the next %s; C: the rest"},
	"class.rule_grade":       {"付款等级 %d：付款天数 ≤ %d，按期 ≥ %s，逾期 ≤ %d 天", "Payment grade %d: days to pay ≤ %d, on time ≥ %s, overdue ≤ %d days"},
	"class.rule_grade3":      {"付款等级 3：超出等级 2 的任一条件", "Payment grade 3: beyond any bound of grade 2"},
	"class.rules":            {"适用的阈值", "Thresholds applied"},
	"fact.customer_class_in": {"客户等级属于", "customer class is one of"},
	"when_customer_class_in": {"客户等级为 %s", "customer class %s"},
	"hint.customer_class_in": {"A、B、C，或带付款等级如 A1、C3，用逗号分隔；空表示不限", "A, B, C, or with the payment grade such as A1, C3, separated by commas; empty: any"},
}

func init() { merge(classesCatalogue) }
