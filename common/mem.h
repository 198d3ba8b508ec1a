/* mem.h: two small allocation helpers the sans-I/O state machines share
 * (boshd's bosh_session, pollgw's poll_out): an array that grows by
 * doubling, and a NUL-terminated copy of bytes. Both set errno to ENOMEM
 * on failure. */
#ifndef PARLEY_MEM_H
#define PARLEY_MEM_H

#include <stddef.h>

/* Makes room in *arr (elements of size sz, *cap allocated, n used) for one
   more element, doubling from 4. 0, or -1 with *arr unchanged. */
int mem_grow(void **arr, size_t *cap, size_t n, size_t sz);
/* A malloc'd copy of p[0..len) with a NUL after it (p may be NULL when len
   is 0), or NULL. */
char *mem_dup(const char *p, size_t len);

#endif
