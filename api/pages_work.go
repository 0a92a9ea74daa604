package api

import (
	"net/http"
	"slices"

	"github.com/l2c/l2c/internal/civil"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
)

// workView is My work, the page after logging in: my open deals by stage,
// my requests under review (who holds each now, for how long, until when,
// escalated or not), and what waits for my decision.
type workView struct {
	ByStage   []stageDeals
	Requests  []pendingRow
	Approvals []pendingRow
	// For delivery owners: their orders due within DueDays working days, or
	// late; for payment owners: their invoices past due and not paid.
	ShowDeliveries, ShowInvoices bool
	Deliveries                   []database.DeliveryDue
	DueDays                      int
	Invoices                     []database.InvoiceOverdue
	Today                        civil.Date
	// For payment owners: their open instalments with the ladder's next step.
	ShowInstalments bool
	Instalments     []database.OpenInstalment
	// For management: contracts of at least BigAmount signed in BigDays days.
	ShowBigDeals bool
	BigDeals     []database.BigDeal
	BigAmount    string
	BigDays      int
	// Key-account activities: for sales managers, the open ones of their
	// team's deals; for anyone, those they were named supporter of.
	ShowKeyActivities bool
	KeyActivities     []database.KeyActivity
	// MyKeyActivities are the open ones on the deals I sell: their outcomes
	// are mine to record. KAMay are the forms I may use on each activity,
	// Forms a refused one's state.
	// For sales managers and finance: the value-class changes they may
	// review, counted, with a link to the review page.
	ShowClassReview  bool
	ClassReviewCount int64
	ClassReviewMax   int64
	MyKeyActivities  []database.KeyActivity
	KAMay            map[int64]kaMay
	Forms            *dealForms
}

// classReviewCountMax is as far as My work counts the class changes to
// review; more are "more than" it.
const classReviewCountMax = 500

// deliveryHorizon is how many working days ahead a delivery owner's My work
// looks for deliveries due.
const deliveryHorizon = database.DeliveryHorizon

// management are the roles My work shows the big deals signed recently.
var management = []identity.Role{identity.RoleSalesManager, identity.RoleAdmin, identity.RoleFinance}

type stageDeals struct {
	Stage deal.Stage
	Deals []deal.Deal
}

func (p pages) myWork(w http.ResponseWriter, r *http.Request, d pageData) {
	if done := r.URL.Query().Get("done"); done == "ka_support" || done == "ka_outcome" {
		d.Notice = d.P.T("done." + done)
	}
	p.showWork(w, r, http.StatusOK, d, nil)
}

// showWork renders My work; forms is a refused form's state, or nil.
func (p pages) showWork(w http.ResponseWriter, r *http.Request, status int, d pageData, forms *dealForms) {
	d.Title, d.Nav = d.P.T("my_work"), "work"
	me := actor(r)
	if forms == nil {
		forms = &dealForms{}
	}
	v := &workView{Forms: forms}
	d.View = v
	// My deals: those I am named on, through the API's list and its predicate.
	list, err := p.DB.DealList(r.Context(), database.DealFilter{Viewer: pageViewer(r), Owner: me.ID, Limit: 200})
	if err != nil {
		p.failed(w, r, d, err)
		return
	}
	var ids []string
	for _, st := range deal.Stages {
		if st.Terminal() {
			continue
		}
		sd := stageDeals{Stage: st}
		for _, dl := range list {
			if dl.Stage == st {
				sd.Deals = append(sd.Deals, dl)
				ids = append(ids, dl.Holder)
			}
		}
		if len(sd.Deals) > 0 {
			v.ByStage = append(v.ByStage, sd)
		}
	}
	p.names(r.Context(), &d, ids...)
	// My requests under review: the open steps of the cases I asked for.
	steps, err := p.DB.Stuck(r.Context(), database.StuckFilter{Viewer: pageViewer(r), Requester: me.ID, Now: p.Now(), Limit: 200})
	if err != nil {
		p.failed(w, r, d, err)
		return
	}
	v.Requests = byCase(p.pendingRows(r, &d, steps))
	away, err := p.DB.DelegatorsOf(r.Context(), me.ID, p.Now())
	if err == nil {
		steps, err = p.DB.Inbox(r.Context(), me.ID, away, 200)
	}
	if err != nil {
		p.failed(w, r, d, err)
		return
	}
	v.Approvals = p.pendingRows(r, &d, steps)
	if err := p.ownerWork(r, &d, v); err != nil {
		p.failed(w, r, d, err)
		return
	}
	if v.ShowClassReview = mayReviewClasses(me); v.ShowClassReview {
		v.ClassReviewMax = classReviewCountMax
		if v.ClassReviewCount, err = p.DB.ClassProposalsToReviewCount(r.Context(), pageViewer(r), classReviewCountMax); err != nil {
			p.failed(w, r, d, err)
			return
		}
	}
	if err := p.keyActivitiesWork(r, &d, v); err != nil {
		p.failed(w, r, d, err)
		return
	}
	slices.SortStableFunc(v.Requests, func(a, b pendingRow) int { return a.EnteredAt.Compare(b.EnteredAt) })
	p.render(w, status, "work.html", d)
}

// ownerWork fills in what a delivery or payment owner must chase, and the big
// deals management hears of. The lists show to whoever holds such work; the
// sections show, empty or not, to the roles whose work it is.
func (p pages) ownerWork(r *http.Request, d *pageData, v *workView) error {
	ctx, me := r.Context(), actor(r)
	cal := p.workingCalendar(ctx)
	v.Today, v.DueDays = cal.DateOf(p.Now()), deliveryHorizon
	until := database.WorkdaysAhead(cal, v.Today, deliveryHorizon)
	var err error
	if v.Deliveries, err = p.DB.DeliveriesDue(ctx, me.ID, until, 200); err != nil {
		return err
	}
	if v.Invoices, err = p.DB.InvoicesOverdue(ctx, me.ID, v.Today, 200); err != nil {
		return err
	}
	if v.Instalments, err = p.DB.OpenInstalmentsOf(ctx, me.ID, v.Today, 200); err != nil {
		return err
	}
	v.ShowInstalments = len(v.Instalments) > 0 || me.Has(identity.RoleCollector)
	v.ShowDeliveries = len(v.Deliveries) > 0 || me.Has(identity.RoleDelivery)
	v.ShowInvoices = len(v.Invoices) > 0 || me.Has(identity.RoleCollector)
	if v.ShowBigDeals = me.Has(management...); v.ShowBigDeals {
		v.BigAmount, v.BigDays = d.P.Money(p.BigDeals.Amount, "CNY"), p.BigDeals.Days
		since := p.Now().AddDate(0, 0, -p.BigDeals.Days)
		if v.BigDeals, err = p.DB.BigDealsSigned(ctx, pageViewer(r), p.BigDeals.Amount, since, 50); err != nil {
			return err
		}
		var ids []string
		for _, b := range v.BigDeals {
			ids = append(ids, b.SalesOwner)
		}
		p.names(ctx, d, ids...)
	}
	return nil
}

// keyActivitiesWork fills in the key-account activities to support: a sales
// manager's team's open ones and those I support, each once, by date.
func (p pages) keyActivitiesWork(r *http.Request, d *pageData, v *workView) error {
	me := actor(r)
	team, supporting, err := keyAccountAPI{p.Deps}.toSupport(r.Context(), me)
	if err != nil {
		return err
	}
	v.KeyActivities = team
	for _, k := range supporting {
		if !slices.ContainsFunc(team, func(t database.KeyActivity) bool { return t.ID == k.ID }) {
			v.KeyActivities = append(v.KeyActivities, k)
		}
	}
	slices.SortStableFunc(v.KeyActivities, func(a, b database.KeyActivity) int {
		switch {
		case a.PlannedOn.Before(b.PlannedOn):
			return -1
		case b.PlannedOn.Before(a.PlannedOn):
			return 1
		}
		return 0
	})
	v.ShowKeyActivities = len(v.KeyActivities) > 0 || me.Has(identity.RoleSalesManager)
	if mayOwn(me) {
		if v.MyKeyActivities, err = p.DB.KeyActivitiesOwnedBy(r.Context(), me.ID, 200); err != nil {
			return err
		}
	}
	if v.KAMay, err = p.keyActivityMay(r, v.KeyActivities, v.MyKeyActivities); err != nil {
		return err
	}
	p.names(r.Context(), d, keyActivityPeople(append(slices.Clip(v.KeyActivities), v.MyKeyActivities...))...)
	return nil
}

// keyActivityPeople are the people key-account activities name.
func keyActivityPeople(list []database.KeyActivity) []string {
	var ids []string
	for _, k := range list {
		ids = append(ids, k.SalesOwner, k.PlannedBy, k.Supporter, k.AssignedBy, k.DoneBy)
	}
	return ids
}
