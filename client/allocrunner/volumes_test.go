package allocrunner

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/client/state"
	"github.com/droverhq/drover/structs"
)

func TestVolumeMounts(t *testing.T) {
	node := &structs.Node{ID: "n1", HostVolumes: map[string]*structs.ClientHostVolumeConfig{
		"data":  {Name: "data", Path: "/srv/data"},
		"certs": {Name: "certs", Path: "/etc/ssl/private", ReadOnly: true},
	}}
	vols := map[string]*structs.VolumeRequest{
		"d":  {Name: "d", Type: "host", Source: "data"},
		"dr": {Name: "dr", Type: "host", Source: "data", ReadOnly: true},
		"c":  {Name: "c", Type: "host", Source: "certs"},
		"x":  {Name: "x", Type: "host", Source: "missing"},
		"k":  {Name: "k", Type: "csi", Source: "data"},
	}
	tests := []struct {
		name    string
		mounts  []*structs.VolumeMount
		want    []drivers.MountConfig
		wantErr string
	}{
		{"none", nil, nil, ""},
		{"writable", []*structs.VolumeMount{{Volume: "d", Destination: "/data"}},
			[]drivers.MountConfig{{HostPath: "/srv/data", TaskPath: "/data"}}, ""},
		{"read-only mount", []*structs.VolumeMount{{Volume: "d", Destination: "/data", ReadOnly: true}},
			[]drivers.MountConfig{{HostPath: "/srv/data", TaskPath: "/data", ReadOnly: true}}, ""},
		{"read-only request", []*structs.VolumeMount{{Volume: "dr", Destination: "/data"}},
			[]drivers.MountConfig{{HostPath: "/srv/data", TaskPath: "/data", ReadOnly: true}}, ""},
		{"read-only host volume", []*structs.VolumeMount{{Volume: "c", Destination: "/certs"}},
			[]drivers.MountConfig{{HostPath: "/etc/ssl/private", TaskPath: "/certs", ReadOnly: true}}, ""},
		{"unknown group volume", []*structs.VolumeMount{{Volume: "nope", Destination: "/x"}}, nil, `no volume "nope"`},
		{"client lacks the host volume", []*structs.VolumeMount{{Volume: "x", Destination: "/x"}}, nil, `no host_volume "missing"`},
		{"not a host volume", []*structs.VolumeMount{{Volume: "k", Destination: "/x"}}, nil, `type "csi" is not supported`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			task := &structs.Task{Name: "t", Driver: "mock", VolumeMounts: tc.mounts}
			a := testAlloc(structs.JobTypeService, task)
			a.Job.TaskGroups[0].Volumes = vols
			ar := New(Config{Alloc: a, Node: node, AllocRoot: t.TempDir(), DB: state.NewMemDB()})
			got, err := ar.volumeMounts(task)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestLogConfig(t *testing.T) {
	a := testAlloc(structs.JobTypeService, mockTask("t", nil))
	root := t.TempDir()
	ar := New(Config{Alloc: a, AllocRoot: root, DB: state.NewMemDB()})
	logs := filepath.Join(root, a.ID, "alloc", "logs")
	tests := []struct {
		name string
		cfg  *structs.LogConfig
		want *drivers.LogConfig
	}{
		{"defaults", nil, &drivers.LogConfig{Dir: logs, MaxFiles: 10, MaxFileSizeMB: 10}},
		{"job's values", &structs.LogConfig{MaxFiles: 3, MaxFileSizeMB: 1}, &drivers.LogConfig{Dir: logs, MaxFiles: 3, MaxFileSizeMB: 1}},
		{"disabled", &structs.LogConfig{Disabled: true}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ar.logConfig(&structs.Task{Name: "t", LogConfig: tc.cfg})
			if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
