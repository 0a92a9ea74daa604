package sap

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/l2c/l2c/connectors"
)

// SalesOrder is an A_SalesOrder (API_SALES_ORDER_SRV) with its items.
type SalesOrder struct {
	Meta                    Meta                      `json:"__metadata,omitzero"`
	SalesOrder              string                    `json:"SalesOrder,omitempty"`
	SalesOrderType          string                    `json:"SalesOrderType"`
	SalesOrganization       string                    `json:"SalesOrganization"`
	DistributionChannel     string                    `json:"DistributionChannel"`
	OrganizationDivision    string                    `json:"OrganizationDivision"`
	SoldToParty             string                    `json:"SoldToParty"`
	PurchaseOrderByCustomer string                    `json:"PurchaseOrderByCustomer"`
	TransactionCurrency     string                    `json:"TransactionCurrency"`
	RequestedDeliveryDate   *string                   `json:"RequestedDeliveryDate,omitempty"`
	TotalNetAmount          string                    `json:"TotalNetAmount,omitempty"`
	OverallDeliveryStatus   string                    `json:"OverallDeliveryStatus,omitempty"`
	Items                   *Deferred[SalesOrderItem] `json:"to_Item,omitempty"`
}

// SalesOrderItem is A_SalesOrderItem with a manual price condition.
type SalesOrderItem struct {
	SalesOrderItem        string                    `json:"SalesOrderItem,omitempty"`
	Material              string                    `json:"Material"`
	RequestedQuantity     string                    `json:"RequestedQuantity"`
	RequestedQuantityUnit string                    `json:"RequestedQuantityUnit,omitempty"`
	PricingElements       *Deferred[PricingElement] `json:"to_PricingElement,omitempty"`
}

// PricingElement is A_SalesOrderItemPrcgElmnt: a price condition (PR00).
type PricingElement struct {
	ConditionType      string `json:"ConditionType"`
	ConditionRateValue string `json:"ConditionRateValue"`
	ConditionCurrency  string `json:"ConditionCurrency"`
}

func (c *Client) toSalesOrder(op string, so SalesOrder) (connectors.SalesOrder, error) {
	out := connectors.SalesOrder{Number: so.SalesOrder, Customer: so.SoldToParty, CustomerRef: so.PurchaseOrderByCustomer,
		Currency: so.TransactionCurrency}
	if so.TotalNetAmount != "" {
		v, err := ParseDecimal(so.TotalNetAmount)
		if err != nil {
			return out, &connectors.Error{Kind: connectors.ErrInvalid, Op: op, Message: "TotalNetAmount: " + err.Error()}
		}
		out.NetValue = v
	}
	return out, nil
}

// FindSalesOrder implements connectors.OrderWriter.
func (c *Client) FindSalesOrder(ctx context.Context, customer, customerRef string) (connectors.SalesOrder, error) {
	op := "find sales order " + customerRef
	q := url.Values{
		"$filter": {"SoldToParty eq " + StringLit(customer) + " and PurchaseOrderByCustomer eq " + StringLit(customerRef)},
		"$select": {"SalesOrder,SoldToParty,PurchaseOrderByCustomer,TransactionCurrency,TotalNetAmount"},
	}
	orders, err := getResults[SalesOrder](ctx, c, op, c.serviceURL(ServiceSalesOrder, "/A_SalesOrder", q))
	if err != nil {
		return connectors.SalesOrder{}, err
	}
	if len(orders) == 0 {
		return connectors.SalesOrder{}, &connectors.Error{Kind: connectors.ErrNotFound, Op: op}
	}
	return c.toSalesOrder(op, orders[0])
}

// ReadSalesOrder implements connectors.OrderReader: the order by its key.
func (c *Client) ReadSalesOrder(ctx context.Context, number string) (connectors.SalesOrder, error) {
	op := "read sales order " + number
	q := url.Values{"$select": {"SalesOrder,SoldToParty,PurchaseOrderByCustomer,TransactionCurrency,TotalNetAmount"}}
	so, err := getEntity[SalesOrder](ctx, c, op, c.serviceURL(ServiceSalesOrder, "/A_SalesOrder("+StringLit(number)+")", q))
	if err != nil {
		return connectors.SalesOrder{}, err
	}
	if so.SalesOrder != number {
		return connectors.SalesOrder{}, &connectors.Error{Kind: connectors.ErrInvalid, Op: op, Message: "the answer names another sales order"}
	}
	return c.toSalesOrder(op, so)
}

var _ connectors.OrderReader = (*Client)(nil)

// CreateSalesOrder places a standard order with its items in one deep insert,
// made repeatable by Repeatability-Request-ID.
func (c *Client) CreateSalesOrder(ctx context.Context, idem connectors.Idempotency, o connectors.NewSalesOrder) (connectors.SalesOrder, error) {
	op := "create sales order " + idem.Key
	if o.Customer == "" || o.CustomerRef == "" || len(o.Items) == 0 {
		return connectors.SalesOrder{}, &connectors.Error{Kind: connectors.ErrInvalid, Op: op,
			Message: "an order needs a customer, a customer reference and at least one item"}
	}
	so := SalesOrder{SalesOrderType: c.cfg.SalesOrderType, SalesOrganization: c.cfg.SalesOrganization,
		DistributionChannel: c.cfg.DistributionChannel, OrganizationDivision: c.cfg.Division,
		SoldToParty: o.Customer, PurchaseOrderByCustomer: o.CustomerRef, TransactionCurrency: o.Currency,
		Items: &Deferred[SalesOrderItem]{}}
	if !o.RequestedDelivery.IsZero() {
		d := FormatDate(o.RequestedDelivery)
		so.RequestedDeliveryDate = &d
	}
	for _, it := range o.Items {
		item := SalesOrderItem{Material: it.Material, RequestedQuantity: strconv.FormatInt(it.Quantity, 10),
			RequestedQuantityUnit: it.Unit}
		if it.NetPrice > 0 {
			item.PricingElements = &Deferred[PricingElement]{Results: []PricingElement{{ConditionType: "PR00",
				ConditionRateValue: FormatDecimal(it.NetPrice), ConditionCurrency: o.Currency}}}
		}
		so.Items.Results = append(so.Items.Results, item)
	}
	res, err := c.do(ctx, request{op: op, method: http.MethodPost, url: c.serviceURL(ServiceSalesOrder, "/A_SalesOrder", nil),
		body: so, idem: &idem})
	if err != nil {
		return connectors.SalesOrder{}, err
	}
	created, err := decodeEntity[SalesOrder](op, res)
	if err != nil {
		return connectors.SalesOrder{}, err
	}
	if created.SalesOrder == "" {
		return connectors.SalesOrder{}, &connectors.Error{Kind: connectors.ErrInvalid, Op: op, Message: "the answer names no sales order"}
	}
	return c.toSalesOrder(op, created)
}

// deliveryItem is A_OutbDeliveryItem (API_OUTBOUND_DELIVERY_SRV), reduced to
// the delivery and the order it delivers.
type deliveryItem struct {
	DeliveryDocument    string `json:"DeliveryDocument"`
	ReferenceSDDocument string `json:"ReferenceSDDocument"`
}

// DeliveryHeader is A_OutbDeliveryHeader, reduced to goods issue.
type DeliveryHeader struct {
	DeliveryDocument           string  `json:"DeliveryDocument"`
	ActualGoodsMovementDate    *string `json:"ActualGoodsMovementDate"`
	OverallGoodsMovementStatus string  `json:"OverallGoodsMovementStatus"`
}

// Shipments implements connectors.OrderWriter: the deliveries of the order
// whose goods have been issued, oldest first; the last is final when the order
// is completely delivered (OverallDeliveryStatus C).
func (c *Client) Shipments(ctx context.Context, salesOrder string) ([]connectors.Shipment, error) {
	op := "read shipments of sales order " + salesOrder
	so, err := getEntity[SalesOrder](ctx, c, op, c.serviceURL(ServiceSalesOrder, "/A_SalesOrder("+StringLit(salesOrder)+")",
		url.Values{"$select": {"SalesOrder,OverallDeliveryStatus"}}))
	if err != nil {
		return nil, err
	}
	items, err := getResults[deliveryItem](ctx, c, op, c.serviceURL(ServiceDelivery, "/A_OutbDeliveryItem", url.Values{
		"$filter": {"ReferenceSDDocument eq " + StringLit(salesOrder)},
		"$select": {"DeliveryDocument,ReferenceSDDocument"},
	}))
	if err != nil {
		return nil, err
	}
	var docs []string
	for _, it := range items {
		if !slices.Contains(docs, it.DeliveryDocument) {
			docs = append(docs, it.DeliveryDocument)
		}
	}
	var out []connectors.Shipment
	for _, d := range docs {
		h, err := getEntity[DeliveryHeader](ctx, c, op, c.serviceURL(ServiceDelivery, "/A_OutbDeliveryHeader("+StringLit(d)+")",
			url.Values{"$select": {"DeliveryDocument,ActualGoodsMovementDate,OverallGoodsMovementStatus"}}))
		if err != nil {
			return nil, err
		}
		if h.OverallGoodsMovementStatus != "C" || h.ActualGoodsMovementDate == nil {
			continue // picked or packed, not shipped yet
		}
		day, err := ParseDate(*h.ActualGoodsMovementDate)
		if err != nil {
			return nil, &connectors.Error{Kind: connectors.ErrInvalid, Op: op, Message: fmt.Sprintf("delivery %s: %v", d, err)}
		}
		out = append(out, connectors.Shipment{Number: d, SalesOrder: salesOrder, ShippedOn: day})
	}
	slices.SortStableFunc(out, func(a, b connectors.Shipment) int { return a.ShippedOn.Compare(b.ShippedOn) })
	if len(out) > 0 && so.OverallDeliveryStatus == "C" {
		out[len(out)-1].Final = true
	}
	return out, nil
}

// scheduleLine is A_SalesOrderScheduleLine, reduced to the confirmed day.
type scheduleLine struct {
	SalesOrderItem        string  `json:"SalesOrderItem"`
	ConfirmedDeliveryDate *string `json:"ConfirmedDeliveryDate"`
}

// ConfirmedDates implements connectors.OrderConfirmations: per item, in item
// order, the latest confirmed delivery day of its schedule lines.
func (c *Client) ConfirmedDates(ctx context.Context, salesOrder string) ([]time.Time, error) {
	op := "read confirmed dates of sales order " + salesOrder
	lines, err := getResults[scheduleLine](ctx, c, op, c.serviceURL(ServiceSalesOrder, "/A_SalesOrderScheduleLine", url.Values{
		"$filter": {"SalesOrder eq " + StringLit(salesOrder)},
		"$select": {"SalesOrderItem,ConfirmedDeliveryDate"},
	}))
	if err != nil {
		return nil, err
	}
	byItem := map[int]time.Time{}
	var items []int
	for _, l := range lines {
		n, err := strconv.Atoi(l.SalesOrderItem)
		if err != nil {
			return nil, &connectors.Error{Kind: connectors.ErrInvalid, Op: op, Message: "SalesOrderItem " + l.SalesOrderItem}
		}
		if _, seen := byItem[n]; !seen {
			items = append(items, n)
			byItem[n] = time.Time{}
		}
		if l.ConfirmedDeliveryDate == nil {
			continue
		}
		day, err := ParseDate(*l.ConfirmedDeliveryDate)
		if err != nil {
			return nil, &connectors.Error{Kind: connectors.ErrInvalid, Op: op, Message: fmt.Sprintf("item %d: %v", n, err)}
		}
		if day.After(byItem[n]) {
			byItem[n] = day
		}
	}
	slices.Sort(items)
	out := make([]time.Time, len(items))
	for i, n := range items {
		out[i] = byItem[n]
	}
	return out, nil
}

var _ connectors.OrderConfirmations = (*Client)(nil)
