/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The canonical dump of a resolved disk.conf, like "drbdadm dump": common
 * merged into every resource, volumes written out per host, one option per
 * line in table order, values quoted only where needed. Parsing the dump
 * gives the same configuration, so dumping it again gives the same text. */
#include <netinet/in.h>

#include "config_internal.h"
#include "sock.h"

#define INDENT "    "

static int put_indent(struct buf *out, unsigned level) {
        for (unsigned i = 0; i < level; i++)
                if (buf_append_str(out, INDENT) < 0)
                        return -ENOMEM;
        return 0;
}

/* Writes "name { ... }" with the options of section s that have a value;
 * nothing if none has. */
static int dump_section(struct buf *out, const struct disk_option_value *opt, enum disk_section s,
                        unsigned level) {
        bool open = false;
        int r;

        for (int id = 0; id < _DISK_OPT_MAX; id++) {
                const struct disk_option_info *o = disk_option_info(id);

                if (o->section != s || !(opt[id].set || opt[id].inherited))
                        continue;
                if (!open) {
                        if (put_indent(out, level) < 0 || buf_printf(out, "%s {\n", cfg_section_name(s)) < 0)
                                return -ENOMEM;
                        open = true;
                }
                if (put_indent(out, level + 1) < 0 || buf_printf(out, "%s ", o->name) < 0)
                        return -ENOMEM;
                r = cfg_format_value(id, &opt[id], out);
                if (r < 0)
                        return r;
                if (buf_append_str(out, ";\n") < 0)
                        return -ENOMEM;
        }
        if (open && (put_indent(out, level) < 0 || buf_append_str(out, "}\n") < 0))
                return -ENOMEM;
        return 0;
}

/* "statement value;" on its own line. */
static int line_word(struct buf *out, unsigned level, const char *keyword, const char *value, bool force_quotes) {
        if (put_indent(out, level) < 0 || buf_printf(out, "%s ", keyword) < 0 ||
            cfg_append_word(out, value, force_quotes) < 0 || buf_append_str(out, ";\n") < 0)
                return -ENOMEM;
        return 0;
}

static int dump_volume(struct buf *out, const struct disk_volume *v, unsigned level) {
        if (put_indent(out, level) < 0 || buf_printf(out, "volume %" PRIu32 " {\n", v->number) < 0)
                return -ENOMEM;
        if (v->device || v->minor_set) {
                if (put_indent(out, level + 1) < 0 || buf_append_str(out, "device ") < 0)
                        return -ENOMEM;
                if (v->device && (cfg_append_word(out, v->device, false) < 0 || buf_putc(out, ' ') < 0))
                        return -ENOMEM;
                if (buf_printf(out, "minor %" PRIu32 ";\n", v->minor) < 0)
                        return -ENOMEM;
        }
        if (v->disk && line_word(out, level + 1, "disk", v->disk, false) < 0)
                return -ENOMEM;
        if (v->meta == DISK_META_INTERNAL && line_word(out, level + 1, "meta-disk", "internal", false) < 0)
                return -ENOMEM;
        if (v->meta == DISK_META_EXTERNAL) {
                /* A bare '[' would read back as the start of an index. */
                if (put_indent(out, level + 1) < 0 || buf_append_str(out, "meta-disk ") < 0 ||
                    cfg_append_word(out, v->meta_disk, strchr(v->meta_disk, '[') != NULL) < 0)
                        return -ENOMEM;
                if (v->meta_index >= 0 && buf_printf(out, " [%" PRId32 "]", v->meta_index) < 0)
                        return -ENOMEM;
                if (buf_append_str(out, ";\n") < 0)
                        return -ENOMEM;
        }
        if (put_indent(out, level) < 0 || buf_append_str(out, "}\n") < 0)
                return -ENOMEM;
        return 0;
}

static int dump_host(struct buf *out, const struct disk_host *h, unsigned level) {
        char addr[SOCK_ADDR_STR_MAX];
        int r;

        if (put_indent(out, level) < 0 || buf_printf(out, "on %s {\n", h->name) < 0)
                return -ENOMEM;
        /* An assigned node-id is not written: it would turn into an
         * explicit one when the dump is read back. */
        if (h->node_id_set &&
            (put_indent(out, level + 1) < 0 || buf_printf(out, "node-id %" PRIu32 ";\n", h->node_id) < 0))
                return -ENOMEM;
        r = sock_format_addr((const struct sockaddr *) &h->address, h->address_len, addr, sizeof(addr));
        if (r < 0)
                return r;
        if (put_indent(out, level + 1) < 0 ||
            buf_printf(out, "address %s %s;\n", h->address.ss_family == AF_INET6 ? "ipv6" : "ipv4", addr) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < h->n_volumes; i++) {
                r = dump_volume(out, &h->volumes[i], level + 1);
                if (r < 0)
                        return r;
        }
        if (put_indent(out, level) < 0 || buf_append_str(out, "}\n") < 0)
                return -ENOMEM;
        return 0;
}

static int dump_resource(struct buf *out, const struct disk_resource *res) {
        static const enum disk_section order[] = {
                DISK_SECTION_OPTIONS, DISK_SECTION_NET, DISK_SECTION_DISK,
                DISK_SECTION_STARTUP, DISK_SECTION_HANDLERS,
        };
        int r;

        if (buf_printf(out, "resource %s {\n", res->name) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                r = dump_section(out, res->opt, order[i], 1);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < res->n_hosts; i++) {
                r = dump_host(out, &res->hosts[i], 1);
                if (r < 0)
                        return r;
        }
        return buf_append_str(out, "}\n");
}

int disk_config_dump(const struct disk_config *c, const char *resource, struct buf *out) {
        bool first = true;
        int r;

        if (!c || !out)
                return -EINVAL;
        if (resource) {
                const struct disk_resource *res = disk_config_find_resource(c, resource);

                return res ? dump_resource(out, res) : -ENOENT;
        }
        for (int id = 0; id < _DISK_OPT_MAX; id++)
                if (c->global_opt[id].set) {
                        r = dump_section(out, c->global_opt, DISK_SECTION_GLOBAL, 0);
                        if (r < 0)
                                return r;
                        first = false;
                        break;
                }
        for (size_t i = 0; i < c->n_resources; i++) {
                if (!first && buf_putc(out, '\n') < 0)
                        return -ENOMEM;
                r = dump_resource(out, c->resources[i]);
                if (r < 0)
                        return r;
                first = false;
        }
        return 0;
}
