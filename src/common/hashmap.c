/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Insertion-ordered hash map laid out like CPython's dict: a dense array of
 * entries in insertion order, and a sparse open-addressing index whose
 * slots point into it. See hashmap.h for the contracts.
 *
 * Removal clears the entry (key = NULL) and turns its index slot into a
 * tombstone, so entries never move while the map only shrinks; that is
 * what makes removal during iteration safe. Growth rebuilds both arrays,
 * dropping the cleared entries. Every used entry (live or cleared) owns
 * exactly one non-empty index slot, and the entries array holds at most
 * 3/4 of the index size, so a probe always reaches an empty slot. */

#include "hashmap.h"

#define INDEX_MIN 8

/* Index slot values: 0 is empty, 1 a tombstone, i + 2 points at entry i. */
#define SLOT_EMPTY 0
#define SLOT_DUMMY 1
#define SLOT_BASE  2

struct entry {
        char *key;      /* NULL once removed */
        void *value;
        uint64_t hash;
};

struct hashmap {
        struct entry *entries;
        size_t n_used;          /* entries[0..n_used) are live or cleared */
        size_t n_live;
        size_t *index;
        size_t index_size;      /* power of two */
        void (*free_value)(void *value);
};

/* FNV-1a. Keys come from configuration and the cluster, not from
 * untrusted clients, so a keyed hash is not needed against flooding. */
static uint64_t hash_key(const char *key) {
        uint64_t h = UINT64_C(0xcbf29ce484222325);

        for (const unsigned char *p = (const unsigned char *) key; *p; p++) {
                h ^= *p;
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}

static size_t entries_capacity(size_t index_size) {
        return index_size / 4 * 3;
}

/* CPython's probe sequence: mixes in the high bits of the hash first, then
 * degenerates to i = 5i + 1, which visits every slot of a power-of-two
 * table. */
#define PROBE_FOREACH(i, perturb, hash, mask)                                  \
        for (size_t perturb = (size_t) (hash), i = perturb & (mask);           \
             ;                                                                 \
             perturb >>= 5, i = (i * 5 + perturb + 1) & (mask))

/* Returns the index slot holding key, or the empty slot where the probe
 * for it ended (*found tells which). */
static size_t lookup(const struct hashmap *m, const char *key, uint64_t hash, bool *found) {
        size_t mask = m->index_size - 1;

        PROBE_FOREACH(i, perturb, hash, mask) {
                size_t s = m->index[i];
                const struct entry *e;

                if (s == SLOT_EMPTY) {
                        *found = false;
                        return i;
                }
                if (s == SLOT_DUMMY)
                        continue;
                e = &m->entries[s - SLOT_BASE];
                if (e->hash == hash && streq(e->key, key)) {
                        *found = true;
                        return i;
                }
        }
}

static size_t find_empty_slot(const size_t *index, size_t index_size, uint64_t hash) {
        size_t mask = index_size - 1;

        PROBE_FOREACH(i, perturb, hash, mask)
                if (index[i] == SLOT_EMPTY)
                        return i;
}

/* Rebuilds the map with room for at least need live entries, compacting
 * out the removed ones. */
static int resize(struct hashmap *m, size_t need) {
        size_t size = INDEX_MIN, j = 0;
        struct entry *entries;
        size_t *index;

        while (entries_capacity(size) < need) {
                if (size > SIZE_MAX / 2 / sizeof(size_t))
                        return -ENOMEM;
                size *= 2;
        }
        index = calloc(size, sizeof(size_t));
        if (!index)
                return -ENOMEM;
        entries = calloc(entries_capacity(size), sizeof(struct entry));
        if (!entries) {
                free(index);
                return -ENOMEM;
        }

        for (size_t i = 0; i < m->n_used; i++) {
                if (!m->entries[i].key)
                        continue;
                entries[j] = m->entries[i];
                index[find_empty_slot(index, size, entries[j].hash)] = j + SLOT_BASE;
                j++;
        }
        free(m->entries);
        free(m->index);
        m->entries = entries;
        m->index = index;
        m->index_size = size;
        m->n_used = j;
        return 0;
}

struct hashmap *hashmap_new(void (*free_value)(void *value)) {
        struct hashmap *m = calloc(1, sizeof(*m));

        if (!m)
                return NULL;
        m->free_value = free_value;
        if (resize(m, 0) < 0) {
                free(m);
                return NULL;
        }
        return m;
}

void hashmap_free(struct hashmap *m) {
        if (!m)
                return;
        for (size_t i = 0; i < m->n_used; i++) {
                struct entry *e = &m->entries[i];

                if (!e->key)
                        continue;
                free(e->key);
                if (m->free_value)
                        m->free_value(e->value);
        }
        free(m->entries);
        free(m->index);
        free(m);
}

static int insert(struct hashmap *m, const char *key, void *value, bool replace) {
        uint64_t hash;
        struct entry *e;
        bool found;
        size_t slot;
        char *k;

        if (!m || !key)
                return -EINVAL;
        hash = hash_key(key);
        slot = lookup(m, key, hash, &found);
        if (found) {
                if (!replace)
                        return -EEXIST;
                e = &m->entries[m->index[slot] - SLOT_BASE];
                if (e->value != value && m->free_value)
                        m->free_value(e->value);
                e->value = value;
                return 0;
        }

        k = strdup(key);
        if (!k)
                return -ENOMEM;
        if (m->n_used >= entries_capacity(m->index_size)) {
                /* Double what is live; with many removals this may keep
                 * the size and just compact. */
                size_t need = m->n_live < SIZE_MAX / 2 ? m->n_live * 2 + 1 : SIZE_MAX;
                int r = resize(m, need);

                if (r < 0) {
                        free(k);
                        return r;
                }
                slot = find_empty_slot(m->index, m->index_size, hash);
        }

        m->entries[m->n_used] = (struct entry) { .key = k, .value = value, .hash = hash };
        m->index[slot] = m->n_used + SLOT_BASE;
        m->n_used++;
        m->n_live++;
        return 0;
}

int hashmap_put(struct hashmap *m, const char *key, void *value) {
        return insert(m, key, value, false);
}

int hashmap_replace(struct hashmap *m, const char *key, void *value) {
        return insert(m, key, value, true);
}

static struct entry *find(const struct hashmap *m, const char *key, size_t *ret_slot) {
        bool found;
        size_t slot;

        if (!m || !key)
                return NULL;
        slot = lookup(m, key, hash_key(key), &found);
        if (!found)
                return NULL;
        if (ret_slot)
                *ret_slot = slot;
        return &m->entries[m->index[slot] - SLOT_BASE];
}

void *hashmap_get(const struct hashmap *m, const char *key) {
        struct entry *e = find(m, key, NULL);

        return e ? e->value : NULL;
}

bool hashmap_contains(const struct hashmap *m, const char *key) {
        return find(m, key, NULL) != NULL;
}

void *hashmap_remove(struct hashmap *m, const char *key) {
        struct entry *e;
        size_t slot;
        void *value;

        e = find(m, key, &slot);
        if (!e)
                return NULL;
        value = e->value;
        free(e->key);
        *e = (struct entry) {};
        m->index[slot] = SLOT_DUMMY;
        m->n_live--;
        return value;
}

size_t hashmap_size(const struct hashmap *m) {
        return m ? m->n_live : 0;
}

bool hashmap_next(const struct hashmap *m, struct hashmap_iter *it,
                  const char **ret_key, void **ret_value) {
        if (!m)
                return false;
        while (it->pos < m->n_used) {
                const struct entry *e = &m->entries[it->pos++];

                if (!e->key)
                        continue;
                if (ret_key)
                        *ret_key = e->key;
                if (ret_value)
                        *ret_value = e->value;
                return true;
        }
        return false;
}

void *hashmap_iter_value(const struct hashmap *m, const struct hashmap_iter *it) {
        if (!m || it->pos == 0 || it->pos > m->n_used)
                return NULL;
        return m->entries[it->pos - 1].value;
}
