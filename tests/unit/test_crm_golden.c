/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Golden-file tests of the crmsh language, in the style of libvirt's
 * qemuxmlconfdata: each data/crm/golden/NAME.crm is parsed and applied
 * to an empty CIB; the CIB must equal NAME.xml and its printout
 * NAME.out.crm, and the printout must read back to the same CIB and the
 * same text. TANDEM_TEST_REGENERATE=1 rewrites the expected files so
 * that a reviewer reads the change as a diff. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "crm.h"
#include "crm_test.h"

#define GOLDEN_DIR TEST_DATA_DIR "/crm/golden"

static bool regenerate(void) {
        const char *e = getenv("TANDEM_TEST_REGENERATE");

        return e && streq(e, "1");
}

/* Compares got with the file, or rewrites the file when regenerating. */
static void expect_file(const char *name, const char *suffix, const char *got) {
        _cleanup_free_ char *path = strjoin(GOLDEN_DIR "/", name, suffix, NULL), *want = NULL;

        assert_non_null(path);
        if (regenerate()) {
                assert_int_equal(write_file_atomic(path, got, strlen(got), 0644), 0);
                return;
        }
        if (read_file(path, &want, NULL) < 0)
                fail_msg("%s is missing; run with TANDEM_TEST_REGENERATE=1 to create it", path);
        if (!streq(want, got)) {
                print_error("%s differs; got:\n%s", path, got);
                fail();
        }
}

static char *show(xmlDoc *doc, bool xml) {
        _cleanup_buf_ struct buf out = BUF_INIT;
        struct crm_error err;

        assert_int_equal(xml ? crm_print_xml(doc, NULL, 0, &out, &err) : crm_print(doc, NULL, 0, &out, &err), 0);
        return buf_steal(&out);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The sorted list of the id="..." in an XML text, one a line. */
static char *ids_of(const char *xml) {
        _cleanup_buf_ struct buf out = BUF_INIT;
        const char *v[4096];
        size_t n = 0;

        for (const char *p = xml; (p = strstr(p, " id=\"")) && n < ELEMENTSOF(v); p += 5)
                v[n++] = p + 5;
        qsort(v, n, sizeof(*v), cmp_str);
        for (size_t i = 0; i < n; i++)
                buf_printf(&out, "%.*s\n", (int) strcspn(v[i], "\""), v[i]);
        return buf_steal(&out);
}

static void test_case(void **state) {
        const char *name = *state;
        _cleanup_free_ char *path = strjoin(GOLDEN_DIR "/", name, ".crm", NULL), *text = NULL;
        _cleanup_free_ char *xml1 = NULL, *crm1 = NULL, *xml2 = NULL, *crm2 = NULL;
        _cleanup_(xmlFreeDocp) xmlDoc *doc1 = NULL, *doc2 = NULL;
        struct crm_error err;

        assert_non_null(path);
        assert_int_equal(read_file(path, &text, NULL), 0);
        if (crm_test_load(name, text, &doc1, &err) < 0)
                fail_msg("%s", err.message);
        xml1 = show(doc1, true);
        crm1 = show(doc1, false);
        expect_file(name, ".xml", xml1);
        expect_file(name, ".out.crm", crm1);

        /* What show prints reads back as the same configuration. */
        if (crm_test_load("show", crm1, &doc2, &err) < 0)
                fail_msg("the printout does not read back: %s", err.message);
        xml2 = show(doc2, true);
        crm2 = show(doc2, false);
        assert_string_equal(crm1, crm2);
        /* The elements come in the printout's order now, but every id
         * is the same. */
        _cleanup_free_ char *ids1 = ids_of(xml1), *ids2 = ids_of(xml2);
        assert_string_equal(ids1, ids2);
}

int main(void) {
        struct CMUnitTest *tests = NULL;
        char **names = NULL;
        size_t n = 0;
        struct dirent *de;
        DIR *d = opendir(GOLDEN_DIR);
        int r;

        if (!d) {
                fprintf(stderr, "cannot open %s\n", GOLDEN_DIR);
                return 1;
        }
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name);

                if (l < 5 || !streq(de->d_name + l - 4, ".crm") ||
                    (l > 8 && streq(de->d_name + l - 8, ".out.crm")))
                        continue;
                names = reallocarray(names, n + 1, sizeof(*names));
                if (!names || !(names[n++] = strndup(de->d_name, l - 4)))
                        return 1;
        }
        closedir(d);
        qsort(names, n, sizeof(*names), cmp_str);
        tests = calloc(n, sizeof(*tests));
        if (!tests)
                return 1;
        for (size_t i = 0; i < n; i++)
                tests[i] = (struct CMUnitTest) { .name = names[i], .test_func = test_case, .initial_state = names[i] };
        r = _cmocka_run_group_tests("crm_golden", tests, n, NULL, NULL);
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        free(tests);
        return r;
}
