/* jid.c: XMPP addresses (RFC 7622), split, prepared and compared.
 *
 * An address is split in the order of RFC 7622 section 3.1 (resourcepart
 * from the first '/', localpart up to the first '@' before it); each part
 * is checked to be UTF-8, copied into a stack buffer of JID_FULL_MAX + 1
 * bytes, prepared by libidn stringprep (table below; nameprep label by
 * label, a bracketed IPv6 literal canonicalised instead) and checked once
 * more. At most ~12 KiB of stack. Nothing is allocated until every part is
 * valid: the only allocation is the struct's full string, owned by the
 * struct and freed by jid_free. */
#include "jid.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stringprep.h>

/* One row per part: how it is prepared (a stringprep return code) and
   the check that follows. */
struct jid_part_rule {
	int (*prep)(char *buf, size_t bufsz); /* NULL: as is (IP-literal) */
	int (*check)(char *buf, size_t bufsz);
};

static int jid_nodeprep(char *buf, size_t bufsz);
static int jid_nameprep(char *buf, size_t bufsz);
static int jid_resourceprep(char *buf, size_t bufsz);
static int jid_check_local(char *buf, size_t bufsz);
static int jid_check_domain(char *buf, size_t bufsz);
static int jid_check_ip6(char *buf, size_t bufsz);

enum jid_part_kind { JID_LOCAL, JID_DOMAIN, JID_IP6, JID_RESOURCE };

static const struct jid_part_rule jid_part_rules[] = {
	[JID_LOCAL] = {jid_nodeprep, jid_check_local},
	[JID_DOMAIN] = {jid_nameprep, jid_check_domain},
	[JID_IP6] = {NULL, jid_check_ip6},
	[JID_RESOURCE] = {jid_resourceprep, NULL},
};

/* The label separators of RFC 3490 besides '.': U+3002, U+FF0E, U+FF61. */
static const char *const jid_dot_forms[] = {"\xe3\x80\x82", "\xef\xbc\x8e",
					    "\xef\xbd\xa1"};

/* The multi-byte UTF-8 forms: lead bytes, length, value bits of the lead
   byte and the smallest value the form may encode (shortest form only). */
struct jid_utf8_form {
	unsigned char lead_lo, lead_hi;
	size_t len;
	unsigned char lead_mask;
	uint32_t min;
};

static const struct jid_utf8_form jid_utf8_forms[] = {
	{0xc2, 0xdf, 2, 0x1f, 0x80},
	{0xe0, 0xef, 3, 0x0f, 0x800},
	{0xf0, 0xf4, 4, 0x07, 0x10000},
};

/* Length of the UTF-8 sequence at s[0..len), or 0 if it is not a valid,
   shortest-form encoding of a scalar value other than NUL. */
static size_t jid_utf8_seq(const unsigned char *s, size_t len)
{
	const struct jid_utf8_form *f = NULL;
	uint32_t c;
	size_t i;

	if (s[0] >= 0x01 && s[0] <= 0x7f)
		return 1;
	for (i = 0; i < sizeof jid_utf8_forms / sizeof jid_utf8_forms[0]; i++)
		if (s[0] >= jid_utf8_forms[i].lead_lo &&
		    s[0] <= jid_utf8_forms[i].lead_hi)
			f = &jid_utf8_forms[i];
	if (f == NULL || f->len > len)
		return 0;
	c = s[0] & f->lead_mask;
	for (i = 1; i < f->len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < f->min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return f->len;
}

/* 1 if s[0..len) is valid UTF-8 without NUL bytes. */
static int jid_is_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	while (len > 0) {
		n = jid_utf8_seq(p, len);
		if (n == 0)
			return 0;
		p += n;
		len -= n;
	}
	return 1;
}

static int jid_nodeprep(char *buf, size_t bufsz)
{
	return stringprep(buf, bufsz, 0, stringprep_xmpp_nodeprep);
}

static int jid_resourceprep(char *buf, size_t bufsz)
{
	return stringprep(buf, bufsz, 0, stringprep_xmpp_resourceprep);
}

/* Copies src into dst (as large), every label separator made a '.'. */
static void jid_unify_dots(const char *src, char *dst)
{
	size_t i;

	while (*src != '\0') {
		for (i = 0; i < sizeof jid_dot_forms / sizeof jid_dot_forms[0];
		     i++)
			if (strncmp(src, jid_dot_forms[i], 3) == 0)
				break;
		if (i < sizeof jid_dot_forms / sizeof jid_dot_forms[0]) {
			*dst++ = '.';
			src += 3;
		} else {
			*dst++ = *src++;
		}
	}
	*dst = '\0';
}

/* Nameprep, label by label as IDNA does (the bidi rule holds per label,
   so an Arabic label may sit beside "com"). buf is rewritten. */
static int jid_nameprep(char *buf, size_t bufsz)
{
	char src[JID_FULL_MAX + 1], label[JID_FULL_MAX + 1];
	const char *p, *end;
	size_t n, out = 0;
	int rc;

	if (strlen(buf) > JID_FULL_MAX)
		return STRINGPREP_TOO_SMALL_BUFFER;
	jid_unify_dots(buf, src);
	for (p = src;; p = end + 1) {
		end = strchr(p, '.');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		memcpy(label, p, n);
		label[n] = '\0';
		rc = stringprep(label, sizeof label, 0, stringprep_nameprep);
		if (rc != STRINGPREP_OK)
			return rc;
		n = strlen(label);
		if (out + n + 1 + (end != NULL) > bufsz)
			return STRINGPREP_TOO_SMALL_BUFFER;
		memcpy(buf + out, label, n);
		out += n;
		if (end == NULL)
			break;
		buf[out++] = '.';
	}
	buf[out] = '\0';
	return STRINGPREP_OK;
}

/* The localpart: nodeprep already prohibits these; say it once more. */
static int jid_check_local(char *buf, size_t bufsz)
{
	(void)bufsz;
	return strpbrk(buf, "\"&'/:<>@ ") == NULL ? 0 : -1;
}

/* 1 if the byte may appear in a label of a prepared host name: a lower
   case LDH character or any byte of a non-ASCII character. */
static int jid_is_label_byte(unsigned char c)
{
	return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

/* A prepared host name: one trailing dot dropped, then non-empty labels
   of label bytes, none starting or ending with '-'. A name of digits and
   dots only must be an IPv4 literal. */
static int jid_check_domain(char *buf, size_t bufsz)
{
	size_t len = strlen(buf), i, label = 0;
	unsigned char addr[4];

	(void)bufsz;
	if (len > 0 && buf[len - 1] == '.')
		buf[--len] = '\0';
	if (len == 0)
		return -1;
	for (i = 0; i <= len; i++) {
		if (i == len || buf[i] == '.') {
			if (i == label || buf[label] == '-' ||
			    buf[i - 1] == '-')
				return -1;
			label = i + 1;
		} else if (!jid_is_label_byte((unsigned char)buf[i])) {
			return -1;
		}
	}
	if (strspn(buf, "0123456789.") == len &&
	    inet_pton(AF_INET, buf, addr) != 1)
		return -1;
	return 0;
}

/* A bracketed IPv6 literal, rewritten in its canonical form ("[::1]"). */
static int jid_check_ip6(char *buf, size_t bufsz)
{
	size_t len = strlen(buf);
	char text[INET6_ADDRSTRLEN];
	unsigned char addr[16];

	if (len < 3 || buf[0] != '[' || buf[len - 1] != ']' ||
	    len - 2 >= sizeof text)
		return -1;
	memcpy(text, buf + 1, len - 2);
	text[len - 2] = '\0';
	if (inet_pton(AF_INET6, text, addr) != 1 ||
	    inet_ntop(AF_INET6, addr, text, sizeof text) == NULL)
		return -1;
	/* the canonical text is never longer than the input it came from */
	if (strlen(text) + 3 > bufsz)
		return -1;
	snprintf(buf, bufsz, "[%s]", text);
	return 0;
}

/* Prepares the NUL-terminated string in buf[0..bufsz) by the rule of
   kind: UTF-8, stringprep, the rule's check, 1..JID_PART_MAX bytes. */
static int jid_prep_part(enum jid_part_kind kind, char *buf, size_t bufsz)
{
	const struct jid_part_rule *rule = &jid_part_rules[kind];
	int rc;

	if (!jid_is_utf8(buf, strlen(buf)))
		goto invalid;
	if (rule->prep != NULL) {
		rc = rule->prep(buf, bufsz);
		if (rc == STRINGPREP_MALLOC_ERROR) {
			errno = ENOMEM;
			return -1;
		}
		if (rc != STRINGPREP_OK)
			goto invalid;
	}
	if (rule->check != NULL && rule->check(buf, bufsz) < 0)
		goto invalid;
	if (buf[0] == '\0' || strlen(buf) > JID_PART_MAX)
		goto invalid;
	return 0;
invalid:
	errno = EINVAL;
	return -1;
}

/* The kind of a raw domainpart: a bracketed literal skips nameprep. */
static enum jid_part_kind jid_domain_kind(const char *s, size_t len)
{
	return len > 0 && s[0] == '[' ? JID_IP6 : JID_DOMAIN;
}

/* Prepares the raw part s[0..len) into buf (JID_FULL_MAX + 1 bytes). */
static int jid_prep_slice(enum jid_part_kind kind, const char *s, size_t len,
			  char *buf)
{
	if (len > JID_FULL_MAX || memchr(s, '\0', len) != NULL) {
		errno = EINVAL;
		return -1;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	return jid_prep_part(kind, buf, JID_FULL_MAX + 1);
}

/* Appends the NUL-terminated part to full at *pos, after sep if any. */
static size_t jid_append(char *full, size_t *pos, const char *sep,
			 const char *part)
{
	size_t len = strlen(part), off;

	if (sep != NULL)
		full[(*pos)++] = *sep;
	off = *pos;
	memcpy(full + off, part, len + 1);
	*pos += len;
	return off;
}

/* Prepares the raw parts (local and resource may be NULL) and fills out.
   The prepared parts are assembled in a stack buffer, then copied into
   the one allocation out owns. */
static int jid_build(struct jid *out, const char *local, size_t local_len,
		     const char *domain, size_t domain_len,
		     const char *resource, size_t resource_len)
{
	char part[JID_FULL_MAX + 1], full[JID_FULL_MAX + 1];
	struct jid j = {0};
	size_t pos = 0;

	if (local != NULL) {
		if (jid_prep_slice(JID_LOCAL, local, local_len, part) < 0)
			return -1;
		jid_append(full, &pos, NULL, part);
		j.local_len = strlen(part);
	}
	if (jid_prep_slice(jid_domain_kind(domain, domain_len), domain,
			   domain_len, part) < 0)
		return -1;
	j.domain_off = jid_append(full, &pos, local ? "@" : NULL, part);
	j.domain_len = strlen(part);
	if (resource != NULL) {
		if (jid_prep_slice(JID_RESOURCE, resource, resource_len, part) <
		    0)
			return -1;
		j.resource_off = jid_append(full, &pos, "/", part);
		j.resource_len = strlen(part);
	}
	j.full = malloc(pos + 1);
	if (j.full == NULL)
		return -1;
	memcpy(j.full, full, pos + 1);
	*out = j;
	return 0;
}

int jid_parse(struct jid *out, const char *s, size_t len)
{
	const char *slash, *at, *domain = s, *resource = NULL;
	size_t domain_len = len, resource_len = 0;

	if (len > JID_FULL_MAX) {
		errno = EINVAL;
		return -1;
	}
	slash = memchr(s, '/', len);
	if (slash != NULL) {
		resource = slash + 1;
		resource_len = len - (size_t)(resource - s);
		domain_len = (size_t)(slash - s);
	}
	at = memchr(s, '@', domain_len);
	if (at != NULL) {
		domain = at + 1;
		domain_len -= (size_t)(domain - s);
	}
	return jid_build(out, at ? s : NULL, at ? (size_t)(at - s) : 0, domain,
			 domain_len, resource, resource_len);
}

int jid_from_parts(struct jid *out, const char *local, const char *domain,
		   const char *resource)
{
	if (domain == NULL) {
		errno = EINVAL;
		return -1;
	}
	return jid_build(out, local, local ? strlen(local) : 0, domain,
			 strlen(domain), resource,
			 resource ? strlen(resource) : 0);
}

int jid_copy(struct jid *out, const struct jid *src)
{
	struct jid j = *src;

	if (src->full != NULL) {
		j.full = strdup(src->full);
		if (j.full == NULL)
			return -1;
	}
	*out = j;
	return 0;
}

void jid_free(struct jid *j)
{
	if (j == NULL)
		return;
	free(j->full);
	memset(j, 0, sizeof *j);
}

size_t jid_bare_len(const struct jid *j)
{
	return j->domain_off + j->domain_len;
}

void jid_bare(const struct jid *j, char *out)
{
	size_t len = jid_bare_len(j);

	memcpy(out, j->full, len);
	out[len] = '\0';
}

int jid_equal(const struct jid *a, const struct jid *b)
{
	return a->local_len == b->local_len && a->domain_len == b->domain_len &&
	       a->resource_len == b->resource_len &&
	       strcmp(a->full, b->full) == 0;
}

int jid_bare_equal(const struct jid *a, const struct jid *b)
{
	return a->local_len == b->local_len && a->domain_len == b->domain_len &&
	       memcmp(a->full, b->full, jid_bare_len(a)) == 0;
}

int jid_has_resource(const struct jid *j)
{
	return j->resource_len > 0;
}

/* Checks that buf holds a string terminated within bufsz bytes. */
static int jid_is_terminated(const char *buf, size_t bufsz)
{
	if (buf != NULL && memchr(buf, '\0', bufsz) != NULL)
		return 1;
	errno = EINVAL;
	return 0;
}

int jid_prep_local(char *buf, size_t bufsz)
{
	if (!jid_is_terminated(buf, bufsz))
		return -1;
	return jid_prep_part(JID_LOCAL, buf, bufsz);
}

int jid_prep_domain(char *buf, size_t bufsz)
{
	if (!jid_is_terminated(buf, bufsz))
		return -1;
	return jid_prep_part(jid_domain_kind(buf, strlen(buf)), buf, bufsz);
}

int jid_prep_resource(char *buf, size_t bufsz)
{
	if (!jid_is_terminated(buf, bufsz))
		return -1;
	return jid_prep_part(JID_RESOURCE, buf, bufsz);
}
