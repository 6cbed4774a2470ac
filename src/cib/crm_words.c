/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crm_words.c: the small vocabularies of the crmsh language (scores,
 * roles, object keywords and their display order) and the one way its
 * files format error messages. */
#include <ctype.h>
#include <stdio.h>
#include <strings.h>

#include "crm.h"
#include "crm_internal.h"

static const char *const kind_names[_CRM_KIND_MAX] = {
        [CRM_NODE] = "node",
        [CRM_PRIMITIVE] = "primitive",
        [CRM_GROUP] = "group",
        [CRM_MS] = "ms",
        [CRM_CLONE] = "clone",
        [CRM_LOCATION] = "location",
        [CRM_COLOCATION] = "colocation",
        [CRM_ORDER] = "order",
        [CRM_PROPERTY] = "property",
        [CRM_RSC_DEFAULTS] = "rsc_defaults",
        [CRM_OP_DEFAULTS] = "op_defaults",
        [CRM_XML] = "xml",
};

const char *crm_kind_name(enum crm_kind kind) {
        return kind < _CRM_KIND_MAX ? kind_names[kind] : "object";
}

int crm_kind_order(const xmlNode *n, enum crm_kind kind) {
        /* crmsh's order (xmlutil.py): nodes, templates, primitives,
         * bundles, groups, ms, clones, then location, colocation and order
         * together, tickets, properties, rsc_defaults, op_defaults. */
        static const int order[_CRM_KIND_MAX] = {
                [CRM_NODE] = 0, [CRM_PRIMITIVE] = 2, [CRM_GROUP] = 4, [CRM_MS] = 5,
                [CRM_CLONE] = 6, [CRM_LOCATION] = 7, [CRM_COLOCATION] = 7,
                [CRM_ORDER] = 7, [CRM_PROPERTY] = 9, [CRM_RSC_DEFAULTS] = 10,
                [CRM_OP_DEFAULTS] = 11, [CRM_XML] = 12,
        };
        if (kind == CRM_XML && crm_xml_is(n, "template"))
                return 1;
        if (kind == CRM_XML && crm_xml_is(n, "bundle"))
                return 3;
        if (kind == CRM_XML && crm_xml_is(n, "rsc_ticket"))
                return 8;
        return kind < _CRM_KIND_MAX ? order[kind] : 13;
}

bool crm_is_object_keyword(const char *word) {
        if (streq(word, "collocation"))
                return true;
        for (size_t i = 0; i < _CRM_KIND_MAX; i++)
                if (streq(word, kind_names[i]))
                        return true;
        return false;
}

static bool is_infinity(const char *s) {
        return strcasecmp(s, "inf") == 0 || strcasecmp(s, "infinity") == 0;
}

int crm_score_parse(const char *word, char *ret, size_t size) {
        const char *s = word;
        bool neg = false;
        size_t digits;

        if (*s == '+' || *s == '-')
                neg = *s++ == '-';
        if (is_infinity(s)) {
                snprintf(ret, size, "%s", neg ? "-INFINITY" : "INFINITY");
                return 0;
        }
        digits = strspn(s, "0123456789");
        /* Pacemaker caps scores at 1000000; ten digits is plenty. */
        if (digits == 0 || s[digits] != '\0' || digits > 10)
                return -EINVAL;
        snprintf(ret, size, "%s%s", neg ? "-" : "", s);
        return 0;
}

const char *crm_role_parse(const char *word) {
        static const struct {
                const char *word, *role;
        } roles[] = {
                { "Started", "Started" },
                { "Stopped", "Stopped" },
                { "Promoted", "Promoted" },
                { "Unpromoted", "Unpromoted" },
                { "Master", "Promoted" },
                { "Slave", "Unpromoted" },
        };
        for (size_t i = 0; i < ELEMENTSOF(roles); i++)
                if (strcasecmp(word, roles[i].word) == 0)
                        return roles[i].role;
        return NULL;
}

static int verror_at(struct crm_error *err, const char *name, struct crm_pos pos,
                     const char *fmt, va_list ap) _printf_(4, 0);
static int verror_at(struct crm_error *err, const char *name, struct crm_pos pos,
                     const char *fmt, va_list ap) {
        int l = 0;

        if (!err)
                return -EINVAL;
        if (name && pos.line)
                l = snprintf(err->message, sizeof(err->message), "%s:%u:%u: ", name, pos.line, pos.col);
        else if (name)
                l = snprintf(err->message, sizeof(err->message), "%s: ", name);
        if (l < 0 || (size_t) l >= sizeof(err->message))
                l = 0;
        vsnprintf(err->message + l, sizeof(err->message) - (size_t) l, fmt, ap);
        return -EINVAL;
}

int crm_error_at(struct crm_error *err, const char *name, struct crm_pos pos, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = verror_at(err, name, pos, fmt, ap);
        va_end(ap);
        return r;
}

int crm_error(struct crm_error *err, int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        verror_at(err, NULL, (struct crm_pos) {}, fmt, ap);
        va_end(ap);
        return r;
}

bool crm_valid_id(const char *s) {
        if (!isalpha((unsigned char) *s) && *s != '_')
                return false;
        for (s++; *s; s++)
                if (!isalnum((unsigned char) *s) && !strchr("_-.", *s))
                        return false;
        return true;
}

static bool in_list(const char *s, const char *const *list, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (streq(s, list[i]))
                        return true;
        return false;
}

bool crm_is_action(const char *s) {
        static const char *const actions[] = { "start", "stop", "promote", "demote" };
        return in_list(s, actions, ELEMENTSOF(actions));
}

bool crm_is_binary_op(const char *s) {
        static const char *const ops[] = { "lt", "gt", "lte", "gte", "eq", "ne" };
        return in_list(s, ops, ELEMENTSOF(ops));
}

bool crm_is_value_type(const char *s) {
        static const char *const types[] = { "string", "integer", "number", "version" };
        return in_list(s, types, ELEMENTSOF(types));
}

bool crm_is_date_field(const char *s) {
        static const char *const fields[] = {
                "years", "months", "weeks", "days", "hours", "minutes", "seconds",
                "monthdays", "weekdays", "yeardays", "weekyears", "moon",
        };
        return in_list(s, fields, ELEMENTSOF(fields));
}

bool crm_is_agent_class(const char *s) {
        static const char *const classes[] = { "ocf", "stonith", "lsb", "systemd", "service" };
        return in_list(s, classes, ELEMENTSOF(classes));
}

bool crm_valid_agent_word(const char *s) {
        /* systemd units have '@', but not first (a template). */
        return *s && *s != '@' && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-@") == strlen(s);
}

/* The attributes an <op> element has; crmsh puts the others in the op's
 * instance_attributes (OCF_CHECK_LEVEL=10). */
bool crm_is_op_attribute(const char *s) {
        static const char *const attrs[] = {
                "name", "interval", "description", "start-delay", "interval-origin", "timeout",
                "enabled", "record-pending", "role", "requires", "on-fail",
        };
        return in_list(s, attrs, ELEMENTSOF(attrs));
}
