/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Every error of the crmsh language with its message: each input is
 * parsed and applied to an empty CIB, which must fail with exactly that
 * message (it names the word and its line and column), and leave the
 * CIB as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "crm.h"
#include "crm_test.h"

static const struct {
        const char *name, *input, *message;
        size_t len;             /* 0: strlen(input) */
} cases[] = {
        { "unterminated quote",
          "primitive p Dummy params state=\"x",
          "t:1:32: unterminated quote \"", 0 },
        { "nul byte",
          "primitive p Dummy\0",
          "t:1:18: a NUL byte is not allowed", 18 },
        { "unknown statement",
          "frobnicate x",
          "t:1:1: unknown statement 'frobnicate' (expected node, primitive, group, clone, ms, location, colocation, order, property, rsc_defaults, op_defaults or xml)", 0 },
        { "missing id",
          "primitive",
          "t:1:10: expected an id at the end of the line", 0 },
        { "invalid id",
          "primitive 1p Dummy",
          "t:1:11: '1p' is not a valid id (a letter or '_', then letters, digits, '_', '-', '.')", 0 },
        { "ocf without provider",
          "primitive p ocf:Dummy",
          "t:1:13: an ocf agent needs a provider: ocf:PROVIDER:Dummy", 0 },
        { "unknown class",
          "primitive p foo:bar:baz",
          "t:1:13: unknown resource class 'foo' (ocf, stonith, lsb, systemd, service)", 0 },
        { "stonith with provider",
          "primitive p stonith:x:fence_dummy",
          "t:1:13: a stonith agent has no provider: stonith:fence_dummy", 0 },
        { "too many colons",
          "primitive p ocf:a:b:c",
          "t:1:13: 'ocf:a:b:c' is not a resource agent (class:provider:type)", 0 },
        { "template",
          "primitive p @tmpl",
          "t:1:13: resource templates ('@tmpl') are not supported", 0 },
        { "unexpected word in primitive",
          "primitive p Dummy bogus",
          "t:1:19: unexpected 'bogus' in primitive p (expected params, meta, utilization or op)", 0 },
        { "params without pairs",
          "primitive p Dummy params",
          "t:1:25: expected name=value after 'params'", 0 },
        { "$id not first",
          "primitive p Dummy params state=1 $id=x",
          "t:1:34: $id must come first in a list of attributes", 0 },
        { "invalid target-role",
          "primitive p Dummy meta target-role=Running",
          "t:1:24: invalid role 'Running' for target-role (Started, Stopped, Promoted, Unpromoted, Master, Slave)", 0 },
        { "seed highlighting in a number",
          "primitive p Dummy\nms ms_p p meta master-max=\"<C>2<C>\" notify=true",
          "t:2:16: master-max must be a number, not '<C>2<C>'", 0 },
        { "not a boolean",
          "primitive p Dummy\nclone c p meta interleave=yes notify=sometimes",
          "t:2:31: notify must be true or false, not 'sometimes'", 0 },
        { "op without name",
          "primitive p Dummy op",
          "t:1:21: expected an operation name after 'op' at the end of the line", 0 },
        { "op with invalid role",
          "primitive p Dummy op monitor interval=10s role=Boss",
          "t:1:43: invalid role 'Boss' (Started, Stopped, Promoted, Unpromoted, Master, Slave)", 0 },
        { "op name attribute",
          "primitive p Dummy op monitor name=x",
          "t:1:30: the operation's name is the word after 'op'", 0 },
        { "clone without resource",
          "clone c",
          "t:1:8: expected a resource at the end of the line", 0 },
        { "clone unexpected word",
          "primitive p Dummy\nclone c p bogus",
          "t:2:11: unexpected 'bogus' in clone c (expected meta or params)", 0 },
        { "node type",
          "node alice:weird",
          "t:1:6: unknown node type 'weird' (member, remote, ping)", 0 },
        { "property stray word",
          "property a=1 b",
          "t:1:14: unexpected 'b' in property (expected name=value)", 0 },
        { "property without pairs",
          "property",
          "t:1:9: expected name=value after 'property'", 0 },
        { "xml malformed",
          "xml <rsc_ticket id=\"t\"",
          "t:1:5: not a well-formed XML element", 0 },
        { "xml without id",
          "xml <rsc_ticket ticket=\"t\"/>",
          "t:1:5: the XML element <rsc_ticket> needs a valid id", 0 },
        { "colocation score without colon",
          "primitive a Dummy\nprimitive b Dummy\ncolocation c inf a b",
          "t:3:14: expected a score followed by ':' (inf:, -inf:, 100:), got 'inf'", 0 },
        { "colocation invalid score",
          "colocation c infinite: a b",
          "t:1:14: invalid score 'infinite' (an integer, inf, +inf, -inf, INFINITY or -INFINITY)", 0 },
        { "colocation invalid role",
          "primitive a Dummy\nprimitive b Dummy\ncolocation c inf: a b:Boss",
          "t:3:21: invalid role 'Boss' (Started, Stopped, Promoted, Unpromoted, Master, Slave)", 0 },
        { "colocation resource set",
          "colocation c inf: a b d",
          "t:1:23: unexpected 'd': resource sets are not supported, name two resources", 0 },
        { "colocation missing resource",
          "colocation c inf: a",
          "t:1:20: expected the resource to place it with at the end of the line", 0 },
        { "colocation empty role",
          "colocation c inf: a b:",
          "t:1:21: 'b:' is not RESOURCE:ROLE", 0 },
        { "order invalid action",
          "order o Mandatory: a:begin b",
          "t:1:20: invalid action 'begin' (start, stop, promote, demote)", 0 },
        { "order invalid symmetrical",
          "order o Mandatory: a b symmetrical=maybe",
          "t:1:24: symmetrical must be true or false, not 'maybe'", 0 },
        { "order misspelt kind",
          "order o Mandatry: a b",
          "t:1:9: unknown kind 'Mandatry' (Mandatory, Optional, Serialize, or a score)", 0 },
        { "location role on resource",
          "location l a:Master 100: alice",
          "t:1:12: 'a:Master': a location names a resource; a role goes in role=", 0 },
        { "location missing node",
          "location l a 100:",
          "t:1:18: expected a node name at the end of the line", 0 },
        { "location invalid score",
          "location l a 1e5: alice",
          "t:1:14: invalid score '1e5' (an integer, inf, +inf, -inf, INFINITY or -INFINITY)", 0 },
        { "location bad discovery",
          "location l a resource-discovery=sometimes 1: alice",
          "t:1:14: resource-discovery is always, never or exclusive, not 'sometimes'", 0 },
        { "rule without expression",
          "location l a rule 10:",
          "t:1:22: expected an expression at the end of the line", 0 },
        { "rule unknown operator",
          "location l a rule x like 1",
          "t:1:21: unknown operator 'like' (eq, ne, lt, gt, lte, gte, with an optional string:, integer:, number: or version: in front)", 0 },
        { "rule mixed and or",
          "location l a rule x eq 1 and y eq 2 or z eq 3",
          "t:1:37: 'and' and 'or' cannot be mixed in one rule", 0 },
        { "rule missing value",
          "location l a rule x eq",
          "t:1:23: expected a value to compare with at the end of the line", 0 },
        { "rule unknown date operation",
          "location l a rule date after 2025",
          "t:1:24: unknown date operation 'after' (gt, lt, in_range, date_spec)", 0 },
        { "rule date field",
          "location l a rule date spec fortnights=2",
          "t:1:29: unknown date field 'fortnights'", 0 },
        { "rule date in without start",
          "location l a rule date in years=1",
          "t:1:24: date in_range needs start= or end=", 0 },
        { "rule junk after expression",
          "location l a rule defined x y",
          "t:1:29: expected 'and', 'or' or 'rule', got 'y'", 0 },
        { "rule operator first",
          "location l a rule eq x 1",
          "t:1:19: expected an attribute name before 'eq'", 0 },
        { "duplicate id in one script",
          "primitive a Dummy\nprimitive a Dummy",
          "t:2:11: primitive 'a' is defined twice (first at line 1)", 0 },
        { "id in use by another kind",
          "primitive a Dummy\nlocation a a 1: alice",
          "t:2:10: id 'a' is already in use by a primitive", 0 },
        { "unknown resource in constraint",
          "primitive a Dummy\ncolocation c inf: a nosuch",
          "t:2:21: colocation c: unknown resource 'nosuch'", 0 },
        { "constraint names a non-resource",
          "primitive a Dummy\nproperty $id=opts x=1\norder o Mandatory: a opts",
          "t:3:22: order o: 'opts' is a property, not a resource", 0 },
        { "clone of unknown resource",
          "clone c nosuch",
          "t:1:9: clone c: unknown resource 'nosuch'", 0 },
        { "clone of a resource in another clone",
          "primitive p Dummy\nclone c1 p\nclone c2 p",
          "t:3:10: clone c2: 'p' is already in clone c1", 0 },
        { "group of a clone",
          "primitive p Dummy\nclone c p\ngroup g c",
          "t:3:9: group g: 'c' is a clone; a group holds primitives", 0 },
        { "property set id in use",
          "primitive a Dummy\nproperty $id=a x=1",
          "t:2:10: id 'a' is already in use by a primitive", 0 },
        { "unknown ocf agent",
          "primitive p ocf:heartbeat:Nosuch",
          "t:1:13: primitive p: unknown resource agent ocf:heartbeat:Nosuch (no " TEST_DATA_DIR "/crm/ocf/resource.d/heartbeat/Nosuch)", 0 },
        { "missing required parameter",
          "primitive vm ocf:heartbeat:VirtualDomain params hypervisor=qemu:///system",
          "t:1:14: primitive vm: missing required parameter 'config' of ocf:heartbeat:VirtualDomain", 0 },
        { "unknown parameter",
          "primitive p Dummy params state=/x bogus=1",
          "t:1:35: primitive p: the agent ocf:heartbeat:Dummy has no parameter 'bogus'", 0 },
        { "agent without meta-data",
          "primitive p ocf:heartbeat:Broken",
          "t:1:13: primitive p: the agent " TEST_DATA_DIR "/crm/ocf/resource.d/heartbeat/Broken gave no usable meta-data (it failed)", 0 },
        { "agent with garbage meta-data",
          "primitive p ocf:heartbeat:Garbage",
          "t:1:13: primitive p: the agent " TEST_DATA_DIR "/crm/ocf/resource.d/heartbeat/Garbage gave no usable meta-data (not agent XML)", 0 },
        { "unknown fence agent",
          "primitive st stonith:fence_nosuch",
          "t:1:14: primitive st: unknown fence agent stonith:fence_nosuch (not on PATH nor in /usr/sbin)", 0 },
        { "unknown fence parameter",
          "primitive st stonith:fence_dummy params port=1",
          "t:1:41: primitive st: the agent stonith:fence_dummy has no parameter 'port'", 0 },
};

static void test_errors(void **state) {
        bool print = getenv("TANDEM_TEST_PRINT") != NULL;
        int failed = 0;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(crm_script_freep) struct crm_script *s = NULL;
                _cleanup_(xmlFreeDocp) xmlDoc *cib = NULL, *out = NULL;
                _cleanup_buf_ struct buf before = BUF_INIT, after = BUF_INIT;
                size_t len = cases[i].len ? cases[i].len : strlen(cases[i].input);
                struct crm_error err = {};
                int r;

                assert_int_equal(crm_cib_new(&cib), 0);
                assert_int_equal(crm_print_xml(cib, NULL, 0, &before, &err), 0);
                r = crm_parse("t", cases[i].input, len, &s, &err);
                if (r >= 0)
                        r = crm_apply(cib, s, CRM_APPLY_CREATE, &crm_test_opts, &out, &err);
                assert_int_equal(crm_print_xml(cib, NULL, 0, &after, &err), 0);
                assert_string_equal(before.data, after.data);
                if (print)
                        printf("%s\t%s\n", cases[i].name, r < 0 ? err.message : "(accepted)");
                else if (r >= 0 || !streq(err.message, cases[i].message)) {
                        print_error("%s: expected \"%s\", got \"%s\"\n", cases[i].name, cases[i].message,
                                    r < 0 ? err.message : "(accepted)");
                        failed++;
                }
        }
        assert_int_equal(failed, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
