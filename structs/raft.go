package structs

// MessageType is the first byte of every Raft log entry: which command the
// rest of the entry encodes.
type MessageType uint8

// IgnoreUnknownTypeFlag set on a MessageType tells an FSM that does not know
// the type to skip the entry instead of failing, so servers of two versions
// can share a log during a rolling upgrade.
const IgnoreUnknownTypeFlag MessageType = 128

// Raft commands. Never renumber: the numbers are written to disk.
const (
	NodeRegisterRequestType                 MessageType = 0
	NodeDeregisterRequestType               MessageType = 1
	NodeUpdateStatusRequestType             MessageType = 2
	JobRegisterRequestType                  MessageType = 3
	JobDeregisterRequestType                MessageType = 4
	EvalUpdateRequestType                   MessageType = 5
	EvalDeleteRequestType                   MessageType = 6
	AllocClientUpdateRequestType            MessageType = 7
	ApplyPlanResultsRequestType             MessageType = 8
	NodeUpdateEligibilityRequestType        MessageType = 9
	NodeUpdateDrainRequestType              MessageType = 10
	DeploymentStatusUpdateRequestType       MessageType = 11
	JobStabilityRequestType                 MessageType = 12
	AllocUpdateDesiredTransitionRequestType MessageType = 13
	SchedulerConfigRequestType              MessageType = 14
)
