
/*
 * Copyright (C) ngx_http_middleware_module authors
 */


#include <string.h>

#include <mw_header.h>
#include <mw_decision.h>


#define mw_header_lower(c)                                                    \
    (unsigned char) (((c) >= 'A' && (c) <= 'Z') ? ((c) | 0x20) : (c))


static int mw_header_in(const unsigned char *name, size_t len,
    const char *const *list);


/*
 * RFC 9110 tchar: ALPHA, DIGIT and "!#$%&'*+-.^_`|~", one bit per byte
 * (a test per byte of every name the module checks, so a table)
 */
static const uint32_t  mw_header_tchar[] = {
    0x00000000,  /* 0x00-0x1f: none */
    0x03ff6cfa,  /* ?>=< ;:98 7654 3210 /.-, +*)( '&%$ #"!  */
    0xc7fffffe,  /* _^]\ [ZYX WVUT SRQP ONML KJIH GFED CBA@ */
    0x57ffffff,  /*  ~}| {zyx wvut srqp onml kjih gfed cba` */
    0x00000000, 0x00000000, 0x00000000, 0x00000000   /* 0x80-0xff: none */
};

/* case-insensitive: name starts with the lower-case literal */
#define mw_header_has_prefix(name, len, lit)                                  \
    ((len) >= sizeof(lit) - 1                                                 \
     && mw_header_eq_lower(name, lit, sizeof(lit) - 1))

#define mw_header_is_tchar(c)                                                 \
    (mw_header_tchar[(c) >> 5] & (1U << ((c) & 0x1f)))


/* the lists of docs/PROTOCOL.md, in the same order */

static const char *const  mw_header_internal_request[] = {
    "x-now-route-matches",
    "x-matched-path",
    "x-nextjs-data",
    "x-next-resume-state-length",
    "next-resume",
    NULL
};


static const char *const  mw_header_protected_request[] = {
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "expect",
    NULL
};


static const char *const  mw_header_skipped_response[] = {
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "upgrade",
    "te",
    "trailer",
    "content-encoding",
    "accept-encoding",
    "expect",
    NULL
};


int
mw_header_name_valid(const unsigned char *name, size_t len)
{
    size_t  i;

    if (len == 0) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!mw_header_is_tchar(name[i])) {
            return 0;
        }
    }

    return 1;
}


int
mw_header_value_valid(const unsigned char *value, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (value[i] == '\r' || value[i] == '\n' || value[i] == '\0') {
            return 0;
        }
    }

    return 1;
}


size_t
mw_header_plain_line(const mw_header_t *h, unsigned char *out)
{
    size_t          i;
    unsigned char  *p, c;

    if (!mw_header_name_valid(h->name.data, h->name.len)) {
        return 0;
    }

    for (i = 0; i < h->value.len; i++) {
        c = h->value.data[i];

        if (c == '\0' || c == '\r' || c == '\n' || c > 0x7f) {
            return 0;
        }
    }

    p = out;

    for (i = 0; i < h->name.len; i++) {
        *p++ = h->name.data[i];
    }

    *p++ = '\n';

    for (i = 0; i < h->name.len; i++) {
        *p++ = mw_header_lower(h->name.data[i]);
    }

    *p++ = '\n';

    for (i = 0; i < h->value.len; i++) {
        *p++ = h->value.data[i];
    }

    *p++ = '\n';

    return p - out;
}


int
mw_header_name_eq(const unsigned char *name, size_t len, const char *lowcase)
{
    return strlen(lowcase) == len && mw_header_eq_lower(name, lowcase, len);
}


int
mw_header_eq_lower(const unsigned char *name, const char *lowcase, size_t n)
{
    size_t         i;
    unsigned char  c;

    for (i = 0; i < n; i++) {
        c = name[i];

        /* to lower case without a branch: 0x20 added to A-Z only */
        c |= (unsigned char) ((unsigned char) (c - 'A') < 26) << 5;

        if (c != (unsigned char) lowcase[i]) {
            return 0;
        }
    }

    return 1;
}


int
mw_header_is_protocol(const unsigned char *name, size_t len)
{
    return mw_header_has_prefix(name, len, "x-middleware-");
}


int
mw_header_is_internal_request(const unsigned char *name, size_t len)
{
    return mw_header_has_prefix(name, len, "x-middleware-")
           || mw_header_has_prefix(name, len, "x-invoke-")
           || mw_header_in(name, len, mw_header_internal_request);
}


int
mw_header_is_protected_request(const unsigned char *name, size_t len)
{
    return mw_header_in(name, len, mw_header_protected_request);
}


int
mw_header_is_skipped_response(const unsigned char *name, size_t len)
{
    return mw_header_has_prefix(name, len, "x-middleware-")
           || mw_header_in(name, len, mw_header_skipped_response);
}


int
mw_header_override(const mw_headers_t *orig, const struct mw_decision_s *d,
    mw_headers_t *out, mw_alloc_t *a)
{
    size_t              i, n;
    mw_header_t        *h;
    const mw_header_t  *o, *r;

    out->elts = NULL;
    out->nelts = 0;

    o = orig->elts;
    r = d->request.elts;

    /* count first: the result is allocated at once, in the right size */

    if (!d->override) {
        n = orig->nelts;

    } else {
        n = 0;

        for (i = 0; i < orig->nelts; i++) {
            if (mw_header_is_protected_request(o[i].name.data,
                                               o[i].name.len))
            {
                n++;
            }
        }

        for (i = 0; i < d->request.nelts; i++) {
            if (!mw_header_is_protected_request(r[i].name.data,
                                                r[i].name.len))
            {
                n++;
            }
        }
    }

    if (n == 0) {
        return MW_OK;
    }

    h = a->alloc(a->data, n * sizeof(mw_header_t));
    if (h == NULL) {
        return MW_NOMEM;
    }

    out->elts = h;

    if (!d->override) {
        memcpy(h, o, n * sizeof(mw_header_t));
        out->nelts = n;
        return MW_OK;
    }

    for (i = 0; i < orig->nelts; i++) {
        if (mw_header_is_protected_request(o[i].name.data, o[i].name.len)) {
            h[out->nelts++] = o[i];
        }
    }

    for (i = 0; i < d->request.nelts; i++) {
        if (!mw_header_is_protected_request(r[i].name.data, r[i].name.len)) {
            h[out->nelts++] = r[i];
        }
    }

    return MW_OK;
}


static int
mw_header_in(const unsigned char *name, size_t len, const char *const *list)
{
    for ( /* void */ ; *list != NULL; list++) {
        if (mw_header_name_eq(name, len, *list)) {
            return 1;
        }
    }

    return 0;
}
