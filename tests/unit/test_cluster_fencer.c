/* Unit tests for fencer.h: the key=value text a fence agent gets, and
 * fake fence agents written by the test for each outcome (done, off,
 * failed, timed out, missing). The lab's own agent is only asked for its
 * metadata here: powering hosts off belongs to the lab tests. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include "fencer.h"
#include "util.h"

#define SOURCE_AGENTS TEST_DATA_DIR "/../../../src/cluster"

struct fixture {
        char dir[64];
        sd_event *loop;
        struct fencer *fencer;
};

struct outcome {
        bool done;
        enum fence_outcome outcome;
        int exit_code;
        char *output;
};

static void on_done(const struct fence_request *req, const struct fence_result *res, void *userdata) {
        struct outcome *o = userdata;

        o->done = true;
        o->outcome = res->outcome;
        o->exit_code = res->exit_code;
        free(o->output);
        o->output = strdup(res->output);
}

static enum fence_outcome run(struct fixture *f, struct fencer *fencer, const struct fence_request *req,
                              struct outcome *o) {
        int64_t deadline = now_usec(CLOCK_MONOTONIC) + 10 * 1000 * 1000;

        free(o->output);
        memset(o, 0, sizeof(*o));
        assert_int_equal(fencer_run(fencer, req, on_done, o), 0);
        while (!o->done) {
                assert_true(now_usec(CLOCK_MONOTONIC) < deadline);
                assert_true(sd_event_run(f->loop, 100 * 1000) >= 0);
        }
        return o->outcome;
}

static void write_agent(struct fixture *f, const char *name, const char *body) {
        _cleanup_free_ char *path = strjoin(f->dir, "/", name, NULL);
        _cleanup_free_ char *text = strjoin("#!/bin/sh\n", body, NULL);

        assert_int_equal(write_file(path, text), 0);
        assert_int_equal(chmod(path, 0755), 0);
}

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        strcpy(f->dir, "/tmp/test-fencer-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        assert_int_equal(sd_event_new(&f->loop), 0);
        assert_int_equal(fencer_new(f->loop, f->dir, &f->fencer), 0);
        fencer_set_kill_grace(f->fencer, 200 * 1000);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;

        fencer_free(f->fencer);
        sd_event_unref(f->loop);
        assert_int_equal(rm_rf(f->dir), 0);
        free(f);
        return 0;
}

static void test_request_text(void **state) {
        struct exec_param params[] = { { "ipaddr", "198.51.100.9" }, { "pcmk_host_list", "alice bob" },
                                       { "action", "on" }, { "login", "admin" } };
        struct fence_request req = { .agent = "fence_x", .action = "off", .target = "bob", .params = params,
                                     .n_params = 4 };
        _cleanup_free_ char *text = NULL;
        char *bad;

        assert_int_equal(fence_request_text(&req, &text), 0);
        assert_string_equal(text, "action=off\nplug=bob\nport=bob\nnodename=bob\nipaddr=198.51.100.9\n"
                                  "login=admin\n");
        /* pcmk_host_map names the plug; it is not passed on itself. */
        struct exec_param mapped[] = { { "pcmk_host_map", "alice:vm-a; bob=vm-b,carol:" } };
        struct fence_request mreq = { .agent = "fence_x", .action = "reboot", .target = "bob", .params = mapped,
                                      .n_params = 1 };
        assert_int_equal(fence_request_text(&mreq, &bad), 0);
        assert_string_equal(bad, "action=reboot\nplug=vm-b\nport=vm-b\nnodename=bob\n");
        free(bad);
        mreq.target = "carol";  /* an empty mapping: the node name */
        assert_int_equal(fence_request_text(&mreq, &bad), 0);
        assert_string_equal(bad, "action=reboot\nplug=carol\nport=carol\nnodename=carol\n");
        free(bad);
        mreq.target = "ali";    /* a prefix of alice is not alice */
        assert_int_equal(fence_request_text(&mreq, &bad), 0);
        assert_non_null(strstr(bad, "plug=ali\n"));
        free(bad);

        /* A newline would smuggle in another key. */
        params[0].value = "x\naction=on";
        assert_int_equal(fence_request_text(&req, &bad), -EINVAL);
        params[0].value = "198.51.100.9";
        req.target = NULL;      /* off needs a target */
        assert_int_equal(fence_request_text(&req, &bad), -EINVAL);
        req.action = "monitor"; /* monitor does not */
        assert_int_equal(fence_request_text(&req, &bad), 0);
        free(bad);
        req.action = "explode";
        assert_int_equal(fence_request_text(&req, &bad), -EINVAL);
        req.action = "monitor";
        req.agent = "/bin/sh";
        assert_int_equal(fence_request_text(&req, &bad), -EINVAL);
        req.agent = "sh";
        assert_int_equal(fence_request_text(&req, &bad), -EINVAL);
}

static void test_outcomes(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *seen = strjoin(f->dir, "/seen", NULL);
        _cleanup_free_ char *body = strjoin("cat > ", seen, "\n"
                                            "grep -q '^action=status' ", seen, " && exit 2\n"
                                            "grep -q '^plug=carol' ", seen, " && { echo 'no such plug' >&2; exit 1; }\n"
                                            "echo done\nexit 0\n", NULL);
        _cleanup_free_ char *got = NULL;
        struct exec_param params[] = { { "secret", "s3" } };
        struct fence_request req = { .agent = "fence_fake", .action = "off", .target = "bob", .params = params,
                                     .n_params = 1, .timeout_ms = 5000 };
        struct outcome o = { 0 };

        write_agent(f, "fence_fake", body);
        assert_int_equal(run(f, f->fencer, &req, &o), FENCE_OK);
        assert_int_equal(o.exit_code, 0);
        assert_string_equal(o.output, "done\n");
        assert_int_equal(read_file(seen, &got, NULL), 0);
        assert_string_equal(got, "action=off\nplug=bob\nport=bob\nnodename=bob\nsecret=s3\n");

        req.action = "status";
        assert_int_equal(run(f, f->fencer, &req, &o), FENCE_OFF);
        req.action = "reboot";
        req.target = "carol";
        assert_int_equal(run(f, f->fencer, &req, &o), FENCE_FAILED);
        assert_int_equal(o.exit_code, 1);

        write_agent(f, "fence_hang", "trap '' TERM\nwhile :; do sleep 0.05; done\n");
        req.agent = "fence_hang";
        req.timeout_ms = 200;
        assert_int_equal(run(f, f->fencer, &req, &o), FENCE_TIMEOUT);
        assert_int_equal(o.exit_code, -1);

        req.agent = "fence_absent";
        assert_int_equal(run(f, f->fencer, &req, &o), FENCE_NOT_INSTALLED);
        free(o.output);
}

static void test_lab_agent_metadata(void **state) {
        struct fixture *f = *state;
        struct fencer *src = NULL;
        struct fence_request req = { .agent = "fence_tandem_lab", .action = "metadata", .timeout_ms = 5000 };
        struct outcome o = { 0 };

        assert_int_equal(fencer_new(f->loop, SOURCE_AGENTS, &src), 0);
        assert_int_equal(run(f, src, &req, &o), FENCE_OK);
        assert_non_null(strstr(o.output, "<resource-agent name=\"fence_tandem_lab\""));
        assert_non_null(strstr(o.output, "<parameter name=\"plug\""));
        /* Without a host, an action that needs one fails without touching
         * any lab. */
        req.action = "validate-all";
        assert_int_equal(run(f, src, &req, &o), FENCE_FAILED);
        free(o.output);
        fencer_free(src);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_request_text),
                cmocka_unit_test_setup_teardown(test_outcomes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lab_agent_metadata, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
