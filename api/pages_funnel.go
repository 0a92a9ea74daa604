package api

import (
	"fmt"
	"net/http"

	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/funnel"
)

// The funnel page (/funnel): the same figures as GET /api/v1/funnel and
// /api/v1/funnel/forecast, for the same people, each counting the deals
// they see: conversion and time in stage, the probability used and where
// it came from, the weighted forecast by month beside the owners' commit
// categories, and the open deals behind it.

type funnelView struct {
	Owner, Since string
	Errors       fieldErrors
	Funnel       funnel.Funnel
	Forecast     funnel.Forecast
}

// Pct is basis points as a percent, or a dash.
func (funnelView) Pct(v any) string {
	switch b := v.(type) {
	case *int:
		if b == nil {
			return "—"
		}
		return deal.Percent(int64(*b)).String() + "%"
	case int:
		return deal.Percent(int64(b)).String() + "%"
	}
	return "—"
}

// Days is a figure of days to one decimal, or a dash.
func (funnelView) Days(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f", *v)
}

func (p pages) funnelPage(w http.ResponseWriter, r *http.Request, d pageData) {
	d.Title, d.Nav = d.P.T("funnel"), "funnel"
	q := r.URL.Query()
	v := &funnelView{Owner: q.Get("owner"), Since: q.Get("since"), Errors: fieldErrors{}}
	d.View = v
	h := funnelAPI{p.Deps}
	f, err := h.funnelFilter(r)
	if err == nil {
		v.Funnel, err = h.computed(r.Context(), f)
	}
	if err == nil {
		var ds []funnel.OpenDeal
		if ds, err = h.DB.ForecastDeals(r.Context(), f); err == nil {
			v.Forecast = funnel.Weigh(ds, v.Funnel, p.Now(), p.Location)
			var owners []string
			for _, x := range v.Forecast.Deals {
				owners = append(owners, x.SalesOwner)
			}
			p.names(r.Context(), &d, owners...)
		}
	}
	p.renderFiltered(w, r, d, "funnel.html", &v.Errors, err)
}
