
/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * mw_url.c: rewrite targets (mw_url_parse), the same-origin rule of
 * docs/PROTOCOL.md (mw_url_same_origin) and mw_url_decode_path().
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <mw_url.h>

#include "mw_test.h"


static mw_url_t        u;
static unsigned char  *in;              /* the input last parsed */
static size_t          in_len;


static void
setup(void)
{
    t_heap_setup();
    memset(&u, 0x5a, sizeof(mw_url_t));
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
    in = t_dup(s, len);
    in_len = len;

    return mw_url_parse(in, len, &u);
}

#define U(lit)  t_parse(lit, sizeof(lit) - 1)


/* a part of u points into the input */

#define t_in_input(s)                                                         \
    ck_assert((s).data >= in && (s).data + (s).len <= in + in_len)


#define U_OK(lit, sch, hst, pth, qry)                                         \
    do {                                                                      \
        ck_assert_msg(U(lit) == MW_OK, "\"%s\" refused", lit);                \
        t_str_eq(u.scheme, sch);                                              \
        t_str_eq(u.host, hst);                                                \
        t_str_eq(u.path, pth);                                                \
        t_str_eq(u.query, qry);                                               \
    } while (0)

#define U_ERROR(lit)                                                          \
    ck_assert_msg(U(lit) == MW_ERROR, "\"%s\" accepted", lit)


/* --- mw_url_parse --------------------------------------------------------- */


START_TEST(test_path_only)
{
    U_OK("/", "", "", "/", "");
    t_in_input(u.path);

    U_OK("/a/b", "", "", "/a/b", "");
    t_in_input(u.path);

    U_OK("/a/b?x=1&y=2", "", "", "/a/b", "x=1&y=2");
    t_in_input(u.path);
    t_in_input(u.query);

    U_OK("/a/b?x=1#frag", "", "", "/a/b", "x=1");
    U_OK("/a/b#frag", "", "", "/a/b", "");
    U_OK("/a/b#frag?x=1", "", "", "/a/b", "");
    U_OK("/?q", "", "", "/", "q");
    U_OK("/a?", "", "", "/a", "");
    U_OK("/a?b?c", "", "", "/a", "b?c");
    U_OK("/a#", "", "", "/a", "");
    U_OK("/a?#", "", "", "/a", "");
    U_OK("/#x", "", "", "/", "");

    /* still encoded, dot segments and all: nginx normalizes them later */
    U_OK("/%2e%2E/a%20b/./../c", "", "", "/%2e%2E/a%20b/./../c", "");
    U_OK("/a:b@c/d", "", "", "/a:b@c/d", "");
    U_OK("/a\\b", "", "", "/a\\b", "");
    U_OK("/\xc3\xa9?\xff", "", "", "/\xc3\xa9", "\xff");

    /* the fragment is dropped unseen */
    U_OK("/a#\x01 \t\x7f", "", "", "/a", "");

    /* no scheme, no host */
    ck_assert_ptr_null(u.scheme.data);
    ck_assert_ptr_null(u.host.data);
}
END_TEST


START_TEST(test_relative)
{
    /* "//host" is relative to the scheme: never */
    U_ERROR("//");
    U_ERROR("//evil.example/");
    U_ERROR("//evil.example");
    U_ERROR("///a");

    U_ERROR("");
    U_ERROR("a");
    U_ERROR("a/b");
    U_ERROR("./a");
    U_ERROR("../a");
    U_ERROR("?q");
    U_ERROR("#f");
    U_ERROR(" /a");
    U_ERROR("\\a");
    U_ERROR("\\\\evil.example/");
    U_ERROR("example.com/a");
    U_ERROR("localhost:8080/a");

    /* a NULL pointer with no bytes */
    ck_assert_int_eq(mw_url_parse(NULL, 0, &u), MW_ERROR);
}
END_TEST


START_TEST(test_path_ctl)
{
    /* raw bytes that no serialized URL holds */
    U_ERROR("/a b");
    U_ERROR("/a\tb");
    U_ERROR("/a\rb");
    U_ERROR("/a\nb");
    U_ERROR("/a\0b");
    U_ERROR("/a\x01");
    U_ERROR("/a\x1f");
    U_ERROR("/a\x7f");
    U_ERROR("/a?b c");
    U_ERROR("/a?b\0");
    U_ERROR("/a?b\n");
    U_ERROR("http://h/a b");
    U_ERROR("http://h?a b");

    U_OK("/a!$&'()*+,;=~", "", "", "/a!$&'()*+,;=~", "");
}
END_TEST


START_TEST(test_len)
{
    /* only len bytes are looked at */

    ck_assert_int_eq(mw_url_parse((unsigned char *) "/a?b", 2, &u), MW_OK);
    t_str_eq(u.path, "/a");
    t_str_eq(u.query, "");

    ck_assert_int_eq(mw_url_parse((unsigned char *) "/a b", 2, &u), MW_OK);
    t_str_eq(u.path, "/a");

    ck_assert_int_eq(mw_url_parse((unsigned char *) "http://h:80", 8, &u),
                     MW_OK);
    t_str_eq(u.host, "h");

    ck_assert_int_eq(mw_url_parse((unsigned char *) "http://h", 7, &u),
                     MW_ERROR);
    ck_assert_int_eq(mw_url_parse((unsigned char *) "//", 1, &u), MW_OK);
}
END_TEST


START_TEST(test_absolute)
{
    U_OK("http://example.com", "http", "example.com", "/", "");
    t_in_input(u.scheme);
    t_in_input(u.host);
    ck_assert_ptr_eq(u.scheme.data, in);
    ck_assert_ptr_eq(u.host.data, in + 7);

    U_OK("http://example.com/", "http", "example.com", "/", "");
    t_in_input(u.path);

    U_OK("https://example.com:8443/a/b?c=d#e", "https", "example.com:8443",
         "/a/b", "c=d");
    t_in_input(u.path);
    t_in_input(u.query);

    U_OK("http://example.com?q=1", "http", "example.com", "/", "q=1");
    U_OK("http://example.com#f", "http", "example.com", "/", "");
    U_OK("http://example.com#f/x?y", "http", "example.com", "/", "");
    U_OK("http://example.com?", "http", "example.com", "/", "");
    U_OK("http://example.com/?#", "http", "example.com", "/", "");

    /* case is kept as sent */
    U_OK("HTTP://Example.COM/A?B", "HTTP", "Example.COM", "/A", "B");

    /* an empty port is the default one */
    U_OK("http://example.com:/p", "http", "example.com:", "/p", "");

    U_OK("http://h:0/", "http", "h:0", "/", "");
    U_OK("http://h:65535/", "http", "h:65535", "/", "");
    U_OK("http://h:00000000080/", "http", "h:00000000080", "/", "");

    /* any scheme */
    U_OK("svn+ssh://h/x", "svn+ssh", "h", "/x", "");
    U_OK("a.b-c+d1://h", "a.b-c+d1", "h", "/", "");
    U_OK("x://h", "x", "h", "/", "");

    /* host characters: unreserved, pct-encoded, sub-delims */
    U_OK("http://a-b.c_d~e%41!$&'()*+,;=/x", "http",
         "a-b.c_d~e%41!$&'()*+,;=", "/x", "");
    U_OK("http://127.0.0.1:8080", "http", "127.0.0.1:8080", "/", "");
}
END_TEST


START_TEST(test_userinfo)
{
    U_OK("http://user:pass@example.com/p", "http", "example.com", "/p", "");
    t_in_input(u.host);

    U_OK("http://user@example.com:81", "http", "example.com:81", "/", "");
    U_OK("http://@example.com/", "http", "example.com", "/", "");

    /* the last '@' ends the userinfo */
    U_OK("http://a@b@c.example/", "http", "c.example", "/", "");
    U_OK("http://example.com@evil.example/", "http", "evil.example", "/",
         "");
    U_OK("http://u:p:q@h", "http", "h", "/", "");

    /* '@' after the authority is in the path */
    U_OK("http://h/a@evil.example", "http", "h", "/a@evil.example", "");
    U_OK("http://h?@evil.example", "http", "h", "/", "@evil.example");
    U_OK("http://h#@evil.example", "http", "h", "/", "");

    U_ERROR("http://user@/");
    U_ERROR("http://user@");
    U_ERROR("http://user@:80/");

    /* never in an authority, the userinfo included */
    U_ERROR("http://u\\@h/");
    U_ERROR("http://u\"@h/");
    U_ERROR("http://u<>@h/");
    U_ERROR("http://u^@h/");
    U_ERROR("http://u`@h/");
    U_ERROR("http://u{}@h/");
    U_ERROR("http://u|@h/");
    U_ERROR("http://u @h/");
    U_ERROR("http://u\x80@h/");
}
END_TEST


START_TEST(test_bad_scheme)
{
    U_ERROR("http:");
    U_ERROR("http:/");
    U_ERROR("http:/h/");
    U_ERROR("http:h/");
    U_ERROR("http//h/");
    U_ERROR("http:\\\\h/");
    U_ERROR("http:/\\h/");
    U_ERROR("://h/");
    U_ERROR("1http://h/");
    U_ERROR("+http://h/");
    U_ERROR("ht tp://h/");
    U_ERROR("ht_tp://h/");
    U_ERROR("http ://h/");
    U_ERROR(" http://h/");
    U_ERROR("\xc3\xa9://h/");
    U_ERROR("javascript:alert(1)");
    U_ERROR("data:text/html,x");
    U_ERROR("mailto:a@b");
}
END_TEST


START_TEST(test_bad_host)
{
    U_ERROR("http://");
    U_ERROR("http:///");
    U_ERROR("http:///p");
    U_ERROR("http://?q");
    U_ERROR("http://#f");
    U_ERROR("http://:80/");
    U_ERROR("http://:/");

    U_ERROR("http://h:65536/");
    U_ERROR("http://h:99999/");
    U_ERROR("http://h:4294967376/");                /* 2^32 + 80 */
    U_ERROR("http://h:18446744073709551696/");      /* 2^64 + 80 */
    U_ERROR("http://h:8a/");
    U_ERROR("http://h:-1/");
    U_ERROR("http://h:+80/");
    U_ERROR("http://h: 80/");
    U_ERROR("http://h:80:80/");
    U_ERROR("http://h::80/");

    /* never in an authority */
    U_ERROR("http://a b/");
    U_ERROR("http://a\tb/");
    U_ERROR("http://a\rb/");
    U_ERROR("http://a\nb/");
    U_ERROR("http://a\0b/");
    U_ERROR("http://a\x7f/");
    U_ERROR("http://a\x80/");
    U_ERROR("http://\xc3\xa9.example/");
    U_ERROR("http://a\\b/");
    U_ERROR("http://evil.example\\@good.example/");
    U_ERROR("http://a\"b/");
    U_ERROR("http://a<b/");
    U_ERROR("http://a>b/");
    U_ERROR("http://a^b/");
    U_ERROR("http://a`b/");
    U_ERROR("http://a{b/");
    U_ERROR("http://a}b/");
    U_ERROR("http://a|b/");

    /* not reg-name characters */
    U_ERROR("http://a[b/");
    U_ERROR("http://a]b/");
    U_ERROR("http://a]/");
}
END_TEST


START_TEST(test_ipv6)
{
    U_OK("http://[::1]/", "http", "[::1]", "/", "");
    U_OK("http://[::1]", "http", "[::1]", "/", "");
    U_OK("http://[::1]:8080/p?q", "http", "[::1]:8080", "/p", "q");
    U_OK("http://[::1]:/p", "http", "[::1]:", "/p", "");
    U_OK("http://[2001:DB8::a:B]/", "http", "[2001:DB8::a:B]", "/", "");
    U_OK("http://[::ffff:192.0.2.1]/", "http", "[::ffff:192.0.2.1]", "/",
         "");
    U_OK("http://u@[::1]:1/", "http", "[::1]:1", "/", "");

    U_ERROR("http://[]/");
    U_ERROR("http://[]:80/");
    U_ERROR("http://[/");
    U_ERROR("http://[::1/");
    U_ERROR("http://[::1");
    U_ERROR("http://[::g]/");
    U_ERROR("http://[::1%25eth0]/");
    U_ERROR("http://[v1.x]/");
    U_ERROR("http://[::1]x/");
    U_ERROR("http://[::1]]/");
    U_ERROR("http://[::1][::2]/");
    U_ERROR("http://[::1]:x/");
    U_ERROR("http://[::1]:65536/");
    U_ERROR("http://[[::1]]/");
    U_ERROR("http://::1/");
    U_ERROR("http://[ ::1]/");
}
END_TEST


/* --- garbage -------------------------------------------------------------- */


static uint32_t  t_seed;

static uint32_t
t_rand(void)
{
    /* xorshift32: the same inputs on every run */
    t_seed ^= t_seed << 13;
    t_seed ^= t_seed >> 17;
    t_seed ^= t_seed << 5;

    return t_seed;
}


/* what holds for every URL mw_url_parse() accepts */

static void
t_check_parsed(void)
{
    size_t          i;
    long            n;
    unsigned char  *out;

    ck_assert_uint_ge(u.path.len, 1);
    ck_assert_int_eq(u.path.data[0], '/');

    if (u.path.len > 1) {
        t_in_input(u.path);
    }

    ck_assert((u.scheme.len == 0) == (u.host.len == 0));

    if (u.scheme.len) {
        t_in_input(u.scheme);
        t_in_input(u.host);
        ck_assert_ptr_eq(u.scheme.data, in);
    }

    if (u.query.len) {
        t_in_input(u.query);
    }

    for (i = 0; i < u.path.len; i++) {
        ck_assert(u.path.data[i] > 0x20 && u.path.data[i] != 0x7f
                  && u.path.data[i] != '?' && u.path.data[i] != '#');
    }

    for (i = 0; i < u.query.len; i++) {
        ck_assert(u.query.data[i] > 0x20 && u.query.data[i] != 0x7f
                  && u.query.data[i] != '#');
    }

    for (i = 0; i < u.host.len; i++) {
        ck_assert(u.host.data[i] > 0x20 && u.host.data[i] < 0x7f
                  && u.host.data[i] != '/' && u.host.data[i] != '@'
                  && u.host.data[i] != '\\');
    }

    /* an absolute URL is same-origin with itself */
    ck_assert(mw_url_same_origin(&u, u.scheme.data, u.scheme.len,
                                 u.host.data, u.host.len) == 1);

    /* the decoded path fits in path.len bytes */
    out = t_fill(u.path.len, 0);
    n = mw_url_decode_path(&u.path, out);
    ck_assert(n >= -1 && n <= (long) u.path.len);
}


START_TEST(test_garbage)
{
    static const char  alpha[] = "/:?#@[].%0aA9-_ \t\\\"|fF8e";
    static const char  *pre[] = { "", "/", "http://", "https://[", "a:",
                                  "http://u@", "http://h:" };
    size_t             i, k, len, npre, nok, extra;
    unsigned char      buf[40];

    t_seed = 2463534242u;
    npre = sizeof(pre) / sizeof(pre[0]);
    nok = 0;

    for (i = 0; i < 50000; i++) {
        k = t_rand() % npre;
        len = strlen(pre[k]);
        memcpy(buf, pre[k], len);

        extra = t_rand() % 24;

        while (extra--) {
            buf[len++] = (i & 7) == 0
                         ? (unsigned char) t_rand()
                         : (unsigned char) alpha[t_rand()
                                                 % (sizeof(alpha) - 1)];
        }

        memset(&u, 0x5a, sizeof(mw_url_t));

        if (t_parse(buf, len) == MW_OK) {
            nok++;
            t_check_parsed();
        }

        /* the copies are kept until the teardown: free them as we go */
        if (t_heap.n > 1024) {
            t_heap_teardown();
            t_heap_setup();
        }
    }

    /* the generator does reach both outcomes */
    ck_assert_uint_gt(nok, 500);
    ck_assert_uint_lt(nok, 50000);
}
END_TEST


/* --- mw_url_same_origin --------------------------------------------------- */


static int
t_so(const char *url, const char *scheme, const char *host)
{
    size_t  slen, hlen;

    ck_assert_msg(t_parse(url, strlen(url)) == MW_OK, "\"%s\"", url);

    slen = strlen(scheme);
    hlen = strlen(host);

    return mw_url_same_origin(&u, t_dup(scheme, slen), slen,
                              t_dup(host, hlen), hlen);
}

#define SAME(url, scheme, host)                                               \
    ck_assert_msg(t_so(url, scheme, host) == 1, "\"%s\" vs %s://%s",         \
                  url, scheme, host)

#define OTHER(url, scheme, host)                                              \
    ck_assert_msg(t_so(url, scheme, host) == 0, "\"%s\" vs %s://%s",         \
                  url, scheme, host)


START_TEST(test_same_origin_path)
{
    /* an absolute path is always same-origin */
    SAME("/", "http", "example.com");
    SAME("/a?b", "https", "example.com:8443");
    SAME("/a", "http", "");
    SAME("/a", "", "");
    SAME("/a", "ftp", "[::1]");

    /* even with NULL request strings */
    ck_assert_int_eq(mw_url_parse((unsigned char *) "/x", 2, &u), MW_OK);
    ck_assert_int_eq(mw_url_same_origin(&u, NULL, 0, NULL, 0), 1);
}
END_TEST


START_TEST(test_same_origin)
{
    SAME("http://example.com/", "http", "example.com");
    SAME("http://example.com", "http", "example.com");
    SAME("https://example.com/a?b#c", "https", "example.com");
    SAME("http://example.com:8080/", "http", "example.com:8080");
    SAME("http://user:pw@example.com/", "http", "example.com");

    /* case-insensitive scheme and host */
    SAME("HTTP://EXAMPLE.COM/", "http", "example.com");
    SAME("http://example.com/", "HTTP", "Example.Com");
    SAME("HtTpS://ExAmPlE.cOm/", "https", "EXAMPLE.COM:443");

    /* scheme */
    OTHER("https://example.com/", "http", "example.com");
    OTHER("http://example.com/", "https", "example.com");
    OTHER("ws://example.com/", "http", "example.com");
    OTHER("http://example.com/", "", "example.com");
    OTHER("httpx://example.com/", "http", "example.com");
    OTHER("http://example.com/", "htt", "example.com");

    /* host */
    OTHER("http://other.example/", "http", "example.com");
    OTHER("http://example.com.evil.example/", "http", "example.com");
    OTHER("http://evil.example/", "http", "evil.example.com");
    OTHER("http://example.co/", "http", "example.com");
    OTHER("http://example.comm/", "http", "example.com");
    OTHER("http://xexample.com/", "http", "example.com");
    OTHER("http://example.com/", "http", "");
    OTHER("http://example.com/", "http", ":80");
    OTHER("http://example.com@evil.example/", "http", "example.com");
    OTHER("http://example.com%2eevil.example/", "http", "example.com");

    /* the userinfo is not the host */
    SAME("http://evil.example@example.com/", "http", "example.com");
}
END_TEST


START_TEST(test_same_origin_ports)
{
    /* http: a missing (or empty) port is 80 on either side */
    SAME("http://example.com/", "http", "example.com:80");
    SAME("http://example.com:80/", "http", "example.com");
    SAME("http://example.com:80/", "http", "example.com:80");
    SAME("http://example.com:/", "http", "example.com");
    SAME("http://example.com/", "http", "example.com:");
    SAME("http://example.com:/", "http", "example.com:80");
    SAME("http://example.com:0080/", "http", "example.com");
    SAME("http://example.com/", "http", "example.com:080");

    OTHER("http://example.com:443/", "http", "example.com");
    OTHER("http://example.com/", "http", "example.com:443");
    OTHER("http://example.com:8080/", "http", "example.com");
    OTHER("http://example.com/", "http", "example.com:8080");
    OTHER("http://example.com:8080/", "http", "example.com:8081");
    OTHER("http://example.com:0/", "http", "example.com");
    OTHER("http://example.com:80/", "http", "example.com:8");
    OTHER("http://example.com:8/", "http", "example.com:80");

    /* https: 443 */
    SAME("https://example.com/", "https", "example.com:443");
    SAME("https://example.com:443/", "https", "example.com");
    SAME("HTTPS://example.com:443/", "https", "example.com");
    SAME("https://example.com:443/", "HTTPS", "example.com");
    SAME("https://example.com/", "https", "example.com:");

    OTHER("https://example.com:80/", "https", "example.com");
    OTHER("https://example.com/", "https", "example.com:80");
    OTHER("https://example.com:8443/", "https", "example.com");
    OTHER("http://example.com:443/", "https", "example.com");
    OTHER("https://example.com:80/", "http", "example.com");

    /* a request Host with a bad port matches nothing */
    OTHER("http://example.com/", "http", "example.com:abc");
    OTHER("http://example.com/", "http", "example.com:80x");
    OTHER("http://example.com/", "http", "example.com:-80");
    OTHER("http://example.com:80/", "http", "example.com:99999");
    OTHER("http://example.com/", "http", "example.com:80:80");

    /* an unknown scheme has no default port */
    SAME("ftp://example.com/", "ftp", "example.com");
    SAME("ftp://example.com:21/", "ftp", "example.com:21");
    OTHER("ftp://example.com:21/", "ftp", "example.com");
}
END_TEST


START_TEST(test_same_origin_ipv6)
{
    SAME("http://[::1]/", "http", "[::1]");
    SAME("http://[::1]/", "http", "[::1]:80");
    SAME("http://[::1]:80/", "http", "[::1]");
    SAME("http://[::1]:8080/", "http", "[::1]:8080");
    SAME("https://[::1]/", "https", "[::1]:443");
    SAME("http://[2001:db8::A]/", "http", "[2001:DB8::a]");

    OTHER("http://[::1]:8080/", "http", "[::1]");
    OTHER("http://[::1]/", "http", "[::1]:8080");
    OTHER("http://[::1]/", "http", "[::2]");
    OTHER("http://[::1]/", "http", "[::1");
    OTHER("http://[::1]/", "http", "::1");
    OTHER("http://[::1]/", "http", "[0:0:0:0:0:0:0:1]");
    OTHER("http://[::1]/", "http", "localhost");
    OTHER("http://[::1]/", "http", "[::1]x");
    OTHER("http://127.0.0.1/", "http", "[::ffff:127.0.0.1]");
}
END_TEST


/* a URL that mw_url_parse() would refuse is never same-origin */

START_TEST(test_same_origin_unparsed)
{
    mw_url_t  v;

    memset(&v, 0, sizeof(mw_url_t));

    v.scheme.data = (unsigned char *) "http";
    v.scheme.len = 4;

    /* bad ports on both sides are not equal */
    v.host.data = (unsigned char *) "h:x";
    v.host.len = 3;
    ck_assert_int_eq(mw_url_same_origin(&v, (unsigned char *) "http", 4,
                                        (unsigned char *) "h:y", 3), 0);

    /* no host name: not even a request without one */
    v.host.data = (unsigned char *) ":80";
    v.host.len = 3;
    ck_assert_int_eq(mw_url_same_origin(&v, (unsigned char *) "http", 4,
                                        (unsigned char *) ":80", 3), 0);
}
END_TEST


/* --- mw_url_decode_path --------------------------------------------------- */


#define L(lit)  lit, sizeof(lit) - 1


static long
t_decode(const void *p, size_t len, unsigned char **out)
{
    mw_str_t  path;

    path.data = t_dup(p, len);
    path.len = len;

    /* exactly path->len bytes: valgrind sees a write past them */
    *out = t_fill(len, 0x5a);

    return mw_url_decode_path(&path, *out);
}

#define DEC(lit, want)                                                        \
    do {                                                                      \
        unsigned char  *o_;                                                   \
        long            n_;                                                   \
        n_ = t_decode(L(lit), &o_);                                           \
        ck_assert_msg(n_ == (long) (sizeof(want) - 1),                       \
                      "\"%s\": %ld", lit, n_);                                \
        ck_assert_mem_eq(o_, want, sizeof(want) - 1);                         \
    } while (0)

#define DEC_ERROR(lit)                                                        \
    do {                                                                      \
        unsigned char  *o_;                                                   \
        ck_assert_msg(t_decode(L(lit), &o_) == -1, "\"%s\" decoded", lit);   \
    } while (0)

START_TEST(test_decode_path)
{
    DEC("", "");
    DEC("/", "/");
    DEC("/a/b", "/a/b");
    DEC("/a%20b", "/a b");
    DEC("%41%61%4a%4A%6f%6F", "AaJJoo");
    DEC("%2f%2F%2e%2E", "//..");
    DEC("%ff%FF%80%7f%01", "\xff\xff\x80\x7f\x01");
    DEC("%aB%Cd%eF", "\xab\xcd\xef");
    DEC("%0d%0a", "\r\n");

    /* decoded once */
    DEC("%25", "%");
    DEC("%2541", "%41");
    DEC("%25%25", "%%");

    /* anything else as is */
    DEC("/\xc3\xa9+ ?#", "/\xc3\xa9+ ?#");

    DEC_ERROR("%");
    DEC_ERROR("%4");
    DEC_ERROR("/a%");
    DEC_ERROR("/a%2");
    DEC_ERROR("%zz");
    DEC_ERROR("%4g");
    DEC_ERROR("%g4");
    DEC_ERROR("%G0");
    DEC_ERROR("% 41");
    DEC_ERROR("%%41");
    DEC_ERROR("%+1");
    DEC_ERROR("%-1");
    DEC_ERROR("/ok%41%4");

    /* no NUL in a path, decoded or raw */
    DEC_ERROR("%00");
    DEC_ERROR("/a%00b");
    DEC_ERROR("/a\0b");
    DEC_ERROR("\0");

    /* only path->len bytes */
    {
        mw_str_t       path;
        unsigned char  out[8];

        path.data = (unsigned char *) "/a%41";
        path.len = 3;
        ck_assert_int_eq(mw_url_decode_path(&path, out), -1);

        path.len = 2;
        ck_assert_int_eq(mw_url_decode_path(&path, out), 2);
        ck_assert_mem_eq(out, "/a", 2);
    }
}
END_TEST


/* parse, then decode, as the glue does */

START_TEST(test_parse_decode)
{
    unsigned char  *out;
    long            n;

    ck_assert_int_eq(U("http://h/a%2Fb%20c?x=%41"), MW_OK);

    out = t_fill(u.path.len, 0);
    n = mw_url_decode_path(&u.path, out);

    ck_assert_int_eq(n, 6);
    ck_assert_mem_eq(out, "/a/b c", 6);
    t_str_eq(u.query, "x=%41");

    ck_assert_int_eq(U("/a%00?x"), MW_OK);
    out = t_fill(u.path.len, 0);
    ck_assert_int_eq(mw_url_decode_path(&u.path, out), -1);
}
END_TEST


/* --- mw_url_request ------------------------------------------------------- */

/*
 * request.url / nextUrl's parts for "scheme://" host target, each expected
 * line written out; NULL: not taken (the runtime parses it itself)
 */

typedef struct {
    int          https;
    const char  *host;
    const char  *target;
    const char  *expect;
} t_request_url_t;


static const t_request_url_t  t_request_urls[] = {

    /* names, ports */
    { 0, "localhost", "/", "http://localhost/\nhttp:\nlocalhost\n\n" },
    { 1, "Example.COM", "/a/B", "https://example.com/a/B\nhttps:\n"
                                "example.com\n\na/B" },
    { 0, "127.0.0.1:8080", "/dashboard",
      "http://127.0.0.1:8080/dashboard\nhttp:\n127.0.0.1\n8080\ndashboard" },
    { 0, "h:80", "/", "http://h/\nhttp:\nh\n\n" },
    { 0, "h:080", "/", "http://h/\nhttp:\nh\n\n" },
    { 0, "h:443", "/", "http://h:443/\nhttp:\nh\n443\n" },
    { 1, "h:443", "/", "https://h/\nhttps:\nh\n\n" },
    { 1, "h:00081", "/", "https://h:81/\nhttps:\nh\n81\n" },
    { 0, "h:0", "/", "http://h:0/\nhttp:\nh\n0\n" },
    { 0, "h:65535", "/", "http://h:65535/\nhttp:\nh\n65535\n" },
    { 0, "a-b.c.", "/", "http://a-b.c./\nhttp:\na-b.c.\n\n" },
    { 0, "x.0a", "/", "http://x.0a/\nhttp:\nx.0a\n\n" },
    { 0, "x.0xg", "/", "http://x.0xg/\nhttp:\nx.0xg\n\n" },
    { 0, "1.2.3.4x", "/", "http://1.2.3.4x/\nhttp:\n1.2.3.4x\n\n" },
    { 0, "255.0.10.1", "/", "http://255.0.10.1/\nhttp:\n255.0.10.1\n\n" },
    { 0, "h:65536", "/", NULL },
    { 0, "h:123456", "/", NULL },
    { 0, "h:", "/", NULL },
    { 0, ":80", "/", NULL },
    { 0, "", "/", NULL },
    { 0, "h:8a", "/", NULL },
    { 0, "h:1:2", "/", NULL },
    { 0, "a,b", "/", NULL },
    { 0, "a b", "/", NULL },
    { 0, "a_b", "/", NULL },
    { 0, "[::1]", "/", NULL },
    { 0, "user@h", "/", NULL },
    { 0, "caf\xc3\xa9", "/", NULL },

    /* numbers WHATWG reads as IPv4, which the runtime normalizes */
    { 0, "1.2.3", "/", NULL },
    { 0, "010.0.0.1", "/", NULL },
    { 0, "256.0.0.1", "/", NULL },
    { 0, "0x7f.1", "/", NULL },
    { 0, "a.0X1f", "/", NULL },
    { 0, "a.0x", "/", NULL },
    { 0, "a.1.", "/", NULL },
    { 0, "1.2.3.4.", "/", NULL },
    { 0, "1.2.3.4.5", "/", NULL },
    { 0, "42", "/", NULL },

    /* paths */
    { 0, "h", "/a/b/", "http://h/a/b/\nhttp:\nh\n\na/b/" },
    { 0, "h", "//a", "http://h//a\nhttp:\nh\n\n/a" },
    { 0, "h", "/a%2Fb/%7E~!$&'()*+,;=:@[]^_|",
      "http://h/a%2Fb/%7E~!$&'()*+,;=:@[]^_|\nhttp:\nh\n\n"
      "a%2Fb/%7E~!$&'()*+,;=:@[]^_|" },
    { 0, "h", "/a.b/c..", "http://h/a.b/c..\nhttp:\nh\n\na.b/c.." },
    { 0, "h", "/%2f%2d", "http://h/%2f%2d\nhttp:\nh\n\n%2f%2d" },
    { 0, "h", "/./a", NULL },
    { 0, "h", "/a/..", NULL },
    { 0, "h", "/a/.b", NULL },
    { 0, "h", "/a/%2e", NULL },
    { 0, "h", "/%2E%2E/a", NULL },
    { 0, "h", "/a b", NULL },
    { 0, "h", "/a\"b", NULL },
    { 0, "h", "/a#b", NULL },
    { 0, "h", "/a<b", NULL },
    { 0, "h", "/a`b", NULL },
    { 0, "h", "/a{b}", NULL },
    { 0, "h", "/a\\b", NULL },
    { 0, "h", "/a\x7f", NULL },
    { 0, "h", "/a\x01", NULL },
    { 0, "h", "/caf\xc3\xa9", NULL },
    { 0, "h", "*", NULL },
    { 0, "h", "http://h/", NULL },
    { 0, "h", "", NULL },

    /* queries URLSearchParams writes back as they are */
    { 0, "h", "/a?x=1&y=", "http://h/a?x=1&y=\nhttp:\nh\n\na\nx=1&y=" },
    { 0, "h", "/?=", "http://h/?=\nhttp:\nh\n\n\n=" },
    { 0, "h", "/?q=a+b&r=%2F%3D%26%2B%00%7F",
      "http://h/?q=a+b&r=%2F%3D%26%2B%00%7F\nhttp:\nh\n\n\n"
      "q=a+b&r=%2F%3D%26%2B%00%7F" },
    { 0, "h", "/?a*-._=Z9", "http://h/?a*-._=Z9\nhttp:\nh\n\n\na*-._=Z9" },
    { 0, "h", "/a?", "http://h/a\nhttp:\nh\n\na" },

    /* and those it changes: the last line empty */
    { 0, "h", "/?x", "http://h/?x\nhttp:\nh\n\n\nx\n" },
    { 0, "h", "/?x=1&&y=2", "http://h/?x=1&&y=2\nhttp:\nh\n\n\nx=1&&y=2\n" },
    { 0, "h", "/?&x=1", "http://h/?&x=1\nhttp:\nh\n\n\n&x=1\n" },
    { 0, "h", "/?x=1&", "http://h/?x=1&\nhttp:\nh\n\n\nx=1&\n" },
    { 0, "h", "/?x=a=b", "http://h/?x=a=b\nhttp:\nh\n\n\nx=a=b\n" },
    { 0, "h", "/?r=/a", "http://h/?r=/a\nhttp:\nh\n\n\nr=/a\n" },
    { 0, "h", "/?r=%2f", "http://h/?r=%2f\nhttp:\nh\n\n\nr=%2f\n" },
    { 0, "h", "/?r=%41", "http://h/?r=%41\nhttp:\nh\n\n\nr=%41\n" },
    { 0, "h", "/?r=%20", "http://h/?r=%20\nhttp:\nh\n\n\nr=%20\n" },
    { 0, "h", "/?r=%C3%A9", "http://h/?r=%C3%A9\nhttp:\nh\n\n\nr=%C3%A9\n" },
    { 0, "h", "/?r=%2", "http://h/?r=%2\nhttp:\nh\n\n\nr=%2\n" },
    { 0, "h", "/?r=%G0", "http://h/?r=%G0\nhttp:\nh\n\n\nr=%G0\n" },
    { 0, "h", "/?a?b=c", "http://h/?a?b=c\nhttp:\nh\n\n\na?b=c\n" },
    { 0, "h", "/?x=~", "http://h/?x=~\nhttp:\nh\n\n\nx=~\n" },

    /* and bytes the fast path leaves to the parser */
    { 0, "h", "/?x=a b", NULL },
    { 0, "h", "/?x='", NULL },
    { 0, "h", "/?x=\"", NULL },
    { 0, "h", "/?x=#", NULL },
    { 0, "h", "/?x=<>", NULL },
    { 0, "h", "/?x=\x7f", NULL },
    { 0, "h", "/?x=\xc3\xa9", NULL },
};


START_TEST(test_request_url)
{
    size_t                  n, len;
    mw_str_t                host, target;
    unsigned char          *out;
    const t_request_url_t  *t;

    t = &t_request_urls[_i];

    host.len = strlen(t->host);
    host.data = t_dup(t->host, host.len);
    target.len = strlen(t->target);
    target.data = t_dup(t->target, target.len);

    /* exactly the room promised, so that valgrind sees a write past it */
    len = MW_URL_REQUEST_LEN(host.len, target.len);
    out = t_fill(len, 0x5a);

    n = mw_url_request(t->https, &host, &target, out);

    if (t->expect == NULL) {
        ck_assert_msg(n == 0, "\"%s\" \"%s\" taken: \"%.*s\"", t->host,
                      t->target, (int) n, out);
        return;
    }

    ck_assert_msg(n == strlen(t->expect)
                  && memcmp(out, t->expect, n) == 0,
                  "\"%s\" \"%s\": \"%.*s\", not \"%s\"", t->host, t->target,
                  (int) n, out, t->expect);
    ck_assert_uint_le(n, len);
}
END_TEST


/* the longest output for its input: a host with a port, a query to keep */

START_TEST(test_request_url_room)
{
    size_t          n, i;
    mw_str_t        host, target;
    unsigned char  *out, buf[300];

    memcpy(buf, "/", 1);

    for (i = 1; i < sizeof(buf) - 2; i++) {
        buf[i] = 'a';
    }

    buf[sizeof(buf) - 3] = '?';
    buf[sizeof(buf) - 2] = 'x';
    buf[sizeof(buf) - 1] = '=';

    target.len = sizeof(buf);
    target.data = t_dup(buf, target.len);
    host.len = sizeof("a.b:65535") - 1;
    host.data = t_dup("a.b:65535", host.len);

    out = t_fill(MW_URL_REQUEST_LEN(host.len, target.len), 0);
    n = mw_url_request(1, &host, &target, out);

    ck_assert_uint_gt(n, 2 * target.len);
    ck_assert_uint_le(n, MW_URL_REQUEST_LEN(host.len, target.len));
}
END_TEST


static Suite *
url_suite(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("mw_url");

    tc = tcase_create("parse");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_path_only);
    tcase_add_test(tc, test_relative);
    tcase_add_test(tc, test_path_ctl);
    tcase_add_test(tc, test_len);
    tcase_add_test(tc, test_absolute);
    tcase_add_test(tc, test_userinfo);
    tcase_add_test(tc, test_bad_scheme);
    tcase_add_test(tc, test_bad_host);
    tcase_add_test(tc, test_ipv6);
    suite_add_tcase(s, tc);

    tc = tcase_create("garbage");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_garbage);
    suite_add_tcase(s, tc);

    tc = tcase_create("same_origin");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_same_origin_path);
    tcase_add_test(tc, test_same_origin);
    tcase_add_test(tc, test_same_origin_ports);
    tcase_add_test(tc, test_same_origin_ipv6);
    tcase_add_test(tc, test_same_origin_unparsed);
    suite_add_tcase(s, tc);

    tc = tcase_create("decode_path");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_decode_path);
    tcase_add_test(tc, test_parse_decode);
    suite_add_tcase(s, tc);

    tc = tcase_create("request");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_request_url, 0,
                        sizeof(t_request_urls) / sizeof(t_request_urls[0]));
    tcase_add_test(tc, test_request_url_room);
    suite_add_tcase(s, tc);

    return s;
}


int
main(void)
{
    return t_run(url_suite());
}
