/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the CIB model: a small CIB loads into the expected
 * model, and every kind of bad input is rejected with a message that
 * names the element's path and id. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "cib.h"

#define CIB_HEAD "<cib have-quorum=\"1\" dc-uuid=\"n1\"><configuration>"
#define CIB_TAIL "</configuration><status/></cib>"

static const char good[] =
        "<cib have-quorum=\"1\" dc-uuid=\"n1\"><configuration>"
        "<crm_config><cluster_property_set id=\"o\">"
        "<nvpair id=\"o1\" name=\"stonith-enabled\" value=\"false\"/></cluster_property_set></crm_config>"
        "<nodes><node id=\"n1\" uname=\"alice\"/><node id=\"n2\" uname=\"bob\">"
        "<instance_attributes id=\"n2-a\"><nvpair id=\"n2-s\" name=\"standby\" value=\"on\"/></instance_attributes>"
        "</node></nodes>"
        "<resources><primitive id=\"ip\" class=\"ocf\" provider=\"heartbeat\" type=\"IPaddr2\">"
        "<operations><op id=\"ip-m\" name=\"monitor\" interval=\"10s\" timeout=\"20s\" on-fail=\"restart\"/></operations>"
        "</primitive>"
        "<clone id=\"ms\"><meta_attributes id=\"ms-m\"><nvpair id=\"ms-p\" name=\"promotable\" value=\"true\"/>"
        "</meta_attributes><primitive id=\"drbd\" class=\"ocf\" provider=\"linbit\" type=\"drbd\"/></clone>"
        "</resources>"
        "<constraints>"
        "<rsc_location id=\"l1\" rsc=\"ip\" node=\"alice\" score=\"INFINITY\"/>"
        "<rsc_location id=\"l2\" rsc=\"ip\"><rule id=\"r\" score=\"-INFINITY\">"
        "<expression id=\"e\" attribute=\"#uname\" operation=\"eq\" value=\"bob\"/></rule></rsc_location>"
        "<rsc_colocation id=\"c\" rsc=\"ip\" with-rsc=\"ms\" with-rsc-role=\"Master\" score=\"INFINITY\"/>"
        "<rsc_order id=\"o\" first=\"ms\" first-action=\"promote\" then=\"ip\" then-action=\"start\"/>"
        "</constraints>"
        "</configuration><status>"
        "<node_state id=\"n1\" uname=\"alice\" in_ccm=\"true\" crmd=\"online\" join=\"member\" expected=\"member\">"
        "<transient_attributes id=\"n1\"><instance_attributes id=\"t\">"
        "<nvpair id=\"t1\" name=\"fail-count-ip#start_0\" value=\"3\"/></instance_attributes></transient_attributes>"
        "<lrm id=\"n1\"><lrm_resources><lrm_resource id=\"ip\" class=\"ocf\" provider=\"heartbeat\" type=\"IPaddr2\">"
        "<lrm_rsc_op id=\"ip_last_0\" operation=\"start\" call-id=\"4\" rc-code=\"0\" op-status=\"0\" interval=\"0\"/>"
        "</lrm_resource></lrm_resources></lrm></node_state>"
        "</status></cib>";

static void test_loads_model(void **state) {
        struct cib *c = NULL;
        char why[512] = "";
        struct cib_resource *ms;

        assert_int_equal(cib_parse(good, sizeof(good) - 1, &c, why, sizeof(why)), 0);
        assert_true(c->have_quorum);
        assert_int_equal(c->n_nodes, 2);
        assert_string_equal(c->nodes[1].uname, "bob");
        assert_string_equal(cib_attrs_get(&c->nodes[1].attrs, "standby", NULL), "on");
        assert_int_equal(c->n_resources, 2);
        assert_int_equal(c->resources[0]->ops[0].interval_ms, 10000);
        assert_int_equal(c->resources[0]->ops[0].timeout_ms, 20000);
        ms = cib_find_resource(c, "ms");
        assert_non_null(ms);
        assert_true(ms->promotable);
        assert_ptr_equal(cib_find_resource(c, "drbd"), ms->child);
        assert_int_equal(c->n_locations, 2);
        assert_int_equal(c->locations[0].score, CIB_INFINITY);
        assert_int_equal(c->locations[1].n_rules, 1);
        assert_int_equal(c->colocations[0].with_role, CIB_ROLE_PROMOTED);
        assert_string_equal(c->orders[0].first_action, "promote");
        assert_true(c->orders[0].symmetrical);
        assert_true(c->nodes[0].has_state);
        assert_string_equal(cib_node_transient(&c->nodes[0], "fail-count-ip#start_0"), "3");
        assert_int_equal(c->nodes[0].n_lrm, 1);
        assert_int_equal(c->nodes[0].lrm[0].ops[0].call_id, 4);
        cib_free(c);
}

/* Parses text expected to fail with -EINVAL and a message containing
 * each of the given fragments. */
static void expect_error(const char *text, const char *frag1, const char *frag2) {
        struct cib *c = NULL;
        char why[1024] = "";

        assert_int_equal(cib_parse(text, strlen(text), &c, why, sizeof(why)), -EINVAL);
        assert_null(c);
        if (!strstr(why, frag1) || (frag2 && !strstr(why, frag2)))
                fail_msg("message '%s' lacks '%s' or '%s'", why, frag1, frag2 ? frag2 : "");
}

static void test_errors_name_path_and_id(void **state) {
        expect_error("<cib", "not well-formed", NULL);
        expect_error("<notcib/>", "/notcib", "not <cib>");
        expect_error(CIB_HEAD "<bogus id=\"b\"/>" CIB_TAIL, "/cib/configuration/bogus[@id='b']", "unknown element");
        expect_error(CIB_HEAD "<resources><primitive id=\"p\" class=\"ocf\" type=\"X\"/></resources>" CIB_TAIL,
                     "primitive[@id='p']", "provider");
        expect_error(CIB_HEAD "<resources><primitive id=\"p\" class=\"ocf\" provider=\"h\" type=\"X\">"
                     "<operations><op id=\"o\" name=\"monitor\" interval=\"often\"/></operations></primitive>"
                     "</resources>" CIB_TAIL,
                     "/cib/configuration/resources/primitive[@id='p']/operations/op[@id='o']", "interval 'often'");
        expect_error(CIB_HEAD "<resources><group id=\"g\"/></resources>" CIB_TAIL, "group[@id='g']", "unsupported");
        expect_error(CIB_HEAD "<resources><clone id=\"c\"/></resources>" CIB_TAIL, "clone[@id='c']", "without a resource");
        expect_error(CIB_HEAD "<constraints><rsc_location id=\"l\" rsc=\"x\" node=\"a\" score=\"lots\"/></constraints>" CIB_TAIL,
                     "rsc_location[@id='l']", "score 'lots'");
        expect_error(CIB_HEAD "<constraints><rsc_location id=\"l\" rsc=\"x\"><rule id=\"r\" score=\"1\">"
                     "<expression id=\"e\" attribute=\"a\" operation=\"like\" value=\"1\"/></rule></rsc_location>"
                     "</constraints>" CIB_TAIL,
                     "rule[@id='r']/expression[@id='e']", "operation 'like'");
        expect_error(CIB_HEAD "<constraints><rsc_colocation id=\"c\" rsc=\"a\" with-rsc=\"b\" score=\"1\" rsc-role=\"Boss\"/>"
                     "</constraints>" CIB_TAIL, "rsc_colocation[@id='c']", "rsc-role 'Boss'");
        expect_error(CIB_HEAD "<constraints><rsc_order id=\"o\" first=\"a\"/></constraints>" CIB_TAIL,
                     "rsc_order[@id='o']", "first and then");
        expect_error(CIB_HEAD "<constraints><rsc_weird id=\"w\"/></constraints>" CIB_TAIL, "rsc_weird[@id='w']", NULL);
        expect_error("<cib><configuration><nodes><node id=\"x\"/></nodes></configuration><status><node_state id=\"x\"><lrm><lrm_resources>"
                     "<lrm_resource id=\"r\"><lrm_rsc_op id=\"op\" operation=\"start\" call-id=\"seven\"/>"
                     "</lrm_resource></lrm_resources></lrm></node_state></status></cib>",
                     "invalid call-id", NULL);
}

static void test_values(void **state) {
        int score;
        unsigned ms;
        enum cib_role role;

        assert_int_equal(cib_score_parse("-INFINITY", &score), 0);
        assert_int_equal(score, -CIB_INFINITY);
        assert_int_equal(cib_score_parse("+INFINITY", &score), 0);
        assert_int_equal(score, CIB_INFINITY);
        assert_int_equal(cib_score_parse("99999999999", &score), 0);
        assert_int_equal(score, CIB_INFINITY);
        assert_int_equal(cib_score_parse("1.5", &score), -EINVAL);
        assert_int_equal(cib_duration_ms("90", &ms), 0);
        assert_int_equal(ms, 90000);
        assert_int_equal(cib_duration_ms("2min", &ms), 0);
        assert_int_equal(ms, 120000);
        assert_int_equal(cib_duration_ms("PT1M30S", &ms), 0);
        assert_int_equal(ms, 90000);
        assert_int_equal(cib_duration_ms("soon", &ms), -EINVAL);
        assert_int_equal(cib_role_parse("Slave", &role), 0);
        assert_int_equal(role, CIB_ROLE_UNPROMOTED);
        assert_string_equal(cib_role_name(CIB_ROLE_PROMOTED), "Promoted");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_loads_model),
                cmocka_unit_test(test_errors_name_path_and_id),
                cmocka_unit_test(test_values),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
