
/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * mw_header.c: name and value validation, the header lists of
 * docs/PROTOCOL.md and mw_header_override().
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <mw_header.h>
#include <mw_decision.h>

#include "mw_test.h"


static void
setup(void)
{
    t_heap_setup();
}


static void
teardown(void)
{
    t_heap_teardown();
}


/*
 * the predicates get an exact-size copy, so that valgrind sees a read past
 * the end of the name; L() for literals, embedded NULs included
 */

typedef int (*t_pred_pt)(const unsigned char *p, size_t len);

static int
t_pred(t_pred_pt pred, const char *s, size_t len)
{
    return pred(t_dup(s, len), len);
}

#define L(lit)  lit, sizeof(lit) - 1

#define YES(pred, lit)                                                        \
    ck_assert_msg(t_pred(pred, L(lit)) == 1, #pred "(\"%s\") != 1", lit)

#define NO(pred, lit)                                                         \
    ck_assert_msg(t_pred(pred, L(lit)) == 0, #pred "(\"%s\") != 0", lit)


/* --- mw_header_name_valid ------------------------------------------------- */


START_TEST(test_name_valid_bytes)
{
    int             c, want;
    unsigned char   name[3];

    /* RFC 9110 token: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*"
     *   / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */

    for (c = 0; c < 256; c++) {
        want = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
               || (c >= 'A' && c <= 'Z')
               || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);

        name[0] = (unsigned char) c;
        ck_assert_msg(mw_header_name_valid(t_dup(name, 1), 1) == want,
                      "byte 0x%02x alone", c);

        /* anywhere in the name */
        name[0] = 'a';
        name[1] = (unsigned char) c;
        name[2] = 'b';
        ck_assert_msg(mw_header_name_valid(t_dup(name, 3), 3) == want,
                      "byte 0x%02x inside", c);

        ck_assert_msg(mw_header_name_valid(t_dup(name, 2), 2) == want,
                      "byte 0x%02x last", c);
    }
}
END_TEST


START_TEST(test_name_valid)
{
    YES(mw_header_name_valid, "content-type");
    YES(mw_header_name_valid, "X-Frame-Options");
    YES(mw_header_name_valid, "x");
    YES(mw_header_name_valid, "!#$%&'*+-.^_`|~0123456789azAZ");

    NO(mw_header_name_valid, "");
    NO(mw_header_name_valid, "x a");
    NO(mw_header_name_valid, "x:");
    NO(mw_header_name_valid, ":authority");
    NO(mw_header_name_valid, "x\r\n");
    NO(mw_header_name_valid, "x\0");
    NO(mw_header_name_valid, "\xc3\xa9");
    NO(mw_header_name_valid, "a,b");
    NO(mw_header_name_valid, "a;b");
    NO(mw_header_name_valid, "(a)");
    NO(mw_header_name_valid, "[a]");
    NO(mw_header_name_valid, "{a}");
    NO(mw_header_name_valid, "a/b");
    NO(mw_header_name_valid, "a=b");
    NO(mw_header_name_valid, "a?");
    NO(mw_header_name_valid, "a@b");
    NO(mw_header_name_valid, "a\\b");
    NO(mw_header_name_valid, "\"a\"");
    NO(mw_header_name_valid, "<a>");

    /* only len bytes are looked at */
    ck_assert_int_eq(mw_header_name_valid((unsigned char *) "ab cd", 2), 1);
    ck_assert_int_eq(mw_header_name_valid((unsigned char *) "ab", 0), 0);
    ck_assert_int_eq(mw_header_name_valid(NULL, 0), 0);
}
END_TEST


/* --- mw_header_plain_line ------------------------------------------------ */


static size_t
t_plain(const char *name, size_t nlen, const char *value, size_t vlen,
    char *out)
{
    size_t       n;
    mw_header_t  h;

    h.name.data = t_dup(name, nlen);
    h.name.len = nlen;
    h.value.data = t_dup(value, vlen);
    h.value.len = vlen;

    /* one byte more than the room promised: it must stay untouched */
    memset(out, '#', 2 * nlen + vlen + 4);
    n = mw_header_plain_line(&h, (unsigned char *) out);
    ck_assert_int_eq(out[2 * nlen + vlen + 3], '#');

    return n;
}


START_TEST(test_plain_line)
{
    int    c;
    char   out[64], v[3];

    ck_assert_int_eq(t_plain(L("X-User-ID"), L("u 1;a=%41"), out), 30);
    ck_assert(memcmp(out, "X-User-ID\nx-user-id\nu 1;a=%41\n", 30) == 0);

    /* an empty value is plain */
    ck_assert_int_eq(t_plain(L("Accept"), "", 0, out), 15);
    ck_assert(memcmp(out, "Accept\naccept\n\n", 15) == 0);

    /* the name must be a token */
    ck_assert_int_eq(t_plain(L("x y"), L("1"), out), 0);
    ck_assert_int_eq(t_plain(L("x_y\xc3\xa9"), L("1"), out), 0);
    ck_assert_int_eq(t_plain("", 0, L("1"), out), 0);

    /* the value: bytes 0x01-0x7f without CR and LF */
    for (c = 0; c < 256; c++) {
        v[0] = 'a';
        v[1] = (char) c;
        v[2] = 'b';

        ck_assert_msg((t_plain(L("a"), v, 3, out) != 0)
                      == (c != 0 && c != '\r' && c != '\n' && c < 0x80),
                      "value byte 0x%02x", c);
    }
}
END_TEST


/* --- mw_header_value_valid ------------------------------------------------ */


START_TEST(test_value_valid)
{
    int            c;
    unsigned char  v[3];

    for (c = 0; c < 256; c++) {
        v[0] = 'a';
        v[1] = (unsigned char) c;
        v[2] = 'b';

        ck_assert_msg(mw_header_value_valid(t_dup(v, 3), 3)
                      == (c != '\r' && c != '\n' && c != '\0'),
                      "byte 0x%02x", c);
    }

    YES(mw_header_value_valid, "");
    YES(mw_header_value_valid, " ");
    YES(mw_header_value_valid, "\t");
    YES(mw_header_value_valid, "a=1; Path=/; HttpOnly");
    YES(mw_header_value_valid, "\x7f\x80\xff");
    YES(mw_header_value_valid, "%0D%0A%00");

    NO(mw_header_value_valid, "\r");
    NO(mw_header_value_valid, "\n");
    NO(mw_header_value_valid, "\0");
    NO(mw_header_value_valid, "\rabc");
    NO(mw_header_value_valid, "abc\n");
    NO(mw_header_value_valid, "abc\0");
    NO(mw_header_value_valid, "a\r\nSet-Cookie: x=1");

    /* only len bytes are looked at */
    ck_assert_int_eq(mw_header_value_valid((unsigned char *) "ab\n", 2), 1);
    ck_assert_int_eq(mw_header_value_valid(NULL, 0), 1);
}
END_TEST


/* --- mw_header_name_eq ---------------------------------------------------- */


static int
t_eq(const char *name, size_t len, const char *lowcase)
{
    return mw_header_name_eq(t_dup(name, len), len, lowcase);
}

#define EQ(name, lowcase)                                                     \
    ck_assert_msg(t_eq(L(name), lowcase) == 1, "\"%s\" != \"%s\"",           \
                  name, lowcase)

#define NE(name, lowcase)                                                     \
    ck_assert_msg(t_eq(L(name), lowcase) == 0, "\"%s\" == \"%s\"",           \
                  name, lowcase)


START_TEST(test_name_eq)
{
    EQ("content-length", "content-length");
    EQ("Content-Length", "content-length");
    EQ("CONTENT-LENGTH", "content-length");
    EQ("cOnTeNt-LeNgTh", "content-length");
    EQ("", "");
    EQ("te", "te");
    EQ("TE", "te");

    /* lengths differ */
    NE("content", "content-length");
    NE("content-length2", "content-length");
    NE("content-lengt", "content-length");
    NE("", "te");
    NE("te", "");
    NE("t", "te");
    NE("tee", "te");

    /* one byte differs */
    NE("content_length", "content-length");
    NE("content-lengtH ", "content-length");
    NE("xontent-length", "content-length");

    /* only A-Z fold: not every byte that differs by 0x20 */
    NE("@", "`");
    NE("[", "{");
    NE("^", "~");
    NE("_", "\x7f");
    NE("\x01", "!");
    NE("\xc1", "\xe1");
    NE("\r", "-");

    /* only len bytes of the name count */
    ck_assert_int_eq(mw_header_name_eq((unsigned char *) "host: x", 4,
                                       "host"), 1);
    ck_assert_int_eq(mw_header_name_eq((unsigned char *) "hos", 3,
                                       "host"), 0);
    ck_assert_int_eq(mw_header_name_eq(NULL, 0, ""), 1);
    ck_assert_int_eq(mw_header_name_eq(NULL, 0, "x"), 0);
}
END_TEST


/* every byte against every lower-case literal byte: only A-Z fold */

START_TEST(test_name_eq_bytes)
{
    int            c, l, want;
    char           lit[2];
    unsigned char  b;

    for (c = 0; c < 256; c++) {
        for (l = 1; l < 256; l++) {
            if (l >= 'A' && l <= 'Z') {
                continue;        /* not a lower-case literal */
            }

            want = ((c >= 'A' && c <= 'Z') ? (c | 0x20) : c) == l;

            b = (unsigned char) c;
            lit[0] = (char) l;
            lit[1] = '\0';

            ck_assert_msg(mw_header_name_eq(&b, 1, lit) == want,
                          "byte 0x%02x against 0x%02x", c, l);
            ck_assert_msg(mw_header_eq_lower(&b, lit, 1) == want,
                          "byte 0x%02x against 0x%02x (n)", c, l);
        }
    }
}
END_TEST


/* the literal form: its length compared first */

START_TEST(test_name_is)
{
    const unsigned char  *n = (const unsigned char *) "X-User-Id: 1";

    ck_assert_int_eq(mw_header_name_is(n, 9, "x-user-id"), 1);
    ck_assert_int_eq(mw_header_name_is(n, 8, "x-user-id"), 0);
    ck_assert_int_eq(mw_header_name_is(n, 10, "x-user-id"), 0);
    ck_assert_int_eq(mw_header_name_is(n, 9, "x-user-ix"), 0);
    ck_assert_int_eq(mw_header_name_is(n, 0, ""), 1);
    ck_assert_int_eq(mw_header_name_is(n, 1, "x"), 1);
    ck_assert_int_eq(mw_header_name_is(n, 1, "-"), 0);
}
END_TEST


/* --- mw_header_is_protocol ------------------------------------------------ */


START_TEST(test_is_protocol)
{
    YES(mw_header_is_protocol, "x-middleware-next");
    YES(mw_header_is_protocol, "x-middleware-rewrite");
    YES(mw_header_is_protocol, "X-Middleware-Override-Headers");
    YES(mw_header_is_protocol, "X-MIDDLEWARE-SET-COOKIE");
    YES(mw_header_is_protocol, "x-middleware-subrequest");
    YES(mw_header_is_protocol, "x-middleware-");
    YES(mw_header_is_protocol, "x-middleware-\x01");

    NO(mw_header_is_protocol, "");
    NO(mw_header_is_protocol, "x");
    NO(mw_header_is_protocol, "x-middleware");
    NO(mw_header_is_protocol, "x-middlewarenext");
    NO(mw_header_is_protocol, "x-middleware_next");
    NO(mw_header_is_protocol, "xx-middleware-next");
    NO(mw_header_is_protocol, " x-middleware-next");
    NO(mw_header_is_protocol, "x-middlewares-next");
    NO(mw_header_is_protocol, "middleware-next");
    NO(mw_header_is_protocol, "x-invoke-path");
    NO(mw_header_is_protocol, "location");

    /* only len bytes */
    ck_assert_int_eq(mw_header_is_protocol(
                         (unsigned char *) "x-middleware-next", 12), 0);
    ck_assert_int_eq(mw_header_is_protocol(
                         (unsigned char *) "x-middleware-next", 13), 1);
    ck_assert_int_eq(mw_header_is_protocol(NULL, 0), 0);
}
END_TEST


/* --- mw_header_is_internal_request ---------------------------------------- */


START_TEST(test_is_internal_request)
{
    /* x-middleware-*: CVE-2025-29927 and everything of the protocol */
    YES(mw_header_is_internal_request, "x-middleware-subrequest");
    YES(mw_header_is_internal_request, "X-Middleware-Subrequest");
    YES(mw_header_is_internal_request, "X-MIDDLEWARE-SUBREQUEST");
    YES(mw_header_is_internal_request, "x-middleware-prefetch");
    YES(mw_header_is_internal_request, "x-middleware-next");
    YES(mw_header_is_internal_request, "x-middleware-rewrite");
    YES(mw_header_is_internal_request, "x-middleware-override-headers");
    YES(mw_header_is_internal_request, "x-middleware-request-x-user-id");
    YES(mw_header_is_internal_request, "x-middleware-invoke");
    YES(mw_header_is_internal_request, "x-middleware-");

    /* x-invoke-* */
    YES(mw_header_is_internal_request, "x-invoke-path");
    YES(mw_header_is_internal_request, "X-Invoke-Path");
    YES(mw_header_is_internal_request, "x-invoke-query");
    YES(mw_header_is_internal_request, "x-invoke-output");
    YES(mw_header_is_internal_request, "x-invoke-status");
    YES(mw_header_is_internal_request, "x-invoke-error");
    YES(mw_header_is_internal_request, "x-invoke-");

    /* the exact names */
    YES(mw_header_is_internal_request, "x-now-route-matches");
    YES(mw_header_is_internal_request, "X-Now-Route-Matches");
    YES(mw_header_is_internal_request, "x-matched-path");
    YES(mw_header_is_internal_request, "X-Matched-Path");
    YES(mw_header_is_internal_request, "x-nextjs-data");
    YES(mw_header_is_internal_request, "X-NextJS-Data");
    YES(mw_header_is_internal_request, "x-next-resume-state-length");
    YES(mw_header_is_internal_request, "X-Next-Resume-State-Length");
    YES(mw_header_is_internal_request, "next-resume");
    YES(mw_header_is_internal_request, "Next-Resume");

    /* lookalikes */
    NO(mw_header_is_internal_request, "");
    NO(mw_header_is_internal_request, "x-middleware");
    NO(mw_header_is_internal_request, "x-middlewaresubrequest");
    NO(mw_header_is_internal_request, "middleware-subrequest");
    NO(mw_header_is_internal_request, "x-invoke");
    NO(mw_header_is_internal_request, "x-invokepath");
    NO(mw_header_is_internal_request, "x-invoker-path");
    NO(mw_header_is_internal_request, "invoke-path");
    NO(mw_header_is_internal_request, "x-now-route-match");
    NO(mw_header_is_internal_request, "x-now-route-matches-x");
    NO(mw_header_is_internal_request, "x-matched-paths");
    NO(mw_header_is_internal_request, "x-matched-pat");
    NO(mw_header_is_internal_request, "matched-path");
    NO(mw_header_is_internal_request, "x-nextjs-data2");
    NO(mw_header_is_internal_request, "x-nextjs-dat");
    NO(mw_header_is_internal_request, "x-nextjs-data-x");
    NO(mw_header_is_internal_request, "x-nextjs-cache");
    NO(mw_header_is_internal_request, "x-next-resume-state");
    NO(mw_header_is_internal_request, "x-next-resume");
    NO(mw_header_is_internal_request, "next-resume-state-length");
    NO(mw_header_is_internal_request, "next-resumes");
    NO(mw_header_is_internal_request, "next-resum");
    NO(mw_header_is_internal_request, "x-next-resume-state-lengths");

    /* ordinary headers, the Next.js client ones included */
    NO(mw_header_is_internal_request, "host");
    NO(mw_header_is_internal_request, "cookie");
    NO(mw_header_is_internal_request, "x-forwarded-host");
    NO(mw_header_is_internal_request, "rsc");
    NO(mw_header_is_internal_request, "next-router-state-tree");
    NO(mw_header_is_internal_request, "next-router-prefetch");
    NO(mw_header_is_internal_request, "next-url");
    NO(mw_header_is_internal_request, "next-action");
    NO(mw_header_is_internal_request, "purpose");
    NO(mw_header_is_internal_request, "content-length");

    /* only len bytes */
    ck_assert_int_eq(mw_header_is_internal_request(
                         (unsigned char *) "next-resume", 10), 0);
    ck_assert_int_eq(mw_header_is_internal_request(
                         (unsigned char *) "next-resumeX", 11), 1);
    ck_assert_int_eq(mw_header_is_internal_request(
                         (unsigned char *) "x-invoke-path", 8), 0);
    ck_assert_int_eq(mw_header_is_internal_request(NULL, 0), 0);
}
END_TEST


/* --- protected and skipped lists ------------------------------------------ */


/* the lists of docs/PROTOCOL.md */

static const char  *t_protected[] = {
    "content-length", "transfer-encoding", "connection", "keep-alive",
    "proxy-connection", "te", "trailer", "upgrade", "expect", NULL
};

static const char  *t_skipped[] = {
    "content-length", "transfer-encoding", "connection", "keep-alive",
    "proxy-connection", "upgrade", "te", "trailer", "content-encoding",
    "accept-encoding", "expect", NULL
};

/* near misses of every name above, and common headers */
static const char  *t_others[] = {
    "", "host", "cookie", "set-cookie", "authorization", "content-type",
    "content-language", "content-range", "content-location", "location",
    "vary", "cache-control", "x-user-id", "accept", "range",
    "content-lengths", "content-lengt", "content_length", "contentlength",
    "transfer-encodings", "connections", "connectio", "keep-alives",
    "keepalive", "proxy-connections", "proxy-authorization", "t", "tee",
    "tes", "trailers", "traile", "upgrades", "upgrad", "expects", "expec",
    "content-encodings", "accept-encodings", "accept-language",
    "x-middlewar", "x-middleware", "x-invoke-path", NULL
};


static void
t_case_variants(t_pred_pt pred, const char *name, int want)
{
    size_t         i, len;
    unsigned char  *p;

    len = strlen(name);

    /* as is, upper case, capitalized */

    ck_assert_msg(t_pred(pred, name, len) == want, "\"%s\"", name);

    p = t_dup(name, len);
    for (i = 0; i < len; i++) {
        if (p[i] >= 'a' && p[i] <= 'z') {
            p[i] -= 0x20;
        }
    }
    ck_assert_msg(pred(p, len) == want, "\"%.*s\"", (int) len, p);

    p = t_dup(name, len);
    for (i = 0; i < len; i++) {
        if ((i == 0 || p[i - 1] == '-') && p[i] >= 'a' && p[i] <= 'z') {
            p[i] -= 0x20;
        }
    }
    ck_assert_msg(pred(p, len) == want, "\"%.*s\"", (int) len, p);
}


START_TEST(test_is_protected_request)
{
    size_t  i;

    for (i = 0; t_protected[i] != NULL; i++) {
        t_case_variants(mw_header_is_protected_request, t_protected[i], 1);
    }

    for (i = 0; t_others[i] != NULL; i++) {
        t_case_variants(mw_header_is_protected_request, t_others[i], 0);
    }

    /* request headers only: these frame a response */
    NO(mw_header_is_protected_request, "content-encoding");
    NO(mw_header_is_protected_request, "accept-encoding");

    /* and the protocol is stripped elsewhere */
    NO(mw_header_is_protected_request, "x-middleware-next");
}
END_TEST


START_TEST(test_is_skipped_response)
{
    size_t  i;

    for (i = 0; t_skipped[i] != NULL; i++) {
        t_case_variants(mw_header_is_skipped_response, t_skipped[i], 1);
    }

    for (i = 0; t_others[i] != NULL; i++) {
        t_case_variants(mw_header_is_skipped_response, t_others[i], 0);
    }

    YES(mw_header_is_skipped_response, "x-middleware-next");
    YES(mw_header_is_skipped_response, "X-Middleware-Rewrite");
    YES(mw_header_is_skipped_response, "x-middleware-set-cookie");
    YES(mw_header_is_skipped_response, "x-middleware-");

    NO(mw_header_is_skipped_response, "x-middlewarefoo");
    NO(mw_header_is_skipped_response, "x-invoke-path");
    NO(mw_header_is_skipped_response, "x-nextjs-cache");
}
END_TEST


/* --- mw_header_override --------------------------------------------------- */


static mw_header_t *
t_headers(size_t n, const char *const *nv)
{
    size_t        i;
    mw_header_t  *h;

    h = (mw_header_t *) t_fill(n * sizeof(mw_header_t), 0);

    for (i = 0; i < n; i++) {
        h[i].name.len = strlen(nv[2 * i]);
        h[i].name.data = t_dup(nv[2 * i], h[i].name.len);
        h[i].value.len = strlen(nv[2 * i + 1]);
        h[i].value.data = t_dup(nv[2 * i + 1], h[i].value.len);
    }

    return h;
}


/* out[i] is in[j]: the same strings, not copies */

#define t_same(out, in)                                                       \
    do {                                                                      \
        ck_assert_ptr_eq((out).name.data, (in).name.data);                    \
        ck_assert_uint_eq((out).name.len, (in).name.len);                     \
        ck_assert_ptr_eq((out).value.data, (in).value.data);                  \
        ck_assert_uint_eq((out).value.len, (in).value.len);                   \
    } while (0)


static const char  *t_orig_nv[] = {
    "Host", "client.example",
    "Content-Length", "5",
    "Cookie", "a=1",
    "Transfer-Encoding", "chunked",
    "X-A", "1",
    "connection", "keep-alive",
    "Cookie", "b=2",
    "Expect", "100-continue"
};

#define T_NORIG  (sizeof(t_orig_nv) / sizeof(t_orig_nv[0]) / 2)


START_TEST(test_override_none)
{
    mw_decision_t  d;
    mw_headers_t   orig, out;
    size_t         i;

    memset(&d, 0, sizeof(mw_decision_t));

    orig.elts = t_headers(T_NORIG, t_orig_nv);
    orig.nelts = T_NORIG;

    /* request fields without override do not count */
    d.request.elts = t_headers(1, (const char *[]) { "x-b", "2" });
    d.request.nelts = 1;

    memset(&out, 0x5a, sizeof(mw_headers_t));

    ck_assert_int_eq(mw_header_override(&orig, &d, &out, &t_alloc), MW_OK);

    /* without override: orig as it is, in a new array */
    ck_assert_uint_eq(out.nelts, T_NORIG);
    ck_assert_ptr_ne(out.elts, orig.elts);
    ck_assert_uint_eq(t_heap.calls, 1);

    for (i = 0; i < T_NORIG; i++) {
        t_same(out.elts[i], orig.elts[i]);
    }

    /* and nothing for nothing */

    orig.elts = NULL;
    orig.nelts = 0;
    t_heap.calls = 0;

    ck_assert_int_eq(mw_header_override(&orig, &d, &out, &t_alloc), MW_OK);
    ck_assert_uint_eq(out.nelts, 0);
    ck_assert_ptr_null(out.elts);
    ck_assert_uint_eq(t_heap.calls, 0);
}
END_TEST


START_TEST(test_override_order)
{
    mw_decision_t  d;
    mw_headers_t   orig, out;

    memset(&d, 0, sizeof(mw_decision_t));

    orig.elts = t_headers(T_NORIG, t_orig_nv);
    orig.nelts = T_NORIG;

    d.override = 1;
    d.request.elts = t_headers(7, (const char *[]) {
        "x-b", "2",
        "host", "upstream.example",
        "content-length", "999",        /* protected: dropped */
        "cookie", "c=3",
        "TE", "trailers",               /* protected: dropped */
        "cookie", "d=4",
        "Upgrade", "websocket"          /* protected: dropped */
    });
    d.request.nelts = 7;

    memset(&out, 0x5a, sizeof(mw_headers_t));

    ck_assert_int_eq(mw_header_override(&orig, &d, &out, &t_alloc), MW_OK);

    /* the protected headers of orig, in their order, then the overrides */
    ck_assert_uint_eq(out.nelts, 8);
    ck_assert_uint_eq(t_heap.calls, 1);
    ck_assert_uint_eq(t_heap.bytes, 8 * sizeof(mw_header_t));

    t_same(out.elts[0], orig.elts[1]);          /* Content-Length: 5 */
    t_same(out.elts[1], orig.elts[3]);          /* Transfer-Encoding */
    t_same(out.elts[2], orig.elts[5]);          /* connection */
    t_same(out.elts[3], orig.elts[7]);          /* Expect */
    t_same(out.elts[4], d.request.elts[0]);     /* x-b */
    t_same(out.elts[5], d.request.elts[1]);     /* host */
    t_same(out.elts[6], d.request.elts[3]);     /* cookie: c=3 */
    t_same(out.elts[7], d.request.elts[5]);     /* cookie: d=4 */

    t_header_eq(out.elts[0], "Content-Length", "5");
    t_header_eq(out.elts[5], "host", "upstream.example");
}
END_TEST


START_TEST(test_override_remove_all)
{
    mw_decision_t  d;
    mw_headers_t   orig, out;

    memset(&d, 0, sizeof(mw_decision_t));

    /* an empty override: only the protected headers are left */

    orig.elts = t_headers(T_NORIG, t_orig_nv);
    orig.nelts = T_NORIG;
    d.override = 1;

    ck_assert_int_eq(mw_header_override(&orig, &d, &out, &t_alloc), MW_OK);
    ck_assert_uint_eq(out.nelts, 4);
    t_header_eq(out.elts[0], "Content-Length", "5");
    t_header_eq(out.elts[1], "Transfer-Encoding", "chunked");
    t_header_eq(out.elts[2], "connection", "keep-alive");
    t_header_eq(out.elts[3], "Expect", "100-continue");

    /* none of them: an empty set, nothing allocated */

    orig.elts = t_headers(2, (const char *[]) { "host", "h", "x-a", "1" });
    orig.nelts = 2;
    t_heap.calls = 0;
    memset(&out, 0x5a, sizeof(mw_headers_t));

    ck_assert_int_eq(mw_header_override(&orig, &d, &out, &t_alloc), MW_OK);
    ck_assert_uint_eq(out.nelts, 0);
    ck_assert_ptr_null(out.elts);
    ck_assert_uint_eq(t_heap.calls, 0);

    /* only protected overrides: the same */

    d.request.elts = t_headers(1, (const char *[]) { "connection", "close" });
    d.request.nelts = 1;

    ck_assert_int_eq(mw_header_override(&orig, &d, &out, &t_alloc), MW_OK);
    ck_assert_uint_eq(out.nelts, 0);
    ck_assert_uint_eq(t_heap.calls, 0);
}
END_TEST


START_TEST(test_override_nomem)
{
    mw_decision_t  d;
    mw_headers_t   orig, out;

    memset(&d, 0, sizeof(mw_decision_t));

    orig.elts = t_headers(T_NORIG, t_orig_nv);
    orig.nelts = T_NORIG;

    t_heap.fail_after = 0;

    ck_assert_int_eq(mw_header_override(&orig, &d, &out, &t_alloc),
                     MW_NOMEM);
    ck_assert_uint_eq(out.nelts, 0);

    d.override = 1;
    d.request.elts = t_headers(1, (const char *[]) { "x-b", "2" });
    d.request.nelts = 1;

    ck_assert_int_eq(mw_header_override(&orig, &d, &out, &t_alloc),
                     MW_NOMEM);
    ck_assert_uint_eq(out.nelts, 0);
    ck_assert_uint_eq(t_heap.calls, 2);
}
END_TEST


/* from the payload to the upstream header set */

START_TEST(test_override_decision)
{
    static const char  payload[] =
        "MW1 200\n"
        "x-middleware-next:1\n"
        "x-middleware-override-headers: host, Cookie ,x-user-id,"
        "content-length,x-gone\n"
        "x-middleware-request-cookie:s=1\n"
        "x-middleware-request-host:upstream.example\n"
        "x-middleware-request-content-length:0\n"
        "x-middleware-request-x-unlisted:1\n"
        "x-middleware-request-x-user-id:u%0\n"
        "\n";
    static const char  fixed[] =
        "MW1 200\n"
        "x-middleware-next:1\n"
        "x-middleware-override-headers: host, Cookie ,x-user-id,"
        "content-length,x-gone\n"
        "x-middleware-request-cookie:s=1\n"
        "x-middleware-request-host:upstream.example\n"
        "x-middleware-request-content-length:0\n"
        "x-middleware-request-x-unlisted:1\n"
        "x-middleware-request-x-user-id:u%25\n"
        "x-middleware-request-cookie:t=2\n"
        "\n";
    char            err[MW_ERRLEN];
    mw_decision_t   d;
    mw_headers_t    orig, out;

    /* a bad escape in a request field spoils the decision */
    ck_assert_int_eq(mw_decision_parse(t_dup(payload, sizeof(payload) - 1),
                                       sizeof(payload) - 1, &d, &t_alloc,
                                       err, sizeof(err)), MW_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "x-middleware-request-x-user-id"));

    ck_assert_int_eq(mw_decision_parse(t_dup(fixed, sizeof(fixed) - 1),
                                       sizeof(fixed) - 1, &d, &t_alloc,
                                       err, sizeof(err)), MW_OK);
    ck_assert_uint_eq(d.override, 1);

    orig.elts = t_headers(T_NORIG, t_orig_nv);
    orig.nelts = T_NORIG;

    ck_assert_int_eq(mw_header_override(&orig, &d, &out, &t_alloc), MW_OK);

    /*
     * x-a, client cookies and host are gone, x-gone has no field, the
     * unlisted field is not taken and content-length stays the client's
     */
    ck_assert_uint_eq(out.nelts, 8);
    t_header_eq(out.elts[0], "Content-Length", "5");
    t_header_eq(out.elts[1], "Transfer-Encoding", "chunked");
    t_header_eq(out.elts[2], "connection", "keep-alive");
    t_header_eq(out.elts[3], "Expect", "100-continue");
    t_header_eq(out.elts[4], "cookie", "s=1");
    t_header_eq(out.elts[5], "host", "upstream.example");
    t_header_eq(out.elts[6], "x-user-id", "u%");
    t_header_eq(out.elts[7], "cookie", "t=2");
}
END_TEST


static Suite *
header_suite(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("mw_header");

    tc = tcase_create("syntax");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_name_valid_bytes);
    tcase_add_test(tc, test_name_valid);
    tcase_add_test(tc, test_value_valid);
    tcase_add_test(tc, test_plain_line);
    tcase_add_test(tc, test_name_eq);
    tcase_add_test(tc, test_name_eq_bytes);
    tcase_add_test(tc, test_name_is);
    suite_add_tcase(s, tc);

    tc = tcase_create("lists");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_is_protocol);
    tcase_add_test(tc, test_is_internal_request);
    tcase_add_test(tc, test_is_protected_request);
    tcase_add_test(tc, test_is_skipped_response);
    suite_add_tcase(s, tc);

    tc = tcase_create("override");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_override_none);
    tcase_add_test(tc, test_override_order);
    tcase_add_test(tc, test_override_remove_all);
    tcase_add_test(tc, test_override_nomem);
    tcase_add_test(tc, test_override_decision);
    suite_add_tcase(s, tc);

    return s;
}


int
main(void)
{
    return t_run(header_suite());
}
