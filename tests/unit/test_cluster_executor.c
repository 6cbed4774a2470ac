/* Unit tests for executor.h: real agents (ocf:heartbeat:Dummy from
 * resource-agents, ocf:pacemaker:Stateful from pacemaker) through their
 * life cycle, and agents written here for the environment, timeouts with
 * SIGTERM and SIGKILL of the process group, bad exit codes, huge output,
 * recurring monitors and the lrm_rsc_op element. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/stat.h>

#include "executor.h"
#include "lrm_history.h"
#include "util.h"

#define SYSTEM_OCF_ROOT "/usr/lib/ocf"

struct fixture {
        char dir[64];           /* also the OCF root of the test's agents */
        sd_event *loop;
        struct executor *sys;   /* agents installed on the machine */
        struct executor *mine;  /* agents written by the test */
};

struct outcome {
        bool done;
        int rc, status, call_id;
        uint32_t exec_ms;
        char *output, *reason;
        size_t output_len;
        unsigned calls;
};

static void outcome_clear(struct outcome *o) {
        free(o->output);
        free(o->reason);
        memset(o, 0, sizeof(*o));
}

static void on_done(const struct exec_request *req, const struct exec_result *res, void *userdata) {
        struct outcome *o = userdata;

        free(o->output);
        free(o->reason);
        o->done = true;
        o->calls++;
        o->rc = res->rc;
        o->status = res->status;
        o->call_id = res->call_id;
        o->exec_ms = res->exec_ms;
        o->output = strdup(res->output);
        o->output_len = strlen(res->output);
        o->reason = strdup(res->exit_reason);
}

/* Run the loop until o->done, at most max_ms. */
static void run_until(struct fixture *f, struct outcome *o, unsigned max_ms) {
        int64_t deadline = now_usec(CLOCK_MONOTONIC) + (int64_t) max_ms * 1000;

        while (!o->done) {
                assert_true(now_usec(CLOCK_MONOTONIC) < deadline);
                assert_true(sd_event_run(f->loop, 100 * 1000) >= 0);
        }
}

static int run(struct fixture *f, struct executor *ex, const struct exec_request *req, struct outcome *o) {
        outcome_clear(o);
        assert_true(executor_run(ex, req, on_done, o) > 0);
        run_until(f, o, 10000);
        return o->rc;
}

static void write_agent(struct fixture *f, const char *name, const char *body) {
        _cleanup_free_ char *dir = strjoin(f->dir, "/resource.d/test", NULL);
        _cleanup_free_ char *path = strjoin(dir, "/", name, NULL);
        _cleanup_free_ char *text = strjoin("#!/bin/sh\n", body, NULL);

        assert_int_equal(mkdir_p(dir, 0755), 0);
        assert_int_equal(write_file(path, text), 0);
        assert_int_equal(chmod(path, 0755), 0);
}

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        strcpy(f->dir, "/tmp/test-executor-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        assert_int_equal(sd_event_new(&f->loop), 0);
        assert_int_equal(executor_new(f->loop, SYSTEM_OCF_ROOT, &f->sys), 0);
        assert_int_equal(executor_new(f->loop, f->dir, &f->mine), 0);
        executor_set_kill_grace(f->mine, 300 * 1000);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;

        executor_free(f->sys);
        executor_free(f->mine);
        sd_event_unref(f->loop);
        assert_int_equal(rm_rf(f->dir), 0);
        free(f);
        return 0;
}

static void test_dummy_life_cycle(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *statefile = strjoin(f->dir, "/dummy.state", NULL);
        struct exec_param params[] = { { "state", statefile } };
        struct exec_request req = { .rsc_id = "d1", .provider = "heartbeat", .type = "Dummy",
                                    .params = params, .n_params = 1, .timeout_ms = 10000 };
        struct outcome o = { 0 };
        const char *steps[][2] = {
                { "monitor", "7" }, { "start", "0" }, { "monitor", "0" }, { "stop", "0" },
                { "monitor", "7" }, { "stop", "0" },
        };

        if (access(SYSTEM_OCF_ROOT "/resource.d/heartbeat/Dummy", X_OK) < 0)
                skip();
        for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
                req.action = steps[i][0];
                assert_int_equal(run(f, f->sys, &req, &o), atoi(steps[i][1]));
                assert_int_equal(o.status, EXEC_DONE);
        }
        req.action = "meta-data";
        assert_int_equal(run(f, f->sys, &req, &o), 0);
        assert_non_null(strstr(o.output, "<resource-agent name=\"Dummy\""));
        outcome_clear(&o);
}

static void test_stateful_promotable(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *statefile = strjoin(f->dir, "/stateful.state", NULL);
        struct exec_param params[] = { { "state", statefile } };
        struct exec_param meta[] = { { "clone-max", "2" }, { "promoted-max", "1" }, { "clone", "0" } };
        struct exec_request req = { .rsc_id = "st:0", .provider = "pacemaker", .type = "Stateful",
                                    .params = params, .n_params = 1, .meta = meta, .n_meta = 3,
                                    .timeout_ms = 10000, .node = "alice" };
        struct outcome o = { 0 };
        const char *steps[][2] = {
                { "start", "0" }, { "monitor", "0" }, { "promote", "0" }, { "monitor", "8" },
                { "demote", "0" }, { "monitor", "0" }, { "stop", "0" }, { "monitor", "7" },
        };

        if (access(SYSTEM_OCF_ROOT "/resource.d/pacemaker/Stateful", X_OK) < 0)
                skip();
        for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
                req.action = steps[i][0];
                assert_int_equal(run(f, f->sys, &req, &o), atoi(steps[i][1]));
        }
        /* A failed promoted instance, as the agent's test hook reports it. */
        _cleanup_free_ char *rcfile = strjoin(statefile, ".rc", NULL);
        assert_int_equal(write_file(rcfile, "9\n"), 0);
        req.action = "monitor";
        assert_int_equal(run(f, f->sys, &req, &o), OCF_FAILED_PROMOTED);
        assert_string_equal(o.reason, "9 GB redirected to /dev/null");
        outcome_clear(&o);
}

static void test_environment(void **state) {
        struct fixture *f = *state;
        struct exec_param params[] = { { "ip", "198.51.100.7" }, { "with space", "a b" } };
        struct exec_param meta[] = { { "clone-max", "2" }, { "notify_type", "pre" },
                                     { "notify_operation", "start" }, { "notify_start_uname", "bob" },
                                     { "notify_promoted_uname", "alice" }, { "promoted-max", "1" } };
        struct exec_request req = { .rsc_id = "vm1", .provider = "test", .type = "env", .action = "migrate_to",
                                    .params = params, .n_params = 2, .meta = meta, .n_meta = 6,
                                    .timeout_ms = 5000, .node = "alice", .migrate_source = "alice",
                                    .migrate_target = "bob" };
        struct outcome o = { 0 };
        const char *expect[] = {
                "OCF_ROOT=", "OCF_RA_VERSION_MAJOR=1", "OCF_RA_VERSION_MINOR=1", "OCF_RESOURCE_INSTANCE=vm1",
                "OCF_RESOURCE_TYPE=env", "OCF_RESOURCE_PROVIDER=test", "OCF_RESKEY_ip=198.51.100.7",
                "OCF_RESKEY_CRM_meta_timeout=5000", "OCF_RESKEY_CRM_meta_interval=0",
                "OCF_RESKEY_CRM_meta_name=migrate_to", "OCF_RESKEY_CRM_meta_on_node=alice",
                "OCF_RESKEY_CRM_meta_migrate_source=alice", "OCF_RESKEY_CRM_meta_migrate_target=bob",
                "OCF_RESKEY_CRM_meta_clone_max=2", "OCF_RESKEY_CRM_meta_notify_type=pre",
                "OCF_RESKEY_CRM_meta_notify_start_uname=bob", "ARG=migrate_to",
                "OCF_RESKEY_CRM_meta_notify_promoted_uname=alice", "OCF_RESKEY_CRM_meta_notify_master_uname=alice",
                "OCF_RESKEY_CRM_meta_promoted_max=1", "OCF_RESKEY_CRM_meta_master_max=1",
        };

        write_agent(f, "env", "env | grep '^OCF_' | sort; echo \"ARG=$1\"; exit 0\n");
        setenv("OCF_RESKEY_leak", "from the daemon", 1);
        assert_int_equal(run(f, f->mine, &req, &o), 0);
        unsetenv("OCF_RESKEY_leak");
        for (size_t i = 0; i < ELEMENTSOF(expect); i++)
                if (!strstr(o.output, expect[i]))
                        fail_msg("missing %s in:\n%s", expect[i], o.output);
        assert_null(strstr(o.output, "leak"));
        outcome_clear(&o);
}

static void test_exit_codes(void **state) {
        struct fixture *f = *state;
        struct exec_request req = { .rsc_id = "r", .provider = "test", .type = "code", .timeout_ms = 5000 };
        struct outcome o = { 0 };
        char action[8];

        /* The action is the exit code to give. */
        write_agent(f, "code", "echo 'ocf-exit-reason:first' >&2\necho \"ocf-exit-reason:code $1\" >&2\nexit $1\n");
        for (int code = 0; code <= 9; code++) {
                snprintf(action, sizeof(action), "%d", code);
                req.action = action;
                assert_int_equal(run(f, f->mine, &req, &o), code);
                assert_int_equal(o.status, EXEC_DONE);
        }
        assert_string_equal(o.reason, "code 9");
        req.action = "42";      /* not an OCF code */
        assert_int_equal(run(f, f->mine, &req, &o), OCF_ERR_GENERIC);
        assert_int_equal(o.status, EXEC_ERROR);
        /* Killed by a signal. */
        write_agent(f, "crash", "kill -SEGV $$\n");
        req.type = "crash";
        assert_int_equal(run(f, f->mine, &req, &o), OCF_ERR_GENERIC);
        assert_int_equal(o.status, EXEC_ERROR);
        /* Not there: not installed. Not executable: no permission. */
        req.type = "absent";
        assert_int_equal(run(f, f->mine, &req, &o), OCF_ERR_INSTALLED);
        assert_int_equal(o.status, EXEC_NOT_INSTALLED);
        write_agent(f, "noexec", "exit 0\n");
        _cleanup_free_ char *p = strjoin(f->dir, "/resource.d/test/noexec", NULL);
        assert_int_equal(chmod(p, 0644), 0);
        req.type = "noexec";
        /* Even root may not execute a file without any x bit. */
        assert_int_equal(run(f, f->mine, &req, &o), OCF_ERR_PERM);
        /* Requests that cannot name an agent safely. */
        req.provider = "../../../bin";
        assert_int_equal(executor_run(f->mine, &req, on_done, &o), -EINVAL);
        outcome_clear(&o);
}

static bool pid_alive(const char *pidfile) {
        _cleanup_free_ char *text = NULL, *statpath = NULL, *stat = NULL;
        const char *st;

        if (read_file(pidfile, &text, NULL) < 0)
                return false;
        text[strcspn(text, "\n")] = '\0';
        statpath = strjoin("/proc/", text, "/stat", NULL);
        if (read_file(statpath, &stat, NULL) < 0)
                return false;
        st = strrchr(stat, ')');
        return st && st[2] != 'Z';
}

static void test_timeouts(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *pidfile = strjoin(f->dir, "/grandchild.pid", NULL);
        _cleanup_free_ char *body = NULL;
        struct exec_request req = { .rsc_id = "r", .provider = "test", .type = "slow", .action = "start",
                                    .timeout_ms = 200 };
        struct outcome o = { 0 };

        /* SIGTERM ends it, and the child it left in its group too. */
        body = strjoin("sleep 30 &\necho $! > ", pidfile, "\nsleep 30\n", NULL);
        write_agent(f, "slow", body);
        assert_int_equal(run(f, f->mine, &req, &o), OCF_ERR_GENERIC);
        assert_int_equal(o.status, EXEC_TIMEOUT);
        assert_true(o.exec_ms >= 200 && o.exec_ms < 2000);
        for (int i = 0; i < 50 && pid_alive(pidfile); i++)
                usleep(20 * 1000);
        assert_false(pid_alive(pidfile));

        /* An agent that ignores SIGTERM gets SIGKILL after the grace. */
        write_agent(f, "stubborn", "trap '' TERM\nwhile :; do sleep 0.05; done\n");
        req.type = "stubborn";
        assert_int_equal(run(f, f->mine, &req, &o), OCF_ERR_GENERIC);
        assert_int_equal(o.status, EXEC_TIMEOUT);
        assert_true(o.exec_ms >= 500);

        /* Cancelled while running. */
        outcome_clear(&o);
        req.type = "slow";
        req.timeout_ms = 10000;
        int id = executor_run(f->mine, &req, on_done, &o);
        assert_true(id > 0);
        assert_int_equal(executor_running(f->mine), 1);
        assert_int_equal(executor_cancel(f->mine, id), 0);
        assert_true(o.done);
        assert_int_equal(o.status, EXEC_CANCELLED);
        assert_int_equal(executor_running(f->mine), 0);
        assert_int_equal(executor_cancel(f->mine, id), -ENOENT);
        outcome_clear(&o);
}

static void test_huge_output(void **state) {
        struct fixture *f = *state;
        struct exec_request req = { .rsc_id = "r", .provider = "test", .type = "huge", .action = "start",
                                    .timeout_ms = 10000 };
        struct outcome o = { 0 };

        write_agent(f, "huge", "head -c 8000000 /dev/zero | tr '\\0' x\necho\necho END\nexit 0\n");
        assert_int_equal(run(f, f->mine, &req, &o), 0);
        assert_int_equal(o.output_len, 64 * 1024);
        assert_string_equal(o.output + o.output_len - 4, "END\n");
        outcome_clear(&o);
}

static void test_recurring(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *rcfile = strjoin(f->dir, "/rc", NULL);
        _cleanup_free_ char *runs = strjoin(f->dir, "/runs", NULL);
        _cleanup_free_ char *body = strjoin("echo run >> ", runs, "\nexit $(cat ", rcfile, ")\n", NULL);
        _cleanup_free_ char *log = NULL;
        struct exec_request req = { .rsc_id = "r", .provider = "test", .type = "flip", .action = "monitor",
                                    .interval_ms = 50, .timeout_ms = 5000 };
        struct exec_recurring *rec = NULL;
        struct outcome o = { 0 };
        size_t n_runs = 0;

        write_agent(f, "flip", body);
        assert_int_equal(write_file(rcfile, "0\n"), 0);
        assert_int_equal(executor_recurring_start(f->mine, &req, on_done, &o, &rec), 0);
        run_until(f, &o, 5000);
        assert_int_equal(o.rc, 0);
        assert_int_equal(o.calls, 1);
        /* Several runs with the same result: no further callback. */
        for (int i = 0; i < 4; i++)
                assert_true(sd_event_run(f->loop, 100 * 1000) >= 0);
        assert_int_equal(o.calls, 1);
        assert_int_equal(write_file(rcfile, "7\n"), 0);
        o.done = false;
        run_until(f, &o, 5000);
        assert_int_equal(o.rc, OCF_NOT_RUNNING);
        assert_int_equal(o.calls, 2);
        executor_recurring_stop(rec);
        assert_int_equal(read_file(runs, &log, NULL), 0);
        for (const char *p = log; (p = strstr(p, "run")); p++)
                n_runs++;
        assert_true(n_runs >= 3);
        assert_int_equal(executor_running(f->mine), 0);
        outcome_clear(&o);
}

static void on_done_counted(const struct exec_request *req, const struct exec_result *res, void *userdata) {
        struct outcome *o = userdata;

        on_done(req, res, userdata);
        o->exec_ms = res->queue_ms;     /* what this test looks at */
}

static void test_one_at_a_time(void **state) {
        struct fixture *f = *state;
        _cleanup_free_ char *body = strjoin("log=", f->dir, "/log-$OCF_RESOURCE_INSTANCE\n"
                                            "echo \"start $1\" >> $log\nsleep 0.1\necho \"end $1\" >> $log\n", NULL);
        _cleanup_free_ char *log = NULL, *path = strjoin(f->dir, "/log-a", NULL);
        struct exec_request req = { .rsc_id = "a", .provider = "test", .type = "serial", .timeout_ms = 5000 };
        struct outcome o[4] = { 0 };
        const char *actions[] = { "start", "monitor", "stop" };

        write_agent(f, "serial", body);
        for (int i = 0; i < 3; i++) {
                req.action = actions[i];
                assert_true(executor_run(f->mine, &req, on_done_counted, &o[i]) > 0);
        }
        req.rsc_id = "b";
        req.action = "start";
        assert_true(executor_run(f->mine, &req, on_done_counted, &o[3]) > 0);
        /* a's first operation and b's run; a's others wait. */
        assert_int_equal(executor_running(f->mine), 2);
        for (int i = 0; i < 4; i++)
                run_until(f, &o[i], 5000);
        assert_int_equal(read_file(path, &log, NULL), 0);
        assert_string_equal(log, "start start\nend start\nstart monitor\nend monitor\nstart stop\nend stop\n");
        assert_true(o[0].exec_ms < 100);        /* queue-time */
        assert_true(o[2].exec_ms >= 150);
        assert_true(o[3].exec_ms < 100);
        for (int i = 0; i < 4; i++)
                outcome_clear(&o[i]);
}

static const char *attr(xmlNode *n, const char *name, char *buf, size_t size) {
        xmlChar *v = xmlGetProp(n, (const xmlChar *) name);

        snprintf(buf, size, "%s", v ? (const char *) v : "(none)");
        xmlFree(v);
        return buf;
}

static void test_lrm_rsc_op(void **state) {
        struct exec_request req = { .rsc_id = "d1", .provider = "heartbeat", .type = "Dummy", .action = "start",
                                    .node = "alice" };
        struct exec_result res = { .call_id = 12, .rc = 1, .status = EXEC_TIMEOUT, .exit_reason = "",
                                   .exec_ms = 20001, .last_run = 1700000000, .last_rc_change = 1700000000 };
        xmlNode *n = NULL;
        char b[128];

        assert_int_equal(exec_op_xml(NULL, &req, &res, "3:7:0:6d2e0c0a-1111-2222-3333-444455556666", true, &n), 0);
        assert_string_equal(attr(n, "id", b, sizeof(b)), "d1_last_failure_0");
        assert_string_equal(attr(n, "operation_key", b, sizeof(b)), "d1_start_0");
        assert_string_equal(attr(n, "operation", b, sizeof(b)), "start");
        assert_string_equal(attr(n, "transition-magic", b, sizeof(b)),
                            "2:1;3:7:0:6d2e0c0a-1111-2222-3333-444455556666");
        assert_string_equal(attr(n, "call-id", b, sizeof(b)), "12");
        assert_string_equal(attr(n, "rc-code", b, sizeof(b)), "1");
        assert_string_equal(attr(n, "op-status", b, sizeof(b)), "2");
        assert_string_equal(attr(n, "interval", b, sizeof(b)), "0");
        assert_string_equal(attr(n, "last-run", b, sizeof(b)), "1700000000");
        assert_string_equal(attr(n, "exec-time", b, sizeof(b)), "20001");
        assert_string_equal(attr(n, "on_node", b, sizeof(b)), "alice");
        xmlFreeNode(n);

        req.action = "monitor";
        req.interval_ms = 10000;
        res.status = EXEC_DONE;
        res.rc = 0;
        assert_int_equal(exec_op_xml(NULL, &req, &res, NULL, false, &n), 0);
        assert_string_equal(attr(n, "id", b, sizeof(b)), "d1_monitor_10000");
        assert_string_equal(attr(n, "transition-key", b, sizeof(b)), "(none)");
        assert_string_equal(attr(n, "last-run", b, sizeof(b)), "(none)");
        xmlFreeNode(n);

        req.action = "migrate_to";
        req.interval_ms = 0;
        req.migrate_source = "alice";
        req.migrate_target = "bob";
        assert_int_equal(exec_op_xml(NULL, &req, &res, NULL, false, &n), 0);
        assert_string_equal(attr(n, "id", b, sizeof(b)), "d1_last_0");
        assert_string_equal(attr(n, "migrate_target", b, sizeof(b)), "bob");
        xmlFreeNode(n);
        assert_string_equal(exec_rc_to_string(8), "promoted");
        assert_string_equal(exec_status_to_string(EXEC_TIMEOUT), "Timed Out");
}

/* Record res into *cib through a change, as every member would. */
static void record(xmlDoc **cib, const struct exec_request *req, const struct exec_result *res, bool failure) {
        struct cib_msg *m = NULL;
        xmlDoc *next = NULL;
        char why[256] = "";

        assert_int_equal(lrm_history_change(*cib, 1, 0, "1", "alice", req, res, NULL, failure, &m), 0);
        if (cib_sync_apply(*cib, m, &next, why, sizeof(why)) < 0)
                fail_msg("%s", why);
        cib_msg_free(m);
        xmlFreeDoc(*cib);
        *cib = next;
}

static unsigned count_ops(xmlDoc *cib) {
        xmlNode *rsc = cib_sync_find(cib, "/cib/status/node_state[@id='1']/lrm[@id='1']/lrm_resources/"
                                          "lrm_resource[@id='d1']");
        unsigned n = 0;

        assert_non_null(rsc);
        for (xmlNode *c = rsc->children; c; c = c->next)
                n += c->type == XML_ELEMENT_NODE;
        return n;
}

static void test_lrm_history(void **state) {
        struct exec_request req = { .rsc_id = "d1", .provider = "heartbeat", .type = "Dummy", .action = "start",
                                    .node = "alice" };
        struct exec_result res = { .call_id = 1, .rc = 0, .status = EXEC_DONE, .exit_reason = "" };
        struct cib_version v;
        xmlDoc *cib = NULL;
        char b[64];

        assert_int_equal(cib_doc_new_empty(&cib), 0);
        record(&cib, &req, &res, false);        /* creates node_state .. lrm_rsc_op */
        assert_int_equal(count_ops(cib), 1);
        assert_string_equal(attr(cib_sync_find(cib, "/cib/status/node_state[@id='1']"), "uname", b, sizeof(b)),
                            "alice");
        req.action = "monitor";
        req.interval_ms = 10000;
        res.call_id = 2;
        record(&cib, &req, &res, false);        /* a second entry */
        assert_int_equal(count_ops(cib), 2);
        req.action = "stop";
        req.interval_ms = 0;
        res.call_id = 3;
        record(&cib, &req, &res, false);        /* replaces d1_last_0 */
        assert_int_equal(count_ops(cib), 2);
        xmlNode *last = cib_sync_find(cib, "/cib/status/node_state[@id='1']/lrm[@id='1']/lrm_resources/"
                                           "lrm_resource[@id='d1']/lrm_rsc_op[@id='d1_last_0']");
        assert_string_equal(attr(last, "operation", b, sizeof(b)), "stop");
        assert_string_equal(attr(last, "call-id", b, sizeof(b)), "3");
        /* Status only: num_updates counted, epoch untouched. */
        assert_int_equal(cib_doc_version(cib, &v), 0);
        assert_true(v.epoch == 0 && v.num_updates == 3);
        xmlFreeDoc(cib);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_dummy_life_cycle, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stateful_promotable, setup, teardown),
                cmocka_unit_test_setup_teardown(test_environment, setup, teardown),
                cmocka_unit_test_setup_teardown(test_exit_codes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_timeouts, setup, teardown),
                cmocka_unit_test_setup_teardown(test_huge_output, setup, teardown),
                cmocka_unit_test_setup_teardown(test_recurring, setup, teardown),
                cmocka_unit_test_setup_teardown(test_one_at_a_time, setup, teardown),
                cmocka_unit_test(test_lrm_rsc_op),
                cmocka_unit_test(test_lrm_history),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
