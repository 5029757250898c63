/* Tests for engine/cli/suggest.c: edit distance, near-match suggestions and British
 * spellings used as aliases by the command line. */
#include <stdio.h>
#include <string.h>

#include "cli/suggest.h"

static int failures;
#define EXPECT(cond, ...)                                                   \
  do {                                                                      \
    if (!(cond)) {                                                          \
      fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, #cond);            \
      fprintf(stderr, __VA_ARGS__);                                         \
      fputc('\n', stderr);                                                  \
      failures++;                                                           \
    }                                                                       \
  } while (0)

static int dist(const char *a, const char *b) { return sic_edit_distance(a, strlen(a), b, strlen(b), 10); }
static const char *near(const char *w, const char *const *c, size_t n) { return sic_suggest(w, strlen(w), c, n); }

int main(void) {
  EXPECT(dist("analyze", "analyze") == 0, "same");
  EXPECT(dist("analize", "analyze") == 1, "substitution");
  EXPECT(dist("anlayze", "analyze") == 1, "swap counts once");
  EXPECT(dist("predcit", "predict") == 1, "swap");
  EXPECT(dist("ANALYZE", "analyze") == 0, "case");
  EXPECT(dist("", "abc") == 3, "insertions");
  EXPECT(sic_edit_distance("abcdef", 6, "uvwxyz", 6, 2) == 3, "limit + 1 past the limit");

  const char *const cmds[] = {"analyze", "api", "ask", "history", "ingest", "predict", "regressions", "serve", "train"};
  size_t n = sizeof cmds / sizeof cmds[0];
  EXPECT(near("analize", cmds, n) && !strcmp(near("analize", cmds, n), "analyze"), "analize");
  EXPECT(near("regresions", cmds, n) && !strcmp(near("regresions", cmds, n), "regressions"), "regresions");
  EXPECT(near("srve", cmds, n) && !strcmp(near("srve", cmds, n), "serve"), "srve");
  EXPECT(near("zzzzzz", cmds, n) == NULL, "nothing close");
  EXPECT(near("apo", cmds, n) && !strcmp(near("apo", cmds, n), "api"), "short words: one edit");
  EXPECT(near("xyz", cmds, n) == NULL, "short words: not two edits");

  char out[64];
  EXPECT(sic_americanize("analyse", 7, out, sizeof out) && !strcmp(out, "analyze"), "%s", out);
  EXPECT(sic_americanize("colour", 6, out, sizeof out) && !strcmp(out, "color"), "%s", out);
  EXPECT(sic_americanize("summarise", 9, out, sizeof out) && !strcmp(out, "summarize"), "%s", out);
  EXPECT(sic_americanize("normalisation", 13, out, sizeof out) && !strcmp(out, "normalization"), "%s", out);
  EXPECT(!sic_americanize("predict", 7, out, sizeof out) && !strcmp(out, "predict"), "%s", out);
  if (failures) fprintf(stderr, "%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
