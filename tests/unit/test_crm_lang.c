/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tests of the crmsh language's pieces that the golden files do not show
 * alone: word positions, scores and roles, id collisions, update, delete
 * with hanging constraints, verify, and CIB files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <libxml/parser.h>

#include "crm.h"
#include "crm_test.h"

static char *show(xmlDoc *doc, const char *id) {
        _cleanup_buf_ struct buf out = BUF_INIT;
        char *ids[] = { (char *) id };
        struct crm_error err;

        assert_int_equal(crm_print(doc, ids, id ? 1 : 0, &out, &err), 0);
        return buf_steal(&out);
}

static xmlDoc *load(const char *text) {
        struct crm_error err;
        xmlDoc *doc = NULL;

        if (crm_test_load("t", text, &doc, &err) < 0)
                fail_msg("%s", err.message);
        return doc;
}

static void test_lex_positions(void **state) {
        const char *text = "# a comment\n"
                           "primitive p Dummy \\\n"
                           "\tparams state=\"a b\" x='c \"d\"' e=f\\ g\n"
                           "\n"
                           "  property x=#y\n";
        struct crm_stmts s = {};
        struct crm_error err;

        assert_int_equal(crm_lex("t", text, strlen(text), &s, &err), 0);
        assert_int_equal(s.n_stmts, 2);
        assert_int_equal(s.stmts[0].n_tokens, 7);
        assert_string_equal(s.stmts[0].tokens[4].text, "state=a b");
        assert_int_equal(s.stmts[0].tokens[4].pos.line, 3);
        assert_int_equal(s.stmts[0].tokens[4].pos.col, 9);
        assert_string_equal(s.stmts[0].tokens[5].text, "x=c \"d\"");
        assert_string_equal(s.stmts[0].tokens[6].text, "e=f g");
        assert_string_equal(s.stmts[1].tokens[1].text, "x=#y");
        assert_int_equal(s.stmts[1].tokens[0].pos.line, 5);
        assert_int_equal(s.stmts[1].tokens[0].pos.col, 3);
        crm_stmts_done(&s);
}

static void test_scores_roles(void **state) {
        static const char *const good[][2] = {
                { "inf", "INFINITY" }, { "+inf", "INFINITY" }, { "-inf", "-INFINITY" },
                { "INFINITY", "INFINITY" }, { "-INFINITY", "-INFINITY" }, { "+INFINITY", "INFINITY" },
                { "100", "100" }, { "-100", "-100" }, { "0", "0" },
        };
        static const char *const bad[] = { "", "-", "1.5", "infinite", "10x", "12345678901", "+-1" };
        char buf[32];

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                assert_int_equal(crm_score_parse(good[i][0], buf, sizeof(buf)), 0);
                assert_string_equal(buf, good[i][1]);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(crm_score_parse(bad[i], buf, sizeof(buf)), -EINVAL);
        assert_string_equal(crm_role_parse("Master"), "Promoted");
        assert_string_equal(crm_role_parse("slave"), "Unpromoted");
        assert_string_equal(crm_role_parse("Started"), "Started");
        assert_null(crm_role_parse("Running"));
}

static void test_id_collisions(void **state) {
        _cleanup_(xmlFreeDocp) xmlDoc *doc =
                load("primitive p Dummy op monitor interval=10s op monitor interval=10s\n"
                     "node 1: alice attributes standby=off\n");
        _cleanup_(xmlFreeDocp) xmlDoc *bad = NULL;
        _cleanup_buf_ struct buf xml = BUF_INIT;
        struct crm_error err;

        /* The second op's id is taken: crmsh appends -0. A node's parts
         * are named after its name, not its (numeric) id. */
        assert_int_equal(crm_print_xml(doc, NULL, 0, &xml, &err), 0);
        assert_non_null(strstr(xml.data, "id=\"p-monitor-10s\""));
        assert_non_null(strstr(xml.data, "id=\"p-monitor-10s-0\""));
        assert_non_null(strstr(xml.data, "id=\"alice-instance_attributes\""));
        assert_non_null(strstr(xml.data, "id=\"alice-instance_attributes-standby\""));
        assert_int_equal(crm_test_load("t", "primitive p Dummy op monitor interval=10s\n"
                                            "primitive p-monitor-10s Dummy\n", &bad, &err), -EINVAL);
        assert_string_equal(err.message, "t:2:11: id 'p-monitor-10s' is already in use by the op of primitive p");
}

static void test_update_in_place(void **state) {
        _cleanup_(xmlFreeDocp) xmlDoc *doc = load("primitive p Dummy\nms ms_p p meta notify=true\n"
                                                 "colocation c inf: ms_p p\n");
        _cleanup_(crm_script_freep) struct crm_script *s = NULL;
        _cleanup_(xmlFreeDocp) xmlDoc *out = NULL;
        _cleanup_free_ char *text = NULL;
        const char *update = "primitive p Dummy params state=/x\nclone ms_p p meta promotable=true clone-max=2\n";
        struct crm_error err;

        assert_int_equal(crm_parse("u", update, strlen(update), &s, &err), 0);
        /* create refuses ids in use ... */
        assert_int_equal(crm_apply(doc, s, CRM_APPLY_CREATE, &crm_test_opts, &out, &err), -EINVAL);
        assert_string_equal(err.message, "u:1:11: id 'p' is already in use by a primitive");
        /* ... update replaces them, the primitive inside its clone. */
        assert_int_equal(crm_apply(doc, s, CRM_APPLY_UPDATE, &crm_test_opts, &out, &err), 0);
        text = show(out, NULL);
        assert_string_equal(text, "primitive p Dummy \\\n\tparams state=\"/x\"\n"
                                  "clone ms_p p \\\n\tmeta promotable=true clone-max=2\n"
                                  "colocation c inf: ms_p p\n");
}

static void test_delete(void **state) {
        _cleanup_(xmlFreeDocp) xmlDoc *doc = load("primitive p Dummy\nprimitive q Dummy\nclone cl p\n"
                                                 "colocation c inf: q cl\norder o Mandatory: q p\n"
                                                 "location l q 10: alice\n");
        _cleanup_(xmlFreeDocp) xmlDoc *out = NULL, *out2 = NULL;
        _cleanup_buf_ struct buf notes = BUF_INIT;
        _cleanup_free_ char *text = NULL;
        char *ids[] = { (char *) "p" }, *missing[] = { (char *) "nosuch" };
        struct crm_error err;

        /* The clone held only p: it goes, and so do the constraints. */
        assert_int_equal(crm_delete(doc, ids, 1, &notes, &out, &err), 0);
        assert_string_equal(notes.data, "clone cl deleted: it held only p\n"
                                        "hanging colocation c deleted\nhanging order o deleted\n");
        text = show(out, NULL);
        assert_string_equal(text, "primitive q Dummy\nlocation l q 10: alice\n");
        assert_int_equal(crm_delete(doc, missing, 1, NULL, &out2, &err), -ENOENT);
        assert_string_equal(err.message, "object 'nosuch' does not exist");
        assert_null(out2);
}

static void test_show_some(void **state) {
        _cleanup_(xmlFreeDocp) xmlDoc *doc = load("primitive p Dummy\nprimitive q Dummy\n");
        _cleanup_free_ char *text = show(doc, "q");
        _cleanup_buf_ struct buf out = BUF_INIT;
        char *ids[] = { (char *) "nosuch" };
        struct crm_error err;

        assert_string_equal(text, "primitive q Dummy\n");
        assert_int_equal(crm_print(doc, ids, 1, &out, &err), -ENOENT);
        assert_string_equal(err.message, "object 'nosuch' does not exist");
}

static void test_verify(void **state) {
        const char *xml =
                "<cib epoch=\"3\" num_updates=\"0\" admin_epoch=\"0\"><configuration><crm_config/><nodes/>"
                "<resources><primitive id=\"vm\" class=\"ocf\" provider=\"heartbeat\" type=\"VirtualDomain\"/>"
                "<clone id=\"empty\"/></resources>"
                "<constraints><rsc_colocation id=\"c\" score=\"lots\" rsc=\"vm\" with-rsc=\"gone\"/>"
                "<rsc_location id=\"l\" rsc=\"vm\" role=\"Boss\" score=\"1\" node=\"a\"/></constraints>"
                "</configuration><status/></cib>";
        _cleanup_(xmlFreeDocp) xmlDoc *doc = xmlReadMemory(xml, (int) strlen(xml), "v.xml", NULL, 0), *good = NULL;
        struct crm_error err;

        assert_non_null(doc);
        assert_int_equal(crm_verify(doc, &crm_test_opts, &err), -EINVAL);
        assert_string_equal(err.message,
                            "primitive vm: missing required parameter 'config' of ocf:heartbeat:VirtualDomain\n"
                            "clone empty: holds no resource\n"
                            "colocation c: unknown resource 'gone'\n"
                            "colocation c: invalid score 'lots'\n"
                            "location l: invalid role 'Boss' in role");
        good = load("primitive p Dummy\nclone c p\nlocation l c 1: alice\n");
        assert_int_equal(crm_verify(good, &crm_test_opts, &err), 0);
}

static void test_cib_file(void **state) {
        char dir[] = "/tmp/test-crm-XXXXXX";
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_(xmlFreeDocp) xmlDoc *doc = NULL, *again = NULL, *cleared = NULL;
        struct crm_error err;

        assert_non_null(mkdtemp(dir));
        path = strjoin(dir, "/cib.xml", NULL);
        /* A missing file is an empty CIB; writing it creates it. */
        assert_int_equal(crm_cib_read(path, &doc, &err), 0);
        assert_int_equal(crm_cib_write(path, doc), 0);
        assert_int_equal(crm_cib_write(path, doc), 0);
        assert_int_equal(crm_cib_read(path, &again, &err), 0);
        xmlChar *epoch = xmlGetProp(xmlDocGetRootElement(again), (const xmlChar *) "epoch");
        assert_string_equal((const char *) epoch, "2");
        xmlFree(epoch);
        assert_int_equal(read_file(path, &text, NULL), 0);
        assert_non_null(strstr(text, "<status/>"));
        assert_non_null(strstr(text, "<resources/>"));
        assert_int_equal(crm_cib_clear_configuration(again, &cleared), 0);
        /* An older 3.x schema moves up to one that knows Promoted. */
        assert_int_equal(write_file(path, "<cib validate-with=\"pacemaker-3.2\" epoch=\"5\"/>"), 0);
        xmlFreeDoc(doc);
        doc = NULL;
        assert_int_equal(crm_cib_read(path, &doc, &err), 0);
        assert_int_equal(crm_cib_write(path, doc), 0);
        free(text);
        text = NULL;
        assert_int_equal(read_file(path, &text, NULL), 0);
        assert_non_null(strstr(text, "validate-with=\"pacemaker-3.9\" epoch=\"6\""));
        assert_int_equal(write_file(path, "not xml"), 0);
        xmlFreeDoc(doc);
        doc = NULL;
        assert_int_equal(crm_cib_read(path, &doc, &err), -EBADMSG);
        assert_int_equal(write_file(path, "<nocib/>"), 0);
        assert_int_equal(crm_cib_read(path, &doc, &err), -EBADMSG);
        assert_non_null(strstr(err.message, "not a CIB"));
        assert_int_equal(rm_rf(dir), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lex_positions),
                cmocka_unit_test(test_scores_roles),
                cmocka_unit_test(test_id_collisions),
                cmocka_unit_test(test_update_in_place),
                cmocka_unit_test(test_delete),
                cmocka_unit_test(test_show_some),
                cmocka_unit_test(test_verify),
                cmocka_unit_test(test_cib_file),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
