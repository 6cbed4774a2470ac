/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crm_agent.c: what a primitive's resource agent accepts, read from the
 * agent itself: an OCF agent under $OCF_ROOT/resource.d/PROVIDER/TYPE
 * answers `meta-data`, a fence agent on PATH answers `-o metadata`. The
 * parameter lists are cached per agent for the length of a command. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <libxml/parser.h>

#include "build-config.h"
#include "crm.h"
#include "crm_internal.h"
#include "hashmap.h"

#define META_DATA_TIMEOUT_MS (10 * 1000)
#define META_DATA_MAX (1024 * 1024)

struct agent {
        int error;              /* 0, or why the agent cannot be used */
        char why[512];
        size_t n;
        char **names;
        bool *required;
};

struct crm_agent_cache {
        struct hashmap *agents; /* "class:provider:type" -> struct agent */
};

static void agent_free(void *p) {
        struct agent *a = p;

        if (!a)
                return;
        for (size_t i = 0; i < a->n; i++)
                free(a->names[i]);
        free(a->names);
        free(a->required);
        free(a);
}

struct crm_agent_cache *crm_agent_cache_new(void) {
        struct crm_agent_cache *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        c->agents = hashmap_new(agent_free);
        if (!c->agents) {
                free(c);
                return NULL;
        }
        return c;
}

void crm_agent_cache_free(struct crm_agent_cache *c) {
        if (!c)
                return;
        hashmap_free(c->agents);
        free(c);
}

/* Runs argv with OCF_ROOT set, collecting at most META_DATA_MAX bytes of
 * its standard output within the timeout. */
static int run_meta_data(char *const *argv, const char *ocf_root, struct buf *out) {
        int fds[2], status = 0, r = 0;
        int64_t deadline = now_usec(CLOCK_MONOTONIC) + META_DATA_TIMEOUT_MS * 1000LL;
        pid_t pid;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                r = -errno;
                safe_close(fds[0]);
                safe_close(fds[1]);
                return r;
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR);

                dup2(fds[1], STDOUT_FILENO);
                if (null >= 0) {
                        dup2(null, STDIN_FILENO);
                        dup2(null, STDERR_FILENO);
                }
                setenv("OCF_ROOT", ocf_root, 1);
                execv(argv[0], argv);
                _exit(127);
        }
        safe_close(fds[1]);
        for (;;) {
                struct pollfd p = { fds[0], POLLIN, 0 };
                int64_t left = (deadline - now_usec(CLOCK_MONOTONIC)) / 1000;
                char chunk[4096];
                ssize_t n;

                if (left <= 0) {
                        r = -ETIME;
                        break;
                }
                n = poll(&p, 1, (int) left);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        r = n < 0 ? -errno : -ETIME;
                        break;
                }
                n = read(fds[0], chunk, sizeof(chunk));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        r = n < 0 ? -errno : 0;
                        break;
                }
                if (out->len + (size_t) n > META_DATA_MAX) {
                        r = -EFBIG;
                        break;
                }
                r = buf_append(out, chunk, (size_t) n);
                if (r < 0)
                        break;
        }
        safe_close(fds[0]);
        if (r < 0)
                kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (r < 0)
                return r;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPROTO;
}

static int agent_add_param(struct agent *a, const char *name, bool required) {
        char **names = reallocarray(a->names, a->n + 1, sizeof(*names));
        bool *req;

        if (!names)
                return -ENOMEM;
        a->names = names;
        req = reallocarray(a->required, a->n + 1, sizeof(*req));
        if (!req)
                return -ENOMEM;
        a->required = req;
        names[a->n] = strdup(name);
        if (!names[a->n])
                return -ENOMEM;
        req[a->n++] = required;
        return 0;
}

/* <resource-agent><parameters><parameter name=... required="1">... */
static int parse_meta_data(struct agent *a, const struct buf *xml) {
        _cleanup_(xmlFreeDocp) xmlDoc *doc = xmlReadMemory(xml->data ?: "", (int) xml->len, "meta-data.xml", NULL,
                                                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
        int r;

        if (!crm_xml_is(root, "resource-agent"))
                return -EBADMSG;
        crm_xml_foreach(params, root) {
                if (!crm_xml_is(params, "parameters"))
                        continue;
                crm_xml_foreach(p, params) {
                        const char *name = crm_xml_get(p, "name"), *req = crm_xml_get(p, "required");
                        bool required = false;

                        if (!crm_xml_is(p, "parameter") || !name)
                                continue;
                        if (req)
                                (void) parse_bool(req, &required);
                        r = agent_add_param(a, name, required);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static const char *ocf_root(const struct crm_check_options *opts) {
        const char *root = opts && opts->ocf_root ? opts->ocf_root : getenv("OCF_ROOT");

        return root && *root ? root : TANDEM_OCF_ROOT;
}

/* The first executable `name` in the directories of path (':'-separated),
 * then /usr/sbin. */
static int find_fence_agent(const char *name, const char *path, char **ret) {
        _cleanup_free_ char *dirs = strjoin(path ? path : "", ":/usr/sbin", NULL);
        char *save = NULL;

        if (!dirs)
                return -ENOMEM;
        if (strchr(name, '/'))
                return -ENOENT;
        for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *p = strjoin(d, "/", name, NULL);

                if (!p)
                        return -ENOMEM;
                if (access(p, X_OK) == 0) {
                        *ret = TAKE_PTR(p);
                        return 0;
                }
        }
        return -ENOENT;
}

static void load_agent(struct agent *a, const char *class, const char *provider, const char *type,
                       const struct crm_check_options *opts) {
        _cleanup_buf_ struct buf out = BUF_INIT;
        _cleanup_free_ char *path = NULL;
        const char *root = ocf_root(opts);
        struct stat st;
        int r;

        if (strchr(type, '/') || (provider && strchr(provider, '/')) || streq(type, "..") ||
            (provider && streq(provider, ".."))) {
                a->error = -ENOENT;
                snprintf(a->why, sizeof(a->why), "'%s' is not an agent name", type);
                return;
        }
        if (streq(class, "ocf")) {
                path = strjoin(root, "/resource.d/", provider, "/", type, NULL);
                if (!path || stat(path, &st) < 0 || !S_ISREG(st.st_mode) || access(path, X_OK) < 0) {
                        a->error = path ? -ENOENT : -ENOMEM;
                        snprintf(a->why, sizeof(a->why), "unknown resource agent ocf:%s:%s (no %s/resource.d/%s/%s)",
                                 provider, type, root, provider, type);
                        return;
                }
                r = run_meta_data((char *[]) { path, (char *) "meta-data", NULL }, root, &out);
        } else if (streq(class, "stonith")) {
                const char *p = opts && opts->stonith_path ? opts->stonith_path : getenv("PATH");

                r = find_fence_agent(type, p, &path);
                if (r < 0) {
                        a->error = r;
                        snprintf(a->why, sizeof(a->why), "unknown fence agent stonith:%s (not on PATH nor in /usr/sbin)",
                                 type);
                        return;
                }
                r = run_meta_data((char *[]) { path, (char *) "-o", (char *) "metadata", NULL }, root, &out);
        } else if (streq(class, "lsb")) {
                path = strjoin("/etc/init.d/", type, NULL);
                if (!path || access(path, X_OK) < 0) {
                        a->error = -ENOENT;
                        snprintf(a->why, sizeof(a->why), "unknown LSB agent lsb:%s (no /etc/init.d/%s)", type, type);
                }
                /* An init script takes no parameters. */
                return;
        } else
                /* systemd and service units have no parameters to check. */
                return;
        if (r >= 0)
                r = parse_meta_data(a, &out);
        if (r < 0) {
                a->error = -EINVAL;
                snprintf(a->why, sizeof(a->why), "the agent %s gave no usable meta-data (%s)", path,
                         r == -EPROTO ? "it failed" : r == -EBADMSG ? "not agent XML" : strerror(-r));
        }
}

static bool is_fencing_param(const char *name) {
        /* Pacemaker's own options for every fence device. */
        return startswith(name, "pcmk_") || streq(name, "priority") || streq(name, "provides");
}

int crm_agent_check(const xmlNode *prim, const struct crm_check_options *opts,
                    const char **ret_param, char *why, size_t why_size) {
        const char *class = crm_xml_get(prim, "class"), *provider = crm_xml_get(prim, "provider"),
                   *type = crm_xml_get(prim, "type");
        _cleanup_free_ char *key = NULL;
        struct agent *a = NULL;
        bool cached = false;
        int r;

        if (!class || !type)
                return format_error(why, why_size, -EINVAL, "a primitive needs a class and a type");
        if (streq(class, "ocf") && !provider)
                return format_error(why, why_size, -EINVAL, "an ocf agent needs a provider");
        key = strjoin(class, ":", provider ?: "", ":", type, NULL);
        if (!key)
                return -ENOMEM;
        if (opts && opts->cache && (a = hashmap_get(opts->cache->agents, key)))
                cached = true;
        if (!a) {
                a = calloc(1, sizeof(*a));
                if (!a)
                        return -ENOMEM;
                load_agent(a, class, provider, type, opts);
        }
        if (!cached && opts && opts->cache && hashmap_put(opts->cache->agents, key, a) >= 0)
                cached = true;
        r = a->error;
        if (r < 0) {
                format_error(why, why_size, r, "%s", a->why);
                goto out;
        }
        crm_xml_foreach(set, prim) {
                if (!crm_xml_is(set, "instance_attributes"))
                        continue;
                crm_xml_foreach(nv, set) {
                        const char *name = crm_xml_get(nv, "name");
                        bool known = streq(class, "stonith") && is_fencing_param(name ?: "");

                        for (size_t i = 0; i < a->n && !known; i++)
                                known = streq(a->names[i], name ?: "");
                        if (!known) {
                                *ret_param = name;
                                r = format_error(why, why_size, -EINVAL, "the agent %s%s%s:%s has no parameter '%s'",
                                                 class, provider ? ":" : "", provider ?: "", type, name ?: "");
                                goto out;
                        }
                }
        }
        for (size_t i = 0; i < a->n; i++) {
                bool set = false;

                if (!a->required[i])
                        continue;
                crm_xml_foreach(s, prim)
                        if (crm_xml_is(s, "instance_attributes"))
                                crm_xml_foreach(nv, s)
                                        set = set || streq(crm_xml_get(nv, "name") ?: "", a->names[i]);
                if (!set) {
                        *ret_param = NULL;
                        r = format_error(why, why_size, -EINVAL, "missing required parameter '%s' of %s%s%s:%s",
                                         a->names[i], class, provider ? ":" : "", provider ?: "", type);
                        goto out;
                }
        }
        r = 0;
out:
        if (!cached)
                agent_free(a);
        return r;
}
