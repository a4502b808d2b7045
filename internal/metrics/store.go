package metrics

import "time"

// StoreCall records the start of a store operation, op (the store method's
// name in snake case: "create_organization", "insert_documents"), and
// returns what records its end:
//
//	defer m.StoreCall("create_organization")()
//
// Between the two the operation counts as in flight.
func (m *Metrics) StoreCall(op string) (done func()) {
	if m == nil {
		return func() {}
	}
	observer := m.storeDuration.WithLabelValues(op)
	m.storeInflight.Inc()
	start := time.Now()
	return func() {
		observer.Observe(time.Since(start).Seconds())
		m.storeInflight.Dec()
	}
}

// StoreQueued moves the number of requests waiting for admission to the
// store by delta: +1 when one starts waiting, -1 when it is admitted or
// refused. The bounded store queue of SPEC §10 (internal/server) calls it.
func (m *Metrics) StoreQueued(delta int) {
	if m == nil {
		return
	}
	m.storeQueued.Add(float64(delta))
}
