/* cib_store.c: the CIB on disk, with checksum and previous versions (see
 * cib_store.h). */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cib_store.h"
#include "util.h"

struct cib_store {
        char *dir;
        unsigned keep;
        uint64_t next_seq;    /* N of the next cib-N.xml */
};

/* N when name is "cib-N.xml", else -1. */
static int64_t backup_seq(const char *name) {
        const char *p = startswith(name, "cib-");
        char digits[21];
        size_t n;
        uint64_t seq;

        if (!p)
                return -1;
        n = strspn(p, "0123456789");
        if (n == 0 || n >= sizeof(digits) || !streq(p + n, ".xml"))
                return -1;
        memcpy(digits, p, n);
        digits[n] = '\0';
        if (parse_u64(digits, &seq) < 0 || seq > INT64_MAX)
                return -1;
        return (int64_t) seq;
}

static int cmp_desc(const void *a, const void *b) {
        int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
        return x < y ? 1 : x > y ? -1 : 0;
}

/* The N of every backup, highest first, in a malloc'd array. */
static int list_backups(const char *dir, int64_t **ret, size_t *ret_n) {
        DIR *d = opendir(dir);
        _cleanup_free_ int64_t *seqs = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;

        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                int64_t seq = backup_seq(de->d_name);
                if (seq < 0)
                        continue;
                if (n == cap) {
                        size_t ncap = cap ? 2 * cap : 8;
                        int64_t *p = reallocarray(seqs, ncap, sizeof(*p));
                        if (!p) {
                                closedir(d);
                                return -ENOMEM;
                        }
                        seqs = p;
                        cap = ncap;
                }
                seqs[n++] = seq;
        }
        closedir(d);
        if (n > 0)
                qsort(seqs, n, sizeof(*seqs), cmp_desc);
        *ret = TAKE_PTR(seqs);
        *ret_n = n;
        return 0;
}

int cib_store_open(const char *dir, unsigned keep, struct cib_store **ret) {
        struct cib_store *s;
        _cleanup_free_ int64_t *seqs = NULL;
        size_t n = 0;
        int r;

        /* The directory is made by the first save, not here: loading
         * from a directory that is not there is an empty CIB. */
        r = list_backups(dir, &seqs, &n);
        if (r < 0 && r != -ENOENT)
                return r;
        s = calloc(1, sizeof(*s));
        if (!s || !(s->dir = strdup(dir))) {
                free(s);
                return -ENOMEM;
        }
        s->keep = keep ? keep : 1;
        s->next_seq = n > 0 ? (uint64_t) seqs[0] + 1 : 1;
        *ret = s;
        return 0;
}

void cib_store_free(struct cib_store *s) {
        if (!s)
                return;
        free(s->dir);
        free(s);
}

const char *cib_store_dir(const struct cib_store *s) {
        return s->dir;
}

int cib_store_format(xmlDoc *doc, char **ret, size_t *ret_len) {
        _cleanup_xmldoc_ xmlDoc *copy = xmlCopyDoc(doc, 1);
        _cleanup_free_ char *text = NULL;
        char digest[CIB_DIGEST_LEN];
        xmlNode *status;
        size_t len;
        char *out;
        int r;

        if (!copy)
                return -ENOMEM;
        status = cib_doc_child(xmlDocGetRootElement(copy), "status");
        while (status && status->children) {
                xmlNode *c = status->children;
                xmlUnlinkNode(c);
                xmlFreeNode(c);
        }
        r = cib_doc_dump(copy, &text, &len);
        if (r < 0)
                return r;
        r = cib_digest_bytes(text, len, digest);
        if (r < 0)
                return r;
        out = strjoin(text, CIB_STORE_SUM_PREFIX, digest, CIB_STORE_SUM_SUFFIX, NULL);
        if (!out)
                return -ENOMEM;
        *ret = out;
        *ret_len = strlen(out);
        return 0;
}

/* Split data at its checksum line: the length it covers and the digest it
 * states. 0 when there is none. */
static bool find_checksum(const char *data, size_t len, size_t *ret_covered, char digest[CIB_DIGEST_LEN]) {
        const char *line = NULL;
        size_t plen = strlen(CIB_STORE_SUM_PREFIX);

        for (const char *p = data; (p = strstr(p, CIB_STORE_SUM_PREFIX)); p++)
                line = p;
        if (!line)
                return false;
        *ret_covered = (size_t) (line - data);
        memset(digest, 0, CIB_DIGEST_LEN);
        if (len - *ret_covered - plen < CIB_DIGEST_LEN - 1)
                return true;    /* a cut-off digest: reads as a mismatch */
        memcpy(digest, line + plen, CIB_DIGEST_LEN - 1);
        return true;
}

int cib_store_read_file(const char *path, xmlDoc **ret, bool *ret_signed, char *why, size_t why_size) {
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r;

        r = read_file(path, &data, &len);
        if (r < 0)
                return format_error(why, why_size, r, "cannot read it: %s", strerror(-r));
        return cib_store_parse_text(data, len, ret, ret_signed, why, why_size);
}

int cib_store_parse_text(const char *data, size_t len, xmlDoc **ret, bool *ret_signed, char *why,
                         size_t why_size) {
        char stated[CIB_DIGEST_LEN], actual[CIB_DIGEST_LEN];
        size_t covered;
        bool is_signed;
        int r;

        if (data[len] != '\0' || len != strlen(data))
                return format_error(why, why_size, -EBADMSG, "it holds NUL bytes (corrupt)");
        is_signed = find_checksum(data, len, &covered, stated);
        if (is_signed) {
                r = cib_digest_bytes(data, covered, actual);
                if (r < 0)
                        return r;
                if (!streq(stated, actual))
                        return format_error(why, why_size, -EBADMSG,
                                            "checksum mismatch (truncated or corrupt)");
                if (!streq(data + covered + strlen(CIB_STORE_SUM_PREFIX) + CIB_DIGEST_LEN - 1,
                           CIB_STORE_SUM_SUFFIX))
                        return format_error(why, why_size, -EBADMSG, "damaged checksum line");
        } else
                covered = len;
        r = cib_doc_parse(data, covered, ret, why, why_size);
        if (r < 0)
                return r;
        if (ret_signed)
                *ret_signed = is_signed;
        return 0;
}

static char *path_of(const struct cib_store *s, const char *name) {
        return strjoin(s->dir, "/", name, NULL);
}

static char *backup_path(const struct cib_store *s, uint64_t seq) {
        char name[40];

        snprintf(name, sizeof(name), "cib-%" PRIu64 ".xml", seq);
        return path_of(s, name);
}

/* Try one file; on failure add a report line. */
static int try_file(const char *path, const char *name, xmlDoc **ret, struct buf *report) {
        char why[256];
        bool is_signed = true;
        int r = cib_store_read_file(path, ret, &is_signed, why, sizeof(why));

        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                if (report && buf_printf(report, "%s: %s; passed over\n", name, why) < 0)
                        return -ENOMEM;
                return r;
        }
        if (!is_signed && report && buf_printf(report, "%s: no checksum line (written by hand?); used as it is\n",
                                               name) < 0)
                return -ENOMEM;
        return 0;
}

int cib_store_load(struct cib_store *s, xmlDoc **ret_doc, char **ret_source, struct buf *report) {
        _cleanup_free_ char *main_path = path_of(s, "cib.xml");
        _cleanup_free_ int64_t *seqs = NULL;
        bool any = false;
        xmlDoc *doc = NULL;
        size_t n;
        int r;

        if (!main_path)
                return -ENOMEM;
        if (access(main_path, F_OK) == 0) {
                any = true;
                r = try_file(main_path, "cib.xml", &doc, report);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0) {
                        char *src = strdup("cib.xml");
                        if (!src) {
                                xmlFreeDoc(doc);
                                return -ENOMEM;
                        }
                        *ret_doc = doc;
                        *ret_source = src;
                        return 0;
                }
                /* Out of the way, so that the next save does not keep it as
                 * a version, but left for a person to look at. */
                _cleanup_free_ char *corrupt = path_of(s, "cib.xml.corrupt");
                if (!corrupt)
                        return -ENOMEM;
                if (rename(main_path, corrupt) < 0)
                        return -errno;
                if (report && buf_printf(report, "cib.xml: kept as cib.xml.corrupt\n") < 0)
                        return -ENOMEM;
        }
        r = list_backups(s->dir, &seqs, &n);
        if (r == -ENOENT)
                n = 0;
        else if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = backup_path(s, (uint64_t) seqs[i]);
                char *name;

                if (!path)
                        return -ENOMEM;
                any = true;
                r = try_file(path, strrchr(path, '/') + 1, &doc, report);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        continue;
                name = strdup(strrchr(path, '/') + 1);
                if (!name) {
                        xmlFreeDoc(doc);
                        return -ENOMEM;
                }
                *ret_doc = doc;
                *ret_source = name;
                return 0;
        }
        if (any)
                return -ENODATA;
        r = cib_doc_new_empty(&doc);
        if (r < 0)
                return r;
        *ret_doc = doc;
        *ret_source = NULL;
        return 0;
}

/* Remove the backups beyond the newest s->keep. */
static void prune(struct cib_store *s) {
        _cleanup_free_ int64_t *seqs = NULL;
        size_t n;

        if (list_backups(s->dir, &seqs, &n) < 0)
                return;
        for (size_t i = s->keep; i < n; i++) {
                _cleanup_free_ char *path = backup_path(s, (uint64_t) seqs[i]);
                if (path)
                        (void) unlink(path);
        }
}

int cib_store_save(struct cib_store *s, xmlDoc *doc) {
        _cleanup_free_ char *main_path = path_of(s, "cib.xml");
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        if (!main_path)
                return -ENOMEM;
        r = cib_store_format(doc, &text, &len);
        if (r >= 0)
                r = mkdir_p(s->dir, 0750);
        if (r < 0)
                return r;
        /* The current file becomes a version: a hard link, so that cib.xml
         * exists at every instant. */
        if (access(main_path, F_OK) == 0) {
                _cleanup_free_ char *backup = backup_path(s, s->next_seq);
                if (!backup)
                        return -ENOMEM;
                (void) unlink(backup);
                if (link(main_path, backup) < 0)
                        return -errno;
                s->next_seq++;
        }
        r = write_file_atomic(main_path, text, len, 0640);
        if (r < 0)
                return r;
        prune(s);
        return 0;
}
