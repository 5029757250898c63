/* sources/: the parsers of untrusted text added for the object stores, on arbitrary bytes.
 * The first byte picks the parser; the rest is its input:
 *   0, 1  an AWS credentials (0) or config (1) file, for the profile "dev"
 *   2     the tail of a zip archive: its end record, then (when inside the input) its
 *         central directory
 *   3     an Azure connection string
 *   4     the Azure Shared Key string to sign of a URL (first line) and header lines (the rest)
 * Properties: no crash or leak; an AWS file's error never shows a value (the text after a
 * line's '=' is never in the message when it is at least 8 bytes, found once, and holds one of
 * "/+$&%@", which no message of the parser contains, as base64 secrets often do). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sources/source_internal.h"

static char *text_of(const uint8_t *data, size_t n) {
  char *t = malloc(n + 1);
  if (!t) return NULL;
  memcpy(t, data, n);
  t[n] = 0;
  return t;
}

/* A value after "=" (up to the end of its line) that an error message must never show. */
static void check_no_value_shown(const char *text, const char *msg) {
  for (const char *eq = strchr(text, '='); eq; eq = strchr(eq + 1, '=')) {
    const char *v = eq + 1;
    size_t n = strcspn(v, "\r\n");
    while (n && (*v == ' ' || *v == '\t')) v++, n--;
    if (n < 8 || n > 200) continue;
    char value[201];
    memcpy(value, v, n);
    value[n] = 0;
    if (!strpbrk(value, "/+$&%@")) continue;
    const char *first = strstr(text, value);
    if (first && !strstr(first + 1, value) && strstr(msg, value)) abort();
  }
}

static void fuzz_aws(const uint8_t *data, size_t n, int config_style) {
  char *text = text_of(data, n);
  if (!text) return;
  aws_profile p = {0};
  sic_err err = {0};
  if (aws_profile_parse(text, n, "fuzz", "dev", config_style, &p, &err)) check_no_value_shown(text, err.msg);
  aws_profile_free(&p);
  free(text);
}

static void fuzz_zip(const uint8_t *data, size_t n) {
  /* the input is an archive's tail: the whole archive when its first byte is even, else the
   * end of an archive that many bytes longer */
  int64_t size = (int64_t)n + (n && (data[0] & 1) ? data[0] : 0);
  int64_t tail_off = size - (int64_t)n;
  zip_directory_loc loc;
  sic_err err;
  if (zip_find_directory(data, n, tail_off, size, &loc, &err)) return;
  if (loc.cd_offset < tail_off || loc.cd_offset - tail_off + loc.cd_size > (int64_t)n) return;
  zip_directory d;
  if (!zip_parse_directory(data + (loc.cd_offset - tail_off), (size_t)loc.cd_size, loc.entries, size, &d, &err)) {
    for (size_t i = 0; i < d.n; i++)
      if (!d.items[i].name || !d.items[i].name[0] || d.items[i].local_offset > (uint64_t)size) abort();
    zip_directory_free(&d);
  }
}

static void fuzz_conn(const uint8_t *data, size_t n) {
  char *text = text_of(data, n);
  if (!text) return;
  az_conn c;
  sic_err err;
  if (!az_conn_parse(text, &c, &err)) az_conn_free(&c);
  free(text);
}

static void fuzz_string_to_sign(const uint8_t *data, size_t n) {
  char *text = text_of(data, n);
  if (!text) return;
  const char *headers[17];
  size_t k = 0;
  char *url = text, *p = strchr(text, '\n');
  while (p && k < 16) {
    *p++ = 0;
    headers[k++] = p;
    p = strchr(p, '\n');
  }
  if (p) *p = 0;
  headers[k] = NULL;
  free(az_string_to_sign("acct", "GET", url, headers));
  free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t which = data[0] % 5;
  data++;
  size--;
  if (which <= 1) fuzz_aws(data, size, which);
  else if (which == 2) fuzz_zip(data, size);
  else if (which == 3) fuzz_conn(data, size);
  else fuzz_string_to_sign(data, size);
  return 0;
}
