/*
 * html.h — the escaping behind kasi's HTML and inline SVG output.
 *
 * Markup is kasi's own constant text; everything that came from data (a
 * provider's code, a reason, an exception's detail) goes through
 * html_text, which makes it inert wherever it lands, in an element or in
 * a quoted attribute: & < > " ' become entities; control characters,
 * invalid UTF-8 and the characters that reorder text around them (the
 * bidirectional overrides, embeddings, isolates and marks) become U+FFFD.
 */
#ifndef KASI_HTML_H
#define KASI_HTML_H

#include <stdio.h>

/* s escaped onto f; NULL writes nothing. */
void html_text(FILE *f, const char *s);

#endif
