// Package identity says who is asking: users and their roles. How a user proves
// who they are (tokens today, sessions and SSO later) lives in api/; what they
// may do on a deal is decided by the deal's own rules in internal/deal.
package identity

import (
	"context"
	"slices"
)

// Role is a job function. A user can hold several.
type Role string

const (
	RoleSales          Role = "sales"           // 营销员 / 客户经理: owns deals and customers
	RoleSalesAssistant Role = "sales_assistant" // 销售内勤: enters customers, quotes and orders
	RoleSalesManager   Role = "sales_manager"   // 销售经理: first approver
	RoleMarketManager  Role = "market_manager"  // 市场管理部经理: discount and terms changes
	RoleFinance        Role = "finance"         // 财务 / 主办会计
	RoleDelivery       Role = "delivery"        // delivery department
	RoleCollector      Role = "collector"       // collection of receivables
	RoleAdmin          Role = "admin"
)

// Roles lists every role, in the order above.
var Roles = []Role{RoleSales, RoleSalesAssistant, RoleSalesManager, RoleMarketManager,
	RoleFinance, RoleDelivery, RoleCollector, RoleAdmin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// User is a person (or a machine account) acting in l2c.
type User struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Team  string `json:"team,omitempty"`
	Roles []Role `json:"roles"`
}

// Has reports whether the user holds any of roles.
func (u User) Has(roles ...Role) bool {
	for _, r := range roles {
		if slices.Contains(u.Roles, r) {
			return true
		}
	}
	return false
}

type ctxKey struct{}

// WithUser returns a context carrying the authenticated user.
func WithUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, ctxKey{}, u)
}

// FromContext returns the authenticated user, if any.
func FromContext(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(ctxKey{}).(User)
	return u, ok
}
