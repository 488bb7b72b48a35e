/*
 * text.h — UTF-8 checks and the safe rendering of field values.
 *
 * Files are UTF-8; lengths count code points, not bytes. A value quoted
 * in an error message or report is rendered so that it can neither break
 * the line nor leak personal data: control characters and invalid bytes
 * are escaped, long values are cut, and personal values keep only their
 * last four characters. A value is personal when its column says so, and
 * also, whatever its column, when it carries a run of TEXT_DIGIT_RUN or
 * more digits: an ID or account number in the wrong column (or in a
 * product code) is still an ID or account number.
 */
#ifndef KASI_TEXT_H
#define KASI_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum text_status {
	TEXT_OK = 0,
	TEXT_NUL = 1,	   /* well-formed, but holds a NUL byte */
	TEXT_BAD_UTF8 = 2, /* not well-formed UTF-8 */
};

/* Check s[0..n) and count its code points into *codepoints (counted up
 * to the first bad byte when the text is not well-formed). Overlong
 * forms, surrogates and values above U+10FFFF are not well-formed. */
enum text_status text_scan(const char *s, size_t n, uint32_t *codepoints);

/* Byte length (1..4) of the well-formed UTF-8 character at s[0..n), or 0
 * when s does not start with one. n must be at least 1. */
size_t text_utf8_len(const char *s, size_t n);

/* Whether s[0..n) holds a C1 control (U+0080..U+009F) or a character
 * that does nothing visible but changes how the text around it reads (the
 * bidirectional marks, embeddings, overrides and isolates, the zero-width
 * characters, the line and paragraph separators): well-formed UTF-8 that
 * no honest name holds, and that would make a message or a listing lie. */
bool text_has_invisible_control(const char *s, size_t n);

/* The code point of the well-formed UTF-8 sequence s[0..len) (len as
 * text_utf8_len gives it). */
uint32_t text_code_point(const char *s, size_t len);

/* Most code points of a value shown in a message before it is cut. */
#define TEXT_RENDER_MAX 64
/* A buffer always big enough for text_render's output. */
#define TEXT_RENDER_BUFSZ (TEXT_RENDER_MAX * 6 + 64)

/* The shortest run of digits that makes any value personal: an SA ID
 * number has 13, a bank account number 6 to 20, a phone number 10 or 11
 * (short ones are hard to tell from amounts and ids, so the rule starts
 * at 9). */
#define TEXT_DIGIT_RUN 9

/* Whether s[0..n) holds a run of TEXT_DIGIT_RUN or more ASCII digits. A
 * single space or dash between two digits does not break a run, as people
 * write numbers ("082 999 8877", "+27-82-999-8877", "1234-5678-9012"); a
 * date written yyyy-mm-dd is no one's number and counts for nothing
 * ("2026-10-22 09:15" holds no run). */
bool text_has_digit_run(const char *s, size_t n);

/* Mask, in the NUL-terminated s, each run of TEXT_DIGIT_RUN or more
 * digits as text_has_digit_run finds them (a single space or dash between
 * two digits is part of a run; a date is none) but for its last four
 * digits: what an operator typed into a note ("ID 800101 5009 087"). */
void text_mask_digit_runs(char *s);

/* Render s[0..n) into out (NUL-terminated, returns the length): control
 * characters as \n, \r, \t or \xNN, invalid bytes as \xNN, the
 * characters text_has_invisible_control finds as \uNNNN, the rest as
 * is, cut after TEXT_RENDER_MAX code points with "...(N chars)". With
 * `mask`, or when s has a run of TEXT_DIGIT_RUN digits, all but the last
 * four characters become '*' (a value of four characters or fewer is
 * hidden entirely: its last four are all of it). Every value quoted in a
 * message or report goes through here. */
size_t text_render(const char *s, size_t n, bool mask, char *out, size_t outsz);

/* text_render of the NUL-terminated s (NULL: "") into out, which must
 * hold TEXT_RENDER_BUFSZ bytes; returns out. For formatting a value
 * into a message: "'%s' is not a known product". */
const char *text_value(const char *s, char *out);

/* Most characters of a name shown before it is cut, and a buffer always
 * big enough for text_name's output. */
#define TEXT_NAME_MAX	255
#define TEXT_NAME_BUFSZ (TEXT_NAME_MAX * 6 + 64)

/* A name from outside (a file name in a partner's directory) rendered for
 * a message or a log into out (TEXT_NAME_BUFSZ bytes); returns out.
 * Escaped as text_render escapes, so no name can break a line, colour a
 * terminal or read backwards; never masked (it is a name, not a field's
 * value); cut after TEXT_NAME_MAX characters. */
const char *text_name(const char *s, char *out);

#endif
