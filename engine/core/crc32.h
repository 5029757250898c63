/* CRC-32 as zip and gzip use it (reflected polynomial 0xEDB88320), on the hot path of the
 * History Server /logs zip (both ends check every byte). libdeflate's when the build found it
 * (carry-less multiplication: 7.8 GB/s against zlib 1.2.13's 1.9 GB/s on the bench machine),
 * else zlib's; both give the same values.
 * Ownership: nothing is kept. */
#ifndef SIC_CORE_CRC32_H
#define SIC_CORE_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* The CRC-32 of n bytes at p continuing crc (0 for the first bytes). */
uint32_t sic_crc32(uint32_t crc, const void *p, size_t n);

#endif
