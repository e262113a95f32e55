
/*
 * Copyright (C) ngx_http_middleware_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_middleware_common.h"


/*
 * Two jobs:
 *
 *   - on the detached request F: capture its response, which is the
 *     runtime's decision (docs/PROTOCOL.md), and swallow it: nothing below
 *     these filters ever sees F's output, so nothing is written to F's
 *     fake connection;
 *   - on the client request R: add the middleware's response headers and
 *     cookies to R's final response after a next or rewrite decision.
 *
 * The module is loaded after the njs module, so these filters sit above
 * everything else.
 */


static ngx_int_t ngx_http_middleware_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_middleware_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_uint_t ngx_http_middleware_complete(ngx_chain_t *in,
    size_t *len);
static void ngx_http_middleware_decided(ngx_http_middleware_fake_t *fake,
    ngx_chain_t *payload);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


ngx_int_t
ngx_http_middleware_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_middleware_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_middleware_body_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_middleware_header_filter(ngx_http_request_t *r)
{
    ngx_http_middleware_ctx_t   *ctx;
    ngx_http_middleware_fake_t  *fake;

    fake = ngx_http_middleware_fake(r);

    if (fake) {
        if (r != fake->request) {
            /* a subrequest of F (njs r.subrequest): not ours */
            return ngx_http_next_header_filter(r);
        }

        if (r->header_sent) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "middleware: header already sent");
            return NGX_ERROR;
        }

        r->header_sent = 1;
        fake->status = r->headers_out.status;

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "http middleware decision header, status: %ui",
                       fake->status);

        if (fake->status != NGX_HTTP_OK) {
            /* an error of the runtime itself (e.g. njs's own 500) */
            ngx_http_middleware_decided(fake, NULL);
            return NGX_OK;
        }

        /* the body is the decision, also for a HEAD request */
        r->header_only = 0;

        return NGX_OK;
    }

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_middleware_get_ctx(r);

    if (ctx && ctx->decorate) {
        if (ngx_http_middleware_decorate(r, ctx) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_middleware_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t                       len;
    ngx_buf_t                   *b;
    ngx_chain_t                 *cl, *ln;
    ngx_uint_t                   last;
    ngx_http_middleware_fake_t  *fake;

    fake = ngx_http_middleware_fake(r);

    if (fake == NULL || r != fake->request) {
        return ngx_http_next_body_filter(r, in);
    }

    /*
     * the common case, r.return(): the whole decision in this one call;
     * E copies it into R's pool, no copy in F's pool is needed
     */

    if (fake->payload == NULL && !fake->delivered && !fake->overflow
        && ngx_http_middleware_complete(in, &len)
        && len <= fake->max_size)
    {
        fake->size = len;
        ngx_http_middleware_decided(fake, in);

        for (ln = in; ln; ln = ln->next) {
            ln->buf->pos = ln->buf->last;
        }

        return NGX_OK;
    }

    last = 0;

    for (ln = in; ln; ln = ln->next) {
        b = ln->buf;

        if (b->last_buf || b->last_in_chain) {
            last = 1;
        }

        if (fake->delivered || fake->overflow || ngx_buf_special(b)) {
            b->pos = b->last;
            continue;
        }

        if (!ngx_buf_in_memory(b)) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "middleware: the decision must be sent from "
                          "memory");
            fake->overflow = 1;
            continue;
        }

        len = b->last - b->pos;

        if (fake->size + len > fake->max_size) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "middleware: decision larger than "
                          "middleware_decision_max_size (%uz bytes) plus "
                          "%uz bytes for the client's request",
                          fake->max_size_conf,
                          fake->max_size - fake->max_size_conf);
            fake->overflow = 1;
            b->pos = b->last;
            continue;
        }

        cl = ngx_alloc_chain_link(r->pool);
        if (cl == NULL) {
            return NGX_ERROR;
        }

        /* njs may reuse its buffers: copy */

        cl->buf = ngx_create_temp_buf(r->pool, len ? len : 1);
        if (cl->buf == NULL) {
            return NGX_ERROR;
        }

        cl->buf->last = ngx_cpymem(cl->buf->pos, b->pos, len);
        cl->next = NULL;

        *fake->last = cl;
        fake->last = &cl->next;
        fake->size += len;

        b->pos = b->last;
    }

    if (last && !fake->delivered) {
        ngx_http_middleware_decided(fake, fake->payload);
    }

    return NGX_OK;
}


/* 1 if the chain ends the response and all of it is in memory */

static ngx_uint_t
ngx_http_middleware_complete(ngx_chain_t *in, size_t *len)
{
    ngx_uint_t    last;
    ngx_chain_t  *cl;

    last = 0;
    *len = 0;

    for (cl = in; cl; cl = cl->next) {
        if (cl->buf->last_buf || cl->buf->last_in_chain) {
            last = 1;
        }

        if (ngx_buf_in_memory(cl->buf)) {
            *len += cl->buf->last - cl->buf->pos;

        } else if (!ngx_buf_special(cl->buf)) {
            return 0;
        }
    }

    return last;
}


/* F's response is complete: hand it to E, the rest of F is background */

static void
ngx_http_middleware_decided(ngx_http_middleware_fake_t *fake,
    ngx_chain_t *payload)
{
    ngx_http_middleware_ctx_t  *ctx;

    fake->delivered = 1;

    ctx = fake->ctx;

    if (ctx) {
        ctx->tasks = fake->tasks;

        if (fake->status != NGX_HTTP_OK || !fake->overflow) {
            ngx_http_middleware_deliver(ctx, payload, fake->size,
                                        fake->status);

        } else {
            ngx_http_middleware_invalid(ctx);
        }
    }

    ngx_http_middleware_background(fake);
}
