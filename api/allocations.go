package api

// AllocationListStub is an allocation in listings, as the HTTP API returns
// it; it is the same shape as AllocListStub.
type AllocationListStub = AllocListStub

// Allocations is the allocations endpoint group.
type Allocations struct{ c *Client }

// Allocations returns the allocations endpoints.
func (c *Client) Allocations() *Allocations { return &Allocations{c: c} }

// List lists allocations; q.Prefix filters by ID prefix.
func (a *Allocations) List(q *QueryOptions) ([]*AllocationListStub, *QueryMeta, error) {
	var out []*AllocationListStub
	qm, err := a.c.query("/v1/allocations", &out, q)
	return out, qm, err
}

// PrefixList lists the allocations whose ID starts with prefix.
func (a *Allocations) PrefixList(prefix string) ([]*AllocationListStub, *QueryMeta, error) {
	return a.List(&QueryOptions{Prefix: prefix})
}

// Info reads one allocation.
func (a *Allocations) Info(id string, q *QueryOptions) (*Allocation, *QueryMeta, error) {
	var out Allocation
	qm, err := a.c.query("/v1/allocation/"+escape(id), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}
