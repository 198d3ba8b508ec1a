/* handover.c: writing and reading a gateway's hand-over file
 * (handover.h, common/HANDOVER.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handover.h"

int handover_put(struct buf *b, const char *name, const void *value,
		 size_t len)
{
	if (buf_printf(b, "%s %zu\n", name, len) < 0 ||
	    buf_append(b, value, len) < 0 || buf_append(b, "\n", 1) < 0)
		return -1;
	return 0;
}

int handover_put_str(struct buf *b, const char *name, const char *value)
{
	return handover_put(b, name, value, strlen(value));
}

int handover_put_u64(struct buf *b, const char *name, uint64_t value)
{
	char digits[24];
	int n = snprintf(digits, sizeof digits, "%llu",
			 (unsigned long long)value);
	return handover_put(b, name, digits, (size_t)n);
}

static int handover_path(char *out, size_t size, const char *dir,
			 const char *role, const char *suffix)
{
	int n = snprintf(out, size, "%s/%s.handover%s", dir, role, suffix);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int handover_write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int handover_save(const char *dir, const char *role, const struct buf *body)
{
	char path[4096], tmp[4096], header[64];
	if (handover_path(path, sizeof path, dir, role, "") < 0 ||
	    handover_path(tmp, sizeof tmp, dir, role, ".tmp") < 0)
		return -1;
	int hlen = snprintf(header, sizeof header, "parley-handover %d %s\n",
			    HANDOVER_VERSION, role);
	/* a fresh file: never through a link someone left there */
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		      0600);
	if (fd < 0)
		return -1;
	if (handover_write_all(fd, header, (size_t)hlen) < 0 ||
	    handover_write_all(fd, buf_head(body), body->len) < 0 ||
	    fsync(fd) < 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

/* Reads the whole file at fd into a NUL-terminated malloc'd buffer. */
static char *handover_slurp(int fd, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return NULL;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL; /* a FIFO, a device: not ours */
		return NULL;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size > HANDOVER_FILE_MAX) {
		errno = EFBIG;
		return NULL;
	}
	size_t size = (size_t)st.st_size;
	char *data = malloc(size + 1);
	if (!data)
		return NULL;
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(fd, data + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(data);
			errno = n < 0 ? errno : EINVAL;
			return NULL;
		}
		got += (size_t)n;
	}
	data[size] = '\0';
	*len = size;
	return data;
}

char *handover_load(const char *dir, const char *role,
		    struct handover_reader *r)
{
	char path[4096], header[64];
	if (handover_path(path, sizeof path, dir, role, "") < 0)
		return NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP)
			unlink(path); /* a symbolic link: not ours */
		return NULL;
	}
	size_t len = 0;
	char *data = handover_slurp(fd, &len);
	int e = errno;
	close(fd);
	unlink(path);
	if (!data) {
		errno = e;
		return NULL;
	}
	int hlen = snprintf(header, sizeof header, "parley-handover %d %s\n",
			    HANDOVER_VERSION, role);
	if (len < (size_t)hlen || memcmp(data, header, (size_t)hlen) != 0) {
		free(data);
		errno = EINVAL;
		return NULL;
	}
	r->p = data + hlen;
	r->end = data + len;
	return data;
}

/* Parses "<name> <length>\n" at r->p into f; the offset of the value. */
static int handover_field_head(struct handover_reader *r,
			       struct handover_field *f)
{
	const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	const char *sp = nl ? memchr(r->p, ' ', (size_t)(nl - r->p)) : NULL;
	if (!sp || sp == r->p || (size_t)(sp - r->p) > HANDOVER_NAME_MAX)
		return -1;
	for (const char *c = r->p; c < sp; c++)
		if (*c < '!' || *c > '~') /* printable, no space */
			return -1;
	size_t len = 0;
	const char *d = sp + 1;
	if (d == nl)
		return -1;
	for (; d < nl; d++) {
		if (*d < '0' || *d > '9' || len > HANDOVER_FILE_MAX)
			return -1;
		len = len * 10 + (size_t)(*d - '0');
	}
	memcpy(f->name, r->p, (size_t)(sp - r->p));
	f->name[sp - r->p] = '\0';
	f->value = nl + 1;
	f->len = len;
	return 0;
}

int handover_next(struct handover_reader *r, struct handover_field *f)
{
	if (r->p == r->end)
		return 0;
	if (handover_field_head(r, f) < 0)
		return -1;
	size_t left = (size_t)(r->end - f->value);
	if (f->len >= left || f->value[f->len] != '\n')
		return -1;
	r->p = f->value + f->len + 1;
	return 1;
}

int handover_field_is(const struct handover_field *f, const char *name)
{
	return strcmp(f->name, name) == 0;
}

int handover_field_u64(const struct handover_field *f, uint64_t *out)
{
	uint64_t v = 0;
	if (f->len == 0 || f->len > 20)
		return -1;
	for (size_t i = 0; i < f->len; i++) {
		char c = f->value[i];
		if (c < '0' || c > '9')
			return -1;
		if (v > UINT64_MAX / 10)
			return -1;
		uint64_t next = v * 10 + (uint64_t)(c - '0');
		if (next < v * 10)
			return -1;
		v = next;
	}
	*out = v;
	return 0;
}

int handover_field_str(const struct handover_field *f, char *out,
		       size_t size)
{
	if (f->len >= size || memchr(f->value, '\0', f->len))
		return -1;
	memcpy(out, f->value, f->len);
	out[f->len] = '\0';
	return 0;
}

static uint64_t handover_number_get(const void *base,
				    const struct handover_number *nf)
{
	const char *p = (const char *)base + nf->offset;
	switch (nf->kind) {
	case HANDOVER_U64:
		return *(const uint64_t *)(const void *)p;
	case HANDOVER_UNSIGNED:
		return *(const unsigned *)(const void *)p;
	case HANDOVER_FLAG:
		return *(const int *)(const void *)p != 0;
	}
	return 0;
}

static int handover_number_set(void *base, const struct handover_number *nf,
			       uint64_t v)
{
	char *p = (char *)base + nf->offset;
	switch (nf->kind) {
	case HANDOVER_U64:
		*(uint64_t *)(void *)p = v;
		return 0;
	case HANDOVER_UNSIGNED:
		if (v > UINT32_MAX)
			return -1;
		*(unsigned *)(void *)p = (unsigned)v;
		return 0;
	case HANDOVER_FLAG:
		if (v > 1)
			return -1;
		*(int *)(void *)p = (int)v;
		return 0;
	}
	return -1;
}

int handover_put_numbers(struct buf *b, const void *base,
			 const struct handover_number *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (handover_put_u64(b, t[i].name,
				     handover_number_get(base, &t[i])) < 0)
			return -1;
	return 0;
}

int handover_take_number(void *base, const struct handover_number *t,
			 size_t n, const struct handover_field *f)
{
	for (size_t i = 0; i < n; i++) {
		if (!handover_field_is(f, t[i].name))
			continue;
		uint64_t v;
		if (handover_field_u64(f, &v) < 0 ||
		    handover_number_set(base, &t[i], v) < 0)
			return -1;
		return 1;
	}
	return 0;
}

int handover_put_optional(struct buf *b, const char *name, const char *value)
{
	return value ? handover_put_str(b, name, value) : 0;
}

int handover_token_make(char token[HANDOVER_TOKEN_LEN + 1])
{
	unsigned char raw[HANDOVER_TOKEN_LEN / 2];
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return -1;
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(token + 2 * i, 3, "%02x", raw[i]);
	return 0;
}
