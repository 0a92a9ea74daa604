package i18n_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/i18n"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
)

// Every name the domain defines has a business name in both languages.
func TestEveryDomainNameIsTranslated(t *testing.T) {
	var keys []string
	for _, s := range deal.Stages {
		keys = append(keys, "stage."+string(s))
	}
	for _, k := range approval.Kinds {
		keys = append(keys, "kind."+string(k))
	}
	for _, a := range deal.ActionNames {
		keys = append(keys, "action."+string(a))
	}
	for _, r := range []identity.Role{identity.RoleSales, identity.RoleSalesAssistant, identity.RoleSalesManager,
		identity.RoleMarketManager, identity.RoleFinance, identity.RoleDelivery, identity.RoleCollector, identity.RoleAdmin} {
		keys = append(keys, "role."+string(r))
	}
	for _, s := range []approval.StepStatus{approval.StepPending, approval.StepApproved, approval.StepRejected,
		approval.StepSkipped, approval.StepCarried, approval.StepWithdrawn} {
		keys = append(keys, "status."+string(s), "action.step_"+string(s))
	}
	for _, s := range []approval.Status{approval.StatusInReview, approval.StatusReturned, approval.StatusApproved, approval.StatusWithdrawn} {
		keys = append(keys, "status."+string(s))
	}
	for _, k := range keys {
		require.True(t, i18n.Has(k), "no translation for %s", k)
	}
	for _, k := range i18n.Keys() {
		require.True(t, i18n.Has(k), "%s lacks a language", k)
	}
}

func TestMoneyTimesAndLanguages(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 12, 1, 15, 0, 0, 0, loc)
	zh := i18n.Printer{Lang: i18n.Chinese, Loc: loc, Now: now}
	en := i18n.Printer{Lang: i18n.English, Loc: loc, Now: now}
	a, _ := money.Parse("2280000")
	require.Equal(t, "¥2,280,000.00", zh.Money(a, "CNY"))
	require.Equal(t, "¥999.50", zh.Money(99950, "CNY"))
	require.Equal(t, "-¥1,000.00", en.Money(-100000, "CNY"))
	require.Equal(t, "¥2,280,000.00", en.MoneyText("2280000.00 CNY"))
	require.Equal(t, "85%", en.Percent("85.00%"))
	require.Equal(t, "80%", en.Percent("80.00%"))
	require.Equal(t, "85.5%", en.Percent("85.50%"))

	// The company's zone, not UTC: 02:00 UTC on the 2nd is 10:00 in Shanghai.
	due := time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC)
	require.Equal(t, "明天 10:00", zh.Time(due))
	require.Equal(t, "tomorrow 10:00", en.Time(&due))
	require.Equal(t, "12月4日 周五 10:00", zh.Time(due.AddDate(0, 0, 2)))
	require.Equal(t, "Fri 4 Dec 10:00", en.Time(due.AddDate(0, 0, 2)))
	require.Equal(t, "3.5 working hours", en.Hours(3.5*float64(1)))
	require.Equal(t, "3.5 工作小时", zh.Hours(210*time.Minute))

	require.Equal(t, "合同评审", zh.Stage(deal.StageContractReview))
	require.Equal(t, "Sales manager approval", en.Step("sales_manager"))
	require.Equal(t, "销售经理审批", zh.Step("sales_manager"))
	require.Equal(t, "no_such_thing", en.T("no_such_thing"), "a missing key shows itself, for the tests to find")

	for header, want := range map[string]i18n.Lang{"": i18n.Chinese, "zh-CN,zh;q=0.9,en;q=0.8": i18n.Chinese,
		"en-US,en;q=0.9": i18n.English, "fr-FR, en;q=0.5, zh;q=0.4": i18n.English, "de": i18n.Chinese,
		"en;q=0.2, zh-TW;q=0.8": i18n.Chinese} {
		require.Equal(t, want, i18n.FromAcceptLanguage(header), header)
	}
	require.True(t, strings.HasPrefix(zh.Person("role:finance"), "任一"))
}

// TestRefusalsInChinese: a rule's refusal reads in Chinese with its
// particulars carried over, several at once too; English stays as the rules
// wrote it, and an unknown message stays readable.
func TestRefusalsInChinese(t *testing.T) {
	zh, en := i18n.Printer{Lang: i18n.Chinese}, i18n.Printer{Lang: i18n.English}
	for msg, want := range map[string]string{
		"is required": "必填",
		"2026-01-03 is before the issue date 2026-01-05":                                       "2026-01-03 早于开票日期 2026-01-05",
		"only the sales owner (wang), a sales assistant or a sales manager may do this":        "只有销售负责人（wang）、销售内勤或销售经理可以操作",
		"would invoice 880100.00 in all, more than the contract amount 880000.00; is required": "开票合计将达 880100.00，超过合同金额 880000.00；必填",
		"something new": "something new",
	} {
		if got := zh.Refusal(msg); got != want {
			t.Errorf("Refusal(%q) = %q, want %q", msg, got, want)
		}
		if got := en.Refusal(msg); got != msg {
			t.Errorf("English Refusal(%q) = %q", msg, got)
		}
	}
}
