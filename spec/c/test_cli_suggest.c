/* Tests for engine/cli/suggest.c: edit distance, near-match suggestions and British
 * spellings used as aliases by the command line. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cli/suggest.h"

static int dist(const char *a, const char *b) { return sic_edit_distance(a, strlen(a), b, strlen(b), 10); }
static const char *near(const char *w, const char *const *c, size_t n) { return sic_suggest(w, strlen(w), c, n); }

int main(void) {
  CHECK(dist("analyze", "analyze") == 0, "same");
  CHECK(dist("analize", "analyze") == 1, "substitution");
  CHECK(dist("anlayze", "analyze") == 1, "swap counts once");
  CHECK(dist("predcit", "predict") == 1, "swap");
  CHECK(dist("ANALYZE", "analyze") == 0, "case");
  CHECK(dist("", "abc") == 3, "insertions");
  CHECK(sic_edit_distance("abcdef", 6, "uvwxyz", 6, 2) == 3, "limit + 1 past the limit");

  const char *const cmds[] = {"analyze", "api", "ask", "history", "ingest", "predict", "regressions", "serve", "train"};
  size_t n = sizeof cmds / sizeof cmds[0];
  CHECK(near("analize", cmds, n) && !strcmp(near("analize", cmds, n), "analyze"), "analize");
  CHECK(near("regresions", cmds, n) && !strcmp(near("regresions", cmds, n), "regressions"), "regresions");
  CHECK(near("srve", cmds, n) && !strcmp(near("srve", cmds, n), "serve"), "srve");
  CHECK(near("zzzzzz", cmds, n) == NULL, "nothing close");
  CHECK(near("apo", cmds, n) && !strcmp(near("apo", cmds, n), "api"), "short words: one edit");
  CHECK(near("xyz", cmds, n) == NULL, "short words: not two edits");

  char out[64];
  CHECK(sic_americanize("analyse", 7, out, sizeof out) && !strcmp(out, "analyze"), "%s", out);
  CHECK(sic_americanize("colour", 6, out, sizeof out) && !strcmp(out, "color"), "%s", out);
  CHECK(sic_americanize("summarise", 9, out, sizeof out) && !strcmp(out, "summarize"), "%s", out);
  CHECK(sic_americanize("normalisation", 13, out, sizeof out) && !strcmp(out, "normalization"), "%s", out);
  CHECK(!sic_americanize("predict", 7, out, sizeof out) && !strcmp(out, "predict"), "%s", out);
  return CHECK_RESULT();
}
