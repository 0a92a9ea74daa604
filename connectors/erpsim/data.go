package erpsim

import (
	"fmt"
	"strconv"
	"time"

	"github.com/l2c/l2c/connectors/simulation"
)

// The simulator's data. Generated rows are computed on demand from their index
// and a version (so a million customers cost no memory), with stamps that grow
// with the index: a delta read finds where to start by arithmetic and then
// walks only the rows that can match. Rows changed at run time keep their
// index and get a new version and stamp; rows created through the API are
// "explicit" and kept in maps. Keys of generated rows sort before explicit ones.

func (s *Sim) hash(kind, i, version uint64) uint64 {
	return simulation.Mix(s.opts.Seed ^ simulation.Mix(kind<<56^i) ^ simulation.Mix(version+0x51))
}

var (
	cities   = []string{"Suzhou", "Ningbo", "Wuxi", "Changzhou", "Hangzhou", "Foshan", "Dongguan", "Qingdao", "Tianjin", "Xiamen", "Wenzhou", "Jinan"}
	citiesZH = []string{"苏州", "宁波", "无锡", "常州", "杭州", "佛山", "东莞", "青岛", "天津", "厦门", "温州", "济南"}
	trades   = []string{"Precision Parts", "Auto Components", "Textile Machinery", "Hydraulics", "Bearings", "Motor Works", "Tooling", "Castings", "Valves", "Electric"}
	tradesZH = []string{"精密零件", "汽车零部件", "纺织机械", "液压", "轴承", "电机", "模具", "铸造", "阀门", "电气"}
	streets  = []string{"Renmin Rd", "Jiefang Ave", "Zhongshan Rd", "Gongye Park Rd", "Binhai Ave", "Xinhua St"}
	terms    = []string{"NT30", "NT60", "NT45", "0001", "NT90"}
)

// customer is an A_BusinessPartner with its customer data, flattened.
type customer struct {
	index                    int // generated index, or -1
	bp, code                 string
	name1, name2             string
	street, house, city      string
	postal, country, phone   string
	taxType, taxNo           string
	paymentTerms, currency   string
	minDiscount, creditLimit string // Edm.Decimal strings, "" = not set
	blocked                  bool
	extID                    string
	created                  time.Time
	changed                  time.Time // zero: never changed (LastChangeDate null)
	version                  int
	malformed                int // 0 none; 1 wrong JSON type; 2 bad currency; 3 bad date
}

func (c *customer) stamp() time.Time {
	if c.changed.IsZero() {
		return c.created
	}
	return c.changed
}

func (c *customer) get(prop string) any {
	switch prop {
	case "BusinessPartner":
		return c.bp
	case "Customer", "to_Customer/Customer":
		return c.code
	case "BusinessPartnerIDByExtSystem":
		return c.extID
	case "OrganizationBPName1":
		return c.name1
	case "BusinessPartnerIsBlocked":
		return c.blocked
	case "BusinessPartnerCategory":
		return "2"
	case "CreationDate":
		return day(c.created)
	case "CreationTime":
		return timeOfDay(c.created)
	case "LastChangeDate":
		if c.changed.IsZero() {
			return nil
		}
		return day(c.changed)
	case "LastChangeTime":
		if c.changed.IsZero() {
			return nil
		}
		return timeOfDay(c.changed)
	}
	return nil
}

func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func timeOfDay(t time.Time) time.Duration {
	return t.UTC().Sub(day(t)).Truncate(time.Second)
}

// genCustomerKey is the business partner (and customer) number of generated
// customer i: "1" and seven digits, so they sort before explicit numbers.
func genCustomerKey(i int) string { return "1" + simulation.Pad(i, 7) }

// custStamp is the stamp of generated customer i before any change: spread
// evenly over the span before the epoch, growing with i.
func (s *Sim) custStamp(i int) time.Time {
	return s.genStart.Add(time.Duration(i) * s.custStep).Truncate(time.Second)
}

// genCustomer computes generated customer i at version v.
func (s *Sim) genCustomer(i, v int) *customer {
	h := s.hash(1, uint64(i), uint64(v))
	k := genCustomerKey(i)
	c := &customer{index: i, bp: k, code: k, version: v, country: "CN", currency: "CNY"}
	ci, ti := int(h%uint64(len(cities))), int((h>>8)%uint64(len(trades)))
	if h>>16%4 == 0 {
		c.name1 = citiesZH[ci] + tradesZH[ti] + "有限公司"
	} else {
		c.name1 = fmt.Sprintf("%s %s Co., Ltd. %d", cities[ci], trades[ti], i)
	}
	c.city = cities[ci]
	c.street = streets[(h>>20)%uint64(len(streets))]
	c.house = strconv.Itoa(int(h>>24%900) + 1)
	c.postal = strconv.Itoa(200000 + int(h>>32%700000))
	c.phone = fmt.Sprintf("0512-%08d", h>>12%100000000)
	c.taxType, c.taxNo = "CN5", fmt.Sprintf("91320500%010d", h>>20%10000000000)
	c.paymentTerms = terms[(h>>40)%uint64(len(terms))]
	c.minDiscount = FormatPercent(7000 + int64(h>>44%30)*100)
	c.creditLimit = strconv.Itoa(int(h>>50%500)*10000) + ".00"
	c.blocked = h>>60%50 == 0
	base := s.custStamp(i)
	if ch, ok := s.cust.changed[i]; ok {
		c.created = base.Add(-30 * 24 * time.Hour)
		c.changed = ch.at
	} else if i%3 == 0 {
		c.created = base // never changed: LastChangeDate is null
	} else {
		c.created = base.Add(-30 * 24 * time.Hour)
		c.changed = base
	}
	if s.opts.Faults.MalformedRate > 0 && float64(simulation.Mix(s.opts.Seed^uint64(i)*7919)%1_000_000)/1e6 < s.opts.Faults.MalformedRate {
		c.malformed = int(h>>4%3) + 1
	}
	return c
}

// FormatPercent writes basis points as a percent Edm.Decimal: 8500 → "85.00".
func FormatPercent(bp int64) string { return fmt.Sprintf("%d.%02d", bp/100, bp%100) }

// pad and sortedInsertString keep their short names in this package, where
// every generated key is padded and every added row's key inserted.
var (
	pad                = simulation.Pad
	sortedInsertString = simulation.Insert[string]
)

// changeRec is a run-time change of a generated row.
type changeRec struct {
	version int
	at      time.Time
}

// rowStore holds one entity's rows that are not as generated: generated rows
// changed at run time (a new version and stamp, or a whole row written over
// one), and explicit rows by key. Customers and invoices keep theirs alike.
type rowStore[T any] struct {
	changed    map[int]changeRec
	override   map[int]T
	changedIdx []int // changed's indexes, sorted
	explicit   map[string]T
	keys       []string // explicit's keys, sorted
}

func newRowStore[T any]() rowStore[T] {
	return rowStore[T]{changed: map[int]changeRec{}, override: map[int]T{}, explicit: map[string]T{}}
}

// at is generated row i as it stands now: the row written over it if there
// is one, else the row generated at the version its changes reached.
func (r *rowStore[T]) at(gen func(i, version int) T, i int) T {
	if ov, ok := r.override[i]; ok {
		return ov
	}
	return gen(i, r.changed[i].version)
}

// put stores row v: at generated index i, changed to version at stamp at,
// or, for i < 0, as the explicit row key.
func (r *rowStore[T]) put(v T, i int, key string, version int, at time.Time) {
	if i < 0 {
		r.explicit[key] = v
		r.keys = simulation.Insert(r.keys, key)
		return
	}
	r.override[i] = v
	r.touch(i, version, at)
}

// touch records generated row i changed to version at stamp at.
func (r *rowStore[T]) touch(i, version int, at time.Time) {
	r.changed[i] = changeRec{version: version, at: at}
	r.changedIdx = simulation.Insert(r.changedIdx, i)
}

// changeSpread changes n of the first total generated rows, chosen evenly
// from offset, at stamp now, and returns their keys (key of each index): a
// row written over is changed by rewrite, any other moves to its next
// version.
func (r *rowStore[T]) changeSpread(total, n, offset int, now time.Time, key func(i int) string, rewrite func(T)) []string {
	var keys []string
	for _, i := range simulation.Spread(total, n, offset) {
		if ov, ok := r.override[i]; ok {
			rewrite(ov)
		} else {
			r.touch(i, r.changed[i].version+1, now)
		}
		keys = append(keys, key(i))
	}
	return keys
}

func (r *rowStore[T]) isChanged(i int) bool { _, ok := r.changed[i]; return ok }

func (r *rowStore[T]) byKey(key string) T { return r.explicit[key] }

// invoice is an A_BillingDocument and its receivable line item.
type invoice struct {
	index       int
	number      string
	soldTo      string
	salesOrder  string
	terms       string
	currency    string
	net, tax    int64
	billed      time.Time // billing date (midnight UTC)
	changed     time.Time // LastChangeDateTime
	cancelled   bool
	accDoc      string // the accounting document that posted it
	clearingDoc string // the incoming payment that cleared it, "" while open
	cleared     time.Time
	malformed   int
}

func (v *invoice) get(prop string) any {
	switch prop {
	case "BillingDocument", "DocumentReferenceID":
		return v.number
	case "SoldToParty", "Customer":
		return v.soldTo
	case "LastChangeDateTime":
		return v.changed
	case "BillingDocumentDate", "PostingDate":
		return v.billed
	case "SDDocumentCategory":
		return "M"
	case "BillingDocumentIsCancelled":
		return v.cancelled
	case "AccountingDocument":
		return v.accDoc
	case "AccountingDocumentItem":
		return "001"
	case "FinancialAccountType":
		return "D"
	case "AccountingDocumentType":
		return "RV"
	case "CompanyCode":
		return "1010"
	case "FiscalYear":
		return strconv.Itoa(v.billed.Year())
	case "ClearingAccountingDocument":
		return v.clearingDoc
	case "ClearingDate":
		if v.clearingDoc == "" {
			return nil
		}
		return v.cleared
	case "TransactionCurrency":
		return v.currency
	}
	return nil
}

func genInvoiceKey(i int) string { return "9" + simulation.Pad(i, 9) }

func (s *Sim) invStamp(i int) time.Time {
	return s.genStart.Add(time.Duration(i) * s.invStep).Truncate(time.Second)
}

// clearDays is how long after billing a generated invoice is paid.
const clearDays = 20

// genInvoice computes generated invoice i at version v: billed to generated
// customer i mod customers, six in ten paid twenty days after billing (if that
// day has come by the epoch).
func (s *Sim) genInvoice(i, v int) *invoice {
	h := s.hash(2, uint64(i), uint64(v))
	st := s.invStamp(i)
	inv := &invoice{index: i, number: genInvoiceKey(i), currency: "CNY", terms: terms[h%uint64(len(terms))],
		salesOrder: "5" + simulation.Pad(i, 9), accDoc: "90" + simulation.Pad(i, 8)}
	if n := s.opts.Customers; n > 0 {
		inv.soldTo = genCustomerKey(i % n)
	} else {
		inv.soldTo = "C1001"
	}
	inv.net = int64(h>>8%5_000_000+10_000) * 100
	inv.tax = inv.net * 13 / 100
	inv.billed = day(st)
	inv.changed = st
	if ch, ok := s.inv.changed[i]; ok {
		inv.changed = ch.at
		inv.cancelled = ch.version%2 == 1 && h>>30%4 == 0
	}
	if i%10 < 6 {
		if paid := inv.billed.AddDate(0, 0, clearDays); !paid.After(day(s.epoch)) {
			inv.clearingDoc, inv.cleared = "14"+simulation.Pad(i, 8), paid
		}
	}
	if s.opts.Faults.MalformedRate > 0 && float64(simulation.Mix(s.opts.Seed^uint64(i)*104729)%1_000_000)/1e6 < s.opts.Faults.MalformedRate {
		inv.malformed = int(h>>4%2) + 1
	}
	return inv
}

// salesOrder is an A_SalesOrder created through the API.
type salesOrder struct {
	number, soldTo, customerRef, currency string
	requested                             time.Time
	net                                   int64
	items                                 []orderItem
	deliveries                            []delivery
	complete                              bool
}

type orderItem struct {
	item, material, unit string
	qty                  int64
	price                int64
	confirmed            time.Time // the schedule line's confirmed delivery day; the requested one at first
}

func (o *salesOrder) get(prop string) any {
	switch prop {
	case "SalesOrder":
		return o.number
	case "SoldToParty":
		return o.soldTo
	case "PurchaseOrderByCustomer":
		return o.customerRef
	}
	return nil
}

type delivery struct {
	number  string
	shipped time.Time
}
