// Package kingdeesim is a Kingdee K3 Cloud simulator: the Web API calls
// l2c's Kingdee connector makes (ValidateUser, ExecuteBillQuery, Save) over
// BD_Customer, AR_receivable, AR_RECEIVEBILL, SAL_SaleOrder and
// SAL_OUTSTOCK, answered as K3 Cloud answers them: HTTP 200 with a
// ResponseStatus for failures, rows as arrays in FieldKeys order, datetimes
// in the server's zone (Asia/Shanghai), sessions in cookies that expire.
// It generates customers, receivables and receipts on demand (a million
// rows cost no memory), pages with StartRow/Limit (at most 2,000 rows) and
// can inject latency and 503s.
package kingdeesim

import (
	"cmp"
	crand "crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/l2c/l2c/connectors/kingdee"
	"github.com/l2c/l2c/connectors/simulation"
)

// Options configure a simulator.
type Options struct {
	// Customers and Receivables are how many rows to generate; six in ten
	// receivables older than twenty days have a receipt.
	Customers, Receivables int
	Seed                   uint64
	// Epoch is the "now" of generated data (stamps lie in the two years before it).
	Epoch time.Time
	// AcctID, Username, Password for ValidateUser: L2C_DC / l2c_api / sim-secret by default.
	AcctID, Username, Password string
	// Custom fields of BD_Customer.
	MinDiscountField, CreditLimitField, KeyField string
	Faults                                       Faults
	Now                                          func() time.Time
	Log                                          *slog.Logger
}

// Default custom field names.
const (
	DefaultMinDiscountField = "F_L2C_MinDiscount"
	DefaultCreditLimitField = "F_L2C_CreditLimit"
)

// Faults to inject.
type Faults struct {
	Latency   time.Duration `json:"latency"`
	ErrorRate float64       `json:"error_rate"` // requests answered 503
}

// Sim is a running simulator. Its methods are safe for concurrent use.
type Sim struct {
	opts     Options
	loc      *time.Location
	epoch    time.Time
	genStart time.Time
	custStep time.Duration
	recStep  time.Duration

	mu        sync.RWMutex
	faults    Faults
	sessions  map[string]bool
	custMod   map[int]*customer // changed generated customers
	custIdx   []int             // their indexes, sorted
	custX     map[string]*customer
	custXKeys []string
	recX      map[string]*receivable
	recXKeys  []string
	rcptX     map[string]*receipt // key: bill number
	rcptXKeys []string
	orders    map[string]*order
	orderKeys []string
	outs      map[string]*outStock
	outKeys   []string
	seq       int

	meter simulation.Meter
	dice  *simulation.Dice
}

// New returns a simulator.
func New(o Options) *Sim {
	o.AcctID = cmp.Or(o.AcctID, "L2C_DC")
	o.Username = cmp.Or(o.Username, "l2c_api")
	o.Password = cmp.Or(o.Password, "sim-secret")
	o.MinDiscountField = cmp.Or(o.MinDiscountField, DefaultMinDiscountField)
	o.CreditLimitField = cmp.Or(o.CreditLimitField, DefaultCreditLimitField)
	o.KeyField = cmp.Or(o.KeyField, "F_L2C_Key")
	simulation.Clock(&o.Now, &o.Epoch, &o.Log)
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	s := &Sim{opts: o, loc: loc, epoch: o.Epoch.Truncate(time.Second), faults: o.Faults, sessions: map[string]bool{},
		custMod: map[int]*customer{}, custX: map[string]*customer{}, recX: map[string]*receivable{},
		rcptX: map[string]*receipt{}, orders: map[string]*order{}, outs: map[string]*outStock{},
		dice: simulation.NewDice(o.Seed, 0x6b64)}
	const span = 2 * 365 * 24 * time.Hour
	s.genStart = s.epoch.Add(-span)
	if o.Customers > 0 {
		s.custStep = (span - time.Minute) / time.Duration(o.Customers)
	}
	if o.Receivables > 0 {
		// Receipts come twenty days after their receivable and must be
		// stamped before the epoch too.
		s.recStep = (span - 21*24*time.Hour) / time.Duration(o.Receivables)
	}
	return s
}

// SetFaults replaces the injected faults.
func (s *Sim) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// Requests counts the Web API requests answered (faults included).
func (s *Sim) Requests() int64 { return s.meter.Requests() }

// Injected counts the requests answered with a fault.
func (s *Sim) Injected() int64 { return s.meter.Injected() }

// ExpireSessions forgets every session, as an IIS recycle does.
func (s *Sim) ExpireSessions() {
	s.mu.Lock()
	s.sessions = map[string]bool{}
	s.mu.Unlock()
}

func (s *Sim) now() time.Time { return s.opts.Now().Truncate(time.Second) }

// stamp formats t as K3 Cloud writes datetimes: local time, no zone.
func (s *Sim) stamp(t time.Time) string { return t.In(s.loc).Format("2006-01-02T15:04:05") }

func (s *Sim) day(t time.Time) string {
	return t.In(s.loc).Format("2006-01-02") + "T00:00:00"
}

const cookieName = "kdservice-sessionid"

// Handler serves the Web API under /k3cloud/.
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /k3cloud/"+kingdee.PathLogin, s.faulty(s.login))
	mux.HandleFunc("POST /k3cloud/"+kingdee.PathBillQuery, s.faulty(s.session(s.billQuery)))
	mux.HandleFunc("POST /k3cloud/"+kingdee.PathSave, s.faulty(s.session(s.save)))
	return mux
}

func (s *Sim) faulty(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.meter.Request()
		s.mu.RLock()
		f := s.faults
		s.mu.RUnlock()
		if !simulation.Delay(r.Context(), f.Latency) {
			return
		}
		if s.dice.Roll(f.ErrorRate) {
			s.meter.Inject()
			http.Error(w, "Service Unavailable (simulated)", http.StatusServiceUnavailable)
			return
		}
		next(w, r)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// failBody is K3 Cloud's failure: {"Result": {"ResponseStatus": …}}; a
// query wraps it as [[…]].
func failBody(msg string, query bool) any {
	st := map[string]any{"ErrorCode": 500, "IsSuccess": false, "MsgCode": 1,
		"Errors": []map[string]any{{"FieldName": nil, "Message": msg, "DIndex": 0}}, "SuccessEntitys": []any{}}
	body := map[string]any{"Result": map[string]any{"ResponseStatus": st}}
	if query {
		return [][]any{{body}}
	}
	return body
}

func (s *Sim) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AcctID   string `json:"acctID"`
		Username string `json:"username"`
		Password string `json:"password"`
		LCID     int    `json:"lcid"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		writeJSON(w, map[string]any{"LoginResultType": 0, "Message": "参数格式错误: " + err.Error()})
		return
	}
	if in.AcctID != s.opts.AcctID {
		writeJSON(w, map[string]any{"LoginResultType": 0, "Message": "数据中心不存在"})
		return
	}
	if in.Username != s.opts.Username || in.Password != s.opts.Password {
		writeJSON(w, map[string]any{"LoginResultType": -1, "Message": "用户名或密码错误！"})
		return
	}
	b := make([]byte, 18)
	_, _ = crand.Read(b)
	sid := base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	s.sessions[sid] = true
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: sid, Path: "/", HttpOnly: true})
	writeJSON(w, map[string]any{"LoginResultType": 1, "Message": nil, "KDSVCSessionId": sid,
		"Context": map[string]any{"UserName": in.Username, "DBid": in.AcctID, "UserLocale": "zh-CN"}})
}

func (s *Sim) session(next func(http.ResponseWriter, *http.Request, []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			return
		}
		ok := false
		if c, err := r.Cookie(cookieName); err == nil {
			s.mu.RLock()
			ok = s.sessions[c.Value]
			s.mu.RUnlock()
		}
		if !ok {
			writeJSON(w, failBody("会话信息已丢失，请重新登录", strings.Contains(r.URL.Path, "ExecuteBillQuery")))
			return
		}
		next(w, r, body)
	}
}

// --- data ---

func (s *Sim) hash(kind, i uint64) uint64 {
	return simulation.Mix(s.opts.Seed ^ simulation.Mix(kind<<56^i))
}

var (
	cities = []string{"苏州", "宁波", "无锡", "常州", "杭州", "佛山", "东莞", "青岛", "上海", "厦门"}
	trades = []string{"精密零件", "汽车零部件", "纺织机械", "液压", "轴承", "电机", "模具", "铸造", "阀门", "电气"}
	terms  = []string{"SKTJ01_SYS", "SKTJ02_SYS", "SKTJ03_SYS"}
)

type customer struct {
	index                                     int
	id                                        int64
	number, name, tax, addr, tel, terms, curr string
	forbid                                    string
	created, modified                         time.Time
	key, minDiscount, creditLimit             string
}

func custKey(i int) string { return "C" + simulation.Pad(i, 7) }

func (s *Sim) genCustomer(i int) *customer {
	if c, ok := s.custMod[i]; ok {
		return c
	}
	h := s.hash(1, uint64(i))
	city, trade := cities[h%uint64(len(cities))], trades[(h>>8)%uint64(len(trades))]
	name := city + trade + "有限公司"
	if i%7 == 0 { // registered names with a branch in full-width parentheses
		name = trade + "贸易（" + city + "）有限公司"
	}
	at := s.genStart.Add(time.Duration(i) * s.custStep).Truncate(time.Second)
	return &customer{index: i, id: int64(100000 + i), number: custKey(i), name: name,
		tax: fmt.Sprintf("91320500%010d", h%10000000000), addr: city + "市工业园区" + strconv.Itoa(int(h%900)+1) + "号",
		tel: fmt.Sprintf("0512-%08d", h%100000000), terms: terms[(h>>16)%uint64(len(terms))], curr: "PRE001",
		forbid: "A", created: at, modified: at, minDiscount: "85", creditLimit: strconv.Itoa(int(h%50+1) * 10000)}
}

func (c *customer) get(f string, o *Options, s *Sim) any {
	switch f {
	case "FNumber":
		return c.number
	case "FName":
		return c.name
	case "FTAXREGISTERCODE":
		return c.tax
	case "FADDRESS":
		return c.addr
	case "FTEL":
		return c.tel
	case "FRECCONDITIONID.FNumber":
		return c.terms
	case "FTRADINGCURRID.FNumber":
		return c.curr
	case "FForbidStatus":
		return c.forbid
	case "FDocumentStatus":
		return "C"
	case "FModifyDate":
		return s.stamp(c.modified)
	case "FCreateDate":
		return s.stamp(c.created)
	case "FCUSTID":
		return json.Number(strconv.FormatInt(c.id, 10))
	case o.KeyField:
		return c.key
	case o.MinDiscountField:
		return decimalOrNil(c.minDiscount)
	case o.CreditLimitField:
		return decimalOrNil(c.creditLimit)
	}
	return unknown{}
}

// unknown marks a field the form does not have.
type unknown struct{}

func decimalOrNil(s string) any {
	if s == "" {
		return nil
	}
	return json.Number(s)
}

type receivable struct {
	index                          int
	number, cust, order, curr      string
	amount                         int64 // fen
	billed, due, modified, cleared time.Time
	paid                           bool
}

func recKey(i int) string { return "AR" + simulation.Pad(i, 8) }

func (s *Sim) genReceivable(i int) *receivable {
	h := s.hash(2, uint64(i))
	at := s.genStart.Add(time.Duration(i) * s.recStep).Truncate(time.Second)
	cust := ""
	if s.opts.Customers > 0 {
		cust = custKey(int(h % uint64(s.opts.Customers)))
	}
	r := &receivable{index: i, number: recKey(i), cust: cust, curr: "PRE001", amount: int64(h%5000000) + 10000,
		billed: at, due: at.AddDate(0, 0, 30), modified: at}
	if h%10 < 6 {
		r.paid, r.cleared = true, at.AddDate(0, 0, 20)
	}
	return r
}

func fen(v int64) json.Number { return json.Number(fmt.Sprintf("%d.%02d", v/100, v%100)) }

func (r *receivable) get(f string, s *Sim) any {
	switch f {
	case "FBillNo":
		return r.number
	case "FCUSTOMERID.FNumber":
		return r.cust
	case "FDATE":
		return s.day(r.billed)
	case "FENDDATE_H":
		return s.day(r.due)
	case "FALLAMOUNTFOR":
		return fen(r.amount)
	case "FCURRENCYID.FNumber":
		return r.curr
	case "FCancelStatus":
		return "A"
	case "FDocumentStatus":
		return "C"
	case "FModifyDate":
		return s.stamp(r.modified)
	case "FORDERNUMBER":
		return r.order
	case "FEntityDetail_FSeq":
		return float64(1)
	}
	return unknown{}
}

type receipt struct {
	number string
	entry  int64
	rec    *receivable
	at     time.Time
}

func rcptKey(i int) string { return "SK" + simulation.Pad(i, 8) }

func (p *receipt) get(f string, s *Sim) any {
	switch f {
	case "FBillNo":
		return p.number
	case "FRECEIVEBILLSRCENTRY_FEntryID":
		return float64(p.entry)
	case "FCONTACTUNIT.FNumber":
		return p.rec.cust
	case "FDATE":
		return s.day(p.at)
	case "FCURRENCYID.FNumber":
		return p.rec.curr
	case "FSRCBILLNO":
		return p.rec.number
	case "FREALRECAMOUNT_S":
		return fen(p.rec.amount)
	case "FModifyDate":
		return s.stamp(p.at)
	case "FDocumentStatus":
		return "C"
	case "FSRCBILLTYPEID":
		return "AR_receivable"
	}
	return unknown{}
}

// genReceipt is the receipt of generated receivable i, or nil.
func (s *Sim) genReceipt(i int) *receipt {
	r := s.genReceivable(i)
	if !r.paid || r.cleared.After(s.epoch) {
		return nil
	}
	return &receipt{number: rcptKey(i), entry: int64(i + 1), rec: r, at: r.cleared}
}

type orderLine struct {
	material     string
	qty, shipped int64
	price        int64
	// planned is the line's planned delivery day (FMinPlanDeliveryDate):
	// the requested day (FDeliveryDate) once saved, a later one after Confirm.
	planned time.Time
}

type order struct {
	number, cust, note, curr string
	lines                    []orderLine
}

func (o *order) total() int64 {
	var t int64
	for _, l := range o.lines {
		t += l.qty * l.price
	}
	return t
}

type outStock struct {
	number, order string
	at            time.Time
}
