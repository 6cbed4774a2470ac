/* disk.c: `tandem disk`, drbdadm's counterpart. Commands that act on a
 * running resource go to tandem-diskd over its control socket; dump and
 * create-md work on the configuration and the devices directly, as
 * drbdadm does. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "disk_config.h"
#include "ctl.h"
#include "meta.h"
#include "util.h"

static const char *config_path(void) {
        const char *p = getenv("TANDEM_DISK_CONF");
        return p && *p ? p : "/etc/tandem/disk.conf";
}

static void disk_usage(FILE *f) {
        fprintf(f,
                "Usage: tandem disk COMMAND [OPTIONS] RESOURCE|all\n\n"
                "  up RES             attach the volumes and connect to the peer\n"
                "  down RES           disconnect and detach (demotes a Primary without clients)\n"
                "  attach RES, detach RES, disconnect RES\n"
                "  connect [--discard-my-data] RES   connect (again, when StandAlone); after a split\n"
                "                     brain, --discard-my-data makes this side the SyncTarget\n"
                "  primary [--force] RES   promote (--force: also from Inconsistent/Outdated data)\n"
                "  secondary RES      demote (refused while an NBD client is connected)\n"
                "  verify RES         online verify against the peer (verify-alg): blocks that\n"
                "                     differ are logged and marked out of sync\n"
                "  invalidate RES     this side's data is discarded: full resync from the peer\n"
                "  invalidate-remote RES   the peer's data is discarded: full resync to it\n"
                "  outdate RES        mark the data Outdated (Secondary, disconnected)\n"
                "  new-current-uuid [--clear-bitmap] RES   start a new generation; --clear-bitmap\n"
                "                     on a fresh pair skips the initial sync\n"
                "  pause-sync RES, resume-sync RES\n"
                "  status [RES] [--json] [--verbose]\n"
                "  dump [RES]         the configuration in canonical drbd.conf form\n"
                "  create-md [--force] RES   write fresh metadata for this host's volumes\n"
                "\nConfiguration: %s (TANDEM_DISK_CONF overrides). Like drbdadm, with\n"
                "'tandem disk' in its place.\n", config_path());
}

static int load(struct disk_config **ret) {
        struct disk_config_error err;
        int r = disk_config_load(config_path(), NULL, ret, &err);
        if (r < 0)
                fprintf(stderr, "tandem disk: %s\n", err.message);
        return r;
}

static int cmd_dump(int argc, char **argv) {
        _cleanup_buf_ struct buf out = BUF_INIT;
        struct disk_config *c = NULL;
        const char *res = NULL;
        int r;

        for (int i = 1; i < argc; i++) {
                if (res) {
                        fprintf(stderr, "tandem disk dump: one resource at most\n");
                        return 2;
                }
                res = streq(argv[i], "all") ? NULL : argv[i];
        }
        if (load(&c) < 0)
                return 1;
        r = disk_config_dump(c, res, &out);
        disk_config_free(c);
        if (r == -ENOENT) {
                fprintf(stderr, "tandem disk dump: no resource '%s' in %s\n", res, config_path());
                return 1;
        }
        if (r < 0) {
                fprintf(stderr, "tandem disk dump: %s\n", strerror(-r));
                return 1;
        }
        fputs(out.data ? out.data : "", stdout);
        return 0;
}

/* Whether tandem-diskd has resource `name` up. */
static bool resource_is_up(const char *name) {
        _cleanup_(json_decrefp) json_t *req = ctl_request_new("status", 1, (char *[]) { "--json" });
        _cleanup_(json_decrefp) json_t *reply = NULL;
        char path[4096];
        size_t i;
        json_t *res;

        if (!req || ctl_call(cli_socket_path("diskd.sock", path, sizeof(path)), req, 5000, &reply) < 0)
                return false;
        json_array_foreach(json_object_get(reply, "resources"), i, res)
                if (streq(json_string_value(json_object_get(res, "name")) ?: "", name))
                        return true;
        return false;
}

static int create_md_volume(const struct disk_resource *res, const struct disk_host *h,
                            const struct disk_volume *vol, bool force) {
        struct meta_location loc = {
                .kind = vol->meta == DISK_META_INTERNAL ? META_INTERNAL
                        : vol->meta_index >= 0 ? META_EXTERNAL_INDEXED : META_EXTERNAL_FLEX,
                .index = vol->meta_index >= 0 ? (uint32_t) vol->meta_index : 0,
        };
        struct meta_create_params params = { .node_id = h->node_id, .force = force };
        _cleanup_meta_dev_ struct meta_dev *backing = NULL, *md = NULL;
        char reason[META_REASON_SIZE] = "";
        struct meta_super sb;
        int r;

        r = meta_dev_open(vol->disk, META_DEV_WRITE | META_DEV_EXCL, &backing);
        if (r < 0) {
                fprintf(stderr, "tandem disk create-md: %s/%u: cannot open %s: %s\n", res->name, vol->number,
                        vol->disk, strerror(-r));
                return r;
        }
        if (loc.kind != META_INTERNAL) {
                r = meta_dev_open(vol->meta_disk, META_DEV_WRITE, &md);
                if (r < 0) {
                        fprintf(stderr, "tandem disk create-md: %s/%u: cannot open meta-disk %s: %s\n", res->name,
                                vol->number, vol->meta_disk, strerror(-r));
                        return r;
                }
        }
        r = meta_create(backing, md, &loc, &params, &sb, reason, sizeof(reason));
        if (r < 0) {
                fprintf(stderr, "tandem disk create-md: %s/%u: %s%s\n", res->name, vol->number, reason,
                        (r == -EEXIST || r == -EMEDIUMTYPE || r == -ENOTEMPTY) && !force
                        ? " (use --force to overwrite)" : "");
                return r;
        }
        printf("%s/%u: new metadata on %s: %llu usable bytes of %llu\n", res->name, vol->number,
               loc.kind == META_INTERNAL ? vol->disk : vol->meta_disk,
               (unsigned long long) sb.layout.data_size, (unsigned long long) sb.layout.backing_size);
        return 0;
}

static int cmd_create_md(int argc, char **argv) {
        struct disk_config *c = NULL;
        const char *name = NULL;
        bool force = false;
        struct utsname u;
        int ret = 0;

        for (int i = 1; i < argc; i++) {
                if (streq(argv[i], "--force"))
                        force = true;
                else if (argv[i][0] == '-') {
                        fprintf(stderr, "tandem disk create-md: unknown option '%s'\n", argv[i]);
                        return 2;
                } else if (name) {
                        fprintf(stderr, "tandem disk create-md: one resource (or all)\n");
                        return 2;
                } else
                        name = argv[i];
        }
        if (!name) {
                fprintf(stderr, "Usage: tandem disk create-md [--force] RESOURCE|all\n");
                return 2;
        }
        if (uname(&u) < 0 || load(&c) < 0)
                return 1;
        bool found = false;
        for (size_t i = 0; i < c->n_resources; i++) {
                const struct disk_resource *res = c->resources[i];
                if (!streq(name, "all") && !streq(name, res->name))
                        continue;
                found = true;
                const struct disk_host *h = disk_resource_find_host(res, u.nodename);
                if (!h) {
                        fprintf(stderr, "tandem disk create-md: %s: no 'on %s' section\n", res->name, u.nodename);
                        ret = 1;
                        continue;
                }
                if (resource_is_up(res->name)) {
                        fprintf(stderr, "tandem disk create-md: %s is up; 'tandem disk down %s' first\n",
                                res->name, res->name);
                        ret = 1;
                        continue;
                }
                for (size_t v = 0; v < h->n_volumes; v++)
                        if (create_md_volume(res, h, &h->volumes[v], force) < 0)
                                ret = 1;
        }
        if (!found) {
                fprintf(stderr, "tandem disk create-md: no resource '%s' in %s\n", name, config_path());
                ret = 1;
        }
        disk_config_free(c);
        return ret;
}

static const char *const daemon_commands[] = {
        "up", "down", "attach", "detach", "connect", "disconnect", "primary", "secondary", "verify", "invalidate", "invalidate-remote", "outdate",
        "new-current-uuid", "pause-sync", "resume-sync", "status",
};

int cli_disk(int argc, char **argv) {
        const char *cmd = argc > 1 ? argv[1] : NULL;

        if (!cmd || streq(cmd, "-h") || streq(cmd, "--help") || streq(cmd, "help")) {
                disk_usage(cmd ? stdout : stderr);
                return cmd ? 0 : 2;
        }
        if (streq(cmd, "dump"))
                return cmd_dump(argc - 1, argv + 1);
        if (geteuid() != 0) {
                fprintf(stderr, "tandem disk: must be run as root\n");
                return 1;
        }
        if (streq(cmd, "create-md"))
                return cmd_create_md(argc - 1, argv + 1);
        for (size_t i = 0; i < ELEMENTSOF(daemon_commands); i++)
                if (streq(cmd, daemon_commands[i])) {
                        if (!streq(cmd, "status") && argc < 3) {
                                fprintf(stderr, "Usage: tandem disk %s%s RESOURCE|all\n", cmd,
                                        streq(cmd, "primary") ? " [--force]" : "");
                                return 2;
                        }
                        return cli_call_daemon("diskd.sock", "tandem-diskd", cmd, argc - 2, argv + 2);
                }
        fprintf(stderr, "tandem disk: unknown command '%s'\n", cmd);
        disk_usage(stderr);
        return 2;
}
