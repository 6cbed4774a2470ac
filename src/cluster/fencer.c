/* fencer.c: fence agents run through the standard interface (see
 * fencer.h). */
#include <errno.h>
#include <string.h>

#include "buf.h"
#include "child.h"
#include "fencer.h"
#include "util.h"

#define DEFAULT_TIMEOUT_MS 60000

extern char **environ;

struct fence_op {
        struct fencer *f;
        struct fence_op *next, *prev;
        struct child *child;
        char *agent, *action, *target;
        fence_done_t done;
        void *userdata;
};

struct fencer {
        sd_event *loop;
        char *agent_dir;
        uint64_t kill_grace_usec;
        struct fence_op *ops;
};

static bool needs_target(const char *action) {
        return streq(action, "off") || streq(action, "on") || streq(action, "reboot") || streq(action, "status");
}

static bool known_action(const char *action) {
        static const char *const actions[] = { "off", "on", "reboot", "monitor", "status", "list", "metadata",
                                               "validate-all" };
        for (size_t i = 0; i < ELEMENTSOF(actions); i++)
                if (streq(action, actions[i]))
                        return true;
        return false;
}

/* Parameters the fencer sets itself or that are Pacemaker's, not the
 * agent's. */
static bool reserved_param(const char *name) {
        return startswith(name, "pcmk_") || streq(name, "action") || streq(name, "plug") ||
               streq(name, "port") || streq(name, "nodename") || streq(name, "stonith-timeout") ||
               streq(name, "priority") || streq(name, "provides");
}

static bool one_line(const char *s) {
        return s && !strchr(s, '\n') && !strchr(s, '\r');
}

static int check_request(const struct fence_request *req) {
        const char *name = req->agent ? startswith(req->agent, "fence_") : NULL;

        if (!name || !*name || strchr(req->agent, '/') || !req->action || !known_action(req->action))
                return -EINVAL;
        if (needs_target(req->action) && (!req->target || !*req->target))
                return -EINVAL;
        if (req->target && !one_line(req->target))
                return -EINVAL;
        for (size_t i = 0; i < req->n_params; i++)
                if (!req->params[i].name || !*req->params[i].name || !one_line(req->params[i].name) ||
                    strchr(req->params[i].name, '=') || !one_line(req->params[i].value))
                        return -EINVAL;
        return 0;
}

/* The plug pcmk_host_map gives for target ("alice:1;bob:2", also with
 * spaces or commas between entries, '=' for ':'), malloc'd, or NULL when
 * it names no plug for it. */
static char *mapped_plug(const struct fence_request *req) {
        const char *map = NULL;

        for (size_t i = 0; i < req->n_params; i++)
                if (streq(req->params[i].name, "pcmk_host_map"))
                        map = req->params[i].value;
        for (const char *p = map; p && *p;) {
                size_t len = strcspn(p, "; ,\t");
                const char *sep = memchr(p, ':', len);

                if (!sep)
                        sep = memchr(p, '=', len);
                if (sep && (size_t) (sep - p) == strlen(req->target) && strneq(p, req->target, (size_t) (sep - p)) &&
                    sep + 1 < p + len)
                        return strndup(sep + 1, len - (size_t) (sep + 1 - p));
                p += len;
                p += strspn(p, "; ,\t");
        }
        return NULL;
}

int fence_request_text(const struct fence_request *req, char **ret) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        char *text;
        int r;

        r = check_request(req);
        if (r < 0)
                return r;
        r = buf_printf(&b, "action=%s\n", req->action);
        if (r >= 0 && req->target) {
                _cleanup_free_ char *mapped = mapped_plug(req);
                const char *plug = mapped ? mapped : req->target;
                r = buf_printf(&b, "plug=%s\nport=%s\nnodename=%s\n", plug, plug, req->target);
        }
        for (size_t i = 0; r >= 0 && i < req->n_params; i++)
                if (!reserved_param(req->params[i].name))
                        r = buf_printf(&b, "%s=%s\n", req->params[i].name, req->params[i].value);
        if (r < 0)
                return r;
        text = buf_steal(&b);
        if (!text)
                return -ENOMEM;
        *ret = text;
        return 0;
}

int fencer_new(sd_event *e, const char *agent_dir, struct fencer **ret) {
        struct fencer *f = calloc(1, sizeof(*f));

        if (!f)
                return -ENOMEM;
        f->agent_dir = strdup(agent_dir ? agent_dir : FENCE_AGENT_DIR);
        if (!f->agent_dir) {
                free(f);
                return -ENOMEM;
        }
        f->loop = sd_event_ref(e);
        *ret = f;
        return 0;
}

static void op_free(struct fence_op *op) {
        if (op->prev)
                op->prev->next = op->next;
        else
                op->f->ops = op->next;
        if (op->next)
                op->next->prev = op->prev;
        free(op->agent);
        free(op->action);
        free(op->target);
        free(op);
}

void fencer_free(struct fencer *f) {
        if (!f)
                return;
        while (f->ops) {
                child_kill(f->ops->child);
                op_free(f->ops);
        }
        sd_event_unref(f->loop);
        free(f->agent_dir);
        free(f);
}

void fencer_set_kill_grace(struct fencer *f, uint64_t usec) {
        f->kill_grace_usec = usec;
}

static void on_done(const struct child_result *cr, void *userdata) {
        struct fence_op *op = userdata;
        struct fence_request req = { .agent = op->agent, .action = op->action, .target = op->target };
        struct fence_result res = { .exit_code = -1, .output = cr->out, .errout = cr->err,
                                    .exec_ms = (uint32_t) (cr->runtime_usec / 1000) };

        switch (cr->end) {
        case CHILD_EXITED:
                res.exit_code = cr->status;
                if (cr->status == 0)
                        res.outcome = FENCE_OK;
                else if (cr->status == 2 && streq(op->action, "status"))
                        res.outcome = FENCE_OFF;
                else
                        res.outcome = FENCE_FAILED;
                break;
        case CHILD_TIMED_OUT:
                res.outcome = FENCE_TIMEOUT;
                break;
        case CHILD_EXEC_FAILED:
                res.outcome = cr->status == ENOENT ? FENCE_NOT_INSTALLED : FENCE_FAILED;
                break;
        case CHILD_SIGNALED:
                res.outcome = FENCE_FAILED;
                break;
        }
        op->child = NULL;
        op->done(&req, &res, op->userdata);
        op_free(op);
}

int fencer_run(struct fencer *f, const struct fence_request *req, fence_done_t done, void *userdata) {
        _cleanup_free_ char *text = NULL, *path = NULL;
        struct child_spec spec;
        struct fence_op *op;
        char *argv[2];
        int r;

        if (!done)
                return -EINVAL;
        r = fence_request_text(req, &text);
        if (r < 0)
                return r;
        path = strjoin(f->agent_dir, "/", req->agent, NULL);
        op = calloc(1, sizeof(*op));
        if (!path || !op) {
                free(op);
                return -ENOMEM;
        }
        op->f = f;
        op->done = done;
        op->userdata = userdata;
        op->agent = strdup(req->agent);
        op->action = strdup(req->action);
        op->target = req->target ? strdup(req->target) : NULL;
        op->next = f->ops;
        if (f->ops)
                f->ops->prev = op;
        f->ops = op;
        if (!op->agent || !op->action || (req->target && !op->target)) {
                op_free(op);
                return -ENOMEM;
        }
        argv[0] = path;
        argv[1] = NULL;
        spec = (struct child_spec) {
                .path = path,
                .argv = argv,
                .envp = environ,
                .stdin_data = text,
                .stdin_len = strlen(text),
                .timeout_usec = (uint64_t) (req->timeout_ms ? req->timeout_ms : DEFAULT_TIMEOUT_MS) * 1000,
                .kill_grace_usec = f->kill_grace_usec,
        };
        r = child_spawn(f->loop, &spec, on_done, op, &op->child);
        if (r < 0) {
                op_free(op);
                return r;
        }
        return 0;
}

const char *fence_outcome_to_string(enum fence_outcome o) {
        switch (o) {
        case FENCE_OK: return "ok";
        case FENCE_OFF: return "off";
        case FENCE_FAILED: return "failed";
        case FENCE_TIMEOUT: return "timed out";
        case FENCE_NOT_INSTALLED: return "not installed";
        }
        return "unknown";
}
