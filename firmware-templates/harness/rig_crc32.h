#ifndef RIG_CRC32_H
#define RIG_CRC32_H

#include <stdint.h>

/* CRC-32, IEEE 802.3 / zlib: rig_crc32("123456789", 9) == 0xcbf43926. */
uint32_t rig_crc32(const void *p, unsigned n);

#endif /* RIG_CRC32_H */
