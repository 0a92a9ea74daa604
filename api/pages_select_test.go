package api

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/i18n"
)

// TestSelectTemplate: one select's markup for every page that offers one: its
// label, the chosen option selected, the options' labels in the page's
// language, and a refusal tied to it (aria-invalid, aria-describedby, the
// message by the field) only when there is one.
func TestSelectTemplate(t *testing.T) {
	sel := pageTemplates.Lookup("select")
	require.NotNil(t, sel)
	render := func(args map[string]any) string {
		var b strings.Builder
		require.NoError(t, sel.Execute(&b, args))
		return b.String()
	}
	en := i18n.Printer{Lang: i18n.English}

	out := render(choice(en, "f-stage", "stage", "stage", "", "quote", "all", "stage.", []deal.Stage{deal.StageOpportunity, deal.StageQuote}))
	require.Contains(t, out, `<label for="f-stage">`)
	require.Contains(t, out, `<select id="f-stage" name="stage">`)
	require.Contains(t, out, `<option value="">All</option>`)
	require.Contains(t, out, `<option value="quote" selected>Quote</option>`)
	require.Contains(t, out, `<option value="opportunity">`)
	require.NotContains(t, out, "aria-invalid")
	require.NotContains(t, out, "field-error")

	out = render(choice(en, "nd-currency", "currency", "currency", "want one of CNY, USD", "USD", "", "", []string{"CNY", "USD"}))
	require.Contains(t, out, `<select id="nd-currency" name="currency" aria-invalid="true" aria-describedby="nd-currency-error">`)
	require.Contains(t, out, `<option value="USD" selected>USD</option>`)
	require.NotContains(t, out, `<option value="">`, "no empty option unless asked for")
	require.Contains(t, out, `<span class="field-error" id="nd-currency-error">want one of CNY, USD</span>`)
}
