
/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * mw_decision_parse(): the decision protocol of docs/PROTOCOL.md.
 */


#define _POSIX_C_SOURCE  200809L    /* strnlen() */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <mw_decision.h>
#include <mw_header.h>

#include "mw_test.h"


static mw_decision_t   d;
static char            err[MW_ERRLEN];
static unsigned char  *pl;              /* the payload last parsed */
static size_t          pl_len;


static void
setup(void)
{
    t_heap_setup();
    memset(&d, 0x5a, sizeof(mw_decision_t));
    memset(err, 'Z', sizeof(err));
    pl = NULL;
    pl_len = 0;
}


static void
teardown(void)
{
    t_heap_teardown();
}


/* parses an exact-size copy, so that valgrind sees any read past its end */

static int
t_parse(const void *s, size_t len)
{
    pl = t_dup(s, len);
    pl_len = len;
    memset(err, 'Z', sizeof(err));

    return mw_decision_parse(pl, len, &d, &t_alloc, err, sizeof(err));
}

#define P(lit)  t_parse(lit, sizeof(lit) - 1)


/* err: a non-empty line of printable ASCII, NUL-terminated in the buffer */

static void
t_err_sane(void)
{
    size_t  i, n;

    n = strnlen(err, sizeof(err));

    ck_assert_uint_lt(n, sizeof(err));
    ck_assert_uint_gt(n, 0);

    for (i = 0; i < n; i++) {
        ck_assert_msg(err[i] >= 0x20 && err[i] <= 0x7e,
                      "byte 0x%02x at %zu in \"%s\"",
                      (unsigned char) err[i], i, err);
    }
}


#define P_ERROR(lit, needle)                                                  \
    do {                                                                      \
        ck_assert_int_eq(P(lit), MW_ERROR);                                   \
        t_err_sane();                                                         \
        ck_assert_msg(strstr(err, (needle)) != NULL,                          \
                      "\"%s\" not in \"%s\"", (needle), err);                 \
    } while (0)

#define P_OK(lit)                                                             \
    do {                                                                      \
        ck_assert_msg(P(lit) == MW_OK, "MW_OK expected, err \"%s\"", err);    \
        ck_assert_str_eq(err, "");                                            \
    } while (0)


/* a string of d points into the payload */

#define t_in_payload(s)                                                       \
    do {                                                                      \
        ck_assert_ptr_nonnull((s).data);                                      \
        ck_assert((s).data >= pl && (s).data + (s).len <= pl + pl_len);       \
    } while (0)


/* --- kinds ---------------------------------------------------------------- */


START_TEST(test_kind_name)
{
    ck_assert_str_eq(mw_decision_kind_name(MW_DECISION_NEXT), "next");
    ck_assert_str_eq(mw_decision_kind_name(MW_DECISION_REWRITE), "rewrite");
    ck_assert_str_eq(mw_decision_kind_name(MW_DECISION_REDIRECT), "redirect");
    ck_assert_str_eq(mw_decision_kind_name(MW_DECISION_RESPONSE), "response");
    ck_assert_str_eq(mw_decision_kind_name(MW_DECISION_ERROR), "error");
    ck_assert_str_eq(mw_decision_kind_name((mw_decision_kind_e) 42),
                     "unknown");
}
END_TEST


START_TEST(test_minimal)
{
    P_OK("MW1 200\n\n");

    ck_assert_int_eq(d.kind, MW_DECISION_RESPONSE);
    ck_assert_uint_eq(d.status, 200);
    ck_assert_uint_eq(d.rewrite.len, 0);
    ck_assert_uint_eq(d.location.len, 0);
    ck_assert_uint_eq(d.error.len, 0);
    ck_assert_uint_eq(d.pass_through, 0);
    ck_assert_uint_eq(d.override, 0);
    ck_assert_uint_eq(d.request.nelts, 0);
    ck_assert_uint_eq(d.response.nelts, 0);
    ck_assert_uint_eq(d.body.len, 0);

    /* nothing to allocate */
    ck_assert_uint_eq(t_heap.calls, 0);
}
END_TEST


START_TEST(test_next)
{
    P_OK("MW1 200\nx-middleware-next:1\n\n");

    ck_assert_int_eq(d.kind, MW_DECISION_NEXT);
    ck_assert_uint_eq(d.status, 200);
    ck_assert_uint_eq(d.response.nelts, 0);
    ck_assert_uint_eq(d.override, 0);
    ck_assert_uint_eq(d.body.len, 0);

    /* the value does not matter, the presence does */
    P_OK("MW1 200\nx-middleware-next:\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_NEXT);

    /* field names are case-insensitive */
    P_OK("MW1 200\nX-Middleware-NEXT:1\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_NEXT);
    ck_assert_uint_eq(d.response.nelts, 0);
}
END_TEST


START_TEST(test_rewrite)
{
    P_OK("MW1 200\nx-middleware-rewrite:/a/b?c=d\nx-a:1\n\n");

    ck_assert_int_eq(d.kind, MW_DECISION_REWRITE);
    t_str_eq(d.rewrite, "/a/b?c=d");
    t_in_payload(d.rewrite);

    /* the rewrite field is not a response header, x-a is */
    ck_assert_uint_eq(d.response.nelts, 1);
    t_header_eq(d.response.elts[0], "x-a", "1");

    /* escaped, as sent otherwise */
    P_OK("MW1 200\nx-middleware-rewrite:http://h/%2541%3f#x\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_REWRITE);
    t_str_eq(d.rewrite, "http://h/%41?#x");

    /* the last of repeated fields wins */
    P_OK("MW1 200\nx-middleware-rewrite:/one\nx-middleware-rewrite:/two\n\n");
    t_str_eq(d.rewrite, "/two");

    /* an empty target cannot be applied */
    P_ERROR("MW1 200\nx-middleware-rewrite:\n\n", "x-middleware-rewrite");
}
END_TEST


START_TEST(test_redirect)
{
    static const unsigned  statuses[] = { 301, 302, 303, 307, 308 };
    size_t                 i;
    char                   buf[128], msg[64];
    int                    n;

    for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        n = snprintf(buf, sizeof(buf), "MW1 %u\nLocation:/login?next=%%2F\n"
                     "set-cookie:a=1\n\n", statuses[i]);

        ck_assert_int_eq(t_parse(buf, n), MW_OK);
        ck_assert_int_eq(d.kind, MW_DECISION_REDIRECT);
        ck_assert_uint_eq(d.status, statuses[i]);
        t_str_eq(d.location, "/login?next=/");
        t_in_payload(d.location);

        /* location is in d->location only */
        ck_assert_uint_eq(d.response.nelts, 1);
        t_header_eq(d.response.elts[0], "set-cookie", "a=1");

        /* without location, or with an empty one: invalid */

        snprintf(msg, sizeof(msg), "redirect status %u without location",
                 statuses[i]);

        n = snprintf(buf, sizeof(buf), "MW1 %u\nx-a:1\n\n", statuses[i]);
        ck_assert_int_eq(t_parse(buf, n), MW_ERROR);
        t_err_sane();
        ck_assert_msg(strstr(err, msg) != NULL, "%s", err);

        n = snprintf(buf, sizeof(buf), "MW1 %u\nlocation:\n\n", statuses[i]);
        ck_assert_int_eq(t_parse(buf, n), MW_ERROR);
        ck_assert_msg(strstr(err, msg) != NULL, "%s", err);
    }

    /* the last location wins */
    P_OK("MW1 302\nlocation:/a\nlocation:/b\n\n");
    t_str_eq(d.location, "/b");
}
END_TEST


START_TEST(test_other_3xx_is_response)
{
    static const unsigned  statuses[] = { 300, 304, 305, 306, 309, 399 };
    size_t                 i;
    char                   buf[64];
    int                    n;

    for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        n = snprintf(buf, sizeof(buf), "MW1 %u\n\n", statuses[i]);
        ck_assert_int_eq(t_parse(buf, n), MW_OK);
        ck_assert_int_eq(d.kind, MW_DECISION_RESPONSE);
        ck_assert_uint_eq(d.status, statuses[i]);

        /* a location does not make them redirects */
        n = snprintf(buf, sizeof(buf), "MW1 %u\nlocation:/x\n\n",
                     statuses[i]);
        ck_assert_int_eq(t_parse(buf, n), MW_OK);
        ck_assert_int_eq(d.kind, MW_DECISION_RESPONSE);
        t_str_eq(d.location, "/x");
        ck_assert_uint_eq(d.response.nelts, 0);
    }
}
END_TEST


START_TEST(test_response)
{
    P_OK("MW1 403\ncontent-type:text/plain\nx-reason:no\n\nforbidden");

    ck_assert_int_eq(d.kind, MW_DECISION_RESPONSE);
    ck_assert_uint_eq(d.status, 403);
    ck_assert_uint_eq(d.response.nelts, 2);
    t_header_eq(d.response.elts[0], "content-type", "text/plain");
    t_header_eq(d.response.elts[1], "x-reason", "no");
    t_str_eq(d.body, "forbidden");
    t_in_payload(d.body);

    /* 200 without next or rewrite is a direct response, too */
    P_OK("MW1 200\n\nok");
    ck_assert_int_eq(d.kind, MW_DECISION_RESPONSE);
    t_str_eq(d.body, "ok");
}
END_TEST


START_TEST(test_error)
{
    P_OK("MW1 500\nx-middleware-error:Error: boom%25\n\n");

    ck_assert_int_eq(d.kind, MW_DECISION_ERROR);
    ck_assert_uint_eq(d.status, 500);
    t_str_eq(d.error, "Error: boom%");
    ck_assert_uint_eq(d.pass_through, 0);

    /*
     * LF is not allowed in a value after decoding, even for the error
     * message: the runtime has to send one line
     */
    P_ERROR("MW1 500\nx-middleware-error:a%0Ab\n\n", "x-middleware-error");

    P_OK("MW1 500\nx-middleware-error:TypeError: x is undefined\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_ERROR);
    t_str_eq(d.error, "TypeError: x is undefined");
    t_in_payload(d.error);
    ck_assert_uint_eq(d.response.nelts, 0);

    /* an empty message is still an error */
    P_OK("MW1 500\nx-middleware-error:\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_ERROR);
    ck_assert_uint_eq(d.error.len, 0);
}
END_TEST


START_TEST(test_pass_through)
{
    P_OK("MW1 500\nx-middleware-error:e\nx-middleware-pass-through:1\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_ERROR);
    ck_assert_uint_eq(d.pass_through, 1);

    /* before the error field, too */
    P_OK("MW1 500\nx-middleware-pass-through:1\nx-middleware-error:e\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_ERROR);
    ck_assert_uint_eq(d.pass_through, 1);

    /* only "1" */
    P_OK("MW1 500\nx-middleware-error:e\nx-middleware-pass-through:0\n\n");
    ck_assert_uint_eq(d.pass_through, 0);

    P_OK("MW1 500\nx-middleware-error:e\nx-middleware-pass-through:\n\n");
    ck_assert_uint_eq(d.pass_through, 0);

    P_OK("MW1 500\nx-middleware-error:e\nx-middleware-pass-through:11\n\n");
    ck_assert_uint_eq(d.pass_through, 0);

    P_OK("MW1 500\nx-middleware-error:e\nx-middleware-pass-through:true\n\n");
    ck_assert_uint_eq(d.pass_through, 0);

    /* the last one wins */
    P_OK("MW1 500\nx-middleware-error:e\nx-middleware-pass-through:1\n"
         "x-middleware-pass-through:0\n\n");
    ck_assert_uint_eq(d.pass_through, 0);

    /* never a response header */
    ck_assert_uint_eq(d.response.nelts, 0);
}
END_TEST


/* error > rewrite > next > redirect > response, in any field order */

START_TEST(test_precedence)
{
    P_OK("MW1 307\nlocation:/l\nx-middleware-next:1\n"
         "x-middleware-rewrite:/r\nx-middleware-error:e\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_ERROR);
    t_str_eq(d.error, "e");

    P_OK("MW1 307\nx-middleware-error:e\nx-middleware-rewrite:/r\n"
         "x-middleware-next:1\nlocation:/l\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_ERROR);

    P_OK("MW1 307\nlocation:/l\nx-middleware-next:1\n"
         "x-middleware-rewrite:/r\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_REWRITE);
    t_str_eq(d.rewrite, "/r");

    P_OK("MW1 307\nx-middleware-rewrite:/r\nx-middleware-next:1\n"
         "location:/l\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_REWRITE);

    P_OK("MW1 307\nlocation:/l\nx-middleware-next:1\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_NEXT);

    P_OK("MW1 307\nx-middleware-next:1\nlocation:/l\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_NEXT);

    P_OK("MW1 307\nlocation:/l\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_REDIRECT);

    P_OK("MW1 207\nlocation:/l\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_RESPONSE);

    /* a redirect status without location only matters for redirects */

    P_OK("MW1 301\nx-middleware-next:1\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_NEXT);

    P_OK("MW1 301\nx-middleware-rewrite:/r\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_REWRITE);

    P_OK("MW1 301\nx-middleware-error:e\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_ERROR);

    /*
     * x-middleware-error decides whatever else the payload holds: an empty
     * rewrite next to it does not turn the error (or its pass-through)
     * into an invalid decision
     */

    P_OK("MW1 500\nx-middleware-rewrite:\nx-middleware-error:e\n"
         "x-middleware-pass-through:1\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_ERROR);
    ck_assert_uint_eq(d.pass_through, 1);
}
END_TEST


/* protocol names are matched exactly: lookalikes are not protocol fields */

START_TEST(test_unknown_protocol_fields)
{
    P_OK("MW1 200\nx-middleware-foo:bar\nx-middleware-nextx:1\n"
         "x-middleware-next-url:/x\nx-middleware-rewrite2:/r\n"
         "x-middleware-errors:e\nx-middleware-request:v\n"
         "x-middleware-:v\nX-MIDDLEWARE-SET-COOKIE:a=1\n"
         "x-middleware-location:/l\n\n");

    ck_assert_int_eq(d.kind, MW_DECISION_RESPONSE);
    ck_assert_uint_eq(d.rewrite.len, 0);
    ck_assert_uint_eq(d.error.len, 0);
    ck_assert_uint_eq(d.location.len, 0);
    ck_assert_uint_eq(d.override, 0);
    ck_assert_uint_eq(d.request.nelts, 0);

    /* ignored, never response headers */
    ck_assert_uint_eq(d.response.nelts, 0);

    /* not protocol names: ordinary response headers */
    P_OK("MW1 200\nx-middlewarenext:1\nmiddleware-next:1\nlocations:/x\n"
         "x-location:/y\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_RESPONSE);
    ck_assert_uint_eq(d.location.len, 0);
    ck_assert_uint_eq(d.response.nelts, 4);
    t_header_eq(d.response.elts[0], "x-middlewarenext", "1");
    t_header_eq(d.response.elts[1], "middleware-next", "1");
    t_header_eq(d.response.elts[2], "locations", "/x");
    t_header_eq(d.response.elts[3], "x-location", "/y");

    /* and a redirect status with only lookalikes has no location */
    P_ERROR("MW1 302\nx-middleware-location:/l\nlocations:/x\n\n",
            "without location");
}
END_TEST


START_TEST(test_response_headers)
{
    P_OK("MW1 200\nx-middleware-next:1\nset-cookie:a=1\nX-Frame-Options:DENY"
         "\nx-middleware-foo:1\nset-cookie:b=2\nlocation:/l\nVary:a\n"
         "content-length:5\n\n");

    ck_assert_int_eq(d.kind, MW_DECISION_NEXT);

    /*
     * in order, duplicates kept, names as sent; the skipped response
     * headers are the glue's business (mw_header_is_skipped_response)
     */
    ck_assert_uint_eq(d.response.nelts, 5);
    t_header_eq(d.response.elts[0], "set-cookie", "a=1");
    t_header_eq(d.response.elts[1], "X-Frame-Options", "DENY");
    t_header_eq(d.response.elts[2], "set-cookie", "b=2");
    t_header_eq(d.response.elts[3], "Vary", "a");
    t_header_eq(d.response.elts[4], "content-length", "5");

    t_in_payload(d.response.elts[0].name);
    t_in_payload(d.response.elts[4].value);

    /* no space is stripped around ':' */
    P_OK("MW1 200\nx-a: v \nx-b:\tw\t\nx-c:\n\n");
    ck_assert_uint_eq(d.response.nelts, 3);
    t_header_eq(d.response.elts[0], "x-a", " v ");
    t_header_eq(d.response.elts[1], "x-b", "\tw\t");
    t_header_eq(d.response.elts[2], "x-c", "");

    /* the name ends at the first ':' */
    P_OK("MW1 200\nx-a:b:c::\n\n");
    t_header_eq(d.response.elts[0], "x-a", "b:c::");

    /* any byte but CR, LF and NUL in values */
    P_OK("MW1 200\nx-a:\xc3\xa9\x01\x7f\xff\"\\\n\n");
    t_header_eq(d.response.elts[0], "x-a", "\xc3\xa9\x01\x7f\xff\"\\");

    /* every tchar in names */
    P_OK("MW1 200\n!#$%25&'*+-.^_`|~09azAZ:v\n\n");
    t_header_eq(d.response.elts[0], "!#$%&'*+-.^_`|~09azAZ", "v");
}
END_TEST


/* --- status line ---------------------------------------------------------- */


START_TEST(test_status_range)
{
    unsigned  s;
    char      buf[32];
    int       n;

    for (s = 0; s <= 999; s++) {
        n = snprintf(buf, sizeof(buf), "MW1 %03u\nlocation:/\n\n", s);

        if (s >= 100 && s <= 599) {
            ck_assert_msg(t_parse(buf, n) == MW_OK, "%u: %s", s, err);
            ck_assert_uint_eq(d.status, s);

        } else {
            ck_assert_msg(t_parse(buf, n) == MW_ERROR, "%u accepted", s);
            t_err_sane();
            ck_assert_msg(strstr(err, "invalid status") != NULL, "%s", err);
        }
    }
}
END_TEST


START_TEST(test_status_malformed)
{
    P_ERROR("MW1 20\n\n", "invalid status \"20\"");
    P_ERROR("MW1 2000\n\n", "invalid status \"2000\"");
    P_ERROR("MW1 20a\n\n", "invalid status \"20a\"");
    P_ERROR("MW1 a00\n\n", "invalid status");
    P_ERROR("MW1  200\n\n", "invalid status \"\\x20200\"");
    P_ERROR("MW1 200 \n\n", "invalid status \"200\\x20\"");
    P_ERROR("MW1 200 OK\n\n", "invalid status");
    P_ERROR("MW1 +20\n\n", "invalid status");
    P_ERROR("MW1 -20\n\n", "invalid status");
    P_ERROR("MW1 \n\n", "invalid status \"\"");
    P_ERROR("MW1 0x1\n\n", "invalid status");

    /* LF only: CR is part of the status, shown escaped */
    P_ERROR("MW1 200\r\n\r\n", "invalid status \"200\\x0d\"");

    /* NUL after the digits */
    P_ERROR("MW1 200\0\n\n", "invalid status \"200\\x00\"");

    /* no LF at all */
    P_ERROR("MW1 200", "no end of the status line");
    P_ERROR("MW1 ", "no end of the status line");
    P_ERROR("MW1 2", "no end of the status line");

    /* the status line must not be found in the body */
    P_ERROR("MW1 2xx\n\nMW1 200\n\n", "invalid status");
}
END_TEST


START_TEST(test_magic)
{
    P_ERROR("", "does not start with \"MW1 \"");
    P_ERROR("M", "does not start with");
    P_ERROR("MW1", "does not start with");
    P_ERROR("MW2 200\n\n", "does not start with");
    P_ERROR("mw1 200\n\n", "does not start with");
    P_ERROR("MW1\t200\n\n", "does not start with");
    P_ERROR("MW1200\n\n", "does not start with");
    P_ERROR(" MW1 200\n\n", "does not start with");
    P_ERROR("\nMW1 200\n\n", "does not start with");
    P_ERROR("HTTP/1.1 200 OK\r\n\r\n", "does not start with");
    P_ERROR("\0W1 200\n\n", "does not start with");

    /* an empty payload with a NULL pointer */
    memset(err, 'Z', sizeof(err));
    ck_assert_int_eq(mw_decision_parse(NULL, 0, &d, &t_alloc, err,
                                       sizeof(err)), MW_ERROR);
    t_err_sane();
}
END_TEST


START_TEST(test_truncated)
{
    P_ERROR("MW1 200\n", "no empty line");
    P_ERROR("MW1 200\nx-a:1", "no empty line");
    P_ERROR("MW1 200\nx-a:1\n", "no empty line");
    P_ERROR("MW1 200\nx-a:1\nx-b:2\n", "no empty line");

    /* CRLF is not an empty line */
    P_ERROR("MW1 200\nx-a:1\n\r\n", "no empty line");

    /* nothing is allocated for a payload that is cut short */
    ck_assert_uint_eq(t_heap.calls, 0);

    P_ERROR("MW1 200\nx-a:1\n\r\n\n", "invalid header line \"\\x0d\"");
}
END_TEST


/* --- fields --------------------------------------------------------------- */


START_TEST(test_field_syntax)
{
    P_ERROR("MW1 200\nx-a\n\n", "invalid header line \"x-a\" without \":\"");
    P_ERROR("MW1 200\nx-a:1\nno colon here\n\n",
            "invalid header line \"no\\x20colon\\x20here\"");
    P_ERROR("MW1 200\nx-a:1\n \n\n", "invalid header line \"\\x20\"");

    P_ERROR("MW1 200\n:v\n\n", "invalid header name \"\"");
    P_ERROR("MW1 200\nx a:v\n\n", "invalid header name \"x\\x20a\"");
    P_ERROR("MW1 200\nx-a :v\n\n", "invalid header name \"x-a\\x20\"");
    P_ERROR("MW1 200\n x-a:v\n\n", "invalid header name \"\\x20x-a\"");
    P_ERROR("MW1 200\nx(a):v\n\n", "invalid header name \"x(a)\"");
    P_ERROR("MW1 200\nx/a:v\n\n", "invalid header name \"x/a\"");
    P_ERROR("MW1 200\nx\ta:v\n\n", "invalid header name \"x\\x09a\"");
    P_ERROR("MW1 200\nx\x80:v\n\n", "invalid header name \"x\\x80\"");
    P_ERROR("MW1 200\nx\"a:v\n\n", "invalid header name \"x\\x22a\"");
    P_ERROR("MW1 200\nx\\a:v\n\n", "invalid header name \"x\\x5ca\"");

    /* raw CR, NUL */
    P_ERROR("MW1 200\nx-a\r:v\n\n", "invalid header name \"x-a\\x0d\"");
    P_ERROR("MW1 200\nx-a\0:v\n\n", "invalid header name \"x-a\\x00\"");
    P_ERROR("MW1 200\nx-a:v\r\n\n", "invalid value of header \"x-a\"");
    P_ERROR("MW1 200\nx-a:v\0w\n\n", "invalid value of header \"x-a\"");

    /* a bad field after good ones, and the whole payload is refused */
    P_ERROR("MW1 200\nx-middleware-next:1\nx-a:1\nx b:2\n\n",
            "invalid header name \"x\\x20b\"");
}
END_TEST


START_TEST(test_unescape)
{
    /* both hex cases, every nibble */
    P_OK("MW1 200\nx-a:%41%4a%4A%6f%6F%7e%7E%30%39%2a%2A%2c%2C\n\n");
    t_header_eq(d.response.elts[0], "x-a", "AJJoo~~09**,,");

    P_OK("MW1 200\nx-a:%aB%Cd%eF%ff%FF%80%01\n\n");
    t_header_eq(d.response.elts[0], "x-a", "\xab\xcd\xef\xff\xff\x80\x01");

    /* decoded once: %2541 is "%41" */
    P_OK("MW1 200\nx-a:%2541%25%25\n\n");
    t_header_eq(d.response.elts[0], "x-a", "%41%%");

    /* ':' and '%' in values */
    P_OK("MW1 200\nx-a:%3a%3A:%25\n\n");
    t_header_eq(d.response.elts[0], "x-a", ":::%");

    /* names are decoded, too */
    P_OK("MW1 200\nx%2Da%2dB:v\n\n");
    t_header_eq(d.response.elts[0], "x-a-B", "v");

    P_OK("MW1 200\nx-middleware-%6Eext:1\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_NEXT);

    P_OK("MW1 302\n%4Cocation:/%2f\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_REDIRECT);
    t_str_eq(d.location, "//");

    /* the strings are in the payload: decoded in place */
    t_in_payload(d.location);
}
END_TEST


START_TEST(test_escaped_colon_in_name)
{
    /*
     * the runtime escapes ':' in names as %3A; the field is split at the
     * raw ':' only, and the decoded ':' is not a token character
     */
    P_ERROR("MW1 200\nx-a%3Ab:v\n\n", "invalid header name \"x-a:b\"");
    P_ERROR("MW1 200\nx-a%3a:v:w\n\n", "invalid header name \"x-a:\"");
    P_ERROR("MW1 200\n%3A:v\n\n", "invalid header name \":\"");

    /* not taken for the separator: no such header "x-a" */
    P_ERROR("MW1 200\nx-a%3Avalue\n\n", "without \":\"");
}
END_TEST


START_TEST(test_bad_escapes)
{
    /* in values, the message names the header */
    P_ERROR("MW1 200\nx-a:%\n\n", "invalid escape in value of header \"x-a\"");
    P_ERROR("MW1 200\nx-a:%4\n\n", "invalid escape in value of header");
    P_ERROR("MW1 200\nx-a:ab%\n\n", "invalid escape in value of header");
    P_ERROR("MW1 200\nx-a:ab%a\n\n", "invalid escape in value of header");
    P_ERROR("MW1 200\nx-a:%G0\n\n", "invalid escape in value of header");
    P_ERROR("MW1 200\nx-a:%0G\n\n", "invalid escape in value of header");
    P_ERROR("MW1 200\nx-a:%g0\n\n", "invalid escape in value of header");
    P_ERROR("MW1 200\nx-a:%%41\n\n", "invalid escape in value of header");
    P_ERROR("MW1 200\nx-a:% 41\n\n", "invalid escape in value of header");
    P_ERROR("MW1 200\nx-a:%+1\n\n", "invalid escape in value of header");
    P_ERROR("MW1 200\nx-a:%-1\n\n", "invalid escape in value of header");
    P_ERROR("MW1 200\nx-a:%x1\n\n", "invalid escape in value of header");
    P_ERROR("MW1 200\nx-a:%\xc1\xa1\n\n", "invalid escape in value of header");
    P_ERROR("MW1 200\nx-a:ok%41%4\n\n", "invalid escape in value of header");

    /* an escape is not completed by the next line or the body */
    P_ERROR("MW1 200\nx-a:%4\n1:v\n\n", "invalid escape in value of header");
    P_ERROR("MW1 200\nx-a:%\n\n41", "invalid escape in value of header");

    /* in names, the message shows the name as sent */
    P_ERROR("MW1 200\nx-a%:v\n\n", "invalid escape in header name \"x-a%\"");
    P_ERROR("MW1 200\nx-a%4:v\n\n", "invalid escape in header name \"x-a%4\"");
    P_ERROR("MW1 200\nx%zz:v\n\n", "invalid escape in header name \"x%zz\"");
    P_ERROR("MW1 200\n%:v\n\n", "invalid escape in header name \"%\"");

    /* the escape is not completed by the ':' and the value */
    P_ERROR("MW1 200\nx-a%3:Av\n\n", "invalid escape in header name");
}
END_TEST


START_TEST(test_ctl_after_decoding)
{
    /* the exact message of include/mw_decision.h */
    P_ERROR("MW1 200\nx-a:%00\n\n",
            "invalid value of header \"x-a\" in middleware decision");
    ck_assert_str_eq(err,
                     "invalid value of header \"x-a\" in middleware decision");

    P_ERROR("MW1 200\nx-a:a%0Db\n\n", "invalid value of header \"x-a\"");
    P_ERROR("MW1 200\nx-a:a%0db\n\n", "invalid value of header \"x-a\"");
    P_ERROR("MW1 200\nx-a:a%0Ab\n\n", "invalid value of header \"x-a\"");
    P_ERROR("MW1 200\nx-a:a%0ab\n\n", "invalid value of header \"x-a\"");
    P_ERROR("MW1 200\nx-a:%0D%0A\n\n", "invalid value of header \"x-a\"");
    P_ERROR("MW1 200\nx-a:abc%00\n\n", "invalid value of header \"x-a\"");

    /* the header named is the one at fault */
    P_ERROR("MW1 200\nx-good:1\nX-Bad-One:a%0d%0aSet-Cookie: x=1\nx-z:1\n\n",
            "invalid value of header \"X-Bad-One\"");
    ck_assert_ptr_null(strstr(err, "x-good"));

    /* protocol fields are checked like any other */
    P_ERROR("MW1 302\nlocation:/a%0D%0ASet-Cookie:x\n\n",
            "invalid value of header \"location\"");
    P_ERROR("MW1 200\nx-middleware-rewrite:/a%00b\n\n",
            "invalid value of header \"x-middleware-rewrite\"");
    P_ERROR("MW1 200\nx-middleware-override-headers:a\n"
            "x-middleware-request-a:1%0a2\n\n",
            "invalid value of header \"x-middleware-request-a\"");

    /* in names, shown as \xHH */
    P_ERROR("MW1 200\nx-a%00:v\n\n", "invalid header name \"x-a\\x00\"");
    P_ERROR("MW1 200\nx%0Da:v\n\n", "invalid header name \"x\\x0da\"");
    P_ERROR("MW1 200\nx%0aa:v\n\n", "invalid header name \"x\\x0aa\"");
    P_ERROR("MW1 200\n%0A:v\n\n", "invalid header name \"\\x0a\"");
    P_ERROR("MW1 200\nx%20a:v\n\n", "invalid header name \"x\\x20a\"");
    P_ERROR("MW1 200\nx%FFa:v\n\n", "invalid header name \"x\\xffa\"");
}
END_TEST


START_TEST(test_err_quote_limit)
{
    size_t          i;
    unsigned char  *p;
    char            want[MW_ERRLEN];
    size_t          n;

    /* 64 characters are shown whole */

    p = t_fill(8 + 64 + 5, '(');
    memcpy(p, "MW1 200\n", 8);
    memcpy(p + 8 + 64, ":v\n\n", 4);
    ck_assert_int_eq(t_parse(p, 8 + 64 + 4), MW_ERROR);

    n = snprintf(want, sizeof(want), "invalid header name \"%.64s\" in "
                 "middleware decision", (char *) p + 8);
    ck_assert_uint_lt(n, sizeof(want));
    ck_assert_str_eq(err, want);

    /* more are cut at 64, then "..." */

    p = t_fill(8 + 5000 + 4, '(');
    memcpy(p, "MW1 200\n", 8);
    memcpy(p + 8 + 5000, ":v\n\n", 4);
    ck_assert_int_eq(t_parse(p, 8 + 5000 + 4), MW_ERROR);

    snprintf(want, sizeof(want), "invalid header name \"%.64s...\" in "
             "middleware decision", (char *) p + 8);
    ck_assert_str_eq(err, want);

    /* escapes count 4, and are never cut in half */

    p = t_fill(8 + 3 * 17 + 4, '%');

    memcpy(p, "MW1 200\n", 8);
    for (i = 0; i < 17; i++) {
        memcpy(p + 8 + 3 * i, "%01", 3);
    }
    memcpy(p + 8 + 3 * 17, ":v\n\n", 4);

    ck_assert_int_eq(t_parse(p, 8 + 3 * 17 + 4), MW_ERROR);

    strcpy(want, "invalid header name \"");
    for (i = 0; i < 16; i++) {
        strcat(want, "\\x01");
    }
    strcat(want, "...\" in middleware decision");
    ck_assert_str_eq(err, want);

    /* a long status line */

    p = t_fill(4 + 3000 + 2, '9');
    memcpy(p, "MW1 ", 4);
    memcpy(p + 4 + 3000, "\n\n", 2);
    ck_assert_int_eq(t_parse(p, 4 + 3000 + 2), MW_ERROR);
    t_err_sane();
    ck_assert_ptr_nonnull(strstr(err, "...\" in middleware decision"));
}
END_TEST


/*
 * messages with long quotes, two of them for a bad override list, fit in
 * MW_ERRLEN whole: the message is never cut by the buffer
 */

START_TEST(test_err_longest_fits)
{
    size_t          len, o;
    unsigned char  *p;
    static const char  pre[] = "MW1 200\nx-middleware-override-%01%01%01";
    static const char  mid[] = ":a,";

    len = (sizeof(pre) - 1) + 3 * 200 + (sizeof(mid) - 1) + 3 * 200 + 2;
    p = t_fill(len, 0);

    o = 0;
    memcpy(p, pre, sizeof(pre) - 1);
    o += sizeof(pre) - 1;
    for (size_t i = 0; i < 200; i++, o += 3) {
        memcpy(p + o, "%01", 3);
    }
    memcpy(p + o, mid, sizeof(mid) - 1);
    o += sizeof(mid) - 1;
    for (size_t i = 0; i < 200; i++, o += 3) {
        memcpy(p + o, "%7F", 3);
    }
    memcpy(p + o, "\n\n", 2);
    o += 2;
    ck_assert_uint_eq(o, len);

    /* the name is invalid first: one quote */
    ck_assert_int_eq(t_parse(p, len), MW_ERROR);
    t_err_sane();
    ck_assert_ptr_nonnull(strstr(err, "\" in middleware decision"));

    /* the override list with a bad name and a long list: two quotes */

    p = t_fill(8 + 30 + 3 * 300 + 2, 0);
    memcpy(p, "MW1 200\nx-middleware-override-headers:", 8 + 30);
    for (o = 38; o < 38 + 3 * 300; o += 3) {
        memcpy(p + o, "%7F", 3);
    }
    memcpy(p + o, "\n\n", 2);

    ck_assert_int_eq(t_parse(p, o + 2), MW_ERROR);
    t_err_sane();
    ck_assert_msg(strstr(err, "...\" in header \"x-middleware-override-headers"
                          "\" in middleware decision") != NULL, "%s", err);
}
END_TEST


/* --- override ------------------------------------------------------------- */


START_TEST(test_override_example)
{
    /* the example of docs/PROTOCOL.md */
    P_OK("MW1 200\n"
         "x-middleware-next:1\n"
         "x-middleware-override-headers:host,cookie,x-user-id\n"
         "x-middleware-request-host:example.com\n"
         "x-middleware-request-cookie:__session=abc\n"
         "x-middleware-request-x-user-id:user_123\n"
         "x-frame-options:DENY\n"
         "set-cookie:seen=1; Path=/\n"
         "\n");

    ck_assert_int_eq(d.kind, MW_DECISION_NEXT);
    ck_assert_uint_eq(d.status, 200);
    ck_assert_uint_eq(d.override, 1);

    ck_assert_uint_eq(d.request.nelts, 3);
    t_header_eq(d.request.elts[0], "host", "example.com");
    t_header_eq(d.request.elts[1], "cookie", "__session=abc");
    t_header_eq(d.request.elts[2], "x-user-id", "user_123");
    t_in_payload(d.request.elts[2].name);
    t_in_payload(d.request.elts[2].value);

    ck_assert_uint_eq(d.response.nelts, 2);
    t_header_eq(d.response.elts[0], "x-frame-options", "DENY");
    t_header_eq(d.response.elts[1], "set-cookie", "seen=1; Path=/");

    ck_assert_uint_eq(d.body.len, 0);
}
END_TEST


START_TEST(test_override_spaces)
{
    P_OK("MW1 200\nx-middleware-next:1\n"
         "x-middleware-override-headers: a ,\tB\t, ,,c,  \n"
         "x-middleware-request-d:4\n"
         "x-middleware-request-c:3\n"
         "x-middleware-request-b:2\n"
         "x-middleware-request-a:1\n\n");

    ck_assert_int_eq(d.kind, MW_DECISION_NEXT);
    ck_assert_uint_eq(d.override, 1);

    /* in the order of the fields, not of the list; d is not listed */
    ck_assert_uint_eq(d.request.nelts, 3);
    t_header_eq(d.request.elts[0], "c", "3");
    t_header_eq(d.request.elts[1], "b", "2");
    t_header_eq(d.request.elts[2], "a", "1");

    ck_assert_uint_eq(d.response.nelts, 0);
}
END_TEST


START_TEST(test_override_bad_list)
{
    /* spaces are ignored around names, not inside them */
    P_ERROR("MW1 200\nx-middleware-override-headers:a b\n\n",
            "invalid name \"a\\x20b\" in header "
            "\"x-middleware-override-headers\"");
    P_ERROR("MW1 200\nx-middleware-override-headers:a;b\n\n",
            "invalid name \"a;b\"");
    P_ERROR("MW1 200\nx-middleware-override-headers:ok,x:y\n\n",
            "invalid name \"x:y\"");
    P_ERROR("MW1 200\nx-middleware-override-headers:a%0Bb\n\n",
            "invalid name \"a\\x0bb\"");
    P_ERROR("MW1 200\nx-middleware-override-headers:a,\"b\"\n\n",
            "invalid name \"\\x22b\\x22\"");
}
END_TEST


START_TEST(test_override_empty)
{
    /* an empty list: every request header is removed */
    P_OK("MW1 200\nx-middleware-next:1\nx-middleware-override-headers:\n"
         "x-middleware-request-a:1\n\n");
    ck_assert_uint_eq(d.override, 1);
    ck_assert_uint_eq(d.request.nelts, 0);
    ck_assert_uint_eq(d.response.nelts, 0);

    P_OK("MW1 200\nx-middleware-next:1\n"
         "x-middleware-override-headers: , ,\t\n\n");
    ck_assert_uint_eq(d.override, 1);
    ck_assert_uint_eq(d.request.nelts, 0);

    /* listed names without a field: nothing for them (they are removed) */
    P_OK("MW1 200\nx-middleware-next:1\nx-middleware-override-headers:a,b\n"
         "x-middleware-request-b:2\n\n");
    ck_assert_uint_eq(d.override, 1);
    ck_assert_uint_eq(d.request.nelts, 1);
    t_header_eq(d.request.elts[0], "b", "2");

    P_OK("MW1 200\nx-middleware-next:1\nx-middleware-override-headers:a,b\n"
         "\n");
    ck_assert_uint_eq(d.override, 1);
    ck_assert_uint_eq(d.request.nelts, 0);

    /* an empty value is a value */
    P_OK("MW1 200\nx-middleware-next:1\nx-middleware-override-headers:a\n"
         "x-middleware-request-a:\n\n");
    ck_assert_uint_eq(d.request.nelts, 1);
    t_header_eq(d.request.elts[0], "a", "");
}
END_TEST


START_TEST(test_override_repeated)
{
    /* several fields for one name: several lines, in field order */
    P_OK("MW1 200\nx-middleware-next:1\n"
         "x-middleware-override-headers:cookie,accept\n"
         "x-middleware-request-cookie:a=1\n"
         "x-middleware-request-accept:*/*\n"
         "x-middleware-request-cookie:b=2\n"
         "x-middleware-request-cookie:c=3\n\n");

    ck_assert_uint_eq(d.request.nelts, 4);
    t_header_eq(d.request.elts[0], "cookie", "a=1");
    t_header_eq(d.request.elts[1], "accept", "*/*");
    t_header_eq(d.request.elts[2], "cookie", "b=2");
    t_header_eq(d.request.elts[3], "cookie", "c=3");

    /* several override fields add up */
    P_OK("MW1 200\nx-middleware-next:1\n"
         "x-middleware-override-headers:a\n"
         "x-middleware-request-a:1\n"
         "x-middleware-request-b:2\n"
         "x-middleware-request-c:3\n"
         "x-middleware-override-headers:b\n\n");

    ck_assert_uint_eq(d.override, 1);
    ck_assert_uint_eq(d.request.nelts, 2);
    t_header_eq(d.request.elts[0], "a", "1");
    t_header_eq(d.request.elts[1], "b", "2");
}
END_TEST


START_TEST(test_override_case)
{
    P_OK("MW1 200\nx-middleware-rewrite:/x\n"
         "X-Middleware-Override-Headers:X-User-Id\n"
         "x-middleware-request-x-user-id:1\n"
         "X-MIDDLEWARE-REQUEST-X-User-ID:2\n"
         "x-middleware-request-x-user-i:3\n"
         "x-middleware-request-x-user-idd:4\n\n");

    ck_assert_int_eq(d.kind, MW_DECISION_REWRITE);
    ck_assert_uint_eq(d.override, 1);

    /* names without the prefix, as sent */
    ck_assert_uint_eq(d.request.nelts, 2);
    t_header_eq(d.request.elts[0], "x-user-id", "1");
    t_header_eq(d.request.elts[1], "X-User-ID", "2");

    /* escaped names */
    P_OK("MW1 200\nx-middleware-next:1\nx-middleware-override-headers:x-y\n"
         "x-middleware-request-x%2dy:%41\n\n");
    ck_assert_uint_eq(d.request.nelts, 1);
    t_header_eq(d.request.elts[0], "x-y", "A");
}
END_TEST


START_TEST(test_override_absent)
{
    /* request fields without an override list are ignored */
    P_OK("MW1 200\nx-middleware-next:1\nx-middleware-request-a:1\n\n");

    ck_assert_uint_eq(d.override, 0);
    ck_assert_uint_eq(d.request.nelts, 0);
    ck_assert_uint_eq(d.response.nelts, 0);

    /* an empty name after the prefix */
    P_ERROR("MW1 200\nx-middleware-next:1\nx-middleware-request-:1\n\n",
            "invalid header name \"x-middleware-request-\"");
}
END_TEST


/* --- x-middleware-override-changed ----------------------------------------- */


START_TEST(test_changed)
{
    P_OK("MW1 200\n"
         "x-middleware-next:1\n"
         "x-middleware-override-changed:x-user-id, X-Remove\n"
         "x-middleware-request-x-user-id:user_123\n"
         "x-middleware-request-x-other:ignored\n"
         "x-frame-options:DENY\n"
         "\n");

    ck_assert_int_eq(d.kind, MW_DECISION_NEXT);
    ck_assert_uint_eq(d.override, 0);
    ck_assert_uint_eq(d.changed, 1);

    /* sorted, any case */
    ck_assert_uint_eq(d.nnames, 2);
    t_str_eq(d.names[0], "X-Remove");
    t_str_eq(d.names[1], "x-user-id");

    /* only the listed names' fields */
    ck_assert_uint_eq(d.request.nelts, 1);
    t_header_eq(d.request.elts[0], "x-user-id", "user_123");
    t_in_payload(d.request.elts[0].value);

    /* never a response header */
    ck_assert_uint_eq(d.response.nelts, 1);
    t_header_eq(d.response.elts[0], "x-frame-options", "DENY");

    /* deletions only; an empty list */
    P_OK("MW1 200\nx-middleware-next:1\n"
         "x-middleware-override-changed:a\n\n");
    ck_assert_uint_eq(d.changed, 1);
    ck_assert_uint_eq(d.nnames, 1);
    ck_assert_uint_eq(d.request.nelts, 0);

    P_OK("MW1 200\nx-middleware-next:1\n"
         "x-middleware-override-changed: ,\n"
         "x-middleware-request-a:1\n\n");
    ck_assert_uint_eq(d.changed, 1);
    ck_assert_uint_eq(d.nnames, 0);
    ck_assert_uint_eq(d.request.nelts, 0);

    /* several lists add up, escaped names */
    P_OK("MW1 200\nx-middleware-rewrite:/r\n"
         "x-middleware-override-changed:a\n"
         "x-middleware-request-b:2\n"
         "x-middleware-request-%61:1\n"
         "X-Middleware-Override-Changed:b\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_REWRITE);
    ck_assert_uint_eq(d.nnames, 2);
    ck_assert_uint_eq(d.request.nelts, 2);
    t_header_eq(d.request.elts[0], "b", "2");
    t_header_eq(d.request.elts[1], "a", "1");

    P_ERROR("MW1 200\nx-middleware-override-changed:a b\n\n",
            "invalid name \"a\\x20b\" in header "
            "\"x-middleware-override-changed\"");
    P_ERROR("MW1 200\nx-middleware-override-changed:a\n"
            "x-middleware-request-a:1%0D\n\n",
            "invalid value of header \"x-middleware-request-a\"");
}
END_TEST


START_TEST(test_changed_with_override)
{
    /* the complete set wins: its list selects the fields */
    P_OK("MW1 200\nx-middleware-next:1\n"
         "x-middleware-override-changed:b\n"
         "x-middleware-override-headers:a\n"
         "x-middleware-request-a:1\n"
         "x-middleware-request-b:2\n\n");

    ck_assert_uint_eq(d.override, 1);
    ck_assert_uint_eq(d.changed, 0);
    ck_assert_uint_eq(d.request.nelts, 1);
    t_header_eq(d.request.elts[0], "a", "1");
}
END_TEST


static mw_header_t  t_orig[6];


static void
t_set(mw_header_t *h, const char *n, const char *v)
{
    h->name.data = (unsigned char *) n;
    h->name.len = strlen(n);
    h->value.data = (unsigned char *) v;
    h->value.len = strlen(v);
}


START_TEST(test_changed_apply)
{
    mw_headers_t  orig, out;

    t_set(&t_orig[0], "Host", "example.com");
    t_set(&t_orig[1], "X-User-Id", "forged");
    t_set(&t_orig[2], "Cookie", "a=1");
    t_set(&t_orig[3], "Content-Length", "3");
    t_set(&t_orig[4], "x-user-id", "forged2");
    t_set(&t_orig[5], "Accept", "*/*");

    orig.elts = t_orig;
    orig.nelts = 6;

    P_OK("MW1 200\nx-middleware-next:1\n"
         "x-middleware-override-changed:x-user-id,accept,content-length,"
         "x-new\n"
         "x-middleware-request-x-new:n\n"
         "x-middleware-request-content-length:99\n"
         "x-middleware-request-x-user-id:user_123\n\n");

    ck_assert_int_eq(mw_decision_changed(&orig, &d, &out, &t_alloc), MW_OK);

    /* kept in order, protected ones too; then the new lines */
    ck_assert_uint_eq(out.nelts, 5);
    t_header_eq(out.elts[0], "Host", "example.com");
    t_header_eq(out.elts[1], "Cookie", "a=1");
    t_header_eq(out.elts[2], "Content-Length", "3");
    t_header_eq(out.elts[3], "x-new", "n");
    t_header_eq(out.elts[4], "x-user-id", "user_123");

    /* nothing listed: the request as it is */
    P_OK("MW1 200\nx-middleware-next:1\n"
         "x-middleware-override-changed:\n\n");
    ck_assert_int_eq(mw_decision_changed(&orig, &d, &out, &t_alloc), MW_OK);
    ck_assert_uint_eq(out.nelts, 6);
    t_header_eq(out.elts[4], "x-user-id", "forged2");

    /* no request headers at all */
    orig.nelts = 0;
    P_OK("MW1 200\nx-middleware-next:1\n"
         "x-middleware-override-changed:a\n"
         "x-middleware-request-a:1\n\n");
    ck_assert_int_eq(mw_decision_changed(&orig, &d, &out, &t_alloc), MW_OK);
    ck_assert_uint_eq(out.nelts, 1);
    t_header_eq(out.elts[0], "a", "1");

    /* out of memory */
    t_heap.fail_after = 0;
    t_heap.calls = 0;
    ck_assert_int_eq(mw_decision_changed(&orig, &d, &out, &t_alloc),
                     MW_NOMEM);
    t_heap.fail_after = -1;
}
END_TEST


/* --- body ----------------------------------------------------------------- */


START_TEST(test_body)
{
    static const unsigned char  bin[] =
        "MW1 200\nx-a:1\n\n\0\r\n\n\xff%00%zz\nMW1 200\n\nx-middleware-next:1"
        "\n\0";
    size_t                      i;
    unsigned char               all[8 + 1 + 256];

    ck_assert_int_eq(t_parse(bin, sizeof(bin) - 1), MW_OK);
    ck_assert_int_eq(d.kind, MW_DECISION_RESPONSE);
    ck_assert_uint_eq(d.response.nelts, 1);

    /* after the first empty line, raw: no unescaping, no field parsing */
    ck_assert_ptr_eq(d.body.data, pl + 15);
    t_str_eq(d.body, "\0\r\n\n\xff%00%zz\nMW1 200\n\nx-middleware-next:1\n\0");

    /* every byte value */

    memcpy(all, "MW1 200\n\n", 9);
    for (i = 0; i < 256; i++) {
        all[9 + i] = (unsigned char) i;
    }

    ck_assert_int_eq(t_parse(all, sizeof(all)), MW_OK);
    ck_assert_uint_eq(d.body.len, 256);
    ck_assert_mem_eq(d.body.data, all + 9, 256);
    ck_assert_ptr_eq(d.body.data, pl + 9);

    /* empty, and only line feeds */

    P_OK("MW1 204\nx-a:1\n\n");
    ck_assert_uint_eq(d.body.len, 0);
    ck_assert_ptr_eq(d.body.data, pl + pl_len);

    P_OK("MW1 200\n\n\n");
    t_str_eq(d.body, "\n");

    P_OK("MW1 200\n\n\n\n");
    t_str_eq(d.body, "\n\n");

    /* the body of a next decision is kept, too */
    P_OK("MW1 200\nx-middleware-next:1\n\nignored?");
    t_str_eq(d.body, "ignored?");
}
END_TEST


START_TEST(test_body_large)
{
    size_t          i, len;
    unsigned char  *p;

    len = 9 + 1024 * 1024;
    p = t_fill(len, 0);
    memcpy(p, "MW1 200\n\n", 9);

    for (i = 9; i < len; i++) {
        p[i] = (unsigned char) (i * 131 + (i >> 8));
    }

    ck_assert_int_eq(t_parse(p, len), MW_OK);
    ck_assert_uint_eq(d.body.len, len - 9);
    ck_assert_int_eq(memcmp(d.body.data, p + 9, len - 9), 0);
}
END_TEST


/* --- limits --------------------------------------------------------------- */


/* "MW1 200", n fields "x-<i>:<n - i>", the first one replaced by first */

static unsigned char *
t_fields(size_t n, const char *first, size_t *len)
{
    size_t          i, o;
    unsigned char  *p;

    p = t_fill(8 + n * 32 + 1, 0);
    o = 0;

    memcpy(p, "MW1 200\n", 8);
    o += 8;

    for (i = 0; i < n; i++) {
        if (i == 0 && first != NULL) {
            o += sprintf((char *) p + o, "%s\n", first);
            continue;
        }

        o += sprintf((char *) p + o, "x-%05zu:%05zu\n", i, n - i);
    }

    p[o++] = '\n';

    *len = o;

    return p;
}


START_TEST(test_field_limit)
{
    size_t          len, i;
    char            name[16], value[16];
    unsigned char  *p;

    ck_assert_int_eq(MW_DECISION_MAX_FIELDS, 1000);

    p = t_fields(1000, NULL, &len);
    ck_assert_int_eq(t_parse(p, len), MW_OK);
    ck_assert_uint_eq(d.response.nelts, 1000);

    for (i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "x-%05zu", i);
        snprintf(value, sizeof(value), "%05zu", 1000 - i);
        t_str_eq_n(d.response.elts[i].name, (unsigned char *) name, 7);
        t_str_eq_n(d.response.elts[i].value, (unsigned char *) value, 5);
    }

    t_heap.calls = 0;

    p = t_fields(1001, NULL, &len);
    ck_assert_int_eq(t_parse(p, len), MW_ERROR);
    t_err_sane();
    ck_assert_msg(strstr(err, "too many headers") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "1000") != NULL, "%s", err);

    /* refused before anything is allocated */
    ck_assert_uint_eq(t_heap.calls, 0);

    /* protocol fields count, too */

    p = t_fields(1000, "x-middleware-next:1", &len);
    ck_assert_int_eq(t_parse(p, len), MW_OK);
    ck_assert_int_eq(d.kind, MW_DECISION_NEXT);
    ck_assert_uint_eq(d.response.nelts, 999);

    p = t_fields(1001, "x-middleware-next:1", &len);
    ck_assert_int_eq(t_parse(p, len), MW_ERROR);

    /* even a huge count is refused without allocating */

    t_heap.calls = 0;
    p = t_fields(100000, NULL, &len);
    ck_assert_int_eq(t_parse(p, len), MW_ERROR);
    ck_assert_uint_eq(t_heap.calls, 0);
}
END_TEST


/*
 * a header-copying middleware sends one x-middleware-request-* field per
 * client header line: those never count against the field limit (issue:
 * a client with 1,000 header lines turned the decision into a failure)
 */

static unsigned char *
t_override(size_t n, size_t nother, size_t *len)
{
    size_t          i, o;
    unsigned char  *p;

    p = t_alloc.alloc(t_alloc.data, 128 + n * 64 + nother * 16);
    ck_assert_ptr_nonnull(p);

    o = (size_t) sprintf((char *) p, "MW1 200\nx-middleware-next:1\n"
                         "x-middleware-override-headers:");

    /* listed in the opposite order of the fields, and in another case */

    for (i = 0; i < n; i++) {
        o += sprintf((char *) p + o, "%sH%zu", i ? "," : "", n - 1 - i);
    }

    p[o++] = '\n';

    for (i = 0; i < n; i++) {
        o += sprintf((char *) p + o, "x-middleware-request-h%zu:v%zu\n",
                     i, i);
    }

    /* not listed: dropped */
    o += sprintf((char *) p + o, "x-middleware-request-unlisted:1\n");

    for (i = 0; i < nother; i++) {
        o += sprintf((char *) p + o, "x-r%zu:1\n", i);
    }

    p[o++] = '\n';
    *len = o;

    return p;
}


START_TEST(test_field_limit_request)
{
    size_t          len;
    unsigned char  *p;

    /* next + the list + 998 = 1000 other fields, and 20,001 request ones */

    p = t_override(20000, 998, &len);
    ck_assert_int_eq(t_parse(p, len), MW_OK);
    ck_assert_int_eq(d.kind, MW_DECISION_NEXT);
    ck_assert_uint_eq(d.request.nelts, 20000);
    ck_assert_uint_eq(d.response.nelts, 998);
    t_str_eq_n(d.request.elts[0].name, (unsigned char *) "h0", 2);
    t_str_eq_n(d.request.elts[19999].name, (unsigned char *) "h19999", 6);
    t_str_eq_n(d.request.elts[19999].value, (unsigned char *) "v19999", 6);

    p = t_override(20000, 999, &len);
    ck_assert_int_eq(t_parse(p, len), MW_ERROR);
    ck_assert_msg(strstr(err, "too many headers") != NULL, "%s", err);
}
END_TEST


/* --- err ------------------------------------------------------------------ */


/* payloads that fail in different places */
static const char  *t_bad[] = {
    "",
    "MW1 9999\n\n",
    "MW1 200\n",
    "MW1 200\nx a:1\n\n",
    "MW1 200\nx-%0a:1\n\n",
    "MW1 200\nx-a:%zz\n\n",
    "MW1 200\nx-a:%0D\n\n",
    "MW1 301\nx-a:1\n\n",
    "MW1 200\nx-middleware-override-headers:a b\n\n",
    "MW1 200\nx-middleware-request-:1\n\n",
    "MW1 200\nx-middleware-rewrite:\n\n",
    NULL
};


START_TEST(test_err_truncation)
{
    size_t       i, len, errlen, n, k;
    char         full[MW_ERRLEN], buf[MW_ERRLEN + 32];
    const char  *s;

    for (i = 0; t_bad[i] != NULL; i++) {
        s = t_bad[i];
        len = strlen(s);

        ck_assert_int_eq(t_parse(s, len), MW_ERROR);
        t_err_sane();
        strcpy(full, err);
        n = strlen(full);

        for (errlen = 0; errlen <= n + 2; errlen++) {
            memset(buf, 'Z', sizeof(buf));

            ck_assert_int_eq(mw_decision_parse(t_dup(s, len), len, &d,
                                               &t_alloc, buf, errlen),
                             MW_ERROR);

            /* nothing past errlen is written */
            for (k = errlen; k < sizeof(buf); k++) {
                ck_assert_msg(buf[k] == 'Z', "\"%s\" errlen %zu: byte %zu "
                              "written", s, errlen, k);
            }

            if (errlen == 0) {
                continue;
            }

            /* a NUL-terminated prefix of the message */
            k = strnlen(buf, errlen);
            ck_assert_uint_lt(k, errlen);
            ck_assert_uint_eq(k, n < errlen - 1 ? n : errlen - 1);
            ck_assert_int_eq(memcmp(buf, full, k), 0);
        }

        /* no buffer at all */
        ck_assert_int_eq(mw_decision_parse(t_dup(s, len), len, &d, &t_alloc,
                                           NULL, 0), MW_ERROR);
    }
}
END_TEST


START_TEST(test_err_on_success)
{
    char  buf[4];

    /* cleared on success */
    memset(buf, 'Z', sizeof(buf));
    ck_assert_int_eq(mw_decision_parse(t_dup("MW1 200\n\n", 9), 9, &d,
                                       &t_alloc, buf, 1), MW_OK);
    ck_assert_int_eq(buf[0], '\0');
    ck_assert_int_eq(buf[1], 'Z');

    ck_assert_int_eq(mw_decision_parse(t_dup("MW1 200\n\n", 9), 9, &d,
                                       &t_alloc, NULL, 0), MW_OK);

    P_OK("MW1 200\nx-middleware-next:1\n\n");
}
END_TEST


/* --- d -------------------------------------------------------------------- */


START_TEST(test_reset)
{
    /* whatever d held before is gone */
    P_OK("MW1 500\nx-middleware-error:e\nx-middleware-pass-through:1\n"
         "x-middleware-override-headers:a\nx-middleware-request-a:1\n"
         "x-middleware-rewrite:/r\nlocation:/l\nx-a:1\n\nbody");
    ck_assert_uint_eq(d.override, 1);

    P_OK("MW1 200\n\n");
    ck_assert_int_eq(d.kind, MW_DECISION_RESPONSE);
    ck_assert_uint_eq(d.rewrite.len, 0);
    ck_assert_uint_eq(d.location.len, 0);
    ck_assert_uint_eq(d.error.len, 0);
    ck_assert_uint_eq(d.pass_through, 0);
    ck_assert_uint_eq(d.override, 0);
    ck_assert_uint_eq(d.changed, 0);
    ck_assert_uint_eq(d.nnames, 0);
    ck_assert_uint_eq(d.request.nelts, 0);
    ck_assert_uint_eq(d.response.nelts, 0);
    ck_assert_uint_eq(d.body.len, 0);
}
END_TEST


/* --- allocator ------------------------------------------------------------ */


static void
t_nomem_sweep(const char *s)
{
    int     rc;
    size_t  len, calls, k;

    len = strlen(s);

    t_heap.fail_after = -1;
    t_heap.calls = 0;
    ck_assert_int_eq(t_parse(s, len), MW_OK);
    calls = t_heap.calls;
    ck_assert_uint_gt(calls, 0);

    for (k = 0; k < calls; k++) {
        t_heap.fail_after = (long) k;
        t_heap.calls = 0;

        rc = t_parse(s, len);

        ck_assert_msg(rc == MW_NOMEM, "\"%s\": %d after %zu allocations",
                      s, rc, k);
        ck_assert_uint_eq(t_heap.calls, k + 1);
        t_err_sane();
        ck_assert_msg(strstr(err, "memory") != NULL, "%s", err);
    }

    t_heap.fail_after = (long) calls;
    t_heap.calls = 0;
    ck_assert_int_eq(t_parse(s, len), MW_OK);
    ck_assert_uint_eq(t_heap.calls, calls);
}


START_TEST(test_nomem)
{
    t_nomem_sweep("MW1 200\nx-a:1\n\n");
    t_nomem_sweep("MW1 200\nx-middleware-next:1\n"
                  "x-middleware-override-changed:a,b\n"
                  "x-middleware-request-a:1\n\n");
    t_nomem_sweep("MW1 200\nx-middleware-next:1\n\n");
    t_nomem_sweep("MW1 200\n"
                  "x-middleware-next:1\n"
                  "x-middleware-override-headers:host,cookie,x-user-id\n"
                  "x-middleware-request-host:example.com\n"
                  "x-middleware-request-cookie:__session=abc\n"
                  "x-middleware-request-x-user-id:user_123\n"
                  "x-frame-options:DENY\n"
                  "set-cookie:seen=1; Path=/\n"
                  "\n");

    /* no fields, nothing to allocate: an allocator that always fails */
    t_heap.fail_after = 0;
    t_heap.calls = 0;
    P_OK("MW1 200\n\nbody");
    ck_assert_uint_eq(t_heap.calls, 0);
}
END_TEST


static Suite *
decision_suite(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("mw_decision");

    tc = tcase_create("kinds");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_kind_name);
    tcase_add_test(tc, test_minimal);
    tcase_add_test(tc, test_next);
    tcase_add_test(tc, test_rewrite);
    tcase_add_test(tc, test_redirect);
    tcase_add_test(tc, test_other_3xx_is_response);
    tcase_add_test(tc, test_response);
    tcase_add_test(tc, test_error);
    tcase_add_test(tc, test_pass_through);
    tcase_add_test(tc, test_precedence);
    tcase_add_test(tc, test_unknown_protocol_fields);
    tcase_add_test(tc, test_response_headers);
    tcase_add_test(tc, test_reset);
    suite_add_tcase(s, tc);

    tc = tcase_create("syntax");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_status_range);
    tcase_add_test(tc, test_status_malformed);
    tcase_add_test(tc, test_magic);
    tcase_add_test(tc, test_truncated);
    tcase_add_test(tc, test_field_syntax);
    tcase_add_test(tc, test_unescape);
    tcase_add_test(tc, test_escaped_colon_in_name);
    tcase_add_test(tc, test_bad_escapes);
    tcase_add_test(tc, test_ctl_after_decoding);
    suite_add_tcase(s, tc);

    tc = tcase_create("override");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_override_example);
    tcase_add_test(tc, test_override_spaces);
    tcase_add_test(tc, test_override_bad_list);
    tcase_add_test(tc, test_override_empty);
    tcase_add_test(tc, test_override_repeated);
    tcase_add_test(tc, test_override_case);
    tcase_add_test(tc, test_override_absent);
    tcase_add_test(tc, test_changed);
    tcase_add_test(tc, test_changed_with_override);
    tcase_add_test(tc, test_changed_apply);
    suite_add_tcase(s, tc);

    tc = tcase_create("body");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_body);
    tcase_add_test(tc, test_body_large);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_field_limit);
    tcase_add_test(tc, test_field_limit_request);
    tcase_add_test(tc, test_err_quote_limit);
    tcase_add_test(tc, test_err_longest_fits);
    tcase_add_test(tc, test_err_truncation);
    tcase_add_test(tc, test_err_on_success);
    tcase_add_test(tc, test_nomem);
    suite_add_tcase(s, tc);

    return s;
}


int
main(void)
{
    return t_run(decision_suite());
}
