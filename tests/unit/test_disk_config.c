/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the disk.conf parser (src/disk/config.h): the seed
 * listings, the fixtures in data/disk_config (every section, option kind,
 * shorthand and include form), every error path with its FILE:LINE:COL,
 * and the dump round trip against golden files. Set
 * TANDEM_REGENERATE_GOLDEN=1 to rewrite the golden *.dump files. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>

/* "config.h" alone would find the build's generated config.h first. */
#include "disk_config.h"

#define DATA TEST_DATA_DIR "/disk_config"

static char *tmpdir;

static int setup(void **state) {
        tmpdir = strdup("/tmp/test-disk-config-XXXXXX");
        return tmpdir && mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
        int r = rm_rf(tmpdir);

        free(tmpdir);
        return r;
}

static char *tmp_path(const char *name) {
        char *p = strjoin(tmpdir, "/", name, NULL);

        assert_non_null(p);
        return p;
}

static struct disk_config *parse_ok(const char *text) {
        struct disk_config_error err = {};
        struct disk_config *c = NULL;
        int r;

        r = disk_config_parse("mem.conf", text, strlen(text), NULL, &c, &err);
        if (r < 0)
                fail_msg("unexpected error %d: %s", r, err.message);
        return c;
}

static struct disk_config *load_ok(const char *path) {
        struct disk_config_error err = {};
        struct disk_config *c = NULL;
        int r;

        r = disk_config_load(path, NULL, &c, &err);
        if (r < 0)
                fail_msg("unexpected error %d loading %s: %s", r, path, err.message);
        return c;
}

/* The message must start with loc ("FILE:LINE:COL: ") and contain msg. */
static void check_message(const char *message, const char *loc, const char *msg) {
        if (!startswith(message, loc) || !strstr(message, msg))
                fail_msg("error message\n  got:      %s\n  expected: %s ...%s...", message, loc, msg);
}

static void parse_err_len(const char *text, size_t len, const char *loc, const char *msg) {
        struct disk_config_error err = {};
        struct disk_config *c = NULL;
        int r;

        r = disk_config_parse("mem.conf", text, len, NULL, &c, &err);
        if (r != -EINVAL)
                fail_msg("expected -EINVAL, got %d for:\n%s", r, text);
        assert_null(c);
        check_message(err.message, loc, msg);
}

static void parse_err(const char *text, const char *loc, const char *msg) {
        parse_err_len(text, strlen(text), loc, msg);
}

static char *dump(const struct disk_config *c, const char *resource) {
        struct buf b = BUF_INIT;
        char *s;

        assert_int_equal(disk_config_dump(c, resource, &b), 0);
        s = buf_steal(&b);
        assert_non_null(s);
        return s;
}

/* ---- the seeds --------------------------------------------------------- */

static char *seed_line(const char *file, const char *prefix) {
        _cleanup_free_ char *data = NULL;
        char *path = strjoin(SHARED_DIR, "/seeds/", file, NULL), *line;

        assert_non_null(path);
        if (read_file(path, &data, NULL) < 0) {
                free(path);
                return NULL;
        }
        free(path);
        for (line = data; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
                if (startswith(line, prefix))
                        return strndup(line, strcspn(line, "\n"));
        return NULL;
}

static unsigned column_of(const char *line, const char *needle) {
        const char *p = strstr(line, needle);

        assert_non_null(p);
        return (unsigned) (p - line) + 1;
}

/* Removes the typesetting space after '/' ("/dev/ drbd0" -> "/dev/drbd0"). */
static char *untypeset(const char *s) {
        char *out = malloc(strlen(s) + 1), *o = out;

        assert_non_null(out);
        for (; *s; s++) {
                *o++ = *s;
                if (*s == '/' && s[1] == ' ')
                        s++;
        }
        *o = '\0';
        return out;
}

/* Listing 3 of the German article: the resource written on one line, with
 * the article's typesetting spaces inside the paths. As printed, the device
 * statement is a syntax error at the stray word; without the typesetting
 * spaces the text parses and validation rejects it because alice and bob
 * have the same address. */
static void test_seed_listing3(void **state) {
        _cleanup_free_ char *line = seed_line("000_8932131ed0c248dc.txt", "resource VirtDom1");
        _cleanup_free_ char *fixed = NULL, *path = NULL, *expect = NULL, *other = NULL;
        struct disk_config_error err = {};
        struct disk_config *c = NULL;
        const struct disk_resource *r;
        char loc[64];

        if (!line) {
                print_message("skipped: seed %s/seeds/000_8932131ed0c248dc.txt is absent\n", SHARED_DIR);
                skip();
        }

        /* As printed: "device /dev/ drbd0;" */
        snprintf(loc, sizeof(loc), "mem.conf:1:%u: ", column_of(line, "drbd0"));
        parse_err(line, loc, "unexpected 'drbd0' after device path '/dev/'");
        parse_err(line, loc, "stray space inside the path");

        /* Typesetting removed, loaded from a file. */
        fixed = untypeset(line);
        assert_non_null(strstr(fixed, "device /dev/drbd0; disk /dev/system/r0;"));
        path = tmp_path("listing3.conf");
        assert_int_equal(write_file(path, fixed), 0);
        assert_int_equal(disk_config_load(path, NULL, &c, &err), -EINVAL);
        assert_null(c);
        {
                unsigned alice = column_of(fixed, "on alice {") + strlen("on alice { ");
                unsigned bob = column_of(fixed, "on bob {") + strlen("on bob { ");

                assert_true(asprintf(&expect,
                                     "%s:1:%u: hosts alice and bob of resource VirtDom1 have the same address "
                                     "192.168.0.1:7899 (alice at %s:1:%u, bob at %s:1:%u)",
                                     path, bob, path, alice, path, bob) > 0);
        }
        assert_string_equal(err.message, expect);

        /* With distinct addresses the listing is a valid dual-primary resource. */
        other = strdup(fixed);
        assert_non_null(other);
        memcpy(strstr(other, "on bob { address 192.168.0.1") + strlen("on bob { address 192.168.0."), "2", 1);
        c = parse_ok(other);
        r = disk_config_find_resource(c, "VirtDom1");
        assert_non_null(r);
        assert_true(r->net.allow_two_primaries);
        assert_true(r->opt[DISK_OPT_ALLOW_TWO_PRIMARIES].set);
        assert_int_equal(r->net.protocol, DISK_PROTOCOL_C);
        assert_false(r->opt[DISK_OPT_PROTOCOL].set);
        assert_int_equal(r->net.after_sb_0pri, DISK_ASB0_DISCARD_ZERO_CHANGES);
        assert_int_equal(r->net.after_sb_1pri, DISK_ASB1_DISCARD_SECONDARY);
        assert_int_equal(r->net.after_sb_2pri, DISK_ASB2_DISCONNECT);
        assert_int_equal(r->n_hosts, 2);
        for (size_t i = 0; i < 2; i++) {
                const struct disk_volume *v = disk_host_find_volume(&r->hosts[i], 0);

                assert_int_equal(r->hosts[i].node_id, i);
                assert_false(r->hosts[i].node_id_set);
                assert_non_null(v);
                assert_string_equal(v->device, "/dev/drbd0");
                assert_int_equal(v->minor, 0);
                assert_string_equal(v->disk, "/dev/system/r0");
                assert_int_equal(v->meta, DISK_META_INTERNAL);
        }
        disk_config_free(c);
}

/* The English article's two net fragments, each inside a whole resource. */
static void test_seed_allow_two_primaries(void **state) {
        static const char head[] =
                "resource r {\n"
                "  on alice { address 10.0.0.1:7788; disk /dev/sda1; meta-disk internal; }\n"
                "  on bob { address 10.0.0.2:7788; disk /dev/sda1; meta-disk internal; }\n";
        _cleanup_free_ char *data = NULL;
        char *path = strjoin(SHARED_DIR, "/seeds/002_badaa073e92ed82c.txt", NULL);
        const char *p;
        int found = 0;

        assert_non_null(path);
        if (read_file(path, &data, NULL) < 0) {
                free(path);
                print_message("skipped: seed %s/seeds/002_badaa073e92ed82c.txt is absent\n", SHARED_DIR);
                skip();
        }
        free(path);
        for (p = strstr(data, "\nnet {"); p; p = strstr(p + 1, "\nnet {")) {
                const char *end = strstr(p, "\n}");
                _cleanup_free_ char *fragment = NULL, *text = NULL;
                struct disk_config *c;
                const struct disk_resource *r;

                assert_non_null(end);
                fragment = strndup(p + 1, (size_t) (end + 2 - (p + 1)));
                text = strjoin(head, fragment, "\n}\n", NULL);
                assert_non_null(text);
                c = parse_ok(text);
                r = disk_config_find_resource(c, "r");
                assert_true(r->net.allow_two_primaries);
                assert_int_equal(r->net.protocol, DISK_PROTOCOL_C);
                assert_int_equal(r->opt[DISK_OPT_ALLOW_TWO_PRIMARIES].loc.line, 5 + found);
                /* 8.3 wrote the flag alone, 8.4 wrote "yes" and the protocol. */
                assert_int_equal(r->opt[DISK_OPT_PROTOCOL].set, found == 1);
                disk_config_free(c);
                found++;
        }
        assert_int_equal(found, 2);
}

/* ---- the fixtures ------------------------------------------------------ */

static void test_full_fixture(void **state) {
        struct disk_config *c = load_ok(DATA "/full.conf");
        const struct disk_resource *r0, *r1, *r2, *r3;
        const struct disk_host *alice, *bob, *peers[4];
        const struct disk_volume *v;
        const struct sockaddr_in6 *sin6;

        /* Resources in file order, the included ones last in glob order. */
        assert_int_equal(c->n_resources, 4);
        assert_string_equal(c->resources[0]->name, "r0");
        assert_string_equal(c->resources[2]->name, "r2");
        assert_string_equal(c->resources[3]->name, "r3");
        assert_int_equal(c->n_files, 4);
        assert_non_null(strstr(c->files[1], "full.d/10-r2.res"));
        assert_non_null(strstr(c->files[3], "full.d/r3-net.inc"));

        /* global */
        assert_int_equal(c->global.usage_count, DISK_USAGE_COUNT_NO);
        assert_int_equal(c->global.minor_count, 64);
        assert_int_equal(c->global.dialog_refresh, 5);
        assert_true(c->global.disable_ip_verification);
        assert_true(c->global.udev_always_use_vnr);
        assert_int_equal(c->global.cmd_timeout_medium, 121);

        /* r0: its own values override common; the rest is inherited. */
        r0 = disk_config_find_resource(c, "r0");
        assert_non_null(r0);
        assert_string_equal(r0->options.cpu_mask, "0f");
        assert_int_equal(r0->options.quorum.kind, DISK_QUORUM_MAJORITY);
        assert_int_equal(r0->options.quorum_minimum_redundancy.kind, DISK_QUORUM_COUNT);
        assert_int_equal(r0->options.quorum_minimum_redundancy.count, 2);
        assert_false(r0->options.auto_promote);
        assert_int_equal(r0->options.on_no_data_accessible, DISK_IO_POLICY_SUSPEND_IO);
        assert_true(r0->opt[DISK_OPT_ON_NO_DATA_ACCESSIBLE].inherited);
        assert_int_equal(r0->net.timeout, 90);
        assert_true(r0->opt[DISK_OPT_TIMEOUT].set);
        assert_false(r0->opt[DISK_OPT_TIMEOUT].inherited);
        assert_int_equal(r0->opt[DISK_OPT_TIMEOUT].loc.line, 51);
        assert_int_equal(r0->net.ping_int, 10);
        assert_true(r0->opt[DISK_OPT_PING_INT].inherited);
        assert_int_equal(r0->opt[DISK_OPT_PING_INT].loc.line, 15);
        assert_int_equal(r0->net.connect_int, 15);
        assert_int_equal(r0->net.ping_timeout, 7);
        assert_int_equal(r0->net.ko_count, 4);
        assert_int_equal(r0->net.max_buffers, 8192);
        assert_int_equal(r0->net.max_epoch_size, 8000);
        assert_int_equal(r0->net.sndbuf_size, 512);
        assert_int_equal(r0->net.rcvbuf_size, 2 << 20);
        assert_true(r0->net.allow_two_primaries);
        assert_string_equal(r0->net.cram_hmac_alg, "sha256");
        assert_string_equal(r0->net.shared_secret, "common secret");
        assert_int_equal(r0->net.after_sb_0pri, DISK_ASB0_DISCARD_ZERO_CHANGES);
        assert_int_equal(r0->net.rr_conflict, DISK_RR_CONFLICT_CALL_PRI_LOST);
        assert_string_equal(r0->net.data_integrity_alg, "crc32c");
        assert_false(r0->net.tcp_cork);
        assert_int_equal(r0->net.on_congestion, DISK_ON_CONGESTION_PULL_AHEAD);
        assert_int_equal(r0->net.congestion_fill, UINT64_C(400) << 20);
        assert_int_equal(r0->net.congestion_extents, 1000);
        assert_string_equal(r0->net.csums_alg, "md5");
        assert_true(r0->net.csums_after_crash_only);
        assert_string_equal(r0->net.verify_alg, "sha1");
        assert_true(r0->net.use_rle);
        assert_int_equal(r0->net.fencing, DISK_FENCING_RESOURCE_AND_STONITH);
        assert_string_equal(r0->net.transport, "tcp");            /* default */
        assert_false(r0->opt[DISK_OPT_TRANSPORT].set);
        assert_int_equal(r0->disk.size, UINT64_C(10) << 30);
        assert_int_equal(r0->disk.on_io_error, DISK_ON_IO_ERROR_DETACH);
        assert_false(r0->disk.disk_barrier);
        assert_true(r0->disk.disk_flushes);
        assert_false(r0->disk.disk_drain);
        assert_false(r0->disk.md_flushes);
        assert_int_equal(r0->disk.resync_rate, UINT64_C(40) << 20);
        assert_int_equal(r0->disk.al_extents, 3389);
        assert_int_equal(r0->disk.c_plan_ahead, 20);
        assert_int_equal(r0->disk.c_delay_target, 10);
        assert_int_equal(r0->disk.c_fill_target, 100 * 512);
        assert_int_equal(r0->disk.c_max_rate, UINT64_C(500) << 20);
        assert_int_equal(r0->disk.c_min_rate, 512);
        assert_int_equal(r0->disk.read_balancing, DISK_READ_BALANCING_64K_STRIPING);
        assert_int_equal(r0->disk.rs_discard_granularity, 65536);
        assert_false(r0->disk.discard_zeroes_if_aligned);
        assert_int_equal(r0->startup.wfc_timeout, 30);
        assert_int_equal(r0->startup.degr_wfc_timeout, 60);
        assert_true(r0->startup.wait_after_sb);
        assert_string_equal(r0->startup.become_primary_on, "both");
        assert_string_equal(disk_resource_handler(r0, "pri-lost-after-sb"), "echo \"lost\" \\ done");
        assert_string_equal(disk_resource_handler(r0, "fence-peer"), "/usr/lib/drbd/crm-fence-peer.sh");
        assert_string_equal(disk_resource_handler(r0, "split-brain"), "/usr/lib/drbd/notify-split-brain.sh root");
        assert_null(disk_resource_handler(r0, "pri-lost"));
        assert_null(disk_resource_handler(r0, "timeout"));

        /* r0 volumes: resource-level, completed per host; skip dropped carol. */
        assert_int_equal(r0->n_hosts, 2);
        alice = disk_resource_find_host(r0, "alice");
        bob = disk_resource_find_host(r0, "bob");
        assert_non_null(alice);
        assert_non_null(bob);
        assert_null(disk_resource_find_host(r0, "carol"));
        assert_null(disk_resource_find_host(r0, "Alice"));
        assert_int_equal(alice->n_volumes, 2);
        assert_int_equal(bob->n_volumes, 2);
        v = disk_host_find_volume(alice, 0);
        assert_string_equal(v->device, "/dev/drbd0");
        assert_string_equal(v->disk, "/dev/vg0/my disk");
        v = disk_host_find_volume(bob, 0);
        assert_string_equal(v->device, "/dev/drbd_r0");
        assert_int_equal(v->minor, 0);
        assert_string_equal(v->disk, "/dev/vg0/my disk");
        v = disk_host_find_volume(alice, 1);
        assert_null(v->device);
        assert_true(v->minor_set);
        assert_int_equal(v->minor, 1);
        assert_string_equal(v->disk, "/dev/vg1/r0-1");
        assert_int_equal(v->disk_loc.line, 115);
        assert_int_equal(v->meta, DISK_META_EXTERNAL);
        assert_string_equal(v->meta_disk, "/dev/vg0/meta");
        assert_int_equal(v->meta_index, 2);
        assert_string_equal(disk_host_find_volume(bob, 1)->disk, "/dev/vg0/r0-1");
        assert_null(disk_host_find_volume(bob, 2));
        assert_string_equal(alice->address_text, "10.0.0.1:7788");
        assert_string_equal(bob->address_text, "ipv4 10.0.0.2:7788");
        assert_int_equal(bob->address.ss_family, AF_INET);
        assert_int_equal(ntohs(((const struct sockaddr_in *) &bob->address)->sin_port), 7788);
        assert_int_equal(alice->node_id, 0);
        assert_int_equal(bob->node_id, 1);
        assert_int_equal(disk_resource_peers(r0, alice, peers), 1);
        assert_ptr_equal(peers[0], bob);
        assert_int_equal(disk_resource_peers(r0, NULL, peers), 2);

        /* r1: one-volume shorthand in the resource, completed per host. */
        r1 = disk_config_find_resource(c, "r1");
        v = disk_host_find_volume(disk_resource_find_host(r1, "alice"), 0);
        assert_string_equal(v->device, "/dev/drbd2");
        assert_int_equal(v->minor, 2);
        assert_string_equal(v->disk, "/dev/sdb1");
        assert_int_equal(v->meta, DISK_META_INTERNAL);
        v = disk_host_find_volume(disk_resource_find_host(r1, "bob"), 0);
        assert_string_equal(v->disk, "/dev/sdc1");
        assert_int_equal(v->meta, DISK_META_EXTERNAL);
        assert_string_equal(v->meta_disk, "/dev/sdd1");
        assert_int_equal(v->meta_index, 0);
        assert_int_equal(r1->net.timeout, 60);
        assert_true(r1->opt[DISK_OPT_TIMEOUT].inherited);
        assert_int_equal(r1->disk.resync_rate, UINT64_C(100) << 20);
        assert_int_equal(r1->startup.wfc_timeout, 120);

        /* r2 (included): 8.3 flag form, shorthand inside "on", node-ids. */
        r2 = disk_config_find_resource(c, "r2");
        assert_true(r2->net.allow_two_primaries);
        assert_non_null(strstr(r2->opt[DISK_OPT_ALLOW_TWO_PRIMARIES].loc.file, "10-r2.res"));
        assert_int_equal(r2->opt[DISK_OPT_ALLOW_TWO_PRIMARIES].loc.line, 3);
        alice = disk_resource_find_host(r2, "alice");
        bob = disk_resource_find_host(r2, "bob");
        assert_true(alice->node_id_set);
        assert_int_equal(alice->node_id, 1);
        assert_false(bob->node_id_set);
        assert_int_equal(bob->node_id, 0);
        v = disk_host_find_volume(alice, 0);
        assert_string_equal(v->meta_disk, "/dev/sdf1");
        assert_int_equal(v->meta_index, -1);
        assert_null(disk_host_find_volume(bob, 0)->device);
        assert_int_equal(disk_host_find_volume(bob, 0)->minor, 3);
        assert_int_equal(bob->address.ss_family, AF_INET6);
        sin6 = (const struct sockaddr_in6 *) &bob->address;
        assert_int_equal(ntohs(sin6->sin6_port), 7790);

        /* r3: a net section included inside the resource. */
        r3 = disk_config_find_resource(c, "r3");
        assert_int_equal(r3->net.protocol, DISK_PROTOCOL_A);
        assert_non_null(strstr(r3->opt[DISK_OPT_PROTOCOL].loc.file, "r3-net.inc"));
        assert_int_equal(r3->net.on_congestion, DISK_ON_CONGESTION_DISCONNECT);
        assert_null(disk_config_find_resource(c, "r4"));
        disk_config_free(c);
}

static void test_drbd83_fixture(void **state) {
        struct disk_config *c = load_ok(DATA "/v83.conf");
        const struct disk_resource *r = disk_config_find_resource(c, "nas");

        assert_int_equal(c->global.usage_count, DISK_USAGE_COUNT_ASK);
        /* syncer options land at their 8.4 places */
        assert_int_equal(r->disk.resync_rate, UINT64_C(30) << 20);
        assert_true(r->opt[DISK_OPT_RESYNC_RATE].inherited);
        assert_int_equal(r->disk.al_extents, 257);
        assert_string_equal(r->net.verify_alg, "md5");
        assert_string_equal(r->net.csums_alg, "crc32c");
        assert_true(r->net.use_rle);
        assert_string_equal(r->options.cpu_mask, "3");
        assert_string_equal(r->disk.resync_after, "nas0");
        assert_int_equal(r->disk.c_plan_ahead, 0);
        /* negated flags, protocol in the resource, fencing in disk */
        assert_false(r->disk.disk_barrier);
        assert_false(r->disk.disk_flushes);
        assert_false(r->disk.md_flushes);
        assert_true(r->disk.disk_drain);
        assert_false(r->net.tcp_cork);
        assert_int_equal(r->net.protocol, DISK_PROTOCOL_C);
        assert_int_equal(r->opt[DISK_OPT_PROTOCOL].loc.line, 7);
        assert_int_equal(r->net.fencing, DISK_FENCING_RESOURCE_ONLY);
        assert_true(r->net.allow_two_primaries);
        assert_int_equal(r->net.after_sb_0pri, DISK_ASB0_DISCARD_NODE);
        assert_string_equal(r->net.after_sb_0pri_node, "nas-1");
        assert_string_equal(r->startup.become_primary_on, "nas-1");
        assert_true(r->startup.stacked_timeouts);
        assert_string_equal(disk_resource_handler(r, "fence-peer"), "/usr/lib/heartbeat/drbd-peer-outdater");
        r = disk_config_find_resource(c, "nas0");
        assert_int_equal(disk_host_find_volume(&r->hosts[0], 0)->meta_index, 0);
        assert_string_equal(disk_host_find_volume(&r->hosts[1], 0)->meta_disk, "/dev/sda4");
        disk_config_free(c);
}

static void test_drbd9_fixture(void **state) {
        struct disk_config *c = load_ok(DATA "/v9.conf");
        const struct disk_resource *r = disk_config_find_resource(c, "vm1");

        assert_int_equal(r->options.quorum.kind, DISK_QUORUM_COUNT);
        assert_int_equal(r->options.quorum.count, 2);
        assert_int_equal(r->options.quorum_minimum_redundancy.kind, DISK_QUORUM_OFF);
        assert_int_equal(r->options.on_no_quorum, DISK_IO_POLICY_IO_ERROR);
        assert_int_equal(r->options.on_suspended_primary_outdated, DISK_OSPO_FORCE_SECONDARY);
        assert_int_equal(r->options.peer_ack_window, UINT64_C(4) << 20);
        assert_int_equal(r->net.fencing, DISK_FENCING_RESOURCE_ONLY);
        assert_true(r->net.discard_my_data);
        assert_false(r->net.allow_remote_read);
        assert_int_equal(r->net.rr_conflict, DISK_RR_CONFLICT_RETRY_CONNECT);
        assert_int_equal(r->net.unplug_watermark, 256);
        assert_string_equal(r->disk.resync_after, "vm0/0");
        /* carol 0 and alice 2 written; bob gets the lowest free id */
        assert_int_equal(disk_resource_find_host(r, "alice")->node_id, 2);
        assert_int_equal(disk_resource_find_host(r, "bob")->node_id, 1);
        assert_int_equal(disk_resource_find_host(r, "carol")->node_id, 0);
        disk_config_free(c);
}

static void test_includes(void **state) {
        struct disk_config_parse_options no_include = { .forbid_include = true };
        struct disk_config_parse_options shallow = { .max_include_depth = 1 };
        struct disk_config_error err = {};
        struct disk_config *c = NULL;

        c = load_ok(DATA "/empty-glob.conf");
        assert_int_equal(c->n_resources, 1);
        disk_config_free(c);
        c = NULL;

        assert_int_equal(disk_config_load(DATA "/missing-include.conf", NULL, &c, &err), -EINVAL);
        check_message(err.message, DATA "/missing-include.conf:1:9: ",
                      "included file '" DATA "/no-such-file.conf' does not exist");

        assert_int_equal(disk_config_load(DATA "/loop/a.conf", NULL, &c, &err), -EINVAL);
        check_message(err.message, DATA "/loop/b.conf:2:1: ",
                      "include loop: '" DATA "/loop/a.conf' is already being read");

        assert_int_equal(disk_config_load(DATA "/full.conf", &no_include, &c, &err), -EINVAL);
        check_message(err.message, DATA "/full.conf:146:1: ", "include is disabled");

        /* full.conf -> full.d/20-r3.res -> r3-net.inc is two levels deep. */
        assert_int_equal(disk_config_load(DATA "/full.conf", &shallow, &c, &err), -EINVAL);
        check_message(err.message, DATA "/full.d/20-r3.res:2:2: ", "includes nested more than 1 deep");
        assert_null(c);

        assert_int_equal(disk_config_load(DATA "/no-such.conf", NULL, &c, &err), -ENOENT);
        assert_string_equal(err.message, DATA "/no-such.conf: No such file or directory");
}

/* Text parsed from memory includes relative to the directory of its name. */
static void test_include_from_memory(void **state) {
        _cleanup_free_ char *name = tmp_path("main.conf"), *inc = tmp_path("res.d"), *r1 = NULL, *r2 = NULL;
        _cleanup_free_ char *text = NULL;
        struct disk_config_error err = {};
        struct disk_config *c = NULL;

        assert_int_equal(mkdir_p(inc, 0755), 0);
        r1 = strjoin(inc, "/b.res", NULL);
        r2 = strjoin(inc, "/a.res", NULL);
        assert_int_equal(write_file(r1, "resource b { on x { address 10.1.0.1:1; disk /d; meta-disk internal; } }\n"), 0);
        assert_int_equal(write_file(r2, "resource a { on x { address 10.1.0.1:2; disk /d; meta-disk internal; } }\n"), 0);
        text = strdup("global { usage-count no; }\ninclude \"res.d/*.res\";\n");
        assert_int_equal(disk_config_parse(name, text, strlen(text), NULL, &c, &err), 0);
        assert_int_equal(c->n_resources, 2);
        assert_string_equal(c->resources[0]->name, "a");   /* sorted by glob */
        assert_string_equal(c->resources[1]->name, "b");
        assert_string_equal(c->resources[0]->loc.file, r2);
        disk_config_free(c);

        /* A plain name is not a glob pattern (its backslash stays), and
         * include works inside an option section too. */
        {
                _cleanup_free_ char *odd = tmp_path("net\\x.inc");

                assert_int_equal(write_file(odd, "protocol B;\n"), 0);
                free(text);
                text = strdup("resource r {\n  net { include \"net\\\\x.inc\"; }\n"
                              "  on x { address 10.1.0.1:3; disk /d; meta-disk internal; }\n}\n");
                assert_int_equal(disk_config_parse(name, text, strlen(text), NULL, &c, &err), 0);
                assert_int_equal(c->resources[0]->net.protocol, DISK_PROTOCOL_B);
                assert_string_equal(c->resources[0]->opt[DISK_OPT_PROTOCOL].loc.file, odd);
                disk_config_free(c);
                c = NULL;
        }

        /* The same resource twice through includes is a duplicate. */
        free(text);
        text = strdup("include \"res.d/a.res\";\ninclude \"res.d/*.res\";\n");
        assert_int_equal(disk_config_parse(name, text, strlen(text), NULL, &c, &err), -EINVAL);
        check_message(err.message, r2, "resource a defined twice");
}

/* ---- every error path -------------------------------------------------- */

#define HOSTS                                                                          \
        "  on alice { address 10.0.0.1:7788; disk /dev/sda1; meta-disk internal; }\n"   \
        "  on bob { address 10.0.0.2:7788; disk /dev/sda1; meta-disk internal; }\n"

static void test_syntax_errors(void **state) {
        static const char nul_text[] = "resource r {\0}";

        parse_err("resource r {\n  net {\n    protocol C;\n",
                  "mem.conf:2:3: ", "section 'net' of resource r is not closed: missing '}' before the end of mem.conf");
        parse_err("resource r {\n" HOSTS,
                  "mem.conf:1:1: ", "resource r is not closed");
        parse_err("resource r {\n  net {\n    protocol C\n    allow-two-primaries yes;\n  }\n}\n",
                  "mem.conf:3:15: ", "missing ';' after 'protocol C'");
        parse_err("resource r {\n  net { protocol C }\n}\n",
                  "mem.conf:2:19: ", "missing ';' after 'protocol C'");
        parse_err("resource r {\n  on alice {\n    address 10.0.0.1:7788\n    disk /dev/a;\n  }\n}\n",
                  "mem.conf:3:26: ", "missing ';' after 'address 10.0.0.1:7788'");
        parse_err("resource r {\n  net {\n    protocol C D\n    E;\n  }\n}\n",
                  "mem.conf:3:16: ", "unexpected 'D' after 'protocol'");
        parse_err("global { usage-count no }",
                  "mem.conf:1:24: ", "missing ';' after 'usage-count no'");
        parse_err("global { usage-count no",
                  "mem.conf:1:24: ", "missing ';' after 'usage-count no' at the end of the file");
        parse_err("resource r {\n  handlers { split-brain \"/bin/x y; }\n}\n",
                  "mem.conf:2:26: ", "unterminated string: missing closing '\"'");
        parse_err("resource r {\n  handlers { split-brain \"a\\qb\"; }\n}\n",
                  "mem.conf:2:28: ", "unknown escape '\\q' in string");
        parse_err("}", "mem.conf:1:1: ", "unexpected '}': no section is open");
        parse_err("global { };\n;", "mem.conf:2:1: ", "unexpected ';'");
        parse_err("{ }", "mem.conf:1:1: ", "unexpected '{'");
        parse_err_len(nul_text, sizeof(nul_text) - 1, "mem.conf:1:13: ", "NUL byte");
        parse_err("global {\n  usage-count\x01 no;\n}", "mem.conf:2:14: ", "control character 0x01");
        parse_err("resource r {\n  skip {\n", "mem.conf:2:3: ", "'skip' block is not closed");
        parse_err("skip foo;", "mem.conf:1:1: ", "'skip' must be followed by a { } block");
        parse_err("global { usage-count a b c d e f g h i j k l m n o p q r; }",
                  "mem.conf:1:54: ", "too many values after 'usage-count'");
        parse_err("resource {\n}", "mem.conf:1:1: ", "'resource' needs a value (resource NAME { ... })");
        parse_err("resource r;", "mem.conf:1:1: ", "'resource' needs a { } block");
        parse_err("resource r {\n  net;\n}", "mem.conf:2:3: ", "'net' needs a { } block");
        parse_err("resource r {\n  net { protocol C {\n}", "mem.conf:2:20: ",
                  "'protocol' is a statement, not a section");
}

static void test_structure_errors(void **state) {
        parse_err("frobnicate { }", "mem.conf:1:1: ",
                  "unknown section 'frobnicate' at the top level (expected global, common, resource, include or skip)");
        parse_err("resource r {\n  foo { }\n}\n", "mem.conf:2:3: ", "unknown section 'foo' in resource r (expected net,");
        parse_err("resource r {\n  frob;\n}\n", "mem.conf:2:3: ", "unknown statement 'frob' in resource r");
        parse_err("resource r {\n  net { foo { } }\n}\n", "mem.conf:2:9: ",
                  "unknown section 'foo' inside the net section of resource r");
        parse_err("common {\n  on alice { }\n}\n", "mem.conf:2:3: ", "unknown section 'on' in common");
        parse_err("resource r {\n  allow-two-primaries;\n}\n", "mem.conf:2:3: ",
                  "option 'allow-two-primaries' must stand in a net { } section");
        parse_err("resource r {\n  address 10.0.0.1:7788;\n}\n", "mem.conf:2:3: ",
                  "'address' belongs in an 'on HOST { }' section");
        parse_err("resource r {\n  floating 10.0.0.1:7788 { }\n}\n", "mem.conf:2:3: ",
                  "'floating' sections are not supported by tandem");
        parse_err("resource r {\n  connection-mesh { }\n}\n", "mem.conf:2:3: ",
                  "'connection-mesh' sections are not supported by tandem");
        parse_err("resource r {\n  on alice { disk { } }\n}\n", "mem.conf:2:14: ",
                  "per-host disk options are not supported");
        parse_err("resource r {\n  volume 0 { disk { } }\n}\n", "mem.conf:2:14: ",
                  "per-volume disk options are not supported");
        parse_err("resource r {\n  volume 0 { address 1.2.3.4:5; }\n}\n", "mem.conf:2:14: ",
                  "unknown statement 'address' in volume 0 of resource r");
        parse_err("global { }\nglobal { }\n", "mem.conf:2:1: ", "section 'global' given twice (first at mem.conf:1:1)");
        parse_err("resource r/x { }", "mem.conf:1:10: ", "bad resource name 'r/x'");
        parse_err("resource r {\n  on \"al ice\" { }\n}", "mem.conf:2:6: ", "bad host name 'al ice'");
        parse_err("resource r {\n  on alice { }\n  on alice { }\n}", "mem.conf:3:3: ",
                  "host alice defined twice in resource r (first at mem.conf:2:3)");
        parse_err("resource r {\n  on alice bob { }\n}", "mem.conf:2:12: ", "unexpected 'bob' after 'on'");
}

static void test_option_errors(void **state) {
        parse_err("resource r {\n  net { allow-two-primary yes; }\n}\n", "mem.conf:2:9: ",
                  "unknown option 'allow-two-primary' in the net section; did you mean 'allow-two-primaries'?");
        parse_err("resource r {\n  disk { resync-rat 10M; }\n}\n", "mem.conf:2:10: ",
                  "did you mean 'resync-rate'?");
        parse_err("resource r {\n  disk { no-disk-flush; }\n}\n", "mem.conf:2:10: ", "did you mean 'no-disk-flushes'?");
        parse_err("resource r {\n  net { xyzzy 1; }\n}\n", "mem.conf:2:9: ", "unknown option 'xyzzy' in the net section");
        parse_err("resource r {\n  disk { protocol C; }\n}\n", "mem.conf:2:10: ",
                  "option 'protocol' does not belong in the disk section (it goes in net)");
        parse_err("resource r {\n  startup { fencing dont-care; }\n}\n", "mem.conf:2:13: ", "(it goes in net or disk)");
        parse_err("resource r {\n  net { rate 10M; }\n}\n", "mem.conf:2:9: ", "unknown option 'rate' in the net section");
        parse_err("resource r {\n  net { after-sb-1pri discard-zero-changes; }\n}\n", "mem.conf:2:23: ",
                  "unknown value 'discard-zero-changes' for after-sb-1pri (allowed: disconnect, consensus, "
                  "violently-as0p, discard-secondary, call-pri-lost-after-sb)");
        parse_err("resource r {\n  net { after-sb-0pri discard-node-; }\n}\n", "mem.conf:2:23: ",
                  "(allowed: disconnect, discard-younger-primary, discard-older-primary, discard-zero-changes, "
                  "discard-least-changes, discard-node-NODE)");
        parse_err("resource r {\n  net { protocol D; }\n}\n", "mem.conf:2:18: ", "unknown value 'D' for protocol (allowed: A, B, C)");
        parse_err("resource r {\n  net { ko-count 500; }\n}\n", "mem.conf:2:18: ", "value 500 of ko-count is out of range (0..200)");
        parse_err("resource r {\n  net { ko-count 99999999999999999999999; }\n}\n", "mem.conf:2:18: ",
                  "of ko-count is out of range");
        parse_err("resource r {\n  net { timeout 0; }\n}\n", "mem.conf:2:17: ", "value 0 of timeout is out of range (1..600)");
        parse_err("resource r {\n  net { timeout 6s; }\n}\n", "mem.conf:2:17: ", "timeout takes a number, not '6s'");
        parse_err("resource r {\n  net { ping-int -1; }\n}\n", "mem.conf:2:18: ", "ping-int takes a number");
        parse_err("resource r {\n  disk { resync-rate 10X; }\n}\n", "mem.conf:2:22: ",
                  "bad size '10X' for resync-rate (a number with an optional suffix K, M, G, T or s)");
        parse_err("resource r {\n  disk { resync-rate 100T; }\n}\n", "mem.conf:2:22: ",
                  "value 100T of resync-rate is out of range (1K..8G)");
        parse_err("resource r {\n  disk { c-max-rate 100; }\n}\n", "mem.conf:2:21: ",
                  "value 100 of c-max-rate is out of range (250K..4G)");
        parse_err("resource r {\n  disk { size 99999999999999999999; }\n}\n", "mem.conf:2:15: ", "of size is out of range");
        parse_err("resource r {\n  disk { size 4611686018427387904; }\n}\n", "mem.conf:2:15: ", "of size is out of range");
        parse_err("resource r {\n  net { allow-two-primaries maybe; }\n}\n", "mem.conf:2:29: ",
                  "allow-two-primaries takes yes or no, not 'maybe'");
        parse_err("resource r {\n  net { allow-two-primaries yes no; }\n}\n", "mem.conf:2:33: ",
                  "unexpected 'no' after 'allow-two-primaries' (yes or no)");
        parse_err("resource r {\n  disk { no-disk-flushes yes; }\n}\n", "mem.conf:2:26: ",
                  "unexpected 'yes' after 'no-disk-flushes' (it takes no value)");
        parse_err("resource r {\n  net { protocol; }\n}\n", "mem.conf:2:9: ", "'protocol' needs a value");
        parse_err("resource r {\n  handlers { split-brain /bin/notify root; }\n}\n", "mem.conf:2:38: ",
                  "unexpected 'root' after 'split-brain' (one command; quote it if it contains spaces)");
        parse_err("resource r {\n  handlers { split-brain \"  \"; }\n}\n", "mem.conf:2:26: ", "empty command for handler split-brain");
        parse_err("resource r {\n  net { shared-secret \"01234567890123456789012345678901234567890123456789012345678901234\"; }\n}\n",
                  "mem.conf:2:23: ", "value of shared-secret is longer than 64 bytes");
        parse_err("resource r {\n  options { quorum 33; }\n}\n", "mem.conf:2:20: ", "value 33 of quorum is out of range (1..32)");
        parse_err("resource r {\n  options { quorum most; }\n}\n", "mem.conf:2:20: ",
                  "unknown value 'most' for quorum (allowed: off, majority, all or a number 1..32)");
        parse_err("resource r {\n  net {\n    protocol C;\n    protocol A;\n  }\n}\n", "mem.conf:4:5: ",
                  "option protocol set twice in resource r (first at mem.conf:3:5)");
        parse_err("resource r {\n  protocol C;\n  net { protocol C; }\n}\n", "mem.conf:3:9: ",
                  "option protocol set twice in resource r (first at mem.conf:2:3)");
        parse_err("resource r {\n  disk { fencing dont-care; }\n  net { fencing resource-only; }\n}\n", "mem.conf:3:9: ",
                  "option fencing set twice in resource r (first at mem.conf:2:10)");
        parse_err("common {\n  disk { no-disk-flushes; disk-flushes yes; }\n}\n", "mem.conf:2:27: ",
                  "option disk-flushes set twice in common (first at mem.conf:2:10)");
        parse_err("global { usage-count no; usage-count yes; }", "mem.conf:1:26: ", "option usage-count set twice in global");
        parse_err("global { protocol C; }", "mem.conf:1:10: ", "option 'protocol' does not belong in the global section");
}

static void test_volume_host_errors(void **state) {
        parse_err("resource r {\n  volume 0 { disk /dev/a; meta-disk internal; }\n  volume 0 { disk /dev/b; }\n" HOSTS "}\n",
                  "mem.conf:3:3: ", "volume 0 defined twice in resource r (first at mem.conf:2:3)");
        parse_err("resource r {\n  on alice { volume 1 { } volume 1 { } }\n}\n", "mem.conf:2:27: ",
                  "volume 1 defined twice in host alice of resource r (first at mem.conf:2:14)");
        parse_err("resource r {\n  volume 65536 { }\n}\n", "mem.conf:2:10: ", "volume number 65536 is out of range (0..65535)");
        parse_err("resource r {\n  volume x { }\n}\n", "mem.conf:2:10: ", "volume number must be a number, not 'x'");
        parse_err("resource r {\n  disk /dev/a;\n  disk /dev/b;\n}\n", "mem.conf:3:3: ",
                  "disk of volume 0 of resource r set twice (first at mem.conf:2:3)");
        parse_err("resource r {\n  volume 0 { disk /dev/a; }\n  disk /dev/b;\n}\n", "mem.conf:3:3: ",
                  "disk of volume 0 of resource r set twice (first at mem.conf:2:14)");
        parse_err("resource r {\n  on a { meta-disk internal; volume 0 { meta-disk internal; } }\n}\n", "mem.conf:2:41: ",
                  "meta-disk of volume 0 of host a set twice (first at mem.conf:2:10)");
        parse_err("resource r {\n  disk none;\n}\n", "mem.conf:2:8: ", "diskless volumes ('disk none') are not supported");
        parse_err("resource r {\n  disk dev/sda;\n}\n", "mem.conf:2:8: ", "disk path 'dev/sda' is not absolute");
        parse_err("resource r {\n  disk /dev/ sda;\n}\n", "mem.conf:2:14: ", "unexpected 'sda' after 'disk'");
        parse_err("resource r {\n  device /dev/drbd_x;\n}\n", "mem.conf:2:10: ",
                  "cannot tell the minor of device '/dev/drbd_x': write 'device /dev/drbd_x minor N'");
        parse_err("resource r {\n  device /dev/drbd1 minor 2;\n}\n", "mem.conf:2:27: ", "device /dev/drbd1 does not match minor 2");
        parse_err("resource r {\n  device minor 1048576;\n}\n", "mem.conf:2:16: ", "minor 1048576 is out of range");
        parse_err("resource r {\n  device /dev/drbd1 minor;\n}\n", "mem.conf:2:21: ", "'minor' needs a number");
        parse_err("resource r {\n  device minor;\n}\n", "mem.conf:2:3: ", "'device' needs more values");
        parse_err("resource r {\n  device /dev/drbd0;\n  device minor 0;\n}\n", "mem.conf:3:3: ",
                  "device of volume 0 of resource r set twice");
        parse_err("resource r {\n  meta-disk internal [0];\n}\n", "mem.conf:2:22: ", "internal meta-disk takes no index");
        parse_err("resource r {\n  meta-disk /dev/m [x];\n}\n", "mem.conf:2:20: ", "bad meta-disk index '[x]'");
        parse_err("resource r {\n  meta-disk /dev/m[1] [2];\n}\n", "mem.conf:2:23: ", "meta-disk has two indexes");
        parse_err("resource r {\n  flexible-meta-disk /dev/m [2];\n}\n", "mem.conf:2:29: ", "unexpected '[2]' after 'flexible-meta-disk'");
        parse_err("resource r {\n  on alice { address sdp 10.0.0.1:7788; }\n}\n", "mem.conf:2:22: ",
                  "address family 'sdp' is not supported (use ipv4 or ipv6)");
        parse_err("resource r {\n  on alice { address 10.0.0.300:7788; }\n}\n", "mem.conf:2:22: ",
                  "bad address '10.0.0.300:7788' (expected IPv4:PORT or [IPv6]:PORT, port 1..65535)");
        parse_err("resource r {\n  on alice { address ipv6 fd00::1:7788; }\n}\n", "mem.conf:2:27: ", "bad address 'fd00::1:7788'");
        parse_err("resource r {\n  on alice { address ipv4 [fd00::1]:7788; }\n}\n", "mem.conf:2:27: ", "bad address '[fd00::1]:7788'");
        parse_err("resource r {\n  on alice { address 10.0.0.1:65536; }\n}\n", "mem.conf:2:22: ", "bad address '10.0.0.1:65536'");
        parse_err("resource r {\n  on alice { address 10.0.0.1:0; }\n}\n", "mem.conf:2:22: ", "port 0 is not allowed");
        parse_err("resource r {\n  on alice { address 10.0.0.1:1; address 10.0.0.1:2; }\n}\n", "mem.conf:2:34: ",
                  "address of host alice set twice (first at mem.conf:2:14)");
        parse_err("resource r {\n  on alice { node-id 32; }\n}\n", "mem.conf:2:22: ", "node-id 32 is out of range (0..31)");
        parse_err("resource r {\n  on alice { node-id 1; node-id 2; }\n}\n", "mem.conf:2:25: ", "node-id of host alice set twice");
}

static void test_validation_errors(void **state) {
        parse_err("resource r {\n  disk /dev/a;\n  meta-disk internal;\n}\n", "mem.conf:1:1: ",
                  "resource r has no 'on HOST { }' section");
        parse_err("resource r {\n  disk /dev/a;\n  meta-disk internal;\n  on alice { }\n}\n", "mem.conf:4:3: ",
                  "host alice of resource r has no address");
        parse_err("resource r {\n  on alice { address 10.0.0.1:1; }\n}\n", "mem.conf:1:1: ", "resource r defines no volume");
        parse_err("resource r {\n  volume 0 { meta-disk internal; }\n  on alice { address 10.0.0.1:7788; }\n"
                  "  on bob { address 10.0.0.2:7788; }\n}\n",
                  "mem.conf:2:3: ", "volume 0 of host alice in resource r has no disk");
        parse_err("resource r {\n  volume 0 { disk /dev/a; }\n  on alice { address 10.0.0.1:7788; }\n"
                  "  on bob { address 10.0.0.2:7788; volume 0 { meta-disk internal; } }\n}\n",
                  "mem.conf:2:3: ", "volume 0 of host alice in resource r has no meta-disk");
        parse_err("resource r {\n" HOSTS "  on carol { address 10.0.0.3:7788; volume 1 { disk /d; meta-disk internal; } }\n}\n",
                  "mem.conf:4:37: ", "volume 1 is defined for host carol but not for host alice of resource r");
        parse_err("resource r {\n  on alice { address 10.0.0.1:7788; volume 0 { disk /d; meta-disk internal; } }\n"
                  "  on bob { address 10.0.0.2:7788; volume 1 { disk /d; meta-disk internal; } }\n}\n",
                  "mem.conf:3:35: ", "volume 1 is defined for host bob but not for host alice");
        parse_err("resource r {\n  disk /dev/a;\n  meta-disk internal;\n"
                  "  on alice { address 10.0.0.1:7788; }\n  on bob { address 10.0.0.1:7788; }\n}\n",
                  "mem.conf:5:12: ",
                  "hosts alice and bob of resource r have the same address 10.0.0.1:7788 "
                  "(alice at mem.conf:4:14, bob at mem.conf:5:12)");
        parse_err("resource r {\n  disk /dev/a;\n  meta-disk internal;\n"
                  "  on alice { address [fd00::1]:7788; }\n  on bob { address ipv6 [fd00:0::1]:7788; }\n}\n",
                  "mem.conf:5:12: ", "have the same address [fd00::1]:7788");
        parse_err("resource r {\n" HOSTS "}\nresource s {\n"
                  "  on alice { address 10.0.0.1:7789; disk /dev/sdb1; meta-disk internal; }\n"
                  "  on bob { address 10.0.0.2:7788; disk /dev/sdb1; meta-disk internal; }\n}\n",
                  "mem.conf:7:12: ",
                  "address 10.0.0.2:7788 of host bob in resource s is already used by host bob in resource r (at mem.conf:3:12)");
        parse_err("resource r {\n" HOSTS "}\nresource r {\n" HOSTS "}\n", "mem.conf:5:1: ",
                  "resource r defined twice (first at mem.conf:1:1)");
        parse_err("resource r {\n  disk /dev/a;\n  meta-disk internal;\n"
                  "  on alice { address 10.0.0.1:1; node-id 3; }\n  on bob { address 10.0.0.2:1; node-id 3; }\n}\n",
                  "mem.conf:5:32: ", "node-id 3 of host bob is already used in resource r (at mem.conf:4:34)");
        parse_err("resource r {\n  device /dev/drbd0;\n" HOSTS "}\nresource s {\n  device /dev/drbd0;\n"
                  "  on alice { address 10.0.0.1:7789; disk /dev/sdb1; meta-disk internal; }\n"
                  "  on bob { address 10.0.0.2:7789; disk /dev/sdb1; meta-disk internal; }\n}\n",
                  "mem.conf:7:3: ", "minor 0 of host alice is used by resource s and resource r (at mem.conf:2:3)");
        parse_err("resource r {\n  volume 0 { device minor 5; }\n  volume 1 { device /dev/drbd5; disk /dev/b; meta-disk internal; }\n" HOSTS "}\n",
                  "mem.conf:3:14: ", "minor 5 of host alice is used by volumes 0 and 1 of resource r");

        /* allow-two-primaries needs protocol C, in every spelling and through common. */
        parse_err("resource r {\n  net { protocol A; allow-two-primaries; }\n" HOSTS "}\n", "mem.conf:2:21: ",
                  "allow-two-primaries requires protocol C (resource r has protocol A, set at mem.conf:2:9)");
        parse_err("resource r {\n  protocol B;\n  net { allow-two-primaries yes; }\n" HOSTS "}\n", "mem.conf:3:9: ",
                  "allow-two-primaries requires protocol C (resource r has protocol B, set at mem.conf:2:3)");
        parse_err("common {\n  net { allow-two-primaries yes; }\n}\nresource r {\n  net { protocol a; }\n" HOSTS "}\n",
                  "mem.conf:2:9: ", "allow-two-primaries requires protocol C (resource r has protocol A, set at mem.conf:5:9)");

        parse_err("resource r {\n  net { after-sb-0pri discard-node-carol; }\n" HOSTS "}\n", "mem.conf:2:9: ",
                  "after-sb-0pri discard-node-carol: resource r has no host carol");
        parse_err("resource r {\n  startup { become-primary-on carol; }\n" HOSTS "}\n", "mem.conf:2:13: ",
                  "become-primary-on carol: resource r has no such host");
        parse_err("resource r {\n  disk { resync-after s; }\n" HOSTS "}\n", "mem.conf:2:10: ",
                  "resync-after s: no other resource is called s");
        parse_err("resource r {\n  disk { resync-after r/0; }\n" HOSTS "}\n", "mem.conf:2:10: ",
                  "resync-after r/0: no other resource is called r");
}

/* ---- the dump ----------------------------------------------------------- */

static void round_trip(const char *fixture, const char *golden) {
        _cleanup_free_ char *first = NULL, *second = NULL, *expected = NULL;
        struct disk_config *c = load_ok(fixture), *again;
        const char *regen = getenv("TANDEM_REGENERATE_GOLDEN");

        first = dump(c, NULL);
        if (regen && streq(regen, "1"))
                assert_int_equal(write_file(golden, first), 0);
        assert_int_equal(read_file(golden, &expected, NULL), 0);
        if (!streq(first, expected))
                fail_msg("dump of %s differs from %s (TANDEM_REGENERATE_GOLDEN=1 rewrites it):\n%s",
                         fixture, golden, first);

        /* parse the dump, dump again: identical */
        again = parse_ok(first);
        second = dump(again, NULL);
        assert_string_equal(first, second);

        /* Each resource alone round-trips too, unless it names another
         * one (resync-after): alone, that one is missing. */
        for (size_t i = 0; i < c->n_resources; i++) {
                _cleanup_free_ char *one = dump(c, c->resources[i]->name), *one_again = NULL;
                struct disk_config *single;

                assert_non_null(strstr(first, one));
                if (c->resources[i]->disk.resync_after)
                        continue;
                single = parse_ok(one);

                assert_int_equal(single->n_resources, 1);
                one_again = dump(single, NULL);
                assert_string_equal(one, one_again);
                disk_config_free(single);
        }
        disk_config_free(again);
        disk_config_free(c);
}

static void test_dump_round_trip(void **state) {
        round_trip(DATA "/full.conf", DATA "/full.dump");
        round_trip(DATA "/v83.conf", DATA "/v83.dump");
        round_trip(DATA "/v9.conf", DATA "/v9.dump");
        round_trip(DATA "/empty-glob.conf", DATA "/empty-glob.dump");
}

static void test_dump_details(void **state) {
        struct disk_config *c = parse_ok(
                "resource r {\n"
                "  net { shared-secret \"a b\\\"c\\\\d\\ne\"; cram-hmac-alg \"sha1\"; protocol c; rcvbuf-size 7; }\n"
                "  disk { c-fill-target 3s; size 1536; }\n  net { sndbuf-size 0; }\n"
                "  handlers { fence-peer \"#not-a-comment\"; split-brain \"\\\\x\"; }\n"
                "  volume 0 { device \"/dev/my drbd\" minor 7; disk \"/dev/a{b}\"; meta-disk \"/dev/m[1]\" [3]; }\n"
                "  volume 1 { device minor 8; disk /dev/x#y; meta-disk /dev/m[4]; }\n"
                "  on alice { address ipv4 10.0.0.1:7788; }\n"
                "  on bob { address [fd00::2]:7788; }\n"
                "}\n");
        _cleanup_free_ char *text = dump(c, "r"), *again_text = NULL;
        struct disk_config *again;
        const struct disk_volume *v;
        struct buf b = BUF_INIT;

        assert_non_null(strstr(text, "        shared-secret \"a b\\\"c\\\\d\\ne\";\n"));
        assert_non_null(strstr(text, "        cram-hmac-alg sha1;\n"));
        assert_non_null(strstr(text, "        protocol C;\n"));
        assert_non_null(strstr(text, "        c-fill-target 3s;\n"));
        assert_non_null(strstr(text, "        sndbuf-size 0;\n"));
        assert_non_null(strstr(text, "        rcvbuf-size 7;\n"));      /* bytes: no "s" suffix */
        assert_non_null(strstr(text, "        size 768K;\n"));
        assert_non_null(strstr(text, "        fence-peer \"#not-a-comment\";\n"));
        assert_non_null(strstr(text, "            device \"/dev/my drbd\" minor 7;\n"));
        assert_non_null(strstr(text, "            disk \"/dev/a{b}\";\n"));
        assert_non_null(strstr(text, "            meta-disk \"/dev/m[1]\" [3];\n"));
        assert_non_null(strstr(text, "            disk /dev/x#y;\n"));
        assert_non_null(strstr(text, "            meta-disk /dev/m [4];\n"));
        assert_non_null(strstr(text, "        address ipv6 [fd00::2]:7788;\n"));

        again = parse_ok(text);
        v = disk_host_find_volume(&again->resources[0]->hosts[1], 0);
        assert_string_equal(v->meta_disk, "/dev/m[1]");
        assert_int_equal(v->meta_index, 3);
        assert_string_equal(again->resources[0]->net.shared_secret, "a b\"c\\d\ne");
        assert_string_equal(disk_resource_handler(again->resources[0], "split-brain"), "\\x");
        again_text = dump(again, NULL);
        assert_string_equal(text, again_text);

        assert_int_equal(disk_config_dump(c, "nope", &b), -ENOENT);
        assert_int_equal(b.len, 0);
        disk_config_free(again);
        disk_config_free(c);

        /* Nothing set anywhere: only the hosts. Global appears only when set. */
        c = parse_ok("resource r { on a { address 10.0.0.1:1; disk /d; meta-disk internal; } }");
        free(text);
        text = dump(c, NULL);
        assert_string_equal(text,
                            "resource r {\n"
                            "    on a {\n"
                            "        address ipv4 10.0.0.1:1;\n"
                            "        volume 0 {\n"
                            "            disk /d;\n"
                            "            meta-disk internal;\n"
                            "        }\n"
                            "    }\n"
                            "}\n");
        disk_config_free(c);
}

/* ---- the option table --------------------------------------------------- */

/* Every option parses at its canonical place with its default value (or a
 * sample for strings), and the typed views show the table defaults when
 * nothing is set. */
static void test_option_table(void **state) {
        struct disk_config *c = parse_ok("resource r { on a { address 10.0.0.1:1; disk /d; meta-disk internal; } }");
        const struct disk_resource *r = c->resources[0];

        assert_null(disk_option_info(_DISK_OPT_MAX));
        assert_int_equal(disk_option_from_name("no-such-option"), -ENOENT);
        assert_int_equal(disk_option_from_name("rate"), -ENOENT);      /* aliases are not options */
        for (int id = 0; id < _DISK_OPT_MAX; id++) {
                const struct disk_option_info *o = disk_option_info(id);
                _cleanup_free_ char *text = NULL, *value = NULL;
                const struct disk_option_value *v;
                struct disk_config *one;

                assert_non_null(o->name);
                assert_non_null(o->used_by);
                assert_int_equal(disk_option_from_name(o->name), id);
                assert_true(o->sections & (1u << o->section));
                if (o->kind == DISK_OPT_KIND_ENUM || o->kind == DISK_OPT_KIND_ENUM_OR_INT) {
                        assert_non_null(o->words);
                        assert_non_null(o->words[o->def]);
                }
                if (o->kind == DISK_OPT_KIND_INT)
                        assert_true(o->def >= o->min && o->def <= o->max);
                if (o->kind == DISK_OPT_KIND_SIZE)
                        assert_true(o->def >= o->min * o->unit && o->def <= o->max * o->unit);

                switch (o->kind) {
                case DISK_OPT_KIND_BOOL:
                        value = strdup(o->def ? "yes" : "no");
                        break;
                case DISK_OPT_KIND_ENUM:
                case DISK_OPT_KIND_ENUM_OR_INT:
                        value = strdup(o->words[o->def]);
                        break;
                case DISK_OPT_KIND_INT:
                        assert_true(asprintf(&value, "%" PRIu64, o->def) > 0);
                        break;
                case DISK_OPT_KIND_SIZE:
                        assert_true(asprintf(&value, "%" PRIu64, o->def / o->unit) > 0);
                        break;
                case DISK_OPT_KIND_STRING:
                        /* two strings name things that must exist */
                        value = strdup(id == DISK_OPT_RESYNC_AFTER ? "s" :
                                       id == DISK_OPT_BECOME_PRIMARY_ON ? "both" :
                                       o->def_str ? o->def_str : "x");
                        break;
                case DISK_OPT_KIND_COMMAND:
                        value = strdup("/bin/true");
                        break;
                }
                assert_non_null(value);
                if (o->section == DISK_SECTION_GLOBAL)
                        assert_true(asprintf(&text, "global { %s %s; }", o->name, value) > 0);
                else
                        assert_true(asprintf(&text, "resource r { %s { %s %s; } on a { address 10.0.0.1:1; disk /d; meta-disk internal; } }\n"
                                             "resource s { on a { address 10.0.0.1:2; disk /d; meta-disk internal; } }",
                                             o->section == DISK_SECTION_OPTIONS ? "options" :
                                             o->section == DISK_SECTION_NET ? "net" :
                                             o->section == DISK_SECTION_DISK ? "disk" :
                                             o->section == DISK_SECTION_STARTUP ? "startup" : "handlers",
                                             o->name, value) > 0);
                one = parse_ok(text);
                v = o->section == DISK_SECTION_GLOBAL ? &one->global_opt[id] : &one->resources[0]->opt[id];
                assert_true(v->set);
                if (o->kind == DISK_OPT_KIND_STRING || o->kind == DISK_OPT_KIND_COMMAND)
                        assert_string_equal(v->str, value);
                else if (o->kind == DISK_OPT_KIND_ENUM || o->kind == DISK_OPT_KIND_ENUM_OR_INT)
                        assert_int_equal(v->word, o->def);
                else
                        assert_int_equal(v->num, o->def);
                disk_config_free(one);
                /* unset in c: not set, not inherited */
                assert_false(r->opt[id].set || r->opt[id].inherited || c->global_opt[id].set);
        }

        assert_int_equal(c->global.usage_count, DISK_USAGE_COUNT_ASK);
        assert_int_equal(c->global.minor_count, 32);
        assert_int_equal(r->net.protocol, DISK_PROTOCOL_C);
        assert_int_equal(r->net.timeout, 60);
        assert_int_equal(r->net.ping_int, 10);
        assert_int_equal(r->net.ping_timeout, 5);
        assert_int_equal(r->net.connect_int, 10);
        assert_int_equal(r->net.ko_count, 7);
        assert_int_equal(r->net.max_buffers, 2048);
        assert_false(r->net.allow_two_primaries);
        assert_null(r->net.shared_secret);
        assert_null(r->net.after_sb_0pri_node);
        assert_true(r->net.tcp_cork);
        assert_int_equal(r->net.fencing, DISK_FENCING_DONT_CARE);
        assert_int_equal(r->disk.resync_rate, 250 * 1024);
        assert_int_equal(r->disk.c_max_rate, UINT64_C(100) << 20);
        assert_int_equal(r->disk.c_fill_target, 100 * 512);
        assert_int_equal(r->disk.al_extents, 1237);
        assert_int_equal(r->disk.on_io_error, DISK_ON_IO_ERROR_DETACH);
        assert_true(r->disk.disk_flushes);
        assert_true(r->disk.md_flushes);
        assert_false(r->disk.disk_barrier);
        assert_int_equal(r->disk.size, 0);
        assert_int_equal(r->options.quorum.kind, DISK_QUORUM_OFF);
        assert_int_equal(r->options.on_no_quorum, DISK_IO_POLICY_SUSPEND_IO);
        assert_true(r->options.auto_promote);
        assert_int_equal(r->startup.wfc_timeout, 0);
        assert_null(r->startup.become_primary_on);
        disk_config_free(c);
}

static void test_misc_inputs(void **state) {
        struct disk_config_error err = {};
        struct disk_config *c = NULL;

        /* Empty text and comments only: no resources, not an error. */
        c = parse_ok("");
        assert_int_equal(c->n_resources, 0);
        disk_config_free(c);
        c = parse_ok("# nothing\n\t \r\n# here");
        disk_config_free(c);
        assert_int_equal(disk_config_parse("x", NULL, 0, NULL, &c, &err), 0);
        disk_config_free(c);
        c = NULL;
        assert_int_equal(disk_config_parse(NULL, "", 0, NULL, &c, &err), -EINVAL);
        assert_int_equal(disk_config_parse("x", "", 0, NULL, NULL, NULL), -EINVAL);
        /* err may be NULL */
        assert_int_equal(disk_config_parse("x", "}", 1, NULL, &c, NULL), -EINVAL);
        assert_null(c);

        /* CRLF line ends, keywords in quotes, '#' inside a word, trailing ';' after '}' */
        c = parse_ok("resource \"r\" {\r\n  net { shared-secret ab#cd; };\r\n"
                     "  on alice { address 10.0.0.1:1; disk /d; meta-disk internal; };\r\n};\r\n");
        assert_string_equal(c->resources[0]->net.shared_secret, "ab#cd");
        disk_config_free(c);
        disk_config_free(NULL);
        assert_null(disk_config_find_resource(NULL, "r"));
        assert_null(disk_resource_find_host(NULL, "a"));
        assert_null(disk_host_find_volume(NULL, 0));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_seed_listing3),
                cmocka_unit_test(test_seed_allow_two_primaries),
                cmocka_unit_test(test_full_fixture),
                cmocka_unit_test(test_drbd83_fixture),
                cmocka_unit_test(test_drbd9_fixture),
                cmocka_unit_test(test_includes),
                cmocka_unit_test(test_include_from_memory),
                cmocka_unit_test(test_syntax_errors),
                cmocka_unit_test(test_structure_errors),
                cmocka_unit_test(test_option_errors),
                cmocka_unit_test(test_volume_host_errors),
                cmocka_unit_test(test_validation_errors),
                cmocka_unit_test(test_dump_round_trip),
                cmocka_unit_test(test_dump_details),
                cmocka_unit_test(test_option_table),
                cmocka_unit_test(test_misc_inputs),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
