package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/database"
)

// termsTest runs a change of terms with its review and the ERP stood in for:
// the review's news is played by the test, the write-back's answer is given.
type termsTest struct {
	env      *testsuite.TestWorkflowEnvironment
	cases    []ApprovalInput
	outcomes []activities.TermsOutcome
	writes   []activities.WriteCustomerTermsInput
	records  *apprRecords // the case's row, which its news is checked against
}

var nt60, bp8000 = "NT60", int64(8000)

var termsIn = TermsChangeInput{ID: 7, Customer: "C1001", Name: "Suzhou Precision Parts", Requester: wang,
	Reason: "volume up", ERPETag: "W/\"etag-1\"",
	Before:      activities.CustomerTerms{PaymentTerms: new("NT30"), MinDiscountBP: new(int64(8500))},
	After:       activities.CustomerTerms{PaymentTerms: &nt60, MinDiscountBP: &bp8000},
	RequestedAt: start}

func newTermsTest(t *testing.T, writeErr error) *termsTest {
	tt := &termsTest{env: newEnv()}
	tt.env.SetStartTime(start)
	tt.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: TermsChangeWorkflowID(7)})
	var terms *activities.Terms
	var erp *activities.ERP
	tt.env.RegisterActivity(terms)
	tt.env.RegisterActivity(erp)
	tt.env.OnActivity(terms.RecordTermsOutcome, mock.Anything, mock.Anything).Return(func(_ context.Context, o activities.TermsOutcome) error {
		tt.outcomes = append(tt.outcomes, o)
		return nil
	})
	tt.env.OnActivity(erp.WriteCustomerTerms, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.WriteCustomerTermsInput) (activities.WriteCustomerTermsResult, error) {
			tt.writes = append(tt.writes, in)
			return activities.WriteCustomerTermsResult{ETag: "W/\"etag-2\""}, writeErr
		})
	tt.records = apprConfirmNews(tt.env)
	tt.env.RegisterWorkflow(ApprovalWorkflow)
	// The case stays open for a day unless the test's news ends it first.
	tt.env.OnWorkflow(ApprovalWorkflow, mock.Anything, mock.Anything).Return(func(ctx workflow.Context, in ApprovalInput) (approval.Case, error) {
		tt.cases = append(tt.cases, in)
		return in.Case, workflow.Sleep(ctx, 24*time.Hour)
	})
	return tt
}

func (tt *termsTest) news(after time.Duration, status approval.Status, by, note string) {
	tt.env.RegisterDelayedCallback(func() {
		tt.records.played(ReviewNews{CaseID: TermsChangeCaseID("C1001", 7), Status: status, By: by, Note: note})
		tt.env.SignalWorkflow(ReviewSignal, ReviewNews{CaseID: TermsChangeCaseID("C1001", 7), Status: status, By: by, Note: note})
	}, after)
}

func (tt *termsTest) run(t *testing.T) TermsChangeStatus {
	tt.env.ExecuteWorkflow(TermsChangeWorkflow, termsIn)
	require.True(t, tt.env.IsWorkflowCompleted())
	require.NoError(t, tt.env.GetWorkflowError())
	var st TermsChangeStatus
	require.NoError(t, tt.env.GetWorkflowResult(&st))
	return st
}

func outcomeStatuses(os []activities.TermsOutcome) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.Status)
	}
	return out
}

func TestApprovedTermsAreWrittenToTheERP(t *testing.T) {
	tt := newTermsTest(t, nil)
	tt.news(3*time.Hour, approval.StatusApproved, "sun", "")
	st := tt.run(t)
	require.Equal(t, database.TermsWritten, st.Status)

	require.Len(t, tt.cases, 1)
	c := tt.cases[0].Case
	require.Equal(t, "terms_change.C1001.7", c.ID)
	require.Equal(t, approval.KindTermsChange, c.Kind)
	require.Equal(t, "wang", c.Requester)
	require.Equal(t, TermsChangeWorkflowID(7), tt.cases[0].Parent)
	require.Equal(t, []approval.Field{{Name: "customer", Value: "C1001 Suzhou Precision Parts"},
		{Name: "min_discount", Value: "85.00% → 80.00%"}, {Name: "payment_terms", Value: "NT30 → NT60"},
		{Name: "reason", Value: "volume up"}}, c.Subject)

	// Written against the version the change was asked about, only the terms that change.
	require.Equal(t, []activities.WriteCustomerTermsInput{{Code: "C1001", ETag: "W/\"etag-1\"", Terms: termsIn.After}}, tt.writes)
	require.Equal(t, []string{database.TermsApproved, database.TermsWritten}, outcomeStatuses(tt.outcomes))
}

func TestRejectedTermsAreNotWritten(t *testing.T) {
	tt := newTermsTest(t, nil)
	tt.news(time.Hour, approval.StatusReturned, "chen", "80% is below policy")
	st := tt.run(t)
	require.Equal(t, database.TermsRejected, st.Status)
	require.Equal(t, "rejected by chen: 80% is below policy", st.Detail)
	require.Empty(t, tt.writes)
	require.Equal(t, []string{database.TermsRejected}, outcomeStatuses(tt.outcomes))
}

func TestWithdrawnOrEndedReviewWritesNothing(t *testing.T) {
	tt := newTermsTest(t, nil)
	tt.news(time.Hour, approval.StatusWithdrawn, "wang", "customer changed their mind")
	require.Equal(t, database.TermsWithdrawn, tt.run(t).Status)
	require.Empty(t, tt.writes)

	// A case that ends without news (it failed) counts as withdrawn, not approved.
	tt = newTermsTest(t, nil)
	require.Equal(t, database.TermsWithdrawn, tt.run(t).Status)
	require.Empty(t, tt.writes)
}

func TestTermsChangedInTheERPMeanwhileAreAConflict(t *testing.T) {
	tt := newTermsTest(t, temporal.NewNonRetryableApplicationError("customer C1001 was changed in the ERP", activities.ErrTypeERPConflict, nil))
	tt.news(time.Hour, approval.StatusApproved, "sun", "")
	st := tt.run(t)
	require.Equal(t, database.TermsConflict, st.Status)
	require.Contains(t, st.Detail, "changed in the ERP")
	require.Len(t, tt.writes, 1, "a conflict is not retried")
	require.Equal(t, []string{database.TermsApproved, database.TermsConflict}, outcomeStatuses(tt.outcomes))
}

// TestTermsChangeWorkflowReplay replays a change of terms recorded on a dev
// server (api tests, L2C_RECORD_HISTORY=1): approved in two stages, written.
func TestTermsChangeWorkflowReplay(t *testing.T) {
	replay(t, TermsChangeWorkflow, "testdata/terms_change_written.json")
}
