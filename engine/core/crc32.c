/* sic_crc32 (see crc32.h). */
#include "core/crc32.h"

#ifdef SIC_HAVE_LIBDEFLATE
#include <libdeflate.h>

uint32_t sic_crc32(uint32_t crc, const void *p, size_t n) { return libdeflate_crc32(crc, p, n); }
#else
#include <zlib.h>

uint32_t sic_crc32(uint32_t crc, const void *p, size_t n) {
  const unsigned char *b = p;
  while (n) { /* zlib takes an unsigned int length */
    unsigned chunk = n > (1u << 30) ? 1u << 30 : (unsigned)n;
    crc = (uint32_t)crc32(crc, b, chunk);
    b += chunk;
    n -= chunk;
  }
  return crc;
}
#endif
