/* qsort for tables that may be empty: qsort(NULL, 0, ...) is undefined behaviour (glibc's
 * qsort is declared nonnull), and empty tables here are often NULL. Sorting fewer than two
 * rows is a no-op anyway. */
#ifndef SIC_CORE_SORT_H
#define SIC_CORE_SORT_H

#include <stdlib.h>

static inline void sic_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *)) {
  if (base && n > 1) qsort(base, n, size, cmp);
}

#endif
