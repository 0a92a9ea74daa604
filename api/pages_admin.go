package api

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/i18n"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
)

// The administrators' pages: routing rules (each kind's stages, and a form
// to edit them that shows every validation error next to its field), the
// working calendar, and the users. They save through the API's functions
// (approvals.saveRuleSet, calendars.save), so the page refuses what the API
// refuses, with the same messages.

// admin lets only administrators in; others are told so, as by the API.
func (p pages) admin(page func(http.ResponseWriter, *http.Request, pageData)) func(http.ResponseWriter, *http.Request, pageData) {
	return p.onlyAdmins("admin", "only administrators manage routing rules, calendars and users", page)
}

// onlyAdmins runs page for administrators, under the header link nav; to
// anyone else it says msg (the API's refusal) and does nothing.
func (p pages) onlyAdmins(nav, msg string, page func(http.ResponseWriter, *http.Request, pageData)) func(http.ResponseWriter, *http.Request, pageData) {
	return func(w http.ResponseWriter, r *http.Request, d pageData) {
		d.Nav = nav
		if !d.User.Has(identity.RoleAdmin) {
			p.message(w, http.StatusForbidden, d, d.P.T("forbidden"), msg)
			return
		}
		page(w, r, d)
	}
}

// rulesListView is /admin/rules: every kind's rules as they stand.
type rulesListView struct{ Sets []approval.RuleSet }

func (p pages) rulesList(w http.ResponseWriter, r *http.Request, d pageData) {
	d.Title = d.P.T("routing_rules")
	v := &rulesListView{}
	var ids []string
	for _, k := range approval.Kinds {
		rs, err := p.DB.ApprovalRulesLatest(r.Context(), k)
		if err != nil {
			p.failed(w, r, d, err)
			return
		}
		v.Sets = append(v.Sets, rs)
		for _, id := range rs.Users() {
			ids = append(ids, id)
		}
	}
	p.names(r.Context(), &d, ids...)
	d.View = v
	p.render(w, http.StatusOK, "rules.html", d)
}

// rulesForm is the edit form of a kind's rules: one row per stage and an
// empty one to add a stage, as typed, with the messages by field name
// ("stages[1].sla_hours", as the API names them).
type rulesForm struct {
	Kind     approval.Kind
	Version  int
	Distinct bool
	Stages   []stageRow
	Error    string
	Errors   fieldErrors
}

// stageRow is one stage's fields as text.
type stageRow struct {
	Index                                              int
	Name, Approvers, Rule, SLA, Remind, AtLeast, Below string
	Custom, Nonstandard, NonTemplate, BelowMin, Inputs string
	Classes                                            string // customer_class_in, "A, B1"
	Reassign                                           bool
}

// Err is the message for field f of row s ("sla_hours", "approvers", ...).
func (f *rulesForm) Err(s stageRow, field string) string {
	return f.Errors[fmt.Sprintf("stages[%d].%s", s.Index, field)]
}

func (p pages) rulesEdit(w http.ResponseWriter, r *http.Request, d pageData) {
	kind := approval.Kind(chi.URLParam(r, "kind"))
	if !kind.Valid() {
		p.failed(w, r, d, problem(http.StatusNotFound, probNotFound, fmt.Sprintf("no kind of review %q", kind)))
		return
	}
	rs, err := p.DB.ApprovalRulesLatest(r.Context(), kind)
	if err != nil {
		p.failed(w, r, d, err)
		return
	}
	if r.URL.Query().Get("done") == "saved" {
		d.Notice = d.P.T("rules_saved", rs.Version)
	}
	f := &rulesForm{Kind: kind, Version: rs.Version, Distinct: rs.Distinct(), Errors: fieldErrors{}}
	for i, st := range rs.Stages {
		f.Stages = append(f.Stages, rowOf(i, st))
	}
	p.showRules(w, http.StatusOK, d, f)
}

func (p pages) showRules(w http.ResponseWriter, status int, d pageData, f *rulesForm) {
	d.Title = d.P.Kind(f.Kind) + " · " + d.P.T("routing_rules")
	d.Here = "/admin/rules/" + string(f.Kind)
	f.Stages = append(f.Stages, stageRow{Index: len(f.Stages), Rule: string(approval.RuleAny)}) // a stage to add
	d.View = f
	p.render(w, status, "rule.html", d)
}

func rowOf(i int, st approval.StageRule) stageRow {
	row := stageRow{Index: i, Name: st.Name, Approvers: strings.Join(st.Approvers, ", "), Rule: string(st.Rule),
		SLA: strconv.Itoa(st.SLAHours), Remind: strconv.Itoa(st.RemindBeforeHours), Reassign: st.ReassignOnEscalation,
		Inputs: strings.Join(st.Inputs, ", ")}
	if c := st.When; c != nil {
		if c.AmountAtLeast != nil {
			row.AtLeast = c.AmountAtLeast.String()
		}
		if c.AmountBelow != nil {
			row.Below = c.AmountBelow.String()
		}
		tri := func(b *bool) string {
			if b == nil {
				return ""
			}
			return strconv.FormatBool(*b)
		}
		row.Custom, row.Nonstandard, row.NonTemplate, row.BelowMin = tri(c.CustomProducts), tri(c.NonstandardPaymentTerms),
			tri(c.NonTemplateContract), tri(c.DiscountBelowMinimum)
		row.Classes = strings.Join(c.CustomerClassIn, ", ")
	}
	return row
}

// ruleField hands one field of a stage's row to the rules form's templates.
func ruleField(p i18n.Printer, f *rulesForm, row stageRow, field, value, label, hint string) map[string]any {
	return map[string]any{"P": p, "Row": row, "Field": field, "Value": value, "Label": label, "Hint": hint,
		"Error": f.Err(row, field)}
}

// approverWords says who an approver of the rules is: a person by name,
// anyone with a role, or the requester's manager.
func approverWords(p i18n.Printer, a string) string {
	if id, ok := strings.CutPrefix(a, "user:"); ok {
		return p.Person(id)
	}
	if a == "manager" {
		return p.T("requester_manager")
	}
	return p.Person(a) // role:<role>
}

// conditionWords says when a stage applies.
func conditionWords(p i18n.Printer, c *approval.Condition) string {
	if c == nil {
		return p.T("always")
	}
	var parts []string
	if c.AmountAtLeast != nil {
		parts = append(parts, p.T("when_amount_at_least", p.Money(*c.AmountAtLeast, "")))
	}
	if c.AmountBelow != nil {
		parts = append(parts, p.T("when_amount_below", p.Money(*c.AmountBelow, "")))
	}
	if c.CustomerClassIn != nil {
		parts = append(parts, p.T("when_customer_class_in", strings.Join(c.CustomerClassIn, p.T("list_sep"))))
	}
	for _, f := range []struct {
		name string
		v    *bool
	}{{"custom_products", c.CustomProducts}, {"nonstandard_payment_terms", c.NonstandardPaymentTerms},
		{"non_template_contract", c.NonTemplateContract}, {"discount_below_minimum", c.DiscountBelowMinimum}} {
		if f.v != nil {
			yes := p.T("yes")
			if !*f.v {
				yes = p.T("no")
			}
			parts = append(parts, p.T("fact."+f.name)+p.T("colon")+yes)
		}
	}
	return strings.Join(parts, p.T("list_sep"))
}

// listSplit splits a list typed with commas, 、 or spaces.
var listSplit = regexp.MustCompile(`[\s,，、]+`)

func splitList(s string) []string {
	var out []string
	for _, x := range listSplit.Split(strings.TrimSpace(s), -1) {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

// rulesSave reads the form into a rule set (a number or amount that is not
// one is refused next to its field, before anything else is checked), then
// saves it through the API's saveRuleSet: every message its validation
// gives is shown next to the field it names, and nothing is saved.
func (p pages) rulesSave(w http.ResponseWriter, r *http.Request, d pageData) {
	kind := approval.Kind(chi.URLParam(r, "kind"))
	if !kind.Valid() {
		p.failed(w, r, d, problem(http.StatusNotFound, probNotFound, fmt.Sprintf("no kind of review %q", kind)))
		return
	}
	if err := r.ParseForm(); err != nil {
		p.failed(w, r, d, problem(http.StatusBadRequest, probInvalidQuery, "the form could not be read"))
		return
	}
	f := &rulesForm{Kind: kind, Distinct: r.PostFormValue("distinct_approvers") == "true", Errors: fieldErrors{}}
	f.Version, _ = strconv.Atoi(r.PostFormValue("version"))
	rs := approval.RuleSet{Kind: kind, DistinctApprovers: &f.Distinct}
	n, _ := strconv.Atoi(r.PostFormValue("stages"))
	for i := 0; i < n && i < 50; i++ {
		v := func(name string) string { return strings.TrimSpace(r.PostFormValue(fmt.Sprintf("s%d.%s", i, name))) }
		row := stageRow{Index: len(f.Stages), Name: v("name"), Approvers: v("approvers"), Rule: v("rule"), SLA: v("sla_hours"),
			Remind: v("remind_before_hours"), AtLeast: v("amount_at_least"), Below: v("amount_below"), Custom: v("custom_products"),
			Nonstandard: v("nonstandard_payment_terms"), NonTemplate: v("non_template_contract"), BelowMin: v("discount_below_minimum"),
			Inputs: v("inputs"), Classes: v("customer_class_in"), Reassign: v("reassign_on_escalation") == "true"}
		if row.Name == "" && row.Approvers == "" || v("remove") == "true" {
			continue // an empty row, or one marked to remove: not a stage
		}
		f.Stages = append(f.Stages, row)
		rs.Stages = append(rs.Stages, f.stageOf(row, d))
	}
	if len(f.Errors) == 0 {
		if _, err := (approvals{p.Deps}).saveRuleSet(r, rs); err != nil {
			pr := asProblem(err, p.Log, r)
			var fe fieldErrors
			f.Error, fe = refusal(pr)
			for k, m := range fe {
				// Each approver's message goes next to the approvers field.
				if i := strings.Index(k, ".approvers["); i >= 0 {
					k = k[:i] + ".approvers"
				}
				// And each class's next to the classes field.
				if i := strings.Index(k, ".when.customer_class_in"); i >= 0 {
					k = k[:i] + ".customer_class_in"
				}
				if f.Errors[k] != "" {
					m = f.Errors[k] + "; " + m
				}
				f.Errors[k] = m
			}
			p.showRules(w, pr.Status, d, f)
			return
		}
		http.Redirect(w, r, "/admin/rules/"+string(kind)+"?done=saved", http.StatusSeeOther)
		return
	}
	f.Error = d.P.T("check_fields")
	p.showRules(w, http.StatusUnprocessableEntity, d, f)
}

// stageOf reads row into a stage, noting in f.Errors a field that is not
// what it must be (a whole number, an amount, true or false).
func (f *rulesForm) stageOf(row stageRow, d pageData) approval.StageRule {
	key := func(field string) string { return fmt.Sprintf("stages[%d].%s", row.Index, field) }
	num := func(field, s string) int {
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			f.Errors[key(field)] = d.P.T("want_whole_number")
		}
		return n
	}
	amount := func(field, s string) *money.Amount {
		if s == "" {
			return nil
		}
		a, err := money.Parse(strings.ReplaceAll(s, ",", ""))
		if err != nil {
			f.Errors[key(field)] = d.P.T("want_amount")
			return nil
		}
		return &a
	}
	tri := func(s string) *bool {
		if s == "" {
			return nil
		}
		b := s == "true"
		return &b
	}
	st := approval.StageRule{Stage: approval.Stage{Name: row.Name, Approvers: splitList(row.Approvers), Rule: approval.Rule(row.Rule),
		SLAHours: num("sla_hours", row.SLA), RemindBeforeHours: num("remind_before_hours", row.Remind),
		ReassignOnEscalation: row.Reassign, Inputs: splitList(row.Inputs)}}
	c := approval.Condition{AmountAtLeast: amount("when", row.AtLeast), AmountBelow: amount("when", row.Below),
		CustomProducts: tri(row.Custom), NonstandardPaymentTerms: tri(row.Nonstandard), NonTemplateContract: tri(row.NonTemplate),
		DiscountBelowMinimum: tri(row.BelowMin), CustomerClassIn: splitList(row.Classes)}
	if !c.Empty() {
		st.When = &c
	}
	return st
}

// calendarView is /admin/calendars: the company calendar and its form.
type calendarView struct {
	Spec calendar.Spec
	// The form, as text: weekdays ticked, hours "09:00-12:00, 13:00-18:00",
	// one exception day a line ("2026-10-01 holiday 国庆节").
	Weekdays    map[string]bool
	Hours, Days string
	Error       string
	Errors      fieldErrors
}

// AllWeekdays are the weekdays in the calendar's own words, Monday first.
func (v *calendarView) AllWeekdays() []string {
	return []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
}

func (p pages) calendarPage(w http.ResponseWriter, r *http.Request, d pageData) {
	if r.URL.Query().Get("done") == "saved" {
		d.Notice = d.P.T("calendar_saved")
	}
	c := p.workingCalendar(r.Context())
	s := c.Spec()
	v := &calendarView{Spec: s, Weekdays: map[string]bool{}, Errors: fieldErrors{}}
	for _, wd := range s.Weekdays {
		v.Weekdays[wd] = true
	}
	var hours, days []string
	for _, h := range s.Hours {
		hours = append(hours, h.Start+"-"+h.End)
	}
	for _, dy := range s.Days {
		days = append(days, strings.TrimSpace(dy.Date+" "+string(dy.Kind)+" "+dy.Name))
	}
	v.Hours, v.Days = strings.Join(hours, ", "), strings.Join(days, "\n")
	p.showCalendar(w, http.StatusOK, d, v)
}

func (p pages) showCalendar(w http.ResponseWriter, status int, d pageData, v *calendarView) {
	d.Title, d.Here, d.View = d.P.T("calendar"), "/admin/calendars", v
	p.render(w, status, "calendar.html", d)
}

// calendarSave reads the form into a calendar and saves it through the
// API's calendars.save: its messages go next to the fields they name (a
// day's message next to the days, with the line it is on).
func (p pages) calendarSave(w http.ResponseWriter, r *http.Request, d pageData) {
	if err := r.ParseForm(); err != nil {
		p.failed(w, r, d, problem(http.StatusBadRequest, probInvalidQuery, "the form could not be read"))
		return
	}
	v := &calendarView{Weekdays: map[string]bool{}, Hours: r.PostFormValue("hours"), Days: r.PostFormValue("days"), Errors: fieldErrors{}}
	s := calendar.Spec{ID: calendar.DefaultID, Name: strings.TrimSpace(r.PostFormValue("name")),
		TimeZone: strings.TrimSpace(r.PostFormValue("time_zone")), Weekdays: []string{}, Days: []calendar.Day{}}
	for _, wd := range r.PostForm["weekdays"] {
		v.Weekdays[wd] = true
		s.Weekdays = append(s.Weekdays, wd)
	}
	for _, h := range splitList(v.Hours) {
		start, end, _ := strings.Cut(h, "-")
		s.Hours = append(s.Hours, calendar.Period{Start: start, End: end})
	}
	for _, line := range strings.Split(v.Days, "\n") {
		parts := strings.Fields(line)
		if len(parts) == 0 {
			continue
		}
		dy := calendar.Day{Date: parts[0]}
		if len(parts) > 1 {
			dy.Kind = calendar.DayKind(parts[1])
		}
		if len(parts) > 2 {
			dy.Name = strings.Join(parts[2:], " ")
		}
		s.Days = append(s.Days, dy)
	}
	v.Spec = s
	if _, err := (calendars{p.Deps}).save(r, calendar.DefaultID, s); err != nil {
		pr := asProblem(err, p.Log, r)
		var fe fieldErrors
		v.Error, fe = refusal(pr)
		for k, m := range fe {
			field := k
			if i := strings.IndexAny(k, "[."); i >= 0 {
				field = k[:i]
			}
			if m2 := itemIndex.FindStringSubmatch(k); m2 != nil {
				// Which line of the days, or which period of the hours.
				n, _ := strconv.Atoi(m2[1])
				m = d.P.T("item_n", n+1) + d.P.T("colon") + m
			}
			if v.Errors[field] != "" {
				m = v.Errors[field] + "; " + m
			}
			v.Errors[field] = m
		}
		p.showCalendar(w, pr.Status, d, v)
		return
	}
	http.Redirect(w, r, "/admin/calendars?done=saved", http.StatusSeeOther)
}

// itemIndex finds the index in a field name such as days[3].date.
var itemIndex = regexp.MustCompile(`^[a-z_]+\[(\d+)\]`)

// usersView is /admin/users.
type usersView struct{ Users []database.UserRow }

func (p pages) userList(w http.ResponseWriter, r *http.Request, d pageData) {
	d.Title = d.P.T("users")
	list, err := p.DB.UserList(r.Context())
	if err != nil {
		p.failed(w, r, d, err)
		return
	}
	var ids []string
	for _, u := range list {
		ids = append(ids, u.ID, u.Manager)
	}
	p.names(r.Context(), &d, ids...)
	d.View = &usersView{Users: list}
	p.render(w, http.StatusOK, "users.html", d)
}
