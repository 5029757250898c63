output "cluster_name" {
  description = "GKE cluster: gcloud container clusters get-credentials NAME --region REGION"
  value       = google_container_cluster.fleet.name
}

output "store_private_ip" {
  description = "Private IP of the PostgreSQL store (the sic-store Secret's host)."
  value       = google_sql_database_instance.store.private_ip_address
}

output "store_connection_name" {
  description = "Cloud SQL connection name, for the Cloud SQL Auth Proxy if used."
  value       = google_sql_database_instance.store.connection_name
}

output "event_log_bucket" {
  description = "Bucket for spark.eventLog.dir (gs://BUCKET/spark-events)."
  value       = google_storage_bucket.event_logs.name
}

output "runtime_service_account" {
  description = "Annotate the Kubernetes service account `sic` with this (iam.gke.io/gcp-service-account)."
  value       = google_service_account.runtime.email
}

output "kafka_cluster" {
  description = "Managed Kafka cluster id; the bootstrap address is bootstrap.CLUSTER.REGION.managedkafka.PROJECT.cloud.goog:9092."
  value       = google_managed_kafka_cluster.fleet.cluster_id
}

output "kafka_partitions" {
  description = "Partitions of the work topic: the ceiling for KEDA's maxReplicaCount."
  value       = google_managed_kafka_topic.work.partition_count
}
