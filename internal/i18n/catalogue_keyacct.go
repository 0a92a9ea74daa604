package i18n

// The words of key-account activities (攻关活动, issue 14 item 2): My work's
// section for managers and supporters, the deal page's list and timeline,
// and their forms (support, outcome).
// Merged into the catalogue at start; a key both hold panics.
var keyAccountCatalogue = map[string]entry{
	"key_activities":            {"攻关活动", "Key-account activities"},
	"key_activities_to_support": {"待支持的攻关活动", "Key-account activities to support"},
	"no_key_activities":         {"没有攻关活动。", "No key-account activities."},
	"ka_kind":                   {"活动", "Activity"},
	"ka_planned_on":             {"计划日期", "Planned on"},
	"ka_goal":                   {"目标", "Goal"},
	"ka_support_wanted":         {"需要的支持", "Support wanted"},
	"ka_supporter":              {"支持人", "Supporter"},
	"ka_no_supporter":           {"待安排", "not assigned yet"},
	"ka_outcome":                {"结果", "Outcome"},
	"ka_open":                   {"计划中", "planned"},
	"ka_kind.tech_exchange":     {"技术交流", "Technical exchange"},
	"ka_kind.exec_visit":        {"高层拜访", "Executive visit"},
	"ka_kind.site_visit":        {"参观考察", "Site visit"},
	"ka_kind.demo":              {"产品演示", "Demo"},
	"ka_timeline.plan":          {"计划攻关活动：%s（%s）", "Key-account activity planned: %s (%s)"},
	"ka_timeline.support":       {"安排攻关支持：%s", "Support assigned: %s"},
	"ka_timeline.outcome":       {"攻关活动完成：%s", "Key-account activity done: %s"},
	// the forms: a manager names the supporter, the owner records the outcome
	"my_key_activities":   {"我的攻关活动（待记录结果）", "My key-account activities (outcome to record)"},
	"ka_support_note":     {"支持说明", "Note for the supporter"},
	"ka_outcome_note":     {"活动结果", "What came of it"},
	"ka_do_support":       {"指派支持人", "Assign support"},
	"ka_do_support_again": {"更换支持人", "Change the supporter"},
	"ka_do_outcome":       {"记录结果", "Record the outcome"},
	"done.ka_support":     {"已指派支持人。", "Support is assigned."},
	"done.ka_outcome":     {"已记录活动结果。", "The outcome is recorded."},
}

func init() { merge(keyAccountCatalogue) }
