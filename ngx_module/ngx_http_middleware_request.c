
/*
 * Copyright (C) ngx_http_middleware_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_middleware_common.h"


/*
 * The detached request F.
 *
 * F is a request of our own on a fake connection, built from the client
 * request R: method, URI, arguments, headers and addresses are copied into
 * F's pool, so F does not depend on R's memory and outlives R when the
 * middleware keeps working (waitUntil).  F runs the named location's
 * content handler (njs js_content); our filters capture its output.
 *
 * The fake connection uses one /dev/null descriptor per worker with
 * c->shared set: ngx_close_connection() then neither removes events nor
 * closes the descriptor, but does free the connection slot (fd -1 would
 * log "connection already closed" and leak the slot).  write->ready keeps
 * nginx from ever adding it to the event loop, read->eof makes
 * finalization close F instead of keeping it alive.
 */


static ngx_connection_t *ngx_http_middleware_init_connection(
    ngx_http_request_t *r, ngx_http_middleware_ctx_t *ctx);
static ngx_http_request_t *ngx_http_middleware_create_request(
    ngx_http_request_t *r, ngx_http_middleware_ctx_t *ctx,
    ngx_connection_t *fc);
static void ngx_http_middleware_run(ngx_http_request_t *fr);
static size_t ngx_http_middleware_max_size(ngx_http_request_t *r,
    ngx_http_middleware_loc_conf_t *mlcf);
static ngx_int_t ngx_http_middleware_copy_headers(ngx_http_request_t *r,
    ngx_http_request_t *fr);
static ngx_int_t ngx_http_middleware_copy_body(ngx_http_request_t *r,
    ngx_http_request_t *fr);
static ngx_int_t ngx_http_middleware_copy_str(ngx_pool_t *pool,
    ngx_str_t *dst, ngx_str_t *src);
static u_char *ngx_http_middleware_log_error(ngx_log_t *log, u_char *buf,
    size_t len);
static void ngx_http_middleware_fake_handler(ngx_event_t *ev);
static void ngx_http_middleware_fake_cleanup(void *data);


static ngx_fd_t     ngx_http_middleware_devnull = NGX_INVALID_FILE;
static ngx_uint_t   ngx_http_middleware_content_index;


ngx_int_t
ngx_http_middleware_init_worker(ngx_cycle_t *cycle)
{
    ngx_uint_t                  i;
    ngx_http_phase_handler_t   *ph;
    ngx_http_core_main_conf_t  *cmcf;

    ngx_http_middleware_queue_init(cycle);
    ngx_http_middleware_sink_init_worker(cycle);

    ngx_http_middleware_devnull = ngx_open_file("/dev/null", NGX_FILE_RDWR,
                                                NGX_FILE_OPEN, 0);
    if (ngx_http_middleware_devnull == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_errno,
                      ngx_open_file_n " \"/dev/null\" failed");
        return NGX_ERROR;
    }

    if (fcntl(ngx_http_middleware_devnull, F_SETFD, FD_CLOEXEC) == -1) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_errno,
                      "fcntl(FD_CLOEXEC) on \"/dev/null\" failed");
        return NGX_ERROR;
    }

    /*
     * F enters its location directly at the content phase: the named
     * location is only a container for js_content, and inherited
     * rewrite/access settings (auth, limits) must not apply to F
     */

    cmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_core_module);
    ph = cmcf->phase_engine.handlers;

    for (i = 0; ph[i].checker; i++) {
        if (ph[i].checker == ngx_http_core_content_phase) {
            ngx_http_middleware_content_index = i;
            return NGX_OK;
        }
    }

    ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                  "middleware: no content phase found");

    return NGX_ERROR;
}


void
ngx_http_middleware_exit_worker(ngx_cycle_t *cycle)
{
    if (ngx_http_middleware_devnull == NGX_INVALID_FILE) {
        return;
    }

    /* a fast shutdown (nginx -s stop) or the end of a graceful one */

    ngx_http_middleware_queue_exit(cycle);
    ngx_http_middleware_sink_exit_worker(cycle);

    (void) ngx_close_file(ngx_http_middleware_devnull);
    ngx_http_middleware_devnull = NGX_INVALID_FILE;
}


/* for the sink's batch requests: the same first phase */

ngx_uint_t
ngx_http_middleware_content_phase(void)
{
    return ngx_http_middleware_content_index;
}


ngx_http_middleware_fake_t *
ngx_http_middleware_fake(ngx_http_request_t *r)
{
    if (r->connection->log->handler != ngx_http_middleware_log_error) {
        return NULL;
    }

    return (ngx_http_middleware_fake_t *) r->http_connection;
}


/*
 * A connection of our own (F's, or a sink's batch request's) on the
 * worker's /dev/null descriptor, as ngx_http_init_connection() makes one
 * for a client: its pool, its own log (a copy of parent's with our log
 * handler, never pointing into the parent's memory), never in the event
 * loop (see the top of this file).  c->data is free for the caller.
 */

ngx_connection_t *
ngx_http_middleware_connection(ngx_log_t *parent, ngx_log_handler_pt handler,
    ngx_event_handler_pt event_handler)
{
    ngx_log_t           *log;
    ngx_pool_t          *pool;
    ngx_connection_t    *fc;
    ngx_http_log_ctx_t  *lctx;

    pool = ngx_create_pool(1024, parent);
    if (pool == NULL) {
        return NULL;
    }

    fc = ngx_get_connection(ngx_http_middleware_devnull, parent);
    if (fc == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    fc->pool = pool;
    fc->shared = 1;

#if (NGX_STAT_STUB)
    (void) ngx_atomic_fetch_add(ngx_stat_active, 1);
#endif

    /* from here on ngx_http_close_connection(fc) undoes everything */

    log = ngx_palloc(pool, sizeof(ngx_log_t));
    lctx = ngx_pcalloc(pool, sizeof(ngx_http_log_ctx_t));

    if (log == NULL || lctx == NULL) {
        ngx_http_close_connection(fc);
        return NULL;
    }

    *log = *parent;
    pool->log = log;
    log->handler = handler;
    log->data = lctx;
    log->action = NULL;
    lctx->connection = fc;

    fc->number = ngx_atomic_fetch_add(ngx_connection_counter, 1);
    log->connection = fc->number;

    fc->log = log;
    fc->read->log = log;
    fc->write->log = log;
    fc->read->handler = event_handler;
    fc->write->handler = event_handler;
    fc->read->eof = 1;
    fc->write->ready = 1;

    /*
     * as if in the event loop, so that a proxied request (a sink's, or a
     * subrequest of F) adds nothing (ngx_http_upstream_init(): epoll_ctl()
     * refuses /dev/null); c->shared keeps nginx from removing them at close
     */
    fc->read->active = 1;
    fc->write->active = 1;

    fc->recv = ngx_recv;
    fc->send = ngx_send;
    fc->recv_chain = ngx_recv_chain;
    fc->send_chain = ngx_send_chain;
    fc->start_time = ngx_current_msec;
    fc->requests = 1;

    return fc;
}


/*
 * The request on such a connection, as ngx_http_create_request() and the
 * header parsing would make it, entering the content phase of loc_conf:
 * internal, no access log line, no error_page redirect (it would wipe the
 * module ctx), no keepalive.  The caller fills in the request line and
 * headers; on failure it closes fc.
 */

ngx_http_request_t *
ngx_http_middleware_request(ngx_connection_t *fc, ngx_http_connection_t *hc,
    void **main_conf, void **srv_conf, void **loc_conf, size_t pool_size)
{
    ngx_time_t                 *tp;
    ngx_http_log_ctx_t         *lctx;
    ngx_http_request_t         *fr;
    ngx_http_core_main_conf_t  *cmcf;

    fr = ngx_pcalloc(fc->pool, sizeof(ngx_http_request_t));
    if (fr == NULL) {
        return NULL;
    }

    fr->pool = ngx_create_pool(pool_size, fc->log);
    if (fr->pool == NULL) {
        return NULL;
    }

    fc->data = fr;
    lctx = fc->log->data;
    lctx->request = fr;
    lctx->current_request = fr;

    fr->connection = fc;
    fr->http_connection = hc;
    fr->signature = NGX_HTTP_MODULE;
    fr->main = fr;
    fr->count = 1;

    fr->main_conf = main_conf;
    fr->srv_conf = srv_conf;
    fr->loc_conf = loc_conf;

    fr->read_event_handler = ngx_http_block_reading;

    cmcf = main_conf[ngx_http_core_module.ctx_index];

    fr->header_in = ngx_create_temp_buf(fr->pool, 1);
    fr->ctx = ngx_pcalloc(fr->pool, sizeof(void *) * ngx_http_max_module);
    fr->variables = ngx_pcalloc(fr->pool, cmcf->variables.nelts
                                          * sizeof(ngx_http_variable_value_t));
    fr->request_body = ngx_pcalloc(fr->pool,
                                   sizeof(ngx_http_request_body_t));

    if (fr->header_in == NULL
        || fr->ctx == NULL
        || fr->variables == NULL
        || fr->request_body == NULL
        || ngx_list_init(&fr->headers_out.headers, fr->pool, 8,
                         sizeof(ngx_table_elt_t))
           != NGX_OK
        || ngx_list_init(&fr->headers_out.trailers, fr->pool, 1,
                         sizeof(ngx_table_elt_t))
           != NGX_OK
        || ngx_list_init(&fr->headers_in.headers, fr->pool, 16,
                         sizeof(ngx_table_elt_t))
           != NGX_OK)
    {
        ngx_destroy_pool(fr->pool);
        return NULL;
    }

    tp = ngx_timeofday();
    fr->start_sec = tp->sec;
    fr->start_msec = tp->msec;
    fr->http_state = NGX_HTTP_PROCESS_REQUEST_STATE;

    fr->headers_in.content_length_n = -1;
    fr->headers_in.keep_alive_n = -1;
    fr->headers_out.content_length_n = -1;
    fr->headers_out.last_modified_time = -1;

    fr->uri_changes = NGX_HTTP_MAX_URI_CHANGES + 1;
    fr->subrequests = NGX_HTTP_MAX_SUBREQUESTS + 1;

    fr->internal = 1;
    fr->logged = 1;
    fr->error_page = 1;
    fr->keepalive = 0;

    return fr;
}


ngx_int_t
ngx_http_middleware_start(ngx_http_request_t *r,
    ngx_http_middleware_ctx_t *ctx)
{
    ngx_connection_t                *fc;
    ngx_http_request_t              *fr;
    ngx_http_middleware_loc_conf_t  *mlcf;

    fc = ngx_http_middleware_init_connection(r, ctx);
    if (fc == NULL) {
        return NGX_ERROR;
    }

    fr = ngx_http_middleware_create_request(r, ctx, fc);
    if (fr == NULL) {
        ngx_http_close_connection(fc);
        return NGX_ERROR;
    }

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_middleware_module);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "http middleware start \"%V\" *%uA", &mlcf->name,
                   fc->number);

    ngx_http_middleware_run(fr);

    return NGX_OK;
}


/*
 * F's connection, as ngx_http_init_connection() makes one for a client:
 * the fake connection, its log, and F's http connection (fake->hc, a copy
 * of R's), which c->data points to until the request exists
 */

static ngx_connection_t *
ngx_http_middleware_init_connection(ngx_http_request_t *r,
    ngx_http_middleware_ctx_t *ctx)
{
    ngx_pool_t                      *pool;
    ngx_connection_t                *c, *fc;
    ngx_http_middleware_fake_t      *fake;
    ngx_http_middleware_loc_conf_t  *mlcf;

    c = r->connection;
    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_middleware_module);

    /* a wildcard listener: resolve the local address on R, not on F */

    if (ngx_connection_local_sockaddr(c, NULL, 0) != NGX_OK) {
        return NULL;
    }

    fc = ngx_http_middleware_connection(c->log, ngx_http_middleware_log_error,
                                        ngx_http_middleware_fake_handler);
    if (fc == NULL) {
        return NULL;
    }

    /* from here on ngx_http_close_connection(fc) undoes everything */

    pool = fc->pool;

    fake = ngx_pcalloc(pool, sizeof(ngx_http_middleware_fake_t));
    if (fake == NULL) {
        goto failed;
    }

    fc->log_error = c->log_error;

    fc->listening = c->listening;
    fc->type = c->type;

    fc->socklen = c->socklen;
    fc->sockaddr = ngx_palloc(pool, c->socklen);
    fc->local_socklen = c->local_socklen;
    fc->local_sockaddr = ngx_palloc(pool, c->local_socklen);

    if (fc->sockaddr == NULL || fc->local_sockaddr == NULL) {
        goto failed;
    }

    ngx_memcpy(fc->sockaddr, c->sockaddr, c->socklen);
    ngx_memcpy(fc->local_sockaddr, c->local_sockaddr, c->local_socklen);

    if (ngx_http_middleware_copy_str(pool, &fc->addr_text, &c->addr_text)
        != NGX_OK)
    {
        goto failed;
    }

    fake->hc = *r->http_connection;
    fake->hc.busy = NULL;
    fake->hc.free = NULL;
    fake->hc.nbusy = 0;
#if (NGX_HTTP_SSL || NGX_COMPAT)
    fake->hc.ssl_servername = NULL;
#if (NGX_PCRE)
    fake->hc.ssl_servername_regex = NULL;
#endif
#endif
    fake->max_size = ngx_http_middleware_max_size(r, mlcf);
    fake->max_size_conf = mlcf->max_size;

    /* R's location decides, not the named location F runs in */
    fake->background_timeout = mlcf->background_timeout;
    fake->tasks_max = mlcf->tasks_max;
    fake->last = &fake->payload;
    fake->https = ctx->https;
    fake->matched = ctx->matched;

    fc->data = fake;

    return fc;

failed:

    ngx_http_close_connection(fc);

    return NULL;
}


/*
 * F itself, as ngx_http_create_request() and the header parsing would make
 * it: on its own pool, with copies of everything it needs from R
 */

static ngx_http_request_t *
ngx_http_middleware_create_request(ngx_http_request_t *r,
    ngx_http_middleware_ctx_t *ctx, ngx_connection_t *fc)
{
    ngx_pool_cleanup_t              *cln;
    ngx_http_request_t              *fr;
    ngx_http_core_srv_conf_t        *cscf;
    ngx_http_middleware_fake_t      *fake;
    ngx_http_middleware_loc_conf_t  *mlcf;

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_middleware_module);
    cscf = ngx_http_get_module_srv_conf(r, ngx_http_core_module);

    fake = fc->data;

    fr = ngx_http_middleware_request(fc, &fake->hc, r->main_conf,
                                     r->srv_conf, mlcf->location->loc_conf,
                                     cscf->request_pool_size);
    if (fr == NULL) {
        return NULL;
    }

    fake->request = fr;

    fr->method = r->method;
    fr->http_version = r->http_version;

    if (ngx_http_middleware_copy_str(fr->pool, &fr->method_name,
                                     &r->method_name) != NGX_OK
        || ngx_http_middleware_copy_str(fr->pool, &fr->http_protocol,
                                        &r->http_protocol) != NGX_OK
        || ngx_http_middleware_copy_str(fr->pool, &fr->request_line,
                                        &r->request_line) != NGX_OK
        || ngx_http_middleware_copy_str(fr->pool, &fr->uri, &r->uri)
           != NGX_OK
        || ngx_http_middleware_copy_str(fr->pool, &fr->args, &r->args)
           != NGX_OK
        || ngx_http_middleware_copy_str(fr->pool, &fr->exten, &r->exten)
           != NGX_OK
        || ngx_http_middleware_copy_str(fr->pool, &fr->unparsed_uri,
                                        &r->unparsed_uri) != NGX_OK
        || ngx_http_middleware_copy_str(fr->pool, &fr->schema, &r->schema)
           != NGX_OK)
    {
        goto failed;
    }

    if (ngx_http_middleware_copy_headers(r, fr) != NGX_OK) {
        goto failed;
    }

    if (ctx->body_read) {
        if (ngx_http_middleware_copy_body(r, fr) != NGX_OK) {
            goto failed;
        }
    }

    fake->body = mlcf->body ? 1 : 0;

    cln = ngx_pool_cleanup_add(fr->pool, 0);
    if (cln == NULL) {
        goto failed;
    }

    cln->handler = ngx_http_middleware_fake_cleanup;
    cln->data = fake;

    ngx_http_middleware_queue_prepare(fake);

    fake->ctx = ctx;
    ctx->fake = fake;

    return fr;

failed:

    ngx_destroy_pool(fr->pool);

    return NULL;
}


/* F runs the named location's content handler (njs), as a client would */

static void
ngx_http_middleware_run(ngx_http_request_t *fr)
{
    ngx_connection_t  *fc;

    fc = fr->connection;

    /*
     * run F; one count is held around the phases so that F cannot be freed
     * under us when the middleware decides synchronously
     */

    fr->count++;
    fr->phase_handler = ngx_http_middleware_content_index;
    fr->write_event_handler = ngx_http_core_run_phases;

    ngx_http_update_location_config(fr);
    ngx_http_core_run_phases(fr);

    ngx_http_finalize_request(fr, NGX_DONE);
    ngx_http_run_posted_requests(fc);

}


/*
 * middleware_decision_max_size bounds what the middleware adds: a
 * middleware that copies the client's request into its decision (every
 * header line as an x-middleware-request-* field and in the override
 * list, each byte escaped to at most 3, the request target in a redirect,
 * the exposed body) gets that much more, so that no client can make a
 * decision too large by sending a large request
 */

static size_t
ngx_http_middleware_max_size(ngx_http_request_t *r,
    ngx_http_middleware_loc_conf_t *mlcf)
{
    size_t            size;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    size = mlcf->max_size + 3 * r->unparsed_uri.len;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {
            size += 6 * (h[i].key.len + h[i].value.len)
                    + sizeof("x-middleware-request-:\n,") - 1;
        }
    }

    if (mlcf->body) {
        size += mlcf->body_max_size;
    }

    return size;
}


static ngx_int_t
ngx_http_middleware_copy_headers(ngx_http_request_t *r,
    ngx_http_request_t *fr)
{
    ngx_uint_t                  i;
    ngx_list_part_t            *part;
    ngx_table_elt_t            *h, *fh;
    ngx_http_header_t          *hh;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_core_module);

    /* set first: the Host handler must not choose another server */

    if (ngx_http_middleware_copy_str(fr->pool, &fr->headers_in.server,
                                     &r->headers_in.server)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

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

        fh = ngx_list_push(&fr->headers_in.headers);
        if (fh == NULL) {
            return NGX_ERROR;
        }

        fh->hash = h[i].hash;
#if (nginx_version >= 1023000)
        fh->next = NULL;
#endif

        if (ngx_http_middleware_copy_str(fr->pool, &fh->key, &h[i].key)
            != NGX_OK
            || ngx_http_middleware_copy_str(fr->pool, &fh->value, &h[i].value)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        fh->lowcase_key = ngx_pnalloc(fr->pool, h[i].key.len + 1);
        if (fh->lowcase_key == NULL) {
            return NGX_ERROR;
        }

        ngx_strlow(fh->lowcase_key, h[i].key.data, h[i].key.len);
        fh->lowcase_key[h[i].key.len] = '\0';

        hh = ngx_hash_find(&cmcf->headers_in_hash, fh->hash,
                           fh->lowcase_key, fh->key.len);

        if (hh && hh->handler(fr, fh, hh->offset) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * R's body (read because of middleware_request_body, perhaps partly in a
 * temporary file) becomes one memory buffer of F: njs reads it from there
 */

static ngx_int_t
ngx_http_middleware_copy_body(ngx_http_request_t *r, ngx_http_request_t *fr)
{
    off_t                            size;
    ssize_t                          n;
    ngx_buf_t                       *b, *fb;
    ngx_chain_t                     *cl;
    ngx_http_middleware_loc_conf_t  *mlcf;

    if (r->request_body == NULL) {
        return NGX_OK;
    }

    size = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        size += ngx_buf_size(cl->buf);
    }

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_middleware_module);

    if (size > (off_t) mlcf->body_max_size) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "middleware: request body of %O bytes is larger than "
                      "middleware_request_body_max_size (%uz), not given to "
                      "the middleware", size, mlcf->body_max_size);
        return NGX_ERROR;
    }

    fb = ngx_create_temp_buf(fr->pool, size ? size : 1);
    if (fb == NULL) {
        return NGX_ERROR;
    }

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (ngx_buf_in_memory(b)) {
            fb->last = ngx_cpymem(fb->last, b->pos, b->last - b->pos);
            continue;
        }

        if (b->in_file && b->file) {
            n = ngx_read_file(b->file, fb->last, b->file_last - b->file_pos,
                              b->file_pos);

            if (n != b->file_last - b->file_pos) {
                return NGX_ERROR;
            }

            fb->last += n;
        }
    }

    fb->last_buf = 1;
    fb->last_in_chain = 1;

    cl = ngx_alloc_chain_link(fr->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = fb;
    cl->next = NULL;

    fr->request_body->bufs = cl;

    return NGX_OK;
}


/* every copy is NUL-terminated: some header handlers rely on it */

static ngx_int_t
ngx_http_middleware_copy_str(ngx_pool_t *pool, ngx_str_t *dst,
    ngx_str_t *src)
{
    dst->len = src->len;

    if (src->data == NULL) {
        dst->data = NULL;
        return NGX_OK;
    }

    dst->data = ngx_pnalloc(pool, src->len + 1);
    if (dst->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(dst->data, src->data, src->len);
    dst->data[src->len] = '\0';

    return NGX_OK;
}


/* for our log handlers: " while <action>", and the log's request */

u_char *
ngx_http_middleware_log_action(ngx_log_t *log, u_char *buf, size_t *len,
    ngx_http_request_t **r)
{
    u_char              *p;
    ngx_http_log_ctx_t  *lctx;

    if (log->action) {
        p = ngx_snprintf(buf, *len, " while %s", log->action);
        *len -= p - buf;
        buf = p;
    }

    lctx = log->data;
    *r = lctx->request;

    return buf;
}


/* log lines of F carry R's client and request, and say they come from F */

static u_char *
ngx_http_middleware_log_error(ngx_log_t *log, u_char *buf, size_t len)
{
    u_char                      *p;
    ngx_str_t                   *id;
    ngx_http_request_t          *r;
    ngx_http_middleware_fake_t  *fake;

    buf = ngx_http_middleware_log_action(log, buf, &len, &r);

    if (r == NULL) {
        return buf;
    }

    fake = (ngx_http_middleware_fake_t *) r->http_connection;

    p = ngx_snprintf(buf, len, ", client: %V, server: %V, request: \"%V\"",
                     &r->connection->addr_text, &r->headers_in.server,
                     &r->request_line);
    len -= p - buf;
    buf = p;

    id = ngx_http_middleware_request_id(fake);

    if (id->len) {
        p = ngx_snprintf(buf, len, ", request_id: \"%V\"", id);
        len -= p - buf;
        buf = p;
    }

    return ngx_snprintf(buf, len, ", context: middleware%s",
                        fake->background ? " background" : "");
}


/*
 * F's connection is never in the event loop; its handlers run only when
 * nginx walks all connections: worker_shutdown_timeout closes them
 */

static void
ngx_http_middleware_fake_handler(ngx_event_t *ev)
{
    ngx_connection_t            *c;
    ngx_http_request_t          *r;
    ngx_http_middleware_fake_t  *fake;

    c = ev->data;
    r = c->data;

    if (c->close) {
        fake = (ngx_http_middleware_fake_t *) r->http_connection;

        ngx_http_middleware_cancel(fake, "cancelled by worker shutdown");
        return;
    }

    if (ev->write) {
        r->write_event_handler(r);

    } else {
        r->read_event_handler(r);
    }

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_middleware_fake_cleanup(void *data)
{
    ngx_http_middleware_fake_t *fake = data;

    ngx_http_middleware_ctx_t  *ctx;

    ngx_http_middleware_queue_done(fake);

    ctx = fake->ctx;

    if (ctx == NULL) {
        return;
    }

    fake->ctx = NULL;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, fake->request->connection->log, 0,
                   "http middleware request done, state: %d", ctx->state);

    ngx_http_middleware_detach_fake(ctx);
}
