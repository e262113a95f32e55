
/*
 * Copyright (C) ngx_http_middleware_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_middleware_common.h"


/*
 * The outcome of the client request R, for the background code on the
 * detached request F (event.outcome, after(function (outcome) {...})).
 *
 * The channel is a subrequest of F.  The runtime asks with
 * r.subrequest("/.middleware/outcome"), which njs turns into a promise; a
 * server rewrite phase handler of ours takes every such subrequest of a
 * detached request (before any "rewrite" or "return" of the server, and
 * before a location is chosen) and parks it: it returns NGX_DONE and keeps
 * nothing but a pointer.  R's log phase (it runs exactly once per request,
 * at the end of its life, whatever ended it: the last byte sent, an error
 * page, an internal redirect's final answer, a client abort, an HTTP/2
 * stream reset) renders the outcome as JSON into F's pool and posts an
 * event to F; the event answers the parked subrequest.  So:
 *
 *   - R never waits: its log phase copies a few numbers and posts an
 *     event, R's connection and pool go as usual;
 *   - nothing polls: F sleeps in njs until the event fires;
 *   - F's side (the answer, the parked subrequest, the posted event) lives
 *     in F's pool, with a cleanup: if F is shed, cancelled or ends before
 *     R has logged, its pool takes all of it, nothing is left waiting;
 *   - E only gets one bit ("outcome recorded"): E's lifetime rules (the
 *     last of R and F frees it) are unchanged.  R's side never keeps a
 *     pointer into F's pool beyond E->fake, which F's cleanup clears.
 *
 * The answer passes through our filters as a subrequest of F: a
 * subrequest has no http_connection of its own, so it is not taken for F
 * (whose output is the decision) but passed on as any subrequest; njs
 * reads it from memory (NGX_HTTP_SUBREQUEST_IN_MEMORY), nothing reaches
 * F's fake connection.
 * Its size is bounded (the URI and the upstream list are capped) to stay
 * below subrequest_output_buffer_size (one page by default).
 */


#define NGX_HTTP_MIDDLEWARE_OUTCOME_URI        "/.middleware/outcome"
#define NGX_HTTP_MIDDLEWARE_OUTCOME_URI_MAX    256
#define NGX_HTTP_MIDDLEWARE_OUTCOME_ADDR_MAX   64
#define NGX_HTTP_MIDDLEWARE_OUTCOME_PEERS      8


struct ngx_http_middleware_outcome_s {
    ngx_str_t                       json;          /* in F's pool */
    ngx_http_request_t             *sr;            /* parked subrequest */
    ngx_http_middleware_fake_t     *fake;          /* F's side */
    ngx_connection_t               *connection;    /* F's */
    ngx_event_t                     event;         /* answers sr */
    unsigned                        ready:1;
};


static ngx_int_t ngx_http_middleware_outcome_log_handler(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_middleware_outcome_handler(ngx_http_request_t *r);
static ngx_http_middleware_outcome_t *ngx_http_middleware_outcome_get(
    ngx_http_middleware_fake_t *fake);
static ngx_int_t ngx_http_middleware_outcome_render(ngx_http_request_t *r,
    ngx_http_middleware_ctx_t *ctx, ngx_pool_t *pool, ngx_str_t *json);
static u_char *ngx_http_middleware_outcome_string(u_char *p, ngx_str_t *s,
    size_t max);
static ngx_int_t ngx_http_middleware_outcome_send(ngx_http_request_t *sr,
    ngx_http_middleware_outcome_t *out);
static void ngx_http_middleware_outcome_event(ngx_event_t *ev);
static void ngx_http_middleware_outcome_cleanup(void *data);


static ngx_str_t  ngx_http_middleware_outcome_uri =
    ngx_string(NGX_HTTP_MIDDLEWARE_OUTCOME_URI);


ngx_int_t
ngx_http_middleware_outcome_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_middleware_outcome_log_handler;

    /* registered after the rewrite module's: runs before it */

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_SERVER_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_middleware_outcome_handler;

    return NGX_OK;
}


static ngx_int_t
ngx_http_middleware_outcome_log_handler(ngx_http_request_t *r)
{
    ngx_http_middleware_ctx_t  *ctx;

    if (r != r->main || ngx_http_middleware_fake(r)) {
        return NGX_OK;
    }

    ctx = ngx_http_middleware_get_ctx(r);

    if (ctx) {
        ngx_http_middleware_outcome_record(ctx);
    }

    return NGX_OK;
}


/*
 * called in R's log phase, and from R's pool cleanup in case R ended
 * without one: the first call records, later calls do nothing
 */

void
ngx_http_middleware_outcome_record(ngx_http_middleware_ctx_t *ctx)
{
    ngx_http_request_t             *r;
    ngx_http_middleware_fake_t     *fake;
    ngx_http_middleware_outcome_t  *out;

    r = ctx->request;

    if (ctx->outcome || r == NULL) {
        return;
    }

    ctx->outcome = 1;

    fake = ctx->fake;

    if (fake == NULL) {
        /* F has ended: nobody can ask any more */
        return;
    }

    /* F goes on after R: its later log lines still name R */
    (void) ngx_http_middleware_request_id(fake);

    out = ngx_http_middleware_outcome_get(fake);
    if (out == NULL) {
        return;
    }

    if (ngx_http_middleware_outcome_render(r, ctx, fake->request->pool,
                                           &out->json)
        != NGX_OK)
    {
        ngx_str_null(&out->json);
    }

    out->ready = 1;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "http middleware outcome: %V", &out->json);

    /* F answers from its own event, never inside R's finalization */

    if (out->sr && !out->event.posted) {
        ngx_post_event(&out->event, &ngx_posted_events);
    }
}


/* the server rewrite phase: a subrequest of F asking for the outcome */

static ngx_int_t
ngx_http_middleware_outcome_handler(ngx_http_request_t *r)
{
    ngx_http_middleware_fake_t     *fake;
    ngx_http_middleware_outcome_t  *out;

    if (r == r->main) {
        return NGX_DECLINED;
    }

    /* a subrequest has no http_connection of its own: ask its main */

    fake = ngx_http_middleware_fake(r->main);

    if (fake == NULL
        || r->uri.len != ngx_http_middleware_outcome_uri.len
        || ngx_strncmp(r->uri.data, ngx_http_middleware_outcome_uri.data,
                       r->uri.len)
           != 0)
    {
        return NGX_DECLINED;
    }

    out = ngx_http_middleware_outcome_get(fake);
    if (out == NULL) {
        return NGX_ERROR;
    }

    if (out->sr == r) {
        /* parked, run again by a posted request */
        return NGX_DONE;
    }

    if (out->ready || fake->ctx == NULL || fake->ctx->request == NULL) {
        return ngx_http_middleware_outcome_send(r, out);
    }

    if (out->sr) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "middleware: the outcome is already awaited by "
                      "another subrequest");
        r->headers_out.status = NGX_HTTP_CONFLICT;
        ngx_str_null(&r->headers_out.content_type);

        return ngx_http_middleware_outcome_send(r, NULL);
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "http middleware outcome awaited");

    out->sr = r;
    r->write_event_handler = ngx_http_request_empty_handler;

    return NGX_DONE;
}


/* F's outcome slot, created on first use in F's pool */

static ngx_http_middleware_outcome_t *
ngx_http_middleware_outcome_get(ngx_http_middleware_fake_t *fake)
{
    ngx_pool_cleanup_t             *cln;
    ngx_http_middleware_outcome_t  *out;

    if (fake->outcome) {
        return fake->outcome;
    }

    out = ngx_pcalloc(fake->request->pool,
                      sizeof(ngx_http_middleware_outcome_t));
    if (out == NULL) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(fake->request->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_middleware_outcome_cleanup;
    cln->data = out;

    out->fake = fake;
    out->connection = fake->request->connection;
    out->event.handler = ngx_http_middleware_outcome_event;
    out->event.data = out;
    out->event.log = fake->request->connection->log;

    fake->outcome = out;

    return out;
}


/*
 * {"requestId":"...","status":200,"bytesSent":N,"bodyBytesSent":N,
 *  "requestTime":MS,"upstreamStatus":N|null,"upstreamResponseTime":MS|null,
 *  "upstreams":[{"addr":"...","status":N|null,"responseTime":MS|null}],
 *  "action":"next","middlewareTime":MS|null,"aborted":false,"uri":"..."}
 *
 * the same values as $request_id, $status, $bytes_sent, $body_bytes_sent,
 * $request_time (in ms), $upstream_addr/_status/_response_time (the last
 * answer; the list keeps the last tries), $middleware_action and
 * $middleware_time; aborted: the client went away (a connection error,
 * a reset stream, status 499)
 */

static ngx_int_t
ngx_http_middleware_outcome_render(ngx_http_request_t *r,
    ngx_http_middleware_ctx_t *ctx, ngx_pool_t *pool, ngx_str_t *json)
{
    u_char                     *p;
    size_t                      len;
    off_t                       body;
    ngx_str_t                   s;
    ngx_int_t                   last_status;
    ngx_msec_t                  last_time;
    ngx_uint_t                  status, i, n, first, aborted;
    ngx_time_t                 *tp;
    const char                 *action;
    ngx_msec_int_t              ms;
    ngx_http_upstream_state_t  *state;

    if (r->err_status) {
        status = r->err_status;

    } else if (r->headers_out.status) {
        status = r->headers_out.status;

    } else if (r->http_version == NGX_HTTP_VERSION_9) {
        status = 9;

    } else {
        status = 0;
    }

    tp = ngx_timeofday();
    ms = (ngx_msec_int_t)
             ((tp->sec - r->start_sec) * 1000 + (tp->msec - r->start_msec));
    ms = ngx_max(ms, 0);

    body = r->connection->sent - r->header_size;
    body = ngx_max(body, 0);

    aborted = r->connection->error
              || status == NGX_HTTP_CLIENT_CLOSED_REQUEST;

    if (ctx->timed_out) {
        action = "timeout";

    } else if (ctx->failed) {
        action = "error";

    } else if (ctx->state == NGX_HTTP_MIDDLEWARE_RUNNING) {
        action = "running";

    } else {
        action = mw_decision_kind_name(ctx->decision.kind);
    }

    /* the tries worth listing: separators (no peer, no status) skipped */

    state = NULL;
    first = 0;
    last_status = -1;
    last_time = (ngx_msec_t) -1;

    if (r->upstream_states && r->upstream_states->nelts) {
        state = r->upstream_states->elts;

        for (i = r->upstream_states->nelts, n = 0; i > 0; i--) {
            if (state[i - 1].peer == NULL && state[i - 1].status == 0) {
                continue;
            }

            if (last_status == -1 && state[i - 1].status) {
                last_status = state[i - 1].status;
                last_time = state[i - 1].response_time;
            }

            if (n < NGX_HTTP_MIDDLEWARE_OUTCOME_PEERS) {
                first = i - 1;
                n++;
            }
        }

        if (n == 0) {
            state = NULL;
        }
    }

    len = sizeof("{\"requestId\":\"\",\"status\":,\"bytesSent\":,"
                 "\"bodyBytesSent\":,\"requestTime\":,\"upstreamStatus\":,"
                 "\"upstreamResponseTime\":,\"upstreams\":[],\"action\":\"\","
                 "\"middlewareTime\":,\"aborted\":false,\"uri\":\"\"}")
          + sizeof(ctx->request_id) * 6
          + NGX_INT_T_LEN + 2 * NGX_OFF_T_LEN + 4 * NGX_TIME_T_LEN
          + ngx_strlen(action)
          + NGX_HTTP_MIDDLEWARE_OUTCOME_URI_MAX * 6
          + NGX_HTTP_MIDDLEWARE_OUTCOME_PEERS
            * (sizeof(",{\"addr\":\"\",\"status\":,\"responseTime\":}")
               + NGX_HTTP_MIDDLEWARE_OUTCOME_ADDR_MAX * 6
               + NGX_INT_T_LEN + NGX_TIME_T_LEN);

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    json->data = p;

    /* read by ngx_http_middleware_outcome_record() */

    s.data = ctx->request_id;
    s.len = ctx->request_id_len;

    p = ngx_cpymem(p, "{\"requestId\":", sizeof("{\"requestId\":") - 1);
    p = ngx_http_middleware_outcome_string(p, &s, sizeof(ctx->request_id));

    p = ngx_sprintf(p, ",\"status\":%ui,\"bytesSent\":%O,"
                    "\"bodyBytesSent\":%O,\"requestTime\":%M",
                    status, r->connection->sent, body, (ngx_msec_t) ms);

    if (last_status != -1) {
        p = ngx_sprintf(p, ",\"upstreamStatus\":%i", last_status);

    } else {
        p = ngx_cpymem(p, ",\"upstreamStatus\":null",
                       sizeof(",\"upstreamStatus\":null") - 1);
    }

    if (last_status != -1 && last_time != (ngx_msec_t) -1) {
        p = ngx_sprintf(p, ",\"upstreamResponseTime\":%M", last_time);

    } else {
        p = ngx_cpymem(p, ",\"upstreamResponseTime\":null",
                       sizeof(",\"upstreamResponseTime\":null") - 1);
    }

    p = ngx_cpymem(p, ",\"upstreams\":[", sizeof(",\"upstreams\":[") - 1);

    if (state) {
        for (i = first; i < r->upstream_states->nelts; i++) {
            if (state[i].peer == NULL && state[i].status == 0) {
                continue;
            }

            if (i != first) {
                *p++ = ',';
            }

            p = ngx_cpymem(p, "{\"addr\":", sizeof("{\"addr\":") - 1);

            if (state[i].peer) {
                p = ngx_http_middleware_outcome_string(p, state[i].peer,
                                        NGX_HTTP_MIDDLEWARE_OUTCOME_ADDR_MAX);

            } else {
                p = ngx_cpymem(p, "null", 4);
            }

            if (state[i].status) {
                p = ngx_sprintf(p, ",\"status\":%ui", state[i].status);

            } else {
                p = ngx_cpymem(p, ",\"status\":null",
                               sizeof(",\"status\":null") - 1);
            }

            if (state[i].response_time != (ngx_msec_t) -1) {
                p = ngx_sprintf(p, ",\"responseTime\":%M}",
                                state[i].response_time);

            } else {
                p = ngx_cpymem(p, ",\"responseTime\":null}",
                               sizeof(",\"responseTime\":null}") - 1);
            }
        }
    }

    p = ngx_sprintf(p, "],\"action\":\"%s\"", action);

    if (ctx->state != NGX_HTTP_MIDDLEWARE_RUNNING) {
        p = ngx_sprintf(p, ",\"middlewareTime\":%M", ctx->elapsed);

    } else {
        p = ngx_cpymem(p, ",\"middlewareTime\":null",
                       sizeof(",\"middlewareTime\":null") - 1);
    }

    p = ngx_sprintf(p, ",\"aborted\":%s,\"uri\":",
                    aborted ? "true" : "false");

    len = NGX_HTTP_MIDDLEWARE_OUTCOME_URI_MAX;
    p = ngx_http_middleware_outcome_string(p, &r->uri, len);
    *p++ = '}';

    json->len = p - json->data;

    return NGX_OK;
}


/* a JSON string of at most max bytes of s, cut between UTF-8 sequences */

static u_char *
ngx_http_middleware_outcome_string(u_char *p, ngx_str_t *s, size_t max)
{
    size_t  len;

    len = s->len;

    if (len > max) {
        len = max;

        while (len && (s->data[len] & 0xc0) == 0x80) {
            len--;
        }
    }

    *p++ = '"';

    if (len) {
        p = (u_char *) ngx_escape_json(p, s->data, len);
    }

    *p++ = '"';

    return p;
}


/*
 * the answer; njs resolves the promise only for a subrequest finalized
 * with NGX_OK, so every answer, also a refusal, is a complete response
 */

static ngx_int_t
ngx_http_middleware_outcome_send(ngx_http_request_t *sr,
    ngx_http_middleware_outcome_t *out)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_str_t     body;
    ngx_chain_t   cl;

    static ngx_str_t  none = ngx_string("{\"error\":\"no outcome\"}");

    if (out && out->json.len) {
        body = out->json;
        sr->headers_out.status = NGX_HTTP_OK;

    } else {
        body = none;

        if (sr->headers_out.status == 0) {
            /* R has ended unrecorded, or no memory to render it */
            sr->headers_out.status = NGX_HTTP_SERVICE_UNAVAILABLE;
        }
    }

    ngx_str_set(&sr->headers_out.content_type, "application/json");
    sr->headers_out.content_type_len = sr->headers_out.content_type.len;
    sr->headers_out.content_length_n = body.len;

    rc = ngx_http_send_header(sr);

    if (rc == NGX_ERROR || rc > NGX_OK || sr->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(sr->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = body.data;
    b->last = body.data + body.len;
    b->memory = 1;
    b->last_in_chain = 1;

    cl.buf = b;
    cl.next = NULL;

    return ngx_http_output_filter(sr, &cl);
}


static void
ngx_http_middleware_outcome_event(ngx_event_t *ev)
{
    ngx_int_t                       rc;
    ngx_connection_t               *c;
    ngx_http_request_t             *sr;
    ngx_http_middleware_outcome_t  *out;

    out = ev->data;
    sr = out->sr;
    c = out->connection;

    if (sr == NULL) {
        return;
    }

    out->sr = NULL;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "http middleware outcome answered");

    sr->write_event_handler = ngx_http_core_run_phases;

    rc = ngx_http_middleware_outcome_send(sr, out);

    ngx_http_finalize_request(sr, rc);
    ngx_http_run_posted_requests(c);
}


/* F's pool goes: so do the parked subrequest and the answer */

static void
ngx_http_middleware_outcome_cleanup(void *data)
{
    ngx_http_middleware_outcome_t  *out = data;

    if (out->event.posted) {
        ngx_delete_posted_event(&out->event);
    }

    out->sr = NULL;
    out->fake->outcome = NULL;
}
