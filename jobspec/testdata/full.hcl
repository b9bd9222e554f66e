job "full" {
  name        = "full-name"
  region      = "eu"
  namespace   = "prod"
  type        = "service"
  priority    = 70
  all_at_once = true
  datacenters = ["dc1", "dc2"]
  node_pool   = "gpu"

  meta {
    owner = "team-a"
    build = 42
  }

  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  affinity {
    attribute = "${node.datacenter}"
    operator  = "!="
    value     = "dc2"
    weight    = -30
  }

  spread {
    attribute = "${node.datacenter}"
    weight    = 80

    target "dc1" {
      percent = 60
    }

    target "dc2" {
      percent = 40
    }
  }

  update {
    max_parallel      = 2
    health_check      = "checks"
    min_healthy_time  = "15s"
    healthy_deadline  = "5m"
    progress_deadline = "10m"
    auto_revert       = true
    auto_promote      = true
    canary            = 1
    stagger           = "30s"
  }

  reschedule {
    attempts       = 5
    interval       = "1h"
    delay          = "30s"
    delay_function = "exponential"
    max_delay      = "10m"
    unlimited      = false
  }

  migrate {
    max_parallel     = 1
    health_check     = "task_states"
    min_healthy_time = "10s"
    healthy_deadline = "2m"
  }

  group "web" {
    count          = 3
    shutdown_delay = "5s"

    meta = {
      tier = "front"
    }

    constraint {
      distinct_hosts = true
    }

    volume "data" {
      type      = "host"
      source    = "shared-data"
      read_only = true
    }

    restart {
      attempts         = 2
      interval         = "30m"
      delay            = "15s"
      mode             = "fail"
      render_templates = true
    }

    ephemeral_disk {
      sticky  = true
      size    = 300
      migrate = true
    }

    network {
      mode = "host"

      port "http" {
        to = 8080
      }

      port "admin" {
        static       = 9000
        host_network = "private"
      }
    }

    service {
      name     = "web"
      port     = "http"
      tags     = ["a", "b"]
      provider = "nomad"

      meta {
        version = "1"
      }

      check {
        name     = "alive"
        type     = "http"
        path     = "/health"
        protocol = "http"
        port     = "http"
        interval = "10s"
        timeout  = "2s"
      }

      check {
        type     = "script"
        command  = "/bin/check"
        args     = ["-v"]
        interval = "1m"
        timeout  = "5s"
      }
    }

    task "server" {
      driver         = "exec"
      user           = "nobody"
      kill_timeout   = "20s"
      kill_signal    = "SIGINT"
      leader         = true
      shutdown_delay = "3s"

      config {
        command = "/usr/bin/server"
        args    = ["-port", "${NOMAD_PORT_http}"]
        ratio   = 0.5
        workers = 4
        debug   = true

        mount {
          source = "a"
        }

        mount {
          source = "b"
        }

        labels = {
          app = "web"
        }
      }

      env {
        PORT = "${NOMAD_PORT_http}"
        HOST = "${attr.unique.network.ip-address}"
      }

      meta {
        role = "main"
      }

      resources {
        cpu        = 500
        cores      = 0
        memory     = 256
        memory_max = 512
        disk       = 100
      }

      restart {
        attempts = 1
        mode     = "delay"
      }

      logs {
        max_files     = 3
        max_file_size = 5
        disabled      = false
      }

      template {
        data            = <<EOH
port={{ env "NOMAD_PORT_http" }}
EOH
        destination     = "local/app.conf"
        change_mode     = "signal"
        change_signal   = "SIGHUP"
        splay           = "5s"
        perms           = "0644"
        left_delimiter  = "{{"
        right_delimiter = "}}"
        env             = false
      }

      template {
        source      = "local/in.tpl"
        destination = "secrets/out.env"
        env         = true
      }

      volume_mount {
        volume      = "data"
        destination = "/srv/data"
        read_only   = true
      }

      service {
        name = "server-metrics"
        port = "admin"
      }

      constraint {
        attribute = "${attr.cpu.arch}"
        value     = "amd64"
      }

      affinity {
        attribute = "${meta.rack}"
        value     = "r1"
      }
    }

    task "log-shipper" {
      driver = "raw_exec"

      lifecycle {
        hook    = "poststart"
        sidecar = true
      }

      config {
        command = "/bin/ship"
      }
    }
  }

  group "cron" {
    task "t" {
      driver = "mock"
    }
  }
}
