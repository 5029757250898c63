/* sic api LOGDIR PATH : what Spark's History Server REST API v1 returns for /api/v1/PATH
 * over the event logs in LOGDIR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "shs/shs.h"

static int write_body(const sic_shs_response *r, const char *path) {
  FILE *f = path ? fopen(path, "wb") : stdout;
  if (!f) return -1;
  int ok = fwrite(r->body, 1, r->len, f) == r->len;
  if (r->content_type && !strcmp(r->content_type, "application/json") && !path) ok &= fputc('\n', f) != EOF;
  if (path) ok &= fclose(f) == 0;
  else ok &= fflush(f) == 0;
  return ok ? 0 : -1;
}

int sic_cmd_api(int argc, char **argv) {
  const char *output = NULL;
  int include = 0;
  const sic_opt opts[] = {
    {.name = "output", .short_name = 'o', .kind = SIC_OPT_STRING, .dest = &output, .metavar = "FILE",
     .help = "write the body to FILE instead of stdout (useful for the logs zip)"},
    {.name = "include", .short_name = 'i', .kind = SIC_OPT_FLAG, .dest = &include,
     .help = "print the HTTP status and content type, then the body (also for errors)"},
  };
  const sic_cmd_spec spec = {
    "api", "LOGDIR PATH [--output FILE] [--include]",
    "Print what Spark's History Server (REST API v1, Spark 3.5 semantics) returns for\n"
    "GET /api/v1/PATH when serving the event logs in LOGDIR, e.g.\n"
    "  sic api /var/spark-events 'applications'\n"
    "  sic api /var/spark-events 'applications/app-1/stages/1/0?details=true'\n"
    "  sic api /var/spark-events 'applications/app-1/logs' -o logs.zip\n"
    "Exit status: 0 for HTTP 2xx, 1 for an error response (its message goes to stderr).",
    opts, sizeof opts / sizeof *opts, 0, 2, 2};
  char *pos[argc > 0 ? argc : 1];
  int npos = 0;
  int rc = sic_args_parse(&spec, argc, argv, pos, &npos);
  if (rc != SIC_ARGS_OK) return rc == SIC_ARGS_HELP ? SIC_EXIT_OK : SIC_EXIT_USAGE;
  sic_err err = {0};
  sic_shs *shs = NULL;
  if (sic_shs_open(pos[0], NULL, &shs, &err) < 0) {
    fprintf(stderr, "sic api: %s\n", err.msg);
    return SIC_EXIT_INPUT;
  }
  sic_shs_response r;
  sic_shs_get(shs, pos[1], &r);
  int exit_code = r.status >= 200 && r.status < 300 ? SIC_EXIT_OK : SIC_EXIT_INPUT;
  if (include) {
    printf("HTTP %d\nContent-Type: %s\n", r.status, r.content_type ? r.content_type : "");
    if (r.filename) printf("Content-Disposition: attachment; filename=%s\n", r.filename);
    printf("\n");
    fflush(stdout);
  }
  int binary = r.content_type && !strcmp(r.content_type, "application/octet-stream");
  if (exit_code == SIC_EXIT_OK && binary && !output && sic_is_tty(stdout)) {
    fprintf(stderr, "sic api: the response is a zip (%s); not writing it to a terminal, use -o FILE\n",
            r.filename ? r.filename : "binary");
    exit_code = SIC_EXIT_USAGE;
  } else if (exit_code == SIC_EXIT_OK) {
    if (write_body(&r, output) < 0) {
      fprintf(stderr, "sic api: cannot write %s\n", output ? output : "stdout");
      exit_code = SIC_EXIT_INPUT;
    }
  } else {
    if (include && r.body) printf("%.*s\n", (int)r.len, r.body); /* like curl -i */
    fprintf(stderr, "sic api: HTTP %d: %.*s\n", r.status, (int)r.len, r.body ? r.body : "");
  }
  sic_shs_response_free(&r);
  sic_shs_close(shs);
  return exit_code;
}
