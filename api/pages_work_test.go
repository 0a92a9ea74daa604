package api_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// pagesSession is a browser logged in as user (a session made in the
// database, as logging in makes one), for page tests that need no Chromium.
func pagesSession(t *testing.T, s *stack, user string) *browser {
	t.Helper()
	b := newBrowser(t, s.url)
	secret := fmt.Sprintf("pages-%s-%d", user, time.Now().UnixNano())
	_, err := s.db.SessionCreate(context.Background(), user, secret, "password", "", "", time.Now(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	b.cookies["__Host-l2c_session"] = secret
	return b
}

// section is the text of the section of a page headed h-<id>, or "".
func section(body, id string) string {
	m := regexp.MustCompile(`(?s)<section aria-labelledby="h-` + id + `">.*?</section>`).FindString(body)
	return m
}

// TestPagesMyWorkPerRole: My work shows each person their part. A contract
// of 880,000.00 approved by li is a big deal signed recently for li (a sales
// manager over wang) and for the admin, not for he (a sales manager who does
// not see wang's deals) nor for wang (a rep). Zhou, its delivery owner, sees
// the order due in three days; once shipped, wu, its payment owner, sees the
// invoice past due with what is still open after a part payment.
func TestPagesMyWorkPerRole(t *testing.T) {
	s := setup(t)
	dealID, caseID := pagesDeal(t, s, "大单 My work")
	s.decide(caseID, "li", 200, `{"approve":true}`)
	require.Eventually(t, func() bool { return s.get(dealID)["stage"] == "order" }, 15*time.Second, 20*time.Millisecond)

	for user, sees := range map[string]bool{"li": true, "admin": true, "he": false, "wang": false} {
		p := pagesSession(t, s, user).do("GET", "/", "", "")
		require.Equal(t, http.StatusOK, p.status, user)
		big := section(p.body, "big-deals")
		if user == "wang" {
			require.Empty(t, big, "a rep's My work has no big deals")
			continue
		}
		require.NotEmpty(t, big, "%s is management", user)
		require.Equal(t, sees, strings.Contains(big, dealID), "%s sees the big deal: %v", user, sees)
		if sees {
			require.Contains(t, big, "¥880,000.00")
			require.Contains(t, big, "Wang", "the sales owner by name")
		}
	}

	s.act(dealID, "wang", 200, `{"action":"assign_owners","delivery_owner":"zhou","payment_owner":"wu"}`)
	s.act(dealID, "wang", 200, `{"action":"place_order","kind":"stock","delivery_due":"`+future(3)+`"}`)
	zhou := pagesSession(t, s, "zhou")
	due := section(zhou.do("GET", "/", "", "").body, "deliveries")
	require.Contains(t, due, dealID, "the delivery owner sees the order due")
	require.Contains(t, due, future(3))
	require.Empty(t, section(pagesSession(t, s, "wu").do("GET", "/", "", "").body, "deliveries"), "not wu's to deliver")

	s.act(dealID, "zhou", 200, `{"action":"record_shipment","shipment_no":"S-1","shipped_on":"`+today()+`","final":true}`)
	require.NotContains(t, section(zhou.do("GET", "/", "", "").body, "deliveries"), dealID, "shipped: no longer due")
	s.act(dealID, "sun", 200, `{"action":"record_invoice","invoice_no":"INV-W1","amount":"879900","issued_on":"`+future(-40)+`","due_on":"`+future(-10)+`"}`)
	s.act(dealID, "sun", 200, `{"action":"record_invoice","invoice_no":"INV-W2","amount":"100","issued_on":"`+today()+`","due_on":"`+future(20)+`"}`)
	s.act(dealID, "wu", 200, `{"action":"record_payment","payment_ref":"BANK-W1","amount":"80000","received_on":"`+today()+`"}`)
	wu := section(pagesSession(t, s, "wu").do("GET", "/", "", "").body, "invoices")
	require.Contains(t, wu, "INV-W1", "past due and not paid")
	require.Contains(t, wu, "¥799,900.00", "what the payment left open")
	require.NotContains(t, wu, "INV-W2", "not due yet")
	require.Empty(t, section(zhou.do("GET", "/", "", "").body, "invoices"), "not zhou's to collect")
}
