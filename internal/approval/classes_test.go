package approval

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/refusal"
)

// TestCustomerClassInRoutes: customer_class_in holds for a class named alone
// (any payment grade) or with its grade, never for an unranked customer; a
// rule set naming a class that is not one is refused, naming the entry.
func TestCustomerClassInRoutes(t *testing.T) {
	rs := RuleSet{Kind: KindContractReview, Stages: []StageRule{
		{Stage: Stage{Name: "sales_manager", Approvers: []string{"role:sales_manager"}, Rule: RuleAny, SLAHours: 8}},
		{Stage: Stage{Name: "finance", Approvers: []string{"role:finance"}, Rule: RuleAny, SLAHours: 8},
			When: &Condition{CustomerClassIn: []string{"C", "B3"}}},
	}}
	require.NoError(t, rs.Validate())
	require.True(t, rs.UsesCustomerClass())
	names := func(f Facts) []string {
		var out []string
		for _, s := range rs.Route(f) {
			out = append(out, s.Name)
		}
		return out
	}
	for class, want := range map[string][]string{
		"A1": {"sales_manager"}, "B1": {"sales_manager"}, "B3": {"sales_manager", "finance"},
		"C0": {"sales_manager", "finance"}, "C2": {"sales_manager", "finance"}, "": {"sales_manager"},
	} {
		require.Equal(t, want, names(Facts{Customer: "K1", CustomerClass: class}), class)
	}

	bad := RuleSet{Kind: KindContractReview, Stages: []StageRule{
		{Stage: Stage{Name: "finance", Approvers: []string{"role:finance"}, Rule: RuleAny, SLAHours: 8},
			When: &Condition{CustomerClassIn: []string{"A", "D", "B4"}}},
		{Stage: Stage{Name: "gm", Approvers: []string{"manager"}, Rule: RuleAny, SLAHours: 8},
			When: &Condition{CustomerClassIn: []string{}}},
	}}
	err := bad.Validate()
	var re *refusal.Error
	require.ErrorAs(t, err, &re)
	var fields []string
	for _, f := range re.Fields {
		fields = append(fields, f.Field)
	}
	require.ElementsMatch(t, []string{"stages[0].when.customer_class_in[1]", "stages[0].when.customer_class_in[2]",
		"stages[1].when.customer_class_in"}, fields)
}
