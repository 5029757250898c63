/* Near-match suggestions and British spellings (see suggest.h). */
#include "cli/suggest.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int sic_edit_distance(const char *a, size_t alen, const char *b, size_t blen, int limit) {
  enum { MAXW = 64 };
  if (alen > MAXW || blen > MAXW) return limit + 1;
  int d[MAXW + 1][MAXW + 1];
  for (size_t i = 0; i <= alen; i++) d[i][0] = (int)i;
  for (size_t j = 0; j <= blen; j++) d[0][j] = (int)j;
  for (size_t i = 1; i <= alen; i++) {
    int row_min = limit + 1;
    for (size_t j = 1; j <= blen; j++) {
      int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
      int v = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
      if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
      if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
          tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) && d[i - 2][j - 2] + 1 < v)
        v = d[i - 2][j - 2] + 1;
      d[i][j] = v;
      if (v < row_min) row_min = v;
    }
    if (row_min > limit) return limit + 1;
  }
  return d[alen][blen] > limit ? limit + 1 : d[alen][blen];
}

const char *sic_suggest(const char *word, size_t len, const char *const *cands, size_t n) {
  int limit = len <= 4 ? 1 : (int)(len / 3 > 1 ? len / 3 : 2);
  const char *best = NULL;
  int best_d = limit + 1;
  for (size_t i = 0; i < n; i++) {
    if (!cands[i]) continue;
    size_t cl = strlen(cands[i]);
    /* a prefix of a long name is a near match too ("--thread" for "--threads") */
    int d = sic_edit_distance(word, len, cands[i], cl, limit);
    if (d < best_d) {
      best_d = d;
      best = cands[i];
    }
  }
  return best;
}

/* British endings and their American forms, longest first. */
static const char *const british[][2] = {
    {"isation", "ization"}, {"yse", "yze"}, {"ysed", "yzed"}, {"ysing", "yzing"}, {"ise", "ize"},
    {"ised", "ized"},       {"ising", "izing"}, {"our", "or"},
};

int sic_americanize(const char *word, size_t len, char *out, size_t cap) {
  if (len + 1 > cap) return 0;
  memcpy(out, word, len);
  out[len] = 0;
  int changed = 0;
  for (size_t k = 0; k < sizeof british / sizeof british[0]; k++) {
    const char *from = british[k][0], *to = british[k][1];
    size_t fl = strlen(from), tl = strlen(to);
    /* anywhere in the word, for names like "colour-scheme" or "analyse-all" */
    for (char *p = strstr(out, from); p; p = strstr(p + tl, from)) {
      size_t tail = strlen(p + fl);
      memmove(p + tl, p + fl, tail + 1);
      memcpy(p, to, tl);
      changed = 1;
    }
  }
  return changed;
}
