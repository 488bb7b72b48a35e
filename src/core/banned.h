/*
 * banned.h — functions kasi must not call (after git's banned.h).
 *
 * Each is replaced by an undeclared identifier, so a use fails to compile
 * with a name that says why. Use instead:
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

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)
#undef atoll
#define atoll(x) BANNED(atoll)
#undef localtime
#define localtime(t) BANNED(localtime)
#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef ctime
#define ctime(t) BANNED(ctime)
#undef asctime
#define asctime(t) BANNED(asctime)
#undef gets
#define gets(s) BANNED(gets)
#undef tmpnam
#define tmpnam(s) BANNED(tmpnam)
#undef mktemp
#define mktemp(s) BANNED(mktemp)

#endif
