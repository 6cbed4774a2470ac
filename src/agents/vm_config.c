/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vm_config.c: ocf:tandem:vm's configuration: OCF_RESKEY_* into a
 * struct vm_config, the checks of validate-all, and the QEMU command
 * line that the configuration stands for. */
#include <limits.h>
#include <sys/utsname.h>
#include <wordexp.h>

#include "buf.h"
#include "log.h"
#include "vm.h"

/* Default when Pacemaker gives no timeout: the advertised 120s. */
#define VM_DEFAULT_TIMEOUT_MS 120000

static int get_uint(const struct ocf_agent *a, const char *name, unsigned *ret) {
        const char *v = ocf_param_value(a, name);
        int n;

        if (!v || parse_int(v, &n) < 0 || n < 0) {
                log_error("parameter %s must be a number >= 0, not '%s'", name, v ? v : "");
                return OCF_ERR_CONFIGURED;
        }
        *ret = (unsigned) n;
        return OCF_SUCCESS;
}

static int parse_port_range(const char *s, unsigned *ret_min, unsigned *ret_max) {
        unsigned lo, hi;
        int n = 0;

        if (sscanf(s, "%u-%u%n", &lo, &hi, &n) != 2 || s[n] || lo == 0 || lo > hi || hi > 65535)
                return -EINVAL;
        *ret_min = lo;
        *ret_max = hi;
        return 0;
}

/* A disk word names a tandem resource unless it holds a '/'. */
static bool disk_is_path(const char *d) {
        return strchr(d, '/') != NULL;
}

static bool valid_resource_name(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!(s[0] >= 'a' && s[0] <= 'z') && !(s[0] >= 'A' && s[0] <= 'Z') &&
                    !(s[0] >= '0' && s[0] <= '9') && !strchr("_.-", s[0]))
                        return false;
        return true;
}

static char **split_words(const char *s) {
        _cleanup_free_ char *copy = strdup(s ? s : "");
        char **v = calloc(1, sizeof(char *));
        size_t n = 0;

        if (!copy || !v) {
                free(v);
                return NULL;
        }
        for (char *tok = strtok(copy, " \t\n,"); tok; tok = strtok(NULL, " \t\n,")) {
                char **nv = realloc(v, (n + 2) * sizeof(char *));
                if (!nv || !(nv[n] = strdup(tok))) {
                        vm_argv_free(nv ? nv : v);
                        return NULL;
                }
                v = nv;
                v[++n] = NULL;
        }
        return v;
}

void vm_argv_free(char **argv) {
        for (char **p = argv; p && *p; p++)
                free(*p);
        free(argv);
}

void vm_config_free(struct vm_config *c) {
        vm_argv_free(c->disks);
        free(c->run_dir);
        free(c->vm_dir);
        free(c->qmp_path);
        free(c->pid_path);
        free(c->console_path);
        *c = (struct vm_config) {0};
}

int vm_config_load(const struct ocf_agent *a, struct vm_config *ret) {
        struct vm_config c = {0};
        const char *v, *dir = getenv("TANDEM_RUN_DIR");
        int r = OCF_SUCCESS, timeout_ms = VM_DEFAULT_TIMEOUT_MS;

        c.name = ocf_param_value(a, "name");
        if (!c.name || !valid_resource_name(c.name)) {
                log_error("parameter name must be letters, digits, '_', '.' or '-', not '%s'",
                          c.name ? c.name : "");
                return OCF_ERR_CONFIGURED;
        }
        if (get_uint(a, "memory", &c.memory_mib) || get_uint(a, "cpus", &c.cpus) ||
            get_uint(a, "migration_downtime", &c.migration_downtime_ms) ||
            get_uint(a, "migration_speed", &c.migration_speed_mib) ||
            get_uint(a, "shutdown_timeout", &c.shutdown_timeout_s))
                return OCF_ERR_CONFIGURED;
        if (c.memory_mib < 16 || c.cpus < 1) {
                log_error("memory must be at least 16 MiB and cpus at least 1");
                return OCF_ERR_CONFIGURED;
        }
        c.kernel = ocf_param_value(a, "kernel");
        c.initrd = ocf_param_value(a, "initrd");
        c.append = ocf_param_value(a, "append");
        c.qemu = ocf_param_value(a, "qemu");
        c.qemu_args = ocf_param_value(a, "qemu_args");
        c.accelerator = ocf_param_value(a, "accelerator");
        c.migration_address = ocf_param_value(a, "migration_address");
        c.migrate_hook = ocf_param_value(a, "migrate_hook");
        if (!c.migrate_hook && (v = getenv("TANDEM_VM_MIGRATE_HOOK")) && *v)
                c.migrate_hook = v;
        if (!streq(c.accelerator, "kvm") && !streq(c.accelerator, "tcg") && !streq(c.accelerator, "auto")) {
                log_error("accelerator must be kvm, tcg or auto, not '%s'", c.accelerator);
                return OCF_ERR_CONFIGURED;
        }
        if (parse_port_range(ocf_param_value(a, "migration_port_range"), &c.port_min, &c.port_max) < 0) {
                log_error("migration_port_range must be FIRST-LAST within 1-65535, not '%s'",
                          ocf_param_value(a, "migration_port_range"));
                return OCF_ERR_CONFIGURED;
        }
        if ((c.initrd || c.append) && !c.kernel) {
                log_error("initrd and append need kernel");
                return OCF_ERR_CONFIGURED;
        }

        c.disks = split_words(ocf_param_value(a, "disks"));
        if (!c.disks)
                return OCF_ERR_GENERIC;
        for (char **d = c.disks; *d; d++)
                if (!disk_is_path(*d) && !valid_resource_name(*d)) {
                        log_error("disks: '%s' is neither a tandem resource name nor a path", *d);
                        r = OCF_ERR_CONFIGURED;
                }
        if (!c.kernel && !c.disks[0]) {
                log_error("nothing to boot: set kernel or at least one disk");
                r = OCF_ERR_CONFIGURED;
        }
        if (r != OCF_SUCCESS) {
                vm_config_free(&c);
                return r;
        }

        if ((v = getenv("OCF_RESKEY_CRM_meta_timeout")) && parse_int(v, &timeout_ms) < 0)
                timeout_ms = VM_DEFAULT_TIMEOUT_MS;
        c.deadline_usec = now_usec(CLOCK_MONOTONIC) + (int64_t) timeout_ms * 1000;

        c.run_dir = strdup(dir && *dir ? dir : "/run/tandem");
        c.vm_dir = c.run_dir ? strjoin(c.run_dir, "/vm", NULL) : NULL;
        if (c.vm_dir) {
                c.qmp_path = strjoin(c.vm_dir, "/", c.name, ".qmp", NULL);
                c.pid_path = strjoin(c.vm_dir, "/", c.name, ".pid", NULL);
                c.console_path = strjoin(c.vm_dir, "/", c.name, ".console", NULL);
        }
        if (!c.qmp_path || !c.pid_path || !c.console_path) {
                vm_config_free(&c);
                return OCF_ERR_GENERIC;
        }
        *ret = c;
        return OCF_SUCCESS;
}

int vm_remaining_ms(const struct vm_config *c, int min_ms) {
        int64_t left = (c->deadline_usec - now_usec(CLOCK_MONOTONIC)) / 1000;

        return left > min_ms ? (int) left : min_ms;
}

const char *vm_local_node(void) {
        static struct utsname u;
        const char *n = getenv("OCF_RESKEY_CRM_meta_on_node");

        if (n && *n)
                return n;
        if (uname(&u) < 0)
                return "localhost";
        return u.nodename;
}

static bool in_path(const char *prog) {
        _cleanup_free_ char *path = NULL;
        const char *env = getenv("PATH");

        if (strchr(prog, '/'))
                return access(prog, X_OK) == 0;
        path = strdup(env ? env : "/usr/bin:/bin");
        if (!path)
                return false;
        for (char *save = NULL, *d = strtok_r(path, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *p = strjoin(d, "/", prog, NULL);
                if (p && access(p, X_OK) == 0)
                        return true;
        }
        return false;
}

int vm_validate(const struct ocf_agent *a) {
        struct vm_config c;
        char why[256];
        char **argv = NULL;
        int r = vm_config_load(a, &c);

        if (r != OCF_SUCCESS)
                return r;
        if (!in_path(c.qemu)) {
                log_error("QEMU binary %s is not installed", c.qemu);
                r = OCF_ERR_INSTALLED;
        }
        const char *files[] = { c.kernel, c.initrd };
        for (size_t i = 0; i < ELEMENTSOF(files); i++)
                if (files[i] && access(files[i], R_OK) < 0) {
                        log_error("cannot read %s: %m", files[i]);
                        r = OCF_ERR_INSTALLED;
                }
        for (char **d = c.disks; *d; d++)
                if (disk_is_path(*d) && access(*d, R_OK | W_OK) < 0) {
                        log_error("disk %s: %m", *d);
                        r = OCF_ERR_INSTALLED;
                }
        if (vm_qemu_argv(&c, false, &argv, why, sizeof(why)) < 0) {
                log_error("%s", why);
                r = OCF_ERR_CONFIGURED;
        }
        vm_argv_free(argv);
        vm_config_free(&c);
        return r;
}

struct argv_builder {
        char **v;
        size_t n;
        struct buf arg;         /* the argument being put together */
        int error;              /* the first failure; later calls do nothing */
};

static void add(struct argv_builder *b, const char *s) {
        char **nv;

        if (b->error)
                return;
        nv = realloc(b->v, (b->n + 2) * sizeof(char *));
        if (!nv) {
                b->error = -ENOMEM;
                return;
        }
        b->v = nv;
        b->v[b->n] = strdup(s);
        if (!b->v[b->n]) {
                b->error = -ENOMEM;
                return;
        }
        b->v[++b->n] = NULL;
}

_printf_(2, 3) static void arg_printf(struct argv_builder *b, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        if (!b->error && buf_vprintf(&b->arg, fmt, ap) < 0)
                b->error = -ENOMEM;
        va_end(ap);
}

/* QEMU's option syntax doubles a comma inside a value. */
static void arg_escaped(struct argv_builder *b, const char *s) {
        for (; *s; s++)
                arg_printf(b, *s == ',' ? ",," : "%c", *s);
}

/* Adds the argument put together so far. */
static void arg_end(struct argv_builder *b) {
        add(b, b->arg.data ? b->arg.data : "");
        buf_clear(&b->arg);
}

int vm_qemu_argv(const struct vm_config *c, bool incoming, char ***ret, char *why, size_t why_size) {
        struct argv_builder b = {0};
        unsigned i = 0;

        add(&b, c->qemu);
        add(&b, "-name");
        arg_printf(&b, "guest=%s", c->name);
        arg_end(&b);
        add(&b, "-nodefaults");
        add(&b, "-no-user-config");
        add(&b, "-display");
        add(&b, "none");
        add(&b, "-daemonize");
        add(&b, "-pidfile");
        add(&b, c->pid_path);
        if (streq(c->accelerator, "auto")) {
                add(&b, "-accel");
                add(&b, "kvm");
        }
        add(&b, "-accel");
        add(&b, streq(c->accelerator, "auto") ? "tcg" : c->accelerator);
        add(&b, "-m");
        arg_printf(&b, "%u", c->memory_mib);
        arg_end(&b);
        add(&b, "-smp");
        arg_printf(&b, "%u", c->cpus);
        arg_end(&b);

        add(&b, "-qmp");
        arg_printf(&b, "unix:");
        arg_escaped(&b, c->qmp_path);
        arg_printf(&b, ",server=on,wait=off");
        arg_end(&b);
        /* append=on: a restarted or migrated-back VM keeps its history. */
        add(&b, "-chardev");
        arg_printf(&b, "file,id=serial0,append=on,path=");
        arg_escaped(&b, c->console_path);
        arg_end(&b);
        add(&b, "-serial");
        add(&b, "chardev:serial0");

        if (c->kernel) {
                add(&b, "-kernel");
                add(&b, c->kernel);
                if (c->initrd) {
                        add(&b, "-initrd");
                        add(&b, c->initrd);
                }
                if (c->append) {
                        add(&b, "-append");
                        add(&b, c->append);
                }
        }

        /* cache.direct=on: nothing of the guest's disk may sit in this
         * host's page cache when the VM moves to the other host. */
        for (char **d = c->disks; *d; d++, i++) {
                add(&b, "-blockdev");
                arg_printf(&b, "driver=raw,node-name=disk%u,cache.direct=on,", i);
                if (disk_is_path(*d)) {
                        arg_printf(&b, "file.driver=file,file.filename=");
                        arg_escaped(&b, *d);
                } else {
                        arg_printf(&b, "file.driver=nbd,file.export=0,file.server.type=unix,file.server.path=");
                        arg_escaped(&b, c->run_dir);
                        arg_printf(&b, "/%s.nbd", *d);
                }
                arg_end(&b);
                add(&b, "-device");
                arg_printf(&b, "virtio-blk-pci,drive=disk%u,id=vd%u", i, i);
                if (!c->kernel)
                        arg_printf(&b, ",bootindex=%u", i);
                arg_end(&b);
        }

        if (c->qemu_args && !b.error) {
                wordexp_t w;
                if (wordexp(c->qemu_args, &w, WRDE_NOCMD | WRDE_UNDEF) != 0) {
                        b.error = format_error(why, why_size, -EINVAL,
                                               "qemu_args: cannot split '%s' into words "
                                               "(unbalanced quotes, $(...) or an unset variable?)",
                                               c->qemu_args);
                } else {
                        for (size_t k = 0; k < w.we_wordc; k++)
                                add(&b, w.we_wordv[k]);
                        wordfree(&w);
                }
        }
        if (incoming) {
                add(&b, "-incoming");
                add(&b, "defer");
        }
        buf_free(&b.arg);
        if (b.error) {
                vm_argv_free(b.v);
                return b.error == -ENOMEM ? format_error(why, why_size, -ENOMEM, "out of memory") : b.error;
        }
        *ret = b.v;
        return 0;
}
