/* xml_restrict.c: expat handlers for the XML that XMPP forbids (see
 * xml_restrict.h). Each only reports to the owner, which stops its parser
 * and answers with its own error (restricted-xml, bad-request, ...). */
#include <strings.h>

#include "xml_restrict.h"

static void xml_restrict_refuse(void *ud, enum xml_restrict_reason why)
{
	struct xml_restrict *r = ud;
	r->refuse(ud, why);
}

static void xml_restrict_on_doctype(void *ud, const XML_Char *name,
				    const XML_Char *sysid,
				    const XML_Char *pubid,
				    int has_internal_subset)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	xml_restrict_refuse(ud, XML_RESTRICT_MARKUP);
}

static void xml_restrict_on_entity(void *ud, const XML_Char *name, int is_param,
				   const XML_Char *value, int value_len,
				   const XML_Char *base, const XML_Char *sysid,
				   const XML_Char *pubid,
				   const XML_Char *notation)
{
	(void)name;
	(void)is_param;
	(void)value;
	(void)value_len;
	(void)base;
	(void)sysid;
	(void)pubid;
	(void)notation;
	xml_restrict_refuse(ud, XML_RESTRICT_MARKUP);
}

static void xml_restrict_on_pi(void *ud, const XML_Char *target,
			       const XML_Char *data)
{
	(void)target;
	(void)data;
	xml_restrict_refuse(ud, XML_RESTRICT_MARKUP);
}

static void xml_restrict_on_comment(void *ud, const XML_Char *data)
{
	(void)data;
	xml_restrict_refuse(ud, XML_RESTRICT_MARKUP);
}

static void xml_restrict_on_xml_decl(void *ud, const XML_Char *version,
				     const XML_Char *encoding, int standalone)
{
	(void)version;
	(void)standalone;
	if (encoding && strcasecmp(encoding, "UTF-8") != 0)
		xml_restrict_refuse(ud, XML_RESTRICT_ENCODING);
}

void xml_restrict_install(XML_Parser p)
{
	XML_SetStartDoctypeDeclHandler(p, xml_restrict_on_doctype);
	XML_SetEntityDeclHandler(p, xml_restrict_on_entity);
	XML_SetProcessingInstructionHandler(p, xml_restrict_on_pi);
	XML_SetCommentHandler(p, xml_restrict_on_comment);
	XML_SetXmlDeclHandler(p, xml_restrict_on_xml_decl);
}
