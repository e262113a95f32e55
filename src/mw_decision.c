
/*
 * Copyright (C) ngx_http_middleware_module authors
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mw_decision.h>
#include <mw_header.h>


#define MW_DECISION_MAGIC          "MW1 "
#define MW_DECISION_MAGIC_LEN      (sizeof(MW_DECISION_MAGIC) - 1)

/*
 * the fields of docs/PROTOCOL.md; MW_S_* are their names after the
 * "x-middleware-" prefix, which a field is tested for once
 */
#define MW_F_PREFIX                "x-middleware-"
#define MW_F_PREFIX_LEN            (sizeof(MW_F_PREFIX) - 1)
#define MW_S_NEXT                  "next"
#define MW_S_REWRITE               "rewrite"
#define MW_S_OVERRIDE              "override-headers"
#define MW_S_CHANGED               "override-changed"
#define MW_S_REQUEST               "request-"
#define MW_S_ERROR                 "error"
#define MW_S_PASS_THROUGH          "pass-through"
#define MW_F_REWRITE               MW_F_PREFIX MW_S_REWRITE
#define MW_F_REQUEST               MW_F_PREFIX MW_S_REQUEST
#define MW_F_REQUEST_LEN           (sizeof(MW_F_REQUEST) - 1)
#define MW_F_LOCATION              "location"

/*
 * a name or line quoted in a message shows at most this many characters,
 * escapes included, then "..."; every message then fits MW_ERRLEN
 */
#define MW_DECISION_QUOTE_MAX      64
#define MW_DECISION_QUOTE_SIZE     (MW_DECISION_QUOTE_MAX + sizeof("..."))

#define mw_decision_lower(c)                                                  \
    (unsigned char) (((c) >= 'A' && (c) <= 'Z') ? ((c) | 0x20) : (c))


/* what a field is, found once per field (mw_decision_field_kind()) */
typedef enum {
    MW_K_RESPONSE = 0,          /* not a protocol field: a response header */
    MW_K_LOCATION,
    MW_K_NEXT,
    MW_K_REWRITE,
    MW_K_ERROR,
    MW_K_PASS_THROUGH,
    MW_K_OVERRIDE,
    MW_K_CHANGED,
    MW_K_REQUEST,               /* x-middleware-request-* */
    MW_K_PROTOCOL               /* another x-middleware-* field: ignored */
} mw_decision_field_kind_e;


/* what the classification of the fields found besides d itself */
typedef struct {
    size_t                 nrequest;    /* x-middleware-request-* fields */
    size_t                 nresponse;
    unsigned               next:1;
    unsigned               rewrite:1;
    unsigned               error:1;
} mw_decision_seen_t;


static int mw_decision_is_request(const unsigned char *p, size_t len);
static int mw_decision_status(unsigned char *p, size_t len,
    mw_decision_t *d, char *err, size_t errlen);
static int mw_decision_field(unsigned char *p, unsigned char *last,
    mw_header_t *h, char *err, size_t errlen);
static unsigned char mw_decision_field_kind(const mw_header_t *h);
static int mw_decision_classify(mw_decision_t *d, mw_header_t *fields,
    const unsigned char *kinds, size_t n, mw_decision_seen_t *seen,
    char *err, size_t errlen);
static int mw_decision_override_list(const mw_header_t *h, char *err,
    size_t errlen);
static int mw_decision_request(mw_decision_t *d, mw_header_t *fields,
    const unsigned char *kinds, size_t n, size_t nrequest, mw_alloc_t *a);
static int mw_decision_name_cmp(const void *one, const void *two);
static int mw_decision_kind(mw_decision_t *d, mw_decision_seen_t *seen,
    char *err, size_t errlen);
static int mw_decision_list_item(unsigned char **pp, unsigned char *last,
    unsigned char **start, unsigned char **end);
static long mw_decision_unescape(unsigned char *p, size_t len);
static int mw_decision_hex(unsigned char c);
static void mw_decision_quote(char *buf, const unsigned char *p, size_t len);
static void mw_decision_error(char *err, size_t errlen, const char *fmt, ...);


/*
 * Three passes over the fields, all in the payload itself:
 *
 *   1. find the empty line and count the fields, so that one array holds
 *      them all and the limit is enforced before anything is allocated;
 *   2. split, unescape and validate each field in place, and find what
 *      it is (its kind, kept after the array: no name is compared
 *      twice);
 *   3. classify them: protocol fields fill d, x-middleware-request-* fields
 *      listed by the override are copied to their own array, and the other
 *      fields are compacted at the front of the first array, which becomes
 *      d->response.
 */

int
mw_decision_parse(unsigned char *payload, size_t len, mw_decision_t *d,
    mw_alloc_t *a, char *err, size_t errlen)
{
    int                  rc;
    size_t               i, n, nother;
    mw_header_t         *fields;
    unsigned char       *p, *lf, *end, *kinds;
    mw_decision_seen_t   seen;

    memset(d, 0, sizeof(mw_decision_t));
    memset(&seen, 0, sizeof(mw_decision_seen_t));

    if (errlen > 0) {
        err[0] = '\0';
    }

    rc = mw_decision_status(payload, len, d, err, errlen);
    if (rc != MW_OK) {
        return rc;
    }

    /* "MW1 " 3DIGIT LF */

    end = payload + len;
    p = payload + MW_DECISION_MAGIC_LEN + 4;
    n = 0;
    nother = 0;

    for ( ;; ) {
        lf = memchr(p, '\n', end - p);

        if (lf == NULL) {
            mw_decision_error(err, errlen, "truncated middleware decision: "
                              "no empty line after the headers");
            return MW_ERROR;
        }

        if (lf == p) {
            break;
        }

        /*
         * the request header override carries the client's own headers
         * back: those fields are bounded by the size limit only, which
         * the glue raises by what the client sent, so that no client can
         * turn a decision into a failure by sending many header lines
         */

        n++;

        if (!mw_decision_is_request(p, lf - p)
            && ++nother > MW_DECISION_MAX_FIELDS)
        {
            mw_decision_error(err, errlen,
                              "too many headers in middleware decision, "
                              "the limit is %d", MW_DECISION_MAX_FIELDS);
            return MW_ERROR;
        }

        p = lf + 1;
    }

    d->body.data = lf + 1;
    d->body.len = end - (lf + 1);

    fields = NULL;
    kinds = NULL;

    if (n > 0) {
        /* the kind of each field follows the array */

        fields = a->alloc(a->data, n * (sizeof(mw_header_t) + 1));
        if (fields == NULL) {
            goto nomem;
        }

        kinds = (unsigned char *) (fields + n);
    }

    p = payload + MW_DECISION_MAGIC_LEN + 4;

    for (i = 0; i < n; i++) {
        lf = memchr(p, '\n', end - p);

        if (mw_decision_field(p, lf, &fields[i], err, errlen) != MW_OK) {
            return MW_ERROR;
        }

        kinds[i] = mw_decision_field_kind(&fields[i]);

        p = lf + 1;
    }

    if (mw_decision_classify(d, fields, kinds, n, &seen, err, errlen)
        != MW_OK)
    {
        return MW_ERROR;
    }

    if (mw_decision_kind(d, &seen, err, errlen) != MW_OK) {
        return MW_ERROR;
    }

    /* the complete set wins over a list of changes */

    if (d->override) {
        d->changed = 0;
    }

    if ((d->override && seen.nrequest > 0) || d->changed) {
        if (mw_decision_request(d, fields, kinds, n, seen.nrequest, a)
            != MW_OK)
        {
            goto nomem;
        }
    }

    /*
     * the array is compacted last: the override lists and the request
     * fields must still be in it above
     */

    if (seen.nresponse > 0) {
        d->response.elts = fields;
    }

    for (i = 0; i < n; i++) {
        if (kinds[i] == MW_K_RESPONSE) {
            fields[d->response.nelts++] = fields[i];
        }
    }

    return MW_OK;

nomem:

    mw_decision_error(err, errlen, "not enough memory for middleware "
                      "decision");
    return MW_NOMEM;
}


const char *
mw_decision_kind_name(mw_decision_kind_e kind)
{
    switch (kind) {

    case MW_DECISION_NEXT:
        return "next";

    case MW_DECISION_REWRITE:
        return "rewrite";

    case MW_DECISION_REDIRECT:
        return "redirect";

    case MW_DECISION_RESPONSE:
        return "response";

    case MW_DECISION_ERROR:
        return "error";
    }

    return "unknown";
}


/* a raw line that starts with "x-middleware-request-" (any case) */

static int
mw_decision_is_request(const unsigned char *p, size_t len)
{
    return len > MW_F_REQUEST_LEN
           && mw_header_eq_lower(p, MW_F_REQUEST, MW_F_REQUEST_LEN);
}


/* "MW1 " 3DIGIT LF, the status being 100..599 */

static int
mw_decision_status(unsigned char *p, size_t len, mw_decision_t *d,
    char *err, size_t errlen)
{
    size_t          i;
    unsigned        status;
    unsigned char  *lf, *s;
    char            q[MW_DECISION_QUOTE_SIZE];

    if (len < MW_DECISION_MAGIC_LEN
        || memcmp(p, MW_DECISION_MAGIC, MW_DECISION_MAGIC_LEN) != 0)
    {
        mw_decision_error(err, errlen, "middleware decision does not start "
                          "with \"" MW_DECISION_MAGIC "\"");
        return MW_ERROR;
    }

    s = p + MW_DECISION_MAGIC_LEN;
    len -= MW_DECISION_MAGIC_LEN;

    lf = memchr(s, '\n', len);

    if (lf == NULL) {
        mw_decision_error(err, errlen, "truncated middleware decision: "
                          "no end of the status line");
        return MW_ERROR;
    }

    status = 0;

    for (i = 0; i < 3 && s + i < lf; i++) {
        if (s[i] < '0' || s[i] > '9') {
            break;
        }

        status = status * 10 + (s[i] - '0');
    }

    if (i != 3 || s + 3 != lf || status < 100 || status > 599) {
        mw_decision_quote(q, s, lf - s);
        mw_decision_error(err, errlen, "invalid status \"%s\" in middleware "
                          "decision", q);
        return MW_ERROR;
    }

    d->status = status;

    return MW_OK;
}


/* name ":" value, unescaped and validated in place */

static int
mw_decision_field(unsigned char *p, unsigned char *last, mw_header_t *h,
    char *err, size_t errlen)
{
    long            n;
    unsigned char  *colon;
    char            q[MW_DECISION_QUOTE_SIZE];

    colon = memchr(p, ':', last - p);

    if (colon == NULL) {
        mw_decision_quote(q, p, last - p);
        mw_decision_error(err, errlen, "invalid header line \"%s\" without "
                          "\":\" in middleware decision", q);
        return MW_ERROR;
    }

    n = mw_decision_unescape(p, colon - p);

    if (n < 0) {
        mw_decision_quote(q, p, colon - p);
        mw_decision_error(err, errlen, "invalid escape in header name "
                          "\"%s\" in middleware decision", q);
        return MW_ERROR;
    }

    h->name.data = p;
    h->name.len = n;

    if (!mw_header_name_valid(h->name.data, h->name.len)) {
        mw_decision_quote(q, h->name.data, h->name.len);
        mw_decision_error(err, errlen, "invalid header name \"%s\" in "
                          "middleware decision", q);
        return MW_ERROR;
    }

    n = mw_decision_unescape(colon + 1, last - (colon + 1));

    if (n < 0) {
        mw_decision_quote(q, h->name.data, h->name.len);
        mw_decision_error(err, errlen, "invalid escape in value of header "
                          "\"%s\" in middleware decision", q);
        return MW_ERROR;
    }

    h->value.data = colon + 1;
    h->value.len = n;

    if (!mw_header_value_valid(h->value.data, h->value.len)) {
        mw_decision_quote(q, h->name.data, h->name.len);
        mw_decision_error(err, errlen, "invalid value of header \"%s\" in "
                          "middleware decision", q);
        return MW_ERROR;
    }

    return MW_OK;
}


/* the kind of a field, by its (unescaped, valid) name */

static unsigned char
mw_decision_field_kind(const mw_header_t *h)
{
    size_t          sl;
    unsigned char  *sn;

    if (mw_header_name_is(h->name.data, h->name.len, MW_F_LOCATION)) {
        return MW_K_LOCATION;
    }

    if (!mw_header_is_protocol(h->name.data, h->name.len)) {
        return MW_K_RESPONSE;
    }

    /* the name after the prefix */

    sn = h->name.data + MW_F_PREFIX_LEN;
    sl = h->name.len - MW_F_PREFIX_LEN;

    if (mw_header_name_is(sn, sl, MW_S_NEXT)) {
        return MW_K_NEXT;
    }

    if (mw_header_name_is(sn, sl, MW_S_REWRITE)) {
        return MW_K_REWRITE;
    }

    if (mw_header_name_is(sn, sl, MW_S_ERROR)) {
        return MW_K_ERROR;
    }

    if (mw_header_name_is(sn, sl, MW_S_PASS_THROUGH)) {
        return MW_K_PASS_THROUGH;
    }

    if (mw_header_name_is(sn, sl, MW_S_OVERRIDE)) {
        return MW_K_OVERRIDE;
    }

    if (mw_header_name_is(sn, sl, MW_S_CHANGED)) {
        return MW_K_CHANGED;
    }

    if (sl >= sizeof(MW_S_REQUEST) - 1
        && mw_header_eq_lower(sn, MW_S_REQUEST, sizeof(MW_S_REQUEST) - 1))
    {
        return MW_K_REQUEST;
    }

    return MW_K_PROTOCOL;
}


/*
 * Protocol fields set d; for a repeated field the last one wins, except
 * x-middleware-override-headers, whose lists add up.  "location" is kept
 * in d->location only, not in d->response: the glue sends it with
 * redirects and direct responses.  Other x-middleware-* fields are ignored.
 */

static int
mw_decision_classify(mw_decision_t *d, mw_header_t *fields,
    const unsigned char *kinds, size_t n, mw_decision_seen_t *seen,
    char *err, size_t errlen)
{
    size_t        i;
    mw_header_t  *h;
    char          q[MW_DECISION_QUOTE_SIZE];

    for (i = 0; i < n; i++) {
        h = &fields[i];

        switch (kinds[i]) {

        case MW_K_LOCATION:
            d->location = h->value;
            break;

        case MW_K_RESPONSE:
            seen->nresponse++;
            break;

        case MW_K_NEXT:
            seen->next = 1;
            break;

        case MW_K_REWRITE:
            seen->rewrite = 1;
            d->rewrite = h->value;
            break;

        case MW_K_ERROR:
            seen->error = 1;
            d->error = h->value;
            break;

        case MW_K_PASS_THROUGH:
            d->pass_through = (h->value.len == 1 && h->value.data[0] == '1');
            break;

        case MW_K_OVERRIDE:
        case MW_K_CHANGED:
            if (mw_decision_override_list(h, err, errlen) != MW_OK) {
                return MW_ERROR;
            }

            if (kinds[i] == MW_K_OVERRIDE) {
                d->override = 1;

            } else {
                d->changed = 1;
            }

            break;

        case MW_K_REQUEST:

            /* the whole name is a token, so is any non-empty part of it */

            if (h->name.len == MW_F_REQUEST_LEN) {
                mw_decision_quote(q, h->name.data, h->name.len);
                mw_decision_error(err, errlen, "invalid header name \"%s\" "
                                  "in middleware decision", q);
                return MW_ERROR;
            }

            seen->nrequest++;
            break;

        default: /* MW_K_PROTOCOL */
            break;
        }
    }

    return MW_OK;
}


/* a comma separated list of tokens; SP and HTAB around them, empty items */

static int
mw_decision_override_list(const mw_header_t *h, char *err, size_t errlen)
{
    unsigned char  *p, *last, *s, *e;
    char            q[MW_DECISION_QUOTE_SIZE];
    char            qn[MW_DECISION_QUOTE_SIZE];

    p = h->value.data;
    last = p + h->value.len;

    while (mw_decision_list_item(&p, last, &s, &e)) {

        if (s == e || mw_header_name_valid(s, e - s)) {
            continue;
        }

        mw_decision_quote(q, s, e - s);
        mw_decision_quote(qn, h->name.data, h->name.len);
        mw_decision_error(err, errlen, "invalid name \"%s\" in header \"%s\" "
                          "in middleware decision", q, qn);
        return MW_ERROR;
    }

    return MW_OK;
}


/*
 * The x-middleware-request-<name> fields listed by the override (or, with
 * d->changed, by the changed lists).  The listed names are collected and
 * sorted once, each field is then looked up by binary search: n log n in
 * the number of fields (a client with many header lines must not cost the
 * worker quadratic time).
 */

static int
mw_decision_request(mw_decision_t *d, mw_header_t *fields,
    const unsigned char *kinds, size_t n, size_t nrequest, mw_alloc_t *a)
{
    unsigned char   list;
    size_t          i, nlisted;
    mw_str_t       *listed, key;
    mw_header_t    *h, *r;
    unsigned char  *p, *last, *s, *e;

    /* the fields whose list names the request headers of the decision */

    list = d->override ? MW_K_OVERRIDE : MW_K_CHANGED;

    /* count, then collect the non-empty names of every list */

    nlisted = 0;

    for (i = 0; i < n; i++) {
        if (kinds[i] != list) {
            continue;
        }

        p = fields[i].value.data;
        last = p + fields[i].value.len;

        while (mw_decision_list_item(&p, last, &s, &e)) {
            if (s != e) {
                nlisted++;
            }
        }
    }

    if (nlisted == 0) {
        return MW_OK;
    }

    listed = a->alloc(a->data, nlisted * sizeof(mw_str_t));
    if (listed == NULL) {
        return MW_NOMEM;
    }

    nlisted = 0;

    for (i = 0; i < n; i++) {
        if (kinds[i] != list) {
            continue;
        }

        p = fields[i].value.data;
        last = p + fields[i].value.len;

        while (mw_decision_list_item(&p, last, &s, &e)) {
            if (s != e) {
                listed[nlisted].data = s;
                listed[nlisted].len = e - s;
                nlisted++;
            }
        }
    }

    qsort(listed, nlisted, sizeof(mw_str_t), mw_decision_name_cmp);

    if (d->changed) {
        d->names = listed;
        d->nnames = nlisted;
    }

    r = NULL;

    for (i = 0; nrequest > 0 && i < n; i++) {
        h = &fields[i];

        /* longer than the prefix: classify() refused the prefix alone */

        if (kinds[i] != MW_K_REQUEST) {
            continue;
        }

        key.data = h->name.data + MW_F_REQUEST_LEN;
        key.len = h->name.len - MW_F_REQUEST_LEN;

        if (bsearch(&key, listed, nlisted, sizeof(mw_str_t),
                    mw_decision_name_cmp)
            == NULL)
        {
            continue;
        }

        if (r == NULL) {
            r = a->alloc(a->data, nrequest * sizeof(mw_header_t));
            if (r == NULL) {
                return MW_NOMEM;
            }

            d->request.elts = r;
        }

        r[d->request.nelts].name = key;
        r[d->request.nelts].value = h->value;
        d->request.nelts++;
    }

    return MW_OK;
}


int
mw_decision_changed(const mw_headers_t *orig, const mw_decision_t *d,
    mw_headers_t *out, mw_alloc_t *a)
{
    size_t              i, n;
    mw_str_t            key;
    mw_header_t        *h;
    const mw_header_t  *o, *r;

    out->elts = NULL;
    out->nelts = 0;

    n = orig->nelts + d->request.nelts;

    if (n == 0) {
        return MW_OK;
    }

    h = a->alloc(a->data, n * sizeof(mw_header_t));
    if (h == NULL) {
        return MW_NOMEM;
    }

    out->elts = h;
    o = orig->elts;
    r = d->request.elts;

    for (i = 0; i < orig->nelts; i++) {
        key = o[i].name;

        if (d->nnames > 0
            && bsearch(&key, d->names, d->nnames, sizeof(mw_str_t),
                       mw_decision_name_cmp)
               != NULL
            && !mw_header_is_protected_request(key.data, key.len))
        {
            continue;
        }

        h[out->nelts++] = o[i];
    }

    for (i = 0; i < d->request.nelts; i++) {
        if (!mw_header_is_protected_request(r[i].name.data, r[i].name.len)) {
            h[out->nelts++] = r[i];
        }
    }

    return MW_OK;
}


/* qsort() and bsearch() order of header names: case-insensitive */

static int
mw_decision_name_cmp(const void *one, const void *two)
{
    size_t           i, len;
    unsigned char    c1, c2;
    const mw_str_t  *s1, *s2;

    s1 = one;
    s2 = two;

    len = s1->len < s2->len ? s1->len : s2->len;

    for (i = 0; i < len; i++) {
        c1 = mw_decision_lower(s1->data[i]);
        c2 = mw_decision_lower(s2->data[i]);

        if (c1 != c2) {
            return c1 < c2 ? -1 : 1;
        }
    }

    if (s1->len == s2->len) {
        return 0;
    }

    return s1->len < s2->len ? -1 : 1;
}


/*
 * the next item of a comma separated list, without the SP and HTAB around
 * it (it may be empty); 0 at the end of the list
 */

static int
mw_decision_list_item(unsigned char **pp, unsigned char *last,
    unsigned char **start, unsigned char **end)
{
    unsigned char  *p, *s, *e;

    p = *pp;

    if (p >= last) {
        return 0;
    }

    s = p;

    while (p < last && *p != ',') {
        p++;
    }

    e = p;
    *pp = (p < last) ? p + 1 : last;

    while (s < e && (*s == ' ' || *s == '\t')) {
        s++;
    }

    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) {
        e--;
    }

    *start = s;
    *end = e;

    return 1;
}


/* error > rewrite > next > redirect > response, docs/PROTOCOL.md */

static int
mw_decision_kind(mw_decision_t *d, mw_decision_seen_t *seen, char *err,
    size_t errlen)
{
    /*
     * an error decides whatever else was sent: an empty rewrite next to
     * x-middleware-error must not turn it (or its pass-through) into an
     * invalid decision
     */

    if (seen->error) {
        d->kind = MW_DECISION_ERROR;

    } else if (seen->rewrite) {
        if (d->rewrite.len == 0) {
            mw_decision_error(err, errlen, "empty value of header \""
                              MW_F_REWRITE "\" in middleware "
                              "decision");
            return MW_ERROR;
        }

        d->kind = MW_DECISION_REWRITE;

    } else if (seen->next) {
        d->kind = MW_DECISION_NEXT;

    } else if (d->status == 301 || d->status == 302 || d->status == 303
               || d->status == 307 || d->status == 308)
    {
        if (d->location.len == 0) {
            mw_decision_error(err, errlen, "redirect status %u without "
                              "location in middleware decision", d->status);
            return MW_ERROR;
        }

        d->kind = MW_DECISION_REDIRECT;

    } else {
        d->kind = MW_DECISION_RESPONSE;
    }

    return MW_OK;
}


/*
 * %XX in place; checked before anything is written, so that an invalid
 * string is left as it was for the message
 */

static long
mw_decision_unescape(unsigned char *p, size_t len)
{
    size_t          i;
    unsigned char  *d;

    /* the usual field has no escape: one memchr() then */

    if (memchr(p, '%', len) == NULL) {
        return len;
    }

    for (i = 0; i < len; i++) {
        if (p[i] != '%') {
            continue;
        }

        if (len - i < 3
            || mw_decision_hex(p[i + 1]) < 0
            || mw_decision_hex(p[i + 2]) < 0)
        {
            return -1;
        }

        i += 2;
    }

    d = p;

    for (i = 0; i < len; i++) {
        if (p[i] == '%') {
            *d++ = (unsigned char) (mw_decision_hex(p[i + 1]) * 16
                                    + mw_decision_hex(p[i + 2]));
            i += 2;

        } else {
            *d++ = p[i];
        }
    }

    return d - p;
}


static int
mw_decision_hex(unsigned char c)
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


/*
 * for messages: bytes outside 0x21..0x7e, '"' and '\' as \xHH, at most
 * MW_DECISION_QUOTE_MAX characters, then "..."
 */

static void
mw_decision_quote(char *buf, const unsigned char *p, size_t len)
{
    size_t               i, n, w;
    unsigned char        c;
    static const char    hex[] = "0123456789abcdef";

    n = 0;

    for (i = 0; i < len; i++) {
        c = p[i];

        w = (c < 0x21 || c > 0x7e || c == '"' || c == '\\') ? 4 : 1;

        if (n + w > MW_DECISION_QUOTE_MAX) {
            memcpy(&buf[n], "...", 3);
            n += 3;
            break;
        }

        if (w == 1) {
            buf[n++] = (char) c;
            continue;
        }

        buf[n++] = '\\';
        buf[n++] = 'x';
        buf[n++] = hex[c >> 4];
        buf[n++] = hex[c & 0x0f];
    }

    buf[n] = '\0';
}


static void
mw_decision_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  args;

    if (errlen == 0) {
        return;
    }

    va_start(args, fmt);
    (void) vsnprintf(err, errlen, fmt, args);
    va_end(args);
}
