
/*
 * Copyright (C) ngx_http_middleware_module authors
 */


#ifndef _MW_URL_H_INCLUDED_
#define _MW_URL_H_INCLUDED_


#include <mw_common.h>


/*
 * The parts of a rewrite target.  An absolute URL
 * "scheme://authority/path?query#fragment" fills scheme (lower case is not
 * enforced), host (the authority without userinfo, port included) and the
 * rest; an absolute path "/path?query" leaves scheme and host empty.  The
 * fragment is dropped.  path is never empty ("/" when the URL has none).
 * Strings point into the input.
 */
typedef struct {
    mw_str_t  scheme;
    mw_str_t  host;
    mw_str_t  path;             /* still percent-encoded */
    mw_str_t  query;            /* without '?' */
} mw_url_t;


/* MW_OK, or MW_ERROR for anything else (relative paths, "//x", no host) */
int mw_url_parse(const unsigned char *p, size_t len, mw_url_t *u);

/*
 * 1 if the URL's origin is the request's: same scheme (case-insensitive) and
 * same host (case-insensitive), where a missing port equals the scheme's
 * default port (80 for http, 443 for https) on either side.  A URL without
 * scheme and host (an absolute path) is always same-origin.
 */
int mw_url_same_origin(const mw_url_t *u, const unsigned char *scheme,
    size_t scheme_len, const unsigned char *host, size_t host_len);

/*
 * Percent-decodes path into out (at least path->len bytes).  Returns the
 * decoded length, or -1 when the result would hold a NUL byte or a '%' is
 * not followed by two hex digits.
 */
long mw_url_decode_path(const mw_str_t *path, unsigned char *out);

/*
 * The request's URL as the runtime's request.url and nextUrl hold it, when
 * the runtime's URL parser would take its fast path on "scheme://" + host +
 * target and the result needs nothing of the general one: host a name of
 * ASCII letters, digits, '-' and '.' (lower-cased; not a number that WHATWG
 * reads as IPv4 unless a canonical one) with an optional port of 1 to 5
 * digits (at most 65535, the scheme's default dropped), target an
 * origin-form path of plain bytes where no segment starts with '.' or
 * "%2e", and a query of plain bytes.  Writes
 *
 *     href \n scheme \n host \n port \n path \n query
 *
 * (scheme with its ':', port "" for none, path without its leading '/';
 * the query line only when there is one), ending in one more "\n" when the
 * query changes when URLSearchParams serializes it again, as Next.js does
 * (href is then the query's before that).  An empty query is none.
 * Returns the length written to out (MW_URL_REQUEST_LEN() bytes), 0 when
 * the URL is not one of these: the runtime then parses it itself.
 */
size_t mw_url_request(int https, const mw_str_t *host,
    const mw_str_t *target, unsigned char *out);

#define MW_URL_REQUEST_LEN(host_len, target_len)                             \
    (2 * ((host_len) + (target_len)) + 32)


#endif /* _MW_URL_H_INCLUDED_ */
