/* SPDX-License-Identifier: GPL-2.0-or-later */
/* records.c: the test guest's writer (statically linked into its
 * initramfs as /bin/tandem-records). Writes sequence-numbered, checksummed
 * 4 KiB records to a block device with O_DIRECT|O_DSYNC and prints
 * "ACK SEQ BOOT" on the console once each one is durable; the format is in
 * docs/guest-records.md and tests/vm/records.py verifies it. */
#define _GNU_SOURCE /* O_DIRECT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define RECORD_SIZE 4096
#define RECORD_MAGIC "TNDMREC1"
#define BOOT_ID_LEN 36
#define CRC_OFFSET (RECORD_SIZE - 4)
#define SCAN_CHUNK (256 * RECORD_SIZE)

/* CRC-32 as zlib computes it (reflected polynomial 0xEDB88320), so that
 * Python's zlib.crc32 checks it. */
static uint32_t crc32(const unsigned char *p, size_t len) {
        uint32_t c = 0xFFFFFFFFu;

        while (len--) {
                c ^= *p++;
                for (int k = 0; k < 8; k++)
                        c = (c >> 1) ^ (0xEDB88320u & -(c & 1));
        }
        return ~c;
}

static void put_le64(unsigned char *p, uint64_t v) {
        for (int i = 0; i < 8; i++)
                p[i] = (unsigned char) (v >> (8 * i));
}

static uint64_t get_le64(const unsigned char *p) {
        uint64_t v = 0;

        for (int i = 7; i >= 0; i--)
                v = (v << 8) | p[i];
        return v;
}

static void put_le32(unsigned char *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (unsigned char) (v >> (8 * i));
}

static uint32_t get_le32(const unsigned char *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

/* Layout: magic[8] seq[8] boot_id[36] pad[4] time_ns[8] payload[4024] crc[4]. */
static void record_fill(unsigned char *r, uint64_t seq, const char *boot_id) {
        struct timespec ts;

        memset(r, 0, RECORD_SIZE);
        memcpy(r, RECORD_MAGIC, 8);
        put_le64(r + 8, seq);
        memcpy(r + 16, boot_id, BOOT_ID_LEN);
        clock_gettime(CLOCK_REALTIME, &ts);
        put_le64(r + 56, (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec);
        for (size_t i = 64; i < CRC_OFFSET; i++)
                r[i] = (unsigned char) (seq + i);
        put_le32(r + CRC_OFFSET, crc32(r, CRC_OFFSET));
}

static int record_valid(const unsigned char *r, uint64_t *ret_seq) {
        if (memcmp(r, RECORD_MAGIC, 8) != 0 || get_le32(r + CRC_OFFSET) != crc32(r, CRC_OFFSET))
                return 0;
        *ret_seq = get_le64(r + 8);
        return 1;
}

/* The sequence number after the highest intact record on the device, so
 * that a rebooted guest continues the sequence rather than restarting. */
static uint64_t next_seq(int fd, uint64_t slots, unsigned char *buf) {
        uint64_t next = 0, seq;

        for (uint64_t off = 0; off < slots * RECORD_SIZE; off += SCAN_CHUNK) {
                ssize_t n = pread(fd, buf, SCAN_CHUNK, (off_t) off);
                if (n <= 0)
                        break;
                for (ssize_t i = 0; i + RECORD_SIZE <= n; i += RECORD_SIZE)
                        if (record_valid(buf + i, &seq) && seq + 1 > next)
                                next = seq + 1;
        }
        return next;
}

static int read_boot_id(char *id) {
        FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
        int ok = f && fread(id, 1, BOOT_ID_LEN, f) == BOOT_ID_LEN;

        if (f)
                fclose(f);
        id[BOOT_ID_LEN] = '\0';
        return ok ? 0 : -1;
}

int main(int argc, char **argv) {
        unsigned long long count, interval_ms;
        char boot_id[BOOT_ID_LEN + 1];
        unsigned char *buf;
        uint64_t size, slots, seq;
        int fd;

        if (argc != 4) {
                fprintf(stderr, "usage: tandem-records DEVICE COUNT INTERVAL_MS (COUNT 0: forever)\n");
                return 2;
        }
        count = strtoull(argv[2], NULL, 10);
        interval_ms = strtoull(argv[3], NULL, 10);
        if (read_boot_id(boot_id) < 0) {
                printf("GUEST-ERROR no boot id\n");
                return 1;
        }
        fd = open(argv[1], O_RDWR | O_DIRECT | O_DSYNC | O_CLOEXEC);
        if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) < 0) {
                printf("GUEST-ERROR open %s: %s\n", argv[1], strerror(errno));
                return 1;
        }
        slots = size / RECORD_SIZE;
        if (slots == 0 || posix_memalign((void **) &buf, RECORD_SIZE, SCAN_CHUNK) != 0) {
                printf("GUEST-ERROR %s too small or no memory\n", argv[1]);
                return 1;
        }
        seq = next_seq(fd, slots, buf);
        printf("RECORDS-START boot=%s first=%" PRIu64 " slots=%" PRIu64 "\n", boot_id, seq, slots);
        fflush(stdout);

        for (unsigned long long i = 0; count == 0 || i < count; i++, seq++) {
                record_fill(buf, seq, boot_id);
                if (pwrite(fd, buf, RECORD_SIZE, (off_t) ((seq % slots) * RECORD_SIZE)) != RECORD_SIZE) {
                        printf("GUEST-ERROR write %" PRIu64 ": %s\n", seq, strerror(errno));
                        return 1;
                }
                /* O_DSYNC made the write durable before pwrite returned. */
                printf("ACK %" PRIu64 " %s\n", seq, boot_id);
                fflush(stdout);
                if (interval_ms)
                        usleep((useconds_t) (interval_ms * 1000));
        }
        printf("RECORDS-END last=%" PRIu64 "\n", seq - 1);
        return 0;
}
