/* xml_mm.h: the memory of one expat parser, kept apart from the heap.
 *
 * A stream parser holds ~10 KiB while a client is active and nothing once
 * it is compacted (xml_stream.h). Allocated with malloc, those blocks
 * interleave with the long-lived small objects of the sessions created at
 * the same time, and once freed they leave holes that keep the process's
 * resident size near its peak. Here each parser's memory comes from its
 * own chunks, mapped with mmap (a few recently freed chunks are cached):
 * a bump allocator, where free only takes back the newest block, and
 * everything goes at once when the parser is freed. A parser that has
 * allocated more than its owner allows is recycled by the owner at the
 * next stanza boundary (xml_stream), which bounds what the bump allocator
 * can waste.
 *
 * expat's memory functions carry no context, so the parser a call is for
 * is named first with xml_mm_use (single-threaded: one per process). */
#ifndef PARLEY_XML_MM_H
#define PARLEY_XML_MM_H

#include <expat.h>
#include <stddef.h>

/* The size of a chunk; larger requests get a chunk of their own. */
#define XML_MM_CHUNK (16u * 1024)
/* Freed chunks kept for the next parsers (per process). */
#define XML_MM_CACHE 32

struct xml_mm;

/* The functions to give XML_ParserCreate_MM. */
extern const XML_Memory_Handling_Suite xml_mm_suite;

/* A new, empty pool (it lives in its first chunk); NULL on ENOMEM. */
struct xml_mm *xml_mm_new(void);
/* Every later call of xml_mm_suite's functions allocates from m (until
   the next xml_mm_use); returns the pool used before, to be restored
   after the expat call (a callback may parse or free another stream). */
struct xml_mm *xml_mm_use(struct xml_mm *m);
/* Unmaps (or caches) every chunk of m; NULL does nothing. */
void xml_mm_free(struct xml_mm *m);
/* Bytes of chunks m holds. */
size_t xml_mm_bytes(const struct xml_mm *m);

#endif
