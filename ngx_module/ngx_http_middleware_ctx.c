
/*
 * Copyright (C) ngx_http_middleware_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_middleware_common.h"


/*
 * The execution context E of one middleware run (see the state comment in
 * ngx_http_middleware_common.h).
 */


static void ngx_http_middleware_read_request_id(
    ngx_http_middleware_ctx_t *ctx);
static void ngx_http_middleware_cleanup(void *data);
static void ngx_http_middleware_resume_handler(ngx_event_t *ev);
static void ngx_http_middleware_timeout_handler(ngx_event_t *ev);


ngx_http_middleware_ctx_t *
ngx_http_middleware_create_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t         *cln;
    ngx_http_middleware_ctx_t  *ctx;

    ctx = ngx_calloc(sizeof(ngx_http_middleware_ctx_t), r->connection->log);
    if (ctx == NULL) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        ngx_free(ctx);
        return NULL;
    }

    cln->handler = ngx_http_middleware_cleanup;
    cln->data = ctx;

    ctx->request = r;
    ctx->start = ngx_current_msec;

    ctx->resume.handler = ngx_http_middleware_resume_handler;
    ctx->resume.data = ctx;
    ctx->resume.log = r->connection->log;

    ctx->timer.handler = ngx_http_middleware_timeout_handler;
    ctx->timer.data = ctx;
    ctx->timer.log = r->connection->log;

    /* R's $request_id is read on first use (see below) */

#if (NGX_HTTP_SSL)
    ctx->https = r->connection->ssl ? 1 : 0;
#endif

    ngx_http_set_ctx(r, ctx, ngx_http_middleware_module);

    ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_RUNS, 1);

    return ctx;
}


/*
 * an internal redirect wipes R's module ctx: E is found again through the
 * cleanup of R's pool, as the realip module does
 */

ngx_http_middleware_ctx_t *
ngx_http_middleware_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t         *cln;
    ngx_http_middleware_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_middleware_module);

    if (ctx) {
        return ctx;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_middleware_cleanup) {
            ctx = cln->data;

            if (ctx->request != r) {
                return NULL;
            }

            ngx_http_set_ctx(r, ctx, ngx_http_middleware_module);
            return ctx;
        }
    }

    return NULL;
}


/*
 * F reports R's $request_id, so that both sides' logs can be joined.  It is
 * read when first needed, not when E is made: nginx makes it with
 * RAND_bytes() (~7 k instructions, 5 % of a hand-written auth_request JWT
 * check in njs), and most runs never log, report an outcome or ask for it.
 * Read from R while R lives, it is R's own (cached by R: its access log
 * and proxy_set_header see the same); when R ends with F still running, it
 * is read then (ngx_http_middleware_outcome_record(), from R's log phase or
 * the cleanup of its pool), so that F's later log lines have it.
 */

static void
ngx_http_middleware_read_request_id(ngx_http_middleware_ctx_t *ctx)
{
    ngx_http_request_t               *r;
    ngx_http_variable_value_t        *v;
    ngx_http_middleware_main_conf_t  *mmcf;

    r = ctx->request;

    if (ctx->request_id_set || r == NULL) {
        return;
    }

    ctx->request_id_set = 1;

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_middleware_module);

    v = ngx_http_get_indexed_variable(r, mmcf->request_id_index);

    if (v && !v->not_found) {
        ctx->request_id_len = ngx_min(v->len, sizeof(ctx->request_id));
        ngx_memcpy(ctx->request_id, v->data, ctx->request_id_len);
    }
}


/* F's copy of R's $request_id (empty if R ended before it was read) */

ngx_str_t *
ngx_http_middleware_request_id(ngx_http_middleware_fake_t *fake)
{
    ngx_http_middleware_ctx_t  *ctx;

    if (fake->request_id_set) {
        return &fake->request_id;
    }

    fake->request_id.data = fake->request_id_data;

    ctx = fake->ctx;

    if (ctx == NULL) {
        /* F was detached from E: nothing more to learn */
        fake->request_id_set = 1;
        return &fake->request_id;
    }

    ngx_http_middleware_read_request_id(ctx);

    if (!ctx->request_id_set) {
        return &fake->request_id;
    }

    fake->request_id_set = 1;
    fake->request_id.len = ctx->request_id_len;
    ngx_memcpy(fake->request_id_data, ctx->request_id, ctx->request_id_len);

    return &fake->request_id;
}


/* called by F's body filter with F's whole response */

void
ngx_http_middleware_deliver(ngx_http_middleware_ctx_t *ctx,
    ngx_chain_t *payload, size_t size, ngx_uint_t status)
{
    u_char              *p, *data;
    ngx_int_t            rc;
    mw_alloc_t           alloc;
    ngx_chain_t         *cl;
    mw_decision_t       *d;
    ngx_http_request_t  *r;
    char                 err[MW_ERRLEN];

    r = ctx->request;

    if (r == NULL || ctx->state != NGX_HTTP_MIDDLEWARE_RUNNING) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                       "http middleware decision dropped, state: %d",
                       ctx->state);
        return;
    }

    if (status != NGX_HTTP_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "middleware finished without a decision: the "
                      "middleware location responded with status %ui (an "
                      "njs error, or the handler ended without deciding)",
                      status);
        ngx_http_middleware_fail(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* the decision lives as long as R: copy it into R's pool */

    data = ngx_pnalloc(r->pool, size ? size : 1);
    if (data == NULL) {
        ngx_http_middleware_invalid(ctx);
        return;
    }

    p = data;

    for (cl = payload; cl; cl = cl->next) {
        if (ngx_buf_in_memory(cl->buf)) {
            p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
        }
    }

    alloc.alloc = ngx_http_middleware_palloc;
    alloc.data = r->pool;

    d = &ctx->decision;

    rc = mw_decision_parse(data, size, d, &alloc, err, sizeof(err));

    if (rc == MW_NOMEM) {
        ngx_http_middleware_invalid(ctx);
        return;
    }

    if (rc != MW_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "middleware: %s",
                      err);
        ngx_http_middleware_invalid(ctx);
        return;
    }

    ctx->state = NGX_HTTP_MIDDLEWARE_DECIDED;
    ctx->elapsed = ngx_current_msec - ctx->start;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "http middleware decision: %s %ui in %M ms",
                   mw_decision_kind_name(d->kind), (ngx_uint_t) d->status,
                   ctx->elapsed);

    switch (d->kind) {

    case MW_DECISION_NEXT:
        ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_NEXT, 1);
        break;

    case MW_DECISION_REWRITE:
        ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_REWRITE, 1);
        break;

    case MW_DECISION_REDIRECT:
        ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_REDIRECT, 1);
        break;

    case MW_DECISION_RESPONSE:
        ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_RESPONSE, 1);
        break;

    default: /* MW_DECISION_ERROR */
        ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_EXCEPTION, 1);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "middleware failed: \"%*s\"%s",
                      d->error.len, d->error.data,
                      d->pass_through ? ", passing through" : "");
    }

    ngx_http_middleware_wake(ctx);
}


void
ngx_http_middleware_fail(ngx_http_middleware_ctx_t *ctx, ngx_uint_t status)
{
    if (ctx->state != NGX_HTTP_MIDDLEWARE_RUNNING) {
        return;
    }

    ctx->state = NGX_HTTP_MIDDLEWARE_FAILED;
    ctx->failed = 1;
    ctx->status = status;
    ctx->elapsed = ngx_current_msec - ctx->start;

    if (status != NGX_HTTP_GATEWAY_TIME_OUT) {
        ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_INVALID, 1);
    }

    ngx_http_middleware_wake(ctx);
}


/*
 * the middleware decided, but the decision cannot be applied (it does not
 * decode, it is too large, no memory): R is rejected even with
 * "middleware_on_error pass", which would let R go on without what the
 * middleware decided (for an auth middleware: with the client's own,
 * perhaps forged, headers)
 */

void
ngx_http_middleware_invalid(ngx_http_middleware_ctx_t *ctx)
{
    ctx->invalid = 1;

    ngx_http_middleware_fail(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
}


/* R resumes through a posted event, never from inside F's njs call */

void
ngx_http_middleware_wake(ngx_http_middleware_ctx_t *ctx)
{
    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }

    if (ctx->waiting && ctx->request && !ctx->resume.posted) {
        ngx_post_event(&ctx->resume, &ngx_posted_events);
    }
}


/* F has ended (its pool is being destroyed) */

void
ngx_http_middleware_detach_fake(ngx_http_middleware_ctx_t *ctx)
{
    ctx->fake = NULL;

    if (ctx->request == NULL) {
        ngx_free(ctx);
        return;
    }

    if (ctx->state == NGX_HTTP_MIDDLEWARE_RUNNING) {
        ngx_log_error(NGX_LOG_ERR, ctx->request->connection->log, 0,
                      "middleware finished without a decision");
        ngx_http_middleware_fail(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}


/* R has ended (its pool is being destroyed), perhaps before the decision */

static void
ngx_http_middleware_cleanup(void *data)
{
    ngx_http_middleware_ctx_t *ctx = data;

    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }

    if (ctx->resume.posted) {
        ngx_delete_posted_event(&ctx->resume);
    }

    if (ctx->state == NGX_HTTP_MIDDLEWARE_RUNNING && ctx->started) {
        ngx_log_error(NGX_LOG_INFO, ctx->request->connection->log, 0,
                      "middleware: client request ended before the "
                      "decision, the middleware goes on detached");
        ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_ABORTED, 1);

        if (ctx->fake) {
            ngx_http_middleware_undecided(ctx->fake, "client gone");
        }
    }

    /* normally done in R's log phase already (R's $request_id for F too) */
    ngx_http_middleware_outcome_record(ctx);

    ctx->request = NULL;

    if (ctx->fake == NULL) {
        ngx_free(ctx);
    }
}


static void
ngx_http_middleware_resume_handler(ngx_event_t *ev)
{
    ngx_connection_t           *c;
    ngx_http_request_t         *r;
    ngx_http_middleware_ctx_t  *ctx;

    ctx = ev->data;
    r = ctx->request;

    if (r == NULL) {
        return;
    }

    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, c->log, 0, "http middleware resume");

    r->write_event_handler(r);
    ngx_http_run_posted_requests(c);
}


static void
ngx_http_middleware_timeout_handler(ngx_event_t *ev)
{
    ngx_http_middleware_ctx_t  *ctx;

    ctx = ev->data;

    ngx_log_error(NGX_LOG_ERR, ctx->request->connection->log, 0,
                  "middleware timed out after %M ms",
                  ngx_current_msec - ctx->start);

    ctx->timed_out = 1;
    ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_TIMEOUT, 1);

    ngx_http_middleware_fail(ctx, NGX_HTTP_GATEWAY_TIME_OUT);

    if (ctx->fake) {
        ngx_http_middleware_undecided(ctx->fake, "timed out");
    }
}


/* the mw_alloc_t of src/ on an nginx pool */

void *
ngx_http_middleware_palloc(void *pool, size_t size)
{
    return ngx_palloc(pool, size);
}
