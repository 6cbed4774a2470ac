/* digest.h: block digests for online verify and checksum-based resync
 * (verify-alg, csums-alg): crc32c in software, the others through
 * GnuTLS. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* Digest len bytes of data with alg into out (room for WIRE_DIGEST_MAX
 * bytes). Returns the digest's size, or a negative errno (-EINVAL for
 * WIRE_DIGEST_NONE or an unknown alg). */
int disk_digest(enum wire_digest_alg alg, const void *data, size_t len, uint8_t *out);
