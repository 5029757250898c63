/* sic_app_load: one logical event log (all its parts) -> one application model.
 *
 * Reads lines with sic_lines_* and hands each to the builder. Bad lines become diagnostics;
 * a read/decode error keeps what was parsed before it and marks the model truncated. Only a
 * failure to open the log, or a log that yields no event at all, fails the load. */
#include <stdio.h>
#include <string.h>

#include "eventlog/eventlog.h"
#include "model/builder.h"

static void register_parts(sic_builder *b, const sic_logset *set) {
  for (size_t i = 0; i < set->nparts; i++) {
    const sic_logpart *p = &set->parts[i];
    sic_builder_add_part(b, p->path ? p->path : "", sic_codec_name(p->codec), p->size);
  }
  sic_app *a = b->app;
  a->source_path = sic_intern(b, set->path ? set->path : "", set->path ? strlen(set->path) : 0);
  a->last_updated = set->mtime_ms > 0 ? set->mtime_ms : -1;
}

/* Feed every line; returns 0, or the read error code (already recorded as a diagnostic). */
static int feed_all(sic_builder *b, sic_lines *l, sic_err *err) {
  sic_app *a = b->app;
  sic_line line;
  int r;
  while ((r = sic_lines_next(l, &line, err)) == 1) {
    if ((int64_t)line.part < a->nparts) {
      a->parts[line.part].lines++;
      a->parts[line.part].bytes += (int64_t)line.len + (line.unterminated ? 0 : 1);
    }
    sic_builder_feed_line(b, line.p, line.len, (int32_t)line.part, line.lineno, line.unterminated);
    if (b->too_many_tasks) return 0; /* sic_app_load fails the load */
  }
  if (r == 0) return 0;
  a->truncated = 1;
  sic_builder_diag(b, SIC_DIAG_READ_ERROR, 0, "%s (events after this point are missing)",
                   err && err->msg[0] ? err->msg : sic_strerror(r));
  return r;
}

/* Parts read from a remote source (sources/): their read errors are transport failures, not
 * a log that really ends early. */
static int has_remote_part(const sic_logset *set) {
  for (size_t i = 0; i < set->nparts; i++)
    if (set->parts[i].source) return 1;
  return 0;
}

/* complete / in_progress from ApplicationEnd and the log's own markers. */
static void completion(sic_app *a, const sic_logset *set) {
  int marker_complete = !set->in_progress && (set->layout == SIC_LAYOUT_ROLLING || set->layout == SIC_LAYOUT_LEGACY);
  if (marker_complete) a->complete = 1;
  a->in_progress = set->in_progress && !a->complete;
}

/* opts->threads, or by default a decode-ahead thread when any part is compressed (parsing
 * and decompression then overlap; plain files are parsed straight from the mapping). */
static int decode_threads(const sic_logset *set, const sic_load_opts *opts) {
  if (opts && opts->threads > 0) return opts->threads;
  for (size_t i = 0; i < set->nparts; i++)
    if (set->parts[i].codec != SIC_CODEC_NONE) return 2;
  return 1;
}

int sic_app_load(const sic_logset *set, const sic_load_opts *opts, sic_app **out, sic_err *err) {
  *out = NULL;
  if (!set) return sic_err_set(err, SIC_EINVAL, "no event log given");
  sic_builder *b = sic_builder_new(opts);
  sic_lines *l = NULL;
  int rc;
  if (!b) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  register_parts(b, set);
  rc = sic_lines_open(set, decode_threads(set, opts), &l, err);
  if (rc) goto error;
  rc = feed_all(b, l, err);
  sic_app *a = b->app;
  a->bytes = sic_stream_bytes_out(sic_lines_stream(l));
  sic_lines_free(l);
  l = NULL;
  if (rc < 0 && has_remote_part(set)) goto error; /* a download cut short fails: never a partial analysis */
  if (b->too_many_tasks) {
    rc = sic_err_set(err, SIC_EUNSUPPORTED, "%s: line %lld: more than %d task attempts, more than one model "
                     "holds (task rows are int32)", set->path, (long long)b->too_many_tasks, INT32_MAX);
    goto error;
  }
  if (a->events == 0) {
    if (rc == 0) {
      rc = SIC_EFORMAT;
      if (a->malformed_lines && a->ndiags)
        sic_err_set(err, rc, "%s: not a Spark event log: no event in %lld lines (line %lld: %s)", set->path,
                    (long long)a->malformed_lines, (long long)a->diags[0].line, sic_str(a, a->diags[0].message));
      else
        sic_err_set(err, rc, "%s: no Spark events in this log", set->path);
    }
    goto error;
  }
  completion(a, set);
  sic_app *done = sic_builder_finish(b);
  if (!done) return sic_err_set(err, SIC_ENOMEM, "out of memory");
  *out = done;
  if (err) { err->code = SIC_OK; err->msg[0] = 0; }
  return 0;
error:
  sic_lines_free(l);
  sic_builder_free(b);
  return rc;
}

int sic_app_load_path(const char *path, const sic_load_opts *opts, sic_app **out, sic_err *err) {
  sic_logsets sets;
  *out = NULL;
  memset(&sets, 0, sizeof sets);
  int rc = sic_logset_scan(path, &sets, err);
  if (rc) return rc;
  if (sets.n != 1) {
    rc = sic_err_set(err, sets.n ? SIC_EINVAL : SIC_ENOTFOUND, "%s: %s (%zu event logs found)", path,
                     sets.n ? "holds several event logs, name one" : "no event log found", sets.n);
    sic_logsets_free(&sets);
    return rc;
  }
  rc = sic_app_load(&sets.items[0], opts, out, err);
  sic_logsets_free(&sets);
  return rc;
}
