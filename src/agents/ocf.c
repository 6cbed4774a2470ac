/* ocf.c: shared OCF 1.1 plumbing of tandem's agents (see ocf.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocf.h"
#include "util.h"

const char *ocf_param_value(const struct ocf_agent *a, const char *name) {
        char key[256];
        const char *v;

        snprintf(key, sizeof(key), "OCF_RESKEY_%s", name);
        v = getenv(key);
        if (v && *v)
                return v;
        for (const struct ocf_param *p = a->params; p->name; p++)
                if (streq(p->name, name))
                        return p->def;
        return NULL;
}

int ocf_validate_params(const struct ocf_agent *a) {
        int ret = OCF_SUCCESS;

        for (const struct ocf_param *p = a->params; p->name; p++) {
                const char *v = ocf_param_value(a, p->name);
                if (!v) {
                        if (p->required) {
                                fprintf(stderr, "%s: required parameter '%s' is not set\n", a->name, p->name);
                                ret = OCF_ERR_CONFIGURED;
                        }
                        continue;
                }
                if (streq(p->type, "integer")) {
                        int n;
                        if (parse_int(v, &n) < 0) {
                                fprintf(stderr, "%s: parameter '%s' must be an integer, not '%s'\n",
                                        a->name, p->name, v);
                                ret = OCF_ERR_CONFIGURED;
                        }
                } else if (streq(p->type, "boolean")) {
                        bool b;
                        if (parse_bool(v, &b) < 0) {
                                fprintf(stderr, "%s: parameter '%s' must be a boolean, not '%s'\n",
                                        a->name, p->name, v);
                                ret = OCF_ERR_CONFIGURED;
                        }
                }
        }
        return ret;
}

/* Print text with the five XML special characters escaped. */
static void xml_text(const char *s) {
        for (; s && *s; s++)
                switch (*s) {
                case '<': fputs("&lt;", stdout); break;
                case '>': fputs("&gt;", stdout); break;
                case '&': fputs("&amp;", stdout); break;
                case '"': fputs("&quot;", stdout); break;
                case '\'': fputs("&apos;", stdout); break;
                default: putchar(*s);
                }
}

static void meta_data(const struct ocf_agent *a) {
        printf("<?xml version=\"1.0\"?>\n"
               "<resource-agent name=\"%s\" version=\"%s\">\n"
               "  <version>1.1</version>\n  <longdesc lang=\"en\">", a->name, a->version);
        xml_text(a->longdesc);
        printf("</longdesc>\n  <shortdesc lang=\"en\">");
        xml_text(a->shortdesc);
        printf("</shortdesc>\n  <parameters>\n");
        for (const struct ocf_param *p = a->params; p->name; p++) {
                printf("    <parameter name=\"%s\" required=\"%d\" unique=\"%d\">\n"
                       "      <longdesc lang=\"en\">", p->name, p->required, p->unique);
                xml_text(p->longdesc);
                printf("</longdesc>\n      <shortdesc lang=\"en\">");
                xml_text(p->shortdesc);
                printf("</shortdesc>\n      <content type=\"%s\"", p->type);
                if (p->def) {
                        printf(" default=\"");
                        xml_text(p->def);
                        printf("\"");
                }
                printf("/>\n    </parameter>\n");
        }
        printf("  </parameters>\n  <actions>\n");
        for (const struct ocf_action *act = a->actions; act->name; act++)
                printf("    <action name=\"%s\" timeout=\"%s\"%s%s/>\n", act->name, act->timeout,
                       act->extra ? " " : "", act->extra ? act->extra : "");
        printf("  </actions>\n</resource-agent>\n");
}

static void usage(const struct ocf_agent *a, FILE *f) {
        fprintf(f, "Usage: %s {", a->name);
        for (const struct ocf_action *act = a->actions; act->name; act++)
                fprintf(f, "%s%s", act == a->actions ? "" : "|", act->name);
        fprintf(f, "}\nAn OCF resource agent of tandem; see its meta-data.\n");
}

static const struct ocf_action *find_action(const struct ocf_action *list, const char *name) {
        for (const struct ocf_action *act = list; act && act->name; act++)
                if (streq(act->name, name))
                        return act;
        return NULL;
}

int ocf_main(const struct ocf_agent *a, int argc, char **argv) {
        const char *action = argc > 1 ? argv[1] : NULL;

        if (argc != 2) {
                usage(a, stderr);
                return OCF_ERR_ARGS;
        }
        if (streq(action, "meta-data")) {
                meta_data(a);
                return OCF_SUCCESS;
        }
        if (streq(action, "usage") || streq(action, "help")) {
                usage(a, stdout);
                return OCF_SUCCESS;
        }
        if (streq(action, "validate-all")) {
                int r = ocf_validate_params(a);
                return r == OCF_SUCCESS && a->validate ? a->validate(a) : r;
        }
        const struct ocf_action *act = find_action(a->actions, action);
        if (!act)
                act = find_action(a->helper_actions, action);
        if (act) {
                if (!act->run) {
                        fprintf(stderr, "%s: action '%s' is not available in this version of tandem\n",
                                a->name, action);
                        return OCF_ERR_UNIMPLEMENTED;
                }
                int r = ocf_validate_params(a);
                return r != OCF_SUCCESS ? r : act->run(a);
        }
        fprintf(stderr, "%s: unknown action '%s'\n", a->name, action);
        usage(a, stderr);
        return OCF_ERR_UNIMPLEMENTED;
}
