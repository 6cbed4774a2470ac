/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cib_rules.c: Pacemaker rules: node attribute expressions (string,
 * integer, number and version comparisons, defined/not_defined), date
 * expressions (in_range, gt, lt) and nested rules joined by and/or. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cib_internal.h"

static const char *const attr_ops[] = { "lt", "gt", "lte", "gte", "eq", "ne", "defined", "not_defined" };

/* "2005-01-31", "2005-01-31 12:00:00", "2005-01-31T12:00:00Z": seconds
 * since the epoch in UTC. */
static int parse_date(const char *s, time_t *ret) {
        struct tm tm = {};
        int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;

        if (!s || sscanf(s, "%d-%d-%d%n", &y, &mo, &d, &n) != 3)
                return -EINVAL;
        s += n;
        if (*s == 'T' || *s == ' ')
                if (sscanf(s + 1, "%d:%d:%d", &h, &mi, &sec) < 2)
                        return -EINVAL;
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = sec;
        *ret = timegm(&tm);
        return 0;
}

static int validate_expr(const xmlNode *e, char *why, size_t why_size) {
        if (cib_is(e, "expression")) {
                const char *op = cib_xattr(e, "operation");
                bool known = false;

                if (!cib_xattr(e, "attribute"))
                        return cib_error(why, why_size, e, "expression without an attribute");
                for (size_t i = 0; op && i < ELEMENTSOF(attr_ops); i++)
                        known = known || strcmp(op, attr_ops[i]) == 0;
                if (!known)
                        return cib_error(why, why_size, e, "invalid operation '%s'", op ? op : "");
                if (!cib_xattr(e, "value") && strcmp(op, "defined") != 0 && strcmp(op, "not_defined") != 0)
                        return cib_error(why, why_size, e, "expression without a value");
                return 0;
        }
        if (cib_is(e, "date_expression")) {
                const char *op = cib_xattr(e, "operation");
                time_t t;

                if (!op)
                        op = "in_range";
                if (strcmp(op, "in_range") && strcmp(op, "gt") && strcmp(op, "lt") && strcmp(op, "date_spec"))
                        return cib_error(why, why_size, e, "invalid date operation '%s'", op);
                if (cib_xattr(e, "start") && parse_date(cib_xattr(e, "start"), &t) < 0)
                        return cib_error(why, why_size, e, "invalid start date '%s'", cib_xattr(e, "start"));
                if (cib_xattr(e, "end") && parse_date(cib_xattr(e, "end"), &t) < 0)
                        return cib_error(why, why_size, e, "invalid end date '%s'", cib_xattr(e, "end"));
                return 0;
        }
        if (cib_is(e, "rule"))
                return cib_rule_validate(e, why, why_size);
        if (cib_is(e, "op_expression") || cib_is(e, "rsc_expression"))
                return 0;
        return cib_error(why, why_size, e, "unknown element <%s> in a rule", (const char *) e->name);
}

int cib_rule_validate(const xmlNode *rule, char *why, size_t why_size) {
        const char *op = cib_xattr(rule, "boolean-op");
        const char *score = cib_xattr(rule, "score");
        int s;

        if (op && strcasecmp(op, "and") && strcasecmp(op, "or"))
                return cib_error(why, why_size, rule, "invalid boolean-op '%s'", op);
        if (score && cib_score_parse(score, &s) < 0)
                return cib_error(why, why_size, rule, "invalid score '%s'", score);
        CIB_FOREACH_CHILD(e, rule) {
                int r = validate_expr(e, why, why_size);

                if (r < 0)
                        return r;
        }
        return 0;
}

/* Negative, zero or positive as a is below, equal to or above b. */
static int compare_values(const char *a, const char *b, const char *type, const char *op) {
        if (!type) {
                /* Pacemaker guesses numbers for ordering comparisons. */
                if (strcmp(op, "eq") == 0 || strcmp(op, "ne") == 0)
                        type = "string";
                else if (strchr(a, '.') || strchr(b, '.'))
                        type = "number";
                else
                        type = "integer";
        }
        if (strcasecmp(type, "integer") == 0) {
                char *ea, *eb;
                long long x = strtoll(a, &ea, 10), y = strtoll(b, &eb, 10);

                if (ea == a || eb == b)
                        return strcasecmp(a, b);
                return (x > y) - (x < y);
        }
        if (strcasecmp(type, "number") == 0) {
                char *ea, *eb;
                double x = strtod(a, &ea), y = strtod(b, &eb);

                if (ea == a || eb == b)
                        return strcasecmp(a, b);
                return (x > y) - (x < y);
        }
        if (strcasecmp(type, "version") == 0) {
                while (*a || *b) {
                        long x = strtol(a, (char **) &a, 10), y = strtol(b, (char **) &b, 10);

                        if (x != y)
                                return x < y ? -1 : 1;
                        if (*a == '.')
                                a++;
                        if (*b == '.')
                                b++;
                        if ((*a && !isdigit((unsigned char) *a)) || (*b && !isdigit((unsigned char) *b)))
                                break;
                }
                return 0;
        }
        return strcasecmp(a, b);
}

static bool expr_matches(const xmlNode *e, const struct cib_rule_ctx *ctx) {
        const char *op = cib_xattr(e, "operation");
        const char *value = cib_xattr(e, "value");
        const char *attr = cib_xattr(e, "attribute");
        const char *actual = ctx->node_attr ? ctx->node_attr(ctx->data, attr) : NULL;
        const char *source = cib_xattr(e, "value-source");
        int cmp;

        if (source && strcmp(source, "param") != 0 && strcmp(source, "meta") != 0)
                source = NULL;
        if (strcmp(op, "defined") == 0)
                return actual != NULL;
        if (strcmp(op, "not_defined") == 0)
                return actual == NULL;
        if (!actual || !value)
                return strcmp(op, "ne") == 0 && (actual != NULL) != (value != NULL);
        cmp = compare_values(actual, value, cib_xattr(e, "type"), op);
        if (strcmp(op, "eq") == 0)
                return cmp == 0;
        if (strcmp(op, "ne") == 0)
                return cmp != 0;
        if (strcmp(op, "lt") == 0)
                return cmp < 0;
        if (strcmp(op, "lte") == 0)
                return cmp <= 0;
        if (strcmp(op, "gt") == 0)
                return cmp > 0;
        return cmp >= 0;
}

static bool date_matches(const xmlNode *e, const struct cib_rule_ctx *ctx) {
        const char *op = cib_xattr(e, "operation");
        time_t start = 0, end = 0;
        bool has_start = parse_date(cib_xattr(e, "start"), &start) == 0;
        bool has_end = parse_date(cib_xattr(e, "end"), &end) == 0;

        if (!op || strcmp(op, "in_range") == 0) {
                if (!has_end) {
                        CIB_FOREACH_CHILD(d, e)
                                if (cib_is(d, "duration") && has_start) {
                                        unsigned long long secs = 0;
                                        const char *v;

                                        if ((v = cib_xattr(d, "years")))
                                                secs += strtoull(v, NULL, 10) * 365ULL * 86400;
                                        if ((v = cib_xattr(d, "months")))
                                                secs += strtoull(v, NULL, 10) * 30ULL * 86400;
                                        if ((v = cib_xattr(d, "weeks")))
                                                secs += strtoull(v, NULL, 10) * 7ULL * 86400;
                                        if ((v = cib_xattr(d, "days")))
                                                secs += strtoull(v, NULL, 10) * 86400ULL;
                                        if ((v = cib_xattr(d, "hours")))
                                                secs += strtoull(v, NULL, 10) * 3600ULL;
                                        if ((v = cib_xattr(d, "minutes")))
                                                secs += strtoull(v, NULL, 10) * 60ULL;
                                        if ((v = cib_xattr(d, "seconds")))
                                                secs += strtoull(v, NULL, 10);
                                        end = start + (time_t) secs;
                                        has_end = true;
                                }
                }
                return (!has_start || ctx->now >= start) && (!has_end || ctx->now <= end);
        }
        if (strcmp(op, "gt") == 0)
                return has_start && ctx->now > start;
        if (strcmp(op, "lt") == 0)
                return has_end && ctx->now < end;
        return false; /* date_spec: not supported, never matches */
}

bool cib_rule_matches(const xmlNode *rule, const struct cib_rule_ctx *ctx) {
        const char *op = cib_xattr(rule, "boolean-op");
        bool any = op && strcasecmp(op, "or") == 0;
        bool seen = false;

        CIB_FOREACH_CHILD(e, rule) {
                bool m;

                if (cib_is(e, "expression"))
                        m = expr_matches(e, ctx);
                else if (cib_is(e, "date_expression"))
                        m = date_matches(e, ctx);
                else if (cib_is(e, "rule"))
                        m = cib_rule_matches(e, ctx);
                else
                        continue; /* op and rsc expressions do not apply to placement */
                seen = true;
                if (any && m)
                        return true;
                if (!any && !m)
                        return false;
        }
        return !any || !seen;
}
