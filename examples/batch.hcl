# A batch job: three instances each print a line and exit.
#   drover job run examples/batch.hcl
job "batch" {
  datacenters = ["dc1"]
  type        = "batch"

  group "hello" {
    count = 3

    task "hello" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "echo hello from ${NOMAD_ALLOC_INDEX}; sleep 1"]
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
