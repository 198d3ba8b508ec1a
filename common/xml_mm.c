/* xml_mm.c: per-parser memory for expat in mmap'd chunks (xml_mm.h).
 *
 * A chunk starts with struct xml_mm_chunk; blocks follow, each after a
 * header recording its size, 16-byte aligned. The pool's own struct is
 * the first block of its first chunk.
 *
 * Under AddressSanitizer (make asan) everything of a chunk not handed out
 * is poisoned and each block is followed by a poisoned red zone, so that
 * an overflow or a use after free inside a pool is reported as it would be
 * with malloc. */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "xml_mm.h"

#define XML_MM_ALIGN 16

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#define XML_MM_REDZONE 32
static void xml_mm_poison(void *p, size_t n)
{
	ASAN_POISON_MEMORY_REGION(p, n);
}
static void xml_mm_unpoison(void *p, size_t n)
{
	ASAN_UNPOISON_MEMORY_REGION(p, n);
}
#else
#define XML_MM_REDZONE 0
static void xml_mm_poison(void *p, size_t n)
{
	(void)p;
	(void)n;
}
static void xml_mm_unpoison(void *p, size_t n)
{
	(void)p;
	(void)n;
}
#endif

struct xml_mm_chunk {
	struct xml_mm_chunk *next; /* older chunks of the pool */
	size_t size;		   /* mapped bytes, this header included */
	size_t used;		   /* bytes handed out, this header included */
	size_t last;		   /* offset of the newest block's header */
};

struct xml_mm {
	struct xml_mm_chunk *chunks; /* the newest first */
	size_t bytes;
};

/* Before each block: its size (what was asked). */
struct xml_mm_block {
	alignas(XML_MM_ALIGN) size_t size;
};

static struct xml_mm *xml_mm_current;
static struct xml_mm_chunk *xml_mm_cache[XML_MM_CACHE];
static size_t xml_mm_cached;

static size_t xml_mm_round(size_t n)
{
	return (n + XML_MM_ALIGN - 1) & ~(size_t)(XML_MM_ALIGN - 1);
}

static const size_t xml_mm_head =
	(sizeof(struct xml_mm_chunk) + XML_MM_ALIGN - 1) &
	~(size_t)(XML_MM_ALIGN - 1);

static struct xml_mm_chunk *xml_mm_map(size_t need)
{
	size_t size = need + xml_mm_head <= XML_MM_CHUNK
			      ? XML_MM_CHUNK
			      : xml_mm_round(need + xml_mm_head + 4095) & ~4095ul;
	struct xml_mm_chunk *c;
	if (size == XML_MM_CHUNK && xml_mm_cached) {
		c = xml_mm_cache[--xml_mm_cached];
	} else {
		void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		c = p;
	}
	xml_mm_unpoison(c, xml_mm_head);
	c->next = NULL;
	c->size = size;
	c->used = xml_mm_head;
	c->last = 0;
	xml_mm_poison((char *)c + xml_mm_head, size - xml_mm_head);
	return c;
}

static void xml_mm_unmap(struct xml_mm_chunk *c)
{
	if (c->size == XML_MM_CHUNK && xml_mm_cached < XML_MM_CACHE) {
		xml_mm_poison((char *)c + xml_mm_head, c->size - xml_mm_head);
		xml_mm_cache[xml_mm_cached++] = c;
		return;
	}
	xml_mm_unpoison(c, c->size); /* the kernel may map it for others */
	munmap(c, c->size);
}

/* A block of n bytes from m's newest chunk, or a new chunk. */
static void *xml_mm_take(struct xml_mm *m, struct xml_mm_chunk **first,
			 size_t n)
{
	size_t need =
		sizeof(struct xml_mm_block) + xml_mm_round(n) + XML_MM_REDZONE;
	struct xml_mm_chunk *c = m ? m->chunks : *first;
	if (!c || c->size - c->used < need) {
		struct xml_mm_chunk *fresh = xml_mm_map(need);
		if (!fresh)
			return NULL;
		fresh->next = c;
		c = fresh;
		if (m) {
			m->chunks = c;
			m->bytes += c->size;
		} else {
			*first = c;
		}
	}
	struct xml_mm_block *b = (struct xml_mm_block *)((char *)c + c->used);
	xml_mm_unpoison(b, sizeof *b + n);
	b->size = n;
	c->last = c->used;
	c->used += need;
	return b + 1;
}

struct xml_mm *xml_mm_new(void)
{
	struct xml_mm_chunk *first = NULL;
	struct xml_mm *m = xml_mm_take(NULL, &first, sizeof *m);
	if (!m)
		return NULL;
	m->chunks = first;
	m->bytes = first->size;
	return m;
}

struct xml_mm *xml_mm_use(struct xml_mm *m)
{
	struct xml_mm *before = xml_mm_current;
	xml_mm_current = m;
	return before;
}

void xml_mm_free(struct xml_mm *m)
{
	if (!m)
		return;
	if (xml_mm_current == m)
		xml_mm_current = NULL;
	struct xml_mm_chunk *c = m->chunks; /* m lives in the last one */
	while (c) {
		struct xml_mm_chunk *next = c->next;
		xml_mm_unmap(c);
		c = next;
	}
}

size_t xml_mm_bytes(const struct xml_mm *m)
{
	return m ? m->bytes : 0;
}

static struct xml_mm_block *xml_mm_block_of(void *p)
{
	return (struct xml_mm_block *)p - 1;
}

/* 1 if p is the newest block of the newest chunk (it can grow or go). */
static int xml_mm_is_last(const struct xml_mm *m, void *p)
{
	const struct xml_mm_chunk *c = m->chunks;
	return (char *)xml_mm_block_of(p) == (const char *)c + c->last &&
	       c->last != 0;
}

static void *xml_mm_malloc(size_t n)
{
	return xml_mm_current ? xml_mm_take(xml_mm_current, NULL, n) : NULL;
}

static void xml_mm_release(void *p)
{
	struct xml_mm *m = xml_mm_current;
	if (!p || !m || !xml_mm_is_last(m, p))
		return; /* reclaimed with the whole pool */
	struct xml_mm_chunk *c = m->chunks;
	xml_mm_poison((char *)c + c->last, c->used - c->last);
	c->used = c->last;
	c->last = 0; /* the block before is not known: no second rollback */
}

static void *xml_mm_realloc(void *p, size_t n)
{
	struct xml_mm *m = xml_mm_current;
	if (!p)
		return xml_mm_malloc(n);
	if (!m)
		return NULL;
	struct xml_mm_block *b = xml_mm_block_of(p);
	if (xml_mm_is_last(m, p)) {
		struct xml_mm_chunk *c = m->chunks;
		size_t end =
			c->last + sizeof *b + xml_mm_round(n) + XML_MM_REDZONE;
		if (end <= c->size) {
			xml_mm_poison((char *)c + c->last,
				      (c->used > end ? c->used : end) - c->last);
			xml_mm_unpoison(b, sizeof *b + n);
			c->used = end;
			b->size = n;
			return p;
		}
	}
	void *q = xml_mm_take(m, NULL, n);
	if (q)
		memcpy(q, p, b->size < n ? b->size : n);
	return q;
}

const XML_Memory_Handling_Suite xml_mm_suite = {
	.malloc_fcn = xml_mm_malloc,
	.realloc_fcn = xml_mm_realloc,
	.free_fcn = xml_mm_release,
};
