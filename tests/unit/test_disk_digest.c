/* Unit tests for digest.h: known digests of known inputs, and the refusal
 * of NONE. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "digest.h"

static void hex(const uint8_t *d, int n, char *out) {
        for (int i = 0; i < n; i++)
                sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_known(void **state) {
        static const struct {
                enum wire_digest_alg alg;
                const char *want;
        } cases[] = {
                { WIRE_DIGEST_CRC32C, "e3069283" },
                { WIRE_DIGEST_MD5, "25f9e794323b453885f5181f1b624d0b" },
                { WIRE_DIGEST_SHA1, "f7c3bc1d808e04732adf679965ccc34ca7ae3441" },
                { WIRE_DIGEST_SHA256, "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225" },
        };
        uint8_t d[WIRE_DIGEST_MAX];
        char text[2 * WIRE_DIGEST_MAX + 1];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                int n = disk_digest(cases[i].alg, "123456789", 9, d);
                assert_int_equal(n, (int) strlen(cases[i].want) / 2);
                hex(d, n, text);
                assert_string_equal(text, cases[i].want);
        }
        assert_int_equal(disk_digest(WIRE_DIGEST_SHA512, "", 0, d), 64);
        assert_int_equal(disk_digest(WIRE_DIGEST_NONE, "x", 1, d), -EINVAL);
        assert_int_equal(disk_digest((enum wire_digest_alg) 99, "x", 1, d), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = { cmocka_unit_test(test_known) };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
