/* fuzz_ctl_request.c: the control socket's request validation on arbitrary
 * lines: it must return either a request with a string command and an
 * array of string args, or an error reply, and never crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *line = malloc(size + 1);
        json_t *req, *err = NULL;

        if (!line)
                return 0;
        memcpy(line, data, size);
        line[size] = '\0';
        req = ctl_request_parse(line, &err);
        if (req) {
                size_t i;
                json_t *a;
                if (!json_is_string(json_object_get(req, "command")) ||
                    !json_is_array(json_object_get(req, "args")) || err)
                        abort();
                json_array_foreach(json_object_get(req, "args"), i, a)
                        if (!json_is_string(a))
                                abort();
        } else if (!json_is_false(json_object_get(err, "ok")) ||
                   !json_is_string(json_object_get(err, "error")))
                abort();
        json_decref(req);
        json_decref(err);
        free(line);
        return 0;
}
