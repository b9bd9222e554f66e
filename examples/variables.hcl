# Variables, locals and functions. Override with
#   drover job run -var 'instances=3' -var 'greeting=hi' examples/variables.hcl
# or NOMAD_VAR_greeting=hi, or -var-file.
variable "greeting" {
  type        = string
  default     = "hello"
  description = "What each task prints."
}

variable "instances" {
  type    = number
  default = 2

  validation {
    condition     = var.instances >= 1 && var.instances <= 10
    error_message = "instances must be from 1 to 10."
  }
}

variable "datacenters" {
  type    = list(string)
  default = ["dc1"]
}

locals {
  job_name = "greet-${lower(var.greeting)}"
  message  = format("%s from %s", var.greeting, "$${NOMAD_ALLOC_ID}")
}

job "greet" {
  name        = local.job_name
  datacenters = var.datacenters
  type        = "batch"

  meta {
    greeting = upper(var.greeting)
  }

  group "greet" {
    count = var.instances

    task "greet" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "echo ${local.message} on ${node.unique.name}"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
