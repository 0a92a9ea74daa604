package api

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/i18n"
)

// TestRenderIsWholeOrNothing: a page whose template fails half-way answers
// 500 with a plain message, not a 200 carrying the half page written so far
// (the every-page test could not tell that from a whole one).
func TestRenderIsWholeOrNothing(t *testing.T) {
	p := pages{Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	zh := pageData{P: i18n.Printer{Lang: i18n.Chinese}}

	// The deal page given a number for its deal fails after its header is
	// written.
	w := httptest.NewRecorder()
	bad := zh
	bad.View = 42
	p.render(w, 200, "deal.html", bad)
	require.Equal(t, 500, w.Code)
	require.NotContains(t, w.Body.String(), "<html")
	require.Contains(t, w.Body.String(), "页面出错")

	w = httptest.NewRecorder()
	p.render(w, 200, "no-such-page.html", pageData{P: i18n.Printer{Lang: i18n.English}})
	require.Equal(t, 500, w.Code)
	require.Contains(t, w.Body.String(), "could not be shown")

	// A page that renders is sent whole, with its status.
	w = httptest.NewRecorder()
	p.message(w, 404, zh, "未找到", "没有这个商机")
	require.Equal(t, 404, w.Code)
	require.Contains(t, w.Body.String(), "没有这个商机")
	require.Contains(t, w.Body.String(), "</html>")
	require.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"))
}
