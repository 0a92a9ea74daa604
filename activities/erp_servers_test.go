package activities_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/connectors/erpsim"
	"github.com/l2c/l2c/connectors/sap"
	"github.com/l2c/l2c/workflows"
)

// The same sync, against ERPs that behave differently from l2c's default
// simulator: a server that refuses Edm.Time literals (strict), one without
// server-driven paging, and Kingdee K3 Cloud. Each does a full sync, a delta,
// and a re-sync that changes nothing.

// erpScenario is one ERP under test: the environment, and how to change n of
// its customers as ERP users would (returning their codes).
type erpScenario struct {
	name   string
	env    func(t *testing.T) *syncEnv
	change func(e *syncEnv, n int) []string
	total  int64
	pages  int64 // pages a full sync reads, when the scenario fixes it
}

func erpScenarios() []erpScenario {
	simChange := func(e *syncEnv, n int) []string { return e.sim.ChangeCustomers(n, 5) }
	return []erpScenario{
		{name: "strict", total: 2003, change: simChange, env: func(t *testing.T) *syncEnv {
			return setup(t, erpsim.Options{Customers: 2000, PageSize: 500, Seed: 21, Strict: true})
		}},
		{name: "nopaging", total: 2003, pages: 7, change: simChange, env: func(t *testing.T) *syncEnv {
			e := setup(t, erpsim.Options{Customers: 2000, Seed: 22, NoPaging: true})
			e.erpPageSize(300)
			return e
		}},
	}
}

// erpPageSize makes the sync read client pages of n rows.
func (e *syncEnv) erpPageSize(n int) {
	c, err := sap.New(sap.Config{BaseURL: e.url, Username: "L2C_COMM", Password: "sim-secret", PageSize: n,
		MinDiscountField: erpsim.DefaultMinDiscountField, CreditLimitField: erpsim.DefaultCreditLimitField,
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Log: quiet})
	require.NoError(e.t, err)
	e.conn, e.erp.Conn = c, c
}

func TestERPSyncFullDeltaResyncOnEveryServer(t *testing.T) {
	for _, sc := range erpScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			e := sc.env(t)
			st := e.sync("customers", sc.name+"-full", workflows.SyncInput{})
			require.Equal(t, "succeeded", st.Status, st.Error)
			require.Equal(t, sc.total, st.Counts.Inserted)
			require.Equal(t, sc.total, e.requireInStep("customers"))
			if sc.pages > 0 {
				require.Equal(t, sc.pages, st.Counts.Pages, "client pages")
			}

			changed := sc.change(e, 40)
			require.Len(t, changed, 40)
			st = e.sync("customers", sc.name+"-delta", workflows.SyncInput{})
			require.Equal(t, "succeeded", st.Status, st.Error)
			require.Equal(t, int64(40), st.Counts.Updated)
			require.Zero(t, st.Counts.Inserted)
			require.Less(t, st.Counts.Read, sc.total/4, "a delta reads the changes, not the table")
			e.requireInStep("customers")

			st = e.sync("customers", sc.name+"-again", workflows.SyncInput{})
			require.Equal(t, "succeeded", st.Status, st.Error)
			require.Zero(t, st.Counts.Updated+st.Counts.Inserted, "a re-sync changes 0 rows")
		})
	}
}
