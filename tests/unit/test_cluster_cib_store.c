/* Unit tests for cib_doc.h and cib_store.h: version order, parsing of bad
 * CIB text, and the store's checksum, versions and recovery from a
 * corrupt or truncated cib.xml, in a temporary directory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include "cib_store.h"
#include "util.h"

static char *tmpdir_new(void) {
        char *d = strdup("/tmp/test-cib-store-XXXXXX");

        assert_non_null(d);
        assert_non_null(mkdtemp(d));
        return d;
}

static char *path_in(const char *dir, const char *name) {
        char *p = strjoin(dir, "/", name, NULL);

        assert_non_null(p);
        return p;
}

static bool exists_in(const char *dir, const char *name) {
        _cleanup_free_ char *p = path_in(dir, name);
        return access(p, F_OK) == 0;
}

static xmlDoc *doc_at(uint64_t admin, uint64_t epoch, uint64_t updates) {
        struct cib_version v = { admin, epoch, updates };
        xmlDoc *doc = NULL;

        assert_int_equal(cib_doc_new_empty(&doc), 0);
        assert_int_equal(cib_doc_set_version(doc, &v), 0);
        return doc;
}

static void assert_version(xmlDoc *doc, uint64_t admin, uint64_t epoch, uint64_t updates) {
        struct cib_version v;

        assert_int_equal(cib_doc_version(doc, &v), 0);
        assert_true(v.admin_epoch == admin && v.epoch == epoch && v.num_updates == updates);
}

static void test_version_order(void **state) {
        struct cib_version a = { 0, 5, 9 }, b = { 0, 6, 0 }, c = { 1, 0, 0 }, d = { 0, 6, 1 };

        assert_true(cib_version_compare(&a, &b) < 0);
        assert_true(cib_version_compare(&b, &a) > 0);
        assert_true(cib_version_compare(&b, &c) < 0);  /* admin_epoch wins over epoch */
        assert_true(cib_version_compare(&d, &b) > 0);
        assert_int_equal(cib_version_compare(&a, &a), 0);
}

static void test_parse_errors(void **state) {
        xmlDoc *doc = NULL;
        char why[256];
        static const char *bad[] = {
                "",
                "<cib",
                "<config/>",
                "<cib epoch=\"x\"/>",
                "<cib epoch=\"-1\"/>",
                "<!DOCTYPE cib [<!ENTITY a \"b\">]><cib/>",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                why[0] = '\0';
                assert_int_equal(cib_doc_parse(bad[i], strlen(bad[i]), &doc, why, sizeof(why)), -EBADMSG);
                assert_null(doc);
                assert_true(strlen(why) > 0);
        }
        assert_int_equal(cib_doc_parse("<cib/>", 6, &doc, why, sizeof(why)), 0);
        /* Missing counters read as 0 and the sections are there. */
        assert_version(doc, 0, 0, 0);
        assert_non_null(cib_doc_child(cib_doc_child(xmlDocGetRootElement(doc), "configuration"), "resources"));
        assert_non_null(cib_doc_child(xmlDocGetRootElement(doc), "status"));
        xmlFreeDoc(doc);
}

static void test_empty_dir_and_roundtrip(void **state) {
        _cleanup_free_ char *dir = tmpdir_new();
        struct cib_store *s = NULL;
        xmlDoc *doc = NULL, *back = NULL;
        _cleanup_free_ char *src = NULL, *src2 = NULL;
        _cleanup_buf_ struct buf report = BUF_INIT;
        xmlNode *status;

        assert_int_equal(cib_store_open(dir, 3, &s), 0);
        assert_int_equal(cib_store_load(s, &doc, &src, &report), 0);
        assert_null(src);
        assert_version(doc, 0, 0, 0);
        xmlFreeDoc(doc);

        doc = doc_at(0, 7, 2);
        status = cib_doc_child(xmlDocGetRootElement(doc), "status");
        assert_non_null(xmlNewChild(status, NULL, (const xmlChar *) "node_state", NULL));
        assert_int_equal(cib_store_save(s, doc), 0);
        assert_int_equal(cib_store_load(s, &back, &src2, &report), 0);
        assert_string_equal(src2, "cib.xml");
        assert_version(back, 0, 7, 2);
        /* The status section is not persisted. */
        assert_null(cib_doc_child(xmlDocGetRootElement(back), "status")->children);
        assert_int_equal(report.len, 0);
        xmlFreeDoc(doc);
        xmlFreeDoc(back);
        cib_store_free(s);
        assert_int_equal(rm_rf(dir), 0);
}

/* Saves versions 0.1.0 .. 0.N.0. */
static void save_versions(struct cib_store *s, unsigned n) {
        for (unsigned i = 1; i <= n; i++) {
                xmlDoc *doc = doc_at(0, i, 0);
                assert_int_equal(cib_store_save(s, doc), 0);
                xmlFreeDoc(doc);
        }
}

static void test_missing_dir(void **state) {
        _cleanup_free_ char *dir = tmpdir_new();
        _cleanup_free_ char *sub = path_in(dir, "var/lib/tandem/cib");
        _cleanup_free_ char *src = NULL;
        struct cib_store *s = NULL;
        xmlDoc *doc = NULL;

        /* Opening and loading create nothing; the first save does. */
        assert_int_equal(cib_store_open(sub, 3, &s), 0);
        assert_int_equal(cib_store_load(s, &doc, &src, NULL), 0);
        assert_null(src);
        assert_false(exists_in(dir, "var"));
        assert_int_equal(cib_store_save(s, doc), 0);
        assert_true(exists_in(sub, "cib.xml"));
        xmlFreeDoc(doc);
        cib_store_free(s);
        assert_int_equal(rm_rf(dir), 0);
}

static void test_versions_kept(void **state) {
        _cleanup_free_ char *dir = tmpdir_new();
        struct cib_store *s = NULL;

        assert_int_equal(cib_store_open(dir, 3, &s), 0);
        save_versions(s, 6);
        /* cib.xml is 0.6.0; cib-1.xml (0.1.0) .. cib-5.xml (0.5.0), the
         * newest three kept. */
        assert_false(exists_in(dir, "cib-2.xml"));
        assert_true(exists_in(dir, "cib-3.xml"));
        assert_true(exists_in(dir, "cib-5.xml"));
        assert_false(exists_in(dir, "cib-6.xml"));
        cib_store_free(s);

        /* A store opened again goes on counting. */
        assert_int_equal(cib_store_open(dir, 3, &s), 0);
        save_versions(s, 1);
        assert_true(exists_in(dir, "cib-6.xml"));
        assert_false(exists_in(dir, "cib-3.xml"));
        cib_store_free(s);
        assert_int_equal(rm_rf(dir), 0);
}

static void damage(const char *dir, const char *name, bool truncate_it) {
        _cleanup_free_ char *p = path_in(dir, name);
        _cleanup_free_ char *data = NULL;
        size_t len;

        assert_int_equal(read_file(p, &data, &len), 0);
        if (truncate_it)
                len /= 2;
        else {
                char *e = strstr(data, "epoch=\"");
                assert_non_null(e);
                e[7] = '9';     /* a bit flip in a digit: still well-formed */
        }
        assert_int_equal(write_file_atomic(p, data, len, 0640), 0);
}

static void check_recovery(bool truncate_it) {
        _cleanup_free_ char *dir = tmpdir_new();
        _cleanup_free_ char *src = NULL;
        _cleanup_buf_ struct buf report = BUF_INIT;
        struct cib_store *s = NULL;
        xmlDoc *doc = NULL;

        assert_int_equal(cib_store_open(dir, 5, &s), 0);
        save_versions(s, 3);
        damage(dir, "cib.xml", truncate_it);
        assert_int_equal(cib_store_load(s, &doc, &src, &report), 0);
        assert_string_equal(src, "cib-2.xml");
        assert_version(doc, 0, 2, 0);
        assert_non_null(strstr(report.data, truncate_it ? "cib.xml: " : "cib.xml: checksum mismatch"));
        assert_non_null(strstr(report.data, "kept as cib.xml.corrupt"));
        assert_true(exists_in(dir, "cib.xml.corrupt"));
        assert_false(exists_in(dir, "cib.xml"));
        /* The next save does not keep the damaged file as a version. */
        assert_int_equal(cib_store_save(s, doc), 0);
        assert_false(exists_in(dir, "cib-3.xml"));
        xmlFreeDoc(doc);
        cib_store_free(s);
        assert_int_equal(rm_rf(dir), 0);
}

static void test_corrupt_main(void **state) { check_recovery(false); }
static void test_truncated_main(void **state) { check_recovery(true); }

static void test_nothing_intact(void **state) {
        _cleanup_free_ char *dir = tmpdir_new();
        _cleanup_free_ char *src = NULL;
        _cleanup_buf_ struct buf report = BUF_INIT;
        struct cib_store *s = NULL;
        xmlDoc *doc = NULL;

        assert_int_equal(cib_store_open(dir, 5, &s), 0);
        save_versions(s, 2);
        damage(dir, "cib.xml", true);
        damage(dir, "cib-1.xml", false);
        assert_int_equal(cib_store_load(s, &doc, &src, &report), -ENODATA);
        assert_null(doc);
        assert_non_null(strstr(report.data, "cib-1.xml: checksum mismatch"));
        cib_store_free(s);
        assert_int_equal(rm_rf(dir), 0);
}

static void test_hand_written(void **state) {
        _cleanup_free_ char *dir = tmpdir_new();
        _cleanup_free_ char *p = path_in(dir, "cib.xml");
        _cleanup_free_ char *src = NULL;
        _cleanup_buf_ struct buf report = BUF_INIT;
        struct cib_store *s = NULL;
        xmlDoc *doc = NULL;

        assert_int_equal(write_file(p, "<cib admin_epoch=\"1\" epoch=\"4\" num_updates=\"0\">"
                                       "<configuration/><status/></cib>\n"), 0);
        assert_int_equal(cib_store_open(dir, 5, &s), 0);
        assert_int_equal(cib_store_load(s, &doc, &src, &report), 0);
        assert_version(doc, 1, 4, 0);
        assert_non_null(strstr(report.data, "no checksum line"));
        xmlFreeDoc(doc);
        cib_store_free(s);
        assert_int_equal(rm_rf(dir), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_version_order),
                cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_empty_dir_and_roundtrip),
                cmocka_unit_test(test_missing_dir),
                cmocka_unit_test(test_versions_kept),
                cmocka_unit_test(test_corrupt_main),
                cmocka_unit_test(test_truncated_main),
                cmocka_unit_test(test_nothing_intact),
                cmocka_unit_test(test_hand_written),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
