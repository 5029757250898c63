# Managed Service for Apache Kafka: the work topic the watchers publish to and the workers
# consume as one consumer group, plus the dead-letter topic for logs that keep failing.
resource "google_managed_kafka_cluster" "fleet" {
  cluster_id = "${var.name}-kafka"
  location   = var.region

  capacity_config {
    vcpu_count   = 3
    memory_bytes = 3221225472
  }

  gcp_config {
    access_config {
      network_configs {
        subnet = google_compute_subnetwork.nodes.id
      }
    }
  }
}

resource "google_managed_kafka_topic" "work" {
  topic_id           = "sic.logs"
  cluster            = google_managed_kafka_cluster.fleet.cluster_id
  location           = var.region
  partition_count    = var.kafka_partitions
  replication_factor = 3

  lifecycle {
    precondition {
      condition     = var.kafka_partitions >= var.worker_max_replicas
      error_message = "kafka_partitions must be at least worker_max_replicas: a consumer group has at most one active member per partition."
    }
  }
}

resource "google_managed_kafka_topic" "dead_letter" {
  topic_id           = "sic.logs.dead"
  cluster            = google_managed_kafka_cluster.fleet.cluster_id
  location           = var.region
  partition_count    = 1
  replication_factor = 3
}
