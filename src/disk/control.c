/* control.c: the commands of tandem-diskd's control socket. Each command
 * takes a resource name (or "all") and optional flags as arguments; the
 * configuration file is read anew for `up`, as drbdadm reads drbd.conf at
 * every call. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "buf.h"
#include "control.h"
#include "ctl.h"
#include "events.h"
#include "log.h"
#include "nbd_server.h"
#include "sock.h"
#include "util.h"

int diskd_init(struct diskd *d, sd_event *loop, struct io_ring *ring, const char *config_path,
               const char *run_dir) {
        struct utsname u;

        memset(d, 0, sizeof(*d));
        d->env.loop = loop;
        d->env.ring = ring;
        d->env.run_dir = run_dir;
        d->config_path = config_path;
        if (uname(&u) < 0)
                return -errno;
        snprintf(d->env.hostname, sizeof(d->env.hostname), "%s", u.nodename);
        d->resources = hashmap_new(NULL);
        if (!d->resources)
                return -ENOMEM;
        return disk_events_new(d, &d->env.events);
}

void diskd_shutdown(struct diskd *d) {
        char err[512];
        const char *name;
        struct resource *r;
        bool busy = true;

        /* Going down with the daemon: close the NBD clients, let the writes
         * in flight finish (bounded), then demote and detach cleanly so the
         * metadata records a clean shutdown. */
        nbd_server_free(d->nbd_tcp);
        d->nbd_tcp = NULL;
        HASHMAP_FOREACH(name, r, d->resources, it) {
                if (r->nbd_clients > 0)
                        log_warning("%s: stopping while %u NBD client(s) are connected", name, r->nbd_clients);
                resource_stop_export(r);
        }
        for (int i = 0; busy && i < 100; i++) {
                busy = false;
                HASHMAP_FOREACH(name, r, d->resources, it2)
                        busy |= r->writes_in_flight > 0;
                if (busy)
                        (void) sd_event_run(d->env.loop, 100 * 1000);
        }
        HASHMAP_FOREACH(name, r, d->resources, it3)
                if (resource_down(r, err, sizeof(err)) < 0)
                        log_warning("%s: not cleanly down: %s", name, err);
        hashmap_free(d->resources);
        d->resources = NULL;
}

/* ---- the TCP export: "RES/N" names ---- */

static int tcp_lookup(void *server_ctx, const char *name, struct nbd_export_info *ret_info,
                      void **ret_export_ctx) {
        struct diskd *d = server_ctx;
        const char *slash = strchr(name, '/');
        _cleanup_free_ char *res = slash ? strndup(name, (size_t) (slash - name)) : strdup(name);
        struct resource *r;

        if (!res)
                return -ENOMEM;
        r = hashmap_get(d->resources, res);
        if (!r)
                return -ENOENT;
        return resource_nbd_lookup(r, slash ? slash + 1 : "", ret_info, ret_export_ctx);
}

struct tcp_list_ctx {
        const char *resource;
        void (*emit)(void *emit_ctx, const char *name, const char *description);
        void *emit_ctx;
};

static void tcp_list_emit(void *ctx, const char *volume, const char *description) {
        struct tcp_list_ctx *t = ctx;
        _cleanup_free_ char *name = strjoin(t->resource, "/", volume, NULL);
        if (name)
                t->emit(t->emit_ctx, name, description);
}

static int tcp_list(void *server_ctx, void (*emit)(void *emit_ctx, const char *name, const char *description),
                    void *emit_ctx) {
        struct diskd *d = server_ctx;
        const char *name;
        struct resource *r;

        HASHMAP_FOREACH(name, r, d->resources, it)
                if (r->role == ROLE_PRIMARY) {
                        struct tcp_list_ctx t = { name, emit, emit_ctx };
                        (void) resource_nbd_list(r, tcp_list_emit, &t);
                }
        return 0;
}

static const struct nbd_backend_ops tcp_ops = {
        .lookup = tcp_lookup,
        .list = tcp_list,
        .open = resource_nbd_open,
        .close = resource_nbd_close,
        .submit = resource_nbd_submit,
};

static void tcp_log(void *userdata, int level, const char *message) {
        log_full(level, "nbd (tcp): %s", message);
}

int diskd_listen_nbd_tcp(struct diskd *d, const char *address) {
        struct sockaddr_storage sa;
        socklen_t len;
        int r;

        r = sock_parse_addr(address, &sa, &len);
        if (r < 0)
                return log_error_errno(r, "--nbd-tcp: '%s' is not an address (IP:PORT or [IPv6]:PORT)", address);
        r = nbd_server_new(d->env.loop, &tcp_ops, d, &d->nbd_tcp);
        if (r >= 0) {
                nbd_server_set_log(d->nbd_tcp, tcp_log, d);
                r = nbd_server_listen_tcp(d->nbd_tcp, (struct sockaddr *) &sa, len);
        }
        if (r < 0) {
                nbd_server_free(d->nbd_tcp);
                d->nbd_tcp = NULL;
                return log_error_errno(r, "cannot serve NBD on %s: %m", address);
        }
        log_info("serving the volumes of Primary resources over NBD on %s (port %d) as RES/N", address,
                 nbd_server_tcp_port(d->nbd_tcp));
        return 0;
}

/* Arguments of a command: one resource name (or "all") and flags. */
struct cmd_args {
        const char *resource;
        bool all;
        bool force;
        bool discard_my_data;
        bool clear_bitmap;
        bool json;
        bool verbose;
};

static json_t *parse_args(const char *command, json_t *args, struct cmd_args *a, bool need_resource) {
        size_t i;
        json_t *arg;

        memset(a, 0, sizeof(*a));
        json_array_foreach(args, i, arg) {
                const char *s = json_string_value(arg);
                if (streq(s, "--force"))
                        a->force = true;
                else if (streq(s, "--discard-my-data"))
                        a->discard_my_data = true;
                else if (streq(s, "--clear-bitmap"))
                        a->clear_bitmap = true;
                else if (streq(s, "--json"))
                        a->json = true;
                else if (streq(s, "--verbose") || streq(s, "-v"))
                        a->verbose = true;
                else if (s[0] == '-')
                        return ctl_reply_error(EINVAL, "%s: unknown option '%s'", command, s);
                else if (a->resource)
                        return ctl_reply_error(EINVAL, "%s: more than one resource given ('%s', '%s')",
                                               command, a->resource, s);
                else
                        a->resource = s;
        }
        if (need_resource && !a->resource)
                return ctl_reply_error(EINVAL, "%s: which resource? (a name or 'all')", command);
        a->all = a->resource && streq(a->resource, "all");
        return NULL;
}

static json_t *load_config(struct diskd *d, struct disk_config **ret) {
        struct disk_config_error err;
        int r = disk_config_load(d->config_path, NULL, ret, &err);
        if (r < 0)
                return ctl_reply_error(r, "%s", err.message);
        return NULL;
}

/* An operation on one resource: 0 done, negative errno with a message in
 * err, or 1 when it completes later through done(userdata, ...). */
typedef int (*res_op_t)(struct resource *r, const struct cmd_args *a, resource_done_t done, void *userdata,
                        char *err, size_t err_size);

#define OP(name, call)                                                                                   \
        static int op_##name(struct resource *r, const struct cmd_args *a, resource_done_t done,         \
                             void *userdata, char *err, size_t n) {                                      \
                return call;                                                                             \
        }
OP(attach, resource_attach(r, err, n))
OP(detach, resource_detach(r, err, n))
OP(connect, resource_connect(r, a->discard_my_data, err, n))
OP(disconnect, resource_disconnect(r, err, n))
OP(primary, resource_primary(r, a->force, done, userdata, err, n))
OP(secondary, resource_secondary(r, err, n))
OP(verify, resource_verify(r, err, n))
OP(invalidate, resource_invalidate(r, false, err, n))
OP(invalidate_remote, resource_invalidate(r, true, err, n))
OP(outdate, resource_outdate(r, err, n))
OP(new_current_uuid, resource_new_current_uuid(r, a->clear_bitmap, err, n))
OP(pause_sync, resource_pause_sync(r, true, err, n))
OP(resume_sync, resource_pause_sync(r, false, err, n))
#undef OP

static const struct {
        const char *name;
        res_op_t op;
} res_ops[] = {
        { "attach", op_attach },
        { "detach", op_detach },
        { "connect", op_connect },
        { "disconnect", op_disconnect },
        { "primary", op_primary },
        { "secondary", op_secondary },
        { "verify", op_verify },
        { "invalidate", op_invalidate },
        { "invalidate-remote", op_invalidate_remote },
        { "outdate", op_outdate },
        { "new-current-uuid", op_new_current_uuid },
        { "pause-sync", op_pause_sync },
        { "resume-sync", op_resume_sync },
};

/* One command over one or all resources, some of whose operations may
 * finish later (a promotion waiting for the peer): the reply is given
 * when the last one is done. */
struct res_command {
        struct ctl_deferred *reply;
        unsigned waiting;
        int first_error;
        struct buf errors;
};

static void res_command_note(struct res_command *rc, int error, const char *why) {
        if (error >= 0)
                return;
        if (!rc->first_error)
                rc->first_error = error;
        (void) buf_printf(&rc->errors, "%s%s", rc->errors.len ? "\n" : "", why && *why ? why : strerror(-error));
}

static void res_command_done(void *userdata, int error, const char *why) {
        struct res_command *rc = userdata;

        res_command_note(rc, error, why);
        if (--rc->waiting > 0)
                return;
        ctl_deferred_reply(rc->reply, rc->first_error ? ctl_reply_error(rc->first_error, "%s", rc->errors.data)
                                                      : ctl_reply_ok(""));
        buf_free(&rc->errors);
        free(rc);
}

/* Run op on one resource that is up, or on all of them. The reply is
 * always given through a deferral, at once or when the last pending
 * operation finishes. */
static int run_on_resources(struct diskd *d, const char *command, const struct cmd_args *a, res_op_t op,
                            json_t **ret_reply) {
        struct res_command *rc;
        const char *name;
        struct resource *r;
        char err[1024];

        if (!a->all && !hashmap_contains(d->resources, a->resource)) {
                *ret_reply = ctl_reply_error(ENOENT, "%s: resource %s is not up ('tandem disk up %s' first)",
                                             command, a->resource, a->resource);
                return *ret_reply ? 0 : -ENOMEM;
        }
        rc = calloc(1, sizeof(*rc));
        if (!rc)
                return -ENOMEM;
        rc->reply = ctl_server_defer(d->ctl);
        if (!rc->reply) {
                free(rc);
                return -ENOMEM;
        }
        rc->waiting = 1; /* this loop */
        HASHMAP_FOREACH(name, r, d->resources, it) {
                if (!a->all && !streq(name, a->resource))
                        continue;
                err[0] = '\0';
                int k = op(r, a, res_command_done, rc, err, sizeof(err));
                if (k > 0)
                        rc->waiting++;
                else
                        res_command_note(rc, k, err);
        }
        res_command_done(rc, 0, NULL);
        return 0;
}

static json_t *cmd_up(struct diskd *d, const struct cmd_args *a) {
        _cleanup_buf_ struct buf errors = BUF_INIT;
        struct disk_config *c = NULL;
        json_t *fail;
        char err[1024];
        int first_error = 0;

        fail = load_config(d, &c);
        if (fail)
                return fail;
        for (size_t i = 0; i < c->n_resources; i++) {
                const char *name = c->resources[i]->name;
                struct disk_config *mine = NULL;
                struct resource *r;
                int k;

                if (!a->all && !streq(name, a->resource))
                        continue;
                if (hashmap_contains(d->resources, name)) {
                        if (a->all)
                                continue;
                        disk_config_free(c);
                        return ctl_reply_error(EALREADY, "up: %s is up already", name);
                }
                /* Each resource keeps the configuration it was started with. */
                fail = load_config(d, &mine);
                if (fail) {
                        disk_config_free(c);
                        return fail;
                }
                err[0] = '\0';
                k = resource_up(&d->env, mine, name, &r, err, sizeof(err));
                if (k >= 0)
                        k = hashmap_put(d->resources, name, r);
                if (k < 0) {
                        log_error("%s", err);
                        if (!first_error)
                                first_error = k;
                        (void) buf_printf(&errors, "%s%s", errors.len ? "\n" : "", *err ? err : strerror(-k));
                } else
                        log_info("%s: up", name);
                if (!a->all)
                        break;
        }
        bool found = a->all || disk_config_find_resource(c, a->resource);
        disk_config_free(c);
        if (!found)
                return ctl_reply_error(ENOENT, "up: no resource '%s' in %s", a->resource, d->config_path);
        if (first_error)
                return ctl_reply_error(first_error, "%s", errors.data);
        return ctl_reply_ok("");
}

/* `down` of resources whose IO is still draining (resync reads and
 * writes in flight after the disconnect): retried every 20 ms for up to
 * 30 s, then answered. */
#define DOWN_RETRY_USEC (20 * 1000ULL)
#define DOWN_RETRIES 1500

struct down_wait {
        struct diskd *d;
        struct ctl_deferred *reply;
        char **names;
        size_t n_names;
        unsigned tries;
        int first_error;
        struct buf errors;
        sd_event_source *timer;
};

static void down_note(int *first_error, struct buf *errors, int k, const char *err) {
        if (!*first_error)
                *first_error = k;
        (void) buf_printf(errors, "%s%s", errors->len ? "\n" : "", *err ? err : strerror(-k));
}

/* Try to take r down; 1 when it must be tried again. */
static int down_one(struct diskd *d, const char *name, int *first_error, struct buf *errors, bool last_try) {
        struct resource *r = hashmap_get(d->resources, name);
        char err[1024] = "";
        int k;

        if (!r)
                return 0;
        k = resource_down(r, err, sizeof(err));
        if (k == -EAGAIN && !last_try)
                return 1;
        if (k < 0) {
                down_note(first_error, errors, k, err);
                return 0;
        }
        _cleanup_free_ char *key = strdup(name);
        if (key)
                hashmap_remove(d->resources, key);
        return 0;
}

static void down_wait_free(struct down_wait *w) {
        for (size_t i = 0; i < w->n_names; i++)
                free(w->names[i]);
        free(w->names);
        buf_free(&w->errors);
        sd_event_source_disable_unref(w->timer);
        free(w);
}

static int on_down_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        struct down_wait *w = userdata;
        bool last = ++w->tries >= DOWN_RETRIES;
        size_t left = 0;

        for (size_t i = 0; i < w->n_names; i++) {
                if (down_one(w->d, w->names[i], &w->first_error, &w->errors, last) > 0)
                        w->names[left++] = w->names[i];
                else
                        free(w->names[i]);
        }
        w->n_names = left;
        if (left > 0) {
                (void) sd_event_source_set_time_relative(s, DOWN_RETRY_USEC);
                return 0;
        }
        disk_events_poke(w->d->env.events);
        ctl_deferred_reply(w->reply, w->first_error ? ctl_reply_error(w->first_error, "%s", w->errors.data)
                                                    : ctl_reply_ok(""));
        down_wait_free(w);
        return 0;
}

/* Returns the reply, or NULL when it was deferred (IO still draining). */
static json_t *cmd_down(struct diskd *d, const struct cmd_args *a) {
        _cleanup_buf_ struct buf errors = BUF_INIT;
        int first_error = 0;
        char **again = NULL;
        size_t n_again = 0;
        const char *name;
        struct resource *r;

        if (!a->all && !hashmap_contains(d->resources, a->resource))
                return ctl_reply_error(ENOENT, "down: %s is not up", a->resource);
        HASHMAP_FOREACH(name, r, d->resources, it) {
                (void) r;
                if (!a->all && !streq(name, a->resource))
                        continue;
                char **grown = realloc(again, (n_again + 1) * sizeof(*again));
                if (!grown || !(grown[n_again] = strdup(name))) {
                        again = grown ? grown : again;
                        down_note(&first_error, &errors, -ENOMEM, "out of memory");
                        break;
                }
                again = grown;
                n_again++;
        }
        /* Taking one down changes the map: iterate over the names. */
        size_t left = 0;
        for (size_t i = 0; i < n_again; i++) {
                if (down_one(d, again[i], &first_error, &errors, false) > 0)
                        again[left++] = again[i];
                else
                        free(again[i]);
        }
        n_again = left;
        if (n_again > 0) {
                struct down_wait *w = calloc(1, sizeof(*w));
                if (w && (w->reply = ctl_server_defer(d->ctl)) &&
                    sd_event_add_time_relative(d->env.loop, &w->timer, CLOCK_MONOTONIC, DOWN_RETRY_USEC, 0,
                                               on_down_retry, w) >= 0 &&
                    sd_event_source_set_enabled(w->timer, SD_EVENT_ON) >= 0) {
                        w->d = d;
                        w->names = again;
                        w->n_names = n_again;
                        w->first_error = first_error;
                        w->errors = errors;
                        errors = (struct buf) BUF_INIT;
                        return NULL;
                }
                if (w && w->reply)
                        ctl_deferred_reply(w->reply, NULL);
                if (w)
                        down_wait_free(w);
                for (size_t i = 0; i < n_again; i++)
                        free(again[i]);
                down_note(&first_error, &errors, -ENOMEM, "out of memory");
        }
        free(again);
        if (first_error)
                return ctl_reply_error(first_error, "%s", errors.data);
        return ctl_reply_ok("");
}

static json_t *cmd_status(struct diskd *d, const struct cmd_args *a) {
        _cleanup_buf_ struct buf out = BUF_INIT;
        const char *name;
        struct resource *r;
        json_t *list;

        if (a->resource && !a->all && !hashmap_contains(d->resources, a->resource))
                return ctl_reply_error(ENOENT, "%s: no such resource (it is not up)", a->resource);
        if (a->json) {
                list = json_array();
                HASHMAP_FOREACH(name, r, d->resources, it)
                        if (!a->resource || a->all || streq(name, a->resource))
                                json_array_append_new(list, resource_status_json(r));
                _cleanup_free_ char *text = json_dumps(list, JSON_INDENT(2));
                json_t *reply = ctl_reply_ok(text ? text : "[]");
                if (reply) {
                        buf_clear(&out);
                        json_object_set_new(reply, "resources", list);
                        /* "output" is the same text plus a newline for the CLI */
                        _cleanup_free_ char *withnl = strjoin(text ? text : "[]", "\n", NULL);
                        json_object_set_new(reply, "output", json_string(withnl ? withnl : ""));
                } else
                        json_decref(list);
                return reply;
        }
        if (hashmap_size(d->resources) == 0) {
                /* Say whether the file has resources that could be up. */
                struct disk_config *c = NULL;
                struct disk_config_error err;
                int k = disk_config_load(d->config_path, NULL, &c, &err);
                if (k < 0 && k != -ENOENT) {
                        /* A broken file is worth saying, not hiding. */
                        (void) buf_printf(&out, "no resources up; the configuration has an error: %s\n",
                                          err.message);
                        return ctl_reply_ok(out.data ? out.data : "");
                }
                if (k >= 0 && c->n_resources > 0) {
                        (void) buf_append_str(&out, "no resources up; configured in ");
                        (void) buf_append_str(&out, d->config_path);
                        (void) buf_append_str(&out, ":");
                        for (size_t i = 0; i < c->n_resources; i++)
                                (void) buf_printf(&out, " %s", c->resources[i]->name);
                        (void) buf_append_str(&out, " ('tandem disk up RES' starts one)\n");
                        disk_config_free(c);
                        return ctl_reply_ok(out.data ? out.data : "");
                }
                disk_config_free(c);
                return ctl_reply_ok("no resources configured\n");
        }
        HASHMAP_FOREACH(name, r, d->resources, it)
                if (!a->resource || a->all || streq(name, a->resource)) {
                        if (out.len)
                                (void) buf_putc(&out, '\n');
                        (void) resource_status_text(r, a->verbose, &out);
                }
        return ctl_reply_ok(out.data ? out.data : "");
}

int diskd_handle_request(const char *command, json_t *args, json_t *request, json_t **ret_reply,
                         void *userdata) {
        struct diskd *d = userdata;
        struct cmd_args a;
        json_t *reply;

        if (streq(command, "ping")) {
                *ret_reply = json_pack("{s:b,s:s,s:s,s:i}", "ok", 1, "output", "", "daemon", "tandem-diskd",
                                       "pid", (int) getpid());
                return *ret_reply ? 0 : -ENOMEM;
        }
        if (streq(command, "status")) {
                reply = parse_args(command, args, &a, false);
                *ret_reply = reply ? reply : cmd_status(d, &a);
                return *ret_reply ? 0 : -ENOMEM;
        }
        if (streq(command, "events")) {
                bool now = false;
                const char *res = NULL;
                size_t i;
                json_t *arg;
                json_array_foreach(args, i, arg) {
                        const char *v = json_string_value(arg);
                        if (streq(v, "--now"))
                                now = true;
                        else if (v[0] == '-') {
                                *ret_reply = ctl_reply_error(EINVAL, "events: unknown option '%s'", v);
                                return *ret_reply ? 0 : -ENOMEM;
                        } else if (!streq(v, "all"))
                                res = v;
                }
                *ret_reply = disk_events_subscribe(d->env.events, d->ctl, res, now);
                return *ret_reply ? 0 : -ENOMEM;
        }
        if (streq(command, "up") || streq(command, "down")) {
                reply = parse_args(command, args, &a, true);
                *ret_reply = reply ? reply : streq(command, "up") ? cmd_up(d, &a) : cmd_down(d, &a);
                disk_events_poke(d->env.events);
                /* NULL from down: deferred until the IO drains. */
                return *ret_reply || streq(command, "down") ? 0 : -ENOMEM;
        }
        for (size_t i = 0; i < ELEMENTSOF(res_ops); i++)
                if (streq(command, res_ops[i].name)) {
                        reply = parse_args(command, args, &a, true);
                        if (!reply && a.force && res_ops[i].op != op_primary)
                                reply = ctl_reply_error(EINVAL, "%s: --force is for primary only", command);
                        if (!reply && a.clear_bitmap && res_ops[i].op != op_new_current_uuid)
                                reply = ctl_reply_error(EINVAL, "%s: --clear-bitmap is for new-current-uuid only",
                                                        command);
                        if (!reply && a.discard_my_data && res_ops[i].op != op_connect)
                                reply = ctl_reply_error(EINVAL, "%s: --discard-my-data is for connect only",
                                                        command);
                        if (reply) {
                                *ret_reply = reply;
                                return 0;
                        }
                        return run_on_resources(d, command, &a, res_ops[i].op, ret_reply);
                }
        *ret_reply = ctl_reply_error(EOPNOTSUPP, "tandem-diskd: unknown command '%s'", command);
        return *ret_reply ? 0 : -ENOMEM;
}
