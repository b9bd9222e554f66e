# A long-running service with two instances, each given a dynamic port.
#   drover job run examples/service.hcl
job "sleeper" {
  datacenters = ["dc1"]
  type        = "service"

  update {
    max_parallel     = 1
    min_healthy_time = "5s"
    healthy_deadline = "1m"
  }

  group "sleeper" {
    count = 2

    network {
      port "http" {}
    }

    service {
      name     = "sleeper"
      port     = "http"
      provider = "nomad"
      tags     = ["demo"]
    }

    restart {
      attempts = 3
      interval = "5m"
      delay    = "10s"
      mode     = "delay"
    }

    task "sleep" {
      driver = "raw_exec"

      config {
        command = "/bin/sleep"
        args    = ["3600"]
      }

      env {
        LISTEN_PORT = "${NOMAD_PORT_http}"
      }

      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
