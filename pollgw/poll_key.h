/* poll_key.h: the key sequence of XEP-0025 (section 4).
 *
 * A client picks a seed and sends K(n), K(n-1), ... K(1) with its
 * requests, where K(i) = base64(SHA-1(K(i-1))) (RFC 3548, RFC 3174); the
 * server keeps the last key it accepted and takes a new one only if it
 * hashes to it. Someone who reads the traffic sees each key only once it
 * is used, so cannot forge the next one. Used by poll_session.c. */
#ifndef PARLEY_POLL_KEY_H
#define PARLEY_POLL_KEY_H

/* The length of K(n) for n > 0: base64 of 20 bytes. */
#define POLL_KEY_HASH_LEN 28

/* Writes base64(SHA-1(key)) to out, NUL-terminated. 0, or -1. */
int poll_key_hash(const char *key, char out[POLL_KEY_HASH_LEN + 1]);
/* 1 if key is the one before prev in a sequence: base64(SHA-1(key)) is
   exactly prev. */
int poll_key_follows(const char *key, const char *prev);

#endif
