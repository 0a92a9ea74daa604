package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

type entry struct{ zh, en string }

// merge adds a feature's words (catalogue_*.go, each from its init) to the
// catalogue. A key already there is a mistake, and panics at start rather
// than showing one of the two texts.
func merge(words map[string]entry) {
	for k, e := range words {
		if _, dup := catalogue[k]; dup {
			panic(fmt.Sprintf("i18n: key %q is in the catalogue twice", k))
		}
		catalogue[k] = e
	}
}

// The texts live in catalogue/*.tsv, one file a feature, embedded in the
// program and read at start. A file is read line by line:
//
//   - a line that is empty or begins with "#" is a note for whoever
//     translates, and is skipped (a line may end in \r\n as well as \n);
//   - any other line is a row of three fields split by tabs: the key, the
//     Chinese, the English;
//   - a text is as it is written (quotes, "%s" and the other verbs T fills
//     in, a "%" of its own), but for a backslash, which escapes: \t a tab,
//     \n a line break, \\ a backslash, \s a space. A text that begins or
//     ends with a space writes that space as \s, so that an editor trimming
//     lines cannot change it;
//   - an empty field is an empty text (Has says false, and the tests want
//     every key in both languages).
//
// A row that is not that (not three fields, an empty key or one with a
// space in it, a field beginning or ending with a raw space, another
// backslash) stops the program at start naming its file and line; so does a
// key that two rows define, in one file or in two, rather than showing one
// of the two texts.
//
//go:embed catalogue/*.tsv
var catalogueFiles embed.FS

// loadCatalogue reads every catalogue/*.tsv of files.
func loadCatalogue(files fs.FS) (map[string]entry, error) {
	names, err := fs.Glob(files, "catalogue/*.tsv")
	if err != nil {
		return nil, err
	}
	words := map[string]entry{}
	where := map[string]string{} // key: the file:line defining it
	for _, name := range names {
		data, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, err
		}
		for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			at := fmt.Sprintf("%s:%d", path.Base(name), i+1)
			line = strings.TrimSuffix(line, "\r")
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			key, e, err := parseRow(line)
			if err != nil {
				return nil, fmt.Errorf("i18n: %s: %w", at, err)
			}
			if first, dup := where[key]; dup {
				return nil, fmt.Errorf("i18n: %s: key %q is in the catalogue twice (first at %s)", at, key, first)
			}
			words[key], where[key] = e, at
		}
	}
	return words, nil
}

// parseRow reads one row: key, Chinese and English, split by tabs.
func parseRow(line string) (string, entry, error) {
	f := strings.Split(line, "\t")
	if len(f) != 3 {
		return "", entry{}, fmt.Errorf("%d fields, want 3 (key, Chinese, English) split by tabs", len(f))
	}
	if f[0] == "" || strings.ContainsAny(f[0], " \\") {
		return "", entry{}, fmt.Errorf("key %q: want one word, without spaces or backslashes", f[0])
	}
	var texts [2]string
	for i, lang := range []string{"Chinese", "English"} {
		t, err := unescape(f[i+1])
		if err != nil {
			return "", entry{}, fmt.Errorf("key %s, %s: %w", f[0], lang, err)
		}
		texts[i] = t
	}
	return f[0], entry{texts[0], texts[1]}, nil
}

// unescape reads a text's \t, \n, \\ and \s.
func unescape(s string) (string, error) {
	if strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") {
		return "", fmt.Errorf("%q begins or ends with a raw space: write it as \\s", s)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i == len(s) {
			return "", fmt.Errorf("%q ends in a lone backslash: write it as \\\\", s)
		}
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 's':
			b.WriteByte(' ')
		case '\\':
			b.WriteByte('\\')
		default:
			return "", fmt.Errorf("%q: \\%c is no escape (\\t, \\n, \\s, \\\\ are)", s, s[i])
		}
	}
	return b.String(), nil
}

// catalogue holds every text the pages show. Keys with a prefix name things
// the domain defines: stage.<deal stage>, kind.<kind of review>,
// step.<approval stage in the routing rules>, action.<history entry>,
// field.<reviewed field>, status.<case or step status>, role.<role>.
var catalogue = map[string]entry{
	// frame
	"app":         {"l2c 线索到回款", "l2c lead to cash"},
	"nav":         {"主导航", "Main navigation"},
	"my_work":     {"我的工作", "My work"},
	"deals":       {"商机", "Deals"},
	"inbox":       {"我的审批", "My approvals"},
	"stuck":       {"超时审批", "Stuck reviews"},
	"logout":      {"退出", "Log out"},
	"login":       {"登录", "Log in"},
	"user":        {"用户名", "User"},
	"password":    {"密码", "Password"},
	"sso":         {"使用公司账号登录", "Log in with your company account"},
	"expired":     {"登录页已过期，请重试。", "The login form expired; please try again."},
	"language":    {"语言", "Language"},
	"lang.zh":     {"中文", "中文"},
	"lang.en":     {"English", "English"},
	"skip":        {"跳到正文", "Skip to content"},
	"forbidden":   {"无权访问", "Not allowed"},
	"not_found":   {"未找到", "Not found"},
	"unavailable": {"暂时无法读取，请稍后重试。", "This could not be read right now; try again."},
	"print":       {"打印", "Print"},
	"none":        {"无", "None"},
	"show":        {"显示", "Show"},
	"all":         {"全部", "All"},
	"next_page":   {"下一页", "Next page"},
	"first_page":  {"第一页", "First page"},
	"today":       {"今天", "today"},
	"tomorrow":    {"明天", "tomorrow"},
	"yesterday":   {"昨天", "yesterday"},
	"weekday.0":   {"周日", "Sun"},
	"weekday.1":   {"周一", "Mon"},
	"weekday.2":   {"周二", "Tue"},
	"weekday.3":   {"周三", "Wed"},
	"weekday.4":   {"周四", "Thu"},
	"weekday.5":   {"周五", "Fri"},
	"weekday.6":   {"周六", "Sat"},

	"working_hours":    {"%s 工作小时", "%s working hours"},
	"in_review_of":     {"%s审批中", "in %s"},
	"anyone_with_role": {"任一%s", "any %s"},
	"person.system":    {"系统", "l2c"},
	"person.erp":       {"ERP", "the ERP"},

	// my work
	"my_open_deals":    {"我的在办商机", "My open deals"},
	"my_requests":      {"我提交的审批", "My requests under review"},
	"my_approvals":     {"待我审批", "Waiting for my decision"},
	"no_open_deals":    {"没有在办的商机。", "No open deals."},
	"no_requests":      {"没有审批中的申请。", "Nothing of yours is under review."},
	"no_approvals":     {"没有待您处理的审批。", "Nothing waits for you."},
	"held_by":          {"当前处理人", "Held by"},
	"held_for":         {"已等待", "Waiting for"},
	"due":              {"截止", "Due"},
	"escalation":       {"升级级别", "Escalation"},
	"escalation_none":  {"未升级", "not escalated"},
	"escalation_level": {"已升级 %d 级", "escalated %d×"},
	"overdue":          {"已超时", "overdue"},
	"overdue_by":       {"超时 %s", "overdue by %s"},
	"count_deals":      {"%d 个", "%d"},

	// deals
	"deal":             {"商机", "Deal"},
	"title":            {"名称", "Title"},
	"customer":         {"客户", "Customer"},
	"stage":            {"阶段", "Stage"},
	"owner":            {"负责人", "Owner"},
	"owners":           {"负责人", "Owners"},
	"expected_amount":  {"预计金额", "Expected amount"},
	"contract_amount":  {"合同金额", "Contract amount"},
	"invoiced":         {"已开票", "Invoiced"},
	"paid":             {"已回款", "Paid"},
	"in_stage_since":   {"进入阶段", "In stage since"},
	"filter":           {"筛选", "Filter"},
	"apply":            {"查询", "Apply"},
	"customer_code":    {"客户编码", "Customer code"},
	"owner_id":         {"负责人（用户名）", "Owner (user name)"},
	"pipeline":         {"销售漏斗", "Pipeline"},
	"count":            {"数量", "Deals"},
	"amount":           {"金额", "Amount"},
	"no_deals":         {"没有符合条件的商机。", "No deals match."},
	"list":             {"列表", "List"},
	"owner.sales":      {"销售", "Sales"},
	"owner.discoverer": {"发现人", "Discoverer"},
	"owner.delivery":   {"交付", "Delivery"},
	"owner.payment":    {"回款", "Collection"},
	"timeline":         {"过程记录", "Timeline"},
	"when":             {"时间", "When"},
	"who":              {"谁", "Who"},
	"what":             {"事项", "What"},
	"waited":           {"等待", "Waited"},
	"comment":          {"意见", "Comment"},
	"now_waiting":      {"当前等待：", "Now waiting for: "},
	"waiting_line":     {"%s（%s），%s，%s", "%s (%s), %s, %s"},
	"due_at":           {"截止 %s", "due %s"},
	"no_due":           {"无截止时间", "no due time"},
	"then_escalates":   {"，之后升级至 %s", ", then escalates to %s"},
	"unknown_stage":    {"没有这个阶段，请从列表中选择。", "No such stage; pick one from the list."},
	"list_sep":         {"、", ", "},
	"waiting_stage":    {"%s（%s阶段），%s", "%s (%s stage), %s"},
	"nothing_waiting":  {"无需等待任何人。", "Nothing to wait for."},
	"quotes":           {"报价", "Quotes"},
	"revision":         {"版本", "Revision"},
	"discount":         {"折扣", "Discount"},
	"net_total":        {"净额", "Net total"},
	"valid_until":      {"有效期至", "Valid until"},
	"contract":         {"合同", "Contract"},
	"order":            {"订单", "Order"},
	"shipments":        {"发货", "Shipments"},
	"invoices":         {"发票", "Invoices"},
	"payments":         {"回款", "Payments"},
	"reviews":          {"审批", "Reviews"},
	"review_case":      {"审批单", "Review case"},
	"lost_reason":      {"丢单原因", "Lost because"},
	"moved_to":         {"→ %s", "→ %s"},

	// the deal page: the order in the ERP and its delivery follow-up
	"erp_order":             {"ERP 订单", "ERP order"},
	"erp_order.waiting":     {"正在 ERP 中创建", "being created in the ERP"},
	"erp_order.created":     {"已在 ERP 中创建", "created in the ERP"},
	"erp_order.sent":        {"已发给 ERP 导入，订单号待回传", "sent for the ERP to import; its number follows"},
	"erp_order.linked":      {"已关联 ERP 中已有订单", "linked to an order the ERP holds"},
	"erp_order.refused":     {"ERP 拒绝了此订单", "refused by the ERP"},
	"erp_waiting":           {"等待 ERP", "Waiting for the ERP"},
	"erp_waiting.order":     {"订单自 %s 起等待 ERP", "order waiting for the ERP since %s"},
	"erp_waiting.shipments": {"发货信息自 %s 起未能从 ERP 读取", "shipments not read from the ERP since %s"},
	"follow_up":             {"交付跟进", "Delivery follow-up"},
	"follow_up.reminded":    {"%s 已提醒交付负责人", "delivery owner reminded %s"},
	"follow_up.alerted":     {"%s 到期提醒", "due-day alert %s"},
	"follow_up.escalated":   {"%s 已上报其上级（第 %d 次）", "manager told %s (%d times)"},

	// the deal page's forms
	"actions":              {"操作", "Actions"},
	"do.submit_quote":      {"提交报价", "Submit a quote"},
	"do.accept_quote":      {"客户已接受报价", "The customer accepted the quote"},
	"do.submit_contract":   {"提交合同评审", "Submit the contract for review"},
	"done.submit_quote":    {"报价已提交。", "The quote was submitted."},
	"done.accept_quote":    {"已记录客户接受报价。", "The quote's acceptance was recorded."},
	"done.submit_contract": {"合同已提交评审。", "The contract was submitted for review."},
	"field.sku":            {"产品编码", "Product code (SKU)"},
	"field.quantity":       {"数量", "Quantity"},
	"field.unit_price":     {"单价（元）", "Unit price"},
	"hint.discount":        {"例如 90 表示九折；不填为 100", "e.g. 90 charges 90% of list price; empty is 100"},
	"hint.date":            {"格式 YYYY-MM-DD", "as YYYY-MM-DD"},

	// approvals
	"case":             {"单号", "Case"},
	"request":          {"申请", "Request"},
	"requester":        {"申请人", "Requester"},
	"step":             {"步骤", "Step"},
	"waiting":          {"已等待", "Waiting"},
	"decision":         {"审批", "Decision"},
	"for":              {"代", "for"},
	"note":             {"意见（驳回时必填）", "Note (required to reject)"},
	"approve":          {"同意", "Approve"},
	"reject":           {"驳回", "Reject"},
	"approved_notice":  {"已同意：%s", "Approved: %s"},
	"rejected_notice":  {"已驳回：%s", "Rejected: %s"},
	"subject":          {"审批内容", "What is reviewed"},
	"before_after":     {"修改前 → 修改后", "Before → after"},
	"changed":          {"已修改", "changed"},
	"customer_terms":   {"客户标准：%s", "customer's standard: %s"},
	"customer_min":     {"客户最低折扣：%s", "customer's minimum: %s"},
	"below_min":        {"低于客户最低折扣", "below the customer's minimum"},
	"nonstandard":      {"非标准条款", "not the standard terms"},
	"standard":         {"标准条款", "the standard terms"},
	"chain":            {"审批链", "Approval chain"},
	"comments":         {"留言", "Comments"},
	"no_comments":      {"暂无留言。", "No comments."},
	"add_comment":      {"留言", "Add a comment"},
	"send_comment":     {"发送留言", "Send the comment"},
	"commented_notice": {"留言已发送。", "The comment was added."},
	"round":            {"第 %d 轮", "round %d"},
	"decided":          {"决定", "Decided"},
	"status":           {"状态", "Status"},
	"open_case":        {"查看审批单", "Open the case"},
	"min_age":          {"至少等待（小时）", "Waiting at least (hours)"},
	"team":             {"团队", "Team"},
	"holder":           {"处理人（用户名）", "Holder (user name)"},
	"kind":             {"类型", "Kind"},
	"stage_times":      {"各审批步骤从进入到决定的工作小时（平均 / P90）", "Working hours from entry to decision per approval stage (average / P90)"},
	"avg":              {"平均", "average"},
	"stuck_empty":      {"没有超时或在办的审批。", "No open reviews."},
	"opened":           {"发起", "Opened"},
	"check_fields":     {"未提交：请按标出的提示修改。", "Not sent: see the marked fields."},
	"colon":            {"：", ": "},

	// pagesperf (issue 11): the chart as its own picture, My work per role,
	// the deal's and the case's remaining forms
	"stage_times_alt":      {"各审批步骤平均与 P90 工作小时图", "Chart of average and P90 working hours per approval stage"},
	"stage_times_none":     {"还没有已决定的审批步骤。", "No approval step has been decided yet."},
	"my_deliveries":        {"我负责的交付（%d 个工作日内到期或已逾期）", "My deliveries due (in the next %d working days, or late)"},
	"no_deliveries":        {"没有即将到期的交付。", "No delivery is due."},
	"delivery_due":         {"约定交期", "Delivery due"},
	"late":                 {"已逾期", "late"},
	"my_invoices_overdue":  {"我负责的逾期发票", "My invoices overdue"},
	"no_invoices_overdue":  {"没有逾期未收的发票。", "No invoice is overdue."},
	"invoice":              {"发票", "Invoice"},
	"invoice_due":          {"到期日", "Due on"},
	"open_amount":          {"未收金额", "Still open"},
	"big_deals":            {"近期签约大单（%s 以上，%d 天内）", "Big deals signed recently (%s or more, last %d days)"},
	"no_big_deals":         {"近期没有签约大单。", "No big deal was signed recently."},
	"sales_owner":          {"销售负责人", "Sales owner"},
	"signed_at":            {"签约时间", "Signed"},
	"do.record_bid":        {"记录投标结果", "Record the bid"},
	"do.assign_owners":     {"指定交付和回款负责人", "Name the delivery and payment owners"},
	"do.place_order":       {"下订单", "Place the order"},
	"do.record_shipment":   {"记录发货", "Record a shipment"},
	"do.record_invoice":    {"记录发票", "Record an invoice"},
	"do.record_payment":    {"记录回款", "Record a payment"},
	"do.mark_lost":         {"标记丢单", "Mark the deal lost"},
	"done.record_bid":      {"投标结果已记录。", "The bid was recorded."},
	"done.assign_owners":   {"负责人已指定。", "The owners were named."},
	"done.place_order":     {"订单已下达。", "The order was placed."},
	"done.record_shipment": {"发货已记录。", "The shipment was recorded."},
	"done.record_invoice":  {"发票已记录。", "The invoice was recorded."},
	"done.record_payment":  {"回款已记录。", "The payment was recorded."},
	"done.mark_lost":       {"已标记丢单。", "The deal was marked lost."},
	"field.result":         {"投标结果", "Result"},
	"field.bid_no":         {"标书编号", "Bid no."},
	"field.delivery_owner": {"交付负责人", "Delivery owner"},
	"field.payment_owner":  {"回款负责人", "Payment owner"},
	"field.shipment_no":    {"发货单号", "Shipment no."},
	"field.shipped_on":     {"发货日期", "Shipped on"},
	"field.carrier":        {"承运人", "Carrier"},
	"field.final":          {"最后一批（全部发完）", "Final shipment (all delivered)"},
	"field.invoice_no":     {"发票号", "Invoice no."},
	"field.issued_on":      {"开票日期", "Issued on"},
	"field.due_on":         {"到期日", "Due on"},
	"field.payment_ref":    {"回款凭证号", "Payment reference"},
	"field.received_on":    {"到账日期", "Received on"},
	"value.won":            {"中标", "won"},
	"value.lost":           {"未中标", "lost"},
	"hint.user_id":         {"例如 zhou", "a user name, such as zhou"},
	"hint.optional":        {"可不填", "optional"},
	"delegate_step":        {"转交我的审批", "Hand my step to a colleague"},
	"delegate_to":          {"转交给", "Hand to"},
	"do.delegate":          {"转交", "Hand over"},
	"delegated_notice":     {"已转交。", "Handed over."},
	// pagesperf end

	// deal stages (deal.Stages)
	"stage.opportunity":        {"商机", "Opportunity"},
	"stage.quote":              {"报价", "Quote"},
	"stage.bid":                {"招投标", "Bid"},
	"stage.contract_review":    {"合同评审", "Contract review"},
	"stage.order":              {"订单", "Order"},
	"stage.delivery":           {"交付", "Delivery"},
	"stage.payment_collection": {"回款", "Payment collection"},
	"stage.closed":             {"已完成", "Closed"},
	"stage.lost":               {"已丢单", "Lost"},

	// kinds of review (approval.Kinds)
	"kind.quote_discount":      {"折扣审批", "Discount approval"},
	"kind.contract_review":     {"合同评审", "Contract review"},
	"kind.custom_order":        {"定制订单评审", "Custom order review"},
	"kind.terms_change":        {"客户条款变更", "Customer terms change"},
	"kind.credit_hold":         {"信用冻结放行", "Credit hold"},
	"kind.customer_onboarding": {"新客户审批", "New customer"},
	"kind.plan_change":         {"回款计划变更", "Collection plan change"},

	// approval stages named in the seeded routing rules
	"step.sales_manager":   {"销售经理审批", "Sales manager approval"},
	"step.finance":         {"财务审批", "Finance approval"},
	"step.legal":           {"法务审批", "Legal approval"},
	"step.general_manager": {"总经理审批", "General manager approval"},
	"step.technical":       {"技术评审", "Technical review"},
	"step.market_manager":  {"市场管理部审批", "Market management approval"},
	"step.sales_director":  {"销售总监审批", "Sales director approval"},
	"step.finance_manager": {"财务经理审批", "Finance manager approval"},

	// deal history (deal.ActionName, deal.ActOpen and the entries nobody asks for)
	"action.open":                {"创建商机", "Opened the deal"},
	"action.submit_quote":        {"提交报价", "Submitted a quote"},
	"action.accept_quote":        {"客户接受报价", "Quote accepted"},
	"action.record_bid":          {"记录投标结果", "Recorded the bid"},
	"action.submit_contract":     {"提交合同评审", "Submitted the contract for review"},
	"action.approve_contract":    {"合同评审通过", "Approved the contract"},
	"action.reject_contract":     {"合同评审驳回", "Rejected the contract"},
	"action.place_order":         {"下订单", "Placed the order"},
	"action.approve_order":       {"订单评审通过", "Approved the order"},
	"action.reject_order":        {"订单评审驳回", "Rejected the order"},
	"action.record_shipment":     {"记录发货", "Recorded a shipment"},
	"action.record_invoice":      {"记录发票", "Recorded an invoice"},
	"action.record_payment":      {"记录回款", "Recorded a payment"},
	"action.mark_lost":           {"标记丢单", "Marked lost"},
	"action.assign_owners":       {"指定负责人", "Assigned owners"},
	"action.set_collection_plan": {"制定回款计划", "Set the collection plan"},
	"action.record_acceptance":   {"记录验收", "Recorded the acceptance"},
	"action.hand_over":           {"移交商机", "Handed over"},
	"action.set_forecast":        {"更新预测", "Set the forecast"},
	"action.review_approved":     {"审批通过", "Review approved"},
	"action.review_returned":     {"审批退回", "Review returned"},
	"action.review_rejected":     {"审批驳回", "Review rejected"},
	"action.review_withdrawn":    {"审批撤回", "Review withdrawn"},
	"action.expire_quote":        {"报价过期", "Quote expired"},
	"action.delivery_overdue":    {"交付逾期", "Delivery overdue"},
	"action.erp_invoice":         {"ERP 发票", "Invoice from the ERP"},
	"action.erp_payment":         {"ERP 回款", "Payment from the ERP"},
	"action.step_entered":        {"进入 %s", "Entered %s"},
	"action.step_approved":       {"%s：同意", "%s: approved"},
	"action.step_rejected":       {"%s：驳回", "%s: rejected"},
	"action.step_pending":        {"%s：待审批", "%s: waiting"},
	"action.step_skipped":        {"%s：跳过", "%s: skipped"},
	"action.step_carried":        {"%s：沿用上轮同意", "%s: approval carried over"},
	"action.step_withdrawn":      {"%s：撤回", "%s: withdrawn"},

	// history entries of the order in the ERP and its delivery follow-up
	"action.erp_order_created":  {"ERP 订单已创建", "Order created in the ERP"},
	"action.erp_order_refused":  {"ERP 拒绝订单", "Order refused by the ERP"},
	"action.resend_order":       {"重新发送订单至 ERP", "Re-sent the order to the ERP"},
	"do.resend_order":           {"原因已处理，重新发送订单至 ERP", "The cause is fixed: re-send the order to the ERP"},
	"done.resend_order":         {"订单已重新发送至 ERP。", "The order was sent to the ERP again."},
	"action.erp_waiting":        {"等待 ERP", "Waiting for the ERP"},
	"action.erp_answered":       {"ERP 已恢复应答", "The ERP answered again"},
	"action.erp_shipment":       {"ERP 发货", "Shipment from the ERP"},
	"action.erp_confirmed":      {"ERP 确认交期", "Delivery day confirmed by the ERP"},
	"action.delivery_reminder":  {"交付提醒", "Delivery reminder"},
	"action.delivery_due_today": {"今日到期交付", "Delivery due today"},
	"action.delivery_escalated": {"交付逾期上报", "Late delivery escalated"},

	// reviewed fields (the subject of a case)
	"field.contract_no":        {"合同编号", "Contract no."},
	"field.amount":             {"金额", "Amount"},
	"field.payment_terms":      {"付款条件", "Payment terms"},
	"field.template":           {"合同模板", "Contract template"},
	"field.template_id":        {"模板编号", "Template ID"},
	"field.quote_total":        {"报价净额", "Quote total"},
	"field.effective_discount": {"实际折扣", "Effective discount"},
	"field.discount":           {"折扣", "Discount"},
	"field.customer_minimum":   {"客户最低折扣", "Customer's minimum discount"},
	"field.net_total":          {"净额", "Net total"},
	"field.valid_until":        {"有效期至", "Valid until"},
	"field.kind":               {"订单类型", "Order kind"},
	"field.delivery_due":       {"交付日期", "Delivery due"},
	"field.erp_order_no":       {"ERP 订单号", "ERP order no."},
	"field.customer":           {"客户", "Customer"},
	"field.min_discount":       {"最低折扣", "Minimum discount"},
	"field.credit_limit":       {"信用额度", "Credit limit"},
	"field.reason":             {"原因", "Reason"},
	"field.note":               {"意见", "Note"},
	"field.approve":            {"审批", "Decision"},
	// The subjects of credit holds, new customers and plan changes.
	"field.address":              {"地址", "Address"},
	"field.tax_id":               {"税号", "Tax ID"},
	"field.commit_category":      {"承诺类别", "Commit category"},
	"field.expected_order_month": {"预计下单月份", "Expected order month"},
	"field.sales_owner":          {"客户经理", "Sales owner"},
	"field.advances":             {"预收款", "Advances received"},
	"field.contract":             {"合同", "Contract"},
	"field.deal":                 {"商机", "Deal"},
	"field.order":                {"订单", "Order"},
	"field.exposure":             {"信用占用", "Exposure"},
	"field.held_because":         {"冻结原因", "Held because"},
	"field.open_receivables":     {"未收应收款", "Open receivables"},
	"field.unbilled_orders":      {"已下单未开票", "Orders not yet invoiced"},
	"field.oldest_overdue_days":  {"最长逾期天数", "Longest overdue (days)"},
	"field.released_allowance":   {"已放行额度", "Released allowance"},
	"field.plan":                 {"回款计划", "Collection plan"},
	"field.interest_bp":          {"逾期利率（基点/年）", "Late interest (bp a year)"},
	"value.standard":             {"标准模板", "standard"},
	"value.non-standard":         {"非标准模板", "non-standard"},
	"value.stock":                {"库存订单", "stock"},
	"value.custom":               {"定制订单", "custom"},

	// statuses
	"status.in_review":        {"审批中", "in review"},
	"status.returned":         {"已退回", "returned"},
	"status.approved":         {"已同意", "approved"},
	"status.withdrawn":        {"已撤回", "withdrawn"},
	"status.pending":          {"待审批", "waiting"},
	"status.rejected":         {"已驳回", "rejected"},
	"status.skipped":          {"已跳过", "skipped"},
	"status.carried":          {"沿用", "carried over"},
	"status.open":             {"已发出", "open"},
	"status.accepted":         {"已接受", "accepted"},
	"status.expired":          {"已过期", "expired"},
	"status.superseded":       {"已替换", "superseded"},
	"status.pending_approval": {"待审批", "waiting for approval"},
	"status.not_needed":       {"无需评审", "not needed"},

	// roles (identity.Role)
	"role.sales":           {"销售", "sales rep"},
	"role.sales_assistant": {"销售内勤", "sales assistant"},
	"role.sales_manager":   {"销售经理", "sales manager"},
	"role.market_manager":  {"市场管理部经理", "market manager"},
	"role.finance":         {"财务", "finance"},
	"role.delivery":        {"交付", "delivery"},
	"role.collector":       {"回款专员", "collector"},
	"role.admin":           {"管理员", "admin"},
}
