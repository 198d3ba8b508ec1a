/* handover.h: the state a gateway (boshd, pollgw) leaves in its state
 * directory for its successor on a planned restart, in the format of
 * common/HANDOVER.md: a header line, then fields "<name> <length>\n"
 * followed by exactly <length> bytes and "\n". */
#ifndef PARLEY_HANDOVER_H
#define PARLEY_HANDOVER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define HANDOVER_VERSION 1
#define HANDOVER_NAME_MAX 32		    /* bytes of a field name */
#define HANDOVER_FILE_MAX (1024u * 1024 * 1024) /* a whole file */
#define HANDOVER_TOKEN_LEN 32		    /* hex digits of a token */

/* Field writers: append one field to b (limit it with buf_init). 0, or
   -1 when b is full or memory ran out. */
int handover_put(struct buf *b, const char *name, const void *value,
		 size_t len);
int handover_put_str(struct buf *b, const char *name, const char *value);
int handover_put_u64(struct buf *b, const char *name, uint64_t value);

/* Writes the header line for role and then body to dir/<role>.handover
   through a temporary file, fsync and rename, so the successor finds the
   whole file or none. 0, or -1 with errno. */
int handover_save(const char *dir, const char *role, const struct buf *body);

struct handover_reader;

/* Reads dir/<role>.handover into a malloc'd buffer, which it returns (the
   caller frees it), checks its header line, points r at the fields, and
   unlinks the file, so the state is used once. NULL with errno ENOENT if
   there is none, EINVAL if its header is not this version's, EFBIG past
   HANDOVER_FILE_MAX. */
char *handover_load(const char *dir, const char *role,
		    struct handover_reader *r);

/* Walks the fields of a loaded file. */
struct handover_reader {
	const char *p, *end;
};

struct handover_field {
	char name[HANDOVER_NAME_MAX + 1];
	const char *value; /* not NUL-terminated */
	size_t len;
};

/* 1 and *f filled, 0 at the end, -1 if the rest is malformed. */
int handover_next(struct handover_reader *r, struct handover_field *f);
int handover_field_is(const struct handover_field *f, const char *name);
/* The value as a number; -1 if it is not a decimal u64. */
int handover_field_u64(const struct handover_field *f, uint64_t *out);
/* The value copied into out (size bytes with the NUL); -1 if too long or
   it holds a NUL. */
int handover_field_str(const struct handover_field *f, char *out,
		       size_t size);

/* ---- a struct's numbers, by a table of their names and places */

enum handover_kind {
	HANDOVER_U64,	   /* uint64_t */
	HANDOVER_UNSIGNED, /* unsigned, at most UINT32_MAX */
	HANDOVER_FLAG,	   /* int, 0 or 1 */
};

struct handover_number {
	const char *name;
	enum handover_kind kind;
	size_t offset; /* offsetof the member */
};

/* Appends the n numbers of the struct at base that table t names. 0, or
   -1 (b full). */
int handover_put_numbers(struct buf *b, const void *base,
			 const struct handover_number *t, size_t n);
/* If f names one of t's numbers, stores its value into the struct at
   base: 1, or -1 if the value is not one that kind takes; 0 if f names
   none of them. */
int handover_take_number(void *base, const struct handover_number *t,
			 size_t n, const struct handover_field *f);
/* handover_put_str, or nothing for a NULL value (an optional field). */
int handover_put_optional(struct buf *b, const char *name, const char *value);

/* A fresh random token (HANDOVER_TOKEN_LEN hex digits). 0, or -1. */
int handover_token_make(char token[HANDOVER_TOKEN_LEN + 1]);

#endif
