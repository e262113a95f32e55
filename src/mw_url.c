
/*
 * Copyright (C) ngx_http_middleware_module authors
 */


#include <string.h>

#include <mw_url.h>


#define mw_url_lower(c)                                                       \
    (unsigned char) (((c) >= 'A' && (c) <= 'Z') ? ((c) | 0x20) : (c))

#define mw_url_is_alpha(c)                                                    \
    (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))

#define mw_url_is_digit(c)  ((c) >= '0' && (c) <= '9')

/* raw bytes that no serialized URL holds */
#define mw_url_is_ctl(c)    ((c) <= 0x20 || (c) == 0x7f)


static int mw_url_parse_host(const unsigned char *p, size_t len);
static int mw_url_parse_rest(const unsigned char *p,
    const unsigned char *last, mw_url_t *u);
static void mw_url_split_host(const unsigned char *p, size_t len,
    mw_str_t *name, mw_str_t *port);
static long mw_url_port(const mw_str_t *port, const unsigned char *scheme,
    size_t scheme_len);
static int mw_url_caseeq(const unsigned char *a, size_t alen,
    const unsigned char *b, size_t blen);
static int mw_url_hex(unsigned char c);
static unsigned char *mw_url_write_port(unsigned char *p,
    unsigned long port);
static int mw_url_numeric(const unsigned char *p, size_t len);
static int mw_url_ipv4(const unsigned char *p, size_t len);
static int mw_url_form_plain(const unsigned char *p,
    const unsigned char *last);


/* besides ALPHA and DIGIT: unreserved, pct-encoded and sub-delims */
static const char  mw_url_host_chars[] = "-._~%!$&'()*+,;=";

/* never in an authority, userinfo included: a browser reads '\' as '/' */
static const char  mw_url_bad_authority[] = "\"<>\\^`{|}";


/*
 * The bytes the runtime's URL fast path takes as they are (url.js
 * FAST_ABS): in a path segment and in a query.
 */

#define mw_url_path_plain(c)                                                  \
    ((c) == 0x21 || ((c) >= 0x24 && (c) <= 0x2e)                             \
     || ((c) >= 0x30 && (c) <= 0x3b) || (c) == 0x3d                          \
     || ((c) >= 0x40 && (c) <= 0x5b) || ((c) >= 0x5d && (c) <= 0x5f)         \
     || ((c) >= 0x61 && (c) <= 0x7a) || (c) == 0x7c || (c) == 0x7e)

#define mw_url_query_plain(c)                                                 \
    ((c) == 0x21 || ((c) >= 0x24 && (c) <= 0x26)                             \
     || ((c) >= 0x28 && (c) <= 0x3b) || (c) == 0x3d                          \
     || ((c) >= 0x3f && (c) <= 0x7e))

/* what URLSearchParams writes as it is: alphanumerics and "*-._" */

#define mw_url_form_safe(c)                                                   \
    (mw_url_is_alpha(c) || mw_url_is_digit(c) || (c) == '*' || (c) == '-'    \
     || (c) == '.' || (c) == '_')


int
mw_url_parse(const unsigned char *p, size_t len, mw_url_t *u)
{
    const unsigned char  *s, *last, *host, *at;

    memset(u, 0, sizeof(mw_url_t));

    if (len == 0) {
        return MW_ERROR;
    }

    last = p + len;

    if (p[0] == '/') {

        /* "//host/path" is relative to the scheme only */

        if (len > 1 && p[1] == '/') {
            return MW_ERROR;
        }

        return mw_url_parse_rest(p, last, u);
    }

    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) "://" */

    if (!mw_url_is_alpha(p[0])) {
        return MW_ERROR;
    }

    for (s = p + 1; s < last; s++) {
        if (!mw_url_is_alpha(*s) && !mw_url_is_digit(*s)
            && *s != '+' && *s != '-' && *s != '.')
        {
            break;
        }
    }

    if (last - s < 3 || s[0] != ':' || s[1] != '/' || s[2] != '/') {
        return MW_ERROR;
    }

    u->scheme.data = (unsigned char *) p;
    u->scheme.len = s - p;

    s += 3;
    host = s;
    at = NULL;

    for ( /* void */ ; s < last; s++) {
        if (*s == '/' || *s == '?' || *s == '#') {
            break;
        }

        if (mw_url_is_ctl(*s) || *s >= 0x80
            || memchr(mw_url_bad_authority, *s,
                      sizeof(mw_url_bad_authority) - 1))
        {
            return MW_ERROR;
        }

        if (*s == '@') {
            at = s;
        }
    }

    /* the userinfo ends at the last '@' */

    if (at != NULL) {
        host = at + 1;
    }

    if (mw_url_parse_host(host, s - host) != MW_OK) {
        return MW_ERROR;
    }

    u->host.data = (unsigned char *) host;
    u->host.len = s - host;

    return mw_url_parse_rest(s, last, u);
}


int
mw_url_same_origin(const mw_url_t *u, const unsigned char *scheme,
    size_t scheme_len, const unsigned char *host, size_t host_len)
{
    long      uport, rport;
    mw_str_t  uname, rname, uportstr, rportstr;

    if (u->scheme.len == 0 && u->host.len == 0) {
        return 1;
    }

    if (!mw_url_caseeq(u->scheme.data, u->scheme.len, scheme, scheme_len)) {
        return 0;
    }

    mw_url_split_host(u->host.data, u->host.len, &uname, &uportstr);
    mw_url_split_host(host, host_len, &rname, &rportstr);

    if (uname.len == 0
        || !mw_url_caseeq(uname.data, uname.len, rname.data, rname.len))
    {
        return 0;
    }

    uport = mw_url_port(&uportstr, scheme, scheme_len);
    rport = mw_url_port(&rportstr, scheme, scheme_len);

    return uport >= 0 && uport == rport;
}


long
mw_url_decode_path(const mw_str_t *path, unsigned char *out)
{
    size_t          i;
    unsigned char   c, *d;

    d = out;

    for (i = 0; i < path->len; i++) {
        c = path->data[i];

        if (c == '%') {
            if (path->len - i < 3
                || mw_url_hex(path->data[i + 1]) < 0
                || mw_url_hex(path->data[i + 2]) < 0)
            {
                return -1;
            }

            c = (unsigned char) (mw_url_hex(path->data[i + 1]) * 16
                                 + mw_url_hex(path->data[i + 2]));
            i += 2;
        }

        if (c == '\0') {
            return -1;
        }

        *d++ = c;
    }

    return d - out;
}


/*
 * host [ ":" port ], host being a reg-name or an IP literal in brackets;
 * the port may be empty (the default) and is at most 65535
 */

size_t
mw_url_request(int https, const mw_str_t *host, const mw_str_t *target,
    unsigned char *out)
{
    size_t          i, name_len, port_len;
    unsigned char   c, *o, *t, *last, *query, *path_end, *name;
    unsigned long   port;

    if (host->len == 0 || target->len == 0 || target->data[0] != '/') {
        return 0;
    }

    /* the host: name [":" port] */

    for (name_len = 0; name_len < host->len; name_len++) {
        c = host->data[name_len];

        if (c == ':') {
            break;
        }

        if (!mw_url_is_alpha(c) && !mw_url_is_digit(c) && c != '-'
            && c != '.')
        {
            return 0;
        }
    }

    if (name_len == 0) {
        return 0;
    }

    port = 0;
    port_len = 0;

    if (name_len < host->len) {
        port_len = host->len - name_len - 1;

        if (port_len == 0 || port_len > 5) {
            return 0;
        }

        for (i = name_len + 1; i < host->len; i++) {
            c = host->data[i];

            if (!mw_url_is_digit(c)) {
                return 0;
            }

            port = port * 10 + (c - '0');
        }

        if (port > 65535) {
            return 0;
        }
    }

    /*
     * a name whose last label is a number is an IPv4 address to WHATWG
     * (0x7f.1, 010.0.0.1, 1.2.3), which the general parser normalizes; a
     * canonical dotted quad stays as it is
     */

    if (mw_url_numeric(host->data, name_len)
        && !mw_url_ipv4(host->data, name_len))
    {
        return 0;
    }

    /* the path: plain bytes, no segment starting with "." or "%2e" */

    last = target->data + target->len;
    query = NULL;

    for (t = target->data; t < last; t++) {
        c = *t;

        if (c == '/') {
            if (last - t > 1 && t[1] == '.') {
                return 0;
            }

            if (last - t > 3 && t[1] == '%' && t[2] == '2'
                && (t[3] | 0x20) == 'e')
            {
                return 0;
            }

            continue;
        }

        if (c == '?') {
            query = t + 1;
            break;
        }

        if (!mw_url_path_plain(c)) {
            return 0;
        }
    }

    path_end = t;

    if (query) {
        for (t = query; t < last; t++) {
            if (!mw_url_query_plain(*t)) {
                return 0;
            }
        }

        if (query == last) {
            query = NULL;       /* "?": URLSearchParams makes it none */
        }
    }

    /* href */

    o = out;

    if (https) {
        o = (unsigned char *) memcpy(o, "https://", 8) + 8;

    } else {
        o = (unsigned char *) memcpy(o, "http://", 7) + 7;
    }

    name = o;

    for (i = 0; i < name_len; i++) {
        *o++ = mw_url_lower(host->data[i]);
    }

    if (port_len && port != (https ? 443u : 80u)) {
        *o++ = ':';
        o = mw_url_write_port(o, port);

    } else {
        port_len = 0;
    }

    i = (query ? last : path_end) - target->data;
    o = (unsigned char *) memcpy(o, target->data, i) + i;

    /* its parts */

    *o++ = '\n';
    if (https) {
        o = (unsigned char *) memcpy(o, "https:", 6) + 6;

    } else {
        o = (unsigned char *) memcpy(o, "http:", 5) + 5;
    }

    *o++ = '\n';
    o = (unsigned char *) memcpy(o, name, name_len) + name_len;
    *o++ = '\n';

    if (port_len) {
        o = mw_url_write_port(o, port);
    }

    *o++ = '\n';

    i = path_end - (target->data + 1);
    o = (unsigned char *) memcpy(o, target->data + 1, i) + i;

    if (query) {
        *o++ = '\n';
        o = (unsigned char *) memcpy(o, query, last - query)
            + (last - query);

        if (!mw_url_form_plain(query, last)) {
            *o++ = '\n';
        }
    }

    return o - out;
}


static int
mw_url_parse_host(const unsigned char *p, size_t len)
{
    size_t                i;
    unsigned long         port;
    const unsigned char  *last;

    last = p + len;

    if (len == 0) {
        return MW_ERROR;
    }

    if (p[0] == '[') {
        for (p++; p < last && *p != ']'; p++) {
            if (!mw_url_is_digit(*p) && *p != ':' && *p != '.'
                && !(mw_url_lower(*p) >= 'a' && mw_url_lower(*p) <= 'f'))
            {
                return MW_ERROR;
            }
        }

        if (p == last || p[-1] == '[') {
            return MW_ERROR;
        }

        p++;

    } else {
        for (i = 0; p < last && *p != ':'; p++, i++) {
            if (!mw_url_is_alpha(*p) && !mw_url_is_digit(*p)
                && memchr(mw_url_host_chars, *p,
                          sizeof(mw_url_host_chars) - 1) == NULL)
            {
                return MW_ERROR;
            }
        }

        if (i == 0) {
            return MW_ERROR;
        }
    }

    if (p == last) {
        return MW_OK;
    }

    if (*p++ != ':') {
        return MW_ERROR;
    }

    for (port = 0; p < last; p++) {
        if (!mw_url_is_digit(*p)) {
            return MW_ERROR;
        }

        port = port * 10 + (*p - '0');

        if (port > 65535) {
            return MW_ERROR;
        }
    }

    return MW_OK;
}


/* [ "/" path ] [ "?" query ] [ "#" fragment ] */

static int
mw_url_parse_rest(const unsigned char *p, const unsigned char *last,
    mw_url_t *u)
{
    const unsigned char  *s;

    for (s = p; s < last && *s != '#'; s++) {
        if (mw_url_is_ctl(*s)) {
            return MW_ERROR;
        }
    }

    last = s;

    for (s = p; s < last && *s != '?'; s++) {
        /* void */
    }

    if (s == p) {
        u->path.data = (unsigned char *) "/";
        u->path.len = 1;

    } else {
        u->path.data = (unsigned char *) p;
        u->path.len = s - p;
    }

    if (s < last) {
        u->query.data = (unsigned char *) s + 1;
        u->query.len = last - (s + 1);
    }

    return MW_OK;
}


/* "name", "name:port", "[v6]", "[v6]:port"; port.data is NULL if none */

static void
mw_url_split_host(const unsigned char *p, size_t len, mw_str_t *name,
    mw_str_t *port)
{
    size_t  i;

    i = 0;

    if (len > 0 && p[0] == '[') {
        while (i < len && p[i] != ']') {
            i++;
        }

        if (i < len) {
            i++;
        }

    } else {
        while (i < len && p[i] != ':') {
            i++;
        }
    }

    name->data = (unsigned char *) p;
    name->len = i;

    port->data = NULL;
    port->len = 0;

    if (i < len) {
        port->data = (unsigned char *) p + i;
        port->len = len - i;
    }
}


/*
 * the port number, the scheme's default (0 for an unknown scheme) if it is
 * missing or empty, -1 if invalid; port includes the ':'
 */

static long
mw_url_port(const mw_str_t *port, const unsigned char *scheme,
    size_t scheme_len)
{
    long    n;
    size_t  i;

    if (port->len <= 1) {
        if (port->len == 1 && port->data[0] != ':') {
            return -1;
        }

        if (mw_url_caseeq(scheme, scheme_len, (unsigned char *) "http", 4)) {
            return 80;
        }

        if (mw_url_caseeq(scheme, scheme_len, (unsigned char *) "https", 5)) {
            return 443;
        }

        return 0;
    }

    if (port->data[0] != ':') {
        return -1;
    }

    n = 0;

    for (i = 1; i < port->len; i++) {
        if (!mw_url_is_digit(port->data[i])) {
            return -1;
        }

        n = n * 10 + (port->data[i] - '0');

        if (n > 65535) {
            return -1;
        }
    }

    return n;
}


static int
mw_url_caseeq(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen)
{
    size_t  i;

    if (alen != blen) {
        return 0;
    }

    for (i = 0; i < alen; i++) {
        if (mw_url_lower(a[i]) != mw_url_lower(b[i])) {
            return 0;
        }
    }

    return 1;
}


static int
mw_url_hex(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


/* a port number in decimal, without leading zeros */

static unsigned char *
mw_url_write_port(unsigned char *p, unsigned long port)
{
    size_t          n;
    unsigned char   digits[5];

    n = 0;

    do {
        digits[n++] = (unsigned char) ('0' + port % 10);
        port /= 10;
    } while (port && n < sizeof(digits));

    while (n) {
        *p++ = digits[--n];
    }

    return p;
}


/*
 * the last label of a host name (before one final '.') is a number to
 * WHATWG's IPv4 parser: decimal digits, or "0x" and hex digits
 */

static int
mw_url_numeric(const unsigned char *p, size_t len)
{
    size_t  i, end;

    end = len;

    if (end && p[end - 1] == '.') {
        end--;
    }

    for (i = end; i > 0 && p[i - 1] != '.'; i--) {
        /* void */
    }

    if (i == end) {
        return 0;
    }

    if (end - i >= 2 && p[i] == '0' && (p[i + 1] | 0x20) == 'x') {
        for (i += 2; i < end; i++) {
            if (mw_url_hex(p[i]) == -1) {
                return 0;
            }
        }

        return 1;
    }

    for (/* void */; i < end; i++) {
        if (!mw_url_is_digit(p[i])) {
            return 0;
        }
    }

    return 1;
}


/* a dotted quad of 0-255 without leading zeros */

static int
mw_url_ipv4(const unsigned char *p, size_t len)
{
    size_t    i, digits;
    unsigned  n, parts;

    n = 0;
    digits = 0;
    parts = 0;

    for (i = 0; i <= len; i++) {
        if (i == len || p[i] == '.') {
            if (digits == 0 || n > 255 || ++parts > 4) {
                return 0;
            }

            n = 0;
            digits = 0;
            continue;
        }

        if (!mw_url_is_digit(p[i]) || (digits == 1 && n == 0)) {
            return 0;
        }

        n = n * 10 + (p[i] - '0');
        digits++;
    }

    return parts == 4;
}


/*
 * a query that URLSearchParams writes back unchanged: "name=value" pairs
 * joined by '&', none empty, each with one '=', every other byte one that
 * it writes as it is, '+' (a space, written as '+'), or "%XX" in upper
 * case of an ASCII byte it escapes (not a space, written as '+')
 */

static int
mw_url_form_plain(const unsigned char *p, const unsigned char *last)
{
    int            c, eq, hi, lo;
    unsigned char  prev;

    eq = 0;
    prev = '&';

    for (/* void */; p < last; p++) {
        c = *p;

        if (c == '&') {
            if (prev == '&' || !eq) {
                return 0;
            }

            eq = 0;

        } else if (c == '=') {
            if (eq++) {
                return 0;
            }

        } else if (c == '%') {
            if (last - p < 3) {
                return 0;
            }

            hi = p[1];
            lo = p[2];

            if (!((hi >= '0' && hi <= '7'))
                || !(mw_url_is_digit(lo) || (lo >= 'A' && lo <= 'F')))
            {
                return 0;
            }

            c = mw_url_hex(hi) * 16 + mw_url_hex(lo);

            if (c == 0x20 || mw_url_form_safe(c)) {
                return 0;
            }

            p += 2;

        } else if (c != '+' && !mw_url_form_safe(c)) {
            return 0;
        }

        prev = *p;
    }

    return eq && prev != '&';
}
