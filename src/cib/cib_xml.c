/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cib_xml.c: the small pieces every part of the CIB loader uses: attribute
 * access, element paths for error messages, attribute sets, and the value
 * syntaxes (scores, durations, roles). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cib_internal.h"

const char *cib_xattr(const xmlNode *n, const char *name) {
        if (!n)
                return NULL;
        for (const xmlAttr *a = n->properties; a; a = a->next)
                if (strcmp((const char *) a->name, name) == 0)
                        return a->children && a->children->content ? (const char *) a->children->content : "";
        return NULL;
}

void cib_xml_path(const xmlNode *n, char *buf, size_t size) {
        const xmlNode *chain[64];
        size_t depth = 0, off = 0;

        if (size == 0)
                return;
        buf[0] = 0;
        for (; n && n->type == XML_ELEMENT_NODE && depth < ELEMENTSOF(chain); n = n->parent)
                chain[depth++] = n;
        while (depth-- > 0 && off < size) {
                const char *id = cib_xattr(chain[depth], "id");
                int w;

                if (id)
                        w = snprintf(buf + off, size - off, "/%s[@id='%s']", (const char *) chain[depth]->name, id);
                else
                        w = snprintf(buf + off, size - off, "/%s", (const char *) chain[depth]->name);
                if (w < 0)
                        return;
                off += (size_t) w;
        }
}

int cib_error(char *why, size_t size, const xmlNode *n, const char *fmt, ...) {
        char path[1024];
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        cib_xml_path(n, path, sizeof(path));
        if (why && size)
                snprintf(why, size, "%s: %s", path, msg);
        return -EINVAL;
}

void *cib_grow(void *array_p, size_t *n, size_t elem) {
        void **array = array_p;
        char *p = realloc(*array, (*n + 1) * elem);

        if (!p)
                return NULL;
        memset(p + *n * elem, 0, elem);
        *array = p;
        return p + (*n)++ * elem;
}

int cib_score_parse(const char *s, int *ret) {
        long v;
        char *end;

        if (!s || !*s)
                return -EINVAL;
        if (strcasecmp(s, "INFINITY") == 0 || strcasecmp(s, "+INFINITY") == 0) {
                *ret = CIB_INFINITY;
                return 0;
        }
        if (strcasecmp(s, "-INFINITY") == 0) {
                *ret = -CIB_INFINITY;
                return 0;
        }
        errno = 0;
        v = strtol(s, &end, 10);
        if (end == s || *end)
                return -EINVAL;
        if (errno == ERANGE || v > CIB_INFINITY)
                v = v < 0 ? -CIB_INFINITY : CIB_INFINITY;
        if (v < -CIB_INFINITY)
                v = -CIB_INFINITY;
        *ret = (int) v;
        return 0;
}

/* ISO 8601 durations as Pacemaker accepts them in intervals: PnDTnHnMnS. */
static int iso_duration_ms(const char *s, unsigned *ret) {
        unsigned long long total = 0;
        bool time_part = false;

        for (s++; *s; ) {
                unsigned long long v;
                char *end;

                if (*s == 'T') {
                        time_part = true;
                        s++;
                        continue;
                }
                if (!isdigit((unsigned char) *s))
                        return -EINVAL;
                v = strtoull(s, &end, 10);
                switch (*end) {
                case 'D': v *= 86400000ULL; break;
                case 'H': v *= 3600000ULL; break;
                case 'M': v *= time_part ? 60000ULL : 30ULL * 86400000ULL; break;
                case 'S': v *= 1000ULL; break;
                case 'W': v *= 7ULL * 86400000ULL; break;
                case 'Y': v *= 365ULL * 86400000ULL; break;
                default: return -EINVAL;
                }
                total += v;
                if (total > UINT_MAX)
                        return -ERANGE;
                s = end + 1;
        }
        *ret = (unsigned) total;
        return 0;
}

int cib_duration_ms(const char *s, unsigned *ret) {
        unsigned long long v, mult = 1000;
        char *end;

        if (!s)
                return -EINVAL;
        while (isspace((unsigned char) *s))
                s++;
        if (*s == 'P')
                return iso_duration_ms(s, ret);
        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        while (isspace((unsigned char) *end))
                end++;
        if (*end == 0 || strcasecmp(end, "s") == 0 || strcasecmp(end, "sec") == 0)
                mult = 1000;
        else if (strcasecmp(end, "ms") == 0 || strcasecmp(end, "msec") == 0)
                mult = 1;
        else if (strcasecmp(end, "us") == 0 || strcasecmp(end, "usec") == 0) {
                v /= 1000;
                mult = 1;
        } else if (strcasecmp(end, "m") == 0 || strcasecmp(end, "min") == 0)
                mult = 60000;
        else if (strcasecmp(end, "h") == 0 || strcasecmp(end, "hr") == 0)
                mult = 3600000;
        else
                return -EINVAL;
        if (v > UINT_MAX / mult)
                return -ERANGE;
        *ret = (unsigned) (v * mult);
        return 0;
}

const char *cib_role_name(enum cib_role r) {
        switch (r) {
        case CIB_ROLE_STOPPED: return "Stopped";
        case CIB_ROLE_STARTED: return "Started";
        case CIB_ROLE_UNPROMOTED: return "Unpromoted";
        case CIB_ROLE_PROMOTED: return "Promoted";
        default: return "Unknown";
        }
}

int cib_role_parse(const char *s, enum cib_role *ret) {
        static const struct {
                const char *name;
                enum cib_role role;
        } names[] = {
                { "Stopped", CIB_ROLE_STOPPED },   { "Started", CIB_ROLE_STARTED },
                { "Unpromoted", CIB_ROLE_UNPROMOTED }, { "Slave", CIB_ROLE_UNPROMOTED },
                { "Promoted", CIB_ROLE_PROMOTED }, { "Master", CIB_ROLE_PROMOTED },
        };

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcasecmp(s, names[i].name) == 0) {
                        *ret = names[i].role;
                        return 0;
                }
        return -EINVAL;
}

xmlNode *cib_find_by_id(xmlDoc *doc, const char *element, const char *id) {
        xmlNode *root = xmlDocGetRootElement(doc);

        for (xmlNode *n = root; n;) {
                const char *nid = n->type == XML_ELEMENT_NODE ? cib_xattr(n, "id") : NULL;

                if (nid && strcmp(nid, id) == 0 && cib_is(n, element) && !cib_xattr(n, "id-ref"))
                        return n;
                if (n->children)
                        n = n->children;
                else {
                        while (n && !n->next && n != root)
                                n = n->parent;
                        n = n && n != root ? n->next : NULL;
                }
        }
        return NULL;
}

int cib_parse_nvset(const xmlNode *set, struct cib_nvset *ret, char *why, size_t why_size) {
        struct cib_nvset s = { .id = cib_xattr(set, "id") };
        const char *score = cib_xattr(set, "score");
        int r;

        if (score && cib_score_parse(score, &s.score) < 0)
                return cib_error(why, why_size, set, "invalid score '%s'", score);
        CIB_FOREACH_CHILD(c, set) {
                if (cib_is(c, "nvpair")) {
                        struct cib_nv *nv;
                        const xmlNode *src = c;
                        const char *name;

                        if (cib_xattr(c, "id-ref")) {
                                src = cib_find_by_id(c->doc, "nvpair", cib_xattr(c, "id-ref"));
                                if (!src) {
                                        free(s.nv);
                                        return cib_error(why, why_size, c, "id-ref '%s' names no nvpair",
                                                         cib_xattr(c, "id-ref"));
                                }
                        }
                        name = cib_xattr(c, "name") ? cib_xattr(c, "name") : cib_xattr(src, "name");

                        if (!name) {
                                free(s.nv);
                                return cib_error(why, why_size, c, "nvpair without a name");
                        }
                        nv = cib_grow(&s.nv, &s.n_nv, sizeof(*nv));
                        if (!nv) {
                                free(s.nv);
                                return -ENOMEM;
                        }
                        nv->name = name;
                        nv->value = cib_xattr(src, "value");
                        if (!nv->value)
                                nv->value = "";
                } else if (cib_is(c, "rule")) {
                        r = cib_rule_validate(c, why, why_size);
                        if (r < 0) {
                                free(s.nv);
                                return r;
                        }
                        s.rule = c;
                }
        }
        *ret = s;
        return 0;
}

int cib_parse_attrs(const xmlNode *parent, const char *set_name, struct cib_attrs *attrs,
                    char *why, size_t why_size) {
        CIB_FOREACH_CHILD(c, parent) {
                struct cib_nvset *s;
                int r;

                if (!cib_is(c, set_name))
                        continue;
                if (cib_xattr(c, "id-ref") && !c->children) {
                        /* A reference to a set defined elsewhere. */
                        const char *ref = cib_xattr(c, "id-ref");
                        xmlNode *target;

                        target = cib_find_by_id(c->doc, set_name, ref);
                        if (!target)
                                return cib_error(why, why_size, c, "id-ref '%s' names no %s", ref, set_name);
                        c = target;
                }
                s = cib_grow(&attrs->sets, &attrs->n_sets, sizeof(*s));
                if (!s)
                        return -ENOMEM;
                r = cib_parse_nvset(c, s, why, why_size);
                if (r < 0) {
                        attrs->n_sets--;
                        return r;
                }
        }
        return 0;
}

void cib_attrs_free(struct cib_attrs *a) {
        for (size_t i = 0; i < a->n_sets; i++)
                free(a->sets[i].nv);
        free(a->sets);
        a->sets = NULL;
        a->n_sets = 0;
}

const char *cib_attrs_get(const struct cib_attrs *attrs, const char *name, const struct cib_rule_ctx *ctx) {
        const struct cib_nvset *best = NULL;
        const char *value = NULL;

        /* Highest score first; document order among equal scores. */
        for (size_t i = 0; i < attrs->n_sets; i++) {
                const struct cib_nvset *s = &attrs->sets[i];
                const char *v = NULL;

                for (size_t j = 0; j < s->n_nv; j++)
                        if (strcmp(s->nv[j].name, name) == 0)
                                v = s->nv[j].value;
                if (!v || (best && best->score >= s->score))
                        continue;
                if (s->rule && !(ctx && cib_rule_matches(s->rule, ctx)))
                        continue;
                best = s;
                value = v;
        }
        return value;
}

const char *cib_node_transient(const struct cib_node *n, const char *name) {
        for (size_t i = 0; i < n->n_transient; i++)
                if (strcmp(n->transient[i].name, name) == 0)
                        return n->transient[i].value;
        return NULL;
}
