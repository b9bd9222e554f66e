package api

// Nodes is the nodes endpoint group.
type Nodes struct{ c *Client }

// Nodes returns the nodes endpoints.
func (c *Client) Nodes() *Nodes { return &Nodes{c: c} }

// List lists client nodes; q.Prefix filters by ID prefix.
func (n *Nodes) List(q *QueryOptions) ([]*NodeListStub, *QueryMeta, error) {
	var out []*NodeListStub
	qm, err := n.c.query("/v1/nodes", &out, q)
	return out, qm, err
}

// PrefixList lists the nodes whose ID starts with prefix.
func (n *Nodes) PrefixList(prefix string) ([]*NodeListStub, *QueryMeta, error) {
	return n.List(&QueryOptions{Prefix: prefix})
}

// Info reads one node.
func (n *Nodes) Info(id string, q *QueryOptions) (*Node, *QueryMeta, error) {
	var out Node
	qm, err := n.c.query("/v1/node/"+escape(id), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Allocations lists the allocations placed on a node.
func (n *Nodes) Allocations(nodeID string, q *QueryOptions) ([]*Allocation, *QueryMeta, error) {
	var out []*Allocation
	qm, err := n.c.query("/v1/node/"+escape(nodeID)+"/allocations", &out, q)
	return out, qm, err
}
