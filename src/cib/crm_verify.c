/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crm_verify.c: `configure verify`: the checks crm_apply makes on new
 * objects, made on a whole CIB as it stands, every problem listed. */
#include <stdio.h>

#include "crm.h"
#include "crm_ids.h"
#include "crm_internal.h"

struct verify {
        xmlDoc *cib;
        const struct crm_check_options *opts;
        struct buf problems;
        size_t n;
};

static void problem(struct verify *v, const xmlNode *n, const char *fmt, ...) _printf_(3, 4);
static void problem(struct verify *v, const xmlNode *n, const char *fmt, ...) {
        va_list ap;

        buf_printf(&v->problems, "%s%s %s: ", v->n++ ? "\n" : "", crm_kind_name(crm_kind_of(n)),
                   crm_xml_get(n, "id") ?: "?");
        va_start(ap, fmt);
        buf_vprintf(&v->problems, fmt, ap);
        va_end(ap);
}

static void check_role(struct verify *v, const xmlNode *obj, const xmlNode *n, const char *attr) {
        const char *role = crm_xml_get(n, attr);

        if (role && !crm_role_parse(role))
                problem(v, obj, "invalid role '%s' in %s", role, attr);
}

static void check_score(struct verify *v, const xmlNode *obj, const xmlNode *n) {
        const char *score = crm_xml_get(n, "score");
        char buf[32];

        if (score && crm_score_parse(score, buf, sizeof(buf)) < 0)
                problem(v, obj, "invalid score '%s'", score);
}

static void check_constraint(struct verify *v, const xmlNode *c) {
        static const char *const attrs[] = { "rsc", "with-rsc", "first", "then" };

        for (size_t i = 0; i < ELEMENTSOF(attrs); i++) {
                const char *id = crm_xml_get(c, attrs[i]);

                if (id && !crm_xml_is_resource(crm_cib_find(v->cib, id)))
                        problem(v, c, "unknown resource '%s'", id);
        }
        check_score(v, c, c);
        check_role(v, c, c, "role");
        check_role(v, c, c, "rsc-role");
        check_role(v, c, c, "with-rsc-role");
        crm_xml_foreach(rule, c)
                if (crm_xml_is(rule, "rule")) {
                        check_score(v, c, rule);
                        check_role(v, c, rule, "role");
                }
}

static void check_resources(struct verify *v, const xmlNode *parent) {
        crm_xml_foreach(r, parent) {
                if (crm_xml_is(r, "primitive")) {
                        const char *param = NULL;
                        char why[1024];

                        crm_xml_foreach(ops, r)
                                if (crm_xml_is(ops, "operations"))
                                        crm_xml_foreach(op, ops)
                                                check_role(v, r, op, "role");
                        if (!v->opts || !v->opts->skip_agents)
                                if (crm_agent_check(r, v->opts, &param, why, sizeof(why)) < 0)
                                        problem(v, r, "%s", why);
                } else if (crm_xml_is(r, "clone") || crm_xml_is(r, "master") || crm_xml_is(r, "group")) {
                        size_t n = 0;

                        crm_xml_foreach(c, r)
                                n += crm_xml_is_resource(c);
                        if (n == 0)
                                problem(v, r, "holds no resource");
                        check_resources(v, r);
                }
        }
}

int crm_verify(xmlDoc *cib, const struct crm_check_options *opts, struct crm_error *err) {
        _cleanup_hashmap_ struct hashmap *ids = hashmap_new(NULL);
        struct verify v = { cib, opts, BUF_INIT, 0 };
        xmlNode *conf = crm_cib_section(cib, NULL);
        const char *dup = NULL;
        int r;

        if (!ids || !conf)
                return crm_error(err, -ENOMEM, "out of memory");
        r = crm_ids_collect(conf, ids, &dup);
        if (r == -EEXIST)
                buf_printf(&v.problems, "%sid '%s' is used twice", v.n++ ? "\n" : "", dup);
        else if (r < 0)
                return crm_error(err, r, "out of memory");
        check_resources(&v, crm_cib_section(cib, "resources"));
        crm_xml_foreach(c, crm_cib_section(cib, "constraints"))
                check_constraint(&v, c);
        if (v.n == 0) {
                buf_free(&v.problems);
                return 0;
        }
        r = crm_error(err, -EINVAL, "%s", v.problems.data ?: "out of memory");
        buf_free(&v.problems);
        return r;
}
