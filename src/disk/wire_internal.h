/* wire_internal.h: helpers wire.c (the codec) shares with
 * wire_handshake.c (negotiation, authentication, settings). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Write a message into why (if any) and return err. */
#define wire_fail format_error
/* Big-endian store of the low `width` bytes of v. */
void wire_put_be(uint8_t *p, size_t width, uint64_t v);
/* s, or "n/a" for NULL. */
const char *wire_strna(const char *s);
/* The decoder's check of an AUTH_CHALLENGE struct (type unused). */
int wire_challenge_check(uint16_t type, const void *st, char *why, size_t why_size);
