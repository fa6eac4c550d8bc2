package worker

import (
	"sync"

	"github.com/remora-sec/remora/compute/engine"
	"github.com/remora-sec/remora/infra/ids"
)

// graph is one tenant's compiled engine and the desired generation it
// reflects.
type graph struct {
	eng *engine.Engine
	gen int64
	use uint64 // when last put back, for eviction
}

// Cache keeps tenants' compiled graphs between jobs, so a change costs
// what it touches instead of a rebuild. It is only a cache: Postgres is the
// truth, and a graph missing, evicted or too far behind the change feed is
// rebuilt from a snapshot. A graph is checked out by one computation at a
// time (an engine is not safe for concurrent use); two workers computing
// one tenant at once means one of them rebuilds, which costs time, never
// correctness. Safe for concurrent use.
type Cache struct {
	mu    sync.Mutex
	max   int
	clock uint64
	m     map[ids.TenantID]*graph
}

// NewCache returns a cache holding at most max tenants' graphs (the least
// recently used go first); max <= 0 means 64.
func NewCache(max int) *Cache {
	if max <= 0 {
		max = 64
	}
	return &Cache{max: max, m: make(map[ids.TenantID]*graph)}
}

// take checks tenant's graph out of the cache; nil when there is none.
func (c *Cache) take(tenant ids.TenantID) *graph {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.m[tenant]
	delete(c.m, tenant)
	return g
}

// put returns tenant's graph to the cache, keeping the newer one if
// another computation put one back meanwhile.
func (c *Cache) put(tenant ids.TenantID, g *graph) {
	if c == nil || g == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[tenant]; old != nil && old.gen > g.gen {
		return
	}
	c.clock++
	g.use = c.clock
	c.m[tenant] = g
	for len(c.m) > c.max {
		var lru ids.TenantID
		for t, x := range c.m {
			if lru == "" || x.use < c.m[lru].use {
				lru = t
			}
		}
		delete(c.m, lru)
	}
}

// Len is the number of graphs held.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
