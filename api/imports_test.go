package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/workbook/workbooktest"
)

// upload sends a request with a raw body and content type as user, and
// returns status, headers and body.
func (s *stack) upload(method, path, user, contentType string, body io.Reader) (int, http.Header, []byte) {
	s.t.Helper()
	token := ""
	if user != "" {
		token = "tok-" + user
	}
	r := mustSend(s.t, method, s.url+path, token, contentType, body)
	return r.status, r.header, []byte(r.raw)
}

func multipartFile(t *testing.T, name string, data []byte, fields map[string]string) (string, *bytes.Buffer) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		require.NoError(t, mw.WriteField(k, v))
	}
	fw, err := mw.CreateFormFile("file", name)
	require.NoError(t, err)
	_, _ = fw.Write(data)
	require.NoError(t, mw.Close())
	return mw.FormDataContentType(), &buf
}

func importUsers(t *testing.T, s *stack) {
	for _, u := range []identity.User{
		{ID: "zhao", Name: "Zhao Min", Roles: []identity.Role{identity.RoleSalesAssistant}},
	} {
		require.NoError(t, s.db.UserUpsert(context.Background(), u, "", "tok-"+u.ID))
	}
}

func TestCustomerImportOverHTTP(t *testing.T) {
	s := setup(t)
	importUsers(t, s)
	data := workbooktest.XLSX(t, workbooktest.Sheet{Name: "客户", Rows: [][]any{
		{"客户编码", "客户名称", "最低折扣", "信用额度", "销售负责人"},
		{"API-1", "苏州精密零件有限公司", "85%", "50万", "wang"},
		{"API-2", "宁波汽车零部件有限公司", "1", "", "wang"},
		{"API-3", "无锡纺织机械厂", "", "", ""},
	}})

	// All or nothing: one bad row, nothing written, the result says why.
	ct, body := multipartFile(t, "客户.xlsx", data, nil)
	status, hdr, raw := s.upload("POST", "/api/v1/imports/customers", "zhao", ct, body)
	require.Equal(t, http.StatusCreated, status, string(raw))
	var rep map[string]any
	require.NoError(t, json.Unmarshal(raw, &rep))
	require.Equal(t, "rejected", rep["status"])
	// Rows of customers l2c does not know would become new-customer requests.
	require.Equal(t, map[string]any{"total": 3.0, "accepted": 2.0, "rejected": 1.0, "inserted": 0.0, "requested": 2.0, "updated": 0.0, "unchanged": 0.0}, rep["rows"])
	id := rep["id"].(float64)
	require.Equal(t, fmt.Sprintf("/api/v1/imports/%.0f", id), hdr.Get("Location"))
	errs := rep["errors"].([]any)
	require.Len(t, errs, 1)
	require.Equal(t, "C", errs[0].(map[string]any)["column"])
	require.Contains(t, errs[0].(map[string]any)["message"], "有歧义")
	existing, err := s.db.CustomerCodesExisting(context.Background(), []string{"API-1", "API-2", "API-3"})
	require.NoError(t, err)
	require.Empty(t, existing)

	// The annotated workbook.
	status, hdr, raw = s.upload("GET", rep["result_url"].(string), "zhao", "", nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", hdr.Get("Content-Type"))
	require.Contains(t, hdr.Get("Content-Disposition"), `filename*=UTF-8''%E5%AE%A2%E6%88%B7.result.xlsx`)
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	require.NoError(t, err)
	require.Equal(t, []string{"导入结果", "客户"}, f.GetSheetList())
	f.Close()

	// Accept the valid rows this time, sending the file as the body, in English.
	status, _, raw = s.upload("POST", "/api/v1/imports/customers?mode=accept-valid&filename=customers.xlsx&lang=en",
		"zhao", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", bytes.NewReader(data))
	require.Equal(t, http.StatusCreated, status, string(raw))
	require.NoError(t, json.Unmarshal(raw, &rep))
	require.Equal(t, "partially_imported", rep["status"])
	require.Contains(t, rep["message"], "Imported 2 of 3 customers")
	require.Contains(t, rep["message"], "2 new customers were sent for approval")
	// Not active customers: lead customers, each with its customer_onboarding case.
	existing, err = s.db.CustomerCodesExisting(context.Background(), []string{"API-1", "API-2", "API-3"})
	require.NoError(t, err)
	require.Empty(t, existing)
	for _, name := range []string{"苏州精密零件有限公司", "无锡纺织机械厂"} {
		r := s.do("GET", "/api/v1/customers?q="+url.QueryEscape(name), "tok-admin", "")
		require.Equal(t, 200, r.status, r.raw)
		require.Contains(t, r.raw, `"code":"NEW-`, name)
	}

	// The import can be read back by its owner and an admin, not by others (li
	// manages neither zhao nor zhao's team: see TestAuthImportsFollowVisibility).
	path := fmt.Sprintf("/api/v1/imports/%.0f", rep["id"].(float64))
	for user, want := range map[string]int{"zhao": 200, "admin": 200, "li": 404, "wang": 404, "": 401} {
		status, _, raw = s.upload("GET", path, user, "", nil)
		require.Equal(t, want, status, "%s: %s", user, raw)
	}
	status, _, raw = s.upload("GET", "/api/v1/imports/", "zhao", "", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, string(raw), `"status":"partially_imported"`)
	status, _, _ = s.upload("GET", "/api/v1/imports/?by=all", "zhao", "", nil)
	require.Equal(t, http.StatusForbidden, status)

	// A GBK CSV, dry run.
	csv := workbooktest.GBK(t, "客户编码,客户名称\r\nAPI-9,常州工具厂\r\n")
	status, _, raw = s.upload("POST", "/api/v1/imports/customers?dry_run=true", "li", "text/csv", bytes.NewReader(csv))
	require.Equal(t, http.StatusCreated, status, string(raw))
	require.Contains(t, string(raw), `"status":"validated"`)
	require.Contains(t, string(raw), `"encoding":"GBK"`)
}

func TestCustomerImportRefusals(t *testing.T) {
	s := setup(t)
	importUsers(t, s)
	good := []byte("客户编码,客户名称\nAPI-R1,x\n")
	cases := []struct {
		name, user, ct string
		body           io.Reader
		status         int
		kind, says     string
	}{
		{"a sales rep", "wang", "text/csv", bytes.NewReader(good), 403, "forbidden", "sales assistants"},
		{"legacy xls", "zhao", "application/vnd.ms-excel", bytes.NewReader(workbooktest.LegacyXLS()), 422, "legacy_xls", ".xlsx"},
		{"json", "zhao", "application/json", strings.NewReader(`{}`), 415, "unsupported_media_type", "multipart/form-data"},
		{"too large", "zhao", "text/csv", bytes.NewReader(make([]byte, 51<<20)), 413, "file_too_large", "50 MB"},
		{"no file part", "zhao", "multipart/form-data; boundary=x", strings.NewReader("--x\r\nContent-Disposition: form-data; name=\"mode\"\r\n\r\naccept-valid\r\n--x--\r\n"), 400, "invalid_upload", "file"},
		{"bad mode", "zhao", "text/csv", bytes.NewReader(good), 400, "invalid_query", "mode"},
		{"missing column", "zhao", "text/csv", strings.NewReader("客户名称,地址\nx,y\n"), 422, "missing_column", "客户编码"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s.t = t
			path := "/api/v1/imports/customers"
			if c.name == "bad mode" {
				path += "?mode=sometimes"
			}
			status, hdr, raw := s.upload("POST", path, c.user, c.ct, c.body)
			require.Equal(t, c.status, status, string(raw))
			require.Equal(t, "application/problem+json", hdr.Get("Content-Type"))
			var p map[string]any
			require.NoError(t, json.Unmarshal(raw, &p))
			require.Equal(t, "/problems/"+c.kind, p["type"])
			require.Contains(t, string(raw), c.says)
			if c.status == 422 {
				require.NotEmpty(t, hdr.Get("Location"), "the failed import is recorded")
			}
		})
	}
	existing, err := s.db.CustomerCodesExisting(context.Background(), []string{"API-R1"})
	require.NoError(t, err)
	require.Empty(t, existing)
}

func TestTemplateAndReportsOverHTTP(t *testing.T) {
	s := setup(t)
	status, hdr, raw := s.upload("GET", "/api/v1/imports/customers/template?lang=en", "wang", "", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, hdr.Get("Content-Disposition"), "customer-import-template.xlsx")
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	require.NoError(t, err)
	head, _ := f.GetCellValue("Customers", "A1")
	require.Equal(t, "Customer code *", head)
	f.Close()

	status, _, raw = s.upload("GET", "/api/v1/reports", "wang", "", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, string(raw), `"name":"pipeline"`)
	require.NotContains(t, string(raw), "receivables")

	s.open(`{"title":"Report me","customer":{"code":"RPT-1","name":"Report Customer"}}`)
	status, hdr, raw = s.upload("GET", "/api/v1/reports/pipeline?lang=en", "sun", "", nil)
	require.Equal(t, http.StatusOK, status, string(raw))
	require.Regexp(t, `attachment; filename="pipeline-\d{4}-\d\d-\d\d.xlsx"`, hdr.Get("Content-Disposition"))
	f, err = excelize.OpenReader(bytes.NewReader(raw))
	require.NoError(t, err)
	rows, err := f.GetRows("Pipeline")
	require.NoError(t, err)
	require.Equal(t, "Deal", rows[0][0])
	require.Greater(t, len(rows), 1)
	f.Close()

	for path, want := range map[string]int{
		"/api/v1/reports/pipeline?stage=won":            400,
		"/api/v1/reports/receivables-ageing?as_of=soon": 400,
		"/api/v1/reports/payroll":                       404,
		"/api/v1/reports/stuck-reviews":                 200,
		"/api/v1/reports/sync-runs":                     403, // the sync's administrators', as in the API
	} {
		status, _, raw = s.upload("GET", path, "li", "", nil)
		require.Equal(t, want, status, "%s: %s", path, raw)
	}
	status, _, _ = s.upload("GET", "/api/v1/reports/receivables-ageing", "zhou", "", nil)
	require.Equal(t, http.StatusForbidden, status)
	status, _, _ = s.upload("GET", "/api/v1/reports/receivables-ageing", "wu", "", nil)
	require.Equal(t, http.StatusOK, status)
}
