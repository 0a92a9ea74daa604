package deal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
)

// ActionSpec is one deal action, whole: its name, what a client sends with it
// (the payload type), the stages it is possible in, who may take it and what it
// does. The table below holds every action; adding one is a row, its payload
// type, its tests and a line in the README.
type ActionSpec struct {
	Name ActionName
	// Payload is a zero value of the action's payload type, a struct. Its JSON
	// fields are all a client may send besides "action" and "reason": the API
	// decodes the request strictly into it, so the type is the allow-list.
	// A payload may say which of its days is the action's deadline
	// (Deadline() Date) and which people it names (People() map[string]string).
	Payload any
	Stages  []Stage
	// May reports why by may not take this action on d, or nil.
	May func(d *Deal, by identity.User) error
	// Segregated, if set, is the segregation of duties on top of May
	// (CheckSegregation): the API applies it to every deal, the rules to deals
	// that run the controls.
	Segregated func(d *Deal, by identity.User) error
	// Apply checks the action's fields and changes next accordingly. It returns
	// the reason to record in history. It reads the flat Action (typed, or
	// PayloadOf, gives the typed payload back).
	Apply applyFunc

	payload reflect.Type
	fields  []string // the payload's JSON field names
	// flat: every payload field is a field of the flat Action, as for every
	// action older than the registry; their histories carry them that way.
	// Newer actions travel in Action.Payload.
	flat bool
}

// applyFunc is what an action does: see ActionSpec.Apply.
type applyFunc = func(next *Deal, by identity.User, a Action, now time.Time) (string, error)

// typed is the Apply of an action whose payload travels in Action.Payload:
// apply gets it decoded (PayloadOf) besides the Action (its Reason, Today),
// so no action decodes its own.
func typed[P any](apply func(next *Deal, by identity.User, a Action, p P, now time.Time) (string, error)) applyFunc {
	return func(next *Deal, by identity.User, a Action, now time.Time) (string, error) {
		p, err := PayloadOf[P](a)
		if err != nil {
			return "", err
		}
		return apply(next, by, a, p, now)
	}
}

// NoPayload is the payload of an action that takes nothing but its reason.
type NoPayload struct{}

// The payloads of the built-in actions. Their JSON names are the flat Action's,
// which is how the workflow histories carry them.
type (
	SubmitQuotePayload struct {
		Lines      []QuoteLine `json:"lines,omitempty"`
		Discount   *Percent    `json:"discount,omitempty"` // share of list price charged; default 100
		ValidUntil Date        `json:"valid_until,omitzero"`
	}
	RecordBidPayload struct {
		Result BidResult `json:"result,omitempty"`
		BidNo  string    `json:"bid_no,omitempty"`
	}
	SubmitContractPayload struct {
		ContractNo   string        `json:"contract_no,omitempty"`
		Amount       *money.Amount `json:"amount,omitempty"`
		PaymentTerms string        `json:"payment_terms,omitempty"`
		TemplateID   string        `json:"template_id,omitempty"`
	}
	PlaceOrderPayload struct {
		Kind        OrderKind `json:"kind,omitempty"`
		DeliveryDue Date      `json:"delivery_due,omitzero"`
		ERPOrderNo  string    `json:"erp_order_no,omitempty"`
	}
	RecordShipmentPayload struct {
		ShipmentNo string `json:"shipment_no,omitempty"`
		ShippedOn  Date   `json:"shipped_on,omitzero"`
		Carrier    string `json:"carrier,omitempty"`
		Final      bool   `json:"final,omitempty"`
	}
	RecordInvoicePayload struct {
		InvoiceNo string        `json:"invoice_no,omitempty"`
		Amount    *money.Amount `json:"amount,omitempty"`
		IssuedOn  Date          `json:"issued_on,omitzero"`
		DueOn     Date          `json:"due_on,omitzero"`
	}
	RecordPaymentPayload struct {
		PaymentRef string        `json:"payment_ref,omitempty"`
		Amount     *money.Amount `json:"amount,omitempty"`
		ReceivedOn Date          `json:"received_on,omitzero"`
		InvoiceNo  string        `json:"invoice_no,omitempty"` // the invoice paid, optional
	}
	AssignOwnersPayload struct {
		DeliveryOwner string `json:"delivery_owner,omitempty"`
		PaymentOwner  string `json:"payment_owner,omitempty"`
	}
)

// Deadline: a quote is valid until the end of its valid_until day.
func (p SubmitQuotePayload) Deadline() Date { return p.ValidUntil }

// Deadline: an order is due at the end of its delivery_due day.
func (p PlaceOrderPayload) Deadline() Date { return p.DeliveryDue }

// People: the owners named, keyed by field.
func (p AssignOwnersPayload) People() map[string]string {
	return map[string]string{"delivery_owner": p.DeliveryOwner, "payment_owner": p.PaymentOwner}
}

var beforeOrder = []Stage{StageOpportunity, StageQuote, StageBid, StageContractReview}

// actionTable is every built-in action, in pipeline order.
var actionTable = []ActionSpec{
	{Name: ActSubmitQuote, Payload: SubmitQuotePayload{}, Stages: []Stage{StageOpportunity, StageQuote}, May: salesTeam, Apply: submitQuote},
	{Name: ActAcceptQuote, Payload: NoPayload{}, Stages: []Stage{StageQuote}, May: salesTeam, Apply: acceptQuote},
	{Name: ActRecordBid, Payload: RecordBidPayload{}, Stages: []Stage{StageBid}, May: salesTeam, Apply: recordBid},
	{Name: ActSubmitContract, Payload: SubmitContractPayload{}, Stages: []Stage{StageContractReview}, May: salesTeam, Apply: submitContract},
	{Name: ActApproveContract, Payload: NoPayload{}, Stages: []Stage{StageContractReview}, May: stageReviewer, Apply: decideContract(true)},
	{Name: ActRejectContract, Payload: NoPayload{}, Stages: []Stage{StageContractReview}, May: stageReviewer, Apply: decideContract(false)},
	{Name: ActPlaceOrder, Payload: PlaceOrderPayload{}, Stages: []Stage{StageOrder}, May: salesTeam, Apply: placeOrder},
	{Name: ActApproveOrder, Payload: NoPayload{}, Stages: []Stage{StageOrder}, May: stageReviewer, Apply: decideOrder(true)},
	{Name: ActRejectOrder, Payload: NoPayload{}, Stages: []Stage{StageOrder}, May: stageReviewer, Apply: decideOrder(false)},
	{Name: ActResendOrder, Payload: ResendOrderPayload{}, Stages: []Stage{StageDelivery}, May: salesTeam, Apply: typed(resendOrder)},
	{Name: ActRecordShipment, Payload: RecordShipmentPayload{}, Stages: []Stage{StageDelivery}, May: deliveryTeam, Segregated: shipsApart, Apply: recordShipment},
	{Name: ActRecordInvoice, Payload: RecordInvoicePayload{}, Stages: []Stage{StagePaymentCollection}, May: invoicing, Segregated: invoicesApart, Apply: recordInvoice},
	{Name: ActRecordPayment, Payload: RecordPaymentPayload{}, Stages: []Stage{StagePaymentCollection}, May: collecting, Segregated: collectsApart, Apply: recordPayment},
	{Name: ActMarkLost, Payload: NoPayload{}, Stages: beforeOrder, May: salesTeam, Apply: markLost},
	{Name: ActAssignOwners, Payload: AssignOwnersPayload{}, Stages: append(slices.Clone(beforeOrder), StageOrder,
		StageDelivery, StagePaymentCollection), May: salesTeam, Apply: assignOwners},
	{Name: ActHandOver, Payload: HandOverPayload{}, Stages: append(slices.Clone(beforeOrder), StageOrder,
		StageDelivery, StagePaymentCollection), May: handingOver, Apply: typed(handOver)},
	// Cash collection (collection.go): the plan before signing, the
	// acceptance that starts the warranty.
	// After signing it is refused with where to go instead (a plan change).
	{Name: ActSetCollectionPlan, Payload: SetCollectionPlanPayload{}, Stages: []Stage{StageContractReview, StageOrder,
		StageDelivery, StagePaymentCollection}, May: salesTeam, Apply: typed(setCollectionPlan)},
	{Name: ActRecordAcceptance, Payload: RecordAcceptancePayload{}, Stages: []Stage{StageDelivery, StagePaymentCollection},
		May: acceptingTeam, Apply: typed(recordAcceptance)},
	// The funnel and forecast (forecast.go): the owner's commit category
	// and expected order month.
	{Name: ActSetForecast, Payload: SetForecastPayload{}, Stages: beforeOrder, May: forecasting, Apply: typed(setForecast)},
}

// registry holds the actions by name. It is filled at start (and by tests
// through RegisterAction) and only read afterwards, by the API and by
// workflows alike.
var registry = struct {
	sync.RWMutex
	byName map[ActionName]*ActionSpec
	names  []ActionName
}{byName: map[ActionName]*ActionSpec{}}

// ActionNames lists every built-in action, in pipeline order.
var ActionNames = func() []ActionName {
	names := make([]ActionName, len(actionTable))
	for i := range actionTable {
		mustRegister(actionTable[i])
		names[i] = actionTable[i].Name
	}
	return names
}()

// RegisterAction adds an action to the registry and returns what removes it
// again (for a test). It panics on a spec that cannot work: a duplicate name,
// a payload that is not a struct, or one that takes a field l2c works out.
func RegisterAction(s ActionSpec) (remove func()) {
	mustRegister(s)
	return func() {
		registry.Lock()
		defer registry.Unlock()
		delete(registry.byName, s.Name)
		registry.names = slices.DeleteFunc(registry.names, func(n ActionName) bool { return n == s.Name })
	}
}

func mustRegister(s ActionSpec) {
	if s.Name == "" || s.May == nil || s.Apply == nil || len(s.Stages) == 0 {
		panic(fmt.Sprintf("deal action %q: a name, stages, May and Apply are required", s.Name))
	}
	s.payload = reflect.TypeOf(s.Payload)
	if s.payload == nil || s.payload.Kind() != reflect.Struct {
		panic(fmt.Sprintf("deal action %s: the payload must be a struct, not %v", s.Name, s.payload))
	}
	s.flat = true
	for _, f := range reflect.VisibleFields(s.payload) {
		name := jsonName(f)
		if name == "" {
			continue
		}
		if _, common := actionCommon[name]; common || slices.Contains(serverFields, name) {
			panic(fmt.Sprintf("deal action %s: the payload may not take %q", s.Name, name))
		}
		s.fields = append(s.fields, name)
		if ff, ok := flatFields[name]; !ok || ff.Type != f.Type {
			s.flat = false
		}
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.byName[s.Name]; dup {
		panic(fmt.Sprintf("deal action %s is registered twice", s.Name))
	}
	registry.byName[s.Name] = &s
	registry.names = append(registry.names, s.Name)
}

// LookupAction returns the action called name.
func LookupAction(name ActionName) (*ActionSpec, bool) {
	registry.RLock()
	defer registry.RUnlock()
	s, ok := registry.byName[name]
	return s, ok
}

func knownActions() string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, len(registry.names))
	for i, n := range registry.names {
		names[i] = string(n)
	}
	return strings.Join(names, ", ")
}

// Flat reports whether the action's payload travels in the flat Action's own
// fields (every action older than the registry) rather than in Action.Payload.
func (s *ActionSpec) Flat() bool { return s.flat }

// NewPayload returns a pointer to a new zero payload, to decode a request into.
func (s *ActionSpec) NewPayload() any { return reflect.New(s.payload).Interface() }

// Action turns a decoded payload (from NewPayload) into the flat Action the
// workflow carries: into the flat fields for the older actions, so that
// their histories and digests stay as they were, into Payload otherwise.
func (s *ActionSpec) Action(payload any, reason string) (Action, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return Action{}, fmt.Errorf("encode %s payload: %w", s.Name, err)
	}
	var a Action
	if s.flat {
		if err := json.Unmarshal(b, &a); err != nil {
			return Action{}, fmt.Errorf("flatten %s payload: %w", s.Name, err)
		}
	} else if !bytes.Equal(b, []byte("{}")) {
		a.Payload = b
	}
	a.Name, a.Reason = s.Name, reason
	return a, nil
}

// Decode reads a request for the action (a JSON object: "action", "reason"
// and the payload's fields) and returns the flat Action. decode is the
// caller's strict JSON decoding (unknown fields refused), whose errors it
// returns as they are; it decodes the reason and the payload in turn.
func (s *ActionSpec) Decode(body []byte, decode func(b []byte, v any) error) (Action, error) {
	fields := map[string]json.RawMessage{}
	if err := json.Unmarshal(body, &fields); err != nil {
		return Action{}, fmt.Errorf("%s request: %w", s.Name, err)
	}
	envelope := map[string]json.RawMessage{}
	for k := range actionCommon {
		if v, ok := fields[k]; ok {
			envelope[k] = v
			delete(fields, k)
		}
	}
	var common struct {
		Name   ActionName `json:"action"`
		Reason string     `json:"reason"`
	}
	payload := s.NewPayload()
	for _, part := range []struct {
		from map[string]json.RawMessage
		into any
	}{{envelope, &common}, {fields, payload}} {
		b, err := json.Marshal(part.from)
		if err != nil {
			return Action{}, fmt.Errorf("%s request: %w", s.Name, err)
		}
		if err := decode(b, part.into); err != nil {
			return Action{}, err
		}
	}
	return s.Action(payload, common.Reason)
}

// payloadOf returns a's payload as the action's payload type (a pointer to it).
func (s *ActionSpec) payloadOf(a Action) (any, error) {
	b := []byte(a.Payload)
	if s.flat {
		var err error
		if b, err = json.Marshal(a); err != nil {
			return nil, err
		}
	}
	p := s.NewPayload()
	if len(b) == 0 {
		return p, nil
	}
	if err := json.Unmarshal(b, p); err != nil {
		return nil, fmt.Errorf("%s payload: %w", s.Name, err)
	}
	return p, nil
}

// PayloadOf returns a's payload as P, the payload type of a's action.
func PayloadOf[P any](a Action) (P, error) {
	var zero P
	s, ok := LookupAction(a.Name)
	if !ok {
		return zero, fmt.Errorf("unknown action %q", a.Name)
	}
	p, err := s.payloadOf(a)
	if err != nil {
		return zero, err
	}
	v, ok := p.(*P)
	if !ok {
		return zero, fmt.Errorf("action %s takes %v, not %T", a.Name, s.payload, zero)
	}
	return *v, nil
}

// UnexpectedFields returns, for each of sent (the JSON fields of a request)
// that action name does not take, why it is refused. An unknown action has
// no fields to check; the rules refuse it by name.
func UnexpectedFields(name ActionName, sent []string) []FieldError {
	s, known := LookupAction(name)
	if !known {
		return nil
	}
	var out []FieldError
	for _, f := range sent {
		if _, common := actionCommon[f]; common || slices.Contains(s.fields, f) {
			continue
		}
		msg := "is not a field of " + string(name)
		if slices.Contains(serverFields, f) {
			msg = "is worked out by l2c and cannot be sent"
		}
		out = append(out, FieldError{Field: f, Message: msg})
	}
	return out
}

// Resolve turns the action's calendar dates into instants in the company's time
// zone. Workflows cannot load time zones deterministically, so the API does it
// once, before the action is sent.
func (a *Action) Resolve(now time.Time, loc *time.Location) {
	a.Today = DateOf(now.In(loc))
	a.DeadlineAt = time.Time{}
	if p, ok := a.payload().(interface{ Deadline() Date }); ok && !p.Deadline().IsZero() {
		a.DeadlineAt = p.Deadline().End(loc)
	}
}

// People returns the user IDs an action names, keyed by field. An unknown
// action is read as the flat Action it arrived as: the people any of its
// fields name.
func (a Action) People() map[string]string {
	specs := flatSpecs()
	if s, ok := LookupAction(a.Name); ok {
		specs = []*ActionSpec{s}
	}
	out := map[string]string{}
	for _, s := range specs {
		if p, ok := s.payloadValue(a).(interface{ People() map[string]string }); ok {
			maps.Copy(out, p.People())
		}
	}
	return nonEmpty(out)
}

// payload is a's typed payload, or nil for an unknown action.
func (a Action) payload() any {
	s, ok := LookupAction(a.Name)
	if !ok {
		return nil
	}
	return s.payloadValue(a)
}

// payloadValue is a's payload as a value of s's payload type, or nil.
func (s *ActionSpec) payloadValue(a Action) any {
	p, err := s.payloadOf(a)
	if err != nil {
		return nil
	}
	return reflect.ValueOf(p).Elem().Interface()
}

// flatSpecs are the registered actions whose payload lies in the flat fields.
func flatSpecs() []*ActionSpec {
	registry.RLock()
	defer registry.RUnlock()
	var out []*ActionSpec
	for _, n := range registry.names {
		if s := registry.byName[n]; s.flat {
			out = append(out, s)
		}
	}
	return out
}

// The flat Action's fields by JSON name; those tagged l2c:"common" every
// action takes, those tagged l2c:"server" are worked out by l2c and never
// taken from a client (no mass assignment).
var flatFields, actionCommon, serverFields = func() (map[string]reflect.StructField, map[string]bool, []string) {
	all, common := map[string]reflect.StructField{}, map[string]bool{}
	var server []string
	for _, f := range reflect.VisibleFields(reflect.TypeOf(Action{})) {
		name := jsonName(f)
		switch f.Tag.Get("l2c") {
		case "common":
			common[name] = true
		case "server":
			server = append(server, name)
		default:
			all[name] = f
		}
	}
	return all, common, server
}()

func jsonName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" {
		return ""
	}
	if name == "" {
		return f.Name
	}
	return name
}
