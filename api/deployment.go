package api

// Deployment statuses.
const (
	DeploymentStatusRunning    = "running"
	DeploymentStatusPaused     = "paused"
	DeploymentStatusFailed     = "failed"
	DeploymentStatusSuccessful = "successful"
	DeploymentStatusCancelled  = "cancelled"
)

// Deployment tracks a rolling update of one job version.
type Deployment struct {
	ID                string
	Namespace         string
	JobID             string
	JobVersion        uint64
	JobModifyIndex    uint64
	JobCreateIndex    uint64
	TaskGroups        map[string]*DeploymentState
	Status            string
	StatusDescription string
	CreateIndex       uint64
	ModifyIndex       uint64
}

// DeploymentState is one task group's progress in a deployment.
type DeploymentState struct {
	AutoRevert      bool
	AutoPromote     bool
	Promoted        bool
	PlacedCanaries  []string
	DesiredCanaries int
	DesiredTotal    int
	PlacedAllocs    int
	HealthyAllocs   int
	UnhealthyAllocs int
}

// DeploymentStatusUpdate changes a deployment's status.
type DeploymentStatusUpdate struct {
	DeploymentID      string
	Status            string
	StatusDescription string
}
