package api

import (
	"net/http"
	"slices"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
)

// workView is My work, the page after logging in: my open deals by stage,
// my requests under review (who holds each now, for how long, until when,
// escalated or not), and what waits for my decision.
type workView struct {
	ByStage   []stageDeals
	Requests  []pendingRow
	Approvals []pendingRow
}

type stageDeals struct {
	Stage deal.Stage
	Deals []deal.Deal
}

func (p pages) myWork(w http.ResponseWriter, r *http.Request, d pageData) {
	d.Title, d.Nav = d.P.T("my_work"), "work"
	me := actor(r)
	v := &workView{}
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
	slices.SortStableFunc(v.Requests, func(a, b pendingRow) int { return a.EnteredAt.Compare(b.EnteredAt) })
	p.render(w, http.StatusOK, "work.html", d)
}
