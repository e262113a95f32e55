
/*
 * Copyright (C) ngx_http_middleware_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <mw_header.h>
#include <mw_url.h>

#include "ngx_http_middleware_common.h"


/*
 * Variables for the runtime on F ($middleware_scheme, $middleware_request_id,
 * the writable $middleware_report) and for log_format on R
 * ($middleware_action, $middleware_time).
 */


static ngx_int_t ngx_http_middleware_scheme_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_middleware_request_id_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_middleware_report_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static void ngx_http_middleware_set_report_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_middleware_action_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_middleware_time_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static void ngx_http_middleware_set_matcher_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_middleware_empty_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_middleware_flag_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_middleware_tasks_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_middleware_tasks_max_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_middleware_headers_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_middleware_url_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_middleware_cookie_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_middleware_header_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_int_t ngx_http_middleware_value(ngx_http_variable_value_t *v,
    u_char *data, size_t len);


static ngx_http_variable_t  ngx_http_middleware_vars[] = {

    { ngx_string("middleware_scheme"), NULL,
      ngx_http_middleware_scheme_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("middleware_request_id"), NULL,
      ngx_http_middleware_request_id_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("middleware_report"),
      ngx_http_middleware_set_report_variable,
      ngx_http_middleware_report_variable, 0,
      NGX_HTTP_VAR_CHANGEABLE|NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("middleware_matcher"),
      ngx_http_middleware_set_matcher_variable,
      ngx_http_middleware_empty_variable, 0,
      NGX_HTTP_VAR_CHANGEABLE|NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("middleware_matched"), NULL,
      ngx_http_middleware_flag_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("middleware_body"), NULL,
      ngx_http_middleware_flag_variable, 1,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("middleware_headers"), NULL,
      ngx_http_middleware_headers_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("middleware_cookie"), NULL,
      ngx_http_middleware_cookie_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("middleware_header_"), NULL,
      ngx_http_middleware_header_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_PREFIX, 0 },

    { ngx_string("middleware_url"), NULL,
      ngx_http_middleware_url_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("middleware_tasks_max"), NULL,
      ngx_http_middleware_tasks_max_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("middleware_action"), NULL,
      ngx_http_middleware_action_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("middleware_tasks"), NULL,
      ngx_http_middleware_tasks_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("middleware_time"), NULL,
      ngx_http_middleware_time_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_middleware_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_middleware_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->set_handler = v->set_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/* the scheme of the client connection, also on F (whose $scheme is http) */

static ngx_int_t
ngx_http_middleware_scheme_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_uint_t                   https;
    ngx_http_middleware_fake_t  *fake;

    fake = ngx_http_middleware_fake(r);

    if (fake) {
        https = fake->https;

    } else {
#if (NGX_HTTP_SSL)
        https = r->connection->ssl ? 1 : 0;
#else
        https = 0;
#endif
    }

    if (https) {
        return ngx_http_middleware_value(v, (u_char *) "https", 5);
    }

    return ngx_http_middleware_value(v, (u_char *) "http", 4);
}


/* R's $request_id, on F and on R */

static ngx_int_t
ngx_http_middleware_request_id_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                        *id;
    ngx_http_variable_value_t        *rv;
    ngx_http_middleware_fake_t       *fake;
    ngx_http_middleware_main_conf_t  *mmcf;

    fake = ngx_http_middleware_fake(r);

    if (fake) {
        id = ngx_http_middleware_request_id(fake);

        return ngx_http_middleware_value(v, id->data, id->len);
    }

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_middleware_module);

    rv = ngx_http_get_indexed_variable(r, mmcf->request_id_index);

    if (rv == NULL || rv->not_found) {
        v->not_found = 1;
        return NGX_OK;
    }

    *v = *rv;

    return NGX_OK;
}


static ngx_int_t
ngx_http_middleware_report_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                      *p;
    size_t                       len;
    ngx_http_middleware_fake_t  *fake;

    fake = ngx_http_middleware_fake(r);

    if (fake == NULL || !fake->reported) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, 3 * NGX_INT_T_LEN
                             + sizeof("tasks= fulfilled= rejected="));
    if (p == NULL) {
        return NGX_ERROR;
    }

    len = ngx_sprintf(p, "tasks=%ui fulfilled=%ui rejected=%ui", fake->tasks,
                      fake->fulfilled, fake->rejected)
          - p;

    return ngx_http_middleware_value(v, p, len);
}


/*
 * the runtime reports its waitUntil tasks on F, as space separated
 * key=number pairs: "tasks=N" when it sends the decision, and
 * "tasks=N fulfilled=F rejected=R" when all of them have settled
 */

static void
ngx_http_middleware_set_report_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                      *p, *last, *key, *eq, *end;
    ngx_int_t                    n;
    ngx_http_middleware_fake_t  *fake;

    fake = ngx_http_middleware_fake(r);

    if (fake == NULL) {
        return;
    }

    p = v->data;
    last = v->data + v->len;

    while (p < last) {

        while (p < last && *p == ' ') {
            p++;
        }

        key = p;

        while (p < last && *p != ' ') {
            p++;
        }

        end = p;

        if (key == end) {
            break;
        }

        eq = ngx_strlchr(key, end, '=');

        n = eq ? ngx_atoi(eq + 1, end - eq - 1) : NGX_ERROR;

        if (n == NGX_ERROR) {
            goto invalid;
        }

        if (eq - key == 5 && ngx_strncmp(key, "tasks", 5) == 0) {
            fake->tasks = n;

        } else if (eq - key == 9 && ngx_strncmp(key, "fulfilled", 9) == 0) {
            fake->fulfilled = n;
            fake->reported = 1;

        } else if (eq - key == 8 && ngx_strncmp(key, "rejected", 8) == 0) {
            fake->rejected = n;
            fake->reported = 1;

        } else if (eq - key == 7 && ngx_strncmp(key, "refused", 7) == 0) {
            fake->refused = n;
        }
    }

    return;

invalid:

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "middleware: invalid report \"%*s\"",
                  (size_t) ngx_min(v->len, 64), v->data);
}


/*
 * On F, its header lines (R's) for the runtime when every one is plain:
 * their lower-case names first, each after a ',' and the last followed by
 * ",\n" (a token has no ',': the runtime finds whether the client sent a
 * name there without reading the values, a long Cookie line among them),
 * then "Name\nname\nvalue\n" each (mw_header_plain_line()), in order.  Not
 * found when a line is not plain or there are several Cookie lines: the
 * runtime then checks r.rawHeadersIn line by line.  Checking the bytes
 * here costs a few instructions per byte; the runtime's one regexp over
 * the lines costs ~150 on QuickJS, which a large Cookie header makes the
 * dearest part of a request.
 */

static ngx_int_t
ngx_http_middleware_headers_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char           *p, *start, *names;
    size_t            len, nlen, n, k;
    ngx_uint_t        i, cookies;
    mw_header_t       mh;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    if (ngx_http_middleware_fake(r) == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    len = 0;
    nlen = 0;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        /* a removed line, as r.rawHeadersIn leaves it out */
        if (h[i].hash == 0) {
            continue;
        }

        len += 2 * h[i].key.len + h[i].value.len + 3;
        nlen += h[i].key.len + 1;
    }

    start = ngx_pnalloc(r->pool, 2 + nlen + len);
    if (start == NULL) {
        return NGX_ERROR;
    }

    /* the names from start, the lines after them (p) */

    names = start;
    *names++ = ',';

    p = start + 1 + nlen;
    *p++ = '\n';
    cookies = 0;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash == 0) {
            continue;
        }

        if (mw_header_name_is(h[i].key.data, h[i].key.len, "cookie")
            && ++cookies > 1)
        {
            /* the runtime joins several Cookie lines into one */
            v->not_found = 1;
            return NGX_OK;
        }

        mh.name.data = h[i].key.data;
        mh.name.len = h[i].key.len;
        mh.value.data = h[i].value.data;
        mh.value.len = h[i].value.len;

        n = mw_header_plain_line(&mh, p);

        if (n == 0) {
            v->not_found = 1;
            return NGX_OK;
        }

        /* the lower-case name, as the line has it second */

        for (k = 0; k < h[i].key.len; k++) {
            *names++ = ngx_tolower(h[i].key.data[k]);
        }

        *names++ = ',';
        p += n;
    }

    return ngx_http_middleware_value(v, start, p - start);
}


/*
 * On F, R's URL as the runtime's request.url and nextUrl hold it, in its
 * parts (mw_url_request()), when its scheme, Host line and request target
 * are plain; not found otherwise: the runtime then parses
 * "scheme://host" + target itself.  Checking the bytes here costs a few
 * instructions per byte; the runtime's parse costs ~30 k on njs 0.7.9
 * (two regexp tests, the path's split), and reading the Host line there
 * means making request.headers.
 */

static ngx_int_t
ngx_http_middleware_url_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                      *p;
    size_t                       n;
    mw_str_t                     host, target;
    ngx_http_middleware_fake_t  *fake;

    fake = ngx_http_middleware_fake(r);

    if (fake == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    /* the Host line (one: nginx refuses another), as the runtime takes it */

    host.len = 0;
    host.data = NULL;

    if (r->headers_in.host) {
        host.len = r->headers_in.host->value.len;
        host.data = r->headers_in.host->value.data;
    }

    target.len = r->unparsed_uri.len;
    target.data = r->unparsed_uri.data;

    p = ngx_pnalloc(r->pool, MW_URL_REQUEST_LEN(host.len, target.len));
    if (p == NULL) {
        return NGX_ERROR;
    }

    n = mw_url_request(fake->https, &host, &target, p);

    if (n == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    return ngx_http_middleware_value(v, p, n);
}


/*
 * On F, R's Cookie line for the runtime's request.cookies when its header
 * lines are $middleware_headers: the value when it is plain (bytes
 * 0x01-0x7f without CR and LF), empty when there is no Cookie line; not
 * found when there are several or one is not plain (the runtime then
 * takes it from the lines).  Reading it saves the runtime making an entry
 * of every line to find that one.
 */

static ngx_int_t
ngx_http_middleware_cookie_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char           *p, *last;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *cookie;

    if (ngx_http_middleware_fake(r) == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    cookie = NULL;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash == 0
            || !mw_header_name_is(h[i].key.data, h[i].key.len, "cookie"))
        {
            continue;
        }

        if (cookie != NULL) {
            v->not_found = 1;
            return NGX_OK;
        }

        cookie = &h[i];
    }

    if (cookie == NULL) {
        return ngx_http_middleware_value(v, (u_char *) "", 0);
    }

    last = cookie->value.data + cookie->value.len;

    for (p = cookie->value.data; p < last; p++) {
        if (*p == '\0' || *p == CR || *p == LF || *p >= 0x80) {
            v->not_found = 1;
            return NGX_OK;
        }
    }

    return ngx_http_middleware_value(v, cookie->value.data,
                                     cookie->value.len);
}


/*
 * On F, $middleware_header_<name>: the values of R's lines of that name
 * (compared in any case), joined with ", " as Headers.get() joins them;
 * not found when there is none.  The runtime reads it for get() of a name
 * that $middleware_headers lists, instead of making an entry of every
 * line (~60 k instructions for four lines on QuickJS: the split and the
 * objects).  Values are as nginx has them: the runtime reads this only
 * when $middleware_headers was found, so every line is plain.
 */

static ngx_inline ngx_uint_t
ngx_http_middleware_line_named(ngx_table_elt_t *h, u_char *name, size_t n)
{
    return h->hash != 0 && h->key.len == n
           && ngx_strncasecmp(h->key.data, name, n) == 0;
}


static ngx_int_t
ngx_http_middleware_header_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t        *var = (ngx_str_t *) data;
    u_char           *name, *p;
    size_t            n, len;
    ngx_uint_t        i, count;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *one;

    n = sizeof("middleware_header_") - 1;

    if (ngx_http_middleware_fake(r) == NULL || var->len <= n) {
        v->not_found = 1;
        return NGX_OK;
    }

    name = var->data + n;
    n = var->len - n;

    /* the first pass: how many lines, how long their join */

    count = 0;
    len = 0;
    one = NULL;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (!ngx_http_middleware_line_named(&h[i], name, n)) {
            continue;
        }

        len += (count ? 2 : 0) + h[i].value.len;
        count++;
        one = &h[i];
    }

    if (count == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (count == 1) {
        return ngx_http_middleware_value(v, one->value.data, one->value.len);
    }

    v->data = ngx_pnalloc(r->pool, len);
    if (v->data == NULL) {
        return NGX_ERROR;
    }

    p = v->data;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (!ngx_http_middleware_line_named(&h[i], name, n)) {
            continue;
        }

        if (p != v->data) {
            *p++ = ',';
            *p++ = ' ';
        }

        p = ngx_cpymem(p, h[i].value.data, h[i].value.len);
    }

    return ngx_http_middleware_value(v, v->data, p - v->data);
}


/* on F: middleware_tasks_max of R's location, for the runtime's waitUntil */

static ngx_int_t
ngx_http_middleware_tasks_max_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                      *p;
    ngx_http_middleware_fake_t  *fake;

    fake = ngx_http_middleware_fake(r);

    if (fake == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_middleware_value(v, p,
                                     ngx_sprintf(p, "%ui", fake->tasks_max)
                                     - p);
}


/*
 * the number of waitUntil tasks the middleware had registered when it
 * decided
 */

static ngx_int_t
ngx_http_middleware_tasks_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                     *p;
    ngx_http_middleware_ctx_t  *ctx;

    ctx = ngx_http_middleware_fake(r) ? NULL : ngx_http_middleware_get_ctx(r);

    if (ctx == NULL || ctx->state == NGX_HTTP_MIDDLEWARE_RUNNING) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_middleware_value(v, p, ngx_sprintf(p, "%ui", ctx->tasks)
                                           - p);
}


/* the runtime's compiled config.matcher, see ngx_http_middleware_matcher.c */

static void
ngx_http_middleware_set_matcher_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
#if (NGX_PCRE)
    if (ngx_http_middleware_fake(r) && r == r->main) {
        ngx_http_middleware_matcher_report(r, v->data, v->len);
    }
#endif
}


static ngx_int_t
ngx_http_middleware_empty_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    v->not_found = 1;
    return NGX_OK;
}


/*
 * "1" on F: $middleware_matched (data 0) when the module has already
 * evaluated config.matcher, $middleware_body (data 1) when
 * middleware_request_body is on and R's body is in F
 */

static ngx_int_t
ngx_http_middleware_flag_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_middleware_fake_t  *fake;

    fake = ngx_http_middleware_fake(r);

    if (fake && (data ? fake->body : fake->matched)) {
        return ngx_http_middleware_value(v, (u_char *) "1", 1);
    }

    v->not_found = 1;

    return NGX_OK;
}


static ngx_int_t
ngx_http_middleware_action_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    const char                 *action;
    ngx_http_middleware_ctx_t  *ctx;

    ctx = ngx_http_middleware_fake(r) ? NULL : ngx_http_middleware_get_ctx(r);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (ctx->timed_out) {
        action = "timeout";

    } else if (ctx->failed) {
        action = "error";

    } else if (ctx->state == NGX_HTTP_MIDDLEWARE_RUNNING) {
        action = "running";

    } else {
        action = mw_decision_kind_name(ctx->decision.kind);
    }

    return ngx_http_middleware_value(v, (u_char *) action, ngx_strlen(action));
}


static ngx_int_t
ngx_http_middleware_time_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                     *p;
    ngx_http_middleware_ctx_t  *ctx;

    ctx = ngx_http_middleware_fake(r) ? NULL : ngx_http_middleware_get_ctx(r);

    if (ctx == NULL || ctx->state == NGX_HTTP_MIDDLEWARE_RUNNING) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN + 4);
    if (p == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_middleware_value(v, p, ngx_sprintf(p, "%M", ctx->elapsed)
                                           - p);
}


static ngx_int_t
ngx_http_middleware_value(ngx_http_variable_value_t *v, u_char *data,
    size_t len)
{
    v->data = data;
    v->len = len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}
