package i18n

import (
	"regexp"
	"strings"
)

// The business rules refuse in English (internal/deal, internal/approval,
// the workflows' validators), which is what the API answers and the audit
// trail keeps. The pages translate those messages at the edge, here: each
// known message is a pattern whose parts (IDs, dates, amounts) are carried
// into the Chinese. A message not listed stays in English, still readable,
// rather than a raw key.

type refusalText struct {
	en *regexp.Regexp
	zh string // with $1, $2 for the pattern's groups
}

func refusalPattern(en, zh string) refusalText {
	return refusalText{regexp.MustCompile("^" + en + "$"), zh}
}

var refusals = []refusalText{
	// opening a deal (the new-deal page)
	refusalPattern(`is required: name a customer from the customer master`, "必填：请从客户主数据中选择客户"),
	refusalPattern(`no customer "([^"]*)" that you may open deals for`, "没有您可以为其新建商机的客户“$1”"),
	refusalPattern(`not an amount: "([^"]*)"`, "“$1”不是金额：请写成 900000 或 900000.00"),
	// fields
	refusalPattern(`is required`, "必填"),
	refusalPattern(`is required: won or lost`, "必填：中标或未中标"),
	refusalPattern(`is required: stock or custom`, "必填：库存订单或定制订单"),
	refusalPattern(`is required to reject: say what to change`, "驳回须填写意见：请说明需要修改什么"),
	refusalPattern(`is required: whom to delegate to`, "必填：委托给谁"),
	refusalPattern(`cannot delegate to yourself`, "不能委托给自己"),
	refusalPattern(`(\S+) already has a step in this stage`, "$1 在本环节已有审批步骤"),
	refusalPattern(`(\S+) has already passed`, "$1 已经过去"),
	refusalPattern(`(\S+) is in the future`, "$1 是将来的日期"),
	refusalPattern(`(\S+) is before the issue date (\S+)`, "$1 早于开票日期 $2"),
	refusalPattern(`must be positive`, "必须大于零"),
	refusalPattern(`must not be negative`, "不能为负数"),
	refusalPattern(`at least one line is required`, "至少需要一行"),
	refusalPattern(`must be more than 0 and at most 100 \(the share of list price charged\)`, "必须大于 0 且不超过 100（按标价收取的比例）"),
	refusalPattern(`would invoice (\S+) in all, more than the contract amount (\S+)`, "开票合计将达 $1，超过合同金额 $2"),
	refusalPattern(`(\S+) is more than the (\S+) outstanding`, "$1 超过未收金额 $2"),
	refusalPattern(`no invoice (\S+) on this deal`, "本商机没有发票 $1"),
	refusalPattern(`"([^"]*)" is not a bid result: want won or lost`, "“$1”不是投标结果：应为中标或未中标"),
	refusalPattern(`"([^"]*)" is not an order kind: want stock or custom`, "“$1”不是订单类型：应为库存订单或定制订单"),
	refusalPattern(`is not a number`, "不是数字"),
	refusalPattern(`no user "([^"]*)"`, "没有用户“$1”"),
	// the value-class review page (each part of a "; "-joined message)
	refusalPattern(`invalid decision`, "决定无效"),
	refusalPattern(`nothing was decided`, "未作任何决定"),
	refusalPattern(`say why the change is rejected`, "请说明驳回的理由"),
	refusalPattern(`at most 2000 characters`, "最多 2000 字"),
	refusalPattern(`nobody decides the class of a customer they own`, "任何人都不能审核自己负责客户的等级"),
	refusalPattern(`no class proposal (\d+)`, "没有等级变更提议 $1"),
	refusalPattern(`proposal (\d+): the proposal is no longer pending`, "提议 $1 已不在待审状态"),
	refusalPattern(`proposal (\d+): the customer's class changed since the proposal was made`, "提议 $1 提出后客户等级已变更"),
	refusalPattern(`the next run proposes again`, "下次计算将重新提议"),
	refusalPattern(`is required: true or false`, "必填：批准或驳回"),
	refusalPattern(`name the proposals to decide, or send all: true`, "请指明要决定的提议"),
	// key-account activities' support and outcome forms
	refusalPattern(`is required: the user ID of who supports`, "必填：支持人的用户名"),
	refusalPattern(`no user "([^"]*)" who may be named \(unknown or disabled\)`, "没有可指派的用户“$1”（不存在或已停用）"),
	refusalPattern(`is required: what came of it`, "必填：活动取得了什么结果"),
	refusalPattern(`is over 2,000 characters`, "超过 2000 字"),
	refusalPattern(`the activity is done`, "活动已完成"),
	refusalPattern(`the outcome is recorded already`, "结果已记录"),
	// who may
	refusalPattern(`only the sales owner \((\S*)\), a sales assistant or a sales manager may do this`, "只有销售负责人（$1）、销售内勤或销售经理可以操作"),
	refusalPattern(`only the delivery owner \((\S*)\) or the delivery team may record shipments`, "只有交付负责人（$1）或交付部门可以记录发货"),
	refusalPattern(`only the payment owner \((\S*)\) or finance may record invoices`, "只有回款负责人（$1）或财务可以记录发票"),
	refusalPattern(`only the payment owner \((\S*)\), finance or a collector may record payments`, "只有回款负责人（$1）、财务或回款专员可以记录回款"),
	refusalPattern(`(\S+) sells this deal and cannot record its shipments`, "$1 是本商机的销售，不能记录发货"),
	refusalPattern(`(\S+) sells this deal and cannot record its payments`, "$1 是本商机的销售，不能记录回款"),
	refusalPattern(`only the delivery team records shipments`, "只有交付部门可以记录发货"),
	refusalPattern(`invoices come from the ERP or from finance \(and not from whoever sells the deal\)`, "发票只能来自 ERP 或财务（不能由本商机的销售记录）"),
	refusalPattern(`a payment recorded by hand needs finance or a collector`, "手工记录回款须由财务或回款专员操作"),
	refusalPattern(`(\S+) owns this deal and cannot review it`, "$1 是本商机的负责人，不能审批"),
	refusalPattern(`(\S+) requested this review and cannot decide it`, "$1 是本审批的申请人，不能审批"),
	refusalPattern(`(\S+) holds no open step to delegate`, "$1 没有可委托的待办审批"),
	refusalPattern(`(\S+) holds no step of the current stage \((\S+)\); it waits on (.+)`, "$1 不是当前环节（$2）的审批人；当前等待 $3"),
	refusalPattern(`case (\S+) is (\S+); there is nothing to decide`, "审批 $1 状态为 $2，没有可决定的内容"),
	refusalPattern(`case (\S+) is (\S+); there is nothing to delegate`, "审批 $1 状态为 $2，没有可委托的内容"),
	refusalPattern(`only the requester and the approvers can comment on case (\S+)`, "只有申请人和审批人可以对审批 $1 留言"),
	// promises to pay (api/collection.go)
	refusalPattern(`is required: the day the customer says they will pay`, "必填：客户承诺的付款日"),
	refusalPattern(`(\S+) has passed`, "$1 已经过去"),
	refusalPattern(`is more than a year away`, "超过一年之后"),
	refusalPattern(`is required and must be positive`, "必填，且必须大于零"),
	refusalPattern(`(\S+) is more than the (\S+) still open`, "$1 超过未收金额 $2"),
	refusalPattern(`at most 2000 characters`, "最多 2000 个字"),
	refusalPattern(`invalid promise to pay`, "付款承诺无效"),
	refusalPattern(`whoever sells the deal does not collect it: the payment owner records promises`, "本商机的销售不负责回款：付款承诺由回款负责人记录"),
	refusalPattern(`only the payment owner \((\S*)\), a collector or finance may record a promise to pay`, "只有回款负责人（$1）、回款专员或财务可以记录付款承诺"),
	refusalPattern(`deal (\S+) has no open instalment (\d+)`, "商机 $1 没有未结清的第 $2 期"),
	refusalPattern(`the deal has no collection plan to promise against`, "本商机没有回款计划，无法记录付款承诺"),
	refusalPattern(`the dunning queue is for finance, collectors and administrators`, "催收队列仅供财务、回款专员和管理员使用"),
}

// Refusal is a business rule's refusal in the printer's language: the
// message as the rules wrote it in English, or its Chinese. Several
// messages joined with "; " are translated one by one.
func (p Printer) Refusal(msg string) string {
	if p.Lang != Chinese || msg == "" {
		return msg
	}
	parts := strings.Split(msg, "; ")
	for i, part := range parts {
		for _, r := range refusals {
			if m := r.en.FindStringSubmatchIndex(part); m != nil {
				parts[i] = string(r.en.ExpandString(nil, r.zh, part, m))
				break
			}
		}
	}
	return strings.Join(parts, "；")
}
