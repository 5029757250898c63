/* sic worker KAFKA_URI --store URL: a consumer-group member storing analysed applications
 * from log notifications (engine/fleet/worker.h). --concurrency N runs N consumers, each a
 * child process and a group member of its own (the Lua engine and a store connection are per
 * process), sharing one /metrics endpoint through shared memory. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "fleet/probe_http.h"
#include "fleet/worker.h"

static volatile int worker_stop;          /* SIGTERM/SIGINT: stop after the current application */
static volatile sig_atomic_t got_signal;  /* the signal, for forwarding to children */

static void on_signal(int sig) {
  worker_stop = 1;
  got_signal = sig;
}

/* Run one consumer in this process; exit status of the command. */
static int run_one(sic_worker_cfg *cfg, const char *label) {
  sic_err err = {0};
  int rc = sic_worker_run(cfg, &err);
  if (rc && !worker_stop) {
    fprintf(stderr, "sic worker%s: %s\n", label, err.msg);
    return SIC_EXIT_INPUT;
  }
  if (rc) fprintf(stderr, "sic worker%s: stopped: %s\n", label, err.msg);
  return SIC_EXIT_OK;
}

/* N child processes, one consumer each; the parent forwards SIGTERM and waits. A child that
 * fails takes the others down (the pod restarts as a whole, its instance ids rejoin at once). */
static int run_children(sic_worker_cfg *base, sic_worker_metrics *slots, int n, const char *instance_id) {
  pid_t *pids = calloc((size_t)n, sizeof *pids);
  if (!pids) return SIC_EXIT_INPUT;
  int status_all = SIC_EXIT_OK, alive = 0;
  for (int i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a killed parent: its ids rejoin */
      if (getppid() == 1) _exit(1);
      sic_worker_cfg cfg = *base;
      char id[300], label[32];
      if (instance_id && *instance_id) snprintf(id, sizeof id, "%s-%d", instance_id, i);
      cfg.instance_id = instance_id && *instance_id ? id : NULL;
      cfg.metrics = &slots[i];
      snprintf(label, sizeof label, "[%d]", i);
      fflush(stdout);
      _exit(run_one(&cfg, label));
    }
    if (pid < 0) {
      fprintf(stderr, "sic worker: fork: %s\n", strerror(errno));
      status_all = SIC_EXIT_INPUT;
      break;
    }
    pids[i] = pid;
    alive++;
  }
  int forwarded = 0;
  while (alive > 0) {
    if (worker_stop && !forwarded) {
      for (int i = 0; i < n; i++)
        if (pids[i] > 0) kill(pids[i], got_signal ? got_signal : SIGTERM);
      forwarded = 1;
    }
    int st = 0;
    pid_t pid = waitpid(-1, &st, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; i++)
      if (pids[i] == pid) pids[i] = 0;
    alive--;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      status_all = SIC_EXIT_INPUT;
      if (!worker_stop) {
        fprintf(stderr, "sic worker: a consumer process ended (%s %d); stopping the others\n",
                WIFSIGNALED(st) ? "signal" : "status", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
        worker_stop = 1;
      }
    }
  }
  free(pids);
  return status_all;
}

int sic_cmd_worker(int argc, char **argv) {
  const char *store = NULL, *scripts = NULL, *listen = NULL, *instance_id = NULL;
  int64_t concurrency = 1, max_attempts = 3;
  int no_analyze = 0;
  const sic_opt opts[] = {
    {.name = "store", .kind = SIC_OPT_STRING, .dest = &store, .metavar = "URL",
     .help = "postgresql://... (shared by the fleet) or sqlite:///path (default $SIC_STORE)"},
    {.name = "scripts", .kind = SIC_OPT_STRING, .dest = &scripts, .metavar = "DIR",
     .help = "user rules/agents directory (may be a Kubernetes ConfigMap mount)"},
    {.name = "listen", .kind = SIC_OPT_STRING, .dest = &listen, .metavar = "HOST:PORT",
     .help = "serve /metrics, /healthz and /readyz here (default: none)"},
    {.name = "concurrency", .kind = SIC_OPT_INT, .dest = &concurrency, .metavar = "N", .min = 1, .max = 64,
     .help = "consumers in this worker, each a group member in its own process (default 1)"},
    {.name = "max-attempts", .kind = SIC_OPT_INT, .dest = &max_attempts, .metavar = "N", .min = 1, .max = 100,
     .help = "attempts of a failing notification before it goes to the dead-letter topic (default 3)"},
    {.name = "instance-id", .kind = SIC_OPT_STRING, .dest = &instance_id, .metavar = "ID",
     .help = "group.instance.id for static membership (default $SIC_GROUP_INSTANCE_ID: the pod name)"},
    {.name = "no-analyze", .kind = SIC_OPT_FLAG, .dest = &no_analyze, .help = "store without running the analysis"},
  };
  const sic_cmd_spec spec = {
    "worker", "kafka://BROKERS/TOPIC?group=NAME[&dlq=TOPIC] --store URL [--listen HOST:PORT] [--concurrency N]",
    "Consume log notifications ({\"uri\": ...}, as `sic watch --publish` writes them) as a member of a\n"
    "Kafka consumer group: each log is fetched, loaded, analysed and stored in one idempotent transaction,\n"
    "and only then is its offset committed (at least once; a redelivered log is stored once). A log that\n"
    "fails --max-attempts times goes to the dead-letter topic (TOPIC.dead, or dlq=) with the reason and is\n"
    "listed by `sic history --failed`. SIGTERM finishes the current application, then leaves.\n"
    "One line per notification on stdout: STATUS TOPIC/PARTITION@OFFSET URI app=... attempt=N ms=... e2e_ms=... at=EPOCH_MS",
    opts, sizeof opts / sizeof *opts, SIC_FORMAT_MASK(SIC_FORMAT_TEXT), 1, 1};
  char *pos[argc > 0 ? argc : 1];
  int npos = 0;
  int rc = sic_args_parse(&spec, argc, argv, pos, &npos);
  if (rc != SIC_ARGS_OK) return rc == SIC_ARGS_HELP ? SIC_EXIT_OK : SIC_EXIT_USAGE;
  if (!instance_id) instance_id = getenv("SIC_GROUP_INSTANCE_ID");
  setvbuf(stdout, NULL, _IOLBF, 0);
  sic_worker_metrics *slots = mmap(NULL, sizeof *slots * (size_t)concurrency, PROT_READ | PROT_WRITE,
                                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (slots == MAP_FAILED) {
    fprintf(stderr, "sic worker: cannot map the metrics: %s\n", strerror(errno));
    return SIC_EXIT_INPUT;
  }
  sic_worker_metrics *ptrs[64];
  for (int i = 0; i < concurrency; i++) ptrs[i] = &slots[i];
  sic_err err = {0};
  sic_probe_http *http = NULL;
  int port = 0;
  if (listen && sic_probe_http_start(listen, ptrs, (int)concurrency, &http, &port, &err)) {
    fprintf(stderr, "sic worker: %s\n", err.msg);
    munmap(slots, sizeof *slots * (size_t)concurrency);
    return SIC_EXIT_USAGE;
  }
  if (http) fprintf(stderr, "sic worker: /metrics /healthz /readyz on port %d\n", port);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: waitpid returns to forward the signal */
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  const char *dirs[1] = {scripts};
  sic_worker_cfg cfg = {pos[0], store, scripts ? dirs : NULL, scripts ? 1 : 0, (int)max_attempts, !no_analyze,
                        instance_id, &worker_stop, &slots[0]};
  int status = concurrency == 1 ? run_one(&cfg, "") : run_children(&cfg, slots, (int)concurrency, instance_id);
  sic_probe_http_stop(http);
  munmap(slots, sizeof *slots * (size_t)concurrency);
  return status;
}
