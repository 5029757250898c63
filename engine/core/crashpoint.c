/* Test-only crash points (see crashpoint.h). */
#include "core/crashpoint.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sic_crashpoint_state = -1;

static pthread_once_t parsed = PTHREAD_ONCE_INIT;
static char armed_point[64];             /* the point named by SIC_TEST_CRASH_AT */
static long armed_pass = 1;              /* crash on this pass of it (1 = the first) */
static long passes;                      /* passes of the armed point so far */

/* "point" or "point:N" with N >= 1; anything else arms nothing and says so once. */
static void parse_env(void) {
  const char *spec = getenv("SIC_TEST_CRASH_AT");
  int state = 0;
  if (spec && *spec) {
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    char *end = NULL;
    long n = colon ? strtol(colon + 1, &end, 10) : 1;
    if (len == 0 || len >= sizeof armed_point || n < 1 || (colon && (end == colon + 1 || *end)))
      fprintf(stderr, "sic: ignoring SIC_TEST_CRASH_AT='%s' (expected POINT or POINT:N, N >= 1)\n", spec);
    else {
      memcpy(armed_point, spec, len);
      armed_point[len] = 0;
      armed_pass = n;
      state = 1;
    }
  }
  __atomic_store_n(&sic_crashpoint_state, state, __ATOMIC_RELEASE);
}

void sic_crashpoint_pass(const char *point) {
  pthread_once(&parsed, parse_env);
  if (!__atomic_load_n(&sic_crashpoint_state, __ATOMIC_ACQUIRE) || strcmp(point, armed_point)) return;
  if (__atomic_add_fetch(&passes, 1, __ATOMIC_ACQ_REL) != armed_pass) return;
  /* write(2), not stdio: nothing buffered may be flushed on the way down, the crash must look
   * like a kill -9 from outside. */
  char msg[128];
  int n = snprintf(msg, sizeof msg, "sic: test crash point %s:%ld reached\n", armed_point, armed_pass);
  if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0) { /* nothing to do: we die next */ }
  raise(SIGKILL);
}
