package erpsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/l2c/l2c/connectors/sap"
)

// API_SALES_ORDER_SRV (A_SalesOrder, deep create with to_Item and
// to_PricingElement) and API_OUTBOUND_DELIVERY_SRV (A_OutbDeliveryItem,
// A_OutbDeliveryHeader) for orders l2c places and what was shipped.

// listPrice is what the simulator charges per unit when an item has no PR00.
const listPrice = 10000 // 100.00

func (s *Sim) createSalesOrder(c *reqCtx) (int, []byte) {
	var in sap.SalesOrder
	if err := json.NewDecoder(http.MaxBytesReader(c.w, c.r.Body, 1<<20)).Decode(&in); err != nil {
		return errBody(http.StatusBadRequest, "Malformed request body: "+err.Error())
	}
	if in.SoldToParty == "" || in.Items == nil || len(in.Items.Results) == 0 {
		return errBody(http.StatusBadRequest, "SoldToParty and at least one item (to_Item) are mandatory")
	}
	if len(in.PurchaseOrderByCustomer) > 35 {
		return errBody(http.StatusBadRequest, "PurchaseOrderByCustomer: at most 35 characters")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.customerByCode(in.SoldToParty) == nil {
		return errBody(http.StatusBadRequest, fmt.Sprintf("Sold-to party %s does not exist", in.SoldToParty))
	}
	if why, blocked := s.orderBlocks[in.SoldToParty]; blocked {
		return errBody(http.StatusBadRequest, fmt.Sprintf("Sold-to party %s is blocked for sales orders (order block %s)", in.SoldToParty, why))
	}
	o := &salesOrder{number: pad(s.nextSeq()+1000, 10), soldTo: in.SoldToParty, customerRef: in.PurchaseOrderByCustomer,
		currency: in.TransactionCurrency}
	if o.currency == "" {
		o.currency = "CNY"
	}
	if in.RequestedDeliveryDate != nil {
		t, err := sap.ParseDate(*in.RequestedDeliveryDate)
		if err != nil {
			return errBody(http.StatusBadRequest, "RequestedDeliveryDate: "+err.Error())
		}
		o.requested = t
	}
	for n, it := range in.Items.Results {
		qty, err := strconv.ParseInt(it.RequestedQuantity, 10, 64)
		if err != nil || qty <= 0 || it.Material == "" {
			return errBody(http.StatusBadRequest, fmt.Sprintf("item %d: Material and a positive RequestedQuantity are mandatory", n+1))
		}
		price := int64(listPrice)
		if it.PricingElements != nil {
			for _, pe := range it.PricingElements.Results {
				if pe.ConditionType == "PR00" {
					if price, err = sap.ParseDecimal(pe.ConditionRateValue); err != nil {
						return errBody(http.StatusBadRequest, fmt.Sprintf("item %d: ConditionRateValue: %v", n+1, err))
					}
				}
			}
		}
		unit := it.RequestedQuantityUnit
		if unit == "" {
			unit = "PC"
		}
		o.items = append(o.items, orderItem{item: strconv.Itoa((n + 1) * 10), material: it.Material, unit: unit, qty: qty, price: price,
			confirmed: o.requested})
		o.net += qty * price
	}
	s.orders[o.number] = o
	s.orderKeys = sortedInsertString(s.orderKeys, o.number)
	var j jbuf
	j.b = append(j.b, `{"d":`...)
	writeSalesOrder(&j, c.base, o)
	j.b = append(j.b, '}')
	c.w.Header().Set("Location", c.base+"A_SalesOrder('"+o.number+"')")
	return http.StatusCreated, j.b
}

func writeSalesOrder(j *jbuf, base string, o *salesOrder) {
	j.open()
	j.meta(base+"A_SalesOrder('"+o.number+"')", "API_SALES_ORDER_SRV.A_SalesOrderType", "")
	j.str("SalesOrder", o.number)
	j.str("SalesOrderType", "OR")
	j.str("SalesOrganization", salesOrg)
	j.str("DistributionChannel", distChannel)
	j.str("OrganizationDivision", division)
	j.str("SoldToParty", o.soldTo)
	j.str("PurchaseOrderByCustomer", o.customerRef)
	j.str("TransactionCurrency", o.currency)
	j.date("RequestedDeliveryDate", o.requested)
	j.str("TotalNetAmount", sap.FormatDecimal(o.net))
	status := "A"
	switch {
	case o.complete:
		status = "C"
	case len(o.deliveries) > 0:
		status = "B"
	}
	j.str("OverallDeliveryStatus", status)
	j.close()
}

func (s *Sim) getSalesOrders(c *reqCtx) {
	if c.key != nil {
		if _, b, ok := entity(c, "A_SalesOrderType", func() *salesOrder { return s.orders[c.key[""]] },
			func(j *jbuf, o *salesOrder) { writeSalesOrder(j, c.base, o) }); ok {
			c.writeJSON(http.StatusOK, b)
		}
		return
	}
	t := &table[*salesOrder]{
		keys:     s.orderKeys,
		explicit: func(k string) *salesOrder { return s.orders[k] },
		keyProp:  "SalesOrder",
		genIndex: func(string) (int, bool) { return 0, false },
		firstAt:  func(time.Time) int { return 0 },
		changed:  func(int) bool { return false },
	}
	serveCollection(c, t, func(j *jbuf, o *salesOrder, _ query) { writeSalesOrder(j, c.base, o) })
}

// Ship records a delivery of the sales order with goods issued today; final
// marks the order completely delivered. It returns the delivery number.
func (s *Sim) Ship(salesOrder string, final bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[salesOrder]
	if !ok {
		return "", fmt.Errorf("no sales order %s", salesOrder)
	}
	d := delivery{number: "8" + pad(s.nextSeq(), 9), shipped: day(s.now())}
	o.deliveries = append(o.deliveries, d)
	o.complete = o.complete || final
	s.deliveries[d.number] = &o.deliveries[len(o.deliveries)-1]
	return d.number, nil
}

type deliveryRow struct {
	number, order string
}

func (d deliveryRow) get(prop string) any {
	switch prop {
	case "DeliveryDocument":
		return d.number
	case "ReferenceSDDocument":
		return d.order
	}
	return nil
}

func (s *Sim) getDeliveryItems(c *reqCtx) {
	q, ok := c.parseQuery()
	if !ok {
		return
	}
	s.mu.RLock()
	var rows []deliveryRow
	for _, k := range s.orderKeys {
		for _, d := range s.orders[k].deliveries {
			if r := (deliveryRow{d.number, k}); q.match(r) {
				rows = append(rows, r)
			}
		}
	}
	s.mu.RUnlock()
	sort.Slice(rows, func(a, b int) bool { return rows[a].number < rows[b].number })
	var j jbuf
	j.b = append(j.b, `{"d":{"results":`...)
	j.openArr()
	for _, r := range rows {
		j.elem()
		j.open()
		j.meta(c.base+"A_OutbDeliveryItem(DeliveryDocument='"+r.number+"',DeliveryDocumentItem='10')",
			"API_OUTBOUND_DELIVERY_SRV.A_OutbDeliveryItemType", "")
		j.str("DeliveryDocument", r.number)
		j.str("DeliveryDocumentItem", "10")
		j.str("ReferenceSDDocument", r.order)
		j.close()
	}
	j.closeArr()
	j.b = append(j.b, "}}"...)
	c.writeJSON(http.StatusOK, j.b)
}

func (s *Sim) getDeliveryHeader(c *reqCtx) {
	if _, b, ok := entity(c, "A_OutbDeliveryHeaderType", func() *delivery { return s.deliveries[c.key[""]] },
		func(j *jbuf, d *delivery) {
			j.open()
			j.meta(c.base+"A_OutbDeliveryHeader('"+d.number+"')", "API_OUTBOUND_DELIVERY_SRV.A_OutbDeliveryHeaderType", "")
			j.str("DeliveryDocument", d.number)
			j.date("ActualGoodsMovementDate", d.shipped)
			j.str("OverallGoodsMovementStatus", "C")
			j.close()
		}); ok {
		c.writeJSON(http.StatusOK, b)
	}
}

// BlockOrders sets (why not empty) or lifts (why empty) the customer's order
// block (the sales area's OrderIsBlockedForCustomer): while set, a sales order
// for the customer is refused with a 400 that says so.
func (s *Sim) BlockOrders(customer, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if why == "" {
		delete(s.orderBlocks, customer)
		return
	}
	s.orderBlocks[customer] = why
}

// OrdersFor lists the numbers of the sales orders placed for customerRef
// (PurchaseOrderByCustomer), in number order: how a test sees that a retried
// create made one order, not two.
func (s *Sim) OrdersFor(customerRef string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for _, k := range s.orderKeys {
		if s.orders[k].customerRef == customerRef {
			out = append(out, k)
		}
	}
	return out
}

// OrderCount is how many sales orders the simulator holds.
func (s *Sim) OrderCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.orders)
}

// Confirm sets the confirmed delivery day of every item of the sales order,
// as availability checking would when stock runs late.
func (s *Sim) Confirm(salesOrder string, day time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[salesOrder]
	if !ok {
		return fmt.Errorf("no sales order %s", salesOrder)
	}
	for i := range o.items {
		o.items[i].confirmed = day.UTC().Truncate(24 * time.Hour)
	}
	return nil
}

type scheduleRow struct {
	order string
	item  *orderItem
}

func (r scheduleRow) get(prop string) any {
	switch prop {
	case "SalesOrder":
		return r.order
	case "SalesOrderItem":
		return r.item.item
	}
	return nil
}

// getScheduleLines serves A_SalesOrderScheduleLine: one line per item, with
// its confirmed delivery day.
func (s *Sim) getScheduleLines(c *reqCtx) {
	q, ok := c.parseQuery()
	if !ok {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var j jbuf
	j.b = append(j.b, `{"d":{"results":`...)
	j.openArr()
	for _, k := range s.orderKeys {
		o := s.orders[k]
		for i := range o.items {
			r := scheduleRow{k, &o.items[i]}
			if !q.match(r) {
				continue
			}
			j.elem()
			j.open()
			j.meta(c.base+"A_SalesOrderScheduleLine(SalesOrder='"+k+"',SalesOrderItem='"+r.item.item+"',ScheduleLine='1')",
				"API_SALES_ORDER_SRV.A_SalesOrderScheduleLineType", "")
			j.str("SalesOrder", k)
			j.str("SalesOrderItem", r.item.item)
			j.str("ScheduleLine", "1")
			j.date("ConfirmedDeliveryDate", r.item.confirmed)
			j.close()
		}
	}
	j.closeArr()
	j.b = append(j.b, "}}"...)
	c.writeJSON(http.StatusOK, j.b)
}
