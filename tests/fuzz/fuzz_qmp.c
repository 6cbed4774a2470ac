/* fuzz_qmp.c: the QMP client's parser (qmp_message_parse) on arbitrary
 * input, split into lines as the client reads them: each line must give a
 * message of one of the four shapes with its fields set, or an error with
 * a reason, and never crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *line, size_t len) {
        struct qmp_message m = {0};
        char why[256] = "";
        int r = qmp_message_parse(line, len, &m, why, sizeof(why));

        if (r < 0) {
                if (r != -EBADMSG || !why[0] || m.json)
                        abort();
                return;
        }
        if (!json_is_object(m.json))
                abort();
        switch (m.type) {
        case QMP_GREETING:
                if (!json_is_object(m.value))
                        abort();
                break;
        case QMP_RETURN:
                if (!m.value)
                        abort();
                break;
        case QMP_ERROR:
                if (!m.error_class || !m.error_desc)
                        abort();
                break;
        case QMP_EVENT:
                if (!m.event || (m.value && !json_is_object(m.value)))
                        abort();
                break;
        default:
                abort();
        }
        qmp_message_clear(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *p = (const char *) data, *end = p + size;

        while (p <= end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t len = nl ? (size_t) (nl - p) : (size_t) (end - p);

                check(p, len);
                if (!nl)
                        break;
                p = nl + 1;
        }
        return 0;
}
