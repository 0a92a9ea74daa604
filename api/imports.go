package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/l2c/l2c/internal/customerimport"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/workbook"
)

// imports serves /api/v1/imports: customer workbooks in, results and
// templates out.
type imports struct{ Deps }

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// importView is an import as the API shows it: its report, and where to get
// the annotated workbook.
type importView struct {
	*customerimport.Report
	RowsRead  int    `json:"rows_read,omitempty"` // progress while running
	ResultURL string `json:"result_url,omitempty"`
}

// customers imports an uploaded customer workbook: multipart/form-data with a
// "file" part, or the file as the body with its own content type. mode,
// dry_run and lang come as query parameters (or form fields). It answers 201
// with the report whatever became of the rows (see status), and 422 when the
// file as a whole cannot be used.
//
// Each import holds up to 50 MB of file and more of work, so a replica runs
// only Limits.Imports of them at once; the next is told to come back (429,
// Retry-After) before a byte of its upload is read.
func (h imports) customers(w http.ResponseWriter, r *http.Request) error {
	release, err := h.slot(w, r)
	if err != nil {
		return err
	}
	defer release()
	up, err := readUpload(w, r, workbook.DefaultLimits().MaxFileBytes)
	if err != nil {
		return err
	}
	rep, err := h.run(r, up)
	if rep != nil && rep.ID != 0 {
		w.Header().Set("Location", fmt.Sprintf("/api/v1/imports/%d", rep.ID))
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, view(rep))
}

// slot checks the caller may import and takes one of the replica's import
// slots (release gives it back); with none free it is a 429 before a byte of
// the upload is read.
func (h imports) slot(w http.ResponseWriter, r *http.Request) (release func(), err error) {
	if !customerimport.CanImport(actor(r)) {
		return nil, problem(http.StatusForbidden, probForbidden, customerimport.ErrForbidden.Error())
	}
	select {
	case h.importing <- struct{}{}:
		return func() { <-h.importing }, nil
	default:
		// Without reading the body, the connection cannot be reused: close it
		// rather than let the server drain up to 50 MB.
		w.Header().Set("Connection", "close")
		p := problem(http.StatusTooManyRequests, probBusy, fmt.Sprintf("%d imports are running here already; try again shortly", cap(h.importing)))
		p.retryAfter = 10 * time.Second
		return nil, p
	}
}

// run imports an uploaded workbook with the upload's mode, dry_run and
// lang, for the API and the imports page alike.
func (h imports) run(r *http.Request, up upload) (*customerimport.Report, error) {
	mode, err := customerimport.ParseMode(up.field("mode"))
	if err != nil {
		return nil, problem(http.StatusBadRequest, probInvalidQuery, "unknown import mode",
			deal.FieldError{Field: "mode", Message: "want all-or-nothing (the default) or accept-valid"})
	}
	dry, err := boolParam(up.field("dry_run"))
	if err != nil {
		return nil, problem(http.StatusBadRequest, probInvalidQuery, "dry_run is true or false",
			deal.FieldError{Field: "dry_run", Message: "want true or false"})
	}
	lang, explicit := requestLang(r, up.field("lang"))
	if !explicit {
		lang = "" // the result speaks the language of the file's header
	}
	im := customerimport.New(h.DB, h.Log, h.Location)
	im.Now = h.Now
	// Rows of customers l2c does not know become new-customer requests.
	im.Onboard = OnboardImported(h.Deps, actor(r))
	// The import's start and end are audited with its job row (database.WithAudit).
	ctx := database.WithAudit(r.Context(), h.Audit, h.Now)
	rep, err := im.Run(ctx, customerimport.Request{FileName: up.name, Data: up.data, Mode: mode, DryRun: dry, Lang: lang, Actor: actor(r)})
	var fe *workbook.FileError
	if errors.As(err, &fe) {
		shown, _ := requestLang(r, up.field("lang"))
		status := http.StatusUnprocessableEntity
		if fe.Kind == workbook.ErrTooLarge {
			status = http.StatusRequestEntityTooLarge
		}
		return rep, problem(status, ProblemKind(fe.Kind), fe.Text.In(shown))
	}
	return rep, err
}

// OnboardImported is what a customer import does with the rows of customers
// l2c does not know, over the API, on the imports page and in `l2c import`
// alike: each becomes a new-customer request as me (a customer_onboarding
// case, as POST /api/v1/customers makes), never an active customer.
func OnboardImported(d Deps, me identity.User) func(ctx context.Context, importID int64, rows []database.Customer) error {
	if d.Now == nil {
		d.Now = time.Now
	}
	return func(ctx context.Context, importID int64, rows []database.Customer) error {
		for _, c := range rows {
			if _, err := onboard(ctx, d, me, newCustomerOf(c), &importID); err != nil {
				return fmt.Errorf("row of customer %s: %w", c.Code, err)
			}
		}
		return nil
	}
}

func view(rep *customerimport.Report) importView {
	v := importView{Report: rep}
	if rep.ResultName != "" {
		v.ResultURL = fmt.Sprintf("/api/v1/imports/%d/result", rep.ID)
	}
	return v
}

// upload is a file sent to the API, with the form fields that came with it.
type upload struct {
	name   string
	data   []byte
	fields url.Values
}

// field is a form field, or else the query parameter of that name.
func (u upload) field(name string) string { return u.fields.Get(name) }

// readUpload reads the file from a multipart form or from the body, at most
// max bytes of it. Query parameters count as form fields.
func readUpload(w http.ResponseWriter, r *http.Request, max int64) (upload, error) {
	up := upload{fields: r.URL.Query()}
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	// The form around the file is small; the file itself is counted below.
	body := http.MaxBytesReader(w, r.Body, max+1<<20)
	switch ct {
	case "multipart/form-data":
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return up, uploadError(err, max)
			}
			if part.FormName() == "file" && part.FileName() != "" {
				if up.data != nil {
					return up, problem(http.StatusBadRequest, probInvalidUpload, "send one file at a time")
				}
				up.name = path.Base(strings.ReplaceAll(part.FileName(), `\`, "/"))
				if up.data, err = readMax(part, max); err != nil {
					return up, uploadError(err, max)
				}
				continue
			}
			v, err := readMax(part, 1<<10)
			if err != nil {
				return up, problem(http.StatusBadRequest, probInvalidUpload, "a form field is too long: "+part.FormName())
			}
			up.fields.Set(part.FormName(), string(v))
		}
		if up.data == nil {
			return up, problem(http.StatusBadRequest, probInvalidUpload, "the form has no file: send it in a part named \"file\"",
				deal.FieldError{Field: "file", Message: "is required"})
		}
	case xlsxType, "text/csv", "application/csv", "application/vnd.ms-excel", "application/octet-stream", "text/plain":
		var err error
		if up.data, err = readMax(body, max); err != nil {
			return up, uploadError(err, max)
		}
		up.name = up.fields.Get("filename")
		if _, p, err := mime.ParseMediaType(r.Header.Get("Content-Disposition")); up.name == "" && err == nil {
			up.name = path.Base(strings.ReplaceAll(p["filename"], `\`, "/"))
		}
		if up.name == "" || up.name == "." || up.name == "/" {
			up.name = "upload.xlsx"
			if strings.Contains(ct, "csv") || ct == "text/plain" {
				up.name = "upload.csv"
			}
		}
	default:
		return up, problem(http.StatusUnsupportedMediaType, probUnsupportedMediaType,
			"send the file as multipart/form-data (a part named \"file\"), or as the body with Content-Type "+xlsxType+" or text/csv")
	}
	if len(up.data) == 0 {
		return up, problem(http.StatusBadRequest, probInvalidUpload, "the file is empty")
	}
	return up, nil
}

var errOverLimit = errors.New("over the limit")

// readMax reads all of r, failing once it passes max bytes.
func readMax(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, errOverLimit
	}
	return b, nil
}

func uploadError(err error, max int64) error {
	var tooBig *http.MaxBytesError
	if errors.Is(err, errOverLimit) || errors.As(err, &tooBig) {
		return problem(http.StatusRequestEntityTooLarge, ProblemKind(workbook.ErrTooLarge),
			fmt.Sprintf("the file is larger than %d MB; split it into smaller files", max>>20))
	}
	return problem(http.StatusBadRequest, probInvalidUpload, "the upload could not be read: "+err.Error())
}

func boolParam(s string) (bool, error) {
	if s == "" {
		return false, nil
	}
	return strconv.ParseBool(s)
}

// requestLang is the language asked for: a lang parameter, else the
// Accept-Language header, else English. explicit says a lang was asked for.
func requestLang(r *http.Request, param string) (lang workbook.Lang, explicit bool) {
	if l, ok := workbook.ParseLang(param); ok {
		return l, true
	}
	if l, ok := workbook.ParseLang(r.Header.Get("Accept-Language")); ok {
		return l, true
	}
	return workbook.English, false
}

// template downloads the import template, in Chinese unless English is asked for.
func (h imports) template(w http.ResponseWriter, r *http.Request) error {
	lang, explicit := requestLang(r, r.URL.Query().Get("lang"))
	if !explicit {
		lang = workbook.Chinese
	}
	var buf bytes.Buffer
	if err := customerimport.WriteTemplate(&buf, lang, workbook.DefaultLimits()); err != nil {
		return err
	}
	return sendWorkbook(w, customerimport.TemplateName(lang), buf.Bytes())
}

// sendWorkbook answers with an .xlsx file to save.
func sendWorkbook(w http.ResponseWriter, name string, data []byte) error {
	h := w.Header()
	h.Set("Content-Type", xlsxType)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, url.PathEscape(name)))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(data)
	return err
}

// Who sees an import is decided by the database with the viewer of every
// other read (viewer in deals.go): your own, your team's or direct reports'
// for a sales manager or assistant, everyone's for those who see every deal.

func (h imports) find(r *http.Request) (database.ImportJob, error) {
	id, err := idParam(r, "import")
	if err != nil {
		return database.ImportJob{}, err
	}
	job, err := h.DB.ImportGetFor(r.Context(), id, viewer(actor(r)))
	if errors.Is(err, database.ErrNotFound) {
		// Someone else's import is as good as absent: its existence is not told.
		return job, problem(http.StatusNotFound, probNotFound, fmt.Sprintf("no import %d of yours", id))
	}
	return job, err
}

// jobView turns a stored import into what the API shows.
func jobView(job database.ImportJob) (importView, error) {
	rep := &customerimport.Report{}
	if len(job.Report) > 0 {
		if err := json.Unmarshal(job.Report, rep); err != nil {
			return importView{}, fmt.Errorf("import %d report: %w", job.ID, err)
		}
	} else {
		rep = &customerimport.Report{ID: job.ID, Status: customerimport.Status(job.Status), Mode: customerimport.Mode(job.Mode),
			DryRun: job.DryRun, CreatedBy: job.CreatedBy, StartedAt: job.CreatedAt, Message: job.Message,
			File: customerimport.FileInfo{Name: job.FileName, Size: int(job.FileSize), SHA256: fmt.Sprintf("%x", job.FileSHA256)}}
	}
	v := view(rep)
	if job.Status == string(customerimport.StatusRunning) {
		v.RowsRead = job.RowsRead
	}
	if !job.HasResult {
		v.ResultURL = ""
	}
	return v, nil
}

func (h imports) get(w http.ResponseWriter, r *http.Request) error {
	job, err := h.find(r)
	if err != nil {
		return err
	}
	v, err := jobView(job)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// result downloads an import's annotated workbook.
func (h imports) result(w http.ResponseWriter, r *http.Request) error {
	job, err := h.find(r)
	if err != nil {
		return err
	}
	name, data, err := h.DB.ImportResult(r.Context(), job.ID)
	if errors.Is(err, database.ErrNotFound) {
		return problem(http.StatusNotFound, probNotFound, "this import has no result workbook: the file could not be read (see its message)")
	}
	if err != nil {
		return err
	}
	return sendWorkbook(w, name, data)
}

// list returns imports newest first: the caller's own, or with ?by=all (or
// ?by=<user>), for sales managers and admins, everyone's they may see. Pages
// go back with ?before=<id> from "next".
func (h imports) list(w http.ResponseWriter, r *http.Request) error {
	u, q := actor(r), r.URL.Query()
	by := u.ID
	if who := q.Get("by"); who != "" && who != u.ID {
		if !u.Has(identity.RoleSalesManager, identity.RoleAdmin) {
			return problem(http.StatusForbidden, probForbidden, "only sales managers and admins see other people's imports")
		}
		by = who
		if who == "all" {
			by = ""
		}
	}
	limit, err := limitParam(r, 50, 200)
	if err != nil {
		return err
	}
	var before int64
	if s := q.Get("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			return problem(http.StatusBadRequest, probInvalidQuery, "bad page position",
				deal.FieldError{Field: "before", Message: "want an import ID from next"})
		}
		before = n
	}
	jobs, err := h.DB.ImportListFor(r.Context(), viewer(u), by, before, limit)
	if err != nil {
		return err
	}
	type item struct {
		ID         int64      `json:"id"`
		Status     string     `json:"status"`
		FileName   string     `json:"file_name"`
		Mode       string     `json:"mode"`
		DryRun     bool       `json:"dry_run"`
		Rows       int        `json:"rows"`
		Accepted   int        `json:"accepted"`
		Rejected   int        `json:"rejected"`
		Message    string     `json:"message,omitempty"`
		CreatedBy  string     `json:"created_by"`
		CreatedAt  time.Time  `json:"created_at"`
		FinishedAt *time.Time `json:"finished_at,omitempty"`
		URL        string     `json:"url"`
	}
	rows := make([]item, len(jobs))
	for i, j := range jobs {
		rows[i] = item{ID: j.ID, Status: j.Status, FileName: j.FileName, Mode: j.Mode, DryRun: j.DryRun,
			Rows: max(j.RowsTotal, j.RowsRead), Accepted: j.Accepted, Rejected: j.Rejected, Message: j.Message,
			CreatedBy: j.CreatedBy, CreatedAt: j.CreatedAt, FinishedAt: j.FinishedAt, URL: fmt.Sprintf("/api/v1/imports/%d", j.ID)}
	}
	return writeJSON(w, http.StatusOK, listPage("imports", rows, limit, func(j item) string { return strconv.FormatInt(j.ID, 10) }))
}
