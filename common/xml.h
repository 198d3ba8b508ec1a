/* xml.h: a small XML element tree for stanzas, and its serialiser.
 *
 * Stanzas parsed by xml_stream (and BOSH bodies later) become trees of
 * struct xml_node allocated from one arena per tree, so a whole stanza is
 * freed at once and its memory is bounded by the arena's limit. Names are
 * namespace-resolved: every element carries its namespace URI; attributes
 * in no namespace (nearly all of them) have ns == NULL. Serialising
 * escapes text and attribute values correctly and writes the namespace
 * declarations a receiver needs (xmlns on an element whose namespace
 * differs from its parent's). Used by xmpp-routerd, boshd and pollgw. */
#ifndef PARLEY_XML_H
#define PARLEY_XML_H

#include <stddef.h>

#include "buf.h"

struct xml_arena; /* opaque: a chain of blocks, freed as one */

struct xml_attr {
	const char *ns; /* NULL for no namespace */
	const char *name;
	const char *value;
};

struct xml_node {
	/* An element has a name; a text node has name == NULL and text. */
	const char *ns; /* namespace URI, NULL if none */
	const char *name;
	const char *text; /* text node: its characters (unescaped) */
	size_t text_len;
	struct xml_attr *attrs;
	size_t nattrs;
	struct xml_node *parent, *first_child, *last_child, *next;
	struct xml_arena *arena; /* the tree's arena (same for all nodes) */
};

/* A new arena that refuses to grow past limit bytes; NULL on ENOMEM. Its
   first block (1 KiB, or less if the limit is smaller) is allocated with
   it; later blocks double. */
struct xml_arena *xml_arena_new(size_t limit);
/* Frees the arena and every node and string in it. NULL does nothing. */
void xml_arena_free(struct xml_arena *a);
/* Bytes allocated in the arena so far (each allocation rounded up to the
   alignment). The limit bounds the blocks behind them, so this stays at
   most the limit. */
size_t xml_arena_used(const struct xml_arena *a);

/* Low-level allocation, for parsers that build trees themselves: size
   bytes aligned for any type, or NULL with errno ENOBUFS (the limit) or
   ENOMEM. */
void *xml_arena_alloc(struct xml_arena *a, size_t size);
/* A NUL-terminated copy of the len bytes at s; NULL as xml_arena_alloc. */
char *xml_arena_strndup(struct xml_arena *a, const char *s, size_t len);

/* Building trees (all strings are copied into the arena). Each returns
   NULL with errno ENOBUFS when the arena limit is reached. */
struct xml_node *xml_node_new(struct xml_arena *a, const char *ns,
			      const char *name);
struct xml_node *xml_node_add_child(struct xml_node *parent, const char *ns,
				    const char *name);
struct xml_node *xml_node_add_text(struct xml_node *parent, const char *text,
				   size_t len);
/* Sets (or replaces) an attribute in no namespace; value NULL removes it. */
int xml_node_set_attr(struct xml_node *n, const char *name, const char *value);
/* Links child (an unlinked node of parent's arena) as parent's last
   child. */
void xml_node_append(struct xml_node *parent, struct xml_node *child);
/* Deep-copies src (from any arena) into arena a. */
struct xml_node *xml_node_copy(struct xml_arena *a, const struct xml_node *src);

/* Queries. */
const char *xml_node_attr(const struct xml_node *n, const char *name);
/* The first child element with this namespace (NULL matches any) and name
   (NULL matches any). */
struct xml_node *xml_node_child(const struct xml_node *n, const char *ns,
				const char *name);
/* 1 if n is an element with this namespace and name (NULL matches any,
   as for xml_node_child); 0 for a text node or NULL. */
int xml_node_is(const struct xml_node *n, const char *ns, const char *name);
/* The concatenated text of n's direct text children, copied into the
   arena (NUL-terminated; "" if none); NULL on ENOBUFS. */
const char *xml_node_text(const struct xml_node *n);

/* Serialises n and its subtree, appending to out. parent_ns is the
   default namespace in scope where it is written (e.g. "jabber:client"
   inside a client stream): an element whose ns equals the one in scope
   gets no xmlns attribute, others get xmlns='ns' (xmlns='' for none).
   Elements of the streams namespace (http://etherx.jabber.org/streams)
   are written as stream:NAME with their own xmlns:stream declaration, as
   clients expect <stream:features/> and <stream:error/>; they leave the
   default namespace of their children unchanged. Attributes in the XML
   namespace are written xml:NAME; those in another namespace get a prefix
   ns1, ns2... declared on their element. Empty elements are written <x/>.
   On failure out may hold part of the tree. 0, or -1 with errno (ENOBUFS
   from out). */
int xml_serialize(struct buf *out, const struct xml_node *n,
		  const char *parent_ns);
/* Appends s escaped for text (&amp; &lt; &gt;, and &#13; so that a CR
   survives) or for an attribute value in single or double quotes (also
   &apos; &quot; &#9; &#10; &#13;). Control characters that XML 1.0
   forbids are dropped. 0, or -1 with errno from out. */
int xml_escape_text(struct buf *out, const char *s, size_t len);
int xml_escape_attr(struct buf *out, const char *s, size_t len);

#endif
