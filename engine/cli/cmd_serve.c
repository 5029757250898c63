/* sic serve --logs DIR [--listen HOST:PORT] ... : the HTTP service (engine/http). Runs until
 * SIGTERM or SIGINT, then finishes in-flight requests and exits. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "eventlog/eventlog.h"
#include "http/http.h"

/* Block the stop signals in every thread (MHD's workers inherit the mask) and wait for one
 * here, so shutdown runs in ordinary code, not in a signal handler. */
static int wait_for_stop_signal(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

int sic_cmd_serve(int argc, char **argv) {
  sic_args_list logs = {0};
  const char *listen = SIC_HTTP_DEFAULT_LISTEN, *scripts = NULL, *store = NULL, *model = NULL, *delta_root = NULL;
  int64_t max_line_mb = SIC_DEFAULT_MAX_LINE >> 20, max_expanded_mb = 0, max_conns = 4096, per_ip = 256, reserve = 32;
  int64_t min_body_rate = 1024, analysis_threads = 0, analysis_queue = 64;
  int64_t threads = 0, max_body_mb = 64, timeout_s = 30, grace_s = 10, cache_mb = 0, rescan_ms = 2000, response_cache_mb = 64;
  const sic_opt opts[] = {
    SIC_OPT_LIST_ROW("logs", 'l', &logs, "DIR", "directory of Spark event logs to serve (required; repeat to serve several as one listing)"),
    SIC_OPT_STRING_ROW("listen", 0, &listen, "HOST:PORT", "address to bind (default 127.0.0.1:18080; port 0 = any free port)"),
    SIC_OPT_STRING_ROW("store", 0, &store, "URL", "history store (sqlite:///path or postgresql://...): job history, regressions, uploads recorded"),
    SIC_OPT_STRING_ROW("delta-root", 0, &delta_root, "DIR", "Delta tables under DIR are served by /v1/delta?table=REL"),
    SIC_OPT_STRING_ROW("model", 'm', &model, "FILE", "runtime model from `sic train` for /v1/apps/{id}/predict (default $SIC_MODEL)"),
    SIC_OPT_STRING_ROW("scripts", 0, &scripts, "DIR", "user rule dir (agents/, rules/, graph.lua), validated before use; POST /v1/rules/reload re-reads it"),
    SIC_OPT_INT_ROW("threads", 0, &threads, "N", "worker threads (default: one per CPU)", 0, 256),
    SIC_OPT_INT_ROW("max-body-mb", 0, &max_body_mb, "MB", "largest request body accepted, MiB (default 64)", 1, 1 << 20),
    SIC_OPT_INT_ROW("max-expanded-mb", 0, &max_expanded_mb, "MB", "an upload decompressing past this is refused (413, decompression bomb), MiB (default 16 x --max-body-mb)", 1, 1 << 24),
    SIC_OPT_INT_ROW("max-line-mb", 0, &max_line_mb, "MB", "a longer event-log line is reported as malformed and skipped, never held whole, MiB (default 128)", 1, 1 << 20),
    SIC_OPT_INT_ROW("timeout", 0, &timeout_s, "SECONDS", "close connections idle, slower than this to send a request head, or whose body lags this long behind --min-body-rate (default 30)", 1, 3600),
    SIC_OPT_INT_ROW("min-body-rate", 0, &min_body_rate, "BYTES", "bytes/s a request body must average once older than --timeout (default 1024)", 1, 1 << 30),
    SIC_OPT_INT_ROW("max-connections", 0, &max_conns, "N", "open connections served (default 4096; kept within the descriptor limit)", 1, 1 << 20),
    SIC_OPT_INT_ROW("max-conns-per-ip", 0, &per_ip, "N", "open connections from one client address (default 256)", 1, 1 << 20),
    SIC_OPT_INT_ROW("reserve-connections", 0, &reserve, "N", "connections beyond --max-connections kept for health checks from an otherwise idle address (default 32; 0 = none)", 0, 4096),
    SIC_OPT_INT_ROW("analysis-threads", 0, &analysis_threads, "N", "threads running analyses, log renders and store queries, apart from those answering health, metrics and cached reads (default: one per CPU)", 0, 256),
    SIC_OPT_INT_ROW("analysis-queue", 0, &analysis_queue, "N", "requests waiting for an analysis thread before 503 (default 64)", 1, 1 << 20),
    SIC_OPT_INT_ROW("grace", 0, &grace_s, "SECONDS", "on SIGTERM, wait this long for in-flight requests (default 10)", 0, 3600),
    SIC_OPT_INT_ROW("cache-mb", 0, &cache_mb, "MB", "parsed application models kept in memory, MiB (default 1024)", 0, 1 << 24),
    SIC_OPT_INT_ROW("response-cache-mb", 0, &response_cache_mb, "MB", "rendered replies kept, MiB (default 64; 0 = no response cache)", 0, 1 << 20),
    SIC_OPT_INT_ROW("rescan-ms", 0, &rescan_ms, "MS", "how often the log dir is rescanned for new and growing logs (default 2000)", 50, 3600000),
  };
  const sic_cmd_spec spec = {
    "serve", "--logs DIR [--logs DIR...] [--listen HOST:PORT] [options]",
    "Serve the Spark History Server REST API (/api/v1, the same code as `sic api`), health\n"
    "(/healthz, /readyz), Prometheus metrics (/metrics), the API description (/openapi.json,\n"
    "/docs), the copilot API (/v1: findings, reports, uploads, rules) and a web UI (/) over\n"
    "the event logs in each DIR (one listing over all of them). New and growing logs are\n"
    "picked up without a restart.\n"
    "Binds loopback by default. A non-loopback address needs SIC_API_TOKEN in the environment;\n"
    "with a token set every endpoint but /healthz and /readyz requires\n"
    "`Authorization: Bearer <token>`. Prints `listening on http://HOST:PORT` once serving.\n"
    "SIGTERM/SIGINT: stop accepting, finish in-flight requests (--grace), exit 0.",
    opts, sizeof opts / sizeof *opts, 0, 0, 0};
  char *pos[argc > 0 ? argc : 1];
  int npos = 0;
  int rc = sic_args_parse(&spec, argc, argv, pos, &npos);
  if (rc == SIC_ARGS_OK && !logs.n) rc = sic_args_usage_error(&spec, "--logs DIR is required");
  if (rc == SIC_ARGS_OK && logs.n > 64) rc = sic_args_usage_error(&spec, "at most 64 --logs directories");
  if (rc != SIC_ARGS_OK) return sic_args_exit(&spec, rc);
  const char **logdirs = logs.v;
  size_t nlogdirs = (size_t)logs.n;

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN); /* a client closing early must not kill the server */

  sic_http_opts ho = {0};
  ho.listen = listen;
  ho.logdir = logdirs[nlogdirs - 1];
  ho.logdirs = logdirs;
  ho.nlogdirs = nlogdirs;
  ho.token = getenv("SIC_API_TOKEN");
  ho.threads = (int)threads;
  ho.max_body_bytes = max_body_mb << 20;
  ho.timeout_s = (int)timeout_s;
  ho.max_expanded_bytes = max_expanded_mb << 20;
  ho.min_body_rate = (double)min_body_rate;
  ho.max_connections = (int)max_conns;
  ho.max_conns_per_ip = (int)per_ip;
  ho.reserve_connections = reserve ? (int)reserve : -1;
  ho.analysis_threads = (int)analysis_threads;
  ho.analysis_queue = (int)analysis_queue;
  sic_lines_set_default_max_line(max_line_mb << 20);
  ho.model_cache_bytes = cache_mb << 20;
  ho.rescan_ms = (int)rescan_ms;
  ho.response_cache_bytes = response_cache_mb ? response_cache_mb << 20 : -1;
  ho.scripts_dir = scripts;
  ho.store_url = store;
  ho.delta_root = delta_root;
  ho.model_path = model ? model : (getenv("SIC_MODEL") && getenv("SIC_MODEL")[0] ? getenv("SIC_MODEL") : NULL);
  sic_err err = {0};
  sic_http *srv = NULL;
  if (sic_http_start(&ho, &srv, &err) < 0) {
    fprintf(stderr, "sic serve: %s\n", err.msg);
    sic_args_release(&spec);
    return err.code == SIC_EINVAL ? SIC_EXIT_USAGE : SIC_EXIT_INPUT;
  }
  const char *colon = strrchr(listen, ':');
  printf("sic serve: listening on http://%.*s:%d (logs %s%s%s)\n", (int)(colon - listen), listen, sic_http_port(srv),
         logdirs[0], nlogdirs > 1 ? " and more" : "",
         ho.token && ho.token[0] ? ", bearer token required" : "");
  fflush(stdout);
  int sig = wait_for_stop_signal();
  fprintf(stderr, "sic serve: %s received, finishing in-flight requests\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  sic_http_stop(srv, (int)grace_s * 1000);
  fprintf(stderr, "sic serve: stopped\n");
  sic_args_release(&spec);
  return SIC_EXIT_OK;
}
