/*
 * banned.h — functions kasi must not call (after git's banned.h).
 *
 * Each name is poisoned: any later mention of it, a call or its address,
 * fails to compile. Included by core/common.h after the system headers,
 * which declare them. Use instead:
 *   strcpy, strcat, strncpy, strncat  ->  snprintf / memcpy with a length
 *   sprintf, vsprintf                 ->  snprintf / vsnprintf
 *   strtok                            ->  strtok_r or explicit scanning
 *   atoi, atol, atoll                 ->  the checked parsers in core/
 *   localtime, gmtime, ctime, asctime ->  core/dates (business time is SAST,
 *                                          never the machine's zone)
 *   gets, tmpnam, mktemp              ->  fgets / mkstemp
 */
#ifndef KASI_BANNED_H
#define KASI_BANNED_H

#pragma GCC poison strcpy strcat strncpy strncat sprintf vsprintf strtok
#pragma GCC poison atoi atol atoll localtime gmtime ctime asctime gets tmpnam mktemp

#endif
