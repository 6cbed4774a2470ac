/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for meta.h: layouts at boundary sizes, the superblock byte
 * format and every decode rejection, and create-md/probe/read/write on
 * sparse files in a temporary directory (internal, flexible, indexed). */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>

#include "meta.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define TiB (UINT64_C(1) << 40)

static const struct meta_location internal = { META_INTERNAL, 0 };
static const struct meta_location flex = { META_EXTERNAL_FLEX, 0 };

/* ---- helpers ---- */

static char *tmpdir;

static int setup_dir(void **state) {
        tmpdir = strdup("/tmp/test-disk-meta-XXXXXX");
        assert_non_null(tmpdir);
        assert_non_null(mkdtemp(tmpdir));
        return 0;
}

static int teardown_dir(void **state) {
        assert_int_equal(rm_rf(tmpdir), 0);
        free(tmpdir);
        tmpdir = NULL;
        return 0;
}

/* A sparse file of size bytes in tmpdir; returns its malloc'd path. */
static char *make_file(const char *name, uint64_t size) {
        char *path = strjoin(tmpdir, "/", name, NULL);
        int fd;

        assert_non_null(path);
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, (off_t) size), 0);
        close(fd);
        return path;
}

static void poke(const char *path, uint64_t off, const void *data, size_t len) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);

        assert_true(fd >= 0);
        assert_int_equal(pwrite(fd, data, len, (off_t) off), (ssize_t) len);
        close(fd);
}

static void peek(const char *path, uint64_t off, void *data, size_t len) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        assert_true(fd >= 0);
        assert_int_equal(pread(fd, data, len, (off_t) off), (ssize_t) len);
        close(fd);
}

static struct meta_dev *open_dev(const char *path) {
        struct meta_dev *d = NULL;

        assert_int_equal(meta_dev_open(path, META_DEV_WRITE, &d), 0);
        return d;
}

/* Independent of meta.c: pages of both bitmaps for a data size. */
static uint64_t naive_bitmaps(uint64_t data, uint64_t chunk) {
        uint64_t wi_bits = (data + chunk - 1) / chunk, bm_bits = data / 4096;

        return ((wi_bits + 32767) / 32768 + (bm_bits + 32767) / 32768) * 4096;
}

/* Every layout must encode to a superblock that decodes to itself. */
static void assert_layout_valid(const struct meta_layout *l) {
        struct meta_super sb, back;
        uint8_t a[META_SUPER_SIZE], b[META_SUPER_SIZE];
        char reason[META_REASON_SIZE] = "";

        meta_super_init(&sb, l, 0, 1);
        meta_super_encode(&sb, a);
        if (meta_super_decode(a, sizeof(a), &back, reason, sizeof(reason)) != 0)
                fail_msg("layout does not decode: %s", reason);
        meta_super_encode(&back, b);
        assert_memory_equal(a, b, sizeof(a));
        assert_int_equal(l->data_size % 4096, 0);
        assert_int_equal(l->bm_bits, l->data_size / 4096);
}

static void expect_layout_error(uint64_t backing, const struct meta_location *loc, uint64_t md,
                                uint32_t chunk, int err, const char *text) {
        struct meta_layout l = { .data_size = 77 };
        char reason[META_REASON_SIZE] = "";

        assert_int_equal(meta_layout_compute(backing, loc, md, chunk, &l, reason, sizeof(reason)), err);
        if (!strstr(reason, text))
                fail_msg("reason \"%s\" lacks \"%s\"", reason, text);
        assert_int_equal(l.data_size, 77);
}

/* ---- checksum and layouts ---- */

static void test_crc32c(void **state) {
        assert_int_equal(meta_crc32c(0, "123456789", 9), 0xe3069283);
        assert_int_equal(meta_crc32c(0, "", 0), 0);
        assert_int_equal(meta_crc32c(meta_crc32c(0, "1234", 4), "56789", 5), 0xe3069283);
}

static void test_layout_internal(void **state) {
        uint64_t min = meta_internal_min_backing_size();
        struct meta_layout l;

        assert_int_equal(min, MiB + 12 * KiB);
        expect_layout_error(0, &internal, 0, 0, -ENOSPC, "needs at least 1060864 bytes");
        expect_layout_error(4096, &internal, 0, 0, -ENOSPC, "too small");
        expect_layout_error(min - 1, &internal, 0, 0, -ENOSPC, "backing store of 1060863 bytes");
        expect_layout_error(GiB, &internal, 0, 3 * MiB, -EINVAL, "chunk size");
        expect_layout_error(GiB, &internal, 0, 2048, -EINVAL, "chunk size");
        expect_layout_error(GiB, &(struct meta_location) { 9, 0 }, 0, 0, -EINVAL, "kind");

        /* Exactly the minimum, and the minimum plus an odd tail. */
        for (uint64_t extra = 0; extra < 4096; extra += 4095) {
                assert_int_equal(meta_layout_compute(min + extra, &internal, 0, 0, &l, NULL, 0), 0);
                assert_int_equal(l.data_size, MiB);
                assert_int_equal(l.wi_offset, MiB);
                assert_int_equal(l.bm_offset, MiB + 4096);
                assert_int_equal(l.sb_offset, MiB + 8192);
                assert_int_equal(l.md_offset, MiB);
                assert_int_equal(l.md_size, 12288);
                assert_int_equal(l.backing_size, min + extra);
                assert_int_equal(l.md_device_size, min + extra);
                assert_int_equal(l.wi_bits, 1);
                assert_int_equal(l.bm_bits, 256);
                assert_layout_valid(&l);
        }

        /* 128 MiB of data fills one bitmap page exactly; one byte less
         * than its exact fit loses a block. */
        assert_int_equal(meta_layout_compute(128 * MiB + 12 * KiB, &internal, 0, 0, &l, NULL, 0), 0);
        assert_int_equal(l.data_size, 128 * MiB);
        assert_int_equal(l.bm_size, 4096);
        assert_int_equal(meta_layout_compute(128 * MiB + 12 * KiB - 1, &internal, 0, 0, &l, NULL, 0), 0);
        assert_int_equal(l.data_size, 128 * MiB - 4096);

        /* 1 GiB: 8 bitmap pages, 1 write-intent page, the superblock. */
        assert_int_equal(meta_layout_compute(GiB, &internal, 0, 0, &l, NULL, 0), 0);
        assert_int_equal(l.data_size, GiB - 40 * KiB);
        assert_int_equal(l.wi_bits, 256);
        assert_int_equal(l.bm_size, 32 * KiB);
        assert_int_equal(l.sb_offset, GiB - 4096);
        assert_layout_valid(&l);

        /* 1 TiB, computed without creating it. */
        assert_int_equal(meta_layout_compute(TiB, &internal, 0, 0, &l, NULL, 0), 0);
        assert_int_equal(l.data_size, UINT64_C(1099478036480));
        assert_int_equal(l.bm_size, 32 * MiB);
        assert_int_equal(l.wi_size, 32 * KiB);
        assert_int_equal(l.wi_bits, 262136);
        assert_int_equal(l.md_size, 32 * MiB + 36 * KiB);
        assert_layout_valid(&l);

        /* A device beyond the supported size uses 4 PiB of it. */
        assert_int_equal(meta_layout_compute(UINT64_MAX, &internal, 0, 0, &l, NULL, 0), 0);
        assert_int_equal(l.data_size, META_DATA_SIZE_MAX);
        assert_layout_valid(&l);
}

/* For many sizes the data area is the largest that fits, checked against
 * an independent computation, and the layout is valid. */
static void test_layout_internal_maximal(void **state) {
        const uint32_t chunks[] = { 0, 4096, 64 * KiB, 1u << 30 };
        uint64_t seed = 12345;

        for (unsigned c = 0; c < ELEMENTSOF(chunks); c++)
                for (unsigned i = 0; i < 300; i++) {
                        uint64_t chunk = chunks[c] ? chunks[c] : META_WI_CHUNK_DEFAULT, size, space;
                        struct meta_layout l;

                        seed = seed * 6364136223846793005u + 1442695040888963407u;
                        size = meta_internal_min_backing_size() + (seed >> 20) % (i < 150 ? GiB : 64 * TiB);
                        assert_int_equal(meta_layout_compute(size, &internal, 0, chunks[c], &l, NULL, 0), 0);
                        space = (size & ~UINT64_C(4095)) - 4096;
                        assert_true(l.data_size + naive_bitmaps(l.data_size, chunk) <= space);
                        assert_true(l.data_size + 4096 + naive_bitmaps(l.data_size + 4096, chunk) > space);
                        assert_int_equal(l.wi_chunk_size, chunk);
                        assert_layout_valid(&l);
                }
}

static void test_layout_external(void **state) {
        const struct meta_location slot1 = { META_EXTERNAL_INDEXED, 1 };
        uint64_t max = meta_indexed_max_data_size(0);
        struct meta_layout l;

        /* Flexible: the meta-disk needs 4 KiB + 4 KiB + 32 KiB for 1 GiB. */
        assert_int_equal(meta_layout_compute(GiB + 100, &flex, 40 * KiB, 0, &l, NULL, 0), 0);
        assert_int_equal(l.data_size, GiB);
        assert_int_equal(l.sb_offset, 0);
        assert_int_equal(l.wi_offset, 4096);
        assert_int_equal(l.bm_offset, 8192);
        assert_int_equal(l.md_size, 40 * KiB);
        assert_int_equal(l.md_device_size, 40 * KiB);
        assert_layout_valid(&l);
        expect_layout_error(GiB, &flex, 40 * KiB - 1, 0, -ENOSPC, "need 40960 bytes of metadata");
        expect_layout_error(MiB - 1, &flex, GiB, 0, -ENOSPC, "below the minimum");
        assert_int_equal(meta_layout_compute(16 * TiB, &flex, TiB, 0, &l, NULL, 0), 0);
        assert_int_equal(l.bm_size, 512 * MiB);
        assert_layout_valid(&l);

        /* Indexed: a 128 MiB slot describes 32735 bitmap pages of data. */
        assert_int_equal(max, UINT64_C(32735) * 128 * MiB);
        assert_int_equal(meta_indexed_max_data_size(4096), UINT64_C(16383) * 128 * MiB);
        assert_int_equal(meta_indexed_max_data_size(1000), 0);
        assert_true(naive_bitmaps(max, META_WI_CHUNK_DEFAULT) <= 128 * MiB - 4096);
        assert_true(naive_bitmaps(max + 4096, META_WI_CHUNK_DEFAULT) > 128 * MiB - 4096);

        assert_int_equal(meta_layout_compute(GiB, &slot1, 256 * MiB, 0, &l, NULL, 0), 0);
        assert_int_equal(l.md_offset, 128 * MiB);
        assert_int_equal(l.sb_offset, 128 * MiB);
        assert_int_equal(l.wi_offset, 128 * MiB + 4096);
        assert_int_equal(l.md_size, 128 * MiB);
        assert_int_equal(l.data_size, GiB);
        assert_int_equal(l.index, 1);
        assert_layout_valid(&l);
        expect_layout_error(GiB, &slot1, 256 * MiB - 1, 0, -ENOSPC, "has no slot 1");
        expect_layout_error(4096, &slot1, 256 * MiB, 0, -ENOSPC, "below the minimum");

        /* Exactly at, and beyond, the slot's limit. */
        assert_int_equal(meta_layout_compute(max, &slot1, 256 * MiB, 0, &l, NULL, 0), 0);
        assert_int_equal(l.data_size, max);
        assert_int_equal(meta_layout_compute(8 * TiB, &slot1, 256 * MiB, 0, &l, NULL, 0), 0);
        assert_int_equal(l.data_size, max);
        assert_int_equal(l.backing_size, 8 * TiB);
        assert_int_equal(l.bm_offset + l.bm_size, 256 * MiB);
        assert_layout_valid(&l);
}

/* ---- superblock format ---- */

static void sample_super(struct meta_super *sb) {
        struct meta_layout l;

        assert_int_equal(meta_layout_compute(GiB, &internal, 0, 0, &l, NULL, 0), 0);
        meta_super_init(sb, &l, 1, UINT64_C(0x1122334455667788));
        sb->flags |= META_F_CONSISTENT | META_F_WAS_UP_TO_DATE | META_F_PEER_OUTDATED;
        sb->current_uuid = UINT64_C(0xa1a2a3a4a5a6a7a9);
        sb->bitmap_uuid = UINT64_C(0xb1b2b3b4b5b6b7b8);
        for (unsigned i = 0; i < META_HISTORY_UUIDS; i++)
                sb->history_uuids[i] = UINT64_C(0xc0) + i;
        sb->la_size = l.data_size;
        sb->peers[0] = (struct meta_peer) { 0, META_PEER_EXISTS | META_PEER_OUTDATED, 0xd1 };
        sb->peers[2] = (struct meta_peer) { 31, META_PEER_EXISTS, 0xd3 };
}

static uint64_t le(const uint8_t *p, unsigned n) {
        uint64_t v = 0;

        for (unsigned i = 0; i < n; i++)
                v |= (uint64_t) p[i] << (8 * i);
        return v;
}

static void test_super_roundtrip(void **state) {
        struct meta_super sb, back;
        uint8_t buf[META_SUPER_SIZE], again[META_SUPER_SIZE];
        char reason[META_REASON_SIZE] = "";

        sample_super(&sb);
        meta_super_encode(&sb, buf);
        /* The byte positions docs/disk-format.md promises. */
        assert_memory_equal(buf, "TANDEMMD", 8);
        assert_int_equal(le(buf + 8, 4), 1);
        assert_int_equal(le(buf + 12, 4), 4096);
        assert_int_equal(le(buf + 16, 4), sb.flags);
        assert_int_equal(le(buf + 20, 4), 1);
        assert_int_equal(le(buf + 24, 4), META_INTERNAL);
        assert_int_equal(le(buf + 32, 8), UINT64_C(0x1122334455667788));
        assert_int_equal(le(buf + 40, 8), sb.current_uuid);
        assert_int_equal(le(buf + 48, 8), sb.bitmap_uuid);
        assert_int_equal(le(buf + 80, 8), 0xc3);
        assert_int_equal(le(buf + 88, 8), sb.layout.data_size);
        assert_int_equal(le(buf + 96, 8), sb.la_size);
        assert_int_equal(le(buf + 104, 8), GiB);
        assert_int_equal(le(buf + 144, 8), sb.layout.sb_offset);
        assert_int_equal(le(buf + 176, 4), META_WI_CHUNK_DEFAULT);
        assert_int_equal(le(buf + 180, 4), 4096);
        assert_int_equal(le(buf + 200, 8), sb.layout.bm_bits);
        assert_int_equal(le(buf + 256, 4), 0);
        assert_int_equal(le(buf + 260, 4), META_PEER_EXISTS | META_PEER_OUTDATED);
        assert_int_equal(le(buf + 264, 8), 0xd1);
        assert_int_equal(le(buf + 320, 4), 31);
        assert_int_equal(le(buf + 4092, 4), meta_crc32c(0, buf, 4092));
        for (unsigned i = 384; i < 4092; i++)
                assert_int_equal(buf[i], 0);

        assert_int_equal(meta_super_decode(buf, sizeof(buf), &back, reason, sizeof(reason)), 0);
        assert_int_equal(back.flags, sb.flags);
        assert_int_equal(back.node_id, 1);
        assert_int_equal(back.history_uuids[3], 0xc3);
        assert_int_equal(back.peers[2].node_id, 31);
        assert_int_equal(back.layout.kind, META_INTERNAL);
        assert_int_equal(back.layout.md_offset, sb.layout.md_offset);
        meta_super_encode(&back, again);
        assert_memory_equal(buf, again, sizeof(buf));

        /* Longer buffers are fine; reserved bytes are not interpreted. */
        assert_int_equal(meta_super_decode(buf, sizeof(buf) + 0, &back, NULL, 0), 0);
        assert_string_equal(meta_flag_to_string(META_F_CLEAN_SHUTDOWN), "clean-shutdown");
        assert_null(meta_flag_to_string(META_F_CONSISTENT | META_F_FULL_SYNC));
        assert_null(meta_flag_to_string(1u << 20));
        assert_string_equal(meta_peer_flag_to_string(META_PEER_OUTDATED), "outdated");
        assert_string_equal(meta_kind_to_string(META_EXTERNAL_INDEXED), "external-indexed");
}

static void expect_decode(const uint8_t *buf, size_t len, int err, const char *text) {
        struct meta_super sb = { .node_id = 99 };
        char reason[META_REASON_SIZE] = "";

        assert_int_equal(meta_super_decode(buf, len, &sb, reason, sizeof(reason)), err);
        if (!strstr(reason, text))
                fail_msg("reason \"%s\" lacks \"%s\"", reason, text);
        if (err != 0)
                assert_int_equal(sb.node_id, 99);       /* untouched on failure */
}

static void reseal(uint8_t *buf) {
        uint32_t c = meta_crc32c(0, buf, 4092);

        memcpy(buf + 4092, &(uint8_t[4]) { c, c >> 8, c >> 16, c >> 24 }, 4);
}

static void test_decode_header_rejects(void **state) {
        struct meta_super sb;
        uint8_t good[META_SUPER_SIZE], buf[META_SUPER_SIZE];

        sample_super(&sb);
        meta_super_encode(&sb, good);

        expect_decode(good, 0, -ENODATA, "bad magic");
        expect_decode(good, 7, -ENODATA, "bad magic");
        expect_decode(good, 4095, -EBADMSG, "superblock truncated: 4095 bytes of 4096");
        memcpy(buf, good, sizeof(buf));
        buf[3] ^= 0x20;
        expect_decode(buf, sizeof(buf), -ENODATA, "bad magic");
        memcpy(buf, good, sizeof(buf));
        buf[8] = 2;
        expect_decode(buf, sizeof(buf), -EPROTONOSUPPORT, "unsupported format version 2");
        memcpy(buf, good, sizeof(buf));
        buf[13] = 0x20;
        expect_decode(buf, sizeof(buf), -EBADMSG, "superblock size 8192");
        memcpy(buf, good, sizeof(buf));
        buf[1000] = 1;
        expect_decode(buf, sizeof(buf), -EBADMSG, "checksum mismatch: stored 0x");
        expect_decode(buf, sizeof(buf), -EBADMSG, ", computed 0x");
        memcpy(buf, good, sizeof(buf));
        buf[181] = 2;
        reseal(buf);
        expect_decode(buf, sizeof(buf), -EBADMSG, "bitmap block size 512");
        memcpy(buf, good, sizeof(buf));
        buf[24] = 0;
        reseal(buf);
        expect_decode(buf, sizeof(buf), -EBADMSG, "unknown metadata kind 0");
        buf[24] = 4;
        reseal(buf);
        expect_decode(buf, sizeof(buf), -EBADMSG, "unknown metadata kind 4");
        /* A reserved byte does not matter once the checksum covers it. */
        memcpy(buf, good, sizeof(buf));
        buf[1000] = 1;
        reseal(buf);
        expect_decode(buf, sizeof(buf), 0, "");
}

/* One field-level rejection: a change to a valid superblock (internal
 * 1 GiB, flexible 1 GiB on a 1 MiB meta-disk, or slot 0 of an indexed
 * meta-disk), and the error it must produce. */
struct bad_case {
        enum meta_kind kind;
        void (*mutate)(struct meta_super *sb);
        const char *text;
};

#define MUTATE(name, body) static void name(struct meta_super *sb) { struct meta_layout *l = &sb->layout; (void) l; body; }
MUTATE(m_flags, sb->flags |= 1u << 12)
MUTATE(m_node, sb->node_id = 32)
MUTATE(m_la, sb->la_size = 100)
MUTATE(m_slot_garbage, sb->peers[3].bitmap_uuid = 5)
MUTATE(m_peer_flags, sb->peers[0].flags |= 1u << 9)
MUTATE(m_peer_node, sb->peers[0].node_id = 40)
MUTATE(m_peer_self, sb->peers[0].node_id = sb->node_id)
MUTATE(m_peer_twice, sb->peers[1] = sb->peers[0])
MUTATE(m_index, l->index = 3)
MUTATE(m_data_zero, l->data_size = 0)
MUTATE(m_data_odd, l->data_size += 512)
MUTATE(m_data_small, l->data_size = 512 * KiB)
MUTATE(m_data_backing, l->backing_size = l->data_size - 4096)
MUTATE(m_md_dev, l->md_device_size += 4096)
MUTATE(m_chunk_pow2, l->wi_chunk_size = 3 * MiB)
MUTATE(m_chunk_big, l->wi_chunk_size = 1u << 31)
MUTATE(m_wi_bits, l->wi_bits++)
MUTATE(m_wi_size, l->wi_size += 4096)
MUTATE(m_bm_bits, l->bm_bits--)
MUTATE(m_bm_size, l->bm_size -= 4096)
MUTATE(m_md_align, l->md_offset += 512)
MUTATE(m_md_beyond, l->md_size += 4096)
MUTATE(m_md_wrap, l->md_offset = UINT64_MAX - 4095)
MUTATE(m_sb_align, l->sb_offset -= 100)
MUTATE(m_bm_beyond, l->bm_offset = l->md_device_size)
MUTATE(m_wi_outside, l->wi_offset = 0)
MUTATE(m_overlap, l->bm_offset = l->wi_offset)
MUTATE(m_sb_not_last, l->md_offset -= 4096; l->md_size += 4096; l->sb_offset = l->md_offset)
MUTATE(m_data_overlap, l->data_size += 4096; l->bm_bits++)
MUTATE(m_ext_sb, l->md_size += 4096; l->sb_offset = l->md_size - 4096)
MUTATE(m_flex_offset, l->md_offset += 4096; l->sb_offset += 4096; l->wi_offset += 4096;
       l->bm_offset += 4096)
MUTATE(m_slot, l->index = 1)

static void test_decode_field_rejects(void **state) {
        const struct bad_case cases[] = {
                { META_INTERNAL, m_flags, "unknown flags 0x1000" },
                { META_INTERNAL, m_node, "node id 32 is above 31" },
                { META_INTERNAL, m_la, "last agreed size 100" },
                { META_INTERNAL, m_slot_garbage, "unused peer slot 3 is not zero" },
                { META_INTERNAL, m_peer_flags, "peer slot 0: unknown flags 0x200" },
                { META_INTERNAL, m_peer_node, "peer slot 0: node id 40 is above 31" },
                { META_INTERNAL, m_peer_self, "is this node's" },
                { META_INTERNAL, m_peer_twice, "peer slot 1: node id 0 appears twice" },
                { META_INTERNAL, m_index, "slot index 3 on internal metadata" },
                { META_INTERNAL, m_data_zero, "data size 0 is not a positive multiple of 4096" },
                { META_INTERNAL, m_data_odd, "is not a positive multiple" },
                { META_INTERNAL, m_data_small, "data size 524288 is outside" },
                { META_INTERNAL, m_data_backing, "exceeds the backing size" },
                { META_INTERNAL, m_md_dev, "unlike the backing size" },
                { META_INTERNAL, m_chunk_pow2, "chunk size 3145728 is not a power of two" },
                { META_INTERNAL, m_chunk_big, "chunk size 2147483648" },
                { META_INTERNAL, m_wi_bits, "write-intent bitmap has 257 bits, the data size needs 256" },
                { META_INTERNAL, m_wi_size, "write-intent region of 8192 bytes" },
                { META_INTERNAL, m_bm_bits, "bitmap has 262133 bits, the data size needs 262134" },
                { META_INTERNAL, m_bm_size, "bitmap region of 28672 bytes" },
                { META_INTERNAL, m_md_align, "is not 4 KiB aligned" },
                { META_INTERNAL, m_md_beyond, "ends beyond the device of 1073741824 bytes" },
                { META_INTERNAL, m_md_wrap, "metadata area at 18446744073709547520" },
                { META_INTERNAL, m_sb_align, "superblock offset 1073737628 is not 4 KiB aligned" },
                { META_INTERNAL, m_bm_beyond, "bitmap region at 1073741824 of 32768 bytes ends beyond the device" },
                { META_INTERNAL, m_wi_outside, "write-intent region [0, 4096) lies outside the metadata area" },
                { META_INTERNAL, m_overlap, "write-intent region at 1073700864 overlaps the bitmap region" },
                { META_INTERNAL, m_sb_not_last, "is not the last block of the metadata area" },
                { META_INTERNAL, m_data_overlap, "data area [0, 1073704960) overlaps the metadata area" },
                { META_EXTERNAL_FLEX, m_ext_sb, "is not at the start of the metadata area" },
                { META_EXTERNAL_FLEX, m_flex_offset, "flexible metadata area at 4096, not at 0" },
                { META_EXTERNAL_INDEXED, m_slot, "is not slot 1" },
        };

        for (unsigned i = 0; i < ELEMENTSOF(cases); i++) {
                const struct meta_location loc = { cases[i].kind, 0 };
                struct meta_layout l;
                struct meta_super sb;
                uint8_t buf[META_SUPER_SIZE];

                assert_int_equal(meta_layout_compute(GiB, &loc, GiB, 0, &l, NULL, 0), 0);
                if (loc.kind == META_EXTERNAL_FLEX)
                        l.md_device_size = MiB;
                meta_super_init(&sb, &l, 2, 42);
                sb.peers[0] = (struct meta_peer) { 0, META_PEER_EXISTS, 7 };
                meta_super_encode(&sb, buf);
                expect_decode(buf, sizeof(buf), 0, "");
                cases[i].mutate(&sb);
                meta_super_encode(&sb, buf);
                print_message("case %u: %s\n", i, cases[i].text);
                expect_decode(buf, sizeof(buf), -EBADMSG, cases[i].text);
        }
}

/* ---- devices: create, probe, read, write ---- */

static void test_dev_open(void **state) {
        _cleanup_free_ char *path = make_file("plain", 3 * MiB + 5);
        _cleanup_free_ char *missing = strjoin(tmpdir, "/missing", NULL);
        struct meta_dev *d = NULL;

        assert_int_equal(meta_dev_open(missing, 0, &d), -ENOENT);
        assert_int_equal(meta_dev_open(tmpdir, 0, &d), -EMEDIUMTYPE);
        assert_int_equal(meta_dev_open("/dev/null", 0, &d), -EMEDIUMTYPE);
        assert_null(d);
        assert_int_equal(meta_dev_open(path, META_DEV_NO_DIRECT, &d), 0);
        assert_int_equal(d->size, 3 * MiB + 5);
        assert_false(d->direct);
        assert_false(d->writable);
        assert_false(d->block_device);
        assert_string_equal(d->path, path);
        meta_dev_free(d);
        assert_int_equal(meta_dev_open(path, META_DEV_WRITE | META_DEV_EXCL, &d), 0);
        assert_true(d->writable);
        meta_dev_free(d);
        meta_dev_free(NULL);
}

static void test_create_internal(void **state) {
        _cleanup_free_ char *path = make_file("internal", GiB + 1000);
        _cleanup_meta_dev_ struct meta_dev *d = open_dev(path);
        _cleanup_bitmap_ struct bitmap *bm = NULL, *wi = NULL, *back = NULL;
        const struct meta_create_params params = { .node_id = 1 };
        struct meta_super sb, read, again;
        struct meta_probe probe;
        char reason[META_REASON_SIZE] = "";
        uint8_t page[4096];

        assert_int_equal(meta_probe(d, NULL, &internal, &probe), 0);
        assert_int_equal(probe.kind, META_PROBE_EMPTY);
        assert_int_equal(meta_create(d, NULL, &internal, &params, &sb, reason, sizeof(reason)), 0);
        assert_int_equal(sb.layout.data_size, GiB - 40 * KiB);
        assert_int_equal(sb.flags, META_F_CLEAN_SHUTDOWN);
        assert_int_equal(sb.current_uuid, META_UUID_JUST_CREATED);
        assert_int_equal(sb.bitmap_uuid, 0);
        assert_int_equal(sb.la_size, 0);
        assert_int_equal(sb.created_size, GiB + 1000);
        assert_int_equal(sb.node_id, 1);
        assert_true(sb.device_uuid != 0);

        peek(path, GiB - 4096, page, sizeof(page));
        assert_memory_equal(page, "TANDEMMD", 8);

        assert_int_equal(meta_read(d, NULL, &internal, &read, reason, sizeof(reason)), 0);
        assert_int_equal(read.device_uuid, sb.device_uuid);
        assert_int_equal(read.layout.bm_offset, sb.layout.bm_offset);
        assert_int_equal(meta_probe(d, NULL, &internal, &probe), 0);
        assert_int_equal(probe.kind, META_PROBE_TANDEM);
        assert_int_equal(probe.super.device_uuid, sb.device_uuid);
        assert_int_equal(probe.offset, GiB - 4096);

        /* Bitmaps: fresh ones are clear; written pages read back. */
        assert_int_equal(meta_read_bitmap(d, &sb, META_REGION_BITMAP, &bm, reason, sizeof(reason)), 0);
        assert_int_equal(meta_read_bitmap(d, &sb, META_REGION_WRITE_INTENT, &wi, reason, sizeof(reason)), 0);
        assert_int_equal(bitmap_size(bm), sb.layout.bm_bits);
        assert_int_equal(bitmap_size(wi), 256);
        assert_int_equal(bitmap_count(bm) + bitmap_count(wi), 0);
        assert_int_equal(bitmap_mark_bytes(bm, 5 * MiB + 1, 10), 1);
        assert_int_equal(bitmap_set_range(bm, 32767, 3), 3);
        assert_int_equal(bitmap_set(bm, sb.layout.bm_bits - 1), 1);
        assert_int_equal(bitmap_mark_bytes(wi, 900 * MiB, 1), 1);
        assert_int_equal(meta_write_bitmap_pages(d, &sb, META_REGION_BITMAP, bm), 3);
        assert_int_equal(meta_write_bitmap_pages(d, &sb, META_REGION_BITMAP, bm), 0);
        assert_int_equal(meta_write_bitmap_pages(d, &sb, META_REGION_WRITE_INTENT, wi), 1);
        assert_int_equal(meta_write_bitmap_pages(d, &sb, META_REGION_WRITE_INTENT, bm), -EINVAL);
        assert_int_equal(meta_bitmap_page_offset(&sb, META_REGION_BITMAP, 1), sb.layout.bm_offset + 4096);
        peek(path, meta_bitmap_page_offset(&sb, META_REGION_WRITE_INTENT, 0), page, sizeof(page));
        assert_int_equal(page[225 / 8], 1u << (225 % 8));
        assert_int_equal(meta_read_bitmap(d, &sb, META_REGION_BITMAP, &back, reason, sizeof(reason)), 0);
        assert_int_equal(bitmap_count(back), 5);
        assert_int_equal(bitmap_find_next_set(back, 0), 5 * 256);
        assert_int_equal(bitmap_test(back, sb.layout.bm_bits - 1), 1);

        /* The superblock can be rewritten; an invalid one is refused. */
        read.flags = META_F_CONSISTENT | META_F_PRIMARY_IND;
        read.current_uuid = 0x1234567;
        assert_int_equal(meta_write_super(d, &read, reason, sizeof(reason)), 0);
        assert_int_equal(meta_read(d, NULL, &internal, &again, reason, sizeof(reason)), 0);
        assert_int_equal(again.flags, META_F_CONSISTENT | META_F_PRIMARY_IND);
        assert_int_equal(again.current_uuid, 0x1234567);
        read.layout.bm_bits++;
        assert_int_equal(meta_write_super(d, &read, reason, sizeof(reason)), -EINVAL);
        assert_non_null(strstr(reason, "bitmap has"));

        /* Existing metadata: refused, then forced (a new device UUID). */
        assert_int_equal(meta_create(d, NULL, &internal, &params, NULL, reason, sizeof(reason)), -EEXIST);
        assert_non_null(strstr(reason, "tandem internal metadata"));
        assert_non_null(strstr(reason, "refusing to overwrite without force"));
        assert_int_equal(meta_create(d, NULL, &internal, &(struct meta_create_params) { .node_id = 1, .force = true },
                                     &again, reason, sizeof(reason)), 0);
        assert_true(again.device_uuid != sb.device_uuid);
        bitmap_free(back);
        back = NULL;
        assert_int_equal(meta_read_bitmap(d, &again, META_REGION_BITMAP, &back, reason, sizeof(reason)), 0);
        assert_int_equal(bitmap_count(back), 0);
}

/* A signature or data at an offset of the backing store, and the answer. */
struct used_case {
        const char *what;
        int64_t offset;                 /* negative: from the 4 KiB-aligned end */
        const char *bytes;
        size_t len;
        int err;
        const char *text;
};

static void test_create_refusals(void **state) {
        const struct used_case cases[] = {
                { "ext4", 1080, "\x53\xef", 2, -EMEDIUMTYPE, "ext2/3/4 filesystem signature at byte 1080" },
                { "xfs", 0, "XFSB", 4, -EMEDIUMTYPE, "XFS filesystem" },
                { "btrfs", 0x10040, "_BHRfS_M", 8, -EMEDIUMTYPE, "btrfs filesystem" },
                { "swap", 4086, "SWAPSPACE2", 10, -EMEDIUMTYPE, "swap space" },
                { "lvm", 512, "LABELONE", 8, -EMEDIUMTYPE, "LVM2 physical volume" },
                { "luks", 0, "LUKS\xba\xbe", 6, -EMEDIUMTYPE, "LUKS encrypted volume" },
                { "gpt", 512, "EFI PART", 8, -EMEDIUMTYPE, "GPT partition table" },
                { "mbr", 446, "\x80\0\0\0\x83\0\0\0\0\0\0\0\0\0\0\0"
                                 "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
                                 "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
                                 "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x55\xaa", 66,
                  -EMEDIUMTYPE, "MBR partition table signature at byte 510" },
                { "drbd 8.4", -4096 + 60, "\x83\x74\x02\x6b", 4, -EMEDIUMTYPE, "DRBD metadata" },
                { "drbd 9", -4096 + 60, "\x83\x74\x02\x6d", 4, -EMEDIUMTYPE, "DRBD metadata" },
                { "tandem flex", 0, "TANDEMMD", 8, -EMEDIUMTYPE, "tandem external metadata" },
                { "bare 55aa", 510, "\x55\xaa", 2, -ENOTEMPTY, "non-zero data at byte 510" },
                { "data", 1000000, "x", 1, -ENOTEMPTY, "non-zero data at byte 1000000" },
                { "data beyond 1 MiB", MiB + 5, "x", 1, 0, "" },
        };

        for (unsigned i = 0; i < ELEMENTSOF(cases); i++) {
                const struct used_case *c = &cases[i];
                _cleanup_free_ char *path = make_file("used", 64 * MiB + 512);
                _cleanup_meta_dev_ struct meta_dev *d = open_dev(path);
                struct meta_create_params params = { .node_id = 0 };
                struct meta_probe probe;
                char reason[META_REASON_SIZE] = "";
                uint64_t off = c->offset >= 0 ? (uint64_t) c->offset : 64 * MiB + (uint64_t) c->offset;

                print_message("case %s\n", c->what);
                poke(path, off, c->bytes, c->len);
                assert_int_equal(meta_probe(d, NULL, &internal, &probe), 0);
                assert_int_equal(probe.kind, c->err == -EMEDIUMTYPE ? META_PROBE_SIGNATURE :
                                             c->err == -ENOTEMPTY ? META_PROBE_DATA : META_PROBE_EMPTY);
                assert_int_equal(meta_create(d, NULL, &internal, &params, NULL, reason, sizeof(reason)), c->err);
                if (!strstr(reason, c->text))
                        fail_msg("reason \"%s\" lacks \"%s\"", reason, c->text);
                params.force = true;
                assert_int_equal(meta_create(d, NULL, &internal, &params, NULL, reason, sizeof(reason)), 0);
        }
}

static void test_create_small_and_corrupt(void **state) {
        _cleanup_free_ char *small = make_file("small", meta_internal_min_backing_size() - 1);
        _cleanup_free_ char *path = make_file("corrupt", 64 * MiB);
        _cleanup_meta_dev_ struct meta_dev *s = open_dev(small);
        _cleanup_meta_dev_ struct meta_dev *d = open_dev(path);
        _cleanup_meta_dev_ struct meta_dev *ro = NULL;
        struct meta_create_params params = { .node_id = 0, .force = true };
        struct meta_super sb;
        struct meta_probe probe;
        char reason[META_REASON_SIZE] = "";

        assert_int_equal(meta_create(s, NULL, &internal, &params, NULL, reason, sizeof(reason)), -ENOSPC);
        assert_non_null(strstr(reason, "needs at least 1060864 bytes"));
        params.force = false;
        params.node_id = 32;
        assert_int_equal(meta_create(d, NULL, &internal, &params, NULL, reason, sizeof(reason)), -EINVAL);
        params.node_id = 0;
        assert_int_equal(meta_create(d, d, &internal, &params, NULL, reason, sizeof(reason)), -EINVAL);
        assert_string_equal(reason, "internal metadata takes no meta-disk");
        assert_int_equal(meta_create(d, NULL, &flex, &params, NULL, reason, sizeof(reason)), -EINVAL);
        assert_string_equal(reason, "external metadata needs a meta-disk");
        assert_int_equal(meta_dev_open(path, 0, &ro), 0);
        assert_int_equal(meta_create(ro, NULL, &internal, &params, NULL, reason, sizeof(reason)), -EBADF);

        assert_int_equal(meta_create(d, NULL, &internal, &params, &sb, reason, sizeof(reason)), 0);
        poke(path, 64 * MiB - 4096 + 2000, "!", 1);
        assert_int_equal(meta_read(d, NULL, &internal, &sb, reason, sizeof(reason)), -EBADMSG);
        assert_non_null(strstr(reason, "checksum mismatch"));
        assert_int_equal(meta_probe(d, NULL, &internal, &probe), 0);
        assert_int_equal(probe.kind, META_PROBE_TANDEM_INVALID);
        assert_non_null(strstr(probe.detail, "checksum mismatch"));
        assert_int_equal(meta_create(d, NULL, &internal, &params, NULL, reason, sizeof(reason)), -EEXIST);
        assert_non_null(strstr(reason, "unusable tandem metadata"));
        params.force = true;
        assert_int_equal(meta_create(d, NULL, &internal, &params, NULL, reason, sizeof(reason)), 0);
        assert_int_equal(meta_read(d, NULL, &internal, &sb, reason, sizeof(reason)), 0);
}

/* The device changes size under valid metadata. */
static void test_read_resized(void **state) {
        _cleanup_free_ char *path = make_file("resized", 64 * MiB);
        _cleanup_meta_dev_ struct meta_dev *d = open_dev(path);
        _cleanup_meta_dev_ struct meta_dev *grown = NULL, *shrunk = NULL;
        _cleanup_bitmap_ struct bitmap *b = NULL;
        struct meta_super sb, other;
        char reason[META_REASON_SIZE] = "";
        uint8_t block[4096];

        assert_int_equal(meta_create(d, NULL, &internal, &(struct meta_create_params) {}, &sb,
                                     reason, sizeof(reason)), 0);
        /* Grown by a block that holds a copy of the superblock. */
        peek(path, 64 * MiB - 4096, block, sizeof(block));
        poke(path, 64 * MiB, block, sizeof(block));
        assert_int_equal(meta_dev_open(path, 0, &grown), 0);
        assert_int_equal(meta_read(grown, NULL, &internal, &other, reason, sizeof(reason)), -EBADMSG);
        assert_non_null(strstr(reason, "records its position as 67104768 (device resized"));
        /* Truncated: the last block is now bitmap, no superblock there. */
        assert_int_equal(truncate(path, 64 * MiB - 4096), 0);
        assert_int_equal(meta_dev_open(path, 0, &shrunk), 0);
        assert_int_equal(meta_read(shrunk, NULL, &internal, &other, reason, sizeof(reason)), -ENODATA);
        assert_non_null(strstr(reason, "bad magic"));
        /* A bitmap region that the device no longer holds is refused
         * before anything is allocated. */
        assert_int_equal(truncate(path, sb.layout.bm_offset + 100), 0);
        shrunk->size = sb.layout.bm_offset + 100;
        assert_int_equal(meta_read_bitmap(shrunk, &sb, META_REGION_BITMAP, &b, reason, sizeof(reason)), -EBADMSG);
        assert_non_null(strstr(reason, "ends beyond the end of"));
        assert_null(b);
        /* Far too small to hold anything. */
        assert_int_equal(truncate(path, 4095), 0);
        shrunk->size = 4095;
        assert_int_equal(meta_read(shrunk, NULL, &internal, &other, reason, sizeof(reason)), -ENODATA);
        assert_non_null(strstr(reason, "too small to hold internal metadata"));
}

static void test_external(void **state) {
        _cleanup_free_ char *data = make_file("data", 64 * MiB);
        _cleanup_free_ char *mdpath = make_file("md", 3 * 128 * MiB);
        _cleanup_free_ char *tiny = make_file("tinymd", 8 * KiB);
        _cleanup_meta_dev_ struct meta_dev *backing = open_dev(data);
        _cleanup_meta_dev_ struct meta_dev *md = open_dev(mdpath);
        _cleanup_meta_dev_ struct meta_dev *t = open_dev(tiny);
        _cleanup_bitmap_ struct bitmap *b = NULL;
        const struct meta_location slot1 = { META_EXTERNAL_INDEXED, 1 };
        const struct meta_location slot0 = { META_EXTERNAL_INDEXED, 0 };
        const struct meta_location slot2 = { META_EXTERNAL_INDEXED, 2 };
        const struct meta_location slot3 = { META_EXTERNAL_INDEXED, 3 };
        struct meta_create_params params = { .node_id = 3 };
        struct meta_super sb, read;
        struct meta_probe probe;
        char reason[META_REASON_SIZE] = "";

        /* Flexible on a meta-disk that is too small, then on a big one. */
        assert_int_equal(meta_create(backing, t, &flex, &params, NULL, reason, sizeof(reason)), -ENOSPC);
        assert_non_null(strstr(reason, "meta-disk of 8192 bytes is too small"));

        /* Indexed: slot 1; slots 0 and 2 stay empty; slot 3 does not exist. */
        assert_int_equal(meta_create(backing, md, &slot1, &params, &sb, reason, sizeof(reason)), 0);
        assert_int_equal(sb.layout.sb_offset, 128 * MiB);
        assert_int_equal(sb.layout.data_size, 64 * MiB);
        assert_int_equal(meta_read(backing, md, &slot1, &read, reason, sizeof(reason)), 0);
        assert_int_equal(read.device_uuid, sb.device_uuid);
        assert_int_equal(meta_read(backing, md, &slot0, &read, reason, sizeof(reason)), -ENODATA);
        assert_int_equal(meta_read(backing, md, &slot2, &read, reason, sizeof(reason)), -ENODATA);
        assert_int_equal(meta_read(backing, md, &slot3, &read, reason, sizeof(reason)), -ENODATA);
        assert_non_null(strstr(reason, "too small to hold external-indexed metadata"));
        assert_int_equal(meta_create(backing, md, &slot3, &params, NULL, reason, sizeof(reason)), -ENOSPC);
        assert_int_equal(meta_create(backing, md, &slot0, &params, NULL, reason, sizeof(reason)), 0);
        assert_int_equal(meta_probe(backing, md, &slot1, &probe), 0);
        assert_int_equal(probe.kind, META_PROBE_TANDEM);
        assert_true(probe.on_md_device);
        assert_int_equal(meta_create(backing, md, &slot1, &params, NULL, reason, sizeof(reason)), -EEXIST);

        /* Slot 0 read as flexible metadata: found, but of another kind. */
        assert_int_equal(meta_read(backing, md, &flex, &read, reason, sizeof(reason)), -EINVAL);
        assert_string_equal(reason, "found external-indexed metadata where external-flexible metadata is configured");
        assert_int_equal(meta_probe(backing, md, &flex, &probe), 0);
        assert_int_equal(probe.kind, META_PROBE_TANDEM_INVALID);

        /* The backing store shrank below the recorded data size. */
        assert_int_equal(truncate(data, 32 * MiB), 0);
        backing->size = 32 * MiB;
        assert_int_equal(meta_read(backing, md, &slot1, &read, reason, sizeof(reason)), -EBADMSG);
        assert_non_null(strstr(reason, "exceeds"));
        assert_non_null(strstr(reason, "device shrunk?"));
        assert_int_equal(truncate(data, 64 * MiB), 0);
        backing->size = 64 * MiB;

        /* Flexible metadata on a fresh meta-disk, with a bitmap written. */
        assert_int_equal(truncate(mdpath, 0), 0);
        assert_int_equal(truncate(mdpath, 64 * KiB), 0);
        md->size = 64 * KiB;
        assert_int_equal(meta_create(backing, md, &flex, &params, &sb, reason, sizeof(reason)), 0);
        assert_int_equal(sb.layout.md_size, 12 * KiB);
        assert_int_equal(sb.layout.md_device_size, 64 * KiB);
        assert_int_equal(meta_bitmap_new(&sb, META_REGION_BITMAP, &b), 0);
        assert_int_equal(bitmap_set_range(b, 0, bitmap_size(b)), 16384);
        assert_int_equal(meta_write_bitmap_pages(md, &sb, META_REGION_BITMAP, b), 1);
        bitmap_free(b);
        b = NULL;
        assert_int_equal(meta_read_bitmap(md, &sb, META_REGION_BITMAP, &b, reason, sizeof(reason)), 0);
        assert_int_equal(bitmap_count(b), 16384);
        assert_int_equal(meta_read(backing, md, &flex, &read, reason, sizeof(reason)), 0);

        /* The meta-disk was cut short under its metadata. */
        assert_int_equal(truncate(mdpath, 8 * KiB), 0);
        md->size = 8 * KiB;
        assert_int_equal(meta_read(backing, md, &flex, &read, reason, sizeof(reason)), -EBADMSG);
        assert_non_null(strstr(reason, "metadata area ends at 12288, beyond the end of"));
}

static void test_external_signatures(void **state) {
        _cleanup_free_ char *data = make_file("sigdata", 64 * MiB);
        _cleanup_free_ char *mdpath = make_file("sigmd", MiB);
        _cleanup_meta_dev_ struct meta_dev *backing = open_dev(data);
        _cleanup_meta_dev_ struct meta_dev *md = open_dev(mdpath);
        struct meta_create_params params = { .node_id = 0 };
        struct meta_probe probe;
        char reason[META_REASON_SIZE] = "";

        /* A file system on the meta-disk. */
        poke(mdpath, 0, "XFSB", 4);
        assert_int_equal(meta_probe(backing, md, &flex, &probe), 0);
        assert_int_equal(probe.kind, META_PROBE_SIGNATURE);
        assert_true(probe.on_md_device);
        assert_string_equal(probe.signature, "XFS filesystem");
        assert_int_equal(meta_create(backing, md, &flex, &params, NULL, reason, sizeof(reason)), -EMEDIUMTYPE);
        assert_non_null(strstr(reason, mdpath));
        poke(mdpath, 0, "\0\0\0\0", 4);

        /* DRBD external metadata on the meta-disk. */
        poke(mdpath, 60, "\x83\x74\x02\x6c", 4);
        assert_int_equal(meta_create(backing, md, &flex, &params, NULL, reason, sizeof(reason)), -EMEDIUMTYPE);
        assert_non_null(strstr(reason, "DRBD metadata"));
        poke(mdpath, 60, "\0\0\0\0", 4);

        /* Internal tandem metadata on a backing store now configured with
         * an external meta-disk. */
        assert_int_equal(meta_create(backing, NULL, &internal, &params, NULL, reason, sizeof(reason)), 0);
        assert_int_equal(meta_probe(backing, md, &flex, &probe), 0);
        assert_int_equal(probe.kind, META_PROBE_SIGNATURE);
        assert_string_equal(probe.signature, "tandem internal metadata");
        assert_false(probe.on_md_device);
        assert_int_equal(probe.offset, 64 * MiB - 4096);
        params.force = true;
        assert_int_equal(meta_create(backing, md, &flex, &params, NULL, reason, sizeof(reason)), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_crc32c),
                cmocka_unit_test(test_layout_internal),
                cmocka_unit_test(test_layout_internal_maximal),
                cmocka_unit_test(test_layout_external),
                cmocka_unit_test(test_super_roundtrip),
                cmocka_unit_test(test_decode_header_rejects),
                cmocka_unit_test(test_decode_field_rejects),
                cmocka_unit_test(test_dev_open),
                cmocka_unit_test(test_create_internal),
                cmocka_unit_test(test_create_refusals),
                cmocka_unit_test(test_create_small_and_corrupt),
                cmocka_unit_test(test_read_resized),
                cmocka_unit_test(test_external),
                cmocka_unit_test(test_external_signatures),
        };

        return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
