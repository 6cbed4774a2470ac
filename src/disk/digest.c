/* digest.c: block digests (digest.h). crc32c reuses the metadata's table;
 * crc32c is stored big-endian like every wire integer. */
#include <errno.h>
#include <gnutls/crypto.h>

#include "digest.h"
#include "meta.h"

int disk_digest(enum wire_digest_alg alg, const void *data, size_t len, uint8_t *out) {
        gnutls_digest_algorithm_t g;

        switch (alg) {
        case WIRE_DIGEST_CRC32C: {
                uint32_t c = meta_crc32c(0, data, len);
                out[0] = (uint8_t) (c >> 24);
                out[1] = (uint8_t) (c >> 16);
                out[2] = (uint8_t) (c >> 8);
                out[3] = (uint8_t) c;
                return 4;
        }
        case WIRE_DIGEST_MD5: g = GNUTLS_DIG_MD5; break;
        case WIRE_DIGEST_SHA1: g = GNUTLS_DIG_SHA1; break;
        case WIRE_DIGEST_SHA256: g = GNUTLS_DIG_SHA256; break;
        case WIRE_DIGEST_SHA512: g = GNUTLS_DIG_SHA512; break;
        default: return -EINVAL;
        }
        if (gnutls_hash_fast(g, data, len, out) < 0)
                return -EIO;
        return (int) wire_digest_size(alg);
}
