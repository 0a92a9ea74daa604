package i18n

import "fmt"

// The words of the value-class review page (/classes/review) and its link on
// My work: the pending class changes a sales manager or finance may decide.
// Merged into the catalogue at start; a key both hold panics.
var classReviewCatalogue = map[string]entry{
	"class_review":           {"客户等级变更审核", "Value-class changes to review"},
	"class_review_intro":     {"夜间计算提出的等级变更，批准后才生效；您负责的客户由他人审核。", "The nightly run proposes these changes; each applies once approved. Customers you own are reviewed by others."},
	"class_review_none":      {"没有待您审核的等级变更。", "No value-class change waits for your review."},
	"class_review_link":      {"待您审核的等级变更 %d 项", "%d value-class changes wait for your review"},
	"class_review_link_many": {"待您审核的等级变更超过 %d 项", "More than %d value-class changes wait for your review"},
	"class_review_open":      {"打开审核页", "Open the review page"},
	"class_change":           {"变更", "Change"},
	"class_factors":          {"依据", "Factors"},
	"class_decision":         {"决定", "Decision"},
	"class_no_owner":         {"无负责人", "no owner"},
	"class_proposed_on":      {"提出于", "proposed"},
	"class_note":             {"意见（驳回必填）", "Note (required to reject)"},
	"class_approve":          {"批准", "Approve"},
	"class_reject":           {"驳回", "Reject"},
	"done.class_approved":    {"已批准等级变更。", "The class change is approved."},
	"done.class_rejected":    {"已驳回等级变更。", "The class change is rejected."},
}

func init() {
	for k, e := range classReviewCatalogue {
		if _, dup := catalogue[k]; dup {
			panic(fmt.Sprintf("i18n: key %q is in the catalogue twice", k))
		}
		catalogue[k] = e
	}
}
