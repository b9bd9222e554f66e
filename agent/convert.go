package agent

import (
	"encoding/json"
	"fmt"

	"github.com/droverhq/drover/api"
	"github.com/droverhq/drover/structs"
)

// apiJobToStructs converts a job as the API carries it into the server's
// form. api and structs share Nomad's field names, so the JSON form is the
// bridge; the only difference is TaskGroup.Count, a pointer in api whose
// absence means 1.
func apiJobToStructs(in *api.Job) (*structs.Job, error) {
	if in == nil {
		return nil, fmt.Errorf("the request has no Job: %w", structs.ErrInvalid)
	}
	j := *in // shallow: only TaskGroups is replaced, by copies
	j.TaskGroups = make([]*api.TaskGroup, len(in.TaskGroups))
	for i, tg := range in.TaskGroups {
		if tg == nil {
			continue
		}
		c := *tg
		if c.Count == nil {
			one := 1
			c.Count = &one
		}
		j.TaskGroups[i] = &c
	}
	var out structs.Job
	if err := reencode(&j, &out); err != nil {
		return nil, fmt.Errorf("convert job: %w", err)
	}
	return &out, nil
}

// structsJobToAPI converts a server job into the API's form.
func structsJobToAPI(in *structs.Job) (*api.Job, error) {
	var out api.Job
	if err := reencode(in, &out); err != nil {
		return nil, fmt.Errorf("convert job: %w", err)
	}
	return &out, nil
}

// reencode copies in to out through JSON.
func reencode(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
