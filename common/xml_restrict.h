/* xml_restrict.h: the XML that XMPP forbids (RFC 6120 11), refused in one
 * place for every expat parser of Parley (xml_stream.c, boshd's body
 * parser).
 *
 * A DOCTYPE, an entity declaration, a processing instruction or a comment
 * is XML_RESTRICT_MARKUP; an XML declaration naming an encoding other than
 * UTF-8 is XML_RESTRICT_ENCODING. The parser's user data must point to a
 * struct whose first member is a struct xml_restrict: its refuse callback
 * is called with that same pointer and the reason. */
#ifndef PARLEY_XML_RESTRICT_H
#define PARLEY_XML_RESTRICT_H

#include <expat.h>

enum xml_restrict_reason {
	XML_RESTRICT_MARKUP,
	XML_RESTRICT_ENCODING,
};

struct xml_restrict {
	void (*refuse)(void *owner, enum xml_restrict_reason why);
};

/* Sets p's handlers for everything xml_restrict refuses. */
void xml_restrict_install(XML_Parser p);

#endif
