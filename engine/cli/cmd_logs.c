/* `sic logs PATH...`: what the readers find under a path, and whether it reads cleanly.
 * Owner: readers engineer.
 *
 * Lists every logical event log (layout, completeness, parts in reading order with their
 * codecs and sizes) in text or JSON. --check decodes every log to the end and reports
 * lines, bytes and the first error; --cat writes the decompressed bytes to stdout (zcat for
 * Spark's lz4/snappy/lzf framings, rolling dirs, Databricks dirs and zips alike).
 * Exit: 0 fine, 1 a path or log could not be read, 2 usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/source_opts.h"
#include "cli/cli.h"
#include "eventlog/eventlog.h"
#include "json/write.h"

static const char *const layout_names[] = {"file", "rolling", "databricks", "legacy", "zip"};

/* Result of reading one log to the end (--check). */
typedef struct log_check {
  int64_t lines;        /* non-empty lines */
  int64_t bytes_out;    /* decompressed bytes */
  int64_t bytes_in;     /* stored bytes consumed */
  int rc;               /* 0 or the SIC_E* that stopped the read */
  sic_err err;          /* its message */
} log_check;

/* Options of one invocation. */
typedef struct logs_opts {
  sic_format format;    /* text or json */
  int check;            /* --check */
  int cat;              /* --cat */
  int64_t threads;      /* decode threads */
} logs_opts;

static void check_log(const sic_logset *set, int threads, log_check *out) {
  memset(out, 0, sizeof *out);
  sic_lines *l = NULL;
  out->rc = sic_lines_open(set, threads, &l, &out->err);
  sic_line line;
  if (!out->rc) {
    int r;
    while ((r = sic_lines_next(l, &line, &out->err)) == 1) out->lines++;
    out->rc = r < 0 ? r : 0;
    out->bytes_out = sic_stream_bytes_out(sic_lines_stream(l));
    out->bytes_in = sic_stream_bytes_in(sic_lines_stream(l));
  }
  sic_lines_free(l);
}

static int cat_log(const sic_logset *set, int threads, sic_err *err) {
  sic_stream *s = NULL;
  int rc = sic_stream_open(set, threads, &s, err);
  const char *data;
  size_t len, part;
  if (!rc)
    while ((rc = sic_stream_next(s, &data, &len, &part, err)) == 1)
      if (fwrite(data, 1, len, stdout) != len) {
        rc = sic_err_set(err, SIC_EIO, "writing to stdout failed");
        break;
      }
  sic_stream_free(s);
  return rc;
}

static void print_text(const sic_logset *set, const log_check *chk) {
  printf("%s  %s  %s  %zu part%s  %lld bytes\n", set->path, layout_names[set->layout],
         set->in_progress ? "in-progress" : "complete", set->nparts, set->nparts == 1 ? "" : "s",
         (long long)set->total_size);
  for (size_t i = 0; i < set->nparts; i++) {
    const sic_logpart *p = &set->parts[i];
    printf("  %zu  %-6s %12lld  %s%s%s\n", i + 1, sic_codec_name(p->codec), (long long)p->size,
           p->path, p->zip_member ? "!/" : "", p->zip_member ? p->zip_member : "");
  }
  if (!chk) return;
  if (chk->rc) printf("  ERROR after %lld lines: %s\n", (long long)chk->lines, chk->err.msg);
  else printf("  ok: %lld lines, %lld bytes decompressed from %lld\n", (long long)chk->lines,
              (long long)chk->bytes_out, (long long)chk->bytes_in);
}

static void print_json(sic_jw *w, const sic_logset *set, const log_check *chk) {
  sic_jw_obj(w);
  sic_jw_kstr(w, "path", set->path);
  sic_jw_kstr(w, "name", set->name);
  sic_jw_kstr(w, "layout", layout_names[set->layout]);
  sic_jw_kbool(w, "in_progress", set->in_progress);
  sic_jw_kint(w, "size", set->total_size);
  sic_jw_kint(w, "mtime_ms", set->mtime_ms);
  sic_jw_karr(w, "parts");
  for (size_t i = 0; i < set->nparts; i++) {
    const sic_logpart *p = &set->parts[i];
    sic_jw_obj(w);
    sic_jw_kstr(w, "path", p->path);
    if (p->zip_member) sic_jw_kstr(w, "zip_member", p->zip_member);
    sic_jw_kstr(w, "codec", sic_codec_name(p->codec));
    sic_jw_kint(w, "size", p->size);
    sic_jw_end(w);
  }
  sic_jw_end(w);
  if (chk) {
    sic_jw_kint(w, "lines", chk->lines);
    sic_jw_kint(w, "bytes", chk->bytes_out);
    if (chk->rc) sic_jw_kstr(w, "error", chk->err.msg);
    else sic_jw_knull(w, "error");
  }
  sic_jw_end(w);
}

/* One PATH: scan, then list / check / cat each log. Returns 1 when something failed. */
static int run_path(const char *path, const logs_opts *o, sic_jw *w, size_t *nlogs, size_t *nskipped) {
  sic_logsets sets;
  sic_err err = {0};
  int failed = 0;
  char spooled[256] = "";
  if (!strcmp(path, "-")) { /* stdin: the readers need a file to sniff and mmap */
    if (sic_args_spool_stdin(spooled, sizeof spooled, &err)) {
      fprintf(stderr, "sic logs: stdin: %s\n", err.msg);
      return 1;
    }
    path = spooled;
  }
  if (sic_logset_scan(path, &sets, &err)) {
    fprintf(stderr, "sic logs: %s\n", err.msg);
    if (spooled[0]) unlink(spooled);
    return 1;
  }
  for (size_t i = 0; i < sets.n; i++) {
    const sic_logset *set = &sets.items[i];
    if (o->cat) {
      if (cat_log(set, (int)o->threads, &err) < 0) {
        fprintf(stderr, "sic logs: %s\n", err.msg);
        failed = 1;
      }
      continue;
    }
    log_check chk;
    if (o->check) {
      check_log(set, (int)o->threads, &chk);
      failed |= chk.rc != 0;
    }
    if (o->format == SIC_FORMAT_JSON) print_json(w, set, o->check ? &chk : NULL);
    else print_text(set, o->check ? &chk : NULL);
  }
  *nlogs += sets.n;
  *nskipped += sets.nskipped;
  sic_logsets_free(&sets);
  if (spooled[0]) unlink(spooled);
  return failed;
}

int sic_cmd_logs(int argc, char **argv) {
  logs_opts o = {.format = SIC_FORMAT_TEXT, .threads = 2};
  sic_source_opts so = {0};
  const sic_opt opts[] = {
    SIC_SOURCE_OPT_ROWS(&so),
    SIC_OPT_FORMAT_ROW(&o.format, "output format (text, json)"),
    SIC_OPT_FLAG_ROW("check", 'c', &o.check, "decode every log to the end; report lines, bytes, first error"),
    SIC_OPT_FLAG_ROW("cat", 0, &o.cat, "write the decompressed bytes of every log to stdout"),
    SIC_OPT_INT_ROW("threads", 't', &o.threads, "N", "decode threads per log (default 2)", 1, 64),
  };
  const sic_cmd_spec spec = {
    "logs", "PATH... [--check] [--cat] [--format text|json]",
    "Show the Spark event logs found under each PATH: a log file (any codec Spark writes:\n"
    "zstd, lz4, snappy, lzf; gzip), a rolling eventlog_v2_* dir, a Databricks eventlog dir,\n"
    "a Spark 1.x log dir, a History Server /logs zip, or a directory of many logs; or a URI:\n"
    "a History Server URL, s3://bucket/prefix, file:// (docs/sources.md).",
    opts, sizeof opts / sizeof opts[0], SIC_FORMAT_MASK(SIC_FORMAT_TEXT) | SIC_FORMAT_MASK(SIC_FORMAT_JSON), 1, -1};
  char **pos = calloc((size_t)argc + 1, sizeof *pos);
  int npos = 0, failed = 0;
  if (!pos) return SIC_EXIT_INPUT;
  int pr = sic_args_parse(&spec, argc, argv, pos, &npos);
  if (pr != SIC_ARGS_OK) {
    free(pos);
    return pr == SIC_ARGS_HELP ? SIC_EXIT_OK : SIC_EXIT_USAGE;
  }
  sic_sources_set_defaults(&so);
  sic_jw w;
  sic_jw_init(&w, SIC_JW_PRETTY);
  if (o.format == SIC_FORMAT_JSON && !o.cat) {
    sic_jw_obj(&w);
    sic_jw_karr(&w, "logs");
  }
  size_t nlogs = 0, nskipped = 0;
  for (int i = 0; i < npos; i++) failed |= run_path(pos[i], &o, &w, &nlogs, &nskipped);
  if (o.format == SIC_FORMAT_JSON && !o.cat) {
    sic_jw_end(&w);
    sic_jw_kint(&w, "skipped", (int64_t)nskipped);
    sic_jw_end(&w);
    if (sic_jw_status(&w) == 0) printf("%s\n", w.buf);
  } else if (!o.cat) {
    printf("%zu log%s, %zu file%s skipped\n", nlogs, nlogs == 1 ? "" : "s", nskipped, nskipped == 1 ? "" : "s");
  }
  sic_jw_free(&w);
  free(pos);
  return failed ? SIC_EXIT_INPUT : SIC_EXIT_OK;
}
