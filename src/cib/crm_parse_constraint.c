/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crm_parse_constraint.c: the constraint statements of the crmsh
 * language (location with scores or rules, colocation, order) -> CIB
 * rsc_location, rsc_colocation, rsc_order elements. */
#include <ctype.h>
#include <strings.h>

#include "crm.h"
#include "crm_internal.h"

/* The first n bytes of s as a score, into buf. -EINVAL if they are no
 * score (or too long to be one). */
static int score_prefix(const char *s, size_t n, char *buf, size_t size) {
        char word[64];

        if (n >= sizeof(word))
                return -EINVAL;
        memcpy(word, s, n);
        word[n] = '\0';
        return crm_score_parse(word, buf, size);
}

/* A word "SCORE:" -> CIB score in buf. Returns 0, or 1 if the word does
 * not end in ':' (the caller decides whether a score was required). */
static int take_score(struct crm_cursor *c, const struct crm_token *t, char *buf, size_t size) {
        size_t l = strlen(t->text);

        if (l < 2 || t->text[l - 1] != ':')
                return 1;
        if (score_prefix(t->text, l - 1, buf, size) < 0)
                return crm_fail(c, t, "invalid score '%.*s' (an integer, inf, +inf, -inf, INFINITY or -INFINITY)",
                                (int) (l - 1), t->text);
        return 0;
}

/* RSC[:SUFFIX] -> the resource (checked as an id, noted as a reference)
 * and the suffix, which stays NULL when absent. */
static int take_resource(struct crm_cursor *c, struct crm_object *o, const struct crm_token *t,
                         char **ret_rsc, char **ret_suffix) {
        _cleanup_free_ char *rsc = strdup(t->text);
        char *colon;
        int r;

        if (!rsc)
                return -ENOMEM;
        colon = strchr(rsc, ':');
        if (colon)
                *colon++ = '\0';
        if (!crm_valid_id(rsc))
                return crm_fail(c, t, "'%s' is not a resource id", rsc);
        if (colon && (!*colon || strchr(colon, ':')))
                return crm_fail(c, t, "'%s' is not RESOURCE:%s", t->text, o->kind == CRM_ORDER ? "ACTION" : "ROLE");
        r = crm_object_add_word(&o->refs, &o->n_refs, t, rsc);
        if (r < 0)
                return r;
        *ret_suffix = colon ? strdup(colon) : NULL;
        if (colon && !*ret_suffix)
                return -ENOMEM;
        *ret_rsc = TAKE_PTR(rsc);
        return 0;
}

static int set_role(struct crm_cursor *c, xmlNode *n, const char *attr, const struct crm_token *t, const char *word) {
        const char *role = crm_role_parse(word);

        if (!role)
                return crm_fail(c, t, "invalid role '%s' (Started, Stopped, Promoted, Unpromoted, Master, Slave)", word);
        return crm_xml_set(n, attr, role);
}

static int no_more(struct crm_cursor *c, struct crm_object *o) {
        const struct crm_token *t = crm_peek(c);

        if (!t)
                return 0;
        if (o->kind != CRM_LOCATION && !strchr(t->text, '='))
                return crm_fail(c, t, "unexpected '%s': resource sets are not supported, name two resources", t->text);
        return crm_fail(c, t, "unexpected '%s' in %s %s", t->text, crm_kind_name(o->kind), o->id.text);
}

/* colocation ID SCORE: RSC[:ROLE] WITH-RSC[:ROLE] [node-attribute=NAME] */
int crm_parse_colocation(struct crm_cursor *c, struct crm_object *o) {
        const struct crm_token *t;
        char score[32];
        int r;

        r = crm_expect(c, "a score (inf:, -inf:, 100:, ...)", &t);
        if (r < 0)
                return r;
        r = take_score(c, t, score, sizeof(score));
        if (r < 0)
                return r;
        if (r > 0)
                return crm_fail(c, t, "expected a score followed by ':' (inf:, -inf:, 100:), got '%s'", t->text);
        r = crm_xml_set(o->xml, "score", score);
        if (r < 0)
                return r;
        for (int i = 0; i < 2; i++) {
                _cleanup_free_ char *rsc = NULL, *role = NULL;
                const char *attr = i == 0 ? "rsc" : "with-rsc";

                r = crm_expect(c, i == 0 ? "the resource to place" : "the resource to place it with", &t);
                if (r < 0)
                        return r;
                r = take_resource(c, o, t, &rsc, &role);
                if (r < 0)
                        return r;
                r = crm_xml_set(o->xml, attr, rsc);
                if (r >= 0 && role)
                        r = set_role(c, o->xml, i == 0 ? "rsc-role" : "with-rsc-role", t, role);
                if (r < 0)
                        return r;
        }
        t = crm_peek(c);
        if (t && startswith(t->text, "node-attribute=")) {
                r = crm_xml_set(o->xml, "node-attribute", t->text + strlen("node-attribute="));
                if (r < 0)
                        return r;
                c->i++;
        }
        return no_more(c, o);
}

/* order ID [KIND:|SCORE:] FIRST[:ACTION] THEN[:ACTION] [symmetrical=BOOL] */
int crm_parse_order(struct crm_cursor *c, struct crm_object *o) {
        static const char *const kinds[] = { "Mandatory", "Optional", "Serialize" };
        _cleanup_free_ char *rsc0 = NULL, *rsc1 = NULL, *action0 = NULL, *action1 = NULL;
        char **rsc[2] = { &rsc0, &rsc1 }, **action[2] = { &action0, &action1 };
        const char *kind = NULL, *symmetrical = NULL;
        const struct crm_token *t;
        char score[32];
        int r;

        r = crm_expect(c, "a kind or score (Mandatory:, Optional:, inf:) or the first resource", &t);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
                if (strncasecmp(t->text, kinds[i], strlen(kinds[i])) == 0 && streq(t->text + strlen(kinds[i]), ":"))
                        kind = kinds[i];
        if (!kind && isalpha((unsigned char) t->text[0]) && t->text[strlen(t->text) - 1] == ':' &&
            score_prefix(t->text, strcspn(t->text, ":"), score, sizeof(score)) < 0)
                return crm_fail(c, t, "unknown kind '%.*s' (Mandatory, Optional, Serialize, or a score)",
                                (int) strcspn(t->text, ":"), t->text);
        if (!kind) {
                r = take_score(c, t, score, sizeof(score));
                if (r < 0)
                        return r;
                /* crmsh turns an order score into a kind: 0 is Optional. */
                if (r == 0)
                        kind = streq(score, "0") || streq(score, "-0") ? "Optional" : "Mandatory";
                else
                        c->i--;
        }
        for (int i = 0; i < 2; i++) {
                r = crm_expect(c, i == 0 ? "the first resource" : "the resource that follows", &t);
                if (r < 0)
                        return r;
                r = take_resource(c, o, t, rsc[i], action[i]);
                if (r < 0)
                        return r;
                if (*action[i] && !crm_is_action(*action[i]))
                        return crm_fail(c, t, "invalid action '%s' (start, stop, promote, demote)", *action[i]);
        }
        t = crm_peek(c);
        if (t && startswith(t->text, "symmetrical=")) {
                bool b;

                symmetrical = t->text + strlen("symmetrical=");
                if (parse_bool(symmetrical, &b) < 0)
                        return crm_fail(c, t, "symmetrical must be true or false, not '%s'", symmetrical);
                symmetrical = b ? "true" : "false";
                c->i++;
        }
        r = no_more(c, o);
        if (r < 0)
                return r;
        /* Attributes in crmsh's order. */
        if ((kind && crm_xml_set(o->xml, "kind", kind) < 0) ||
            (symmetrical && crm_xml_set(o->xml, "symmetrical", symmetrical) < 0) ||
            crm_xml_set(o->xml, "first", rsc0) < 0 ||
            (action0 && crm_xml_set(o->xml, "first-action", action0) < 0) ||
            crm_xml_set(o->xml, "then", rsc1) < 0 ||
            (action1 && crm_xml_set(o->xml, "then-action", action1) < 0))
                return -ENOMEM;
        return 0;
}

static bool is_keyword(const struct crm_token *t, const char *word) {
        return t && streq(t->text, word);
}

/* date gt|lt VALUE | date in_range|in start=... (end=...|DURATION...) |
 * date date_spec|spec FIELD=VALUE... */
static int parse_date(struct crm_cursor *c, xmlNode *rule) {
        const struct crm_token *t, *op;
        xmlNode *e = crm_xml_new(rule->doc, rule, "date_expression"), *sub = NULL;
        bool spec;
        size_t n = 0;
        int r;

        if (!e)
                return -ENOMEM;
        r = crm_expect(c, "a date operation (gt, lt, in_range, date_spec)", &op);
        if (r < 0)
                return r;
        if (streq(op->text, "gt") || streq(op->text, "lt")) {
                r = crm_expect(c, "a date", &t);
                if (r < 0)
                        return r;
                if (crm_xml_set(e, "operation", op->text) < 0 ||
                    crm_xml_set(e, streq(op->text, "lt") ? "end" : "start", t->text) < 0)
                        return -ENOMEM;
                return 0;
        }
        if (streq(op->text, "in") || streq(op->text, "in_range"))
                spec = false;
        else if (streq(op->text, "spec") || streq(op->text, "date_spec"))
                spec = true;
        else
                return crm_fail(c, op, "unknown date operation '%s' (gt, lt, in_range, date_spec)", op->text);
        if (crm_xml_set(e, "operation", spec ? "date_spec" : "in_range") < 0)
                return -ENOMEM;
        while ((t = crm_peek(c)) && strchr(t->text, '=')) {
                _cleanup_free_ char *name = NULL, *value = NULL;

                r = crm_split_nvpair(t->text, &name, &value);
                if (r < 0)
                        return r;
                if (!spec && (streq(name, "start") || streq(name, "end")))
                        r = crm_xml_set(e, name, value);
                else if (crm_is_date_field(name)) {
                        if (!sub && !(sub = crm_xml_new(e->doc, e, spec ? "date_spec" : "duration")))
                                return -ENOMEM;
                        r = crm_xml_set(sub, name, value);
                } else
                        return crm_fail(c, t, "unknown date field '%s'", name);
                if (r < 0)
                        return r;
                c->i++;
                n++;
        }
        if (n == 0)
                return crm_fail(c, t, "expected name=value after 'date %s'", op->text);
        if (!spec && !crm_xml_get(e, "start") && !crm_xml_get(e, "end"))
                return crm_fail(c, op, "date in_range needs start= or end=");
        return 0;
}

/* defined ATTR | not_defined ATTR | ATTR [TYPE:]OP VALUE | date ... */
static int parse_simple_expression(struct crm_cursor *c, xmlNode *rule) {
        const struct crm_token *t, *op, *value;
        xmlNode *e;
        char *colon;
        int r;

        r = crm_expect(c, "an expression", &t);
        if (r < 0)
                return r;
        if (streq(t->text, "date"))
                return parse_date(c, rule);
        e = crm_xml_new(rule->doc, rule, "expression");
        if (!e)
                return -ENOMEM;
        if (streq(t->text, "defined") || streq(t->text, "not_defined")) {
                const struct crm_token *attr;

                r = crm_expect(c, "an attribute name", &attr);
                if (r < 0)
                        return r;
                if (crm_xml_set(e, "operation", t->text) < 0 || crm_xml_set(e, "attribute", attr->text) < 0)
                        return -ENOMEM;
                return 0;
        }
        if (crm_is_binary_op(t->text) || streq(t->text, "rule"))
                return crm_fail(c, t, "expected an attribute name before '%s'", t->text);
        r = crm_expect(c, "an operator (eq, ne, lt, gt, lte, gte) after the attribute", &op);
        if (r < 0)
                return r;
        _cleanup_free_ char *opword = strdup(op->text);
        if (!opword)
                return -ENOMEM;
        colon = strchr(opword, ':');
        if (colon)
                *colon++ = '\0';
        if (colon ? !crm_is_value_type(opword) || !crm_is_binary_op(colon) : !crm_is_binary_op(opword))
                return crm_fail(c, op, "unknown operator '%s' (eq, ne, lt, gt, lte, gte, with an optional "
                                "string:, integer:, number: or version: in front)", op->text);
        r = crm_expect(c, "a value to compare with", &value);
        if (r < 0)
                return r;
        if (crm_xml_set(e, "operation", colon ? colon : opword) < 0 || crm_xml_set(e, "attribute", t->text) < 0 ||
            (colon && crm_xml_set(e, "type", opword) < 0) || crm_xml_set(e, "value", value->text) < 0)
                return -ENOMEM;
        return 0;
}

/* rule [$id=ID] [$role=ROLE|role=ROLE] [SCORE:] EXPRESSION [and|or EXPRESSION]... */
static int parse_rule(struct crm_cursor *c, struct crm_object *o) {
        xmlNode *rule = crm_xml_new(o->xml->doc, o->xml, "rule");
        const struct crm_token *t;
        const char *boolop = NULL;
        char score[32];
        int r;

        if (!rule)
                return -ENOMEM;
        t = crm_peek(c);
        if (t && startswith(t->text, "$id=")) {
                if (!crm_valid_id(t->text + 4))
                        return crm_fail(c, t, "'%s' is not a valid id", t->text + 4);
                r = crm_xml_set(rule, "id", t->text + 4);
                if (r < 0)
                        return r;
                c->i++;
                t = crm_peek(c);
        }
        if (t && (startswith(t->text, "$role=") || startswith(t->text, "role="))) {
                r = set_role(c, rule, "role", t, strchr(t->text, '=') + 1);
                if (r < 0)
                        return r;
                c->i++;
                t = crm_peek(c);
        }
        if (t) {
                size_t l = strlen(t->text);
                _cleanup_free_ char *attr = l >= 2 ? strndup(t->text, l - 1) : NULL;

                r = take_score(c, t, score, sizeof(score));
                if (r < 0 && attr && crm_valid_id(attr) && !strchr("+-0123456789", t->text[0])) {
                        /* A rule may take its score from a node attribute. */
                        r = crm_xml_set(rule, "score-attribute", attr);
                        if (r < 0)
                                return r;
                        c->i++;
                } else if (r < 0)
                        return r;
                else if (r == 0) {
                        r = crm_xml_set(rule, "score", score);
                        if (r < 0)
                                return r;
                        c->i++;
                }
        }
        if (!crm_xml_get(rule, "score") && !crm_xml_get(rule, "score-attribute") &&
            crm_xml_set(rule, "score", "INFINITY") < 0)
                return -ENOMEM;
        for (;;) {
                r = parse_simple_expression(c, rule);
                if (r < 0)
                        return r;
                t = crm_peek(c);
                if (!t || is_keyword(t, "rule"))
                        break;
                if (!streq(t->text, "and") && !streq(t->text, "or"))
                        return crm_fail(c, t, "expected 'and', 'or' or 'rule', got '%s'", t->text);
                if (boolop && !streq(boolop, t->text))
                        return crm_fail(c, t, "'and' and 'or' cannot be mixed in one rule");
                boolop = t->text;
                c->i++;
        }
        if (boolop && streq(boolop, "or") && crm_xml_set(rule, "boolean-op", "or") < 0)
                return -ENOMEM;
        return 0;
}

/* location ID RSC [role=ROLE] [resource-discovery=...] SCORE: NODE
 * location ID RSC [role=ROLE] rule ... [rule ...]... */
int crm_parse_location(struct crm_cursor *c, struct crm_object *o) {
        _cleanup_free_ char *rsc = NULL, *suffix = NULL;
        const struct crm_token *t;
        char score[32];
        int r;

        r = crm_expect(c, "a resource", &t);
        if (r < 0)
                return r;
        r = take_resource(c, o, t, &rsc, &suffix);
        if (r < 0)
                return r;
        if (suffix)
                return crm_fail(c, t, "'%s': a location names a resource; a role goes in role=", t->text);
        r = crm_xml_set(o->xml, "rsc", rsc);
        if (r < 0)
                return r;
        while ((t = crm_peek(c)) && (startswith(t->text, "role=") || startswith(t->text, "resource-discovery="))) {
                if (startswith(t->text, "role="))
                        r = set_role(c, o->xml, "role", t, t->text + strlen("role="));
                else {
                        const char *v = t->text + strlen("resource-discovery=");

                        if (!streq(v, "always") && !streq(v, "never") && !streq(v, "exclusive"))
                                return crm_fail(c, t, "resource-discovery is always, never or exclusive, not '%s'", v);
                        r = crm_xml_set(o->xml, "resource-discovery", v);
                }
                if (r < 0)
                        return r;
                c->i++;
        }
        r = crm_expect(c, "a score (100:, inf:, -inf:) and a node, or 'rule'", &t);
        if (r < 0)
                return r;
        if (streq(t->text, "rule")) {
                do {
                        r = parse_rule(c, o);
                        if (r < 0)
                                return r;
                } while (crm_next(c));
                return 0;
        }
        r = take_score(c, t, score, sizeof(score));
        if (r < 0)
                return r;
        if (r > 0)
                return crm_fail(c, t, "expected a score followed by ':' (100:, inf:, -inf:) or 'rule', got '%s'", t->text);
        r = crm_xml_set(o->xml, "score", score);
        if (r < 0)
                return r;
        r = crm_expect(c, "a node name", &t);
        if (r < 0)
                return r;
        if (strchr(t->text, '=') || strchr(t->text, ':'))
                return crm_fail(c, t, "'%s' is not a node name", t->text);
        r = crm_xml_set(o->xml, "node", t->text);
        if (r < 0)
                return r;
        return no_more(c, o);
}
