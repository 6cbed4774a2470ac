/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tandem-diskd's on-disk metadata: where it lives (internal, external
 * flexible, external indexed), the superblock format, and synchronous IO
 * helpers for create-md, probing and attach. Format: docs/disk-format.md. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bitmap.h"
#include "util.h"

#define META_BLOCK_SIZE 4096u           /* alignment of every region, bytes per bitmap bit */
#define META_SUPER_SIZE 4096u
#define META_MAGIC "TANDEMMD"           /* 8 bytes at offset 0 of the superblock */
#define META_VERSION 1u
#define META_DATA_SIZE_MIN (UINT64_C(1) << 20)
/* 2^40 bits of 4 KiB (4 PiB): the rest of a larger device is unused. */
#define META_DATA_SIZE_MAX (BITMAP_MAX_BITS * META_BLOCK_SIZE)
#define META_WI_CHUNK_DEFAULT (UINT32_C(4) << 20)
#define META_WI_CHUNK_MIN META_BLOCK_SIZE
#define META_WI_CHUNK_MAX (UINT32_C(1) << 30)
#define META_INDEXED_SLOT_SIZE (UINT64_C(128) << 20)
#define META_HISTORY_UUIDS 4
#define META_MAX_PEERS 4
#define META_NODE_ID_MAX 31u
/* DRBD's UUID_JUST_CREATED: the current UUID of metadata that never held
 * data of any generation. */
#define META_UUID_JUST_CREATED UINT64_C(4)
/* Enough for every message this module writes to a reason buffer. */
#define META_REASON_SIZE 256

enum meta_kind {
        META_INTERNAL = 1,              /* meta-disk internal; */
        META_EXTERNAL_FLEX = 2,         /* meta-disk PATH; */
        META_EXTERNAL_INDEXED = 3,      /* meta-disk PATH [INDEX]; */
};

/* Where a volume's metadata lives, as drbd.conf's meta-disk says. */
struct meta_location {
        enum meta_kind kind;
        uint32_t index;                 /* slot, META_EXTERNAL_INDEXED only; else 0 */
};

/* Superblock flags; the values are DRBD's MDF_* where DRBD has one. What
 * each means is in docs/disk-format.md. */
enum {
        META_F_CONSISTENT      = 1u << 0,
        META_F_PRIMARY_IND     = 1u << 1,
        META_F_CONNECTED_IND   = 1u << 2,
        META_F_FULL_SYNC       = 1u << 3,
        META_F_WAS_UP_TO_DATE  = 1u << 4,
        META_F_PEER_OUTDATED   = 1u << 5,
        META_F_CRASHED_PRIMARY = 1u << 6,
        META_F_CLEAN_SHUTDOWN  = 1u << 7,
        META_F_LOST_PEER_AS_PRIMARY = 1u << 8,
        META_F_ALL             = (1u << 9) - 1,
};

/* Flags of a peer slot. A slot without META_PEER_EXISTS is all zero. */
enum {
        META_PEER_EXISTS    = 1u << 0,
        META_PEER_CONNECTED = 1u << 1,
        META_PEER_OUTDATED  = 1u << 2,
        META_PEER_FULL_SYNC = 1u << 3,
        META_PEER_ALL       = (1u << 4) - 1,
};

/* Offsets and sizes of every region, in bytes. The data area is always
 * [0, data_size) of the backing store; the other regions are on the
 * metadata device (the backing store itself when internal). */
struct meta_layout {
        enum meta_kind kind;
        uint32_t index;
        uint64_t backing_size;          /* backing store size the layout was computed for */
        uint64_t md_device_size;        /* same for the metadata device (== backing_size if internal) */
        uint64_t data_size;             /* usable bytes, a multiple of 4096 */
        uint64_t md_offset, md_size;    /* the whole metadata area */
        uint64_t sb_offset;             /* superblock, META_SUPER_SIZE bytes */
        uint64_t wi_offset, wi_size;    /* write-intent bitmap region */
        uint64_t wi_bits;               /* one per chunk of data, the last one maybe partial */
        uint32_t wi_chunk_size;         /* bytes of data per write-intent bit, a power of two */
        uint64_t bm_offset, bm_size;    /* out-of-sync bitmap region */
        uint64_t bm_bits;               /* one per 4 KiB block of data */
};

struct meta_peer {
        uint32_t node_id;
        uint32_t flags;                 /* META_PEER_* */
        uint64_t bitmap_uuid;
};

/* The superblock, host-endian. The on-disk bytes are written only by
 * meta_super_encode(). */
struct meta_super {
        uint32_t flags;                 /* META_F_* */
        uint32_t node_id;               /* this node, 0..META_NODE_ID_MAX */
        uint64_t device_uuid;           /* random, fixed at create: names this metadata */
        uint64_t current_uuid;
        uint64_t bitmap_uuid;
        uint64_t history_uuids[META_HISTORY_UUIDS];
        uint64_t created_size;          /* backing store size at create-md */
        uint64_t la_size;               /* last agreed size, 0 = never agreed */
        struct meta_layout layout;
        struct meta_peer peers[META_MAX_PEERS];
};

/* Names for messages and dumps: "internal", "consistent", ... NULL for an
 * unknown kind or a value that is not exactly one known flag. */
const char *meta_kind_to_string(enum meta_kind kind);
const char *meta_flag_to_string(uint32_t flag);
const char *meta_peer_flag_to_string(uint32_t flag);

/* CRC32C (Castagnoli), chained like zlib's crc32(): start with crc = 0.
 * meta_crc32c(0, "123456789", 9) == 0xe3069283. */
uint32_t meta_crc32c(uint32_t crc, const void *data, size_t len);

/* Computes every region for a backing store of backing_size bytes and
 * metadata at loc; md_device_size is the size of the meta-disk (ignored
 * when internal); wi_chunk_size 0 means META_WI_CHUNK_DEFAULT. Internal:
 * the data area takes what the metadata leaves, rounded down to 4096.
 * Flexible: the data area is the whole backing store rounded down and the
 * metadata takes what it needs from offset 0 of the meta-disk. Data areas
 * stop at META_DATA_SIZE_MAX. Indexed:
 * the slot of META_INDEXED_SLOT_SIZE bytes at index * slot size bounds the
 * data area to meta_indexed_max_data_size(); a larger backing store is
 * used only up to that bound (as DRBD does). Errors, with a message in
 * reason: -EINVAL (bad loc or chunk size), -ENOSPC (a device too small;
 * the message names the minimum). */
int meta_layout_compute(uint64_t backing_size, const struct meta_location *loc,
                        uint64_t md_device_size, uint32_t wi_chunk_size,
                        struct meta_layout *ret, char *reason, size_t reason_size);

/* The largest data area an indexed slot can describe with this chunk
 * size (0 = default): a little under 4 TiB. 0 for an invalid chunk size. */
uint64_t meta_indexed_max_data_size(uint32_t wi_chunk_size);

/* The smallest backing store internal metadata accepts (data area of
 * META_DATA_SIZE_MIN plus its metadata). */
uint64_t meta_internal_min_backing_size(void);

/* Fills sb for metadata that was just created on layout: not consistent,
 * clean shutdown, current UUID META_UUID_JUST_CREATED, all other UUIDs 0,
 * la_size 0, no peers, created_size = layout->backing_size. */
void meta_super_init(struct meta_super *sb, const struct meta_layout *layout,
                     uint32_t node_id, uint64_t device_uuid);

/* Writes the META_SUPER_SIZE-byte on-disk form of sb (little-endian,
 * reserved bytes zero, checksum last). Does not validate: an invalid sb
 * encodes to bytes that meta_super_decode() rejects. */
void meta_super_encode(const struct meta_super *sb, uint8_t *buf);

/* Parses and validates a superblock: length, magic, version, checksum,
 * flags, node ids, and every size and offset against the others (regions
 * inside the metadata area and the recorded device size, no overlaps,
 * bitmap sizes matching the data size). Errors, with a message naming the
 * field in reason: -ENODATA (no tandem magic: not tandem metadata),
 * -EPROTONOSUPPORT (a version this build does not read), -EBADMSG
 * (anything else: truncated, checksum, inconsistent). */
int meta_super_decode(const uint8_t *buf, size_t len, struct meta_super *ret,
                      char *reason, size_t reason_size);

/* An open backing store or meta-disk. */
struct meta_dev {
        int fd;
        char *path;
        uint64_t size;                  /* bytes: fstat or BLKGETSIZE64 */
        bool block_device;
        bool direct;                    /* opened with O_DIRECT */
        bool writable;
};

enum {
        META_DEV_WRITE     = 1u << 0,   /* open read-write */
        META_DEV_EXCL      = 1u << 1,   /* O_EXCL on a block device: fails if mounted or held */
        META_DEV_NO_DIRECT = 1u << 2,   /* do not try O_DIRECT */
};

/* Opens a regular file or block device. Tries O_DIRECT first (unless
 * META_DEV_NO_DIRECT) and falls back to buffered IO where the file system
 * refuses it or the logical block size exceeds 4096; ret->direct says
 * which. -EMEDIUMTYPE for anything but a regular file or block device,
 * else the errno of open/ioctl. Free with meta_dev_free(). */
int meta_dev_open(const char *path, unsigned flags, struct meta_dev **ret);

/* Closes and frees d. NULL is allowed. */
void meta_dev_free(struct meta_dev *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct meta_dev *, meta_dev_free);
#define _cleanup_meta_dev_ _cleanup_(meta_dev_freep)

/* The device that holds the metadata for loc: backing when internal. */
static inline struct meta_dev *meta_dev_for(const struct meta_location *loc,
                                            struct meta_dev *backing, struct meta_dev *md) {
        return loc->kind == META_INTERNAL ? backing : md;
}

/* Reads and validates the superblock for loc: internal metadata from the
 * last 4 KiB block of backing, external from the start of the meta-disk
 * or of its slot (md is NULL when internal). Beyond meta_super_decode()
 * checks that the superblock is of the configured kind and index, sits
 * where it says it does (a device that was resized or copied elsewhere
 * fails here), and that its regions fit the devices as they are now.
 * Errors as meta_super_decode() (-ENODATA also when the device is too
 * small to hold a superblock there), plus -EINVAL (metadata of another
 * kind or slot than loc, or md given/missing wrongly), -EIO and other
 * read errors; reason says what. */
int meta_read(struct meta_dev *backing, struct meta_dev *md, const struct meta_location *loc,
              struct meta_super *ret, char *reason, size_t reason_size);

/* Validates sb (-EINVAL with reason if meta_super_decode would reject its
 * encoding, -ENOSPC if it does not fit md), writes it at its sb_offset on
 * md (the metadata device) and fdatasyncs. */
int meta_write_super(struct meta_dev *md, const struct meta_super *sb,
                     char *reason, size_t reason_size);

enum meta_region {
        META_REGION_WRITE_INTENT,
        META_REGION_BITMAP,
};

/* A new all-clear in-memory bitmap of the size and granularity of region
 * which of sb. -ENOMEM. */
int meta_bitmap_new(const struct meta_super *sb, enum meta_region which, struct bitmap **ret);

/* Byte offset on the metadata device of page of region which: where the
 * daemon writes bitmap_page_encode()'s output. */
uint64_t meta_bitmap_page_offset(const struct meta_super *sb, enum meta_region which,
                                 uint64_t page);

/* Reads region which of sb from md into a new bitmap. The region is
 * checked against md's real size before anything is allocated. Errors
 * with reason: -EBADMSG (region beyond the device, bits past the end
 * set), -ENOMEM, read errors. */
int meta_read_bitmap(struct meta_dev *md, const struct meta_super *sb, enum meta_region which,
                     struct bitmap **ret, char *reason, size_t reason_size);

/* Writes every dirty page of b to region which on md, marks them clean
 * and fdatasyncs. Returns the number of pages written, -EINVAL if b does
 * not have the region's size and granularity, or the write error (the
 * pages not known written stay dirty). */
int64_t meta_write_bitmap_pages(struct meta_dev *md, const struct meta_super *sb,
                                enum meta_region which, struct bitmap *b);

enum meta_probe_kind {
        META_PROBE_EMPTY,               /* nothing recognized, first MiB of data all zero */
        META_PROBE_TANDEM,              /* valid tandem metadata for loc: super is filled */
        META_PROBE_TANDEM_INVALID,      /* tandem magic present, unusable: detail says why */
        META_PROBE_SIGNATURE,           /* another format's signature: signature, offset */
        META_PROBE_DATA,                /* a non-zero byte in the first MiB of the data area */
};

struct meta_probe {
        enum meta_probe_kind kind;
        struct meta_super super;        /* META_PROBE_TANDEM */
        const char *signature;          /* META_PROBE_SIGNATURE: "XFS filesystem", ... */
        bool on_md_device;              /* found on the meta-disk, not the backing store */
        uint64_t offset;                /* SIGNATURE, DATA: byte offset on that device */
        char detail[META_REASON_SIZE];  /* one line for a human, every kind */
};

/* Looks at what is on the devices for loc (md NULL when internal), in this
 * order: tandem metadata at loc's superblock position; signatures of
 * ext2/3/4, XFS, btrfs, swap, LVM2, LUKS, MBR and GPT partition tables,
 * DRBD metadata and tandem metadata of another kind on the backing store
 * (and at the slot on the meta-disk); non-zero bytes in the first MiB of
 * the data area. Returns 0 with ret filled, or a read error. */
int meta_probe(struct meta_dev *backing, struct meta_dev *md, const struct meta_location *loc,
               struct meta_probe *ret);

struct meta_create_params {
        uint32_t node_id;               /* this node, 0..META_NODE_ID_MAX */
        uint32_t wi_chunk_size;         /* 0: META_WI_CHUNK_DEFAULT */
        bool force;                     /* overwrite whatever meta_probe found */
};

/* create-md for one volume: computes the layout, refuses with a reason
 * when the devices are too small (-ENOSPC, even with force) or, unless
 * force, when meta_probe finds tandem metadata, valid or not (-EEXIST),
 * another format's signature (-EMEDIUMTYPE) or non-zero data (-ENOTEMPTY).
 * Then zeroes the old superblock position, the write-intent and bitmap
 * regions, fdatasyncs, and writes the fresh superblock (meta_super_init,
 * random device UUID) last, fdatasynced. -EINVAL for a bad node id or a
 * missing/extra md for loc. On success fills ret (may be NULL). */
int meta_create(struct meta_dev *backing, struct meta_dev *md, const struct meta_location *loc,
                const struct meta_create_params *params, struct meta_super *ret,
                char *reason, size_t reason_size);
