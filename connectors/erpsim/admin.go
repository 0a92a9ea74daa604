package erpsim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/l2c/l2c/connectors/sap"
)

// The /sim endpoints drive the simulator by hand or from scripts: what an ERP
// user would do (change customers, bill, ship, post payments) and which faults
// to inject. They are not part of SAP's API.
//
//	GET  /sim/faults                      the injected faults
//	PUT  /sim/faults                      replace them (JSON, durations in ns)
//	POST /sim/customers/change?n=100      change n generated customers
//	POST /sim/customers/{code}/touch      change one customer as another user would
//	POST /sim/invoices?customer=&sales_order=&net=12345.00   issue an invoice
//	POST /sim/invoices/{no}/clear         record its payment
//	POST /sim/orders/{so}/bill            invoice a sales order
//	POST /sim/orders/{so}/ship?final=true record a delivery
//	POST /sim/orders/{so}/confirm?date=   confirm its items for another day
func (s *Sim) admin(w http.ResponseWriter, r *http.Request) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sim/faults", func(w http.ResponseWriter, r *http.Request) { reply(w, s.Faults(), nil) })
	mux.HandleFunc("PUT /sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Faults
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&f); err != nil {
			http.Error(w, "faults: "+err.Error(), http.StatusBadRequest)
			return
		}
		s.SetFaults(f)
		reply(w, f, nil)
	})
	mux.HandleFunc("POST /sim/customers/change", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		reply(w, map[string]any{"changed": s.ChangeCustomers(max(n, 1), off)}, nil)
	})
	mux.HandleFunc("POST /sim/customers/{code}/touch", func(w http.ResponseWriter, r *http.Request) {
		if !s.TouchCustomer(r.PathValue("code")) {
			http.Error(w, "no such customer", http.StatusNotFound)
			return
		}
		reply(w, map[string]string{"touched": r.PathValue("code")}, nil)
	})
	mux.HandleFunc("POST /sim/invoices", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		net, err := sap.ParseDecimal(q.Get("net"))
		if err != nil || q.Get("customer") == "" {
			http.Error(w, "want customer, sales_order and net (e.g. 43200.00)", http.StatusBadRequest)
			return
		}
		reply(w, map[string]string{"invoice": s.AddInvoice(q.Get("customer"), q.Get("sales_order"), net)}, nil)
	})
	mux.HandleFunc("POST /sim/invoices/{no}/clear", func(w http.ResponseWriter, r *http.Request) {
		doc, err := s.Clear(r.PathValue("no"))
		reply(w, map[string]string{"payment": doc}, err)
	})
	mux.HandleFunc("POST /sim/orders/{so}/bill", func(w http.ResponseWriter, r *http.Request) {
		no, err := s.Bill(r.PathValue("so"))
		reply(w, map[string]string{"invoice": no}, err)
	})
	mux.HandleFunc("POST /sim/orders/{so}/confirm", func(w http.ResponseWriter, r *http.Request) {
		day, err := time.Parse(time.DateOnly, r.URL.Query().Get("date"))
		if err != nil {
			http.Error(w, "want date=YYYY-MM-DD", http.StatusBadRequest)
			return
		}
		reply(w, map[string]string{"confirmed": day.Format(time.DateOnly)}, s.Confirm(r.PathValue("so"), day))
	})
	mux.HandleFunc("POST /sim/orders/{so}/ship", func(w http.ResponseWriter, r *http.Request) {
		no, err := s.Ship(r.PathValue("so"), r.URL.Query().Get("final") == "true")
		reply(w, map[string]string{"delivery": no}, err)
	})
	mux.ServeHTTP(w, r)
}

func reply(w http.ResponseWriter, v any, err error) {
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
