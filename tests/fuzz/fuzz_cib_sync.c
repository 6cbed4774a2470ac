/* fuzz_cib_sync.c: CIB replication messages from peers (cib_sync.h) on
 * arbitrary bytes: decoding returns a message or an error with a reason,
 * never a crash; a decoded message encodes again, decodes to the same
 * text, and applies (or is refused) on a small CIB without harm. */
#include <libxml/parser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cib_sync.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base_cib[] =
        "<cib admin_epoch=\"0\" epoch=\"3\" num_updates=\"1\"><configuration><crm_config/><nodes/>"
        "<resources><primitive id=\"d1\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/></resources>"
        "<constraints/></configuration><status/></cib>";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct cib_msg *m = NULL, *again = NULL;
        char why[256], *text = NULL, *text2 = NULL;
        size_t len, len2;
        xmlDoc *doc = NULL, *next = NULL;

        if (cib_msg_decode(data, size, &m, why, sizeof(why)) < 0) {
                if (m || !why[0])
                        abort();
                return 0;
        }
        if (cib_msg_encode(m, &text, &len) < 0)
                abort();
        if (cib_msg_decode(text, len, &again, why, sizeof(why)) < 0)
                abort();
        if (cib_msg_encode(again, &text2, &len2) < 0 || len != len2 || memcmp(text, text2, len) != 0)
                abort();
        if (cib_doc_parse(base_cib, sizeof(base_cib) - 1, &doc, NULL, 0) < 0)
                abort();
        if (m->type != CIB_MSG_OFFER) {
                /* Let the version check pass so that the edits are tried. */
                if (m->type != CIB_MSG_SYNC)
                        (void) cib_doc_version(doc, &m->version);
                if (cib_sync_apply(doc, m, &next, why, sizeof(why)) >= 0)
                        xmlFreeDoc(next);
        }
        xmlFreeDoc(doc);
        free(text);
        free(text2);
        cib_msg_free(m);
        cib_msg_free(again);
        return 0;
}
