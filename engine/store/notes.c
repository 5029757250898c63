/* notification_attempts: attempts and dead letters of `sic worker` (see notes.h). */
#include "store/notes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json/write.h"
#include "store/internal.h"

static const char create_sql[] =
  "CREATE TABLE IF NOT EXISTS notification_attempts ("
  " topic TEXT NOT NULL, part INTEGER NOT NULL, msg_offset BIGINT NOT NULL, uri TEXT NOT NULL,"
  " attempts INTEGER NOT NULL, status TEXT NOT NULL, app_id TEXT, reason TEXT, dead_topic TEXT,"
  " updated_ms BIGINT NOT NULL, PRIMARY KEY (topic, part, msg_offset))";

static int64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int create_tx(sic_store *s, void *ctx, sic_err *err) {
  (void)ctx;
  /* concurrent CREATE TABLE IF NOT EXISTS can still collide on PostgreSQL's catalog */
  int rc = db_lock_xact(s->db, DB_LOCK_SCHEMA, 0, err);
  return rc ? rc : db_exec(s->db, create_sql, err);
}

/* The table exists once per process and store URL; creating it again is harmless. */
static int ensure_table(sic_store *s, sic_err *err) {
  static __thread sic_store *done_for;
  if (done_for == s) return 0;
  int rc = store_with_tx(s, 3, create_tx, NULL, NULL, err);
  if (rc) return sic_err_wrap(err, "creating notification_attempts: ");
  done_for = s;
  return 0;
}

typedef struct attempt_ctx {
  const sic_note_id *id;  /* the message */
  int attempts;           /* out: count after this attempt */
  int dead;               /* out: SIC_NOTE_* (nothing counted unless SIC_NOTE_TRYING) */
} attempt_ctx;

static int attempt_tx(sic_store *s, void *ctx, sic_err *err) {
  attempt_ctx *c = ctx;
  db_val p[5] = {db_text(c->id->topic), db_int(c->id->partition), db_int(c->id->offset), db_text(c->id->uri),
                 db_int(wall_ms())};
  db_rows *d = NULL;
  int rc = db_query(s->db, "SELECT attempts, status FROM notification_attempts WHERE topic = $1 AND part = $2 AND "
                    "msg_offset = $3 AND status IN ('dead', 'parking')", p, 3, &d, err);
  if (!rc && d->nrows) {
    /* parked already, its offset not committed (a rebalance, a crash): do not park it twice;
     * or its worker stopped while parking it: the caller finishes that */
    c->dead = !strcmp(db_cell(d, 0, 1), "dead") ? SIC_NOTE_DEAD : SIC_NOTE_PARKING;
    c->attempts = (int)db_cell_int(d, 0, 0, 0);
  }
  db_rows_free(d);
  if (rc || c->dead) return rc;
  rc = db_query(s->db,
                    "INSERT INTO notification_attempts(topic, part, msg_offset, uri, attempts, status, updated_ms) "
                    "VALUES ($1, $2, $3, $4, 1, 'trying', $5) ON CONFLICT(topic, part, msg_offset) DO UPDATE SET "
                    "attempts = notification_attempts.attempts + 1, updated_ms = excluded.updated_ms",
                    p, 5, NULL, err);
  db_rows *r = NULL;
  if (!rc) rc = db_query(s->db, "SELECT attempts FROM notification_attempts WHERE topic = $1 AND part = $2 AND "
                         "msg_offset = $3", p, 3, &r, err);
  if (!rc) c->attempts = r->nrows ? (int)db_cell_int(r, 0, 0, 1) : 1;
  db_rows_free(r);
  return rc;
}

int sic_store_note_attempt(sic_store *s, const sic_note_id *id, int *attempts, int *dead, sic_err *err) {
  attempt_ctx c = {id, 0, 0};
  int rc = ensure_table(s, err);
  if (!rc) rc = store_with_tx(s, 3, attempt_tx, &c, NULL, err);
  if (rc) return sic_err_wrap(err, "counting an attempt of %s partition %d offset %lld: ", id->topic,
                              (int)id->partition, (long long)id->offset);
  *attempts = c.attempts;
  *dead = c.dead;
  return 0;
}

static int done_tx(sic_store *s, void *ctx, sic_err *err) {
  const sic_note_id *id = ctx;
  db_val p[3] = {db_text(id->topic), db_int(id->partition), db_int(id->offset)};
  return db_query(s->db, "DELETE FROM notification_attempts WHERE topic = $1 AND part = $2 AND msg_offset = $3 "
                  "AND status = 'trying'", p, 3, NULL, err);
}

int sic_store_note_done(sic_store *s, const sic_note_id *id, sic_err *err) {
  int rc = ensure_table(s, err);
  if (!rc) rc = store_with_tx(s, 3, done_tx, (void *)id, NULL, err);
  return rc ? sic_err_wrap(err, "forgetting the attempts of offset %lld: ", (long long)id->offset) : 0;
}

typedef struct dead_ctx {
  const sic_note_id *id;  /* the message */
  const char *app_id;     /* may be NULL */
  const char *reason;     /* why it was given up */
  const char *dead_topic; /* where it was parked */
  const char *status;     /* "parking" or "dead" */
} dead_ctx;

static int dead_tx(sic_store *s, void *ctx, sic_err *err) {
  const dead_ctx *c = ctx;
  db_val p[9] = {db_text(c->id->topic), db_int(c->id->partition), db_int(c->id->offset), db_text(c->id->uri),
                 db_text(c->app_id), db_text(c->reason), db_text(c->dead_topic), db_int(wall_ms()),
                 db_text(c->status)};
  return db_query(s->db,
                  "INSERT INTO notification_attempts(topic, part, msg_offset, uri, attempts, status, app_id, reason, "
                  "dead_topic, updated_ms) VALUES ($1, $2, $3, $4, 1, $9, $5, $6, $7, $8) "
                  "ON CONFLICT(topic, part, msg_offset) DO UPDATE SET status = excluded.status, app_id = excluded.app_id, "
                  "reason = excluded.reason, dead_topic = excluded.dead_topic, updated_ms = excluded.updated_ms",
                  p, 9, NULL, err);
}

static int record_dead(sic_store *s, dead_ctx *c, sic_err *err) {
  int rc = ensure_table(s, err);
  if (!rc) rc = store_with_tx(s, 3, dead_tx, c, NULL, err);
  return rc ? sic_err_wrap(err, "recording the dead letter of offset %lld: ", (long long)c->id->offset) : 0;
}

int sic_store_note_parking(sic_store *s, const sic_note_id *id, const char *app_id, const char *reason,
                           const char *dead_topic, sic_err *err) {
  dead_ctx c = {id, app_id, reason, dead_topic, "parking"};
  return record_dead(s, &c, err);
}

int sic_store_note_dead(sic_store *s, const sic_note_id *id, const char *app_id, const char *reason,
                        const char *dead_topic, sic_err *err) {
  dead_ctx c = {id, app_id, reason, dead_topic, "dead"};
  return record_dead(s, &c, err);
}

int sic_store_note_parked(sic_store *s, const sic_note_id *id, char *reason, size_t nreason, char *app_id,
                          size_t napp_id, sic_err *err) {
  db_val p[3] = {db_text(id->topic), db_int(id->partition), db_int(id->offset)};
  db_rows *r = NULL;
  int rc = ensure_table(s, err);
  if (!rc) rc = db_query(s->db, "SELECT reason, app_id FROM notification_attempts WHERE topic = $1 AND part = $2 "
                         "AND msg_offset = $3", p, 3, &r, err);
  if (rc) return sic_err_wrap(err, "reading the dead letter of offset %lld: ", (long long)id->offset);
  int found = r->nrows > 0;
  snprintf(reason, nreason, "%s", found && db_cell(r, 0, 0) ? db_cell(r, 0, 0) : "");
  snprintf(app_id, napp_id, "%s", found && db_cell(r, 0, 1) ? db_cell(r, 0, 1) : "");
  db_rows_free(r);
  return found;
}

static int query_failed(sic_store *s, int limit, db_rows **r, sic_err *err) {
  int rc = ensure_table(s, err);
  db_val p[1] = {db_int(limit > 0 ? limit : 1000000)};
  if (!rc) rc = db_query(s->db, "SELECT topic, part, msg_offset, uri, attempts, app_id, reason, dead_topic, updated_ms "
                         "FROM notification_attempts WHERE status = 'dead' ORDER BY updated_ms DESC LIMIT $1",
                         p, 1, r, err);
  return rc ? sic_err_wrap(err, "listing failed notifications: ") : 0;
}

int sic_store_failed_print(sic_store *s, int limit, FILE *out, sic_err *err) {
  db_rows *r = NULL;
  int rc = query_failed(s, limit, &r, err);
  if (rc) return rc;
  if (!r->nrows) fprintf(out, "no failed notifications\n");
  for (int i = 0; i < r->nrows; i++) {
    time_t t = (time_t)(db_cell_int(r, i, 8, 0) / 1000);
    struct tm tm;
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", gmtime_r(&t, &tm));
    fprintf(out, "%s  FAILED  %s  app %s  %lld attempts  %s/%s@%s -> %s\n    %s\n", when, db_cell(r, i, 3),
            db_cell(r, i, 5) ? db_cell(r, i, 5) : "-", (long long)db_cell_int(r, i, 4, 0), db_cell(r, i, 0),
            db_cell(r, i, 1), db_cell(r, i, 2), db_cell(r, i, 7) ? db_cell(r, i, 7) : "-",
            db_cell(r, i, 6) ? db_cell(r, i, 6) : "");
  }
  db_rows_free(r);
  return 0;
}

int sic_store_failed_json(sic_store *s, int limit, char **json, sic_err *err) {
  *json = NULL;
  db_rows *r = NULL;
  int rc = query_failed(s, limit, &r, err);
  if (rc) return rc;
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  sic_jw_obj(&w);
  sic_jw_kstr(&w, "schema", "sic.failed/1");
  sic_jw_karr(&w, "failed");
  for (int i = 0; i < r->nrows; i++) {
    sic_jw_obj(&w);
    sic_jw_kstr(&w, "status", "failed");
    sic_jw_kstr(&w, "uri", db_cell(r, i, 3));
    sic_jw_kstr(&w, "appId", db_cell(r, i, 5));
    sic_jw_kstr(&w, "reason", db_cell(r, i, 6));
    sic_jw_kint(&w, "attempts", db_cell_int(r, i, 4, 0));
    sic_jw_kstr(&w, "topic", db_cell(r, i, 0));
    sic_jw_kint(&w, "partition", db_cell_int(r, i, 1, 0));
    sic_jw_kint(&w, "offset", db_cell_int(r, i, 2, 0));
    sic_jw_kstr(&w, "deadLetterTopic", db_cell(r, i, 7));
    sic_jw_kint(&w, "recordedMs", db_cell_int(r, i, 8, 0));
    sic_jw_end(&w);
  }
  sic_jw_end(&w);
  sic_jw_end(&w);
  db_rows_free(r);
  if (sic_jw_status(&w)) {
    sic_jw_free(&w);
    return sic_err_set(err, SIC_ENOMEM, "out of memory");
  }
  *json = sic_jw_take(&w, NULL);
  return 0;
}
