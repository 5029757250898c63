/* Near-match suggestions and British spellings for command words, option names and option
 * values ("sic analyse", "--colour", "--formt").
 *
 * Nothing allocates: results point into the caller's candidate list or buffer. */
#ifndef SIC_CLI_SUGGEST_H
#define SIC_CLI_SUGGEST_H

#include <stddef.h>

/* Optimal-string-alignment distance (insert, delete, substitute, swap adjacent), case
 * insensitive; stops counting past limit (returns limit + 1). */
int sic_edit_distance(const char *a, size_t alen, const char *b, size_t blen, int limit);

/* The candidate closest to word within a typo's reach (1 edit for short words, a third of
 * the length for longer ones; ties: first listed), or NULL. */
const char *sic_suggest(const char *word, size_t len, const char *const *cands, size_t n);

/* The American spelling of a British one (analyse -> analyze, colour -> color,
 * summarise -> summarize, normalisation -> normalization) into out; 1 when anything changed. */
int sic_americanize(const char *word, size_t len, char *out, size_t cap);

#endif
