/* sic_logset_scan: find logical event logs under a path (see eventlog.h). */
#include "eventlog/eventlog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "eventlog/codec.h"

static char *base_name_of(const char *path) {
  const char *slash = strrchr(path, '/');
  return strdup(slash ? slash + 1 : path);
}

static int scan_single_file(const char *path, const struct stat *st, sic_logsets *out, sic_err *err) {
  sic_logset *set = calloc(1, sizeof *set);
  sic_logpart *part = calloc(1, sizeof *part);
  if (!set || !part) goto nomem;
  set->path = strdup(path);
  set->name = base_name_of(path);
  part->path = strdup(path);
  if (!set->path || !set->name || !part->path) goto nomem;
  part->codec = sic_codec_from_name(path);
  part->size = st->st_size;
  part->mtime_ms = (int64_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000;
  set->layout = SIC_LAYOUT_FILE;
  set->parts = part;
  set->nparts = 1;
  set->total_size = part->size;
  set->mtime_ms = part->mtime_ms;
  set->in_progress = strstr(path, ".inprogress") != NULL;
  out->items = set;
  out->n = 1;
  return 0;
nomem:
  if (part) free(part->path);
  free(part);
  if (set) {
    free(set->path);
    free(set->name);
  }
  free(set);
  return sic_err_set(err, SIC_ENOMEM, "out of memory");
}

int sic_logset_scan(const char *path, sic_logsets *out, sic_err *err) {
  memset(out, 0, sizeof *out);
  struct stat st;
  if (stat(path, &st))
    return sic_err_set(err, errno == ENOENT ? SIC_ENOTFOUND : SIC_EIO, "%s: %s", path, strerror(errno));
  if (S_ISREG(st.st_mode)) return scan_single_file(path, &st, out, err);
  return sic_err_set(err, SIC_EUNSUPPORTED, "%s: directory layouts not implemented yet", path);
}

void sic_logsets_free(sic_logsets *sets) {
  if (!sets) return;
  for (size_t i = 0; i < sets->n; i++) {
    sic_logset *s = &sets->items[i];
    for (size_t j = 0; j < s->nparts; j++) {
      free(s->parts[j].path);
      free(s->parts[j].zip_member);
    }
    free(s->parts);
    free(s->path);
    free(s->name);
  }
  free(sets->items);
  memset(sets, 0, sizeof *sets);
}
