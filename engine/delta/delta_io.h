/* Where engine/delta reads a table's log. Delta log files and checkpoints are read whole, so the
 * replay needs two operations: list the names in one directory, read one file into memory.
 * Local paths (and file:// URIs) use the local file system (opendir, mmap). Any other URI
 * (s3://, gs://, abfss://, ...) goes through the implementation registered here, which the
 * sources component installs at sic_sources_init(): delta never links against sources.
 *
 * Ownership: the registered struct is copied. read() returns a malloc'd buffer the caller
 * frees with free(); display() returns a malloc'd string the caller frees. */
#ifndef SIC_DELTA_IO_H
#define SIC_DELTA_IO_H

#include <stddef.h>

#include "core/error.h"

/* Called once per name listed; a non-zero return stops the listing and is returned. */
typedef int (*sic_delta_name_fn)(void *user, const char *name);

typedef struct sic_delta_io {
  /* Names directly under the directory URI dir (no recursion, no "dir/" prefix). An absent or
   * empty directory is SIC_ENOTFOUND. */
  int (*list)(const char *dir, sic_delta_name_fn fn, void *user, sic_err *err);
  /* The whole object at URI path into *buf (malloc'd, *len bytes; NULL when empty). A missing
   * object is SIC_ENOTFOUND. */
  int (*read)(const char *path, void **buf, size_t *len, sic_err *err);
  /* The URI as it may be shown (no credentials); malloc'd, NULL when out of memory. */
  char *(*display)(const char *uri);
} sic_delta_io;

/* Install the reader of URI tables (NULL removes it: URIs are then SIC_EUNSUPPORTED). */
void sic_delta_set_uri_io(const sic_delta_io *io);

#endif
