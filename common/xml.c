/* xml.c: the arena-allocated element trees of xml.h and their serialiser.
 *
 * An arena is a chain of blocks; the first (1 KiB, or the limit if
 * smaller) lives in the same allocation as the arena, each next one is
 * twice the last, and the sum of block sizes never passes the limit.
 * Allocations are aligned for any type and never freed one by one.
 * Trees are walked iteratively (copy, serialise), so a deep tree cannot
 * overflow the stack. Serialising keeps no state outside the call. */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml.h"

#define XML_ARENA_FIRST 1024
#define XML_ALIGN alignof(max_align_t)
#define XML_ROUND(n) (((n) + XML_ALIGN - 1) / XML_ALIGN * XML_ALIGN)

#define XML_NS_XML "http://www.w3.org/XML/1998/namespace"
#define XML_NS_STREAMS "http://etherx.jabber.org/streams"

struct xml_block {
	struct xml_block *next;
	size_t size; /* bytes of data after the (rounded) header */
	size_t used;
};

#define XML_BLOCK_HDR XML_ROUND(sizeof(struct xml_block))

struct xml_arena {
	struct xml_block *head; /* the block allocations come from */
	size_t limit;		/* most block bytes ever reserved */
	size_t reserved;	/* block bytes reserved so far */
	size_t used;		/* bytes handed out so far */
	size_t next_size;	/* size of the next block */
};

#define XML_ARENA_HDR XML_ROUND(sizeof(struct xml_arena))

static unsigned char *xml_block_data(struct xml_block *b)
{
	return (unsigned char *)b + XML_BLOCK_HDR;
}

/* The first block, allocated with the arena itself. */
static struct xml_block *xml_arena_first(struct xml_arena *a)
{
	return (struct xml_block *)((unsigned char *)a + XML_ARENA_HDR);
}

struct xml_arena *xml_arena_new(size_t limit)
{
	size_t first = limit < XML_ARENA_FIRST ? limit : XML_ARENA_FIRST;
	first = first / XML_ALIGN * XML_ALIGN;
	struct xml_arena *a = malloc(XML_ARENA_HDR + XML_BLOCK_HDR + first);
	if (!a) {
		errno = ENOMEM;
		return NULL;
	}
	struct xml_block *b = xml_arena_first(a);
	b->next = NULL;
	b->size = first;
	b->used = 0;
	a->head = b;
	a->limit = limit;
	a->reserved = first;
	a->used = 0;
	a->next_size = first < XML_ALIGN ? XML_ARENA_FIRST : 2 * first;
	return a;
}

void xml_arena_free(struct xml_arena *a)
{
	if (!a)
		return;
	struct xml_block *first = xml_arena_first(a);
	struct xml_block *b = a->head;
	while (b) {
		struct xml_block *next = b->next;
		if (b != first)
			free(b);
		b = next;
	}
	free(a);
}

size_t xml_arena_used(const struct xml_arena *a)
{
	return a->used;
}

/* Chains a new block able to hold size bytes, within the limit. */
static int xml_arena_grow(struct xml_arena *a, size_t size)
{
	size_t room = a->limit - a->reserved;
	if (size > room) {
		errno = ENOBUFS;
		return -1;
	}
	size_t want = a->next_size > size ? a->next_size : size;
	if (want > room)
		want = room / XML_ALIGN * XML_ALIGN;
	if (want > SIZE_MAX - XML_BLOCK_HDR) {
		errno = ENOMEM;
		return -1;
	}
	struct xml_block *b = malloc(XML_BLOCK_HDR + want);
	if (!b) {
		errno = ENOMEM;
		return -1;
	}
	b->next = a->head;
	b->size = want;
	b->used = 0;
	a->head = b;
	a->reserved += want;
	if (want <= SIZE_MAX / 2)
		a->next_size = 2 * want;
	return 0;
}

void *xml_arena_alloc(struct xml_arena *a, size_t size)
{
	if (size == 0)
		size = 1;
	if (size > SIZE_MAX - XML_ALIGN) {
		errno = ENOBUFS;
		return NULL;
	}
	size = XML_ROUND(size);
	struct xml_block *b = a->head;
	if (b->size - b->used < size) {
		if (xml_arena_grow(a, size) < 0)
			return NULL;
		b = a->head;
	}
	void *p = xml_block_data(b) + b->used;
	b->used += size;
	a->used += size;
	return p;
}

char *xml_arena_strndup(struct xml_arena *a, const char *s, size_t len)
{
	if (len == SIZE_MAX) {
		errno = ENOBUFS;
		return NULL;
	}
	char *p = xml_arena_alloc(a, len + 1);
	if (!p)
		return NULL;
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* A copy of s, or NULL for NULL; *ok is cleared on failure. */
static const char *xml_arena_dup_opt(struct xml_arena *a, const char *s,
				     int *ok)
{
	if (!s)
		return NULL;
	char *p = xml_arena_strndup(a, s, strlen(s));
	if (!p)
		*ok = 0;
	return p;
}

static struct xml_node *xml_node_alloc(struct xml_arena *a)
{
	struct xml_node *n = xml_arena_alloc(a, sizeof *n);
	if (!n)
		return NULL;
	memset(n, 0, sizeof *n);
	n->arena = a;
	return n;
}

struct xml_node *xml_node_new(struct xml_arena *a, const char *ns,
			      const char *name)
{
	if (!name) {
		errno = EINVAL;
		return NULL;
	}
	struct xml_node *n = xml_node_alloc(a);
	if (!n)
		return NULL;
	int ok = 1;
	n->ns = xml_arena_dup_opt(a, ns, &ok);
	n->name = xml_arena_dup_opt(a, name, &ok);
	return ok ? n : NULL;
}

void xml_node_append(struct xml_node *parent, struct xml_node *child)
{
	child->parent = parent;
	child->next = NULL;
	if (parent->last_child)
		parent->last_child->next = child;
	else
		parent->first_child = child;
	parent->last_child = child;
}

struct xml_node *xml_node_add_child(struct xml_node *parent, const char *ns,
				    const char *name)
{
	struct xml_node *n = xml_node_new(parent->arena, ns, name);
	if (!n)
		return NULL;
	xml_node_append(parent, n);
	return n;
}

struct xml_node *xml_node_add_text(struct xml_node *parent, const char *text,
				   size_t len)
{
	struct xml_node *n = xml_node_alloc(parent->arena);
	if (!n)
		return NULL;
	char *t = xml_arena_strndup(parent->arena, text, len);
	if (!t)
		return NULL;
	n->text = t;
	n->text_len = len;
	xml_node_append(parent, n);
	return n;
}

/* The index of n's attribute in no namespace called name, or nattrs. */
static size_t xml_attr_find(const struct xml_node *n, const char *name)
{
	size_t i;
	for (i = 0; i < n->nattrs; i++)
		if (!n->attrs[i].ns && strcmp(n->attrs[i].name, name) == 0)
			break;
	return i;
}

/* Attribute arrays grow by one copy per added attribute: nodes have few
   attributes, and parsers allocate theirs at once. */
int xml_node_set_attr(struct xml_node *n, const char *name, const char *value)
{
	size_t i = xml_attr_find(n, name);
	if (!value) {
		if (i == n->nattrs)
			return 0;
		memmove(&n->attrs[i], &n->attrs[i + 1],
			(n->nattrs - i - 1) * sizeof n->attrs[0]);
		n->nattrs--;
		return 0;
	}
	char *v = xml_arena_strndup(n->arena, value, strlen(value));
	if (!v)
		return -1;
	if (i < n->nattrs) {
		n->attrs[i].value = v;
		return 0;
	}
	char *nm = xml_arena_strndup(n->arena, name, strlen(name));
	struct xml_attr *attrs =
		nm ? xml_arena_alloc(n->arena, (n->nattrs + 1) * sizeof *attrs)
		   : NULL;
	if (!attrs)
		return -1;
	if (n->nattrs > 0)
		memcpy(attrs, n->attrs, n->nattrs * sizeof *attrs);
	attrs[n->nattrs] = (struct xml_attr){NULL, nm, v};
	n->attrs = attrs;
	n->nattrs++;
	return 0;
}

/* Copies src's own data (names, text, attributes) but not its links. */
static struct xml_node *xml_node_copy_one(struct xml_arena *a,
					  const struct xml_node *src)
{
	struct xml_node *n = xml_node_alloc(a);
	if (!n)
		return NULL;
	int ok = 1;
	n->ns = xml_arena_dup_opt(a, src->ns, &ok);
	n->name = xml_arena_dup_opt(a, src->name, &ok);
	if (src->text) {
		n->text = xml_arena_strndup(a, src->text, src->text_len);
		n->text_len = src->text_len;
		ok = ok && n->text;
	}
	if (ok && src->nattrs > 0) {
		n->attrs = xml_arena_alloc(a, src->nattrs * sizeof *n->attrs);
		ok = n->attrs != NULL;
		for (size_t i = 0; ok && i < src->nattrs; i++) {
			struct xml_attr *d = &n->attrs[i];
			d->ns = xml_arena_dup_opt(a, src->attrs[i].ns, &ok);
			d->name = xml_arena_dup_opt(a, src->attrs[i].name, &ok);
			d->value =
				xml_arena_dup_opt(a, src->attrs[i].value, &ok);
		}
		n->nattrs = src->nattrs;
	}
	return ok ? n : NULL;
}

struct xml_node *xml_node_copy(struct xml_arena *a, const struct xml_node *src)
{
	struct xml_node *root = xml_node_copy_one(a, src);
	const struct xml_node *s = src;
	struct xml_node *d = root;
	while (d) {
		struct xml_node *parent = d;
		if (s->first_child) {
			s = s->first_child;
		} else {
			while (s != src && !s->next) {
				s = s->parent;
				d = d->parent;
			}
			if (s == src)
				return root;
			s = s->next;
			parent = d->parent;
		}
		d = xml_node_copy_one(a, s);
		if (d)
			xml_node_append(parent, d);
	}
	return NULL;
}

const char *xml_node_attr(const struct xml_node *n, const char *name)
{
	size_t i = xml_attr_find(n, name);
	return i < n->nattrs ? n->attrs[i].value : NULL;
}

/* 1 if a and b are both NULL or equal strings. */
static int xml_str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

int xml_node_is(const struct xml_node *n, const char *ns, const char *name)
{
	if (!n || !n->name)
		return 0;
	if (ns && !xml_str_eq(n->ns, ns))
		return 0;
	return !name || strcmp(n->name, name) == 0;
}

struct xml_node *xml_node_child(const struct xml_node *n, const char *ns,
				const char *name)
{
	for (struct xml_node *c = n->first_child; c; c = c->next)
		if (xml_node_is(c, ns, name))
			return c;
	return NULL;
}

const char *xml_node_text(const struct xml_node *n)
{
	size_t len = 0, count = 0;
	const struct xml_node *only = NULL;
	for (const struct xml_node *c = n->first_child; c; c = c->next) {
		if (c->name)
			continue;
		len += c->text_len;
		count++;
		only = c;
	}
	if (count == 1)
		return only->text;
	char *t = xml_arena_alloc(n->arena, len + 1);
	if (!t)
		return NULL;
	size_t off = 0;
	for (const struct xml_node *c = n->first_child; c; c = c->next) {
		if (c->name)
			continue;
		memcpy(t + off, c->text, c->text_len);
		off += c->text_len;
	}
	t[off] = '\0';
	return t;
}

/* ---- serialising */

/* What each byte becomes in text: NULL for itself, "" for dropped (the
   control characters XML 1.0 forbids). */
static const char *const xml_text_escapes[256] = {
	[0x00] = "",	[0x01] = "",	  [0x02] = "",	   [0x03] = "",
	[0x04] = "",	[0x05] = "",	  [0x06] = "",	   [0x07] = "",
	[0x08] = "",	[0x0b] = "",	  [0x0c] = "",	   [0x0e] = "",
	[0x0f] = "",	[0x10] = "",	  [0x11] = "",	   [0x12] = "",
	[0x13] = "",	[0x14] = "",	  [0x15] = "",	   [0x16] = "",
	[0x17] = "",	[0x18] = "",	  [0x19] = "",	   [0x1a] = "",
	[0x1b] = "",	[0x1c] = "",	  [0x1d] = "",	   [0x1e] = "",
	[0x1f] = "",	['\r'] = "&#13;", ['&'] = "&amp;", ['<'] = "&lt;",
	['>'] = "&gt;",
};

/* The same for attribute values, which also escape quotes and the
   whitespace that attribute-value normalisation would turn into spaces. */
static const char *const xml_attr_escapes[256] = {
	[0x00] = "",	   [0x01] = "",	    [0x02] = "",      [0x03] = "",
	[0x04] = "",	   [0x05] = "",	    [0x06] = "",      [0x07] = "",
	[0x08] = "",	   [0x0b] = "",	    [0x0c] = "",      [0x0e] = "",
	[0x0f] = "",	   [0x10] = "",	    [0x11] = "",      [0x12] = "",
	[0x13] = "",	   [0x14] = "",	    [0x15] = "",      [0x16] = "",
	[0x17] = "",	   [0x18] = "",	    [0x19] = "",      [0x1a] = "",
	[0x1b] = "",	   [0x1c] = "",	    [0x1d] = "",      [0x1e] = "",
	[0x1f] = "",	   ['\t'] = "&#9;", ['\n'] = "&#10;", ['\r'] = "&#13;",
	['&'] = "&amp;",   ['<'] = "&lt;",  ['>'] = "&gt;",   ['"'] = "&quot;",
	['\''] = "&apos;",
};

static int xml_escape(struct buf *out, const char *s, size_t len,
		      const char *const table[256])
{
	size_t run = 0;
	for (size_t i = 0; i < len; i++) {
		const char *e = table[(unsigned char)s[i]];
		if (!e)
			continue;
		if (buf_append(out, s + run, i - run) < 0 ||
		    buf_append_str(out, e) < 0)
			return -1;
		run = i + 1;
	}
	return buf_append(out, s + run, len - run);
}

int xml_escape_text(struct buf *out, const char *s, size_t len)
{
	return xml_escape(out, s, len, xml_text_escapes);
}

int xml_escape_attr(struct buf *out, const char *s, size_t len)
{
	return xml_escape(out, s, len, xml_attr_escapes);
}

/* Appends " name='value'" with name = prefix:local when prefix is set. */
static int xml_write_attr(struct buf *out, const char *prefix, const char *name,
			  const char *value)
{
	if (buf_append_str(out, " ") < 0)
		return -1;
	if (prefix &&
	    (buf_append_str(out, prefix) < 0 || buf_append_str(out, ":") < 0))
		return -1;
	if (buf_append_str(out, name) < 0 || buf_append_str(out, "='") < 0 ||
	    xml_escape_attr(out, value, strlen(value)) < 0)
		return -1;
	return buf_append_str(out, "'");
}

/* 1 if n is written with the stream: prefix. */
static int xml_is_stream_element(const struct xml_node *n)
{
	return n->ns && strcmp(n->ns, XML_NS_STREAMS) == 0;
}

/* The default namespace in scope at element e of the tree rooted at root,
   where root_scope is in scope. */
static const char *xml_scope_at(const struct xml_node *e,
				const struct xml_node *root,
				const char *root_scope)
{
	while (e != root) {
		e = e->parent;
		if (!xml_is_stream_element(e))
			return e->ns;
	}
	return root_scope;
}

/* The index of the first attribute of n in the namespace of attribute i,
   which names its prefix (ns<index+1>). */
static size_t xml_attr_prefix_index(const struct xml_node *n, size_t i)
{
	size_t j = 0;
	while (!xml_str_eq(n->attrs[j].ns, n->attrs[i].ns))
		j++;
	return j;
}

/* The attributes of n, declaring the prefixes of namespaced ones. */
static int xml_write_attrs(struct buf *out, const struct xml_node *n)
{
	for (size_t i = 0; i < n->nattrs; i++) {
		const struct xml_attr *at = &n->attrs[i];
		char prefix[32];
		const char *p = NULL;
		if (at->ns && strcmp(at->ns, XML_NS_XML) == 0) {
			p = "xml";
		} else if (at->ns) {
			size_t j = xml_attr_prefix_index(n, i);
			snprintf(prefix, sizeof prefix, "ns%zu", j + 1);
			if (j == i &&
			    xml_write_attr(out, "xmlns", prefix, at->ns) < 0)
				return -1;
			p = prefix;
		}
		if (xml_write_attr(out, p, at->name, at->value) < 0)
			return -1;
	}
	return 0;
}

/* "<name", its namespace declaration and attributes, then "/>" or ">". */
static int xml_write_start(struct buf *out, const struct xml_node *n,
			   const char *scope)
{
	int stream = xml_is_stream_element(n);
	if (buf_append_str(out, stream ? "<stream:" : "<") < 0 ||
	    buf_append_str(out, n->name) < 0)
		return -1;
	if (stream) {
		if (xml_write_attr(out, "xmlns", "stream", XML_NS_STREAMS) < 0)
			return -1;
	} else if (!xml_str_eq(n->ns ? n->ns : "", scope ? scope : "")) {
		if (xml_write_attr(out, NULL, "xmlns", n->ns ? n->ns : "") < 0)
			return -1;
	}
	if (xml_write_attrs(out, n) < 0)
		return -1;
	return buf_append_str(out, n->first_child ? ">" : "/>");
}

static int xml_write_end(struct buf *out, const struct xml_node *n)
{
	if (buf_append_str(out, xml_is_stream_element(n) ? "</stream:" : "</") <
		    0 ||
	    buf_append_str(out, n->name) < 0)
		return -1;
	return buf_append_str(out, ">");
}

int xml_serialize(struct buf *out, const struct xml_node *n,
		  const char *parent_ns)
{
	const struct xml_node *cur = n;
	for (;;) {
		if (!cur->name) {
			if (xml_escape_text(out, cur->text, cur->text_len) < 0)
				return -1;
		} else {
			const char *scope = xml_scope_at(cur, n, parent_ns);
			if (xml_write_start(out, cur, scope) < 0)
				return -1;
			if (cur->first_child) {
				cur = cur->first_child;
				continue;
			}
		}
		while (cur != n && !cur->next) {
			cur = cur->parent;
			if (xml_write_end(out, cur) < 0)
				return -1;
		}
		if (cur == n)
			return 0;
		cur = cur->next;
	}
}
