package kingdeesim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/l2c/l2c/connectors/kingdee"
	"github.com/l2c/l2c/connectors/simulation"
)

type row func(field string) any

func (r row) get(f string) any { return r(f) }

// source is one form's rows in key order: generated ones by index, then
// explicit ones by key.
type source struct {
	key      string
	n        int
	gen      func(i int) row // nil when generated row i does not exist
	firstAt  func(t time.Time) int
	keyIndex func(k string) (int, bool)
	genKey   func(i int) string
	changed  []int
	xKeys    []string
	x        func(k string) []row
	// entry fields make a row per entry (orders: per line)
}

func (s *Sim) source(form string) (*source, bool) {
	o := &s.opts
	switch form {
	case kingdee.FormCustomer:
		return &source{key: "FNumber", n: o.Customers, changed: s.custIdx, xKeys: s.custXKeys, genKey: custKey,
			gen:      func(i int) row { c := s.genCustomer(i); return func(f string) any { return c.get(f, o, s) } },
			firstAt:  func(t time.Time) int { return simulation.FirstIndex(t, s.genStart, s.custStep) },
			keyIndex: simulation.IndexOf("C", 7),
			x: func(k string) []row {
				c := s.custX[k]
				return []row{func(f string) any { return c.get(f, o, s) }}
			}}, true
	case kingdee.FormReceivable:
		return &source{key: "FBillNo", n: o.Receivables, xKeys: s.recXKeys, genKey: recKey,
			gen:      func(i int) row { r := s.genReceivable(i); return func(f string) any { return r.get(f, s) } },
			firstAt:  func(t time.Time) int { return simulation.FirstIndex(t, s.genStart, s.recStep) },
			keyIndex: simulation.IndexOf("AR", 8),
			x: func(k string) []row {
				r := s.recX[k]
				return []row{func(f string) any { return r.get(f, s) }}
			}}, true
	case kingdee.FormReceipt:
		return &source{key: "FBillNo", n: o.Receivables, xKeys: s.rcptXKeys, genKey: rcptKey,
			gen: func(i int) row {
				p := s.genReceipt(i)
				if p == nil {
					return nil
				}
				return func(f string) any { return p.get(f, s) }
			},
			firstAt:  func(t time.Time) int { return simulation.FirstIndex(t.AddDate(0, 0, -21), s.genStart, s.recStep) },
			keyIndex: simulation.IndexOf("SK", 8),
			x: func(k string) []row {
				p := s.rcptX[k]
				return []row{func(f string) any { return p.get(f, s) }}
			}}, true
	case kingdee.FormSaleOrder:
		return &source{key: "FBillNo", xKeys: s.orderKeys, genKey: func(int) string { return "" },
			keyIndex: func(string) (int, bool) { return 0, false },
			x: func(k string) []row {
				od := s.orders[k]
				var out []row
				for i := range od.lines {
					l := od.lines[i]
					out = append(out, func(f string) any {
						if f == "FMinPlanDeliveryDate" {
							if l.planned.IsZero() {
								return nil
							}
							return s.day(l.planned)
						}
						return orderField(od, l, f)
					})
				}
				return out
			}}, true
	case kingdee.FormOutStock:
		return &source{key: "FBillNo", xKeys: s.outKeys, genKey: func(int) string { return "" },
			keyIndex: func(string) (int, bool) { return 0, false },
			x: func(k string) []row {
				st := s.outs[k]
				return []row{func(f string) any {
					switch f {
					case "FBillNo":
						return st.number
					case "FDate":
						return s.day(st.at)
					case "FSOORDERNO":
						return st.order
					case "FDocumentStatus":
						return "C"
					}
					return unknown{}
				}}
			}}, true
	}
	return nil, false
}

func orderField(o *order, l orderLine, f string) any {
	switch f {
	case "FBillNo":
		return o.number
	case "FCustId.FNumber":
		return o.cust
	case "FNote":
		return o.note
	case "FBillAllAmount":
		return fen(o.total())
	case "FSettleCurrId.FNumber":
		return o.curr
	case "FDocumentStatus":
		return "C"
	case "FQty":
		return json.Number(strconv.FormatInt(l.qty, 10))
	case "FStockOutQty":
		return json.Number(strconv.FormatInt(l.shipped, 10))
	case "FMaterialId.FNumber":
		return l.material
	}
	return unknown{}
}

func (s *Sim) billQuery(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		Data kingdee.BillQuery `json:"data"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeJSON(w, failBody("JSON格式错误: "+err.Error(), true))
		return
	}
	q := in.Data
	cond, err := parseFilter(q.FilterString)
	if err != nil {
		writeJSON(w, failBody("过滤条件错误: "+err.Error(), true))
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	src, ok := s.source(q.FormID)
	if !ok {
		writeJSON(w, failBody("业务对象 "+q.FormID+" 不存在", true))
		return
	}
	if ob := strings.TrimSpace(q.OrderString); ob != "" {
		first, _, _ := strings.Cut(ob, ",")
		if f := strings.Fields(first); len(f) == 0 || f[0] != src.key || (len(f) > 1 && !strings.EqualFold(f[1], "ASC")) {
			writeJSON(w, failBody("模拟器只支持按 "+src.key+" 升序排序", true))
			return
		}
	}
	fields := strings.Split(q.FieldKeys, ",")
	for i := range fields {
		fields[i] = strings.TrimSpace(fields[i])
	}
	limit := q.Limit
	if limit > 2000 || limit <= 0 {
		limit = 2000 // K3 Cloud's cap on one query
	}
	rows, bad := s.scan(src, cond, q.StartRow, limit, fields)
	if bad != "" {
		writeJSON(w, failBody("字段 "+bad+" 不存在", true))
		return
	}
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(rows)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
}

// scan returns up to limit matching rows after skipping start of them,
// projected on fields; bad names a field the form does not have.
func (s *Sim) scan(src *source, c simulation.Expr, start, limit int, fields []string) ([][]any, string) {
	keyStart, xFrom := 0, 0
	if kb, ok := lowerBound(c, src.key); ok {
		if i, ok := src.keyIndex(kb); ok && i < src.n {
			keyStart = i
		} else if src.n == 0 || kb > src.genKey(src.n-1) {
			keyStart = src.n
			xFrom = sort.SearchStrings(src.xKeys, kb)
		}
	}
	stampStart := 0
	if sb, ok := lowerBound(c, "FModifyDate"); ok && src.firstAt != nil {
		if t, err := time.ParseInLocation("2006-01-02 15:04:05", sb, s.loc); err == nil {
			stampStart = src.firstAt(t)
		}
	}
	from := max(keyStart, stampStart)
	out := [][]any{}
	skipped := 0
	bad := ""
	visit := func(r row) bool {
		if r == nil {
			return true
		}
		if c != nil && !c.Eval(r) {
			return true
		}
		if skipped < start {
			skipped++
			return true
		}
		vals := make([]any, len(fields))
		for i, f := range fields {
			v := r(f)
			if _, ok := v.(unknown); ok {
				bad = f
				return false
			}
			vals[i] = v
		}
		out = append(out, vals)
		return len(out) < limit
	}
	for _, i := range src.changed {
		if i >= keyStart && i < from {
			if !visit(src.gen(i)) {
				return out, bad
			}
		}
	}
	for i := from; i < src.n; i++ {
		if !visit(src.gen(i)) {
			return out, bad
		}
	}
	for _, k := range src.xKeys[xFrom:] {
		for _, r := range src.x(k) {
			if !visit(r) {
				return out, bad
			}
		}
	}
	return out, bad
}

// --- Save ---

func (s *Sim) save(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		FormID string `json:"formid"`
		Data   struct {
			Model            map[string]any `json:"Model"`
			NeedUpDateFields []string       `json:"NeedUpDateFields"`
		} `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil || in.Data.Model == nil {
		writeJSON(w, failBody(fmt.Sprintf("JSON格式错误: %v", err), false))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var id int64
	var number, msg string
	switch in.FormID {
	case kingdee.FormCustomer:
		id, number, msg = s.saveCustomer(in.Data.Model, in.Data.NeedUpDateFields)
	case kingdee.FormSaleOrder:
		id, number, msg = s.saveOrder(in.Data.Model)
	default:
		msg = "模拟器不支持保存 " + in.FormID
	}
	if msg != "" {
		writeJSON(w, failBody(msg, false))
		return
	}
	writeJSON(w, map[string]any{"Result": map[string]any{"ResponseStatus": map[string]any{"ErrorCode": 0, "IsSuccess": true,
		"Errors": []any{}, "SuccessEntitys": []map[string]any{{"Id": id, "Number": number, "DIndex": 0}}, "MsgCode": 0},
		"Id": id, "Number": number, "NeedReturnData": []any{map[string]any{}}}})
}

func fnumber(v any) string {
	if m, ok := v.(map[string]any); ok {
		for _, k := range []string{"FNumber", "FNUMBER", "FNumber "} {
			if s, ok := m[k].(string); ok {
				return s
			}
		}
	}
	return ""
}

func numText(v any) (string, bool) {
	switch x := v.(type) {
	case json.Number:
		return x.String(), true
	case string:
		return x, x != ""
	}
	return "", false
}

// saveCustomer creates a customer, or updates the one FCUSTID names; callers hold s.mu.
func (s *Sim) saveCustomer(m map[string]any, update []string) (int64, string, string) {
	o := &s.opts
	if raw, ok := m["FCUSTID"]; ok {
		n, _ := numText(raw)
		idv, _ := strconv.ParseInt(n, 10, 64)
		if idv != 0 {
			cur := s.customerByID(idv)
			if cur == nil {
				return 0, "", fmt.Sprintf("客户 %d 不存在", idv)
			}
			next := *cur
			for _, f := range update {
				v := m[f]
				switch f {
				case "FRECCONDITIONID":
					next.terms = fnumber(v)
				case o.MinDiscountField:
					next.minDiscount, _ = numText(v)
				case o.CreditLimitField:
					next.creditLimit, _ = numText(v)
				default:
					return 0, "", "字段 " + f + " 不允许通过接口修改"
				}
			}
			next.modified = s.now()
			if !next.modified.After(cur.modified) {
				next.modified = cur.modified.Add(time.Second)
			}
			s.storeCustomer(&next)
			return next.id, next.number, ""
		}
	}
	name, _ := m["FName"].(string)
	if strings.TrimSpace(name) == "" {
		return 0, "", "“客户名称”是必填项"
	}
	s.seq++
	now := s.now()
	c := &customer{index: -1, id: int64(900000 + s.seq), number: "CX" + simulation.Pad(s.seq, 6), name: name, forbid: "A",
		curr: "PRE001", created: now, modified: now}
	c.tax, _ = m["FTAXREGISTERCODE"].(string)
	c.addr, _ = m["FADDRESS"].(string)
	c.tel, _ = m["FTEL"].(string)
	c.key, _ = m[o.KeyField].(string)
	if t := fnumber(m["FRECCONDITIONID"]); t != "" {
		c.terms = t
	}
	if cur := fnumber(m["FTRADINGCURRID"]); cur != "" {
		c.curr = cur
	}
	c.minDiscount, _ = numText(m[o.MinDiscountField])
	c.creditLimit, _ = numText(m[o.CreditLimitField])
	s.storeCustomer(c)
	return c.id, c.number, ""
}

func (s *Sim) customerByID(id int64) *customer {
	if i := int(id - 100000); id >= 100000 && id < 900000 && i < s.opts.Customers {
		return s.genCustomer(i)
	}
	for _, c := range s.custX {
		if c.id == id {
			return c
		}
	}
	return nil
}

// storeCustomer keeps a created or changed customer; callers hold s.mu.
func (s *Sim) storeCustomer(c *customer) {
	if c.index >= 0 {
		if _, ok := s.custMod[c.index]; !ok {
			i := sort.SearchInts(s.custIdx, c.index)
			s.custIdx = append(s.custIdx[:i], append([]int{c.index}, s.custIdx[i:]...)...)
		}
		s.custMod[c.index] = c
		return
	}
	if _, ok := s.custX[c.number]; !ok {
		i := sort.SearchStrings(s.custXKeys, c.number)
		s.custXKeys = append(s.custXKeys[:i], append([]string{c.number}, s.custXKeys[i:]...)...)
	}
	s.custX[c.number] = c
}

func (s *Sim) customerExists(num string) bool {
	if _, ok := s.custX[num]; ok {
		return true
	}
	i, ok := simulation.IndexOf("C", 7)(num)
	return ok && i < s.opts.Customers
}

func (s *Sim) saveOrder(m map[string]any) (int64, string, string) {
	cust := fnumber(m["FCustId"])
	if !s.customerExists(cust) {
		return 0, "", "客户 " + cust + " 不存在或未审核"
	}
	entries, _ := m["FSaleOrderEntry"].([]any)
	if len(entries) == 0 {
		return 0, "", "订单明细不能为空"
	}
	s.seq++
	od := &order{number: "XSDD" + simulation.Pad(s.seq, 6), cust: cust, curr: "PRE001"}
	od.note, _ = m["FNote"].(string)
	if fin, ok := m["FSaleOrderFinance"].(map[string]any); ok {
		if c := fnumber(fin["FSettleCurrId"]); c != "" {
			od.curr = c
		}
	}
	for _, e := range entries {
		em, _ := e.(map[string]any)
		l := orderLine{material: fnumber(em["FMaterialId"])}
		q, _ := numText(em["FQty"])
		l.qty, _ = strconv.ParseInt(q, 10, 64)
		if p, ok := numText(em["FTaxPrice"]); ok {
			whole, frac, _ := strings.Cut(p, ".")
			for len(frac) < 2 {
				frac += "0"
			}
			w, _ := strconv.ParseInt(whole, 10, 64)
			f, _ := strconv.ParseInt(frac[:2], 10, 64)
			l.price = w*100 + f
		}
		if l.material == "" || l.qty <= 0 {
			return 0, "", "明细行缺少物料或数量"
		}
		if d, ok := em["FDeliveryDate"].(string); ok && d != "" {
			t, err := time.ParseInLocation("2006-01-02", d, s.loc)
			if err != nil {
				return 0, "", "要货日期格式不正确：" + d
			}
			l.planned = t
		}
		od.lines = append(od.lines, l)
	}
	s.orders[od.number] = od
	s.orderKeys = simulation.Insert(s.orderKeys, od.number)
	return int64(700000 + s.seq), od.number, ""
}

// --- acting as ERP users ---

// ChangeCustomers changes n generated customers (spread over the table from
// offset) as Kingdee users would, stamping them now; it returns their numbers.
func (s *Sim) ChangeCustomers(n, offset int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var codes []string
	for _, i := range simulation.Spread(s.opts.Customers, n, offset) {
		c := *s.genCustomer(i)
		c.tel = fmt.Sprintf("0512-%08d", simulation.Mix(uint64(i)^uint64(c.modified.Unix()))%100000000)
		c.modified = s.now()
		s.storeCustomer(&c)
		codes = append(codes, c.number)
	}
	return codes
}

// AddReceivable books a receivable (应收单) for customer billing sales order
// so, amount in fen; it returns its number.
func (s *Sim) AddReceivable(customer, so string, amount int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	now := s.now()
	r := &receivable{index: -1, number: "ARX" + simulation.Pad(s.seq, 7), cust: customer, order: so, curr: "PRE001",
		amount: amount, billed: now, due: now.AddDate(0, 0, 30), modified: now}
	s.recX[r.number] = r
	s.recXKeys = simulation.Insert(s.recXKeys, r.number)
	return r.number
}

// Receive books a receipt (收款单) clearing receivable recNo in full.
func (s *Sim) Receive(recNo string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recX[recNo]
	if !ok {
		return "", fmt.Errorf("no receivable %s", recNo)
	}
	s.seq++
	p := &receipt{number: "SKX" + simulation.Pad(s.seq, 7), entry: int64(800000 + s.seq), rec: r, at: s.now()}
	s.rcptX[p.number] = p
	s.rcptXKeys = simulation.Insert(s.rcptXKeys, p.number)
	return p.number, nil
}

// Confirm moves the planned delivery day of every line of sales order so
// to day, as a planner would when stock runs late.
func (s *Sim) Confirm(so string, day time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	od, ok := s.orders[so]
	if !ok {
		return fmt.Errorf("no sales order %s", so)
	}
	y, m, d := day.Date()
	for i := range od.lines {
		od.lines[i].planned = time.Date(y, m, d, 0, 0, 0, 0, s.loc)
	}
	return nil
}

// Ship books an outbound delivery (销售出库单) against sales order so;
// final ships every line in full.
func (s *Sim) Ship(so string, final bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	od, ok := s.orders[so]
	if !ok {
		return "", fmt.Errorf("no sales order %s", so)
	}
	s.seq++
	st := &outStock{number: "XSCKD" + simulation.Pad(s.seq, 6), order: so, at: s.now()}
	s.outs[st.number] = st
	s.outKeys = simulation.Insert(s.outKeys, st.number)
	if final {
		for i := range od.lines {
			od.lines[i].shipped = od.lines[i].qty
		}
	}
	return st.number, nil
}
