/* executor.c: OCF resource agents run on the event loop (see executor.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "build-config.h"
#include "child.h"
#include "executor.h"
#include "util.h"

#define DEFAULT_TIMEOUT_MS 20000
#define EXEC_OUTPUT_MAX (64 * 1024)
#define EXEC_METADATA_MAX (4 * 1024 * 1024)
#define CRM_FEATURE_SET "3.17.4"

extern char **environ;

/* An owned copy of a request. */
struct req_copy {
        struct exec_request req;
        struct exec_param *params, *meta;
};

struct exec_op {
        struct executor *ex;
        struct exec_op *next, *prev;
        struct req_copy rc;
        int call_id;
        struct child *child;    /* NULL while waiting for its turn */
        bool started;
        uint64_t queued_usec, started_usec;  /* CLOCK_MONOTONIC */
        time_t last_run;
        exec_done_t done;
        void *userdata;
};

struct exec_recurring {
        struct executor *ex;
        struct exec_recurring *next, *prev;
        struct req_copy rc;
        int call_id;            /* one call id for all runs, as Pacemaker */
        struct child *child;
        time_t last_run;
        sd_event_source *timer;
        bool due;               /* its interval passed while the resource was busy */
        bool have_last, in_callback, stopped;
        int last_rc;
        enum exec_status last_status;
        time_t last_change;
        exec_done_t on_change;
        void *userdata;
};

struct executor {
        sd_event *loop;
        char *ocf_root;
        int next_call_id;
        uint64_t kill_grace_usec;
        struct exec_op *ops;
        struct exec_recurring *recurring;
};

/* ---- requests ---- */

static bool safe_word(const char *s) {
        return s && *s && !strchr(s, '/') && s[0] != '.' && strlen(s) < 256;
}

static bool valid_params(const struct exec_param *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!p[i].name || !*p[i].name || strchr(p[i].name, '=') || !p[i].value)
                        return false;
        return true;
}

static int check_request(const struct exec_request *r) {
        if (!r->rsc_id || !*r->rsc_id || !safe_word(r->provider) || !safe_word(r->type) ||
            !safe_word(r->action) || !valid_params(r->params, r->n_params) || !valid_params(r->meta, r->n_meta))
                return -EINVAL;
        return 0;
}

static void params_free(struct exec_param *p, size_t n) {
        for (size_t i = 0; p && i < n; i++) {
                free((char *) p[i].name);
                free((char *) p[i].value);
        }
        free(p);
}

static void req_copy_done(struct req_copy *c) {
        struct exec_request *r = &c->req;

        free((char *) r->rsc_id);
        free((char *) r->provider);
        free((char *) r->type);
        free((char *) r->action);
        free((char *) r->node);
        free((char *) r->migrate_source);
        free((char *) r->migrate_target);
        params_free(c->params, r->n_params);
        params_free(c->meta, r->n_meta);
}

static bool dup_str(const char *s, const char **ret) {
        *ret = s ? strdup(s) : NULL;
        return !s || *ret;
}

static struct exec_param *dup_params(const struct exec_param *p, size_t n, bool *ok) {
        struct exec_param *c;

        if (n == 0)
                return NULL;
        c = calloc(n, sizeof(*c));
        if (!c) {
                *ok = false;
                return NULL;
        }
        for (size_t i = 0; i < n; i++)
                if (!dup_str(p[i].name, &c[i].name) || !dup_str(p[i].value, &c[i].value))
                        *ok = false;
        return c;
}

static int req_copy_init(struct req_copy *c, const struct exec_request *r) {
        bool ok = true;

        memset(c, 0, sizeof(*c));
        c->req.interval_ms = r->interval_ms;
        c->req.timeout_ms = r->timeout_ms ? r->timeout_ms : DEFAULT_TIMEOUT_MS;
        c->req.n_params = r->n_params;
        c->req.n_meta = r->n_meta;
        ok = dup_str(r->rsc_id, &c->req.rsc_id) && dup_str(r->provider, &c->req.provider) &&
             dup_str(r->type, &c->req.type) && dup_str(r->action, &c->req.action) &&
             dup_str(r->node, &c->req.node) && dup_str(r->migrate_source, &c->req.migrate_source) &&
             dup_str(r->migrate_target, &c->req.migrate_target);
        c->params = dup_params(r->params, r->n_params, &ok);
        c->meta = dup_params(r->meta, r->n_meta, &ok);
        c->req.params = c->params;
        c->req.meta = c->meta;
        if (!ok) {
                req_copy_done(c);
                return -ENOMEM;
        }
        return 0;
}

/* ---- the agent's environment ---- */

struct env {
        char **v;
        size_t n, cap;
        bool failed;
};

static void env_add(struct env *e, const char *fmt, ...) _printf_(2, 3);
static void env_add(struct env *e, const char *fmt, ...) {
        va_list ap;
        char *s;

        if (e->failed)
                return;
        if (e->n + 2 > e->cap) {
                size_t ncap = e->cap ? 2 * e->cap : 64;
                char **v = reallocarray(e->v, ncap, sizeof(*v));
                if (!v) {
                        e->failed = true;
                        return;
                }
                e->v = v;
                e->cap = ncap;
        }
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0) {
                e->failed = true;
                s = NULL;
        }
        va_end(ap);
        if (s) {
                e->v[e->n++] = s;
                e->v[e->n] = NULL;
        }
}

static void env_free(struct env *e) {
        for (size_t i = 0; i < e->n; i++)
                free(e->v[i]);
        free(e->v);
}

/* The meta attribute name as Pacemaker exports it: '-' becomes '_'. */
static void env_add_meta(struct env *e, const char *name, const char *value) {
        _cleanup_free_ char *n = strdup(name);

        if (!n) {
                e->failed = true;
                return;
        }
        for (char *p = n; *p; p++)
                if (*p == '-')
                        *p = '_';
        env_add(e, "OCF_RESKEY_CRM_meta_%s=%s", n, value);
}

static bool has_meta(const struct exec_request *r, const char *name) {
        for (size_t i = 0; i < r->n_meta; i++)
                if (streq(r->meta[i].name, name))
                        return true;
        return false;
}

/* Stock agents written before Pacemaker 2.1 (ocf:linbit:drbd, ...) read
 * the old words: each promoted/unpromoted variable is also exported
 * under its master/slave name, unless the request gives that itself. */
static void add_legacy_alias(struct env *e, const struct exec_request *r, const char *name, const char *value) {
        static const char *const words[][2] = {
                { "notify_promoted_", "notify_master_" },
                { "notify_unpromoted_", "notify_slave_" },
                { "promoted-max", "master-max" },
                { "promoted_max", "master_max" },
                { "promoted-node-max", "master-node-max" },
                { "promoted_node_max", "master_node_max" },
        };

        for (size_t i = 0; i < ELEMENTSOF(words); i++) {
                const char *rest = startswith(name, words[i][0]);
                _cleanup_free_ char *alias = NULL;

                if (!rest || (*rest && words[i][0][strlen(words[i][0]) - 1] != '_'))
                        continue;
                alias = strjoin(words[i][1], rest, NULL);
                if (!alias) {
                        e->failed = true;
                        return;
                }
                if (!has_meta(r, alias))
                        env_add_meta(e, alias, value);
                return;
        }
}

/* The daemon's environment without its own OCF_ variables, plus the
 * agent's. */
static int build_env(const struct executor *ex, const struct exec_request *r, struct env *e) {
        for (char **p = environ; p && *p; p++)
                if (!startswith(*p, "OCF_"))
                        env_add(e, "%s", *p);
        env_add(e, "OCF_ROOT=%s", ex->ocf_root);
        env_add(e, "OCF_RA_VERSION_MAJOR=1");
        env_add(e, "OCF_RA_VERSION_MINOR=1");
        env_add(e, "OCF_RESOURCE_INSTANCE=%s", r->rsc_id);
        env_add(e, "OCF_RESOURCE_TYPE=%s", r->type);
        env_add(e, "OCF_RESOURCE_PROVIDER=%s", r->provider);
        env_add(e, "OCF_RESKEY_crm_feature_set=%s", CRM_FEATURE_SET);
        for (size_t i = 0; i < r->n_params; i++)
                env_add(e, "OCF_RESKEY_%s=%s", r->params[i].name, r->params[i].value);
        env_add(e, "OCF_RESKEY_CRM_meta_timeout=%u", r->timeout_ms);
        env_add(e, "OCF_RESKEY_CRM_meta_interval=%u", r->interval_ms);
        env_add(e, "OCF_RESKEY_CRM_meta_name=%s", r->action);
        if (r->node)
                env_add(e, "OCF_RESKEY_CRM_meta_on_node=%s", r->node);
        if (r->migrate_source)
                env_add(e, "OCF_RESKEY_CRM_meta_migrate_source=%s", r->migrate_source);
        if (r->migrate_target)
                env_add(e, "OCF_RESKEY_CRM_meta_migrate_target=%s", r->migrate_target);
        for (size_t i = 0; i < r->n_meta; i++) {
                env_add_meta(e, r->meta[i].name, r->meta[i].value);
                add_legacy_alias(e, r, r->meta[i].name, r->meta[i].value);
        }
        return e->failed ? -ENOMEM : 0;
}

/* ---- results ---- */

/* The text after the last "ocf-exit-reason:" at the start of a line of
 * stderr (ocf_exit_reason in ocf-shellfuncs writes it), into buf. */
static const char *exit_reason(const char *err, char *buf, size_t size) {
        const char *found = NULL, *tag = "ocf-exit-reason:";

        for (const char *p = err; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (startswith(p, tag))
                        found = p + strlen(tag);
        if (!found)
                return "";
        snprintf(buf, size, "%.*s", (int) strcspn(found, "\n"), found);
        return buf;
}

static bool known_rc(int rc) {
        return (rc >= OCF_SUCCESS && rc <= OCF_FAILED_PROMOTED) || rc == OCF_DEGRADED ||
               rc == OCF_DEGRADED_PROMOTED;
}

static void map_result(const struct child_result *cr, struct exec_result *res) {
        res->rc = OCF_ERR_GENERIC;
        switch (cr->end) {
        case CHILD_EXITED:
                if (known_rc(cr->status)) {
                        res->rc = cr->status;
                        res->status = EXEC_DONE;
                } else
                        res->status = EXEC_ERROR;
                break;
        case CHILD_SIGNALED:
                res->status = EXEC_ERROR;
                break;
        case CHILD_TIMED_OUT:
                res->status = EXEC_TIMEOUT;
                break;
        case CHILD_EXEC_FAILED:
                if (cr->status == ENOENT) {
                        res->rc = OCF_ERR_INSTALLED;
                        res->status = EXEC_NOT_INSTALLED;
                } else {
                        res->rc = cr->status == EACCES ? OCF_ERR_PERM : OCF_ERR_GENERIC;
                        res->status = EXEC_ERROR;
                }
                break;
        }
        res->output = cr->out;
        res->errout = cr->err;
        res->exec_ms = (uint32_t) (cr->runtime_usec / 1000);
}

/* ---- running ---- */

static int spawn_agent(struct executor *ex, const struct exec_request *r, child_done_t done, void *userdata,
                       struct child **ret) {
        _cleanup_free_ char *path = strjoin(ex->ocf_root, "/resource.d/", r->provider, "/", r->type, NULL);
        struct env e = { 0 };
        char *argv[] = { path, (char *) r->action, NULL };
        struct child_spec spec;
        int rr;

        if (!path)
                return -ENOMEM;
        rr = build_env(ex, r, &e);
        if (rr >= 0) {
                spec = (struct child_spec) {
                        .path = path,
                        .argv = argv,
                        .envp = e.v,
                        .timeout_usec = (uint64_t) r->timeout_ms * 1000,
                        .kill_grace_usec = ex->kill_grace_usec,
                        /* meta-data is read whole, never cut. */
                        .output_max = streq(r->action, "meta-data") ? EXEC_METADATA_MAX : EXEC_OUTPUT_MAX,
                };
                rr = child_spawn(ex->loop, &spec, done, userdata, ret);
        }
        env_free(&e);
        return rr;
}

static void op_unlink(struct exec_op *op) {
        if (op->prev)
                op->prev->next = op->next;
        else
                op->ex->ops = op->next;
        if (op->next)
                op->next->prev = op->prev;
}

static void op_free(struct exec_op *op) {
        req_copy_done(&op->rc);
        free(op);
}

/* Operations on one resource run one at a time, in the order asked (as
 * in Pacemaker's executor: a stop never overlaps a monitor); operations
 * on different resources run side by side. */
static bool rsc_running(const struct executor *ex, const char *rsc_id) {
        for (struct exec_op *op = ex->ops; op; op = op->next)
                if (op->started && streq(op->rc.req.rsc_id, rsc_id))
                        return true;
        for (struct exec_recurring *r = ex->recurring; r; r = r->next)
                if (r->child && streq(r->rc.req.rsc_id, rsc_id))
                        return true;
        return false;
}

/* Running, or with operations waiting for their turn. */
static bool rsc_busy(const struct executor *ex, const char *rsc_id) {
        for (struct exec_op *op = ex->ops; op; op = op->next)
                if (streq(op->rc.req.rsc_id, rsc_id))
                        return true;
        return rsc_running(ex, rsc_id);
}

static void on_op_done(const struct child_result *cr, void *userdata);
static int recurring_run(struct exec_recurring *r);
static void recurring_free(struct exec_recurring *r);
static void recurring_reschedule(struct exec_recurring *r);

static int op_start(struct exec_op *op) {
        int r;

        op->last_run = time(NULL);
        op->started_usec = (uint64_t) now_usec(CLOCK_MONOTONIC);
        r = spawn_agent(op->ex, &op->rc.req, on_op_done, op, &op->child);
        op->started = r >= 0;
        return r;
}

/* The result of an operation that ends without its agent running. */
static void op_end_early(struct exec_op *op, enum exec_status status, const char *reason) {
        struct exec_result res = { .call_id = op->call_id, .rc = OCF_ERR_GENERIC, .status = status,
                                   .output = "", .errout = "", .exit_reason = reason,
                                   .last_run = time(NULL) };

        res.last_rc_change = res.last_run;
        op_unlink(op);
        op->done(&op->rc.req, &res, op->userdata);
        op_free(op);
}

/* Whatever waits on rsc_id, now that nothing of it runs: the oldest
 * waiting operation, else a recurring operation that came due. */
static void kick(struct executor *ex, const char *rsc_id) {
        for (;;) {
                struct exec_op *op;

                if (rsc_running(ex, rsc_id))
                        return;
                for (op = ex->ops; op && (op->started || !streq(op->rc.req.rsc_id, rsc_id)); op = op->next)
                        ;
                if (!op)
                        break;
                if (op_start(op) >= 0)
                        return;
                op_end_early(op, EXEC_ERROR, "cannot start the agent");
        }
        for (struct exec_recurring *r = ex->recurring; r; r = r->next)
                if (r->due && streq(r->rc.req.rsc_id, rsc_id)) {
                        r->due = false;
                        if (recurring_run(r) < 0)
                                recurring_reschedule(r);
                        return;
                }
}

static void on_op_done(const struct child_result *cr, void *userdata) {
        struct exec_op *op = userdata;
        struct exec_result res = { .call_id = op->call_id, .last_run = op->last_run, .last_rc_change = op->last_run };
        struct executor *ex = op->ex;
        _cleanup_free_ char *rsc_id = NULL;
        char reason[512];

        map_result(cr, &res);
        res.exit_reason = exit_reason(cr->err, reason, sizeof(reason));
        res.queue_ms = (uint32_t) ((op->started_usec - op->queued_usec) / 1000);
        op->child = NULL;
        op->started = false;
        op_unlink(op);
        op->done(&op->rc.req, &res, op->userdata);
        rsc_id = (char *) TAKE_PTR(op->rc.req.rsc_id);
        op_free(op);
        if (rsc_id)
                kick(ex, rsc_id);
}

int executor_new(sd_event *e, const char *ocf_root, struct executor **ret) {
        struct executor *ex = calloc(1, sizeof(*ex));

        if (!ex)
                return -ENOMEM;
        ex->ocf_root = strdup(ocf_root ? ocf_root : TANDEM_OCF_ROOT);
        if (!ex->ocf_root) {
                free(ex);
                return -ENOMEM;
        }
        ex->loop = sd_event_ref(e);
        ex->next_call_id = 1;
        *ret = ex;
        return 0;
}

void executor_free(struct executor *ex) {
        if (!ex)
                return;
        /* Operations first, so that nothing waiting starts as the
         * recurring ones go. */
        while (ex->ops) {
                struct exec_op *op = ex->ops;
                child_kill(op->child);
                op_unlink(op);
                op_free(op);
        }
        while (ex->recurring)
                recurring_free(ex->recurring);
        sd_event_unref(ex->loop);
        free(ex->ocf_root);
        free(ex);
}

void executor_set_kill_grace(struct executor *ex, uint64_t usec) {
        ex->kill_grace_usec = usec;
}

static int next_call_id(struct executor *ex) {
        int id = ex->next_call_id++;

        if (ex->next_call_id <= 0)
                ex->next_call_id = 1;
        return id;
}

int executor_run(struct executor *ex, const struct exec_request *req, exec_done_t done, void *userdata) {
        struct exec_op *op;
        int r;

        if (!done || check_request(req) < 0)
                return -EINVAL;
        op = calloc(1, sizeof(*op));
        if (!op)
                return -ENOMEM;
        r = req_copy_init(&op->rc, req);
        if (r < 0) {
                free(op);
                return r;
        }
        op->ex = ex;
        op->done = done;
        op->userdata = userdata;
        op->queued_usec = (uint64_t) now_usec(CLOCK_MONOTONIC);
        if (!rsc_busy(ex, req->rsc_id)) {
                r = op_start(op);
                if (r < 0) {
                        op_free(op);
                        return r;
                }
        }
        op->call_id = next_call_id(ex);
        /* Appended: the list is the order operations were asked in. */
        if (!ex->ops)
                ex->ops = op;
        else {
                struct exec_op *last = ex->ops;
                while (last->next)
                        last = last->next;
                last->next = op;
                op->prev = last;
        }
        return op->call_id;
}

int executor_cancel(struct executor *ex, int call_id) {
        struct exec_op *op;
        struct exec_result res = { .call_id = call_id, .rc = OCF_ERR_GENERIC, .status = EXEC_CANCELLED,
                                   .output = "", .errout = "", .exit_reason = "" };

        for (op = ex->ops; op && op->call_id != call_id; op = op->next)
                ;
        if (!op)
                return -ENOENT;
        child_kill(op->child);
        op->child = NULL;
        op->started = false;
        op_unlink(op);
        res.last_run = res.last_rc_change = op->last_run;
        op->done(&op->rc.req, &res, op->userdata);
        _cleanup_free_ char *rsc_id = (char *) TAKE_PTR(op->rc.req.rsc_id);
        op_free(op);
        if (rsc_id)
                kick(ex, rsc_id);
        return 0;
}

unsigned executor_running(const struct executor *ex) {
        unsigned n = 0;

        for (struct exec_op *op = ex->ops; op; op = op->next)
                n += op->started;
        for (struct exec_recurring *r = ex->recurring; r; r = r->next)
                n += r->child != NULL;
        return n;
}

/* ---- recurring operations ---- */

static void recurring_free(struct exec_recurring *r) {
        if (r->prev)
                r->prev->next = r->next;
        else
                r->ex->recurring = r->next;
        if (r->next)
                r->next->prev = r->prev;
        child_kill(r->child);
        sd_event_source_disable_unref(r->timer);
        req_copy_done(&r->rc);
        free(r);
}

static int on_recurring_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct exec_recurring *r = userdata;

        r->timer = sd_event_source_disable_unref(r->timer);
        if (rsc_busy(r->ex, r->rc.req.rsc_id))
                r->due = true;          /* runs when the resource is free */
        else if (recurring_run(r) < 0)
                recurring_reschedule(r);
        return 0;
}

static void recurring_reschedule(struct exec_recurring *r) {
        r->timer = sd_event_source_disable_unref(r->timer);
        (void) sd_event_add_time_relative(r->ex->loop, &r->timer, CLOCK_MONOTONIC,
                                          (uint64_t) r->rc.req.interval_ms * 1000, 0, on_recurring_timer, r);
}

static void on_recurring_done(const struct child_result *cr, void *userdata) {
        struct exec_recurring *r = userdata;
        struct exec_result res = { .call_id = r->call_id, .last_run = r->last_run };
        char reason[512];
        bool changed;

        r->child = NULL;
        map_result(cr, &res);
        res.exit_reason = exit_reason(cr->err, reason, sizeof(reason));
        changed = !r->have_last || r->last_rc != res.rc || r->last_status != res.status;
        if (changed)
                r->last_change = r->last_run;
        r->have_last = true;
        r->last_rc = res.rc;
        r->last_status = res.status;
        res.last_rc_change = r->last_change;
        if (changed) {
                r->in_callback = true;
                r->on_change(&r->rc.req, &res, r->userdata);
                r->in_callback = false;
        }
        struct executor *ex = r->ex;
        _cleanup_free_ char *rsc_id = strdup(r->rc.req.rsc_id);
        if (r->stopped)
                recurring_free(r);
        else
                recurring_reschedule(r);
        if (rsc_id)
                kick(ex, rsc_id);
}

static int recurring_run(struct exec_recurring *r) {
        r->last_run = time(NULL);
        return spawn_agent(r->ex, &r->rc.req, on_recurring_done, r, &r->child);
}

int executor_recurring_start(struct executor *ex, const struct exec_request *req, exec_done_t on_change,
                             void *userdata, struct exec_recurring **ret) {
        struct exec_recurring *r;
        int rr;

        if (!on_change || req->interval_ms == 0 || check_request(req) < 0)
                return -EINVAL;
        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        rr = req_copy_init(&r->rc, req);
        if (rr < 0) {
                free(r);
                return rr;
        }
        r->ex = ex;
        r->on_change = on_change;
        r->userdata = userdata;
        r->call_id = next_call_id(ex);
        r->next = ex->recurring;
        if (ex->recurring)
                ex->recurring->prev = r;
        ex->recurring = r;
        if (rsc_busy(ex, req->rsc_id)) {
                r->due = true;
                *ret = r;
                return 0;
        }
        rr = recurring_run(r);
        if (rr < 0) {
                recurring_free(r);
                return rr;
        }
        *ret = r;
        return 0;
}

void executor_recurring_stop(struct exec_recurring *r) {
        struct executor *ex;
        char *rsc_id;

        if (!r)
                return;
        if (r->in_callback) {
                r->stopped = true;
                return;
        }
        ex = r->ex;
        /* A run it cuts short may have kept operations waiting. */
        rsc_id = (char *) TAKE_PTR(r->rc.req.rsc_id);
        recurring_free(r);
        if (rsc_id)
                kick(ex, rsc_id);
        free(rsc_id);
}

/* ---- names and the status section ---- */

const char *exec_rc_to_string(int rc) {
        static const char *const names[] = {
                "ok", "error", "invalid parameter", "unimplemented feature", "insufficient privileges",
                "not installed", "not configured", "not running", "promoted", "promoted (failed)",
        };

        if (rc >= 0 && rc < (int) ELEMENTSOF(names))
                return names[rc];
        if (rc == OCF_DEGRADED)
                return "degraded";
        if (rc == OCF_DEGRADED_PROMOTED)
                return "promoted (degraded)";
        return "unknown";
}

const char *exec_status_to_string(enum exec_status s) {
        switch (s) {
        case EXEC_PENDING: return "Pending";
        case EXEC_DONE: return "complete";
        case EXEC_CANCELLED: return "Cancelled";
        case EXEC_TIMEOUT: return "Timed Out";
        case EXEC_NOT_SUPPORTED: return "NOT SUPPORTED";
        case EXEC_ERROR: return "Error";
        case EXEC_NOT_INSTALLED: return "Not installed";
        }
        return "unknown";
}

char *exec_op_key(const char *rsc_id, const char *action, uint32_t interval_ms) {
        char *key;

        return asprintf(&key, "%s_%s_%u", rsc_id, action, interval_ms) < 0 ? NULL : key;
}

static bool set_attr(xmlNode *n, const char *name, const char *fmt, ...) _printf_(3, 4);
static bool set_attr(xmlNode *n, const char *name, const char *fmt, ...) {
        va_list ap;
        char *v;
        bool ok;

        va_start(ap, fmt);
        ok = vasprintf(&v, fmt, ap) >= 0;
        va_end(ap);
        if (!ok)
                return false;
        ok = xmlSetProp(n, (const xmlChar *) name, (const xmlChar *) v) != NULL;
        free(v);
        return ok;
}

int exec_op_xml(xmlDoc *doc, const struct exec_request *req, const struct exec_result *res,
                const char *transition_key, bool failure, xmlNode **ret) {
        _cleanup_free_ char *key = exec_op_key(req->rsc_id, req->action, req->interval_ms);
        xmlNode *n;
        bool ok;

        if (!key)
                return -ENOMEM;
        n = xmlNewDocNode(doc, NULL, (const xmlChar *) "lrm_rsc_op", NULL);
        if (!n)
                return -ENOMEM;
        if (req->interval_ms > 0)
                ok = set_attr(n, "id", "%s", key);
        else
                ok = set_attr(n, "id", "%s_%s_0", req->rsc_id, failure ? "last_failure" : "last");
        ok = ok && set_attr(n, "operation_key", "%s", key) && set_attr(n, "operation", "%s", req->action) &&
             set_attr(n, "crm-debug-origin", "tandem-clusterd") &&
             set_attr(n, "crm_feature_set", "%s", CRM_FEATURE_SET);
        if (ok && transition_key)
                ok = set_attr(n, "transition-key", "%s", transition_key) &&
                     set_attr(n, "transition-magic", "%d:%d;%s", (int) res->status, res->rc, transition_key);
        ok = ok && set_attr(n, "exit-reason", "%s", res->exit_reason ? res->exit_reason : "");
        if (ok && req->node)
                ok = set_attr(n, "on_node", "%s", req->node);
        ok = ok && set_attr(n, "call-id", "%d", res->call_id) && set_attr(n, "rc-code", "%d", res->rc) &&
             set_attr(n, "op-status", "%d", (int) res->status) &&
             set_attr(n, "interval", "%u", req->interval_ms);
        if (ok && req->interval_ms == 0)
                ok = set_attr(n, "last-run", "%lld", (long long) res->last_run);
        ok = ok && set_attr(n, "last-rc-change", "%lld", (long long) res->last_rc_change) &&
             set_attr(n, "exec-time", "%u", res->exec_ms) && set_attr(n, "queue-time", "%u", res->queue_ms);
        if (ok && req->migrate_source)
                ok = set_attr(n, "migrate_source", "%s", req->migrate_source);
        if (ok && req->migrate_target)
                ok = set_attr(n, "migrate_target", "%s", req->migrate_target);
        if (!ok) {
                xmlFreeNode(n);
                return -ENOMEM;
        }
        *ret = n;
        return 0;
}
