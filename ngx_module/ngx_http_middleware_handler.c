
/*
 * Copyright (C) ngx_http_middleware_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_middleware_common.h"


/*
 * The middleware phase handler.  It is the first handler of the location's
 * rewrite phase, so the middleware runs before everything the location
 * does: "rewrite", "set" and "return" (which answers in the rewrite phase:
 * a middleware in the access phase would never see such a request, and an
 * auth middleware must not be skipped silently), access checks, content.
 * It is called on R:
 *
 *   - first: it creates E, starts F and, unless F decided synchronously,
 *     suspends R (NGX_DONE: the phase checker returns without finalizing,
 *     R keeps its count) with the decision timer armed;
 *   - again on every write event of R while F runs (spurious wake-ups,
 *     NGX_DONE again) and once more when E's resume event is posted;
 *   - after an internal redirect of R (a rewrite decision, error_page,
 *     try_files): E is found again and the middleware is not run twice.
 */


static ngx_int_t ngx_http_middleware_has_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_middleware_read_body(ngx_http_request_t *r,
    ngx_http_middleware_loc_conf_t *mlcf);
static void ngx_http_middleware_body_handler(ngx_http_request_t *r);


ngx_int_t
ngx_http_middleware_handler(ngx_http_request_t *r)
{
    ngx_http_middleware_ctx_t       *ctx;
    ngx_http_middleware_loc_conf_t  *mlcf;
#if (NGX_PCRE)
    ngx_int_t                        matched;
    ngx_http_middleware_loc_conf_t  *nlcf;
#endif

    if (r != r->main || ngx_http_middleware_fake(r)) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_middleware_get_ctx(r);

    if (ctx == NULL) {
        mlcf = ngx_http_get_module_loc_conf(r, ngx_http_middleware_module);

        if (mlcf->location == NULL) {
            return NGX_DECLINED;
        }

        /*
         * also when the matcher skips the middleware: nothing downstream
         * may take client-sent internal headers for ours
         */

        if (ngx_http_middleware_strip_internal(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

#if (NGX_PCRE)
        nlcf = mlcf->location->loc_conf[ngx_http_middleware_module.ctx_index];

        matched = ngx_http_middleware_matcher_match(r, nlcf);

        if (matched == 0) {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "http middleware skipped: no matcher rule");
            ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_SKIPPED, 1);
            return NGX_DECLINED;
        }
#endif

        ctx = ngx_http_middleware_create_ctx(r);
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

#if (NGX_PCRE)
        ctx->matched = (matched == 1);
#endif

    }

    if (!ctx->started) {
        mlcf = ngx_http_get_module_loc_conf(r, ngx_http_middleware_module);

        if (mlcf->body && !ctx->body_read && ngx_http_middleware_has_body(r))
        {
            return ngx_http_middleware_read_body(r, mlcf);
        }

        ctx->started = 1;

        if (ngx_http_middleware_start(r, ctx) != NGX_OK) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "middleware: could not start the detached "
                          "request for \"%V\"", &mlcf->name);

            ngx_http_middleware_invalid(ctx);
        }
    }

    switch (ctx->state) {

    case NGX_HTTP_MIDDLEWARE_APPLIED:
        return NGX_DECLINED;

    case NGX_HTTP_MIDDLEWARE_RUNNING:

        if (!ctx->waiting) {
            mlcf = ngx_http_get_module_loc_conf(r, ngx_http_middleware_module);

            ctx->waiting = 1;
            ngx_add_timer(&ctx->timer, mlcf->timeout);

            /* notice a client that goes away while the middleware runs */
            r->read_event_handler = ngx_http_test_reading;
        }

        return NGX_DONE;

    default: /* DECIDED, FAILED */

        if (ctx->waiting) {
            ctx->waiting = 0;
            r->read_event_handler = ngx_http_block_reading;
        }

        return ngx_http_middleware_apply(r, ctx);
    }
}


static ngx_int_t
ngx_http_middleware_has_body(ngx_http_request_t *r)
{
    return r->headers_in.content_length_n > 0 || r->headers_in.chunked;
}


/*
 * middleware_request_body on: R's body is read before F starts (and kept
 * for the upstream), F gets a copy in memory
 */

static ngx_int_t
ngx_http_middleware_read_body(ngx_http_request_t *r,
    ngx_http_middleware_loc_conf_t *mlcf)
{
    ngx_int_t  rc;

    if (r->headers_in.content_length_n > (off_t) mlcf->body_max_size) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "middleware: request body of %O bytes is larger than "
                      "middleware_request_body_max_size (%uz)",
                      r->headers_in.content_length_n, mlcf->body_max_size);
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    rc = ngx_http_read_client_request_body(r,
                                           ngx_http_middleware_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    ngx_http_finalize_request(r, NGX_DONE);

    return NGX_DONE;
}


static void
ngx_http_middleware_body_handler(ngx_http_request_t *r)
{
    off_t                            size;
    ngx_chain_t                     *cl;
    ngx_http_middleware_ctx_t       *ctx;
    ngx_http_middleware_loc_conf_t  *mlcf;

    ctx = ngx_http_middleware_get_ctx(r);

    if (ctx == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* a chunked body has no length until it has been read */

    size = 0;

    if (r->request_body) {
        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            size += ngx_buf_size(cl->buf);
        }
    }

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_middleware_module);

    if (size > (off_t) mlcf->body_max_size) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "middleware: request body of %O bytes is larger than "
                      "middleware_request_body_max_size (%uz)",
                      size, mlcf->body_max_size);
        ngx_http_finalize_request(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE);
        return;
    }

    ctx->body_read = 1;

    r->preserve_body = 1;
    r->write_event_handler = ngx_http_core_run_phases;

    ngx_http_core_run_phases(r);
}
