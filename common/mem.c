/* mem.c: growing arrays and byte copies (mem.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

int mem_grow(void **arr, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? 2 * *cap : 4;
	if (ncap > SIZE_MAX / sz) {
		errno = ENOMEM;
		return -1;
	}
	void *p = realloc(*arr, ncap * sz);
	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	*arr = p;
	*cap = ncap;
	return 0;
}

char *mem_dup(const char *p, size_t len)
{
	char *d = malloc(len + 1);
	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	if (len)
		memcpy(d, p, len);
	d[len] = '\0';
	return d;
}
