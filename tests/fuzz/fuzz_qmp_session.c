/* fuzz_qmp_session.c: the QMP client as a whole against a peer that
 * sends the fuzz input and then closes: greeting, capabilities, commands
 * whose replies must match by id, events in between. Every call must end
 * with success or an error and a reason, never a crash, a hang or a
 * leak. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "qmp.h"
#include "sock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct qmp *q = NULL;
        char why[256];
        int sv[2], r;

        /* Within one socket buffer, so that writing it cannot block. */
        if (size > 65536 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return 0;
        signal(SIGPIPE, SIG_IGN);
        if (sock_write_all(sv[1], data, size) < 0 || shutdown(sv[1], SHUT_WR) < 0) {
                close(sv[0]);
                close(sv[1]);
                return 0;
        }
        why[0] = '\0';
        r = qmp_connect_fd(sv[0], 1000, &q, why, sizeof(why));
        if (r < 0) {
                if (!why[0] || q)
                        abort();
        } else {
                for (int i = 0; i < 64; i++) {
                        json_t *ret = NULL;
                        why[0] = '\0';
                        r = qmp_execute(q, i % 2 ? "query-migrate" : "query-status", NULL, 1000, &ret, why,
                                        sizeof(why));
                        if (r < 0 && (!why[0] || ret))
                                abort();
                        json_decref(ret);
                        if (r < 0 && r != -EREMOTEIO)
                                break;
                }
                for (;;) {
                        json_t *ev = NULL;
                        if (qmp_next_event(q, 0, &ev, why, sizeof(why)) < 0)
                                break;
                        if (!json_is_string(json_object_get(ev, "event")))
                                abort();
                        json_decref(ev);
                }
                qmp_close(q);
        }
        close(sv[1]);
        return 0;
}
