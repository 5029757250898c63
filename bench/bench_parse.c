/* bench_parse: throughput and memory of sic_app_load_path() on one event log.
 *
 * usage: bench_parse [--threads N] [--repeat N] [--expect-tasks N] [--expect-events N] LOG
 *
 * Loads LOG --repeat times (best wall time wins, so a cold page cache on the first run does
 * not decide the figure) and prints human-readable lines followed by one machine-readable
 * "RESULT key=value ..." line that bench/run.sh parses.
 *
 * Memory: a helper thread samples /proc/self/statm every few milliseconds during the first
 * load and keeps the highest anonymous RSS (resident - file-backed pages), so memory-mapped
 * input does not count as model memory; VmHWM (peak RSS including mapped files) is reported
 * too. Bytes per task = (peak anonymous RSS - anonymous RSS before loading) / tasks.
 *
 * --expect-tasks/--expect-events come from the generator's manifest: a loader that reads
 * fewer tasks than were written would otherwise look fast. A mismatch fails the run.
 *
 * Exit: 0 measured, 1 load failed or counts differ, 2 usage. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "model/model.h"

typedef struct bench_opts {
  const char *path;          /* log to load */
  int threads;               /* sic_load_opts.threads */
  int repeat;                /* loads to run; the fastest is reported */
  int64_t expect_tasks;      /* -1 = do not check */
  int64_t expect_events;     /* -1 = do not check */
} bench_opts;

typedef struct rss_sampler {
  pthread_t thread;          /* sampling thread */
  atomic_int stop;           /* set to 1 to end sampling */
  atomic_llong peak_anon;    /* highest anonymous RSS seen, bytes */
} rss_sampler;

typedef struct load_result {
  double wall_s;             /* wall-clock seconds of sic_app_load_path */
  double cpu_s;              /* process CPU seconds (all threads) during the load */
  int64_t bytes;             /* decompressed bytes the loader read (app->bytes) */
  int64_t tasks;             /* task attempts in the model */
  int64_t events;            /* lines parsed as events */
  int64_t malformed;         /* malformed lines reported by the loader */
  int64_t model_bytes;       /* sic_app_memory() */
} load_result;

static double now_s(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Anonymous resident bytes: statm's resident minus shared (file-backed + shmem) pages. */
static int64_t anon_rss_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long long size = 0, resident = 0, shared = 0;
  if (!f) return -1;
  int n = fscanf(f, "%lld %lld %lld", &size, &resident, &shared);
  fclose(f);
  if (n != 3) return -1;
  return (int64_t)(resident - shared) * sysconf(_SC_PAGESIZE);
}

/* A field of /proc/self/status in bytes (VmRSS, VmHWM, RssAnon ...), -1 when absent. */
static int64_t status_kb_field(const char *name) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  int64_t value = -1;
  size_t len = strlen(name);
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, name, len) && line[len] == ':') {
      value = strtoll(line + len + 1, NULL, 10) * 1024;
      break;
    }
  fclose(f);
  return value;
}

static void *sampler_main(void *arg) {
  rss_sampler *s = arg;
  const struct timespec pause = {0, 2 * 1000 * 1000};
  while (!atomic_load(&s->stop)) {
    int64_t anon = anon_rss_bytes();
    if (anon > atomic_load(&s->peak_anon)) atomic_store(&s->peak_anon, anon);
    nanosleep(&pause, NULL);
  }
  return NULL;
}

static int sampler_start(rss_sampler *s) {
  atomic_init(&s->stop, 0);
  atomic_init(&s->peak_anon, anon_rss_bytes());
  return pthread_create(&s->thread, NULL, sampler_main, s);
}

static int64_t sampler_stop(rss_sampler *s) {
  int64_t last = anon_rss_bytes();
  atomic_store(&s->stop, 1);
  pthread_join(s->thread, NULL);
  return last > atomic_load(&s->peak_anon) ? last : atomic_load(&s->peak_anon);
}

/* One load; the model is freed before returning unless keep is non-NULL. */
static int load_once(const bench_opts *o, load_result *r, sic_app **keep) {
  sic_load_opts lo = {.threads = o->threads, .keep_task_accums = 1};
  sic_app *app = NULL;
  sic_err err = {0};
  double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
  int rc = sic_app_load_path(o->path, &lo, &app, &err);
  r->wall_s = now_s(CLOCK_MONOTONIC) - w0;
  r->cpu_s = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
  if (rc < 0) {
    fprintf(stderr, "bench_parse: %s: %s\n", o->path, err.msg[0] ? err.msg : sic_strerror(rc));
    return 1;
  }
  r->bytes = app->bytes;
  r->tasks = app->tasks.n;
  r->events = app->events;
  r->malformed = app->malformed_lines;
  r->model_bytes = sic_app_memory(app);
  if (keep) *keep = app;
  else sic_app_free(app);
  return 0;
}

static int check_counts(const bench_opts *o, const load_result *r) {
  int bad = 0;
  if (o->expect_tasks >= 0 && r->tasks != o->expect_tasks) {
    fprintf(stderr, "bench_parse: %s: loaded %lld tasks, the generator wrote %lld\n", o->path,
            (long long)r->tasks, (long long)o->expect_tasks);
    bad = 1;
  }
  if (o->expect_events >= 0 && r->events != o->expect_events) {
    fprintf(stderr, "bench_parse: %s: loaded %lld events, the generator wrote %lld\n", o->path,
            (long long)r->events, (long long)o->expect_events);
    bad = 1;
  }
  if (r->malformed) {
    fprintf(stderr, "bench_parse: %s: %lld malformed lines in a generated log\n", o->path,
            (long long)r->malformed);
    bad = 1;
  }
  return bad;
}

static int parse_args(int argc, char **argv, bench_opts *o) {
  *o = (bench_opts){.threads = 1, .repeat = 1, .expect_tasks = -1, .expect_events = -1};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--threads") && v) o->threads = atoi(argv[++i]);
    else if (!strcmp(a, "--repeat") && v) o->repeat = atoi(argv[++i]);
    else if (!strcmp(a, "--expect-tasks") && v) o->expect_tasks = atoll(argv[++i]);
    else if (!strcmp(a, "--expect-events") && v) o->expect_events = atoll(argv[++i]);
    else if (a[0] != '-' && !o->path) o->path = a;
    else return -1;
  }
  return o->path && o->threads > 0 && o->repeat > 0 ? 0 : -1;
}

static void report(const bench_opts *o, const load_result *best, int64_t base_anon,
                   int64_t peak_anon, int64_t retained_anon) {
  double mb = best->bytes / 1e6;
  int64_t hwm = status_kb_field("VmHWM");
  double per_task = best->tasks ? (double)(peak_anon - base_anon) / best->tasks : 0;
  printf("input        %s (%.1f MB decompressed, %lld events, %lld tasks)\n", o->path, mb,
         (long long)best->events, (long long)best->tasks);
  printf("load         threads=%d best of %d: %.3f s wall, %.3f s cpu\n", o->threads,
         o->repeat, best->wall_s, best->cpu_s);
  printf("throughput   %.0f MB/s wall, %.0f MB/s per core (bytes / cpu seconds)\n",
         mb / best->wall_s, mb / best->cpu_s);
  printf("memory       peak anon RSS %.1f MB (baseline %.1f MB), peak RSS incl. mapped files "
         "%.1f MB, retained after load %.1f MB, sic_app_memory %.1f MB\n",
         peak_anon / 1e6, base_anon / 1e6, hwm / 1e6, retained_anon / 1e6,
         best->model_bytes / 1e6);
  printf("per task     %.0f bytes peak, %.0f bytes retained\n", per_task,
         best->tasks ? (double)(retained_anon - base_anon) / best->tasks : 0);
  printf("RESULT threads=%d bytes=%lld tasks=%lld wall_s=%.6f cpu_s=%.6f mbps_wall=%.1f "
         "mbps_core=%.1f base_anon=%lld peak_anon=%lld vmhwm=%lld retained_anon=%lld "
         "model_bytes=%lld bytes_per_task=%.1f\n",
         o->threads, (long long)best->bytes, (long long)best->tasks, best->wall_s, best->cpu_s,
         mb / best->wall_s, mb / best->cpu_s, (long long)base_anon, (long long)peak_anon,
         (long long)hwm, (long long)retained_anon, (long long)best->model_bytes, per_task);
}

int main(int argc, char **argv) {
  bench_opts o;
  rss_sampler sampler;
  load_result best = {0}, r = {0};
  sic_app *first = NULL;
  if (parse_args(argc, argv, &o) < 0) {
    fprintf(stderr, "usage: bench_parse [--threads N] [--repeat N] [--expect-tasks N] "
                    "[--expect-events N] LOG\n");
    return 2;
  }
  int64_t base_anon = anon_rss_bytes();
  if (sampler_start(&sampler) != 0) {
    fprintf(stderr, "bench_parse: cannot start the RSS sampler: %s\n", strerror(errno));
    return 1;
  }
  int failed = load_once(&o, &best, &first);
  int64_t peak_anon = sampler_stop(&sampler);
  if (failed) return 1;
  int64_t retained_anon = anon_rss_bytes();
  sic_app_free(first);
  for (int i = 1; i < o.repeat; i++) {
    if (load_once(&o, &r, NULL)) return 1;
    if (r.wall_s < best.wall_s) best = r;
  }
  report(&o, &best, base_anon, peak_anon, retained_anon);
  return check_counts(&o, &best);
}
