package telemetry

import (
	"sync"
	"sync/atomic"
)

// maxCached bounds each label cache. The core's labels are bounded (names
// from the code and the models), so a cache fills to a few hundred
// entries at most; past the bound, every new tuple is recorded under the
// cache's overflow tuple (its labels all [OverflowLabel]) rather than
// growing the cache and the metrics' cardinality without end.
const maxCached = 1000

// OverflowLabel is the value of every label of the events recorded past
// the bound on distinct label tuples (1000 per kind of event, below the
// SDK's default cardinality limit of 2000), which the core's bounded
// labels never reach.
const OverflowLabel = "_overflow"

// labelCache maps a label tuple to what recording it needs (attribute
// sets, measurement options), built once per tuple. Lookups are lock-free
// and allocate nothing: the map is replaced, never modified, when a tuple
// is added (copy on write: additions are rare and bounded).
type labelCache[K comparable, V any] struct {
	m     atomic.Pointer[map[K]V]
	mu    sync.Mutex
	build func(K) V
	// over is the overflow tuple's, built from overKey when first needed.
	overKey K
	over    *V
}

func newLabelCache[K comparable, V any](build func(K) V, overKey K) *labelCache[K, V] {
	return &labelCache[K, V]{build: build, overKey: overKey}
}

func (c *labelCache[K, V]) get(k K) V {
	if m := c.m.Load(); m != nil {
		if v, ok := (*m)[k]; ok {
			return v
		}
	}
	return c.add(k)
}

func (c *labelCache[K, V]) add(k K) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	if old != nil {
		if v, ok := (*old)[k]; ok {
			return v
		}
		if len(*old) >= maxCached {
			if c.over == nil {
				v := c.build(c.overKey)
				c.over = &v
			}
			return *c.over
		}
	}
	v := c.build(k)
	next := make(map[K]V, 1+lenOf(old))
	if old != nil {
		for kk, vv := range *old {
			next[kk] = vv
		}
	}
	next[k] = v
	c.m.Store(&next)
	return v
}

func lenOf[K comparable, V any](m *map[K]V) int {
	if m == nil {
		return 0
	}
	return len(*m)
}
