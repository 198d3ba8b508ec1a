/* mime.h: Content-Type by file-name extension.
 *
 * A fixed table covering what a web client ships (html, js, mjs, css, json,
 * svg, png, jpg, gif, webp, ico, woff, woff2, wasm, map, txt, xml, ...).
 * Text types carry "; charset=utf-8". Matching is case-insensitive. */
#ifndef PARLEY_MIME_H
#define PARLEY_MIME_H

/* The type for path's extension, or "application/octet-stream". */
const char *mime_type_for(const char *path);

#endif
