/* SPDX-License-Identifier: GPL-2.0-or-later */
/* String-keyed hash map that iterates in insertion order, so that anything
 * derived from walking a map (scheduler decisions, printed state) is
 * reproducible from run to run. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct hashmap;

/* Returns an empty map, or NULL when out of memory. free_value (may be
 * NULL) is called on values the map drops: on hashmap_free() and on the
 * old value in hashmap_replace(). */
struct hashmap *hashmap_new(void (*free_value)(void *value));

/* Frees the keys, calls free_value on every value, frees the map. NULL is
 * allowed. */
void hashmap_free(struct hashmap *m);

DEFINE_TRIVIAL_CLEANUP_FUNC(struct hashmap *, hashmap_free)
#define _cleanup_hashmap_ _cleanup_(hashmap_freep)

/* Adds key (copied) with value at the end of the iteration order. Returns
 * 0, -EEXIST if key is present (the map keeps its value and does not take
 * this one), -EINVAL for a NULL key, or -ENOMEM. */
int hashmap_put(struct hashmap *m, const char *key, void *value);

/* Like hashmap_put() but replaces the value of an existing key, freeing
 * the old one with free_value (unless it is value itself). The key keeps
 * its place in the iteration order. Returns 0, -EINVAL or -ENOMEM. */
int hashmap_replace(struct hashmap *m, const char *key, void *value);

/* The value stored under key, or NULL if there is none (values may be
 * NULL too; use hashmap_contains() to tell the cases apart). */
void *hashmap_get(const struct hashmap *m, const char *key);
bool hashmap_contains(const struct hashmap *m, const char *key);

/* Removes key and returns its value, which is not freed (the caller owns
 * it now). Returns NULL if key is absent. A key added again later goes to
 * the end of the iteration order. */
void *hashmap_remove(struct hashmap *m, const char *key);

/* Number of keys. 0 for NULL. */
size_t hashmap_size(const struct hashmap *m);

/* Iteration walks keys in insertion order. While iterating, the caller may
 * remove the entry just returned and may hashmap_replace() existing keys,
 * but must not add new keys (growth compacts the table and would skip or
 * repeat entries). */
struct hashmap_iter {
        size_t pos;
};

#define HASHMAP_ITER_INIT {0}

/* Moves to the next entry and stores its key and value (either pointer may
 * be NULL). Returns false when there are no more entries. The key stays
 * valid until the entry is removed or the map freed. */
bool hashmap_next(const struct hashmap *m, struct hashmap_iter *it,
                  const char **ret_key, void **ret_value);

/* The value of the entry hashmap_next() returned last through it. */
void *hashmap_iter_value(const struct hashmap *m, const struct hashmap_iter *it);

/* Loops over m in insertion order:
 *
 *      const char *key;
 *      struct volume *v;
 *      HASHMAP_FOREACH(key, v, m, it)
 *              ...
 *
 * key must be a const char *, value any object pointer. it names the
 * iterator the loop declares (do not declare it yourself); give nested
 * loops different names. */
#define HASHMAP_FOREACH(key, value, m, it)                                     \
        for (struct hashmap_iter it = HASHMAP_ITER_INIT;                       \
             hashmap_next((m), &it, &(key), NULL) &&                           \
             ((value) = hashmap_iter_value((m), &it), true); )
