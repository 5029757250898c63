/* Delta snapshot benchmark (bench/bench_delta.sh runs it): replay TABLE with sic_delta_open
 * REPEAT times; print the best wall and CPU time, the files, ms per 100k active files and the peak RSS
 * growth, as one line of key=value pairs. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "delta/delta.h"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long max_rss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_delta TABLE [REPEAT]\n");
    return 2;
  }
  int repeat = argc > 2 ? atoi(argv[2]) : 3;
  long rss0 = max_rss_kb();
  double best = 1e300, best_cpu = 1e300;
  int64_t files = 0, version = -1, tombstones = 0;
  for (int i = 0; i < repeat; i++) {
    sic_delta_snapshot *s = NULL;
    sic_err err = {0};
    double t0 = now_ms(), c0 = cpu_ms();
    if (sic_delta_open(argv[1], &s, &err)) {
      fprintf(stderr, "bench_delta: %s\n", err.msg);
      return 1;
    }
    double t = now_ms() - t0, c = cpu_ms() - c0;
    if (t < best) best = t;
    if (c < best_cpu) best_cpu = c;
    files = s->nfiles;
    version = s->version;
    tombstones = s->ntombstones;
    sic_delta_free(s);
  }
  printf("files=%lld version=%lld tombstones=%lld ms=%.1f cpu_ms=%.1f ms_per_100k=%.1f cpu_ms_per_100k=%.1f rss_growth_mb=%.1f\n",
         (long long)files, (long long)version, (long long)tombstones, best, best_cpu,
         files ? best * 100000.0 / (double)files : 0.0, files ? best_cpu * 100000.0 / (double)files : 0.0,
         (max_rss_kb() - rss0) / 1024.0);
  return 0;
}
