package api

// Evaluations is the evaluations endpoint group.
type Evaluations struct{ c *Client }

// Evaluations returns the evaluations endpoints.
func (c *Client) Evaluations() *Evaluations { return &Evaluations{c: c} }

// List lists evaluations; q.Prefix filters by ID prefix.
func (e *Evaluations) List(q *QueryOptions) ([]*Evaluation, *QueryMeta, error) {
	var out []*Evaluation
	qm, err := e.c.query("/v1/evaluations", &out, q)
	return out, qm, err
}

// PrefixList lists the evaluations whose ID starts with prefix.
func (e *Evaluations) PrefixList(prefix string) ([]*Evaluation, *QueryMeta, error) {
	return e.List(&QueryOptions{Prefix: prefix})
}

// Info reads one evaluation.
func (e *Evaluations) Info(id string, q *QueryOptions) (*Evaluation, *QueryMeta, error) {
	var out Evaluation
	qm, err := e.c.query("/v1/evaluation/"+escape(id), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Allocations lists the allocations an evaluation created or updated.
func (e *Evaluations) Allocations(evalID string, q *QueryOptions) ([]*AllocationListStub, *QueryMeta, error) {
	var out []*AllocationListStub
	qm, err := e.c.query("/v1/evaluation/"+escape(evalID)+"/allocations", &out, q)
	return out, qm, err
}
