/* memtrim.h: gives freed heap memory back to the kernel after a burst of
 * frees.
 *
 * glibc keeps freed memory in its heap: after thousands of idle streams
 * have dropped their parsers (~10 KiB each), the process's RSS stays at its
 * peak although the memory is free. memtrim_note records such frees; once
 * MEMTRIM_THRESHOLD bytes have been noted, malloc_trim(0) runs a second
 * later (one timer, at most once per MEMTRIM_INTERVAL seconds), which
 * returns every free page, also from the middle of the heap. */
#ifndef PARLEY_MEMTRIM_H
#define PARLEY_MEMTRIM_H

#include <ev.h>
#include <stddef.h>

#define MEMTRIM_THRESHOLD (4u * 1024 * 1024)
#define MEMTRIM_INTERVAL 10.0

void memtrim_start(struct ev_loop *loop);
void memtrim_stop(void);
/* About bytes were freed. */
void memtrim_note(size_t bytes);

#endif
