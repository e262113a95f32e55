
/*
 * Copyright (C) ngx_http_middleware_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_middleware_common.h"


/*
 * config.matcher, evaluated by nginx.
 *
 * Next.js decides whether middleware runs before it invokes it; here a
 * request that does not match must not pay for a detached request either.
 * The runtime stays the one place that knows matcher semantics: it compiles
 * config.matcher (path-to-regexp, has/missing) into regular expressions and
 * reports them on the first detached request of each worker by writing
 * $middleware_matcher (format in docs/PROTOCOL.md, "The matcher report").
 * The module compiles them with nginx's regex engine, keeps them per named
 * location for the life of the worker, and from then on only starts the
 * middleware for requests that match.  Those requests see
 * $middleware_matched = "1" on F, and the runtime does not check again.
 */


#if (NGX_PCRE)

typedef enum {
    NGX_HTTP_MIDDLEWARE_COND_HEADER = 0,
    NGX_HTTP_MIDDLEWARE_COND_COOKIE,
    NGX_HTTP_MIDDLEWARE_COND_QUERY,
    NGX_HTTP_MIDDLEWARE_COND_HOST
} ngx_http_middleware_cond_type_e;


typedef struct {
    ngx_uint_t                      missing;       /* has: 0, missing: 1 */
    ngx_http_middleware_cond_type_e type;
    ngx_str_t                       key;           /* lower case: header */
    ngx_regex_t                    *value;         /* NULL: present */
} ngx_http_middleware_cond_t;


typedef struct {
    ngx_regex_t                    *path;
    ngx_array_t                     conds;         /* of ..._cond_t */
} ngx_http_middleware_rule_t;


struct ngx_http_middleware_matcher_s {
    ngx_uint_t                      all;           /* no config.matcher */
    ngx_array_t                     rules;         /* of ..._rule_t */
};


static void ngx_http_middleware_matcher_cleanup(void *data);
static ngx_int_t ngx_http_middleware_matcher_parse(ngx_pool_t *pool,
    ngx_log_t *log, u_char *p, u_char *last,
    ngx_http_middleware_matcher_t *m);
static ngx_int_t ngx_http_middleware_matcher_regex(ngx_pool_t *pool,
    ngx_log_t *log, ngx_str_t *flags, ngx_str_t *source, ngx_regex_t **re);
#if (NGX_PCRE2)
static void ngx_http_middleware_regex_cleanup(void *data);
#endif
static ngx_int_t ngx_http_middleware_matcher_token(u_char **pp, u_char *last,
    u_char stop, ngx_pool_t *pool, ngx_str_t *token);
static ngx_int_t ngx_http_middleware_rule_match(ngx_http_request_t *r,
    ngx_http_middleware_rule_t *rule, ngx_str_t *raw);
static ngx_int_t ngx_http_middleware_cond_value(ngx_http_request_t *r,
    ngx_http_middleware_cond_t *cond, ngx_str_t *value);
static ngx_uint_t ngx_http_middleware_header_is(ngx_table_elt_t *h,
    ngx_str_t *name);
static ngx_int_t ngx_http_middleware_query_decode(ngx_pool_t *pool,
    u_char *start, u_char *end, ngx_str_t *out);


/* the set handler of $middleware_matcher, on F */

void
ngx_http_middleware_matcher_report(ngx_http_request_t *r, u_char *data,
    size_t len)
{
    ngx_pool_t                      *pool;
    ngx_pool_cleanup_t              *cln;
    ngx_http_middleware_loc_conf_t  *nlcf;
    ngx_http_middleware_matcher_t   *m;

    /* F runs in the named location: its conf holds the worker's cache */

    nlcf = ngx_http_get_module_loc_conf(r, ngx_http_middleware_module);

    if (nlcf->matcher) {
        return;
    }

    /* lives as long as the worker's cycle, compiled once per worker */

    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        return;
    }

    m = ngx_pcalloc(pool, sizeof(ngx_http_middleware_matcher_t));
    if (m == NULL) {
        ngx_destroy_pool(pool);
        return;
    }

    if (ngx_http_middleware_matcher_parse(pool, r->connection->log, data,
                                          data + len, m)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "middleware: matcher report not usable, the "
                      "middleware runs for every request and matches "
                      "in njs");
        ngx_destroy_pool(pool);
        return;
    }

    cln = ngx_pool_cleanup_add(ngx_cycle->pool, 0);
    if (cln == NULL) {
        ngx_destroy_pool(pool);
        return;
    }

    cln->handler = ngx_http_middleware_matcher_cleanup;
    cln->data = pool;

    nlcf->matcher = m;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "middleware: config.matcher cached by this worker: %s",
                  m->all ? "every request" : "compiled rules");
}


static void
ngx_http_middleware_matcher_cleanup(void *data)
{
    ngx_destroy_pool(data);
}


/*
 * "MATCH1" SP "all" LF                  no config.matcher
 * "MATCH1" LF *( rule LF )
 * rule = "path" SP flags SP regex *( TAB cond )
 * cond = ("has" / "missing") SP type SP key SP flags SP regex
 *      / ("has" / "missing") SP type SP key
 * flags = "i" / "-"; type = header / cookie / query / host
 * every key and regex is escaped: % SP TAB LF as %25 %20 %09 %0A
 */

static ngx_int_t
ngx_http_middleware_matcher_parse(ngx_pool_t *pool, ngx_log_t *log,
    u_char *p, u_char *last, ngx_http_middleware_matcher_t *m)
{
    ngx_str_t                    word, flags, source, key;
    ngx_http_middleware_rule_t  *rule;
    ngx_http_middleware_cond_t  *cond;

    if (last - p >= 11 && ngx_strncmp(p, "MATCH1 all\n", 11) == 0) {
        m->all = 1;
        return NGX_OK;
    }

    if (last - p < 7 || ngx_strncmp(p, "MATCH1\n", 7) != 0) {
        return NGX_ERROR;
    }

    p += 7;

    if (ngx_array_init(&m->rules, pool, 4,
                       sizeof(ngx_http_middleware_rule_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    while (p < last) {

        rule = ngx_array_push(&m->rules);
        if (rule == NULL) {
            return NGX_ERROR;
        }

        if (ngx_array_init(&rule->conds, pool, 1,
                           sizeof(ngx_http_middleware_cond_t))
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (ngx_http_middleware_matcher_token(&p, last, ' ', pool, &word)
            != NGX_OK
            || word.len != 4 || ngx_strncmp(word.data, "path", 4) != 0
            || ngx_http_middleware_matcher_token(&p, last, ' ', pool, &flags)
               != NGX_OK
            || ngx_http_middleware_matcher_token(&p, last, '\t', pool,
                                                 &source)
               != NGX_OK
            || ngx_http_middleware_matcher_regex(pool, log, &flags, &source,
                                                 &rule->path)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        while (p < last && p[-1] == '\t') {

            cond = ngx_array_push(&rule->conds);
            if (cond == NULL) {
                return NGX_ERROR;
            }

            ngx_memzero(cond, sizeof(ngx_http_middleware_cond_t));

            if (ngx_http_middleware_matcher_token(&p, last, ' ', pool, &word)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            if (word.len == 3 && ngx_strncmp(word.data, "has", 3) == 0) {
                cond->missing = 0;

            } else if (word.len == 7
                       && ngx_strncmp(word.data, "missing", 7) == 0)
            {
                cond->missing = 1;

            } else {
                return NGX_ERROR;
            }

            if (ngx_http_middleware_matcher_token(&p, last, ' ', pool, &word)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            if (word.len == 6 && ngx_strncmp(word.data, "header", 6) == 0) {
                cond->type = NGX_HTTP_MIDDLEWARE_COND_HEADER;

            } else if (word.len == 6
                       && ngx_strncmp(word.data, "cookie", 6) == 0)
            {
                cond->type = NGX_HTTP_MIDDLEWARE_COND_COOKIE;

            } else if (word.len == 5
                       && ngx_strncmp(word.data, "query", 5) == 0)
            {
                cond->type = NGX_HTTP_MIDDLEWARE_COND_QUERY;

            } else if (word.len == 4
                       && ngx_strncmp(word.data, "host", 4) == 0)
            {
                cond->type = NGX_HTTP_MIDDLEWARE_COND_HOST;

            } else {
                return NGX_ERROR;
            }

            if (ngx_http_middleware_matcher_token(&p, last, ' ', pool, &key)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            if (cond->type == NGX_HTTP_MIDDLEWARE_COND_HEADER) {
                ngx_strlow(key.data, key.data, key.len);
            }

            cond->key = key;

            if (p[-1] != ' ') {
                continue;           /* no value: presence */
            }

            if (ngx_http_middleware_matcher_token(&p, last, ' ', pool, &flags)
                != NGX_OK
                || ngx_http_middleware_matcher_token(&p, last, '\t', pool,
                                                     &source)
                   != NGX_OK
                || ngx_http_middleware_matcher_regex(pool, log, &flags,
                                                     &source, &cond->value)
                   != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}


/*
 * the next token up to stop, or to TAB / LF / end, decoded; *pp is left
 * after the separator, so (*pp)[-1] tells which one it was
 */

static ngx_int_t
ngx_http_middleware_matcher_token(u_char **pp, u_char *last, u_char stop,
    ngx_pool_t *pool, ngx_str_t *token)
{
    u_char  *p, *start, *d, c, h, l;

    start = *pp;

    for (p = start; p < last; p++) {
        if (*p == stop || *p == '\t' || *p == '\n') {
            break;
        }
    }

    token->data = ngx_pnalloc(pool, (p - start) + 1);
    if (token->data == NULL) {
        return NGX_ERROR;
    }

    d = token->data;

    for (*pp = start; *pp < p; (*pp)++) {
        c = **pp;

        if (c == '%') {
            if (p - *pp < 3) {
                return NGX_ERROR;
            }

            h = ngx_tolower((*pp)[1]);
            l = ngx_tolower((*pp)[2]);

            h = (h >= 'a') ? h - 'a' + 10 : h - '0';
            l = (l >= 'a') ? l - 'a' + 10 : l - '0';

            if (h > 15 || l > 15) {
                return NGX_ERROR;
            }

            c = (u_char) (h << 4 | l);
            *pp += 2;
        }

        *d++ = c;
    }

    *d = '\0';
    token->len = d - token->data;

    if (p == last) {
        /* a report always ends with LF */
        return NGX_ERROR;
    }

    *pp = p + 1;

    return NGX_OK;
}


/*
 * With PCRE2 the matcher compiles with PCRE2 itself and frees its code with
 * the matcher's pool: ngx_regex_compile() at run time would make nginx's
 * per-process compile context in the worker, which nginx 1.22 never frees
 * (72 bytes per worker under ASan).  ngx_regex_t is pcre2_code there, so
 * ngx_regex_exec() matches as usual.
 */

static ngx_int_t
ngx_http_middleware_matcher_regex(ngx_pool_t *pool, ngx_log_t *log,
    ngx_str_t *flags, ngx_str_t *source, ngx_regex_t **re)
{
#if (NGX_PCRE2)
    int                  errcode;
    u_char               errstr[128];
    uint32_t             options;
    PCRE2_SIZE           erroff;
    pcre2_code          *code;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    options = (flags->len == 1 && flags->data[0] == 'i') ? PCRE2_CASELESS
                                                          : 0;

    code = pcre2_compile(source->data, source->len, options, &errcode,
                         &erroff, NULL);

    if (code == NULL) {
        (void) pcre2_get_error_message(errcode, errstr, sizeof(errstr));
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "middleware: matcher regex \"%V\": %s at %uz",
                      source, errstr, (size_t) erroff);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_middleware_regex_cleanup;
    cln->data = code;

    *re = code;

    return NGX_OK;

#else
    u_char               errstr[NGX_MAX_CONF_ERRSTR];
    ngx_regex_compile_t  rc;

    ngx_memzero(&rc, sizeof(ngx_regex_compile_t));

    rc.pattern = *source;
    rc.pool = pool;
    rc.err.len = NGX_MAX_CONF_ERRSTR;
    rc.err.data = errstr;

    if (flags->len == 1 && flags->data[0] == 'i') {
        rc.options = NGX_REGEX_CASELESS;
    }

    if (ngx_regex_compile(&rc) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "middleware: matcher regex \"%V\": %V",
                      source, &rc.err);
        return NGX_ERROR;
    }

    *re = rc.regex;

    return NGX_OK;
#endif
}


#if (NGX_PCRE2)

static void
ngx_http_middleware_regex_cleanup(void *data)
{
    pcre2_code_free(data);
}

#endif


/*
 * 1: run the middleware for r, 0: skip it, NGX_DECLINED: nothing cached
 * yet (run it, the runtime matches and reports)
 */

ngx_int_t
ngx_http_middleware_matcher_match(ngx_http_request_t *r,
    ngx_http_middleware_loc_conf_t *nlcf)
{
    u_char                         *q;
    ngx_str_t                       raw;
    ngx_uint_t                      i;
    ngx_http_middleware_rule_t     *rule;
    ngx_http_middleware_matcher_t  *m;

    m = nlcf->matcher;

    if (m == NULL) {
        return NGX_DECLINED;
    }

    if (m->all) {
        return 1;
    }

    /* the path as the runtime sees it: the request target up to "?" */

    raw = r->unparsed_uri;
    q = ngx_strlchr(raw.data, raw.data + raw.len, '?');

    if (q) {
        raw.len = q - raw.data;
    }

    rule = m->rules.elts;

    for (i = 0; i < m->rules.nelts; i++) {
        if (ngx_http_middleware_rule_match(r, &rule[i], &raw)) {
            return 1;
        }
    }

    return 0;
}


/*
 * The path matches if the raw request path or nginx's normalized URI does:
 * the second closes "/%64ashboard" and "/a/../dashboard" around a matcher
 * for "/dashboard", which nginx's locations and the upstream would treat as
 * "/dashboard".
 */

static ngx_int_t
ngx_http_middleware_rule_match(ngx_http_request_t *r,
    ngx_http_middleware_rule_t *rule, ngx_str_t *raw)
{
    ngx_int_t                    rc;
    ngx_str_t                    value;
    ngx_uint_t                   i, found;
    ngx_http_middleware_cond_t  *cond;

    if (ngx_regex_exec(rule->path, raw, NULL, 0) < 0
        && ngx_regex_exec(rule->path, &r->uri, NULL, 0) < 0)
    {
        return 0;
    }

    cond = rule->conds.elts;

    for (i = 0; i < rule->conds.nelts; i++) {

        rc = ngx_http_middleware_cond_value(r, &cond[i], &value);

        if (rc == NGX_ERROR) {
            return 1;               /* when in doubt, run the middleware */
        }

        found = (rc == NGX_OK);

        if (found && cond[i].value) {
            found = ngx_regex_exec(cond[i].value, &value, NULL, 0) >= 0;

        } else if (found) {
            /* as Next.js: without a value, an empty one does not count */
            found = (value.len > 0);
        }

        if (found == cond[i].missing) {
            return 0;
        }
    }

    return 1;
}


static ngx_int_t
ngx_http_middleware_cond_value(ngx_http_request_t *r,
    ngx_http_middleware_cond_t *cond, ngx_str_t *value)
{
    u_char           *p, *last, *start, *end, *eq;
    size_t            len;
    ngx_str_t         name;
    ngx_uint_t        i, n, found;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    switch (cond->type) {

    case NGX_HTTP_MIDDLEWARE_COND_HEADER:

        /* repeated lines are joined with ", ", as Node.js does for Next.js */

        n = 0;
        len = 0;

        for (part = &r->headers_in.headers.part; part; part = part->next) {
            h = part->elts;

            for (i = 0; i < part->nelts; i++) {
                if (ngx_http_middleware_header_is(&h[i], &cond->key)) {
                    if (n++ == 0) {
                        *value = h[i].value;
                    }

                    len += h[i].value.len + 2;
                }
            }
        }

        if (n < 2) {
            return n ? NGX_OK : NGX_DECLINED;
        }

        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        value->data = p;

        for (part = &r->headers_in.headers.part; part; part = part->next) {
            h = part->elts;

            for (i = 0; i < part->nelts; i++) {
                if (ngx_http_middleware_header_is(&h[i], &cond->key)) {
                    if (p != value->data) {
                        *p++ = ',';
                        *p++ = ' ';
                    }

                    p = ngx_cpymem(p, h[i].value.data, h[i].value.len);
                }
            }
        }

        value->len = p - value->data;

        return NGX_OK;

    case NGX_HTTP_MIDDLEWARE_COND_COOKIE:

#if defined(nginx_version) && nginx_version >= 1023000
        if (r->headers_in.cookie == NULL) {
            return NGX_DECLINED;
        }

        return ngx_http_parse_multi_header_lines(r, r->headers_in.cookie,
                                                 &cond->key, value)
               ? NGX_OK : NGX_DECLINED;
#else
        return ngx_http_parse_multi_header_lines(&r->headers_in.cookies,
                                                 &cond->key, value)
               == NGX_DECLINED ? NGX_DECLINED : NGX_OK;
#endif

    case NGX_HTTP_MIDDLEWARE_COND_QUERY:

        /*
         * the last value of the key, keys and values decoded ("+" is a
         * space), compared case-sensitively: as Next.js's query object
         */

        found = 0;
        p = r->args.data;
        last = r->args.data + r->args.len;

        while (p < last) {
            start = p;

            while (p < last && *p != '&') {
                p++;
            }

            end = p++;
            eq = ngx_strlchr(start, end, '=');

            if (ngx_http_middleware_query_decode(r->pool, start,
                                                 eq ? eq : end, &name)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            if (name.len != cond->key.len
                || ngx_strncmp(name.data, cond->key.data, name.len) != 0)
            {
                continue;
            }

            if (ngx_http_middleware_query_decode(r->pool,
                                                 eq ? eq + 1 : end, end,
                                                 value)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            found = 1;
        }

        return found ? NGX_OK : NGX_DECLINED;

    default: /* NGX_HTTP_MIDDLEWARE_COND_HOST */

        *value = r->headers_in.server;
        return value->len ? NGX_OK : NGX_DECLINED;
    }
}



static ngx_uint_t
ngx_http_middleware_header_is(ngx_table_elt_t *h, ngx_str_t *name)
{
    return h->hash
           && h->key.len == name->len
           && ngx_strncasecmp(h->key.data, name->data, name->len) == 0;
}


/* a query key or value: "+" is a space, then percent-decoded */

static ngx_int_t
ngx_http_middleware_query_decode(ngx_pool_t *pool, u_char *start,
    u_char *end, ngx_str_t *out)
{
    u_char  *p, *d, *src;

    p = ngx_pnalloc(pool, (end - start) + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    for (d = p, src = start; src < end; src++) {
        *d++ = (*src == '+') ? ' ' : *src;
    }

    src = p;
    d = p;
    ngx_unescape_uri(&d, &src, end - start, NGX_UNESCAPE_URI);

    out->data = p;
    out->len = d - p;

    return NGX_OK;
}

#endif
