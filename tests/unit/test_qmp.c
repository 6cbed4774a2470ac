/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the QMP client (src/agents/qmp.h) against a fake QMP
 * server forked per test: greeting and capabilities, replies matched by
 * id, events queued meanwhile, and every way the peer can go wrong
 * (malformed JSON, a huge line, a closed socket, silence, stray ids). */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "qmp.h"
#include "sock.h"

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}}, \"capabilities\": []}}\r\n"

static char *tmpdir, *path;
static pid_t server;

static int setup(void **state) {
        tmpdir = strdup("/tmp/test-qmp-XXXXXX");
        if (!tmpdir || !mkdtemp(tmpdir))
                return -1;
        path = strjoin(tmpdir, "/vm.qmp", NULL);
        server = 0;
        return path ? 0 : -1;
}

static int teardown(void **state) {
        if (server > 0) {
                kill(server, SIGKILL);
                waitpid(server, NULL, 0);
        }
        rm_rf(tmpdir);
        free(path);
        free(tmpdir);
        return 0;
}

/* The fake's side: send text as it is. */
static void srv_send(int fd, const char *text) {
        (void) sock_write_all(fd, text, strlen(text));
}

/* Reads one command and returns its id (-1 if it had none). */
static long long srv_read_command(int fd, struct buf *in, char *name, size_t size) {
        _cleanup_free_ char *line = NULL;
        json_t *j, *id;
        long long r = -1;

        if (sock_read_line(fd, in, 65536, 5000, &line) < 0)
                _exit(3);
        j = json_loads(line, 0, NULL);
        if (!j)
                _exit(4);
        id = json_object_get(j, "id");
        if (json_is_integer(id))
                r = json_integer_value(id);
        if (name)
                snprintf(name, size, "%s", json_string_value(json_object_get(j, "execute")) ?: "");
        json_decref(j);
        return r;
}

static void srv_reply(int fd, long long id, const char *ret) {
        char line[4096];

        snprintf(line, sizeof(line), "{\"return\": %s, \"id\": %lld}\r\n", ret, id);
        srv_send(fd, line);
}

/* Greets and answers qmp_capabilities. */
static void srv_handshake(int fd, struct buf *in) {
        srv_send(fd, GREETING);
        srv_reply(fd, srv_read_command(fd, in, NULL, 0), "{}");
}

/* Forks the fake server: it accepts one client and runs serve. */
static void start_server(void (*serve)(int fd, struct buf *in)) {
        int lfd;

        assert_int_equal(sock_unix_listen(path, 1, 0600, &lfd), 0);
        server = fork();
        assert_true(server >= 0);
        if (server == 0) {
                struct buf in = BUF_INIT;
                int fd;

                sock_set_nonblock(lfd, false);
                fd = accept(lfd, NULL, NULL);
                if (fd < 0)
                        _exit(2);
                serve(fd, &in);
                _exit(0);
        }
        close(lfd);
}

static void serve_status(int fd, struct buf *in) {
        char name[64];
        long long id;

        srv_handshake(fd, in);
        id = srv_read_command(fd, in, name, sizeof(name));
        srv_send(fd, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"RESUME\"}\r\n");
        if (strcmp(name, "query-status") == 0)
                srv_reply(fd, id, "{\"status\": \"running\", \"singlestep\": false, \"running\": true}");
        id = srv_read_command(fd, in, name, sizeof(name));
        srv_send(fd, "{\"id\": ");
        usleep(50 * 1000); /* a reply split across reads */
        char rest[256];
        snprintf(rest, sizeof(rest), "%lld, \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command %s has not been found\"}}\r\n",
                 id, name);
        srv_send(fd, rest);
        srv_reply(fd, srv_read_command(fd, in, NULL, 0), "{}");
        sleep(5);
}

static void test_status_event_and_error(void **state) {
        _cleanup_(qmp_closep) struct qmp *q = NULL;
        json_t *ret = NULL, *ev = NULL;
        char why[256] = "";

        start_server(serve_status);
        assert_int_equal(qmp_connect(path, 5000, &q, why, sizeof(why)), 0);
        assert_int_equal(qmp_execute(q, "query-status", NULL, 5000, &ret, why, sizeof(why)), 0);
        assert_string_equal(json_string_value(json_object_get(ret, "status")), "running");
        json_decref(ret);

        assert_int_equal(qmp_execute(q, "no-such-command", NULL, 5000, NULL, why, sizeof(why)), -EREMOTEIO);
        assert_non_null(strstr(why, "no-such-command has not been found"));
        assert_non_null(strstr(why, "CommandNotFound"));
        /* An error reply leaves the connection usable. */
        assert_int_equal(qmp_execute(q, "stop", NULL, 5000, NULL, why, sizeof(why)), 0);

        /* The event that came before the reply was kept. */
        assert_int_equal(qmp_next_event(q, 0, &ev, why, sizeof(why)), 0);
        assert_string_equal(json_string_value(json_object_get(ev, "event")), "RESUME");
        json_decref(ev);
        assert_int_equal(qmp_next_event(q, 100, &ev, why, sizeof(why)), -ETIMEDOUT);
}

static void serve_bad_greeting(int fd, struct buf *in) {
        srv_send(fd, "{\"QMP\": {\"version\": \r\n");
        sleep(5);
}

static void test_malformed_greeting(void **state) {
        struct qmp *q = NULL;
        char why[256] = "";

        start_server(serve_bad_greeting);
        assert_int_equal(qmp_connect(path, 5000, &q, why, sizeof(why)), -EBADMSG);
        assert_null(q);
        assert_non_null(strstr(why, "invalid JSON"));
}

static void serve_not_qmp(int fd, struct buf *in) {
        srv_send(fd, "{\"hello\": \"world\"}\n");
        sleep(5);
}

static void test_not_qmp(void **state) {
        struct qmp *q = NULL;
        char why[256] = "";

        start_server(serve_not_qmp);
        assert_int_equal(qmp_connect(path, 5000, &q, why, sizeof(why)), -EBADMSG);
        assert_non_null(strstr(why, "neither greeting"));
}

static void serve_huge_line(int fd, struct buf *in) {
        char chunk[65536];

        srv_handshake(fd, in);
        (void) srv_read_command(fd, in, NULL, 0);
        memset(chunk, 'x', sizeof(chunk));
        for (int i = 0; i < 32; i++)
                if (sock_write_all(fd, chunk, sizeof(chunk)) < 0)
                        break;
        sleep(5);
}

static void test_huge_line(void **state) {
        _cleanup_(qmp_closep) struct qmp *q = NULL;
        char why[256] = "";

        start_server(serve_huge_line);
        assert_int_equal(qmp_connect(path, 5000, &q, why, sizeof(why)), 0);
        assert_int_equal(qmp_execute(q, "query-status", NULL, 5000, NULL, why, sizeof(why)), -EMSGSIZE);
        assert_non_null(strstr(why, "longer than"));
        assert_int_equal(qmp_execute(q, "query-status", NULL, 5000, NULL, why, sizeof(why)), -ENOTCONN);
}

static void serve_close(int fd, struct buf *in) {
        srv_handshake(fd, in);
        (void) srv_read_command(fd, in, NULL, 0);
        close(fd);
}

static void test_closed(void **state) {
        _cleanup_(qmp_closep) struct qmp *q = NULL;
        char why[256] = "";

        start_server(serve_close);
        assert_int_equal(qmp_connect(path, 5000, &q, why, sizeof(why)), 0);
        assert_int_equal(qmp_execute(q, "quit", NULL, 5000, NULL, why, sizeof(why)), -ECONNRESET);
        assert_non_null(strstr(why, "closed"));
}

static void serve_silent(int fd, struct buf *in) {
        srv_handshake(fd, in);
        sleep(10);
}

static void test_timeout(void **state) {
        _cleanup_(qmp_closep) struct qmp *q = NULL;
        char why[256] = "";
        int64_t t0;

        start_server(serve_silent);
        assert_int_equal(qmp_connect(path, 5000, &q, why, sizeof(why)), 0);
        t0 = now_usec(CLOCK_MONOTONIC);
        assert_int_equal(qmp_execute(q, "query-status", NULL, 200, NULL, why, sizeof(why)), -ETIMEDOUT);
        assert_true(now_usec(CLOCK_MONOTONIC) - t0 < 2000000);
        /* A late reply could be taken for the next command's. */
        assert_int_equal(qmp_execute(q, "query-status", NULL, 200, NULL, why, sizeof(why)), -ENOTCONN);
}

static void serve_wrong_id(int fd, struct buf *in) {
        long long id;

        srv_handshake(fd, in);
        id = srv_read_command(fd, in, NULL, 0);
        srv_reply(fd, id + 7, "{}");
        sleep(5);
}

static void test_wrong_id(void **state) {
        _cleanup_(qmp_closep) struct qmp *q = NULL;
        char why[256] = "";

        start_server(serve_wrong_id);
        assert_int_equal(qmp_connect(path, 5000, &q, why, sizeof(why)), 0);
        assert_int_equal(qmp_execute(q, "query-status", NULL, 5000, NULL, why, sizeof(why)), -EBADMSG);
        assert_non_null(strstr(why, "belongs to no command"));
}

static void test_no_socket(void **state) {
        struct qmp *q = NULL;
        char why[256] = "";

        assert_int_equal(qmp_connect(path, 1000, &q, why, sizeof(why)), -ENOENT);
        assert_non_null(strstr(why, path));
}

static void test_parse(void **state) {
        static const struct {
                const char *line;
                int result;
                enum qmp_message_type type;
        } cases[] = {
                { GREETING, 0, QMP_GREETING },
                { "{\"return\": {}, \"id\": 3}", 0, QMP_RETURN },
                { "{\"return\": [1, 2]}\r", 0, QMP_RETURN },
                { "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}}", 0, QMP_ERROR },
                { "{\"event\": \"STOP\", \"timestamp\": {}}", 0, QMP_EVENT },
                { "{\"event\": \"STOP\", \"data\": {\"a\": 1}}", 0, QMP_EVENT },
                { "", -EBADMSG, 0 },
                { "\r", -EBADMSG, 0 },
                { "[1]", -EBADMSG, 0 },
                { "42", -EBADMSG, 0 },
                { "{\"QMP\": 1}", -EBADMSG, 0 },
                { "{\"error\": \"bad\"}", -EBADMSG, 0 },
                { "{\"error\": {\"class\": 1, \"desc\": \"x\"}}", -EBADMSG, 0 },
                { "{\"event\": 7}", -EBADMSG, 0 },
                { "{\"event\": \"X\", \"data\": []}", -EBADMSG, 0 },
                { "{\"return\": 1, \"return\": 2}", -EBADMSG, 0 },
                { "{\"x\": 1}", -EBADMSG, 0 },
                { "{\"return\": \"\xff\xfe\"}", -EBADMSG, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct qmp_message m = {0};
                char why[256] = "";
                int r = qmp_message_parse(cases[i].line, strlen(cases[i].line), &m, why, sizeof(why));

                if (r != cases[i].result)
                        fail_msg("case %zu '%s': %d (%s)", i, cases[i].line, r, why);
                if (r == 0) {
                        assert_int_equal(m.type, cases[i].type);
                        assert_non_null(m.json);
                } else
                        assert_true(why[0] != '\0');
                qmp_message_clear(&m);
        }
        /* A NUL in the middle of the line is bad JSON, not a truncation. */
        struct qmp_message m = {0};
        assert_int_equal(qmp_message_parse("{\"return\": {}}\0x", 16, &m, NULL, 0), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test_setup_teardown(test_status_event_and_error, setup, teardown),
                cmocka_unit_test_setup_teardown(test_malformed_greeting, setup, teardown),
                cmocka_unit_test_setup_teardown(test_not_qmp, setup, teardown),
                cmocka_unit_test_setup_teardown(test_huge_line, setup, teardown),
                cmocka_unit_test_setup_teardown(test_closed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
                cmocka_unit_test_setup_teardown(test_wrong_id, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_socket, setup, teardown),
        };

        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
