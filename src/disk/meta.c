/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The metadata format of tandem-diskd: layout computation, superblock
 * encoding with validation, synchronous IO for tools and attach, probing
 * for what a device holds, and create-md. Format: docs/disk-format.md. */

#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "meta.h"

_Static_assert(META_SUPER_SIZE == BITMAP_PAGE_SIZE, "superblock and bitmap pages share the block size");
_Static_assert(sizeof(META_MAGIC) - 1 == 8, "magic is 8 bytes");

/* The superblock on disk, all little-endian: the fixed header, then one
 * row per field of struct meta_super. Spelled out byte by byte rather
 * than taken from a C struct so that it never depends on the compiler;
 * docs/disk-format.md has the same table. Bytes not listed are zero. */
enum {
        SB_MAGIC = 0,                   /* 8 bytes "TANDEMMD" */
        SB_VERSION = 8,                 /* u32, META_VERSION */
        SB_SIZE = 12,                   /* u32, META_SUPER_SIZE */
        SB_KIND = 24,                   /* u32, enum meta_kind */
        SB_BM_BLOCK_SIZE = 180,         /* u32, META_BLOCK_SIZE */
        SB_CHECKSUM = 4092,             /* u32, CRC32C of bytes [0, 4092) */
};
_Static_assert(SB_CHECKSUM + 4 == META_SUPER_SIZE, "checksum is last");

struct sb_field {
        uint16_t disk;                  /* byte offset in the superblock */
        uint8_t width;                  /* 4 or 8 */
        uint16_t mem;                   /* offsetof in struct meta_super */
};

#define U32(off, field) { off, 4, offsetof(struct meta_super, field) }
#define U64(off, field) { off, 8, offsetof(struct meta_super, field) }
#define PEER(i) U32(256 + 32 * i, peers[i].node_id), U32(260 + 32 * i, peers[i].flags), \
                U64(264 + 32 * i, peers[i].bitmap_uuid)     /* + 16 zero bytes */
static const struct sb_field sb_fields[] = {
        U32(16, flags),                 U32(20, node_id),
        /* 24: kind, u32 */             U32(28, layout.index),
        U64(32, device_uuid),           U64(40, current_uuid),
        U64(48, bitmap_uuid),
        U64(56, history_uuids[0]),      U64(64, history_uuids[1]),
        U64(72, history_uuids[2]),      U64(80, history_uuids[3]),
        U64(88, layout.data_size),      U64(96, la_size),
        U64(104, created_size),         U64(112, layout.backing_size),
        U64(120, layout.md_device_size),
        U64(128, layout.md_offset),     U64(136, layout.md_size),
        U64(144, layout.sb_offset),
        U64(152, layout.wi_offset),     U64(160, layout.wi_size),
        U64(168, layout.wi_bits),       U32(176, layout.wi_chunk_size),
        /* 180: bitmap block size */
        U64(184, layout.bm_offset),     U64(192, layout.bm_size),
        U64(200, layout.bm_bits),
        /* 208..255 zero */
        PEER(0), PEER(1), PEER(2), PEER(3),
        /* 384..4091 zero */
};
_Static_assert(META_HISTORY_UUIDS == 4 && META_MAX_PEERS == 4, "the table lists every slot");
_Static_assert(sizeof(((struct meta_super *) 0)->flags) == 4 &&
               sizeof(((struct meta_super *) 0)->layout.wi_chunk_size) == 4 &&
               sizeof(((struct meta_super *) 0)->peers[0].flags) == 4, "u32 fields");

#define reason_set(reason, size, ...) ((void) format_error(reason, size, 0, __VA_ARGS__))

/* Sets the reason and evaluates to the error: "return fail(r, rs, -EBADMSG, ...)" */
#define fail(reason, size, err, ...) format_error(reason, size, err, __VA_ARGS__)

static void put_le32(uint8_t *p, uint32_t v) {
        for (unsigned i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v) {
        for (unsigned i = 0; i < 8; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p) {
        return (uint64_t) get_le32(p) | (uint64_t) get_le32(p + 4) << 32;
}

static uint32_t get_be32(const uint8_t *p) {
        return (uint32_t) p[3] | (uint32_t) p[2] << 8 | (uint32_t) p[1] << 16 | (uint32_t) p[0] << 24;
}

/* Reflected CRC32C table, polynomial 0x82f63b78. A byte-at-a-time loop
 * is plenty for one 4 KiB superblock per metadata write. */
static const uint32_t crc32c_table[256] = {
        0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4, 0xc79a971f, 0x35f1141c, 0x26a1e7e8, 0xd4ca64eb,
        0x8ad958cf, 0x78b2dbcc, 0x6be22838, 0x9989ab3b, 0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24,
        0x105ec76f, 0xe235446c, 0xf165b798, 0x030e349b, 0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384,
        0x9a879fa0, 0x68ec1ca3, 0x7bbcef57, 0x89d76c54, 0x5d1d08bf, 0xaf768bbc, 0xbc267848, 0x4e4dfb4b,
        0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a, 0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35,
        0xaa64d611, 0x580f5512, 0x4b5fa6e6, 0xb93425e5, 0x6dfe410e, 0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa,
        0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45, 0xf779deae, 0x05125dad, 0x1642ae59, 0xe4292d5a,
        0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a, 0x7da08661, 0x8fcb0562, 0x9c9bf696, 0x6ef07595,
        0x417b1dbc, 0xb3109ebf, 0xa0406d4b, 0x522bee48, 0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
        0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687, 0x0c38d26c, 0xfe53516f, 0xed03a29b, 0x1f682198,
        0x5125dad3, 0xa34e59d0, 0xb01eaa24, 0x42752927, 0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38,
        0xdbfc821c, 0x2997011f, 0x3ac7f2eb, 0xc8ac71e8, 0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7,
        0x61c69362, 0x93ad1061, 0x80fde395, 0x72966096, 0xa65c047d, 0x5437877e, 0x4767748a, 0xb50cf789,
        0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859, 0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46,
        0x7198540d, 0x83f3d70e, 0x90a324fa, 0x62c8a7f9, 0xb602c312, 0x44694011, 0x5739b3e5, 0xa55230e6,
        0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36, 0x3cdb9bdd, 0xceb018de, 0xdde0eb2a, 0x2f8b6829,
        0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c, 0x456cac67, 0xb7072f64, 0xa457dc90, 0x563c5f93,
        0x082f63b7, 0xfa44e0b4, 0xe9141340, 0x1b7f9043, 0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
        0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3, 0x55326b08, 0xa759e80b, 0xb4091bff, 0x466298fc,
        0x1871a4d8, 0xea1a27db, 0xf94ad42f, 0x0b21572c, 0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033,
        0xa24bb5a6, 0x502036a5, 0x4370c551, 0xb11b4652, 0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d,
        0x2892ed69, 0xdaf96e6a, 0xc9a99d9e, 0x3bc21e9d, 0xef087a76, 0x1d63f975, 0x0e330a81, 0xfc588982,
        0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d, 0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622,
        0x38cc2a06, 0xcaa7a905, 0xd9f75af1, 0x2b9cd9f2, 0xff56bd19, 0x0d3d3e1a, 0x1e6dcdee, 0xec064eed,
        0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530, 0x0417b1db, 0xf67c32d8, 0xe52cc12c, 0x1747422f,
        0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff, 0x8ecee914, 0x7ca56a17, 0x6ff599e3, 0x9d9e1ae0,
        0xd3d3e1ab, 0x21b862a8, 0x32e8915c, 0xc083125f, 0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
        0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90, 0x9e902e7b, 0x6cfbad78, 0x7fab5e8c, 0x8dc0dd8f,
        0xe330a81a, 0x115b2b19, 0x020bd8ed, 0xf0605bee, 0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1,
        0x69e9f0d5, 0x9b8273d6, 0x88d28022, 0x7ab90321, 0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e,
        0xf36e6f75, 0x0105ec76, 0x12551f82, 0xe03e9c81, 0x34f4f86a, 0xc69f7b69, 0xd5cf889d, 0x27a40b9e,
        0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e, 0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351,
};

uint32_t meta_crc32c(uint32_t crc, const void *data, size_t len) {
        const uint8_t *p = data;

        crc = ~crc;
        while (len--)
                crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
        return ~crc;
}

const char *meta_kind_to_string(enum meta_kind kind) {
        switch (kind) {
        case META_INTERNAL:
                return "internal";
        case META_EXTERNAL_FLEX:
                return "external-flexible";
        case META_EXTERNAL_INDEXED:
                return "external-indexed";
        }
        return NULL;
}

const char *meta_flag_to_string(uint32_t flag) {
        static const char *const names[] = {
                "consistent", "primary-ind", "connected-ind", "full-sync",
                "was-up-to-date", "peer-outdated", "crashed-primary", "clean-shutdown",
        };

        if (flag == 0 || (flag & (flag - 1)) != 0 || !(flag & META_F_ALL))
                return NULL;
        return names[__builtin_ctz(flag)];
}

const char *meta_peer_flag_to_string(uint32_t flag) {
        static const char *const names[] = { "exists", "connected", "outdated", "full-sync" };

        if (flag == 0 || (flag & (flag - 1)) != 0 || !(flag & META_PEER_ALL))
                return NULL;
        return names[__builtin_ctz(flag)];
}

/* ---- layout ---- */

static uint64_t round_down(uint64_t v) {
        return v & ~(uint64_t) (META_BLOCK_SIZE - 1);
}

static bool chunk_ok(uint64_t chunk) {
        return chunk >= META_WI_CHUNK_MIN && chunk <= META_WI_CHUNK_MAX && (chunk & (chunk - 1)) == 0;
}

static uint64_t wi_bits_for(uint64_t data_size, uint64_t chunk) {
        return data_size / chunk + (data_size % chunk != 0);
}

/* Bytes of write-intent plus out-of-sync bitmap for a data area. */
static uint64_t bitmaps_size(uint64_t data_size, uint64_t chunk) {
        return (bitmap_pages_for(wi_bits_for(data_size, chunk)) +
                bitmap_pages_for(data_size / META_BLOCK_SIZE)) * META_BLOCK_SIZE;
}

/* The largest data area (a multiple of 4096) whose bitmaps fit in space
 * bytes, beside it when inside (internal: data + bitmaps <= space) or on
 * their own (external). Both sums grow with the data size, so a binary
 * search over 4 KiB blocks finds the bound. */
static uint64_t max_data_in(uint64_t space, uint64_t chunk, bool inside) {
        /* Outside, each bitmap byte covers at most 8 blocks of data. */
        uint64_t lo = 0, hi = inside ? space / META_BLOCK_SIZE : space * 8;

        if (hi > META_DATA_SIZE_MAX / META_BLOCK_SIZE)
                hi = META_DATA_SIZE_MAX / META_BLOCK_SIZE;

        while (lo < hi) {
                uint64_t mid = lo + (hi - lo + 1) / 2, d = mid * META_BLOCK_SIZE;

                if ((inside ? d : 0) + bitmaps_size(d, chunk) <= space)
                        lo = mid;
                else
                        hi = mid - 1;
        }
        return lo * META_BLOCK_SIZE;
}

uint64_t meta_indexed_max_data_size(uint32_t wi_chunk_size) {
        uint64_t chunk = wi_chunk_size ? wi_chunk_size : META_WI_CHUNK_DEFAULT;

        if (!chunk_ok(chunk))
                return 0;
        return max_data_in(META_INDEXED_SLOT_SIZE - META_SUPER_SIZE, chunk, false);
}

uint64_t meta_internal_min_backing_size(void) {
        /* Whatever the chunk size, 1 MiB needs one page of each bitmap. */
        return META_DATA_SIZE_MIN + 2 * META_BLOCK_SIZE + META_SUPER_SIZE;
}

int meta_layout_compute(uint64_t backing_size, const struct meta_location *loc,
                        uint64_t md_device_size, uint32_t wi_chunk_size,
                        struct meta_layout *ret, char *reason, size_t rs) {
        uint64_t chunk = wi_chunk_size ? wi_chunk_size : META_WI_CHUNK_DEFAULT;
        struct meta_layout l = {
                .kind = loc->kind,
                .index = loc->kind == META_EXTERNAL_INDEXED ? loc->index : 0,
                .backing_size = backing_size,
                .md_device_size = loc->kind == META_INTERNAL ? backing_size : md_device_size,
                .wi_chunk_size = (uint32_t) chunk,
        };

        if (!meta_kind_to_string(loc->kind))
                return fail(reason, rs, -EINVAL, "unknown metadata kind %d", (int) loc->kind);
        if (!chunk_ok(chunk))
                return fail(reason, rs, -EINVAL,
                            "write-intent chunk size %" PRIu64 " is not a power of two in [%u, %u]",
                            chunk, META_WI_CHUNK_MIN, META_WI_CHUNK_MAX);

        switch (loc->kind) {
        case META_INTERNAL: {
                uint64_t end = round_down(backing_size);

                if (end >= META_SUPER_SIZE)
                        l.data_size = max_data_in(end - META_SUPER_SIZE, chunk, true);
                if (l.data_size < META_DATA_SIZE_MIN)
                        return fail(reason, rs, -ENOSPC,
                                    "backing store of %" PRIu64 " bytes is too small for internal "
                                    "metadata: it needs at least %" PRIu64 " bytes",
                                    backing_size, meta_internal_min_backing_size());
                l.sb_offset = end - META_SUPER_SIZE;
                l.md_size = bitmaps_size(l.data_size, chunk) + META_SUPER_SIZE;
                l.md_offset = end - l.md_size;
                break;
        }
        case META_EXTERNAL_FLEX:
                l.data_size = round_down(backing_size);
                if (l.data_size > META_DATA_SIZE_MAX)
                        l.data_size = META_DATA_SIZE_MAX;
                if (l.data_size < META_DATA_SIZE_MIN)
                        return fail(reason, rs, -ENOSPC,
                                    "backing store of %" PRIu64 " bytes is below the minimum "
                                    "data size of %" PRIu64 " bytes",
                                    backing_size, META_DATA_SIZE_MIN);
                l.md_size = META_SUPER_SIZE + bitmaps_size(l.data_size, chunk);
                if (md_device_size < l.md_size)
                        return fail(reason, rs, -ENOSPC,
                                    "meta-disk of %" PRIu64 " bytes is too small: %" PRIu64
                                    " bytes of data need %" PRIu64 " bytes of metadata",
                                    md_device_size, l.data_size, l.md_size);
                l.md_offset = l.sb_offset = 0;
                break;
        case META_EXTERNAL_INDEXED: {
                uint64_t max = max_data_in(META_INDEXED_SLOT_SIZE - META_SUPER_SIZE, chunk, false);

                l.data_size = round_down(backing_size);
                if (l.data_size < META_DATA_SIZE_MIN)
                        return fail(reason, rs, -ENOSPC,
                                    "backing store of %" PRIu64 " bytes is below the minimum "
                                    "data size of %" PRIu64 " bytes",
                                    backing_size, META_DATA_SIZE_MIN);
                if (l.data_size > max)
                        l.data_size = max;
                l.md_offset = l.sb_offset = (uint64_t) loc->index * META_INDEXED_SLOT_SIZE;
                l.md_size = META_INDEXED_SLOT_SIZE;
                if (md_device_size < l.md_offset + l.md_size)
                        return fail(reason, rs, -ENOSPC,
                                    "meta-disk of %" PRIu64 " bytes has no slot %" PRIu32
                                    ": it needs at least %" PRIu64 " bytes",
                                    md_device_size, loc->index, l.md_offset + l.md_size);
                break;
        }
        }

        l.wi_bits = wi_bits_for(l.data_size, chunk);
        l.wi_size = bitmap_pages_for(l.wi_bits) * META_BLOCK_SIZE;
        l.bm_bits = l.data_size / META_BLOCK_SIZE;
        l.bm_size = bitmap_pages_for(l.bm_bits) * META_BLOCK_SIZE;
        /* Internal: [data][unused, usually < 4 blocks][wi][bm][sb]; external:
         * [sb][wi][bm] from the start of the area. */
        l.wi_offset = loc->kind == META_INTERNAL ? l.md_offset : l.md_offset + META_SUPER_SIZE;
        l.bm_offset = l.wi_offset + l.wi_size;
        *ret = l;
        return 0;
}

/* ---- superblock ---- */

struct region {
        const char *name;
        uint64_t offset, size;
};

/* Every check a layout must pass, whether it came from disk or from a
 * caller about to write it. Arithmetic is overflow-checked: the values may
 * be anything a corrupted or hostile superblock holds. */
static int layout_check(const struct meta_layout *l, char *reason, size_t rs) {
        uint64_t md_end, chunk = l->wi_chunk_size;
        struct region r[3] = {
                { "superblock", l->sb_offset, META_SUPER_SIZE },
                { "write-intent region", l->wi_offset, l->wi_size },
                { "bitmap region", l->bm_offset, l->bm_size },
        };

        if (!meta_kind_to_string(l->kind))
                return fail(reason, rs, -EBADMSG, "unknown metadata kind %d", (int) l->kind);
        if (l->kind != META_EXTERNAL_INDEXED && l->index != 0)
                return fail(reason, rs, -EBADMSG, "slot index %" PRIu32 " on %s metadata",
                            l->index, meta_kind_to_string(l->kind));
        if (l->data_size == 0 || l->data_size % META_BLOCK_SIZE != 0)
                return fail(reason, rs, -EBADMSG,
                            "data size %" PRIu64 " is not a positive multiple of %u",
                            l->data_size, META_BLOCK_SIZE);
        if (l->data_size < META_DATA_SIZE_MIN || l->data_size > META_DATA_SIZE_MAX)
                return fail(reason, rs, -EBADMSG,
                            "data size %" PRIu64 " is outside [%" PRIu64 ", %" PRIu64 "]",
                            l->data_size, META_DATA_SIZE_MIN, META_DATA_SIZE_MAX);
        if (l->data_size > l->backing_size)
                return fail(reason, rs, -EBADMSG,
                            "data size %" PRIu64 " exceeds the backing size %" PRIu64,
                            l->data_size, l->backing_size);
        if (l->kind == META_INTERNAL && l->md_device_size != l->backing_size)
                return fail(reason, rs, -EBADMSG,
                            "internal metadata with a metadata device size %" PRIu64
                            " unlike the backing size %" PRIu64, l->md_device_size, l->backing_size);
        if (!chunk_ok(chunk))
                return fail(reason, rs, -EBADMSG,
                            "write-intent chunk size %" PRIu64 " is not a power of two in [%u, %u]",
                            chunk, META_WI_CHUNK_MIN, META_WI_CHUNK_MAX);
        if (l->wi_bits != wi_bits_for(l->data_size, chunk))
                return fail(reason, rs, -EBADMSG,
                            "write-intent bitmap has %" PRIu64 " bits, the data size needs %" PRIu64,
                            l->wi_bits, wi_bits_for(l->data_size, chunk));
        if (l->wi_size != bitmap_pages_for(l->wi_bits) * META_BLOCK_SIZE)
                return fail(reason, rs, -EBADMSG,
                            "write-intent region of %" PRIu64 " bytes, %" PRIu64 " bits need %" PRIu64,
                            l->wi_size, l->wi_bits, bitmap_pages_for(l->wi_bits) * META_BLOCK_SIZE);
        if (l->bm_bits != l->data_size / META_BLOCK_SIZE)
                return fail(reason, rs, -EBADMSG,
                            "bitmap has %" PRIu64 " bits, the data size needs %" PRIu64,
                            l->bm_bits, l->data_size / META_BLOCK_SIZE);
        if (l->bm_size != bitmap_pages_for(l->bm_bits) * META_BLOCK_SIZE)
                return fail(reason, rs, -EBADMSG,
                            "bitmap region of %" PRIu64 " bytes, %" PRIu64 " bits need %" PRIu64,
                            l->bm_size, l->bm_bits, bitmap_pages_for(l->bm_bits) * META_BLOCK_SIZE);
        if (l->md_offset % META_BLOCK_SIZE || l->md_size % META_BLOCK_SIZE)
                return fail(reason, rs, -EBADMSG,
                            "metadata area at %" PRIu64 " of %" PRIu64 " bytes is not 4 KiB aligned",
                            l->md_offset, l->md_size);
        if (__builtin_add_overflow(l->md_offset, l->md_size, &md_end) || md_end > l->md_device_size)
                return fail(reason, rs, -EBADMSG,
                            "metadata area at %" PRIu64 " of %" PRIu64
                            " bytes ends beyond the device of %" PRIu64 " bytes",
                            l->md_offset, l->md_size, l->md_device_size);
        for (unsigned i = 0; i < ELEMENTSOF(r); i++) {
                uint64_t end;

                if (r[i].offset % META_BLOCK_SIZE)
                        return fail(reason, rs, -EBADMSG, "%s offset %" PRIu64 " is not 4 KiB aligned",
                                    r[i].name, r[i].offset);
                if (__builtin_add_overflow(r[i].offset, r[i].size, &end) || end > l->md_device_size)
                        return fail(reason, rs, -EBADMSG,
                                    "%s at %" PRIu64 " of %" PRIu64
                                    " bytes ends beyond the device of %" PRIu64 " bytes",
                                    r[i].name, r[i].offset, r[i].size, l->md_device_size);
                if (r[i].offset < l->md_offset || end > md_end)
                        return fail(reason, rs, -EBADMSG,
                                    "%s [%" PRIu64 ", %" PRIu64 ") lies outside the metadata area [%"
                                    PRIu64 ", %" PRIu64 ")",
                                    r[i].name, r[i].offset, end, l->md_offset, md_end);
        }
        /* Ends cannot overflow now: all lie inside the metadata area. */
        for (unsigned i = 0; i < ELEMENTSOF(r); i++)
                for (unsigned j = i + 1; j < ELEMENTSOF(r); j++)
                        if (r[i].offset < r[j].offset + r[j].size &&
                            r[j].offset < r[i].offset + r[i].size)
                                return fail(reason, rs, -EBADMSG,
                                            "%s at %" PRIu64 " overlaps the %s at %" PRIu64,
                                            r[i].name, r[i].offset, r[j].name, r[j].offset);
        switch (l->kind) {
        case META_INTERNAL:
                if (l->sb_offset + META_SUPER_SIZE != md_end)
                        return fail(reason, rs, -EBADMSG,
                                    "internal superblock at %" PRIu64 " is not the last block of the "
                                    "metadata area ending at %" PRIu64, l->sb_offset, md_end);
                if (l->data_size > l->md_offset)
                        return fail(reason, rs, -EBADMSG,
                                    "data area [0, %" PRIu64 ") overlaps the metadata area at %" PRIu64,
                                    l->data_size, l->md_offset);
                break;
        case META_EXTERNAL_FLEX:
        case META_EXTERNAL_INDEXED:
                if (l->sb_offset != l->md_offset)
                        return fail(reason, rs, -EBADMSG,
                                    "external superblock at %" PRIu64 " is not at the start of the "
                                    "metadata area at %" PRIu64, l->sb_offset, l->md_offset);
                if (l->kind == META_EXTERNAL_FLEX && l->md_offset != 0)
                        return fail(reason, rs, -EBADMSG,
                                    "flexible metadata area at %" PRIu64 ", not at 0", l->md_offset);
                if (l->kind == META_EXTERNAL_INDEXED &&
                    (l->md_offset != (uint64_t) l->index * META_INDEXED_SLOT_SIZE ||
                     l->md_size != META_INDEXED_SLOT_SIZE))
                        return fail(reason, rs, -EBADMSG,
                                    "indexed metadata area [%" PRIu64 " +%" PRIu64 ") is not slot %" PRIu32,
                                    l->md_offset, l->md_size, l->index);
                break;
        }
        return 0;
}

static int super_check(const struct meta_super *sb, char *reason, size_t rs) {
        uint32_t seen = 0;

        if (sb->flags & ~(uint32_t) META_F_ALL)
                return fail(reason, rs, -EBADMSG,
                            "unknown flags 0x%" PRIx32, sb->flags & ~(uint32_t) META_F_ALL);
        if (sb->node_id > META_NODE_ID_MAX)
                return fail(reason, rs, -EBADMSG,
                            "node id %" PRIu32 " is above %u", sb->node_id, META_NODE_ID_MAX);
        if (sb->la_size % META_BLOCK_SIZE)
                return fail(reason, rs, -EBADMSG, "last agreed size %" PRIu64 " is not a multiple of %u",
                            sb->la_size, META_BLOCK_SIZE);
        for (unsigned i = 0; i < META_MAX_PEERS; i++) {
                const struct meta_peer *p = &sb->peers[i];

                if (!(p->flags & META_PEER_EXISTS)) {
                        if (p->flags || p->node_id || p->bitmap_uuid)
                                return fail(reason, rs, -EBADMSG, "unused peer slot %u is not zero", i);
                        continue;
                }
                if (p->flags & ~(uint32_t) META_PEER_ALL)
                        return fail(reason, rs, -EBADMSG, "peer slot %u: unknown flags 0x%" PRIx32,
                                    i, p->flags & ~(uint32_t) META_PEER_ALL);
                if (p->node_id > META_NODE_ID_MAX)
                        return fail(reason, rs, -EBADMSG, "peer slot %u: node id %" PRIu32 " is above %u",
                                    i, p->node_id, META_NODE_ID_MAX);
                if (p->node_id == sb->node_id)
                        return fail(reason, rs, -EBADMSG, "peer slot %u: node id %" PRIu32 " is this node's",
                                    i, p->node_id);
                if (seen & (UINT32_C(1) << p->node_id))
                        return fail(reason, rs, -EBADMSG, "peer slot %u: node id %" PRIu32 " appears twice",
                                    i, p->node_id);
                seen |= UINT32_C(1) << p->node_id;
        }
        return layout_check(&sb->layout, reason, rs);
}

void meta_super_init(struct meta_super *sb, const struct meta_layout *layout,
                     uint32_t node_id, uint64_t device_uuid) {
        *sb = (struct meta_super) {
                /* Nothing can be in flight on metadata nobody attached. */
                .flags = META_F_CLEAN_SHUTDOWN,
                .node_id = node_id,
                .device_uuid = device_uuid,
                .current_uuid = META_UUID_JUST_CREATED,
                .created_size = layout->backing_size,
                .layout = *layout,
        };
}

void meta_super_encode(const struct meta_super *sb, uint8_t *buf) {
        memset(buf, 0, META_SUPER_SIZE);
        memcpy(buf + SB_MAGIC, META_MAGIC, 8);
        put_le32(buf + SB_VERSION, META_VERSION);
        put_le32(buf + SB_SIZE, META_SUPER_SIZE);
        put_le32(buf + SB_KIND, (uint32_t) sb->layout.kind);
        put_le32(buf + SB_BM_BLOCK_SIZE, META_BLOCK_SIZE);
        for (unsigned i = 0; i < ELEMENTSOF(sb_fields); i++) {
                const struct sb_field *f = &sb_fields[i];
                const uint8_t *m = (const uint8_t *) sb + f->mem;
                uint32_t v32;
                uint64_t v64;

                if (f->width == 4) {
                        memcpy(&v32, m, 4);
                        put_le32(buf + f->disk, v32);
                } else {
                        memcpy(&v64, m, 8);
                        put_le64(buf + f->disk, v64);
                }
        }
        put_le32(buf + SB_CHECKSUM, meta_crc32c(0, buf, SB_CHECKSUM));
}

int meta_super_decode(const uint8_t *buf, size_t len, struct meta_super *ret,
                      char *reason, size_t rs) {
        struct meta_super sb = {};
        uint32_t v, stored, computed;
        int r;

        if (len < 8 || memcmp(buf + SB_MAGIC, META_MAGIC, 8) != 0)
                return fail(reason, rs, -ENODATA, "bad magic: no tandem metadata");
        if (len < META_SUPER_SIZE)
                return fail(reason, rs, -EBADMSG, "superblock truncated: %zu bytes of %u",
                            len, META_SUPER_SIZE);
        v = get_le32(buf + SB_VERSION);
        if (v != META_VERSION)
                return fail(reason, rs, -EPROTONOSUPPORT,
                            "unsupported format version %" PRIu32 " (this build reads %u)",
                            v, META_VERSION);
        v = get_le32(buf + SB_SIZE);
        if (v != META_SUPER_SIZE)
                return fail(reason, rs, -EBADMSG, "superblock size %" PRIu32 ", expected %u",
                            v, META_SUPER_SIZE);
        stored = get_le32(buf + SB_CHECKSUM);
        computed = meta_crc32c(0, buf, SB_CHECKSUM);
        if (stored != computed)
                return fail(reason, rs, -EBADMSG,
                            "checksum mismatch: stored 0x%08" PRIx32 ", computed 0x%08" PRIx32,
                            stored, computed);
        v = get_le32(buf + SB_BM_BLOCK_SIZE);
        if (v != META_BLOCK_SIZE)
                return fail(reason, rs, -EBADMSG, "bitmap block size %" PRIu32 ", expected %u",
                            v, META_BLOCK_SIZE);
        /* Checked before it becomes an enum, which holds only known kinds. */
        v = get_le32(buf + SB_KIND);
        if (v < META_INTERNAL || v > META_EXTERNAL_INDEXED)
                return fail(reason, rs, -EBADMSG, "unknown metadata kind %" PRIu32, v);
        sb.layout.kind = (enum meta_kind) v;
        for (unsigned i = 0; i < ELEMENTSOF(sb_fields); i++) {
                const struct sb_field *f = &sb_fields[i];
                uint8_t *m = (uint8_t *) &sb + f->mem;
                uint32_t v32;
                uint64_t v64;

                if (f->width == 4) {
                        v32 = get_le32(buf + f->disk);
                        memcpy(m, &v32, 4);
                } else {
                        v64 = get_le64(buf + f->disk);
                        memcpy(m, &v64, 8);
                }
        }

        r = super_check(&sb, reason, rs);
        if (r < 0)
                return r;
        *ret = sb;
        return 0;
}

/* ---- devices and synchronous IO ---- */

#define IO_CHUNK (UINT64_C(1) << 20)    /* bytes per read or write call */

int meta_dev_open(const char *path, unsigned flags, struct meta_dev **ret) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *p = NULL;
        struct meta_dev *d;
        struct stat st;
        bool direct = false;
        int oflags = ((flags & META_DEV_WRITE) ? O_RDWR : O_RDONLY) | O_CLOEXEC;
        uint64_t size;

        if (stat(path, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
                return -EMEDIUMTYPE;
        /* Without O_CREAT, O_EXCL means "exclusive" only for block devices. */
        if (S_ISBLK(st.st_mode) && (flags & META_DEV_EXCL))
                oflags |= O_EXCL;
        if (!(flags & META_DEV_NO_DIRECT)) {
                fd = open(path, oflags | O_DIRECT);
                if (fd < 0 && errno != EINVAL)
                        return -errno;
                direct = fd >= 0;
        }
        if (fd < 0) {
                fd = open(path, oflags);
                if (fd < 0)
                        return -errno;
        }
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISBLK(st.st_mode)) {
                int lbs = 0;

                if (ioctl(fd, BLKGETSIZE64, &size) < 0)
                        return -errno;
                /* Our IO is in 4 KiB units; O_DIRECT needs them to be whole
                 * logical blocks. */
                if (direct && ioctl(fd, BLKSSZGET, &lbs) == 0 && lbs > (int) META_BLOCK_SIZE) {
                        fd = safe_close(fd);
                        fd = open(path, oflags);
                        if (fd < 0)
                                return -errno;
                        direct = false;
                }
        } else if (S_ISREG(st.st_mode))
                size = (uint64_t) st.st_size;
        else
                return -EMEDIUMTYPE;

        p = strdup(path);
        d = malloc(sizeof(*d));
        if (!p || !d) {
                free(d);
                return -ENOMEM;
        }
        *d = (struct meta_dev) {
                .fd = TAKE_FD(fd),
                .path = TAKE_PTR(p),
                .size = size,
                .block_device = S_ISBLK(st.st_mode),
                .direct = direct,
                .writable = flags & META_DEV_WRITE,
        };
        *ret = d;
        return 0;
}

void meta_dev_free(struct meta_dev *d) {
        if (!d)
                return;
        safe_close(d->fd);
        free(d->path);
        free(d);
}

/* O_DIRECT wants page-aligned buffers; every buffer here is one. */
static void *io_alloc(size_t len) {
        void *p;

        if (posix_memalign(&p, META_BLOCK_SIZE, len) != 0)
                return NULL;
        memset(p, 0, len);
        return p;
}

/* Reads exactly len bytes at off; reaching the end first is -EIO. */
static int dev_pread(struct meta_dev *d, void *buf, size_t len, uint64_t off) {
        uint8_t *p = buf;

        while (len > 0) {
                ssize_t n = pread(d->fd, p, len, (off_t) off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EIO;
                p += n;
                off += (uint64_t) n;
                len -= (size_t) n;
        }
        return 0;
}

static int dev_pwrite(struct meta_dev *d, const void *buf, size_t len, uint64_t off) {
        const uint8_t *p = buf;

        if (!d->writable)
                return -EBADF;
        while (len > 0) {
                ssize_t n = pwrite(d->fd, p, len, (off_t) off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EIO;
                p += n;
                off += (uint64_t) n;
                len -= (size_t) n;
        }
        return 0;
}

static int dev_sync(struct meta_dev *d) {
        return fdatasync(d->fd) < 0 ? -errno : 0;
}

/* Where loc's superblock is on d, or -ENODATA if d cannot hold one. */
static int super_position(const struct meta_dev *d, const struct meta_location *loc, uint64_t *ret) {
        uint64_t pos;

        switch (loc->kind) {
        case META_INTERNAL:
                if (round_down(d->size) < META_SUPER_SIZE)
                        return -ENODATA;
                pos = round_down(d->size) - META_SUPER_SIZE;
                break;
        case META_EXTERNAL_FLEX:
                pos = 0;
                break;
        case META_EXTERNAL_INDEXED:
                pos = (uint64_t) loc->index * META_INDEXED_SLOT_SIZE;
                break;
        default:
                return -EINVAL;
        }
        if (pos > d->size || d->size - pos < META_SUPER_SIZE)
                return -ENODATA;
        *ret = pos;
        return 0;
}

static int check_devices(struct meta_dev *backing, struct meta_dev *md_dev, const struct meta_location *loc,
                         const struct meta_super *sb, uint64_t pos, char *reason, size_t rs) {
        const struct meta_layout *l = &sb->layout;

        if (l->kind != loc->kind)
                return fail(reason, rs, -EINVAL, "found %s metadata where %s metadata is configured",
                            meta_kind_to_string(l->kind), meta_kind_to_string(loc->kind));
        if (l->kind == META_EXTERNAL_INDEXED && l->index != loc->index)
                return fail(reason, rs, -EINVAL, "found the metadata of slot %" PRIu32 " in slot %" PRIu32,
                            l->index, loc->index);
        if (l->sb_offset != pos)
                return fail(reason, rs, -EBADMSG,
                            "superblock read at byte %" PRIu64 " of %s records its position as %" PRIu64
                            " (device resized or metadata copied?)", pos, md_dev->path, l->sb_offset);
        if (l->md_offset + l->md_size > md_dev->size)
                return fail(reason, rs, -EBADMSG,
                            "metadata area ends at %" PRIu64 ", beyond the end of %s at %" PRIu64
                            " (device truncated?)", l->md_offset + l->md_size, md_dev->path, md_dev->size);
        if (l->data_size > backing->size)
                return fail(reason, rs, -EBADMSG,
                            "data area of %" PRIu64 " bytes exceeds %s of %" PRIu64 " bytes (device shrunk?)",
                            l->data_size, backing->path, backing->size);
        return 0;
}

static int devices_ok(struct meta_dev *backing, struct meta_dev *md, const struct meta_location *loc,
                      char *reason, size_t rs) {
        if (!backing)
                return fail(reason, rs, -EINVAL, "no backing store given");
        if (!meta_kind_to_string(loc->kind))
                return fail(reason, rs, -EINVAL, "unknown metadata kind %d", (int) loc->kind);
        if (loc->kind == META_INTERNAL && md)
                return fail(reason, rs, -EINVAL, "internal metadata takes no meta-disk");
        if (loc->kind != META_INTERNAL && !md)
                return fail(reason, rs, -EINVAL, "external metadata needs a meta-disk");
        return 0;
}

int meta_read(struct meta_dev *backing, struct meta_dev *md, const struct meta_location *loc,
              struct meta_super *ret, char *reason, size_t rs) {
        _cleanup_free_ uint8_t *buf = NULL;
        struct meta_dev *d = meta_dev_for(loc, backing, md);
        struct meta_super sb;
        uint64_t pos;
        int r;

        r = devices_ok(backing, md, loc, reason, rs);
        if (r < 0)
                return r;
        if (super_position(d, loc, &pos) < 0)
                return fail(reason, rs, -ENODATA, "%s of %" PRIu64 " bytes is too small to hold %s metadata",
                            d->path, d->size, meta_kind_to_string(loc->kind));
        buf = io_alloc(META_SUPER_SIZE);
        if (!buf)
                return -ENOMEM;
        r = dev_pread(d, buf, META_SUPER_SIZE, pos);
        if (r < 0)
                return fail(reason, rs, r, "reading the superblock at byte %" PRIu64 " of %s: %s",
                            pos, d->path, strerror(-r));
        r = meta_super_decode(buf, META_SUPER_SIZE, &sb, reason, rs);
        if (r < 0)
                return r;
        r = check_devices(backing, d, loc, &sb, pos, reason, rs);
        if (r < 0)
                return r;
        *ret = sb;
        return 0;
}

int meta_write_super(struct meta_dev *md, const struct meta_super *sb, char *reason, size_t rs) {
        _cleanup_free_ uint8_t *buf = io_alloc(META_SUPER_SIZE);
        const struct meta_layout *l = &sb->layout;
        struct meta_super check;
        int r;

        if (!buf)
                return -ENOMEM;
        meta_super_encode(sb, buf);
        r = meta_super_decode(buf, META_SUPER_SIZE, &check, reason, rs);
        if (r < 0)
                return -EINVAL;
        if (l->md_offset + l->md_size > md->size)
                return fail(reason, rs, -ENOSPC,
                            "metadata area ends at %" PRIu64 ", beyond the end of %s at %" PRIu64,
                            l->md_offset + l->md_size, md->path, md->size);
        r = dev_pwrite(md, buf, META_SUPER_SIZE, l->sb_offset);
        if (r >= 0)
                r = dev_sync(md);
        if (r < 0)
                return fail(reason, rs, r, "writing the superblock at byte %" PRIu64 " of %s: %s",
                            l->sb_offset, md->path, strerror(-r));
        return 0;
}

static void region_of(const struct meta_super *sb, enum meta_region which, uint64_t *offset,
                      uint64_t *size, uint64_t *bits, uint64_t *bytes_per_bit) {
        const struct meta_layout *l = &sb->layout;

        if (which == META_REGION_WRITE_INTENT) {
                *offset = l->wi_offset;
                *size = l->wi_size;
                *bits = l->wi_bits;
                *bytes_per_bit = l->wi_chunk_size;
        } else {
                *offset = l->bm_offset;
                *size = l->bm_size;
                *bits = l->bm_bits;
                *bytes_per_bit = META_BLOCK_SIZE;
        }
}

int meta_bitmap_new(const struct meta_super *sb, enum meta_region which, struct bitmap **ret) {
        uint64_t off, size, bits, bpb;

        region_of(sb, which, &off, &size, &bits, &bpb);
        return bitmap_new(bits, bpb, ret);
}

uint64_t meta_bitmap_page_offset(const struct meta_super *sb, enum meta_region which, uint64_t page) {
        uint64_t off, size, bits, bpb;

        region_of(sb, which, &off, &size, &bits, &bpb);
        return off + page * BITMAP_PAGE_SIZE;
}

int meta_read_bitmap(struct meta_dev *md, const struct meta_super *sb, enum meta_region which,
                     struct bitmap **ret, char *reason, size_t rs) {
        _cleanup_bitmap_ struct bitmap *b = NULL;
        _cleanup_free_ uint8_t *buf = NULL;
        const char *name = which == META_REGION_WRITE_INTENT ? "write-intent region" : "bitmap region";
        uint64_t off, size, bits, bpb, end;
        int r;

        region_of(sb, which, &off, &size, &bits, &bpb);
        /* Before allocating: the superblock may come from anywhere. */
        if (__builtin_add_overflow(off, size, &end) || end > md->size)
                return fail(reason, rs, -EBADMSG,
                            "%s at %" PRIu64 " of %" PRIu64 " bytes ends beyond the end of %s at %" PRIu64,
                            name, off, size, md->path, md->size);
        if (size != bitmap_pages_for(bits) * BITMAP_PAGE_SIZE)
                return fail(reason, rs, -EBADMSG, "%s of %" PRIu64 " bytes does not hold %" PRIu64 " bits",
                            name, size, bits);
        r = bitmap_new(bits, bpb, &b);
        if (r < 0)
                return fail(reason, rs, r,
                            "cannot allocate a bitmap of %" PRIu64 " bits: %s", bits, strerror(-r));
        buf = io_alloc(IO_CHUNK);
        if (!buf)
                return -ENOMEM;
        for (uint64_t done = 0; done < size;) {
                size_t n = (size_t) (size - done < IO_CHUNK ? size - done : IO_CHUNK);

                r = dev_pread(md, buf, n, off + done);
                if (r < 0)
                        return fail(reason, rs, r, "reading the %s at byte %" PRIu64 " of %s: %s",
                                    name, off + done, md->path, strerror(-r));
                r = bitmap_load_pages(b, done / BITMAP_PAGE_SIZE, buf, n, reason, rs);
                if (r < 0)
                        return r;
                done += n;
        }
        *ret = TAKE_PTR(b);
        return 0;
}

int64_t meta_write_bitmap_pages(struct meta_dev *md, const struct meta_super *sb,
                                enum meta_region which, struct bitmap *b) {
        _cleanup_free_ uint8_t *buf = NULL;
        uint64_t off, size, bits, bpb, npages = bitmap_pages(b), written = 0;
        int r;

        region_of(sb, which, &off, &size, &bits, &bpb);
        if (bitmap_size(b) != bits || bitmap_bytes_per_bit(b) != bpb)
                return -EINVAL;
        buf = io_alloc(IO_CHUNK);
        if (!buf)
                return -ENOMEM;
        for (uint64_t p = bitmap_next_dirty_page(b, 0); p < npages; p = bitmap_next_dirty_page(b, p)) {
                uint64_t q = p;

                /* A run of consecutive dirty pages is one write. Marked clean
                 * before the write so that changes made meanwhile (by a
                 * caller on another path) dirty the page again. */
                for (; q < npages && q - p < IO_CHUNK / BITMAP_PAGE_SIZE && bitmap_page_is_dirty(b, q); q++) {
                        bitmap_page_encode(b, q, buf + (q - p) * BITMAP_PAGE_SIZE);
                        bitmap_page_mark_clean(b, q);
                }
                r = dev_pwrite(md, buf, (size_t) ((q - p) * BITMAP_PAGE_SIZE), off + p * BITMAP_PAGE_SIZE);
                if (r < 0) {
                        for (; p < q; p++)
                                bitmap_page_mark_dirty(b, p);
                        return r;
                }
                written += q - p;
                p = q;
        }
        if (written > 0) {
                r = dev_sync(md);
                if (r < 0) {
                        /* Nothing is known durable: write it all again. */
                        bitmap_mark_all_dirty(b);
                        return r;
                }
        }
        return (int64_t) written;
}

/* ---- probing ---- */

struct signature {
        const char *name;
        uint32_t offset;
        const char *magic;
        uint8_t len;
};

/* Signatures looked for at the start of the backing store and of the
 * metadata slot. Offsets are those each format documents. */
static const struct signature signatures[] = {
        { "ext2/3/4 filesystem", 1080, "\x53\xef", 2 },
        { "XFS filesystem", 0, "XFSB", 4 },
        { "btrfs filesystem", 0x10040, "_BHRfS_M", 8 },
        { "swap space", 4086, "SWAPSPACE2", 10 },
        { "swap space", 4086, "SWAP-SPACE", 10 },
        { "swap space", 16374, "SWAPSPACE2", 10 },
        { "swap space", 65526, "SWAPSPACE2", 10 },
        { "LVM2 physical volume", 0, "LABELONE", 8 },
        { "LVM2 physical volume", 512, "LABELONE", 8 },
        { "LVM2 physical volume", 1024, "LABELONE", 8 },
        { "LVM2 physical volume", 1536, "LABELONE", 8 },
        { "LUKS encrypted volume", 0, "LUKS\xba\xbe", 6 },
        { "GPT partition table", 512, "EFI PART", 8 },
        { "GPT partition table", 4096, "EFI PART", 8 },
        { "tandem external metadata", 0, META_MAGIC, 8 },
};

/* Bytes read from the start of a device: covers every signature above. */
#define SIGNATURE_SPAN (UINT64_C(128) << 10)
/* Non-zero data in this much of the data area makes a store "used". */
#define DATA_SPAN (UINT64_C(1) << 20)

/* DRBD 8.4 and 9 metadata: a big-endian magic at byte 60 of its
 * superblock (DRBD_MAGIC + 4, + 5 for 8.4 unclean, + 6 for 9). */
static bool is_drbd_super(const uint8_t *block) {
        uint32_t m = get_be32(block + 60);

        return m == 0x8374026bu || m == 0x8374026cu || m == 0x8374026du;
}

static const char *scan_head(const uint8_t *buf, size_t len, bool skip_tandem, uint64_t *ret_off) {
        for (unsigned i = 0; i < ELEMENTSOF(signatures); i++) {
                const struct signature *s = &signatures[i];

                if (skip_tandem && strneq(s->name, "tandem", 6))
                        continue;
                if (s->offset + s->len <= len && memcmp(buf + s->offset, s->magic, s->len) == 0) {
                        *ret_off = s->offset;
                        return s->name;
                }
        }
        /* An MBR: the boot signature and at least one partition entry with
         * a type. (A bare boot signature is also on FAT boot sectors, which
         * the data check catches anyway.) */
        if (len >= 512 && buf[510] == 0x55 && buf[511] == 0xaa)
                for (unsigned i = 0; i < 4; i++)
                        if (buf[446 + 16 * i + 4] != 0) {
                                *ret_off = 510;
                                return "MBR partition table";
                        }
        return NULL;
}

static void probe_found(struct meta_probe *p, const char *name, bool on_md, uint64_t off,
                        const struct meta_dev *d) {
        p->kind = META_PROBE_SIGNATURE;
        p->signature = name;
        p->on_md_device = on_md;
        p->offset = off;
        reason_set(p->detail, sizeof(p->detail), "%s signature at byte %" PRIu64 " of %s",
                   name, off, d->path);
}

/* Signatures at the start of d from byte start, and DRBD's superblock
 * magic (or, on the backing store, tandem's internal one) in the block at
 * drbd_block (UINT64_MAX: do not look). 1 if found and p filled, 0 if
 * not, or a read error. */
static int probe_device(struct meta_probe *p, struct meta_dev *d, bool on_md, uint64_t start,
                        uint64_t drbd_block, uint8_t *buf) {
        uint64_t len = d->size - start, off;
        const char *name;
        int r;

        if (len > SIGNATURE_SPAN)
                len = SIGNATURE_SPAN;
        len = round_down(len);
        if (len > 0) {
                r = dev_pread(d, buf, (size_t) len, start);
                if (r < 0)
                        return r;
                name = scan_head(buf, (size_t) len, on_md, &off);
                if (name) {
                        probe_found(p, name, on_md, start + off, d);
                        return 1;
                }
        }
        if (drbd_block != UINT64_MAX) {
                r = dev_pread(d, buf, META_BLOCK_SIZE, drbd_block);
                if (r < 0)
                        return r;
                if (is_drbd_super(buf)) {
                        probe_found(p, "DRBD metadata", on_md, drbd_block + 60, d);
                        return 1;
                }
                if (!on_md && memcmp(buf, META_MAGIC, 8) == 0) {
                        /* Internal tandem metadata under an external configuration. */
                        probe_found(p, "tandem internal metadata", false, drbd_block, d);
                        return 1;
                }
        }
        return 0;
}

/* Non-zero bytes in the first DATA_SPAN of the data area: DATA or EMPTY. */
static int probe_data(struct meta_probe *p, struct meta_dev *backing, uint8_t *buf) {
        uint64_t len = round_down(backing->size < DATA_SPAN ? backing->size : DATA_SPAN);
        int r;

        r = dev_pread(backing, buf, (size_t) len, 0);
        if (r < 0)
                return r;
        for (uint64_t i = 0; i < len; i++)
                if (buf[i] != 0) {
                        p->kind = META_PROBE_DATA;
                        p->offset = i;
                        reason_set(p->detail, sizeof(p->detail), "non-zero data at byte %" PRIu64 " of %s",
                                   i, backing->path);
                        return 1;
                }
        reason_set(p->detail, sizeof(p->detail), "no signature, the first %" PRIu64 " bytes of %s are zero",
                   len, backing->path);
        return 0;
}

int meta_probe(struct meta_dev *backing, struct meta_dev *md, const struct meta_location *loc,
               struct meta_probe *ret) {
        _cleanup_free_ uint8_t *buf = NULL;
        struct meta_probe p = { .kind = META_PROBE_EMPTY };
        struct meta_dev *d = meta_dev_for(loc, backing, md);
        uint64_t end_block = UINT64_MAX, slot = 0;
        char why[META_REASON_SIZE] = "";
        int r;

        r = devices_ok(backing, md, loc, NULL, 0);
        if (r < 0)
                return r;
        r = meta_read(backing, md, loc, &p.super, why, sizeof(why));
        if (r == 0) {
                p.kind = META_PROBE_TANDEM;
                p.on_md_device = d != backing;
                p.offset = p.super.layout.sb_offset;
                reason_set(p.detail, sizeof(p.detail), "tandem %s metadata for %" PRIu64 " bytes of data",
                           meta_kind_to_string(loc->kind), p.super.layout.data_size);
                *ret = p;
                return 0;
        }
        if (r == -EBADMSG || r == -EPROTONOSUPPORT || r == -EINVAL) {
                p = (struct meta_probe) { .kind = META_PROBE_TANDEM_INVALID, .on_md_device = d != backing };
                (void) super_position(d, loc, &p.offset);
                reason_set(p.detail, sizeof(p.detail),
                           "unusable tandem metadata at byte %" PRIu64 " of %s: %s",
                           p.offset, d->path, why);
                *ret = p;
                return 0;
        }
        if (r != -ENODATA)
                return r;
        p = (struct meta_probe) { .kind = META_PROBE_EMPTY };

        buf = io_alloc(DATA_SPAN);
        if (!buf)
                return -ENOMEM;
        /* DRBD's internal superblock sits in the last 4 KiB-aligned block,
         * where tandem's own would be. */
        if (round_down(backing->size) >= 2 * META_BLOCK_SIZE)
                end_block = round_down(backing->size) - META_BLOCK_SIZE;
        r = probe_device(&p, backing, false, 0, end_block, buf);
        if (r == 0 && md && super_position(md, loc, &slot) == 0)
                r = probe_device(&p, md, true, slot, slot, buf);
        if (r == 0)
                r = probe_data(&p, backing, buf);
        if (r < 0)
                return r;
        *ret = p;
        return 0;
}

/* ---- create-md ---- */

static int zero_region(struct meta_dev *d, uint64_t off, uint64_t size, const uint8_t *zeros) {
        for (uint64_t done = 0; done < size;) {
                size_t n = (size_t) (size - done < IO_CHUNK ? size - done : IO_CHUNK);
                int r = dev_pwrite(d, zeros, n, off + done);

                if (r < 0)
                        return r;
                done += n;
        }
        return 0;
}

int meta_create(struct meta_dev *backing, struct meta_dev *md, const struct meta_location *loc,
                const struct meta_create_params *params, struct meta_super *ret,
                char *reason, size_t rs) {
        _cleanup_free_ uint8_t *zeros = NULL;
        _cleanup_free_ struct meta_probe *probe = NULL;
        struct meta_dev *d = meta_dev_for(loc, backing, md);
        struct meta_layout l;
        struct meta_super sb;
        uint64_t uuid = 0;
        int r;

        r = devices_ok(backing, md, loc, reason, rs);
        if (r < 0)
                return r;
        if (params->node_id > META_NODE_ID_MAX)
                return fail(reason, rs, -EINVAL,
                            "node id %" PRIu32 " is above %u", params->node_id, META_NODE_ID_MAX);
        if (!d->writable)
                return fail(reason, rs, -EBADF, "%s is open read-only", d->path);
        r = meta_layout_compute(backing->size, loc, md ? md->size : 0, params->wi_chunk_size, &l, reason, rs);
        if (r < 0)
                return r;

        probe = malloc(sizeof(*probe));
        if (!probe)
                return -ENOMEM;
        r = meta_probe(backing, md, loc, probe);
        if (r < 0)
                return fail(reason, rs, r, "probing %s: %s", d->path, strerror(-r));
        if (!params->force) {
                switch (probe->kind) {
                case META_PROBE_EMPTY:
                        break;
                case META_PROBE_TANDEM:
                case META_PROBE_TANDEM_INVALID:
                        return fail(reason, rs, -EEXIST,
                                    "%s; refusing to overwrite without force", probe->detail);
                case META_PROBE_SIGNATURE:
                        return fail(reason, rs, -EMEDIUMTYPE, "found %s; refusing to overwrite without force",
                                    probe->detail);
                case META_PROBE_DATA:
                        return fail(reason, rs, -ENOTEMPTY, "found %s; refusing to overwrite without force",
                                    probe->detail);
                }
        }

        while (uuid == 0)
                if (getrandom(&uuid, sizeof(uuid), 0) != (ssize_t) sizeof(uuid))
                        return fail(reason, rs, -errno, "getrandom: %m");
        zeros = io_alloc(IO_CHUNK);
        if (!zeros)
                return -ENOMEM;

        /* Old superblock first: a crash part way then leaves no metadata
         * rather than an old superblock over freshly zeroed bitmaps. */
        r = zero_region(d, l.sb_offset, META_SUPER_SIZE, zeros);
        if (r >= 0)
                r = dev_sync(d);
        if (r >= 0)
                r = zero_region(d, l.wi_offset, l.wi_size, zeros);
        if (r >= 0)
                r = zero_region(d, l.bm_offset, l.bm_size, zeros);
        if (r >= 0)
                r = dev_sync(d);
        if (r < 0)
                return fail(reason, rs, r, "clearing the metadata area of %s: %s", d->path, strerror(-r));

        meta_super_init(&sb, &l, params->node_id, uuid);
        r = meta_write_super(d, &sb, reason, rs);
        if (r < 0)
                return r;
        if (ret)
                *ret = sb;
        return 0;
}
