/* engine/delta in C (so `make asan` replays every shared Delta table instrumented): each of the
 * 256 tables loads or carries a diagnostic with a message; a few snapshot facts the upstream
 * projects' tests assert (names in spec/lua/delta_snapshot_spec.lua); a missing _delta_log is
 * an error naming the path. Every log shape the project generates (spec/support/gen_delta.py)
 * replays to the snapshot the generator kept: those parts need no shared data. */
#include "check.h"
#include "delta_fixture.h"

#include "delta/delta.h"

/* The snapshot of each generated table against the generator's bookkeeping. */
static void test_generated(const gen_delta *g) {
  static const char *const ints[] = {"version", "files", "bytes", "rows", "tombstones", "tombstone_bytes", "dv_files",
                                     "dv_rows", "min_reader_version", "min_writer_version", "txns", "log_tail",
                                     "compacted_used", "last_commit_ms"};
  char kind[256], want[1024], path[2048];
  int tables = 0;
  for (int k = 0; gen_delta_kind(g, k, kind, sizeof kind); k++) {
    snprintf(path, sizeof path, "%s/%s", g->dir, kind);
    sic_delta_snapshot *s = NULL;
    sic_err err = {0};
    tables++;
    if (sic_delta_open(path, &s, &err)) {
      CHECK(0, "%s: %s", kind, err.msg);
      continue;
    }
    long long got[] = {s->version, s->nfiles, s->bytes, s->rows, s->ntombstones, s->tombstone_bytes, s->dv_files,
                       s->dv_rows, s->min_reader_version, s->min_writer_version, s->ntxns, s->log_tail, s->compacted_used,
                       s->last_commit_timestamp};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
      long long w = gen_delta_int(g, kind, ints[i], -99);
      CHECK(w == got[i], "%s: %s is %lld, the generator says %lld", kind, ints[i], got[i], w);
    }
    CHECK(gen_delta_fact(g, kind, "checkpoint_kind", want, sizeof want) && !strcmp(want, s->checkpoint_kind),
          "%s: checkpoint kind %s, expected %s", kind, s->checkpoint_kind, want);
    CHECK_EQ_INT(s->checkpoint_version, gen_delta_int(g, kind, "checkpoint_version", -1));
    CHECK_EQ_INT(s->checkpoint_parts, gen_delta_int(g, kind, "checkpoint_parts", s->checkpoint_parts));
    CHECK_EQ_INT(s->checkpoint_sidecars, gen_delta_int(g, kind, "checkpoint_sidecars", 0));
    char codes[1024] = "";
    for (int i = 0; i < s->ndiags; i++) {
      size_t n = strlen(codes);
      snprintf(codes + n, sizeof codes - n, "%s%s", i ? "," : "", s->diags[i].code);
      CHECK(strlen(s->diags[i].message) > 10, "%s: %s", kind, s->diags[i].code);
    }
    CHECK(gen_delta_fact(g, kind, "diagnostics", want, sizeof want) && !strcmp(want, codes), "%s: diagnostics '%s', expected '%s'",
          kind, codes, want);
    for (int64_t i = 0; i < s->nfiles; i++) CHECK(s->files[i].path && s->files[i].partition_values, "%s", kind);
    sic_delta_free(s);
  }
  CHECK(tables >= 16, "%d generated tables", tables);
  /* the generator's folder holds tables but is none */
  sic_delta_snapshot *none = NULL;
  sic_err err = {0};
  CHECK_EQ_INT(sic_delta_open(g->dir, &none, &err), SIC_ENOTFOUND);
  CHECK(strstr(err.msg, "not a Delta table") != NULL && strstr(err.msg, g->dir) != NULL, "%s", err.msg);
}

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
  gen_delta g;
  if (gen_delta_make(&g) == 0) test_generated(&g);
  else CHECK(0, "spec/support/gen_delta.py wrote no tables");
  gen_delta_free(&g);
  const char *shared = check_shared_part("test_delta", "the 256 shared tables and the upstream projects' facts");
  if (shared) {
    char delta[1024];
    snprintf(delta, sizeof delta, "%s/delta", shared);
    test_every_table(delta);
    test_facts(delta);
  }
  return CHECK_RESULT();
}
