package structs

// SchedulerSetConfigRequest sets the cluster's scheduler configuration; it
// is also the SchedulerConfigRequestType Raft command. With CAS the write
// applies only if the stored configuration's ModifyIndex equals
// Config.ModifyIndex (0: only if none was ever set).
type SchedulerSetConfigRequest struct {
	Config SchedulerConfiguration
	CAS    bool
	WriteRequest
}

// SchedulerSetConfigResponse answers a set: Updated is false when a CAS
// write found the configuration changed since.
type SchedulerSetConfigResponse struct {
	Updated bool
	WriteMeta
}

// SchedulerConfigResponse answers a read of the scheduler configuration.
type SchedulerConfigResponse struct {
	SchedulerConfig *SchedulerConfiguration
	QueryMeta
}
