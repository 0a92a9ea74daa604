package api

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strconv"

	"github.com/l2c/l2c/internal/customerimport"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/workbook"
)

// The imports pages: upload a customer workbook, see each import's progress
// and report, download its annotated result and the template. Uploads go
// through the API's own import (imports.slot, readUpload, imports.run), so
// the same files are refused with the same messages; who sees an import is
// the API's rule (ImportGetFor, ImportListFor).

// importsView is /imports: the upload form and the imports the viewer sees.
type importsView struct {
	MayImport bool
	// All: the list holds everyone's imports the viewer may see (?by=all,
	// for sales managers and admins), not only their own.
	All, MaySeeAll bool
	Imports        []database.ImportJob
	// A refused upload: the message, by field, and the import it recorded.
	Error    string
	Errors   fieldErrors
	Refused  int64
	Mode     string
	DryRun   bool
	Template string // the template's language: zh or en
}

func (p pages) importList(w http.ResponseWriter, r *http.Request, d pageData) {
	p.showImports(w, r, http.StatusOK, d, &importsView{Errors: fieldErrors{}})
}

func (p pages) showImports(w http.ResponseWriter, r *http.Request, status int, d pageData, v *importsView) {
	d.Title, d.Nav = d.P.T("imports"), "imports"
	me := actor(r)
	v.MayImport = customerimport.CanImport(me)
	v.MaySeeAll = me.Has(identity.RoleSalesManager, identity.RoleAdmin)
	v.All = v.MaySeeAll && r.URL.Query().Get("by") == "all"
	v.Template = d.Lang
	by := me.ID
	if v.All {
		by = ""
	}
	list, err := p.DB.ImportListFor(r.Context(), pageViewer(r), by, 0, 50)
	if err != nil {
		p.failed(w, r, d, err)
		return
	}
	v.Imports = list
	var ids []string
	for _, j := range list {
		ids = append(ids, j.CreatedBy)
	}
	p.names(r.Context(), &d, ids...)
	d.View = v
	p.render(w, status, "imports.html", d)
}

// importUpload takes the upload form: the API's slot and upload reading,
// then the form's CSRF token (a part of the multipart body), then the
// API's import. It answers with the import's page, or the form with the
// refusal next to its field.
func (p pages) importUpload(w http.ResponseWriter, r *http.Request, d pageData) {
	h := imports{p.Deps}
	d.Here = "/imports"
	v := &importsView{Errors: fieldErrors{}}
	refuse := func(err error) {
		pr := asProblem(err, p.Log, r)
		v.Error, v.Errors = refusal(pr)
		if len(v.Errors) == 0 {
			v.Errors["file"], v.Error = v.Error, d.P.T("check_fields")
		}
		p.showImports(w, r, pr.Status, d, v)
	}
	release, err := h.slot(w, r)
	if err != nil {
		refuse(err)
		return
	}
	defer release()
	up, err := readUpload(w, r, workbook.DefaultLimits().MaxFileBytes)
	if got := up.field(csrfField); subtle.ConstantTimeCompare([]byte(got), []byte(d.CSRF)) != 1 || got == "" {
		// Nothing is read further, nor recorded, without the session's token.
		p.message(w, http.StatusForbidden, d, d.P.T("forbidden"), "missing or wrong CSRF token: reload the page and send the file again")
		return
	}
	v.Mode, v.DryRun = up.field("mode"), up.field("dry_run") == "true"
	if err != nil {
		refuse(err)
		return
	}
	rep, err := h.run(r, up)
	if err != nil {
		if rep != nil {
			v.Refused = rep.ID
		}
		refuse(err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/imports/%d", rep.ID), http.StatusSeeOther)
}

// importView is one import's page.
type importPageView struct {
	Job    database.ImportJob
	Report importView
	// Running: the page reloads itself (a meta refresh, no script) until it is done.
	Running bool
}

func (p pages) importPage(w http.ResponseWriter, r *http.Request, d pageData) {
	h := imports{p.Deps}
	job, err := h.find(r)
	if err != nil {
		p.failed(w, r, d, err)
		return
	}
	rep, err := jobView(job)
	if err != nil {
		p.failed(w, r, d, err)
		return
	}
	d.Title, d.Nav = d.P.T("import")+" "+strconv.FormatInt(job.ID, 10)+" · "+job.FileName, "imports"
	d.View = &importPageView{Job: job, Report: rep, Running: job.Status == string(customerimport.StatusRunning)}
	p.names(r.Context(), &d, job.CreatedBy)
	p.render(w, http.StatusOK, "import.html", d)
}

// importResult downloads an import's annotated workbook, as the API does.
func (p pages) importResult(w http.ResponseWriter, r *http.Request, d pageData) {
	if err := (imports{p.Deps}).result(w, r); err != nil {
		p.failed(w, r, d, err)
	}
}

// importTemplate downloads the import template in the page's language
// (or the one asked for with ?lang=).
func (p pages) importTemplate(w http.ResponseWriter, r *http.Request, d pageData) {
	p.download(w, r, d, imports{p.Deps}.template)
}
