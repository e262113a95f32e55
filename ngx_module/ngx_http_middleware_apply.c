
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
 * Applying a decision to the client request R: request header overrides,
 * internal rewrites, direct responses, and the response headers that the
 * header filter adds to R's final response.
 */


static ngx_int_t ngx_http_middleware_override(ngx_http_request_t *r,
    mw_decision_t *d);
static ngx_int_t ngx_http_middleware_rewrite(ngx_http_request_t *r,
    ngx_http_middleware_ctx_t *ctx);
static ngx_int_t ngx_http_middleware_respond(ngx_http_request_t *r,
    mw_decision_t *d);
static ngx_int_t ngx_http_middleware_headers_view(ngx_http_request_t *r,
    mw_headers_t *view);
static ngx_int_t ngx_http_middleware_set_headers_in(ngx_http_request_t *r,
    mw_headers_t *headers);
static void ngx_http_middleware_parsed_header(ngx_http_request_t *r,
    ngx_table_elt_t *h, ngx_uint_t reset);
static ngx_int_t ngx_http_middleware_add_headers(ngx_http_request_t *r,
    mw_headers_t *headers);
static ngx_int_t ngx_http_middleware_add_header(ngx_http_request_t *r,
    u_char *name, size_t name_len, u_char *value, size_t value_len);
static ngx_int_t ngx_http_middleware_join_header(ngx_http_request_t *r,
    u_char *name, size_t name_len, u_char *value, size_t value_len);
static void ngx_http_middleware_forget_headers_out(ngx_http_request_t *r);


/*
 * Client-sent copies of internal names (x-middleware-*, ...) are removed
 * before the middleware or the upstream see the request: a decision never
 * comes from a request header (compare CVE-2025-29927), and an upstream
 * that is itself a Next.js app must not be fed them either.
 */

ngx_int_t
ngx_http_middleware_strip_internal(ngx_http_request_t *r)
{
    size_t            i, n;
    ngx_uint_t        k;
    mw_headers_t      view;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    /* the common case, nothing to strip: one scan, nothing allocated */

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (k = 0; k < part->nelts; k++) {
            if (h[k].hash
                && mw_header_is_internal_request(h[k].key.data,
                                                 h[k].key.len))
            {
                goto strip;
            }
        }
    }

    return NGX_OK;

strip:

    if (ngx_http_middleware_headers_view(r, &view) != NGX_OK) {
        return NGX_ERROR;
    }

    for (i = 0, n = 0; i < view.nelts; i++) {

        if (mw_header_is_internal_request(view.elts[i].name.data,
                                          view.elts[i].name.len))
        {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "middleware: removed client request header "
                          "\"%*s\"", view.elts[i].name.len,
                          view.elts[i].name.data);
            continue;
        }

        view.elts[n++] = view.elts[i];
    }

    view.nelts = n;

    return ngx_http_middleware_set_headers_in(r, &view);
}


ngx_int_t
ngx_http_middleware_apply(ngx_http_request_t *r,
    ngx_http_middleware_ctx_t *ctx)
{
    ngx_uint_t                       pass, status;
    mw_decision_t                   *d;
    ngx_http_middleware_loc_conf_t  *mlcf;

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_middleware_module);

    d = &ctx->decision;

    if (ctx->state == NGX_HTTP_MIDDLEWARE_FAILED
        || d->kind == MW_DECISION_ERROR)
    {
        pass = mlcf->on_error == NGX_HTTP_MIDDLEWARE_ON_ERROR_PASS;

        if (ctx->state == NGX_HTTP_MIDDLEWARE_FAILED) {
            status = ctx->status;

        } else {
            status = NGX_HTTP_INTERNAL_SERVER_ERROR;
            pass |= d->pass_through;
        }

        ctx->state = NGX_HTTP_MIDDLEWARE_APPLIED;

        if (pass && ctx->invalid) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "middleware decision could not be applied, "
                          "request rejected: \"middleware_on_error pass\" "
                          "does not apply to invalid decisions");
            return status;
        }

        if (pass) {
            ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_PASS_THROUGH, 1);
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "middleware failed, request passed through "
                          "unmodified");
            return NGX_DECLINED;
        }

        return status;
    }

    ctx->state = NGX_HTTP_MIDDLEWARE_APPLIED;

    switch (d->kind) {

    case MW_DECISION_NEXT:
        if (ngx_http_middleware_override(r, d) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->decorate = d->response.nelts ? 1 : 0;
        return NGX_DECLINED;

    case MW_DECISION_REWRITE:
        return ngx_http_middleware_rewrite(r, ctx);

    default: /* MW_DECISION_REDIRECT, MW_DECISION_RESPONSE */
        return ngx_http_middleware_respond(r, d);
    }
}


/* the header filter: next and rewrite add their headers to R's response */

ngx_int_t
ngx_http_middleware_decorate(ngx_http_request_t *r,
    ngx_http_middleware_ctx_t *ctx)
{
    ctx->decorate = 0;

    return ngx_http_middleware_add_headers(r, &ctx->decision.response);
}


static ngx_int_t
ngx_http_middleware_override(ngx_http_request_t *r, mw_decision_t *d)
{
    mw_alloc_t    alloc;
    mw_headers_t  view, out;

    if (!d->override && !d->changed) {
        return NGX_OK;
    }

    /* only changes, and none: R's headers stay as they are */

    if (d->changed && d->nnames == 0 && d->request.nelts == 0) {
        return NGX_OK;
    }

    if (ngx_http_middleware_headers_view(r, &view) != NGX_OK) {
        return NGX_ERROR;
    }

    alloc.alloc = ngx_http_middleware_palloc;
    alloc.data = r->pool;

    if (d->changed) {
        if (mw_decision_changed(&view, d, &out, &alloc) != MW_OK) {
            return NGX_ERROR;
        }

    } else if (mw_header_override(&view, d, &out, &alloc) != MW_OK) {
        return NGX_ERROR;
    }

    return ngx_http_middleware_set_headers_in(r, &out);
}


static ngx_int_t
ngx_http_middleware_rewrite(ngx_http_request_t *r,
    ngx_http_middleware_ctx_t *ctx)
{
    ngx_str_t       uri, args, host, scheme;
    mw_url_t        u;
    ngx_uint_t      flags;
    mw_decision_t  *d;

    d = &ctx->decision;

    if (mw_url_parse(d->rewrite.data, d->rewrite.len, &u) != MW_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "middleware: invalid rewrite target \"%*s\"",
                      d->rewrite.len, d->rewrite.data);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->https) {
        ngx_str_set(&scheme, "https");

    } else {
        ngx_str_set(&scheme, "http");
    }

    host = r->headers_in.host ? r->headers_in.host->value
                              : r->headers_in.server;

    if (!mw_url_same_origin(&u, scheme.data, scheme.len, host.data,
                            host.len))
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "middleware: rewrite to another origin \"%*s\" is not "
                      "supported", d->rewrite.len, d->rewrite.data);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    uri.data = u.path.data;
    uri.len = u.path.len;
    args.data = u.query.data;
    args.len = u.query.len;

    flags = NGX_HTTP_LOG_UNSAFE;

    if (ngx_http_parse_unsafe_uri(r, &uri, &args, &flags) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "middleware: unsafe rewrite target \"%*s\"",
                      d->rewrite.len, d->rewrite.data);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_middleware_override(r, d) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->decorate = d->response.nelts ? 1 : 0;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "http middleware rewrite \"%V?%V\"", &uri, &args);

    /* E survives the redirect: it is found again through R's pool */

    (void) ngx_http_internal_redirect(r, &uri, &args);
    ngx_http_finalize_request(r, NGX_DONE);

    return NGX_DONE;
}


/* redirect or direct response: sent as the middleware made it */

static ngx_int_t
ngx_http_middleware_respond(ngx_http_request_t *r, mw_decision_t *d)
{
    u_char       *p;
    size_t        len;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    r->headers_out.status = d->status;

    if (ngx_http_middleware_add_headers(r, &d->response) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (d->location.len) {
        if (ngx_http_middleware_add_header(r, (u_char *) "Location", 8,
                                           d->location.data, d->location.len)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* as Next.js's router does for permanent redirects */

        if (d->kind == MW_DECISION_REDIRECT
            && d->status == NGX_HTTP_PERMANENT_REDIRECT)
        {
            len = sizeof("0;url=") - 1 + d->location.len;

            p = ngx_pnalloc(r->pool, len);
            if (p == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            ngx_memcpy(p, "0;url=", sizeof("0;url=") - 1);
            ngx_memcpy(p + sizeof("0;url=") - 1, d->location.data,
                       d->location.len);

            if (ngx_http_middleware_add_header(r, (u_char *) "Refresh", 7,
                                               p, len)
                != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }

    r->headers_out.content_length_n = d->body.len;

    if (d->body.len == 0) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        ngx_http_finalize_request(r, rc);
        return NGX_DONE;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return NGX_DONE;
    }

    b->pos = d->body.data;
    b->last = d->body.data + d->body.len;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    ngx_http_finalize_request(r, ngx_http_output_filter(r, &out));

    return NGX_DONE;
}


/* R's request headers as core structs, pointing into R's memory */

static ngx_int_t
ngx_http_middleware_headers_view(ngx_http_request_t *r, mw_headers_t *view)
{
    ngx_uint_t        i, n;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    n = 0;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        n += part->nelts;
    }

    view->nelts = 0;
    view->elts = ngx_palloc(r->pool, (n ? n : 1) * sizeof(mw_header_t));
    if (view->elts == NULL) {
        return NGX_ERROR;
    }

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {
            if (h[i].hash == 0) {
                continue;
            }

            view->elts[view->nelts].name.data = h[i].key.data;
            view->elts[view->nelts].name.len = h[i].key.len;
            view->elts[view->nelts].value.data = h[i].value.data;
            view->elts[view->nelts].value.len = h[i].value.len;
            view->nelts++;
        }
    }

    return NGX_OK;
}


/*
 * Replaces R's request header list.  nginx keeps pointers to some headers
 * (headers_in.host, .cookie(s), ...): they are reset for the old list and
 * set again for the new one, using the same hash nginx parsed them with.
 * Every string is copied NUL-terminated, as nginx's own headers are.
 */

static ngx_int_t
ngx_http_middleware_set_headers_in(ngx_http_request_t *r,
    mw_headers_t *headers)
{
    u_char           *p;
    size_t            i;
    ngx_uint_t        k;
    ngx_list_t        list;
    mw_header_t      *mh;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    if (ngx_list_init(&list, r->pool, headers->nelts ? headers->nelts : 1,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    for (i = 0; i < headers->nelts; i++) {
        mh = &headers->elts[i];

        h = ngx_list_push(&list);
        if (h == NULL) {
            return NGX_ERROR;
        }

        p = ngx_pnalloc(r->pool, 2 * (mh->name.len + 1) + mh->value.len + 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        h->key.data = p;
        h->key.len = mh->name.len;
        p = ngx_cpymem(p, mh->name.data, mh->name.len);
        *p++ = '\0';

        h->lowcase_key = p;
        h->hash = ngx_hash_strlow(p, mh->name.data, mh->name.len);
        p += mh->name.len;
        *p++ = '\0';

        h->value.data = p;
        h->value.len = mh->value.len;
        p = ngx_cpymem(p, mh->value.data, mh->value.len);
        *p = '\0';

#if (nginx_version >= 1023000)
        h->next = NULL;
#endif
    }

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (k = 0; k < part->nelts; k++) {
            if (h[k].hash) {
                ngx_http_middleware_parsed_header(r, &h[k], 1);
            }
        }
    }

    r->headers_in.headers = list;

    /* the cached result of parsing Authorization */

    ngx_str_null(&r->headers_in.user);
    ngx_str_null(&r->headers_in.passwd);

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (k = 0; k < part->nelts; k++) {
            ngx_http_middleware_parsed_header(r, &h[k], 0);
        }
    }

    return NGX_OK;
}


static void
ngx_http_middleware_parsed_header(ngx_http_request_t *r, ngx_table_elt_t *h,
    ngx_uint_t reset)
{
#if (nginx_version < 1023000)
    ngx_array_t                 *a;
#endif
    ngx_table_elt_t            **ph;
    ngx_http_header_t           *hh;
    ngx_http_core_main_conf_t   *cmcf;

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_core_module);

    hh = ngx_hash_find(&cmcf->headers_in_hash, h->hash, h->lowcase_key,
                       h->key.len);
    if (hh == NULL) {
        return;
    }

    ph = (ngx_table_elt_t **) ((char *) &r->headers_in + hh->offset);

#if (nginx_version >= 1023000)

    /*
     * nginx 1.23.0+: every known header is a chain linked by ->next; a
     * repeated line is appended, the first stays the one nginx reads
     */

    if (reset) {
        *ph = NULL;
        return;
    }

    while (*ph) {
        ph = &(*ph)->next;
    }

    *ph = h;
    h->next = NULL;

#else

    if (hh->offset == offsetof(ngx_http_headers_in_t, cookies)
#if (NGX_HTTP_X_FORWARDED_FOR)
        || hh->offset == offsetof(ngx_http_headers_in_t, x_forwarded_for)
#endif
       )
    {
        a = (ngx_array_t *) ph;

        if (reset) {
            a->nelts = 0;
            return;
        }

        if (a->elts == NULL
            && ngx_array_init(a, r->pool, 1, sizeof(ngx_table_elt_t *))
               != NGX_OK)
        {
            return;
        }

        ph = ngx_array_push(a);
        if (ph) {
            *ph = h;
        }

        return;
    }

    if (reset) {
        *ph = NULL;

    } else if (*ph == NULL) {
        *ph = h;
    }

#endif
}


/*
 * The middleware's response headers on R's response: a name already there
 * is replaced (the middleware wins), Set-Cookie is appended; a name the
 * middleware sends several times is one line "a, b", as the Headers
 * object joins it in Next.js.
 */

static ngx_int_t
ngx_http_middleware_add_headers(ngx_http_request_t *r,
    mw_headers_t *headers)
{
    size_t        i, j;
    mw_header_t  *h;

    for (i = 0; i < headers->nelts; i++) {
        h = &headers->elts[i];

        if (mw_header_is_skipped_response(h->name.data, h->name.len)) {
            continue;
        }

        if (mw_header_name_is(h->name.data, h->name.len, "content-type")) {
            r->headers_out.content_type.data = h->value.data;
            r->headers_out.content_type.len = h->value.len;
            r->headers_out.content_type_len = h->value.len;
            r->headers_out.content_type_lowcase = NULL;
            ngx_str_null(&r->headers_out.charset);
            continue;
        }

        for (j = 0; j < i; j++) {
            if (headers->elts[j].name.len == h->name.len
                && ngx_strncasecmp(headers->elts[j].name.data, h->name.data,
                                   h->name.len)
                   == 0)
            {
                break;
            }
        }

        if (j < i && !mw_header_name_is(h->name.data, h->name.len,
                                        "set-cookie"))
        {
            if (ngx_http_middleware_join_header(r, h->name.data, h->name.len,
                                                h->value.data, h->value.len)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            continue;
        }

        if (ngx_http_middleware_add_header(r, h->name.data, h->name.len,
                                           h->value.data, h->value.len)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* a repeated name: appended to the line the middleware added before */

static ngx_int_t
ngx_http_middleware_join_header(ngx_http_request_t *r, u_char *name,
    size_t name_len, u_char *value, size_t value_len)
{
    u_char           *p, *q;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *last;

    last = NULL;

    for (part = &r->headers_out.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {
            if (h[i].hash
                && h[i].key.len == name_len
                && ngx_strncasecmp(h[i].key.data, name, name_len) == 0)
            {
                last = &h[i];
            }
        }
    }

    if (last == NULL) {
        return ngx_http_middleware_add_header(r, name, name_len, value,
                                              value_len);
    }

    p = ngx_pnalloc(r->pool, last->value.len + 2 + value_len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    q = ngx_cpymem(p, last->value.data, last->value.len);
    q = ngx_cpymem(q, ", ", 2);
    ngx_memcpy(q, value, value_len);

    last->value.data = p;
    last->value.len += 2 + value_len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_middleware_add_header(ngx_http_request_t *r, u_char *name,
    size_t name_len, u_char *value, size_t value_len)
{
    ngx_uint_t        i, removed;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    removed = 0;

    if (!mw_header_name_is(name, name_len, "set-cookie")) {

        for (part = &r->headers_out.headers.part; part; part = part->next) {
            h = part->elts;

            for (i = 0; i < part->nelts; i++) {
                if (h[i].hash
                    && h[i].key.len == name_len
                    && ngx_strncasecmp(h[i].key.data, name, name_len) == 0)
                {
                    h[i].hash = 0;
                    removed = 1;
                }
            }
        }
    }

    if (removed) {
        ngx_http_middleware_forget_headers_out(r);
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = name;
    h->key.len = name_len;
    h->value.data = value;
    h->value.len = value_len;
    h->lowcase_key = NULL;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    if (mw_header_name_is(name, name_len, "server")) {
        r->headers_out.server = h;

    } else if (mw_header_name_is(name, name_len, "date")) {
        r->headers_out.date = h;

    } else if (mw_header_name_is(name, name_len, "last-modified")) {
        r->headers_out.last_modified = h;
        r->headers_out.last_modified_time = -1;
    }

    return NGX_OK;
}


/* pointers of headers_out to removed headers would bring them back */

static void
ngx_http_middleware_forget_headers_out(ngx_http_request_t *r)
{
    ngx_uint_t         i;
    ngx_table_elt_t  **ph;

    static size_t  fields[] = {
        offsetof(ngx_http_headers_out_t, server),
        offsetof(ngx_http_headers_out_t, date),
        offsetof(ngx_http_headers_out_t, content_length),
        offsetof(ngx_http_headers_out_t, content_encoding),
        offsetof(ngx_http_headers_out_t, location),
        offsetof(ngx_http_headers_out_t, refresh),
        offsetof(ngx_http_headers_out_t, last_modified),
        offsetof(ngx_http_headers_out_t, content_range),
        offsetof(ngx_http_headers_out_t, accept_ranges),
        offsetof(ngx_http_headers_out_t, www_authenticate),
        offsetof(ngx_http_headers_out_t, expires),
        offsetof(ngx_http_headers_out_t, etag)
    };

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        ph = (ngx_table_elt_t **) ((char *) &r->headers_out + fields[i]);

        if (*ph && (*ph)->hash == 0) {
            *ph = NULL;

            if (fields[i] == offsetof(ngx_http_headers_out_t, last_modified))
            {
                r->headers_out.last_modified_time = -1;
            }
        }
    }
}

