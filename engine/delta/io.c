/* The log's file access: local files mapped, URIs through the registered sic_delta_io. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "delta/delta_internal.h"
#include "eventlog/eventlog.h"

static sic_delta_io uri_io; /* set once by sources/ at start-up */
static int have_uri_io;

void sic_delta_set_uri_io(const sic_delta_io *io) {
  if (io) uri_io = *io;
  have_uri_io = io != NULL;
}

int dl_is_remote(const char *path) { return sic_path_is_uri(path) && strncmp(path, "file://", 7); }

static int no_uri_io(const char *path, sic_err *err) {
  return sic_err_set(err, SIC_EUNSUPPORTED, "%s: this build reads Delta tables from local paths only (no URI reader registered)",
                     path);
}

int dl_io_list(const char *dir, sic_delta_name_fn fn, void *user, sic_err *err) {
  if (dl_is_remote(dir)) return have_uri_io ? uri_io.list(dir, fn, user, err) : no_uri_io(dir, err);
  DIR *d = opendir(dir);
  if (!d)
    return sic_err_set(err, errno == ENOENT || errno == ENOTDIR ? SIC_ENOTFOUND : SIC_EIO, "%s: %s", dir, strerror(errno));
  struct dirent *e;
  int rc = 0;
  while (!rc && (e = readdir(d)) != NULL) rc = fn(user, e->d_name);
  closedir(d);
  return rc;
}

static int map_local(const char *path, dl_buf *b, sic_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sic_err_set(err, errno == ENOENT ? SIC_ENOTFOUND : SIC_EIO, "%s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st)) {
    close(fd);
    return sic_err_set(err, SIC_EIO, "%s: %s", path, strerror(errno));
  }
  b->len = (size_t)st.st_size;
  if (b->len) {
    void *m = mmap(NULL, b->len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      close(fd);
      return sic_err_set(err, SIC_EIO, "%s: mmap: %s", path, strerror(errno));
    }
    b->data = m;
    b->mapped = 1;
  }
  close(fd);
  return 0;
}

int dl_io_read(const char *path, dl_buf *b, sic_err *err) {
  memset(b, 0, sizeof *b);
  if (!dl_is_remote(path)) return map_local(path, b, err);
  if (!have_uri_io) return no_uri_io(path, err);
  void *buf = NULL;
  size_t len = 0;
  int rc = uri_io.read(path, &buf, &len, err);
  if (rc) return rc;
  b->data = len ? buf : NULL;
  b->len = len;
  if (!len) free(buf);
  return 0;
}

void dl_buf_release(dl_buf *b) {
  if (b->data && b->mapped) munmap((void *)b->data, b->len);
  else free((void *)b->data);
  memset(b, 0, sizeof *b);
}

char *dl_io_display(const char *path) {
  return dl_is_remote(path) && have_uri_io && uri_io.display ? uri_io.display(path) : strdup(path);
}
