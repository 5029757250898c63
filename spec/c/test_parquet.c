/* engine/parquet: the reader on real Delta checkpoints from the shared data (flat, map,
 * struct-only statistics with dates, timestamps and decimals, multi-part) and on broken
 * bytes (truncation, a footer length past the file, every single-byte corruption of a small
 * checkpoint): never a crash, errors name the file (and the column past the footer), and
 * every row handed out is one well-formed JSON object. The same on the checkpoints the
 * project generates (spec/support/gen_delta.py: map, list, struct, stats_parsed, multi-part,
 * V2 sidecars), against the generator's count of rows and actions; those parts need no
 * shared data. */
#include "check.h"
#include "delta_fixture.h"

#include <fcntl.h>
#include <unistd.h>

#include "json/scan.h"
#include "parquet/parquet.h"

typedef struct rows {
  int n;                 /* rows seen */
  int adds;              /* rows whose add is not null */
  int bad_json;          /* rows that are not one JSON object */
  char first_add[4096];  /* text of the first row with an add (truncated) */
  char first[1024];      /* text of row 0 (truncated) */
} rows;

static int on_row(void *user, int64_t row, const char *json, size_t len) {
  rows *r = user;
  sic_jscan s;
  sic_json_init(&s, json, len);
  if (sic_json_peek(&s) != SIC_JT_OBJECT || sic_json_skip(&s) || sic_json_end(&s)) r->bad_json++;
  if (row == 0) snprintf(r->first, sizeof r->first, "%.*s", (int)len, json);
  const char *a = memmem(json, len, "\"add\":{", 7);
  if (a) {
    if (!r->adds) snprintf(r->first_add, sizeof r->first_add, "%.*s", (int)len, json);
    r->adds++;
  }
  r->n++;
  return 0;
}

static int read_all(sic_pq_file *f, rows *r, sic_err *err) {
  const char *fields[64];
  int n = 0;
  for (int i = 0; i < sic_pq_field_count(f) && n < 64; i++) fields[n++] = sic_pq_field_name(f, i);
  memset(r, 0, sizeof *r);
  return sic_pq_read_rows(f, fields, n, on_row, r, err);
}

static void test_map_partition_values(const char *delta) {
  char path[2048];
  snprintf(path, sizeof path, "%s/delta-rs/checkpoint_with_partitions/_delta_log/00000000000000000002.checkpoint.parquet", delta);
  sic_pq_file *f = NULL;
  sic_err err = {0};
  rows r;
  CHECK_EQ_INT(sic_pq_open(path, &f, &err), 0);
  if (!f) { fprintf(stderr, "%s\n", err.msg); return; }
  CHECK_EQ_INT(sic_pq_num_rows(f), 4);
  CHECK(sic_pq_has_path(f, "add.partitionValues"));
  CHECK(!sic_pq_has_path(f, "add.nope"));
  CHECK_EQ_INT(read_all(f, &r, &err), 0);
  CHECK_EQ_INT(r.n, 4);
  CHECK_EQ_INT(r.adds, 2);
  CHECK_EQ_INT(r.bad_json, 0);
  CHECK(strstr(r.first_add, "\"partitionValues\":{\"color\":\"red\"}") != NULL, "%s", r.first_add);
  CHECK(strstr(r.first_add, "\"size\":100,") != NULL, "%s", r.first_add);
  /* projection: only the protocol column is decoded and shown */
  const char *only[] = {"protocol", "absent_column"};
  memset(&r, 0, sizeof r);
  CHECK_EQ_INT(sic_pq_read_rows(f, only, 2, on_row, &r, &err), 0);
  CHECK_EQ_STR(r.first, "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}");
  CHECK_EQ_INT(r.adds, 0);
  sic_pq_close(f);
}

static void test_struct_stats(const char *delta) {
  char path[2048];
  snprintf(path, sizeof path, "%s/delta-rs/delta-1.2.1-only-struct-stats/_delta_log/00000000000000000010.checkpoint.parquet", delta);
  sic_pq_file *f = NULL;
  sic_err err = {0};
  rows r;
  CHECK_EQ_INT(sic_pq_open(path, &f, &err), 0);
  if (!f) return;
  CHECK_EQ_INT(read_all(f, &r, &err), 0);
  CHECK_EQ_INT(r.bad_json, 0);
  CHECK(r.adds > 0);
  const char *want[] = {"\"stats_parsed\":{\"numRecords\":1,", "\"date\":\"2022-10-24\"", "\"decimal\":-5.67800,",
                        "\"nested_struct\":{\"struct_element\":{\"nested_struct_element\":\"nested_struct_value\"}}",
                        "\"tags\":{\"INSERTION_TIME\":"};
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) CHECK(strstr(r.first_add, want[i]) != NULL, "%s in %s", want[i], r.first_add);
  CHECK(strstr(r.first_add, "\"timestamp\":\"2022-10-24T22:59:") != NULL, "%s", r.first_add);
  sic_pq_close(f);
}

static void test_multi_part(const char *delta) {
  int adds = 0, total = 0;
  for (int p = 1; p <= 3; p++) {
    char path[2048];
    snprintf(path, sizeof path,
             "%s/delta-kernel-rs/v1-multi-part-struct-stats-only/_delta_log/00000000000000000005.checkpoint.%010d.0000000003.parquet",
             delta, p);
    sic_pq_file *f = NULL;
    sic_err err = {0};
    rows r;
    CHECK(sic_pq_open(path, &f, &err) == 0, "%s", err.msg);
    if (!f) continue;
    CHECK_EQ_INT(read_all(f, &r, &err), 0);
    CHECK_EQ_INT(r.bad_json, 0);
    adds += r.adds;
    total += r.n;
    sic_pq_close(f);
  }
  CHECK_EQ_INT(total, 7); /* the third part holds no rows */
  CHECK_EQ_INT(adds, 5);
}

static void test_broken(const char *path) {
  size_t len = 0;
  uint8_t *orig = (uint8_t *)check_read_file(path, &len);
  CHECK(orig != NULL && len > 100);
  if (!orig) return;
  sic_pq_file *f = NULL;
  sic_err err = {0};
  /* not Parquet at all, and a truncated file */
  CHECK_EQ_INT(sic_pq_open_mem("hello", 5, "x.parquet", &f, &err), SIC_EFORMAT);
  CHECK(strstr(err.msg, "x.parquet") != NULL, "%s", err.msg);
  uint8_t *cut = malloc(len - 10);
  memcpy(cut, orig, len - 10);
  CHECK(sic_pq_open_mem(cut, len - 10, "cut.parquet", &f, &err) < 0);
  CHECK(strstr(err.msg, "cut.parquet") != NULL, "%s", err.msg);
  free(cut);
  /* a footer length past the file */
  uint8_t *b = malloc(len);
  memcpy(b, orig, len);
  b[len - 8] = 0xff;
  b[len - 7] = 0xff;
  CHECK_EQ_INT(sic_pq_open_mem(b, len, "long.parquet", &f, &err), SIC_EFORMAT);
  CHECK(strstr(err.msg, "footer length") != NULL, "%s", err.msg);
  /* a damaged page: the error names the column */
  memcpy(b, orig, len);
  memset(b + 4, 0xff, 40);
  CHECK_EQ_INT(sic_pq_open_mem(b, len, "page.parquet", &f, &err), 0);
  if (f) {
    rows r;
    int rc = read_all(f, &r, &err);
    CHECK(rc < 0);
    CHECK(strstr(err.msg, "page.parquet: column ") != NULL, "%s", err.msg);
    sic_pq_close(f);
  }
  /* every single-byte corruption: no crash, valid JSON rows or an error naming the file */
  int opened = 0, failed = 0, bad_json = 0;
  for (size_t i = 0; i < len; i++) {
    memcpy(b, orig, len);
    b[i] ^= (uint8_t)(0x5a + i);
    f = NULL;
    if (sic_pq_open_mem(b, len, "flip.parquet", &f, &err) == 0) {
      rows r;
      opened++;
      if (read_all(f, &r, &err) < 0) {
        failed++;
        if (!strstr(err.msg, "flip.parquet")) CHECK(0, "error without the file name: %s", err.msg);
      }
      bad_json += r.bad_json;
      sic_pq_close(f);
    } else if (!strstr(err.msg, "flip.parquet")) CHECK(0, "error without the file name: %s", err.msg);
  }
  CHECK_EQ_INT(bad_json, 0);
  CHECK(opened > 0 && failed > 0, "opened %d failed %d", opened, failed);
  free(b);
  free(orig);
}

static void test_every_checkpoint(const char *delta) {
  /* every checkpoint Parquet of the shared tables reads to valid rows */
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "find '%s' -path '*_delta_log*' -name '*.parquet' | sort", delta);
  FILE *p = popen(cmd, "r");
  if (!p) return;
  char line[2048];
  int files = 0, ok = 0;
  while (fgets(line, sizeof line, p)) {
    line[strcspn(line, "\n")] = 0;
    sic_pq_file *f = NULL;
    sic_err err = {0};
    rows r;
    files++;
    if (sic_pq_open(line, &f, &err) == 0 && read_all(f, &r, &err) == 0 && r.bad_json == 0 && r.n == sic_pq_num_rows(f)) ok++;
    else CHECK(0, "%s: %s", line, err.msg);
    sic_pq_close(f);
  }
  pclose(p);
  CHECK(files >= 137, "%d checkpoint files", files);
  CHECK_EQ_INT(ok, files);
}

/* ---- generated checkpoints ---- */

/* The i-th checkpoint file of kind: its path, and the rows / adds / removes written to it. */
static int gen_cp_file(const gen_delta *g, const char *kind, int i, char *path, size_t cap, int *nrows, int *adds, int *removes) {
  char line[1024], name[512];
  if (!gen_delta_fact_n(g, kind, "checkpoint_file", i, line, sizeof line)) return 0;
  if (sscanf(line, "%511s %d %d %d", name, nrows, adds, removes) != 4) return 0;
  snprintf(path, cap, "%s/%s/_delta_log/%s", g->dir, kind, name);
  return 1;
}

static void test_gen_map_partition_values(const gen_delta *g) {
  char path[2048], want[512], text[600];
  int nrows, adds, removes;
  if (!gen_cp_file(g, "partitioned", 0, path, sizeof path, &nrows, &adds, &removes)) { CHECK(0, "no partitioned checkpoint"); return; }
  sic_pq_file *f = NULL;
  sic_err err = {0};
  rows r;
  CHECK_EQ_INT(sic_pq_open(path, &f, &err), 0);
  if (!f) { fprintf(stderr, "%s\n", err.msg); return; }
  CHECK_EQ_INT(sic_pq_num_rows(f), nrows);
  CHECK(sic_pq_has_path(f, "add.partitionValues"));
  CHECK(sic_pq_has_path(f, "metaData.partitionColumns"));
  CHECK(!sic_pq_has_path(f, "add.nope"));
  CHECK_EQ_INT(read_all(f, &r, &err), 0);
  CHECK_EQ_INT(r.n, nrows);
  CHECK_EQ_INT(r.adds, adds);
  CHECK_EQ_INT(r.bad_json, 0);
  gen_delta_fact(g, "partitioned", "first_checkpoint_add_partition_values", want, sizeof want);
  snprintf(text, sizeof text, "\"partitionValues\":%s", want);
  CHECK(strstr(r.first_add, text) != NULL, "%s in %s", text, r.first_add);
  snprintf(text, sizeof text, "\"size\":%lld,", gen_delta_int(g, "partitioned", "first_checkpoint_add_size", -1));
  CHECK(strstr(r.first_add, text) != NULL, "%s in %s", text, r.first_add);
  /* projection: only the protocol column is decoded and shown */
  const char *only[] = {"protocol", "absent_column"};
  memset(&r, 0, sizeof r);
  CHECK_EQ_INT(sic_pq_read_rows(f, only, 2, on_row, &r, &err), 0);
  const char *protocol = "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2";
  CHECK(!strncmp(r.first, protocol, strlen(protocol)), "%s", r.first);
  CHECK_EQ_INT(r.adds, 0);
  sic_pq_close(f);
}

static void test_gen_stats_parsed(const gen_delta *g) {
  char path[2048], text[128];
  int nrows, adds, removes, total = 0, total_adds = 0, parts = 0, seen_first = 0;
  for (int i = 0; gen_cp_file(g, "multi-part-stats-parsed", i, path, sizeof path, &nrows, &adds, &removes); i++) {
    sic_pq_file *f = NULL;
    sic_err err = {0};
    rows r;
    parts++;
    CHECK(sic_pq_open(path, &f, &err) == 0, "%s", err.msg);
    if (!f) continue;
    CHECK(sic_pq_has_path(f, "add.stats_parsed.minValues"));
    CHECK_EQ_INT(read_all(f, &r, &err), 0);
    CHECK_EQ_INT(r.bad_json, 0);
    CHECK_EQ_INT(r.n, nrows);
    CHECK_EQ_INT(r.adds, adds);
    if (r.adds && !seen_first++) {
      snprintf(text, sizeof text, "\"stats_parsed\":{\"numRecords\":%lld,",
               gen_delta_int(g, "multi-part-stats-parsed", "first_checkpoint_add_num_records", -1));
      CHECK(strstr(r.first_add, text) != NULL, "%s in %s", text, r.first_add);
    }
    total += r.n;
    total_adds += r.adds;
    sic_pq_close(f);
  }
  CHECK_EQ_INT(parts, gen_delta_int(g, "multi-part-stats-parsed", "checkpoint_parts", -1));
  CHECK_EQ_INT(total_adds, gen_delta_int(g, "multi-part-stats-parsed", "files", -1));
  CHECK(total > total_adds, "%d rows", total);
}

static void test_gen_every_checkpoint(const gen_delta *g) {
  char kind[256], path[2048];
  int files = 0;
  for (int k = 0; gen_delta_kind(g, k, kind, sizeof kind); k++) {
    int nrows, adds, removes;
    for (int i = 0; gen_cp_file(g, kind, i, path, sizeof path, &nrows, &adds, &removes); i++) {
      sic_pq_file *f = NULL;
      sic_err err = {0};
      rows r;
      files++;
      if (sic_pq_open(path, &f, &err) == 0 && read_all(f, &r, &err) == 0) {
        CHECK(r.bad_json == 0 && r.n == nrows && r.n == sic_pq_num_rows(f) && r.adds == adds, "%s: %d rows (%d adds), expected %d (%d)",
              path, r.n, r.adds, nrows, adds);
      } else CHECK(0, "%s: %s", path, err.msg);
      sic_pq_close(f);
    }
  }
  CHECK(files >= 12, "%d generated checkpoint files", files);
}

int main(void) {
  gen_delta g;
  char path[2048];
  int nrows, adds, removes;
  if (gen_delta_make(&g) == 0) {
    test_gen_map_partition_values(&g);
    test_gen_stats_parsed(&g);
    test_gen_every_checkpoint(&g);
    if (gen_cp_file(&g, "partitioned", 0, path, sizeof path, &nrows, &adds, &removes)) test_broken(path);
  } else CHECK(0, "spec/support/gen_delta.py wrote no tables");
  gen_delta_free(&g);
  const char *shared = check_shared_part("test_parquet", "the shared tables' checkpoints");
  if (shared) {
    char delta[1024];
    snprintf(delta, sizeof delta, "%s/delta", shared);
    test_map_partition_values(delta);
    test_struct_stats(delta);
    test_multi_part(delta);
    snprintf(path, sizeof path, "%s/delta-rs/checkpoint_with_partitions/_delta_log/00000000000000000002.checkpoint.parquet", delta);
    test_broken(path);
    test_every_checkpoint(delta);
  }
  return CHECK_RESULT();
}
