/* Unit tests for cib_sync.h: messages survive encoding, garbage is
 * refused with a reason, changes apply atomically under the version
 * check, replicas fed the same messages agree, and a partitioned history
 * converges by the rule of docs/cib-replication.md. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <libxml/parser.h>

#include "cib_sync.h"
#include "util.h"

#define RESOURCES "/cib/configuration/resources"

static xmlNode *element(const char *text) {
        xmlDoc *doc = NULL;

        assert_int_equal(cib_doc_parse_xml(text, strlen(text), &doc, NULL, 0), 0);
        return xmlDocGetRootElement(doc);
}

static void element_free(xmlNode *n) {
        xmlFreeDoc(n->doc);
}

static xmlDoc *empty_cib(void) {
        xmlDoc *doc = NULL;

        assert_int_equal(cib_doc_new_empty(&doc), 0);
        return doc;
}

static struct cib_version version_of(xmlDoc *doc) {
        struct cib_version v;

        assert_int_equal(cib_doc_version(doc, &v), 0);
        return v;
}

/* A change made on `doc` by node `from` that adds primitive `id`. */
static struct cib_msg *add_primitive(xmlDoc *doc, uint32_t from, const char *id) {
        struct cib_version v = version_of(doc);
        struct cib_msg *m = NULL;
        char text[200];
        xmlNode *n;

        snprintf(text, sizeof(text), "<primitive id=\"%s\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/>", id);
        n = element(text);
        assert_int_equal(cib_msg_new_change(from, 1, &v, &m), 0);
        assert_int_equal(cib_msg_add_edit(m, CIB_EDIT_CREATE, RESOURCES, n), 0);
        element_free(n);
        return m;
}

/* Encode, decode, and return the decoded copy (the wire in between). */
static struct cib_msg *over_the_wire(const struct cib_msg *m) {
        _cleanup_free_ char *text = NULL;
        struct cib_msg *back = NULL;
        char why[256] = "";
        size_t len;

        assert_int_equal(cib_msg_encode(m, &text, &len), 0);
        if (cib_msg_decode(text, len, &back, why, sizeof(why)) < 0)
                fail_msg("decode: %s\n%s", why, text);
        return back;
}

/* Apply m to *doc in place; returns what cib_sync_apply() returned. */
static int apply(xmlDoc **doc, const struct cib_msg *m) {
        xmlDoc *next = NULL;
        int r = cib_sync_apply(*doc, m, &next, NULL, 0);

        if (r >= 0) {
                xmlFreeDoc(*doc);
                *doc = next;
        }
        return r;
}

static void digest_of(xmlDoc *doc, char d[CIB_DIGEST_LEN]) {
        assert_int_equal(cib_doc_digest(doc, d), 0);
}

static void test_roundtrip(void **state) {
        _cleanup_xmldoc_ xmlDoc *doc = empty_cib();
        struct cib_msg *m = add_primitive(doc, 3, "d1"), *back;
        _cleanup_free_ char *a = NULL, *b = NULL;
        size_t la, lb;

        assert_int_equal(cib_msg_add_set(m, "/cib/configuration/resources/primitive[@id='d1']", "description", "x"), 0);
        assert_int_equal(cib_msg_add_set(m, "/cib/configuration/resources/primitive[@id='d1']", "gone", NULL), 0);
        assert_int_equal(cib_msg_add_edit(m, CIB_EDIT_DELETE, "/cib/configuration/constraints", NULL), 0);
        assert_int_equal(m->n_edits, 3);        /* the two sets are one edit */
        back = over_the_wire(m);
        assert_int_equal(back->type, CIB_MSG_CHANGE);
        assert_int_equal(back->from, 3);
        assert_int_equal(back->n_edits, 3);
        assert_int_equal(back->edits[1].n_attrs, 2);
        assert_null(back->edits[1].attrs[1].value);
        assert_int_equal(cib_msg_encode(m, &a, &la), 0);
        assert_int_equal(cib_msg_encode(back, &b, &lb), 0);
        assert_string_equal(a, b);
        cib_msg_free(m);
        cib_msg_free(back);

        assert_int_equal(cib_msg_new_offer(2, doc, &m), 0);
        back = over_the_wire(m);
        assert_int_equal(back->type, CIB_MSG_OFFER);
        assert_string_equal(back->digest, m->digest);
        cib_msg_free(m);
        cib_msg_free(back);

        assert_int_equal(cib_msg_new_sync(2, doc, &m), 0);
        back = over_the_wire(m);
        assert_int_equal(back->type, CIB_MSG_SYNC);
        assert_non_null(back->cib);
        cib_msg_free(m);
        cib_msg_free(back);
}

static void test_garbage(void **state) {
        static const char *bad[] = {
                "",
                "{",
                "[]",
                "{\"type\":\"change\"}",
                "{\"tandem-cib\":1,\"type\":\"frob\",\"from\":1}",
                "{\"tandem-cib\":1,\"type\":\"offer\",\"from\":-1}",
                "{\"tandem-cib\":1,\"type\":\"offer\",\"from\":1,\"version\":{\"admin_epoch\":0,\"epoch\":1}}",
                "{\"tandem-cib\":1,\"type\":\"offer\",\"from\":1,\"version\":{\"admin_epoch\":0,\"epoch\":1,"
                "\"num_updates\":0},\"digest\":\"abc\"}",
                "{\"tandem-cib\":1,\"type\":\"change\",\"from\":1,\"id\":1,\"base\":{\"admin_epoch\":0,\"epoch\":0,"
                "\"num_updates\":0},\"edits\":[]}",
                "{\"tandem-cib\":1,\"type\":\"change\",\"from\":1,\"id\":1,\"base\":{\"admin_epoch\":0,\"epoch\":0,"
                "\"num_updates\":0},\"edits\":[{\"op\":\"delete\",\"path\":\"/etc/passwd\"}]}",
                "{\"tandem-cib\":1,\"type\":\"change\",\"from\":1,\"id\":1,\"base\":{\"admin_epoch\":0,\"epoch\":0,"
                "\"num_updates\":0},\"edits\":[{\"op\":\"create\",\"path\":\"/cib\",\"xml\":\"<a\"}]}",
                "{\"tandem-cib\":1,\"type\":\"change\",\"from\":1,\"id\":1,\"base\":{\"admin_epoch\":0,\"epoch\":0,"
                "\"num_updates\":0},\"edits\":[{\"op\":\"set\",\"path\":\"/cib\",\"attrs\":{\"a b\":\"x\"}}]}",
                "{\"tandem-cib\":1,\"type\":\"sync\",\"from\":1,\"version\":{\"admin_epoch\":0,\"epoch\":5,"
                "\"num_updates\":0},\"cib\":\"<cib epoch='4'/>\"}",
                "{\"tandem-cib\":1,\"type\":\"replace\",\"from\":1,\"id\":2,\"base\":{\"admin_epoch\":0,\"epoch\":5,"
                "\"num_updates\":0},\"cib\":\"<!DOCTYPE cib [<!ENTITY x 'y'>]><cib/>\"}",
        };
        struct cib_msg *m = NULL;
        char why[256];

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                why[0] = '\0';
                assert_int_equal(cib_msg_decode(bad[i], strlen(bad[i]), &m, why, sizeof(why)), -EBADMSG);
                assert_null(m);
                assert_true(strlen(why) > 0);
        }
        assert_int_equal(cib_msg_decode("{\"tandem-cib\":2}", 16, &m, why, sizeof(why)), -EPROTONOSUPPORT);
}

static void test_apply_and_versions(void **state) {
        xmlDoc *doc = empty_cib();
        struct cib_msg *m = add_primitive(doc, 1, "d1"), *stale;
        struct cib_version v;
        char before[CIB_DIGEST_LEN], after[CIB_DIGEST_LEN], why[256];
        xmlDoc *next = NULL;

        assert_int_equal(apply(&doc, m), 0);
        v = version_of(doc);
        assert_true(v.epoch == 1 && v.num_updates == 0);
        assert_non_null(cib_sync_find(doc, RESOURCES "/primitive[@id='d1']"));

        /* The same change again: made against 0.0.0, refused. */
        digest_of(doc, before);
        assert_int_equal(cib_sync_apply(doc, m, &next, why, sizeof(why)), -ESTALE);
        assert_non_null(strstr(why, "moved on"));
        cib_msg_free(m);

        /* A status-only change counts num_updates. */
        v = version_of(doc);
        assert_int_equal(cib_msg_new_change(1, 2, &v, &m), 0);
        assert_int_equal(cib_msg_add_set(m, "/cib/status", "x", "1"), 0);
        assert_int_equal(apply(&doc, m), 0);
        v = version_of(doc);
        assert_true(v.epoch == 1 && v.num_updates == 1);
        cib_msg_free(m);

        /* An edit that fails refuses the whole change: nothing moved. */
        stale = add_primitive(doc, 1, "d2");
        assert_int_equal(cib_msg_add_edit(stale, CIB_EDIT_DELETE, RESOURCES "/primitive[@id='nope']", NULL), 0);
        digest_of(doc, before);
        assert_int_equal(cib_sync_apply(doc, stale, &next, why, sizeof(why)), -ENOENT);
        digest_of(doc, after);
        assert_string_equal(before, after);
        cib_msg_free(stale);

        /* A duplicate id, and the counters, are refused. */
        m = add_primitive(doc, 1, "d1");
        assert_int_equal(cib_sync_apply(doc, m, &next, why, sizeof(why)), -EEXIST);
        cib_msg_free(m);
        v = version_of(doc);
        assert_int_equal(cib_msg_new_change(1, 3, &v, &m), 0);
        assert_int_equal(cib_msg_add_set(m, "/cib", "epoch", "99"), 0);
        assert_int_equal(cib_sync_apply(doc, m, &next, why, sizeof(why)), -EINVAL);
        cib_msg_free(m);

        /* Replace an element by one of another name: refused; of the same
         * name: done. */
        v = version_of(doc);
        assert_int_equal(cib_msg_new_change(1, 4, &v, &m), 0);
        xmlNode *n = element("<primitive id=\"d1\" class=\"ocf\" provider=\"pacemaker\" type=\"Stateful\"/>");
        assert_int_equal(cib_msg_add_edit(m, CIB_EDIT_REPLACE, RESOURCES "/primitive[@id=\"d1\"]", n), 0);
        element_free(n);
        assert_int_equal(apply(&doc, m), 0);
        cib_msg_free(m);
        xmlChar *type = xmlGetProp(cib_sync_find(doc, RESOURCES "/primitive[@id='d1']"), (const xmlChar *) "type");
        assert_string_equal((const char *) type, "Stateful");
        xmlFree(type);
        xmlFreeDoc(doc);
}

static void test_replace(void **state) {
        xmlDoc *doc = empty_cib(), *theirs = empty_cib();
        struct cib_msg *m = add_primitive(doc, 1, "d1");
        struct cib_version v, base;

        assert_int_equal(apply(&doc, m), 0);
        cib_msg_free(m);
        /* A replacement at an older version becomes current epoch + 1 and
         * keeps this replica's status. */
        base = version_of(doc);
        assert_int_equal(cib_msg_new_replace(1, 5, &base, theirs, &m), 0);
        assert_int_equal(cib_msg_add_set(m, "/cib", "x", "1"), -EINVAL);  /* not a change */
        struct cib_msg *wire = over_the_wire(m);
        assert_int_equal(apply(&doc, wire), 0);
        v = version_of(doc);
        assert_true(v.admin_epoch == 0 && v.epoch == 2 && v.num_updates == 0);
        assert_null(cib_sync_find(doc, RESOURCES "/primitive[@id='d1']"));
        cib_msg_free(m);
        cib_msg_free(wire);
        /* One with a raised admin_epoch keeps its counters. */
        base = version_of(doc);
        v = (struct cib_version) { 1, 0, 0 };
        assert_int_equal(cib_doc_set_version(theirs, &v), 0);
        assert_int_equal(cib_msg_new_replace(1, 6, &base, theirs, &m), 0);
        assert_int_equal(apply(&doc, m), 0);
        v = version_of(doc);
        assert_true(v.admin_epoch == 1 && v.epoch == 0);
        cib_msg_free(m);
        xmlFreeDoc(doc);
        xmlFreeDoc(theirs);
}

#define N_REPLICAS 3

/* Every replica applies the messages in the same (total) order; each
 * message was made by its sender against the sender's CIB at the time. */
static void test_replicas_agree(void **state) {
        xmlDoc *replica[N_REPLICAS];
        char d0[CIB_DIGEST_LEN], d[CIB_DIGEST_LEN];
        unsigned applied = 0, refused = 0;

        for (int i = 0; i < N_REPLICAS; i++)
                replica[i] = empty_cib();
        for (unsigned round = 0; round < 30; round++) {
                /* Two nodes send in the same round against what they have:
                 * the second of the pair is stale once the first applied. */
                struct cib_msg *sent[2];
                char id[16];
                for (int k = 0; k < 2; k++) {
                        unsigned from = (round + k) % N_REPLICAS;
                        snprintf(id, sizeof(id), "r%u_%d", round, k);
                        sent[k] = add_primitive(replica[from], from + 1, id);
                        if (round % 3 == 2) {
                                struct cib_version v = version_of(replica[from]);
                                cib_msg_free(sent[k]);
                                assert_int_equal(cib_msg_new_change(from + 1, round, &v, &sent[k]), 0);
                                assert_int_equal(cib_msg_add_set(sent[k], "/cib/status", "round", id), 0);
                        }
                }
                for (int k = 0; k < 2; k++) {
                        struct cib_msg *wire = over_the_wire(sent[k]);
                        int results[N_REPLICAS];
                        for (int i = 0; i < N_REPLICAS; i++)
                                results[i] = apply(&replica[i], wire);
                        for (int i = 1; i < N_REPLICAS; i++)
                                assert_int_equal(results[i], results[0]);
                        if (results[0] >= 0)
                                applied++;
                        else
                                refused++;
                        cib_msg_free(wire);
                        cib_msg_free(sent[k]);
                }
        }
        assert_int_equal(applied, 30);
        assert_int_equal(refused, 30);
        digest_of(replica[0], d0);
        for (int i = 0; i < N_REPLICAS; i++) {
                digest_of(replica[i], d);
                assert_string_equal(d, d0);
                xmlFreeDoc(replica[i]);
        }
}

/* Offers from every replica, as each node would receive them. */
static void offers_of(xmlDoc **replica, size_t n, struct cib_offer *offers) {
        for (size_t i = 0; i < n; i++) {
                struct cib_msg *m = NULL, *wire;
                assert_int_equal(cib_msg_new_offer((uint32_t) (i + 1), replica[i], &m), 0);
                wire = over_the_wire(m);
                offers[i].node = wire->from;
                offers[i].version = wire->version;
                memcpy(offers[i].digest, wire->digest, CIB_DIGEST_LEN);
                cib_msg_free(m);
                cib_msg_free(wire);
        }
}

/* Heal: everyone offers; the chosen node syncs; all adopt. */
static void heal(xmlDoc **replica, size_t n, int expect_winner) {
        struct cib_offer offers[N_REPLICAS];
        struct cib_msg *sync = NULL, *wire;
        char d0[CIB_DIGEST_LEN], d[CIB_DIGEST_LEN];
        int w;

        offers_of(replica, n, offers);
        w = cib_sync_choose(offers, n);
        assert_int_equal(w, expect_winner);
        assert_false(cib_sync_agreed(offers, n));
        digest_of(replica[w], d0);
        assert_int_equal(cib_msg_new_sync(offers[w].node, replica[w], &sync), 0);
        wire = over_the_wire(sync);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(apply(&replica[i], wire), 0);
        for (size_t i = 0; i < n; i++) {
                digest_of(replica[i], d);
                assert_string_equal(d, d0);
        }
        offers_of(replica, n, offers);
        assert_true(cib_sync_agreed(offers, n));
        cib_msg_free(sync);
        cib_msg_free(wire);
}

static void apply_on(xmlDoc **replica, const int *members, size_t n_members, struct cib_msg *m) {
        struct cib_msg *wire = over_the_wire(m);
        for (size_t i = 0; i < n_members; i++)
                assert_int_equal(apply(&replica[members[i]], wire), 0);
        cib_msg_free(wire);
        cib_msg_free(m);
}

static void test_partition_converges(void **state) {
        xmlDoc *replica[N_REPLICAS];
        const int left[] = { 0, 1 }, right[] = { 2 };

        for (int i = 0; i < N_REPLICAS; i++)
                replica[i] = empty_cib();
        apply_on(replica, (int[]) { 0, 1, 2 }, 3, add_primitive(replica[0], 1, "common"));
        /* Split: {1,2} make two changes, {3} one. */
        apply_on(replica, left, 2, add_primitive(replica[0], 1, "left1"));
        apply_on(replica, left, 2, add_primitive(replica[1], 2, "left2"));
        apply_on(replica, right, 1, add_primitive(replica[2], 3, "right1"));
        /* The newer side wins: node 1 (lowest id on that side). */
        heal(replica, N_REPLICAS, 0);
        assert_non_null(cib_sync_find(replica[2], RESOURCES "/primitive[@id='left2']"));
        assert_null(cib_sync_find(replica[2], RESOURCES "/primitive[@id='right1']"));

        /* Split again with one change on each side: same version, other
         * content; the lowest node id breaks the tie. */
        apply_on(replica, right, 1, add_primitive(replica[2], 3, "right2"));
        apply_on(replica, (int[]) { 1 }, 1, add_primitive(replica[1], 2, "mid"));
        apply_on(replica, (int[]) { 0 }, 1, add_primitive(replica[0], 1, "first"));
        heal(replica, N_REPLICAS, 0);
        assert_non_null(cib_sync_find(replica[1], RESOURCES "/primitive[@id='first']"));

        /* An administrator's admin_epoch outranks any number of epochs. */
        struct cib_version v = version_of(replica[2]);
        v.admin_epoch++;
        v.epoch = 0;
        assert_int_equal(cib_doc_set_version(replica[2], &v), 0);
        for (int i = 0; i < 5; i++)
                apply_on(replica, left, 2, add_primitive(replica[0], 1, (char[]) { 'x', (char) ('0' + i), 0 }));
        heal(replica, N_REPLICAS, 2);
        for (int i = 0; i < N_REPLICAS; i++)
                xmlFreeDoc(replica[i]);
}

static void test_choose(void **state) {
        struct cib_offer o[3] = {
                { .node = 5, .version = { 0, 3, 1 }, .digest = "a" },
                { .node = 2, .version = { 0, 3, 1 }, .digest = "b" },
                { .node = 9, .version = { 0, 3, 0 }, .digest = "c" },
        };

        assert_int_equal(cib_sync_choose(o, 0), -EINVAL);
        assert_int_equal(cib_sync_choose(o, 3), 1);
        o[2].version.num_updates = 2;
        assert_int_equal(cib_sync_choose(o, 3), 2);
        assert_false(cib_sync_agreed(o, 3));
        assert_true(cib_sync_agreed(o, 1));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_garbage),
                cmocka_unit_test(test_apply_and_versions),
                cmocka_unit_test(test_replace),
                cmocka_unit_test(test_replicas_agree),
                cmocka_unit_test(test_partition_converges),
                cmocka_unit_test(test_choose),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
