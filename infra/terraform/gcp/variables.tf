variable "project_id" {
  description = "GCP project that holds the fleet."
  type        = string
}

variable "region" {
  description = "Region for the cluster, the database, the bucket and the Kafka cluster."
  type        = string
  default     = "europe-west1"
}

variable "name" {
  description = "Prefix of every resource name."
  type        = string
  default     = "sic"
}

variable "namespace" {
  description = "Kubernetes namespace the sic workloads run in (infra/k8s overlays use `sic`)."
  type        = string
  default     = "sic"
}

variable "node_machine_type" {
  description = "Machine type of the GKE node pool; workers request 1 vCPU and 1 GiB each."
  type        = string
  default     = "e2-standard-4"
}

variable "node_count_max" {
  description = "Autoscaling ceiling of the node pool."
  type        = number
  default     = 6
}

variable "db_tier" {
  description = "Cloud SQL machine tier for the shared store."
  type        = string
  default     = "db-custom-2-7680"
}

variable "db_deletion_protection" {
  description = "Refuse to destroy the store database (turn off only for throwaway projects)."
  type        = bool
  default     = true
}

variable "event_log_retention_days" {
  description = "Days an event log stays in the bucket before it is deleted."
  type        = number
  default     = 90
}

variable "worker_max_replicas" {
  description = "Largest number of worker pods KEDA may run (infra/k8s/overlays/gke maxReplicaCount)."
  type        = number
  default     = 12
}

variable "kafka_partitions" {
  description = "Partitions of the work topic. A consumer group uses at most one member per partition, so this must be at least worker_max_replicas."
  type        = number
  default     = 12

  validation {
    condition     = var.kafka_partitions >= 1
    error_message = "kafka_partitions must be at least 1."
  }
}
