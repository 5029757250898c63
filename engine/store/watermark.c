/* Watermarks of followed sources (store.h): one row per source URI in source_watermarks. */
#include <string.h>
#include <time.h>

#include "store/internal.h"

int sic_store_watermark_get(sic_store *s, const char *source, int64_t *ms, sic_err *err) {
  db_val p[1] = {db_text(source)};
  db_rows *r = NULL;
  int rc = db_query(s->db, "SELECT watermark FROM source_watermarks WHERE source = $1", p, 1, &r, err);
  if (rc) return sic_err_wrap(err, "reading the watermark of %s: ", source);
  int found = r->nrows > 0;
  if (found) *ms = db_cell_int(r, 0, 0, 0);
  db_rows_free(r);
  return found;
}

typedef struct watermark_ctx {
  const char *source;   /* borrowed */
  int64_t ms;           /* new watermark */
} watermark_ctx;

static int watermark_tx(sic_store *s, void *ctx, sic_err *err) {
  const watermark_ctx *c = ctx;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  db_val p[3] = {db_text(c->source), db_int(c->ms), db_int((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000)};
  /* ON CONFLICT ... DO UPDATE: SQLite 3.24+ and PostgreSQL 9.5+ alike */
  return db_query(s->db,
                  "INSERT INTO source_watermarks(source, watermark, updated_ms) VALUES ($1, $2, $3) "
                  "ON CONFLICT(source) DO UPDATE SET watermark = excluded.watermark, updated_ms = excluded.updated_ms",
                  p, 3, NULL, err);
}

int sic_store_watermark_set(sic_store *s, const char *source, int64_t ms, sic_err *err) {
  watermark_ctx c = {source, ms};
  int rc = store_with_tx(s, 3, watermark_tx, &c, NULL, err);
  return rc ? sic_err_wrap(err, "writing the watermark of %s: ", source) : 0;
}
