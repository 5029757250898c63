/* The table that maps an event name to its handler (handlers live in events_app.c,
 * events_stage.c, events_task.c and events_sql.c). */
#include <string.h>

#include "model/builder.h"

/* ---- dispatch ---- */

typedef struct ev_entry {
  const char *name;            /* short event class name */
  sic_event_fn fn;             /* handler */
} ev_entry;

/* Most frequent first: the lookup is a length-checked linear scan. */
static const ev_entry EVENTS[] = {
    {"SparkListenerTaskEnd", sic_ev_task_end},
    {"SparkListenerTaskStart", sic_ev_task_start},
    {"SparkListenerTaskGettingResult", sic_ev_task_getting_result},
    {"SparkListenerExecutorMetricsUpdate", sic_ev_exec_metrics_update},
    {"SparkListenerBlockUpdated", sic_ev_block_updated},
    {"SparkListenerStageSubmitted", sic_ev_stage_submitted},
    {"SparkListenerStageCompleted", sic_ev_stage_completed},
    {"SparkListenerStageExecutorMetrics", sic_ev_stage_exec_metrics},
    {"SparkListenerJobStart", sic_ev_job_start},
    {"SparkListenerJobEnd", sic_ev_job_end},
    {"SparkListenerSQLExecutionStart", sic_ev_sql_start},
    {"SparkListenerSQLExecutionEnd", sic_ev_sql_end},
    {"SparkListenerDriverAccumUpdates", sic_ev_driver_accums},
    {"SparkListenerSQLAdaptiveExecutionUpdate", sic_ev_sql_aqe},
    {"SparkListenerSQLAdaptiveSQLMetricUpdates", sic_ev_sql_aqe_metrics},
    {"SparkListenerExecutorAdded", sic_ev_executor_added},
    {"SparkListenerExecutorRemoved", sic_ev_executor_removed},
    {"SparkListenerBlockManagerAdded", sic_ev_bm_added},
    {"SparkListenerBlockManagerRemoved", sic_ev_bm_removed},
    {"SparkListenerExecutorBlacklisted", sic_ev_excluded},
    {"SparkListenerExecutorExcluded", sic_ev_excluded},
    {"SparkListenerExecutorUnblacklisted", sic_ev_unexcluded},
    {"SparkListenerExecutorUnexcluded", sic_ev_unexcluded},
    {"SparkListenerExecutorBlacklistedForStage", sic_ev_excluded},
    {"SparkListenerExecutorExcludedForStage", sic_ev_excluded},
    {"SparkListenerNodeBlacklisted", sic_ev_excluded},
    {"SparkListenerNodeExcluded", sic_ev_excluded},
    {"SparkListenerNodeUnblacklisted", sic_ev_unexcluded},
    {"SparkListenerNodeUnexcluded", sic_ev_unexcluded},
    {"SparkListenerNodeBlacklistedForStage", sic_ev_excluded},
    {"SparkListenerNodeExcludedForStage", sic_ev_excluded},
    {"SparkListenerApplicationStart", sic_ev_app_start},
    {"SparkListenerApplicationEnd", sic_ev_app_end},
    {"SparkListenerEnvironmentUpdate", sic_ev_env},
    {"SparkListenerLogStart", sic_ev_log_start},
    {"SparkListenerResourceProfileAdded", sic_ev_resource_profile},
    {"SparkListenerMiscellaneousProcessAdded", sic_ev_misc_added},
    {"SparkListenerUnpersistRDD", sic_ev_unpersist},
};

sic_event_fn sic_event_handler(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof EVENTS / sizeof EVENTS[0]; i++) {
    const char *n = EVENTS[i].name;
    if (strlen(n) == len && memcmp(n, name, len) == 0) return EVENTS[i].fn;
  }
  return NULL;
}
