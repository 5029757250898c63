/* sources/: the URI parser and redaction, the S3 ListObjectsV2 parser, the GCS objects.list
 * parser, the Azure List Blobs parser and the History Server listing parsers on arbitrary bytes. The first byte picks the parser; the rest is its input.
 * Properties: no crash or leak, and a displayed URI never contains the password it parsed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sources/source_internal.h"

static void fuzz_uri(const uint8_t *data, size_t n) {
  char *text = malloc(n + 1);
  if (!text) return;
  memcpy(text, data, n);
  text[n] = 0;
  sic_uri u;
  sic_err err;
  char *shown = sic_uri_display(text);
  if (!sic_uri_parse(text, &u, &err)) {
    /* a password that appears only once in the text (in the userinfo) must not be shown */
    if (shown && u.password && strlen(u.password) >= 8) {
      const char *first = strstr(text, u.password);
      int once = first && !strstr(first + 1, u.password);
      if (once && strstr(shown, u.password)) abort();
    }
    sic_uri_free(&u);
  }
  free(shown);
  free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t which = data[0] % 6;
  data++;
  size--;
  sic_err err;
  if (which == 0) {
    fuzz_uri(data, size);
  } else if (which == 1) {
    char *xml = malloc(size + 1);
    if (!xml) return 0;
    memcpy(xml, data, size);
    xml[size] = 0;
    sic_source_page page = {0};
    s3_parse_list(xml, size, size ? data[0] % 8 : 0, &page, &err);
    sic_source_page_free(&page);
    free(xml);
  } else if (which == 5) {
    char *xml = malloc(size + 1);
    if (!xml) return 0;
    memcpy(xml, data, size);
    xml[size] = 0;
    sic_source_page page = {0};
    az_parse_list(xml, size, size ? data[0] % 8 : 0, &page, &err);
    sic_source_page_free(&page);
    free(xml);
  } else if (which == 4) {
    sic_source_page page = {0};
    gcs_parse_list((const char *)data, size, size ? data[0] % 8 : 0, &page, &err);
    sic_source_page_free(&page);
  } else {
    size_t apps, attempts;
    hs_parse_listing((const char *)data, size, which == 3, &apps, &attempts, &err);
  }
  return 0;
}
