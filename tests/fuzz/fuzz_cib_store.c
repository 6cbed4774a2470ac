/* fuzz_cib_store.c: the CIB file check (cib_store.h) on arbitrary bytes:
 * the checksum line is found and compared, the XML parsed, and any input
 * gives a CIB or a reason, never a crash. A CIB it accepts is written
 * again and must then read back signed. */
#include <libxml/parser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cib_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = malloc(size + 1), why[256] = "", *again = NULL;
        xmlDoc *doc = NULL, *back = NULL;
        bool is_signed = false;
        size_t len;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        if (cib_store_parse_text(text, size, &doc, &is_signed, why, sizeof(why)) < 0) {
                if (doc || !why[0])
                        abort();
                free(text);
                return 0;
        }
        if (cib_store_format(doc, &again, &len) < 0)
                abort();
        is_signed = false;
        if (cib_store_parse_text(again, len, &back, &is_signed, why, sizeof(why)) < 0 || !is_signed)
                abort();
        xmlFreeDoc(doc);
        xmlFreeDoc(back);
        free(again);
        free(text);
        return 0;
}
