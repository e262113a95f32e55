
/*
 * Copyright (C) ngx_http_middleware_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_middleware_common.h"


/*
 * The sink: a per-worker, batched path for telemetry events.
 *
 *     server {
 *         middleware_sink @events batch=200 flush=1s buffer=1m;
 *         location @events { proxy_pass http://collector; }
 *     }
 *
 * The runtime's sink.send(event) hands one line to the module through a
 * detached subrequest of the detached request F, "/.middleware/sink",
 * which a server rewrite phase handler of ours takes (before any
 * "rewrite" or "return", and before a location is chosen) and answers at
 * once: the line is copied into the worker's buffer of that server's
 * sink and F owes nothing more.  So an event costs one subrequest and a
 * copy, where event.waitUntil(ngx.fetch()) keeps F (a request and an
 * njs VM) alive for a connection and a round trip per event, and sheds
 * once middleware_background_max detached requests wait.
 *
 * The buffer is sent as one POST (newline-delimited lines, Content-Type
 * application/x-ndjson, X-Middleware-Events: N) to the sink's named
 * location, run as a request of our own on a fake connection, like F but
 * made from nothing: when "batch" lines wait, or "flush" after the first
 * one.  One batch is in flight per sink and worker; lines that arrive
 * meanwhile wait in the buffer (counted by sink_waiting), a line that
 * finds the buffer full is dropped, logged and counted.  Memory is
 * bounded by twice "buffer" per sink and worker: the buffer and the
 * batch in flight.
 *
 * Every line ends counted once: delivered (the location answered 2xx),
 * failed (any other status, or the batch request failed), dropped (the
 * buffer was full, the line was invalid, the server has no sink, the
 * worker stopped fast with lines buffered).  The flush timer is not
 * cancelable: a graceful quit or reload sends what is buffered, at most
 * "flush" later; worker_shutdown_timeout cancels a batch in flight.
 */


#define NGX_HTTP_MIDDLEWARE_SINK_URI  "/.middleware/sink"


struct ngx_http_middleware_sink_s {
    ngx_str_t                       name;          /* "@events" */
    ngx_str_t                       uri;           /* of the batch request */
    ngx_http_core_srv_conf_t       *cscf;          /* its server */
    ngx_http_conf_ctx_t            *conf_ctx;      /* ... configuration */
    ngx_http_core_loc_conf_t       *location;      /* resolved */
    size_t                          size;          /* buffer= */
    ngx_uint_t                      batch;         /* batch= */
    ngx_msec_t                      interval;      /* flush= */
    ngx_str_t                       file;          /* where it was set */
    ngx_uint_t                      line;

    /* per worker */
    u_char                         *start;         /* the buffer */
    u_char                         *last;
    ngx_uint_t                      events;        /* lines in it */
    ngx_uint_t                      dropped;       /* since the last warn */
    ngx_uint_t                      sending;       /* lines in flight */
    ngx_http_request_t             *flush;         /* the batch request */
    ngx_event_t                     timer;         /* flush= */
    ngx_event_t                     post;          /* flush now */
};


typedef struct {
    ngx_http_connection_t           hc;            /* must be first */
    ngx_http_middleware_sink_t     *sink;
    ngx_http_addr_conf_t            addr_conf;
    struct sockaddr_in              sin;
} ngx_http_middleware_sink_conn_t;


static ngx_int_t ngx_http_middleware_sink_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_middleware_sink_accept(ngx_http_request_t *r,
    ngx_http_middleware_fake_t *fake, ngx_http_middleware_sink_t *sink);
static void ngx_http_middleware_sink_event(ngx_event_t *ev);
static void ngx_http_middleware_sink_flush(ngx_http_middleware_sink_t *sink);
static ngx_http_request_t *ngx_http_middleware_sink_request(
    ngx_http_middleware_sink_t *sink, ngx_log_t *log);
static ngx_int_t ngx_http_middleware_sink_header(ngx_http_request_t *r,
    ngx_str_t *key, ngx_str_t *value, ngx_table_elt_t **ph);
static void ngx_http_middleware_sink_done(void *data);
static void ngx_http_middleware_sink_conn_handler(ngx_event_t *ev);
static u_char *ngx_http_middleware_sink_log_error(ngx_log_t *log, u_char *buf,
    size_t len);


static ngx_str_t  ngx_http_middleware_sink_uri =
    ngx_string(NGX_HTTP_MIDDLEWARE_SINK_URI);


/* middleware_sink @name [batch=N] [flush=TIME] [buffer=SIZE] [uri=URI] */

char *
ngx_http_middleware_sink_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_middleware_main_conf_t *mmcf = conf;

    ngx_str_t                    *value, s;
    ngx_int_t                     n;
    ngx_uint_t                    i;
    ngx_msec_t                    ms;
    ngx_http_core_srv_conf_t     *cscf;
    ngx_http_middleware_sink_t   *sink, **psink;

    value = cf->args->elts;
    cscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module);

    psink = mmcf->sinks.elts;

    for (i = 0; i < mmcf->sinks.nelts; i++) {
        if (psink[i]->cscf == cscf) {
            return "is duplicate";
        }
    }

    if (value[1].len < 2 || value[1].data[0] != '@') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid middleware_sink location \"%V\": a "
                           "named location such as \"@events\" is expected",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    sink = ngx_pcalloc(cf->pool, sizeof(ngx_http_middleware_sink_t));
    if (sink == NULL) {
        return NGX_CONF_ERROR;
    }

    sink->name = value[1];
    sink->cscf = cscf;
    sink->conf_ctx = cf->ctx;
    sink->file = cf->conf_file->file.name;
    sink->line = cf->conf_file->line;
    sink->size = 1024 * 1024;
    sink->batch = 200;
    sink->interval = 1000;
    ngx_str_set(&sink->uri, "/");

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "batch=", 6) == 0) {
            n = ngx_atoi(value[i].data + 6, value[i].len - 6);
            if (n == NGX_ERROR || n == 0) {
                goto invalid;
            }

            sink->batch = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "flush=", 6) == 0) {
            s.data = value[i].data + 6;
            s.len = value[i].len - 6;

            ms = ngx_parse_time(&s, 0);
            if (ms == (ngx_msec_t) NGX_ERROR || ms == 0) {
                goto invalid;
            }

            sink->interval = ms;
            continue;
        }

        if (ngx_strncmp(value[i].data, "buffer=", 7) == 0) {
            s.data = value[i].data + 7;
            s.len = value[i].len - 7;

            n = ngx_parse_size(&s);
            if (n == NGX_ERROR || n < 1024) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid middleware_sink buffer \"%V\": "
                                   "at least 1k", &s);
                return NGX_CONF_ERROR;
            }

            sink->size = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "uri=", 4) == 0) {
            sink->uri.data = value[i].data + 4;
            sink->uri.len = value[i].len - 4;

            if (sink->uri.len == 0 || sink->uri.data[0] != '/') {
                goto invalid;
            }

            for (n = 0; n < (ngx_int_t) sink->uri.len; n++) {
                if (sink->uri.data[n] <= ' ' || sink->uri.data[n] == 0x7f) {
                    goto invalid;
                }
            }

            continue;
        }

        goto invalid;
    }

    psink = ngx_array_push(&mmcf->sinks);
    if (psink == NULL) {
        return NGX_CONF_ERROR;
    }

    *psink = sink;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid middleware_sink parameter \"%V\"", &value[i]);

    return NGX_CONF_ERROR;
}


/* postconfiguration: each sink's named location, and our phase handler */

ngx_int_t
ngx_http_middleware_sink_init(ngx_conf_t *cf)
{
    ngx_uint_t                        i;
    ngx_http_handler_pt              *h;
    ngx_http_core_loc_conf_t        **clcfp;
    ngx_http_core_main_conf_t        *cmcf;
    ngx_http_middleware_sink_t      **psink, *sink;
    ngx_http_middleware_main_conf_t  *mmcf;

    mmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_middleware_module);

    psink = mmcf->sinks.elts;

    for (i = 0; i < mmcf->sinks.nelts; i++) {
        sink = psink[i];

        clcfp = sink->cscf->named_locations;

        for ( /* void */ ; clcfp && *clcfp; clcfp++) {
            if (sink->name.len == (*clcfp)->name.len
                && ngx_strncmp(sink->name.data, (*clcfp)->name.data,
                               sink->name.len)
                   == 0)
            {
                break;
            }
        }

        if (clcfp == NULL || *clcfp == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "middleware_sink location \"%V\" not found in "
                          "server \"%V\", in %V:%ui", &sink->name,
                          &sink->cscf->server_name, &sink->file,
                          sink->line);
            return NGX_ERROR;
        }

        if ((*clcfp)->handler == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "middleware_sink location \"%V\" has no content "
                          "handler: add \"proxy_pass\" (or \"js_content\") "
                          "to it, in %V:%ui", &sink->name, &sink->file,
                          sink->line);
            return NGX_ERROR;
        }

        sink->location = *clcfp;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_SERVER_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_middleware_sink_handler;

    return NGX_OK;
}


void
ngx_http_middleware_sink_init_worker(ngx_cycle_t *cycle)
{
    ngx_uint_t                        i;
    ngx_http_middleware_sink_t      **psink, *sink;
    ngx_http_middleware_main_conf_t  *mmcf;

    mmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_middleware_module);
    psink = mmcf->sinks.elts;

    for (i = 0; i < mmcf->sinks.nelts; i++) {
        sink = psink[i];

        sink->timer.handler = ngx_http_middleware_sink_event;
        sink->timer.data = sink;
        sink->timer.log = cycle->log;
        sink->post = sink->timer;
    }
}


/*
 * the worker exits (a fast stop, or the end of a graceful one after
 * worker_shutdown_timeout): what is still buffered is lost, counted
 */

void
ngx_http_middleware_sink_exit_worker(ngx_cycle_t *cycle)
{
    ngx_uint_t                        i;
    ngx_http_middleware_sink_t      **psink, *sink;
    ngx_http_middleware_main_conf_t  *mmcf;

    mmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_middleware_module);
    if (mmcf == NULL) {
        return;
    }

    psink = mmcf->sinks.elts;

    for (i = 0; i < mmcf->sinks.nelts; i++) {
        sink = psink[i];

        if (sink->events) {
            ngx_log_error(NGX_LOG_WARN, cycle->log, 0,
                          "middleware_sink \"%V\": worker exit drops %ui "
                          "buffered event(s)", &sink->name, sink->events);

            ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_SINK_DROPPED,
                                      sink->events);
            ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_SINK_WAITING,
                                      -(ngx_atomic_int_t) sink->events);
            sink->events = 0;
        }

        if (sink->start) {
            ngx_free(sink->start);
            sink->start = NULL;
        }
    }
}


/* the server rewrite phase: a subrequest of F handing over one line */

static ngx_int_t
ngx_http_middleware_sink_handler(ngx_http_request_t *r)
{
    ngx_uint_t                        i;
    ngx_http_core_srv_conf_t         *cscf;
    ngx_http_middleware_fake_t       *fake;
    ngx_http_middleware_sink_t      **psink, *sink;
    ngx_http_middleware_main_conf_t  *mmcf;

    if (r == r->main
        || r->uri.len != ngx_http_middleware_sink_uri.len
        || ngx_strncmp(r->uri.data, ngx_http_middleware_sink_uri.data,
                       r->uri.len)
           != 0)
    {
        return NGX_DECLINED;
    }

    /* only F's subrequests reach the sink: clients never do */

    fake = ngx_http_middleware_fake(r->main);
    if (fake == NULL) {
        return NGX_DECLINED;
    }

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_middleware_module);
    cscf = ngx_http_get_module_srv_conf(r, ngx_http_core_module);

    sink = NULL;
    psink = mmcf->sinks.elts;

    for (i = 0; i < mmcf->sinks.nelts; i++) {
        if (psink[i]->cscf == cscf) {
            sink = psink[i];
            break;
        }
    }

    return ngx_http_middleware_sink_accept(r, fake, sink);
}


static ngx_int_t
ngx_http_middleware_sink_accept(ngx_http_request_t *r,
    ngx_http_middleware_fake_t *fake, ngx_http_middleware_sink_t *sink)
{
    size_t        len;
    u_char       *p;
    ngx_chain_t  *cl;

    len = 0;

    if (r->request_body) {
        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            if (cl->buf->in_file) {
                len = 0;
                break;
            }

            len += cl->buf->last - cl->buf->pos;
        }
    }

    if (sink == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "middleware: sink.send() of request \"%V\" without a "
                      "\"middleware_sink\" in this server: event dropped",
                      ngx_http_middleware_request_id(fake));
        ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_SINK_DROPPED, 1);
        return NGX_HTTP_NOT_FOUND;
    }

    if (len == 0 || len >= sink->size) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "middleware_sink \"%V\": event of request \"%V\" "
                      "dropped: %uz bytes, it must be 1 to %uz",
                      &sink->name, ngx_http_middleware_request_id(fake), len,
                      sink->size - 1);
        ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_SINK_DROPPED, 1);
        return NGX_HTTP_BAD_REQUEST;
    }

    if (sink->start == NULL) {
        sink->start = ngx_alloc(sink->size, ngx_cycle->log);
        if (sink->start == NULL) {
            ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_SINK_DROPPED, 1);
            return NGX_HTTP_SERVICE_UNAVAILABLE;
        }

        sink->last = sink->start;
    }

    if ((size_t) (sink->start + sink->size - sink->last) < len + 1) {
        if (sink->dropped++ == 0) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "middleware_sink \"%V\": buffer full (%uz bytes, "
                          "%ui event(s) waiting, %ui in flight), events "
                          "dropped until it drains", &sink->name,
                          sink->size, sink->events, sink->sending);
        }

        ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_SINK_DROPPED, 1);
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    p = sink->last;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    /* one event, one line: the runtime checks it, so do we */

    if (memchr(sink->last, LF, len) || memchr(sink->last, CR, len)) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "middleware_sink \"%V\": event of request \"%V\" "
                      "dropped: it contains a line break", &sink->name,
                      ngx_http_middleware_request_id(fake));
        ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_SINK_DROPPED, 1);
        return NGX_HTTP_BAD_REQUEST;
    }

    *p++ = LF;
    sink->last = p;
    sink->events++;

    ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_SINK_QUEUED, 1);
    ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_SINK_WAITING, 1);

    if (sink->flush == NULL) {
        if (sink->events >= sink->batch) {
            /* never from inside F's subrequest */
            if (!sink->post.posted) {
                ngx_post_event(&sink->post, &ngx_posted_events);
            }

        } else if (!sink->timer.timer_set) {
            /* not cancelable: a graceful shutdown sends what is buffered */
            ngx_add_timer(&sink->timer, sink->interval);
        }
    }

    return NGX_HTTP_NO_CONTENT;
}


static void
ngx_http_middleware_sink_event(ngx_event_t *ev)
{
    ngx_http_middleware_sink_flush(ev->data);
}


static void
ngx_http_middleware_sink_flush(ngx_http_middleware_sink_t *sink)
{
    ngx_connection_t    *fc;
    ngx_http_request_t  *fr;

    if (sink->flush || sink->events == 0) {
        return;
    }

    if (sink->timer.timer_set) {
        ngx_del_timer(&sink->timer);
    }

    fr = ngx_http_middleware_sink_request(sink, ngx_cycle->log);

    if (fr == NULL) {
        /* no memory or no free connection: try again later */
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "middleware_sink \"%V\": could not start a batch of "
                      "%ui event(s), retrying in %M ms", &sink->name,
                      sink->events, sink->interval);
        ngx_add_timer(&sink->timer, sink->interval);
        return;
    }

    ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_SINK_BATCHES, 1);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, fr->connection->log, 0,
                   "http middleware sink \"%V\": %ui event(s)",
                   &sink->name, sink->sending);

    /* fr lives in fc's pool: once finalized, only fc may be used */
    fc = fr->connection;

    fr->count++;
    fr->phase_handler = ngx_http_middleware_content_phase();
    fr->write_event_handler = ngx_http_core_run_phases;

    ngx_http_update_location_config(fr);
    ngx_http_core_run_phases(fr);

    ngx_http_finalize_request(fr, NGX_DONE);
    ngx_http_run_posted_requests(fc);
}


/* the batch request: a POST of the buffer to the sink's location */

static ngx_http_request_t *
ngx_http_middleware_sink_request(ngx_http_middleware_sink_t *sink,
    ngx_log_t *parent)
{
    size_t                            len;
    ngx_buf_t                        *b;
    ngx_str_t                         key, value;
    ngx_connection_t                 *fc;
    ngx_http_request_t               *fr;
    ngx_pool_cleanup_t               *cln;
    ngx_http_middleware_sink_conn_t  *sc;
    u_char                            buf[NGX_INT_T_LEN];

    fc = ngx_http_middleware_connection(parent,
                                        ngx_http_middleware_sink_log_error,
                                        ngx_http_middleware_sink_conn_handler);
    if (fc == NULL) {
        return NULL;
    }

    sc = ngx_pcalloc(fc->pool, sizeof(ngx_http_middleware_sink_conn_t));
    if (sc == NULL) {
        goto failed;
    }

    fc->type = SOCK_STREAM;

    /* no client: the batch comes from this worker */

    sc->sin.sin_family = AF_INET;
    sc->sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fc->sockaddr = (struct sockaddr *) &sc->sin;
    fc->socklen = sizeof(struct sockaddr_in);
    fc->local_sockaddr = fc->sockaddr;
    fc->local_socklen = fc->socklen;
    ngx_str_set(&fc->addr_text, "127.0.0.1");

    sc->sink = sink;
    sc->addr_conf.default_server = sink->cscf;
    sc->hc.addr_conf = &sc->addr_conf;
    sc->hc.conf_ctx = sink->conf_ctx;

    fr = ngx_http_middleware_request(fc, &sc->hc, sink->conf_ctx->main_conf,
                                     sink->conf_ctx->srv_conf,
                                     sink->location->loc_conf,
                                     sink->cscf->request_pool_size);
    if (fr == NULL) {
        goto failed;
    }

    fr->method = NGX_HTTP_POST;
    ngx_str_set(&fr->method_name, "POST");
    fr->http_version = NGX_HTTP_VERSION_11;
    ngx_str_set(&fr->http_protocol, "HTTP/1.1");
    fr->uri = sink->uri;
    fr->unparsed_uri = sink->uri;
    fr->valid_unparsed_uri = 1;
    fr->request_line = sink->name;
    fr->headers_in.server = sink->cscf->server_name;

    /* the body: the buffer, copied, so that new lines can arrive */

    len = sink->last - sink->start;

    b = ngx_create_temp_buf(fr->pool, len);
    if (b == NULL) {
        goto failed_request;
    }

    b->last = ngx_cpymem(b->pos, sink->start, len);
    b->last_buf = 1;

    fr->request_body->bufs = ngx_alloc_chain_link(fr->pool);
    if (fr->request_body->bufs == NULL) {
        goto failed_request;
    }

    fr->request_body->bufs->buf = b;
    fr->request_body->bufs->next = NULL;
    fr->request_body->rest = 0;
    fr->headers_in.content_length_n = len;

    ngx_str_set(&key, "Content-Type");
    ngx_str_set(&value, "application/x-ndjson");

    if (ngx_http_middleware_sink_header(fr, &key, &value,
                                        &fr->headers_in.content_type)
        != NGX_OK)
    {
        goto failed_request;
    }

    ngx_str_set(&key, "Content-Length");
    value.data = buf;
    value.len = ngx_sprintf(buf, "%uz", len) - buf;

    if (ngx_http_middleware_sink_header(fr, &key, &value,
                                        &fr->headers_in.content_length)
        != NGX_OK)
    {
        goto failed_request;
    }

    ngx_str_set(&key, "X-Middleware-Events");
    value.len = ngx_sprintf(buf, "%ui", sink->events) - buf;

    if (ngx_http_middleware_sink_header(fr, &key, &value, NULL) != NGX_OK) {
        goto failed_request;
    }

    cln = ngx_pool_cleanup_add(fr->pool, 0);
    if (cln == NULL) {
        goto failed_request;
    }

    cln->handler = ngx_http_middleware_sink_done;
    cln->data = fr;

    /* the lines are the batch's now */

    sink->flush = fr;
    sink->sending = sink->events;
    sink->events = 0;
    sink->last = sink->start;

    return fr;

failed_request:

    ngx_destroy_pool(fr->pool);

failed:

    ngx_http_close_connection(fc);

    return NULL;
}


static ngx_int_t
ngx_http_middleware_sink_header(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *value, ngx_table_elt_t **ph)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_in.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->key = *key;
    h->value.data = ngx_pstrdup(r->pool, value);
    h->value.len = value->len;
    h->lowcase_key = ngx_pnalloc(r->pool, key->len);

    if (h->value.data == NULL || h->lowcase_key == NULL) {
        return NGX_ERROR;
    }

    h->hash = ngx_hash_strlow(h->lowcase_key, key->data, key->len);
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    if (ph) {
        *ph = h;
    }

    return NGX_OK;
}


/* the batch request ended (its pool is being destroyed): count it */

static void
ngx_http_middleware_sink_done(void *data)
{
    ngx_http_request_t *fr = data;

    ngx_uint_t                        status;
    ngx_http_middleware_sink_t       *sink;
    ngx_http_middleware_sink_conn_t  *sc;

    sc = (ngx_http_middleware_sink_conn_t *) fr->http_connection;
    sink = sc->sink;

    status = fr->headers_out.status;

    if (status >= NGX_HTTP_OK && status < NGX_HTTP_SPECIAL_RESPONSE
        && !fr->connection->error)
    {
        ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_SINK_DELIVERED,
                                  sink->sending);

    } else {
        ngx_log_error(NGX_LOG_ERR, fr->connection->log, 0,
                      "middleware_sink \"%V\": batch of %ui event(s) not "
                      "delivered (status %ui)%s", &sink->name, sink->sending,
                      status, fr->connection->close ? ", cancelled by worker "
                      "shutdown" : "");

        ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_SINK_FAILED,
                                  sink->sending);
    }

    ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_SINK_WAITING,
                              -(ngx_atomic_int_t) sink->sending);

    if (sink->dropped) {
        ngx_log_error(NGX_LOG_WARN, fr->connection->log, 0,
                      "middleware_sink \"%V\": %ui event(s) were dropped "
                      "while the buffer was full", &sink->name,
                      sink->dropped);
        sink->dropped = 0;
    }

    sink->sending = 0;
    sink->flush = NULL;

    if (sink->events == 0) {
        return;
    }

    /* the next batch, never from inside this one's finalization */

    if (sink->events >= sink->batch || ngx_exiting || ngx_quit) {
        if (!sink->post.posted) {
            ngx_post_event(&sink->post, &ngx_posted_events);
        }

    } else if (!sink->timer.timer_set) {
        ngx_add_timer(&sink->timer, sink->interval);
    }
}


/*
 * the fake connection is never in the event loop: its handlers run when
 * nginx walks all connections (worker_shutdown_timeout closes them)
 */

static void
ngx_http_middleware_sink_conn_handler(ngx_event_t *ev)
{
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    c = ev->data;
    r = c->data;

    if (c->close) {
        c->error = 1;
        ngx_http_finalize_request(r, NGX_ERROR);

    } else if (ev->write) {
        r->write_event_handler(r);

    } else {
        r->read_event_handler(r);
    }

    ngx_http_run_posted_requests(c);
}


static u_char *
ngx_http_middleware_sink_log_error(ngx_log_t *log, u_char *buf, size_t len)
{
    ngx_http_request_t               *r;
    ngx_http_middleware_sink_conn_t  *sc;

    buf = ngx_http_middleware_log_action(log, buf, &len, &r);

    if (r == NULL) {
        return buf;
    }

    sc = (ngx_http_middleware_sink_conn_t *) r->http_connection;

    return ngx_snprintf(buf, len, ", server: %V, context: middleware_sink "
                        "\"%V\"", &sc->sink->cscf->server_name,
                        &sc->sink->name);
}
