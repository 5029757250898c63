/* engine/delta in C (so `make asan` replays every shared Delta table instrumented): each of the
 * 256 tables loads or carries a diagnostic with a message; a few snapshot facts the upstream
 * projects' tests assert (names in spec/lua/delta_snapshot_spec.lua); a missing _delta_log is
 * an error naming the path. */
#include "check.h"

#include "delta/delta.h"

static void test_every_table(const char *delta) {
  char cmd[1200], line[2048];
  snprintf(cmd, sizeof cmd, "find '%s' -type d -name _delta_log | sort", delta);
  FILE *p = popen(cmd, "r");
  if (!p) return;
  int tables = 0, loaded = 0;
  while (fgets(line, sizeof line, p)) {
    line[strcspn(line, "\n")] = 0;
    char *cut = strstr(line, "/_delta_log");
    if (cut) *cut = 0;
    sic_delta_snapshot *s = NULL;
    sic_err err = {0};
    tables++;
    if (sic_delta_open(line, &s, &err)) {
      CHECK(0, "%s: %s", line, err.msg);
      continue;
    }
    CHECK(s->nfiles >= 0 && s->bytes >= 0 && s->ntombstones >= 0, "%s", line);
    if (s->version < 0 || s->ndiags > 0) {
      CHECK(s->ndiags > 0, "%s: no version and no diagnostic", line);
      for (int i = 0; i < s->ndiags; i++) CHECK(strlen(s->diags[i].message) > 10 && s->diags[i].code, "%s", line);
    } else loaded++;
    for (int64_t i = 0; i < s->nfiles; i++) CHECK(s->files[i].path && s->files[i].partition_values, "%s", line);
    sic_delta_free(s);
  }
  pclose(p);
  CHECK_EQ_INT(tables, 256);
  CHECK(loaded > 200, "loaded %d", loaded);
}

static sic_delta_snapshot *open_rel(const char *delta, const char *rel) {
  char path[2048];
  snprintf(path, sizeof path, "%s/%s", delta, rel);
  sic_delta_snapshot *s = NULL;
  sic_err err = {0};
  CHECK(sic_delta_open(path, &s, &err) == 0, "%s: %s", path, err.msg);
  return s;
}

static void test_facts(const char *delta) {
  sic_delta_snapshot *s = open_rel(delta, "delta-rs/delta-0.2.0");
  if (s) {
    CHECK_EQ_INT(s->version, 3);
    CHECK_EQ_INT(s->nfiles, 3);
    CHECK_EQ_INT(s->ntombstones, 4);
    sic_delta_free(s);
  }
  s = open_rel(delta, "delta-kernel-rs/table-with-dv-small");
  if (s) {
    CHECK_EQ_INT(s->rows, 8);
    CHECK_EQ_INT(s->dv_files, 1);
    sic_delta_free(s);
  }
  s = open_rel(delta, "delta-kernel-rs/v2-checkpoints-parquet-with-sidecars");
  if (s) {
    CHECK_EQ_INT(s->nfiles, 101);
    CHECK_EQ_INT(s->checkpoint_sidecars, 2);
    CHECK_EQ_STR(s->checkpoint_kind, "v2");
    sic_delta_free(s);
  }
  s = open_rel(delta, "delta-kernel-rs/v1-multi-part-struct-stats-only");
  if (s) {
    CHECK_EQ_INT(s->checkpoint_parts, 3);
    CHECK_EQ_STR(s->checkpoint_kind, "multi-part");
    CHECK_EQ_INT(s->rows, 5);
    sic_delta_free(s);
  }
  sic_delta_snapshot *none = NULL;
  sic_err err = {0};
  CHECK_EQ_INT(sic_delta_open(delta, &none, &err), SIC_ENOTFOUND);
  CHECK(strstr(err.msg, "not a Delta table") != NULL, "%s", err.msg);
}

int main(void) {
  const char *shared = check_shared_data_or_skip("test_delta");
  char delta[1024];
  snprintf(delta, sizeof delta, "%s/delta", shared);
  test_every_table(delta);
  test_facts(delta);
  return CHECK_RESULT();
}
