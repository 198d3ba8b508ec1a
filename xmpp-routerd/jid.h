/* jid.h: XMPP addresses (RFC 7622), parsed and prepared.
 *
 * A JID is [localpart@]domainpart[/resourcepart]. Parsing applies the
 * stringprep profiles of RFC 3920/6122 through libidn (nodeprep, nameprep,
 * resourceprep), so "Alice@LOCALHOST/x" and "alice@localhost/x" are the
 * same address, and checks every limit: each part 1..1023 bytes after
 * preparation, no empty localpart or resourcepart when their separator is
 * present, a domain that is a host name, an IPv4 literal or a bracketed
 * IPv6 literal (a trailing dot is dropped). A struct jid owns one
 * allocation holding the full, prepared form; the parts point into it. */
#ifndef PARLEY_JID_H
#define PARLEY_JID_H

#include <stddef.h>

#define JID_PART_MAX 1023
/* Longest address, in bytes, before or after preparation: three parts and
   two separators. Longer input is refused before any stringprep call. */
#define JID_FULL_MAX (3 * JID_PART_MAX + 2)

struct jid {
	char *full;	   /* "local@domain/resource", NUL-terminated */
	size_t local_len;  /* 0 if no localpart */
	size_t domain_off; /* offset of the domain in full */
	size_t domain_len;
	size_t resource_off; /* 0 if no resourcepart */
	size_t resource_len;
};

/* Parses and prepares s[0..len). 0, or -1 (errno EINVAL: the address is
   malformed or a part is too long -> <jid-malformed/>; ENOMEM). */
int jid_parse(struct jid *out, const char *s, size_t len);
/* Builds a JID from parts (each prepared; resource may be NULL, local may
   be NULL; an empty string is malformed). 0 or -1 as jid_parse. */
int jid_from_parts(struct jid *out, const char *local, const char *domain,
		   const char *resource);
/* Copies src into out. 0 or -1 (ENOMEM). */
int jid_copy(struct jid *out, const struct jid *src);
/* Frees what j owns and zeroes it; NULL or a zeroed struct does nothing. */
void jid_free(struct jid *j);

/* Writes the bare JID ("local@domain" or "domain") into out, which must
   hold at least jid_bare_len(j) + 1 bytes. */
size_t jid_bare_len(const struct jid *j);
void jid_bare(const struct jid *j, char *out);
/* 1 if both are equal (full comparison) / have the same bare JID. */
int jid_equal(const struct jid *a, const struct jid *b);
int jid_bare_equal(const struct jid *a, const struct jid *b);
int jid_has_resource(const struct jid *j);

/* Prepares a single part in place (buf holds at least JID_PART_MAX + 1
   bytes and a NUL-terminated string). 0 or -1 (EINVAL: not terminated
   within bufsz, malformed, empty or longer than JID_PART_MAX once
   prepared; ENOMEM). Used for usernames. */
int jid_prep_local(char *buf, size_t bufsz);
int jid_prep_domain(char *buf, size_t bufsz);
int jid_prep_resource(char *buf, size_t bufsz);

#endif
