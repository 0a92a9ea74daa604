// Package metrics is what l2c exposes to Prometheus (prometheus/client_golang).
//
// Process metrics live in one registry per process: HTTP latency by route
// pattern and status (api's middleware), the Temporal SDK's client and
// worker metrics (TemporalHandler, given to client.Options), Go runtime and
// process figures. Facts that live in PostgreSQL (sync rows and failures,
// stale entities, the outbox, open and overdue approval steps) are read at
// scrape time by a collector, so every replica reports the same truth and
// nothing is lost when a worker restarts.
package metrics

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"
)

// Registry holds the process's own metrics.
var Registry = func() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), httpDuration)
	return r
}()

var httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "l2c_http_request_duration_seconds",
	Help:    "HTTP requests by method, route pattern (not the raw path: /api/v1/deals/{id}) and status.",
	Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
}, []string{"method", "route", "status"})

// ObserveHTTP records one request.
func ObserveHTTP(method, route string, status int, took time.Duration) {
	httpDuration.WithLabelValues(method, route, strconv.Itoa(status)).Observe(took.Seconds())
}

// Handler serves the process registry and, when db is not nil, the
// database-backed figures it reads.
func Handler(db FiguresSource) http.Handler {
	g := prometheus.Gatherers{Registry}
	if db != nil {
		r := prometheus.NewRegistry()
		r.MustRegister(&dbCollector{src: db})
		g = append(g, r)
	}
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// --- Temporal ---

// temporalLabels are every tag the SDK puts on its metrics; Prometheus needs
// one label set per name, so each metric carries all of them (empty when
// not set) and tags outside the list are dropped.
var temporalLabels = []string{"namespace", "client_name", "poller_type", "worker_type", "workflow_type", "activity_type",
	"nexus_service", "nexus_operation", "failure_reason", "task_queue", "operation", "cause", "status_code"}

type temporalVecs struct {
	mu       sync.Mutex
	counters map[string]*prometheus.CounterVec
	gauges   map[string]*prometheus.GaugeVec
	timers   map[string]*prometheus.HistogramVec
}

var tv = &temporalVecs{counters: map[string]*prometheus.CounterVec{}, gauges: map[string]*prometheus.GaugeVec{},
	timers: map[string]*prometheus.HistogramVec{}}

type temporalHandler struct{ tags map[string]string }

// TemporalHandler reports the Temporal SDK's metrics (temporal_request,
// temporal_worker_start, temporal_activity_execution_latency, …) to Registry.
func TemporalHandler() client.MetricsHandler { return temporalHandler{tags: map[string]string{}} }

func (h temporalHandler) WithTags(tags map[string]string) client.MetricsHandler {
	n := make(map[string]string, len(h.tags)+len(tags))
	for k, v := range h.tags {
		n[k] = v
	}
	for k, v := range tags {
		n[k] = v
	}
	return temporalHandler{tags: n}
}

func (h temporalHandler) labels() prometheus.Labels {
	l := make(prometheus.Labels, len(temporalLabels))
	for _, k := range temporalLabels {
		l[k] = h.tags[k]
	}
	return l
}

func register[T prometheus.Collector](m map[string]T, name string, make func() T) T {
	tv.mu.Lock()
	defer tv.mu.Unlock()
	if c, ok := m[name]; ok {
		return c
	}
	c := make()
	if err := Registry.Register(c); err != nil {
		if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
			c = are.ExistingCollector.(T)
		}
	}
	m[name] = c
	return c
}

func (h temporalHandler) Counter(name string) client.MetricsCounter {
	v := register(tv.counters, name, func() *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: "Temporal SDK counter " + name + "."}, temporalLabels)
	})
	c := v.With(h.labels())
	return counterFunc(func(d int64) {
		if d > 0 {
			c.Add(float64(d))
		}
	})
}

func (h temporalHandler) Gauge(name string) client.MetricsGauge {
	v := register(tv.gauges, name, func() *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: "Temporal SDK gauge " + name + "."}, temporalLabels)
	})
	g := v.With(h.labels())
	return gaugeFunc(g.Set)
}

func (h temporalHandler) Timer(name string) client.MetricsTimer {
	v := register(tv.timers, name+"_seconds", func() *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name + "_seconds", Help: "Temporal SDK timer " + name + ".",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)}, temporalLabels)
	})
	o := v.With(h.labels())
	return timerFunc(func(d time.Duration) { o.Observe(d.Seconds()) })
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }

// --- database-backed figures ---

// Figures are the facts read from PostgreSQL at each scrape.
type Figures struct {
	// Sync: per entity, rows by outcome over all runs, runs by status, and
	// health (stale, last success).
	SyncRows       map[string]map[string]int64 // entity → inserted/updated/unchanged/rejected → rows
	SyncRuns       map[string]map[string]int64 // entity → status → runs
	SyncFailedTry  map[string]int64            // entity → failed attempts
	SyncStale      map[string]bool
	SyncLastOK     map[string]time.Time
	OutboxPending  int64 // queued, not yet sent
	OutboxRetrying int64 // queued after at least one failed attempt
	OutboxFailed   int64 // given up: kept with its error
	StepsOpen      int64 // pending approval steps
	StepsOverdue   int64 // pending past their due time
}

// FiguresSource reads Figures (the database).
type FiguresSource interface {
	OpsFigures(ctx context.Context, now time.Time) (Figures, error)
}

type dbCollector struct{ src FiguresSource }

var (
	descSyncRows  = prometheus.NewDesc("l2c_sync_rows_total", "Rows the ERP sync wrote, by entity and outcome (inserted, updated, unchanged, rejected).", []string{"entity", "outcome"}, nil)
	descSyncRuns  = prometheus.NewDesc("l2c_sync_runs_total", "ERP sync runs by entity and status.", []string{"entity", "status"}, nil)
	descSyncTries = prometheus.NewDesc("l2c_sync_failed_attempts_total", "Failed attempts of ERP sync runs (retried chunks), by entity.", []string{"entity"}, nil)
	descSyncStale = prometheus.NewDesc("l2c_sync_stale", "1 when an entity has not synced successfully within its threshold.", []string{"entity"}, nil)
	descSyncLast  = prometheus.NewDesc("l2c_sync_last_success_timestamp_seconds", "When an entity last synced successfully.", []string{"entity"}, nil)
	descOutbox    = prometheus.NewDesc("l2c_outbox_notifications", "Notifications in the outbox by state: pending (queued), retrying (queued after a failure), failed (given up).", []string{"state"}, nil)
	descSteps     = prometheus.NewDesc("l2c_approval_steps_open", "Pending approval steps.", nil, nil)
	descOverdue   = prometheus.NewDesc("l2c_approval_steps_overdue", "Pending approval steps past their due time.", nil, nil)
	descUp        = prometheus.NewDesc("l2c_metrics_database_up", "1 when the database figures could be read for this scrape.", nil, nil)
)

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSyncRows, descSyncRuns, descSyncTries, descSyncStale, descSyncLast, descOutbox,
		descSteps, descOverdue, descUp} {
		ch <- d
	}
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	f, err := c.src.OpsFigures(ctx, time.Now())
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	for _, e := range sortedKeys(f.SyncRows) {
		for _, o := range sortedKeys(f.SyncRows[e]) {
			ch <- prometheus.MustNewConstMetric(descSyncRows, prometheus.CounterValue, float64(f.SyncRows[e][o]), e, o)
		}
	}
	for _, e := range sortedKeys(f.SyncRuns) {
		for _, s := range sortedKeys(f.SyncRuns[e]) {
			ch <- prometheus.MustNewConstMetric(descSyncRuns, prometheus.CounterValue, float64(f.SyncRuns[e][s]), e, s)
		}
	}
	for _, e := range sortedKeys(f.SyncFailedTry) {
		ch <- prometheus.MustNewConstMetric(descSyncTries, prometheus.CounterValue, float64(f.SyncFailedTry[e]), e)
	}
	for _, e := range sortedKeys(f.SyncStale) {
		v := 0.0
		if f.SyncStale[e] {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(descSyncStale, prometheus.GaugeValue, v, e)
	}
	for _, e := range sortedKeys(f.SyncLastOK) {
		ch <- prometheus.MustNewConstMetric(descSyncLast, prometheus.GaugeValue, float64(f.SyncLastOK[e].Unix()), e)
	}
	ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(f.OutboxPending), "pending")
	ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(f.OutboxRetrying), "retrying")
	ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(f.OutboxFailed), "failed")
	ch <- prometheus.MustNewConstMetric(descSteps, prometheus.GaugeValue, float64(f.StepsOpen))
	ch <- prometheus.MustNewConstMetric(descOverdue, prometheus.GaugeValue, float64(f.StepsOverdue))
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
