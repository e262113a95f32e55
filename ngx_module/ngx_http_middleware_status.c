
/*
 * Copyright (C) ngx_http_middleware_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_middleware_common.h"


/*
 * Counters and the middleware_status handler (Prometheus text format).
 *
 * The counters live in a small shared memory zone, so that the status page
 * shows the sum over all workers, whichever worker answers, and survives
 * reloads (a zone of the same name and size is kept by nginx).  A worker
 * that crashes cannot decrement the in-flight gauge: it may then stay
 * above zero.
 */


static ngx_int_t ngx_http_middleware_zone_init(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_middleware_status_handler(ngx_http_request_t *r);


/* used until the zone is attached, and when the module is not used */
static ngx_atomic_t  ngx_http_middleware_local[NGX_HTTP_MIDDLEWARE_NCOUNTERS];

ngx_atomic_t  *ngx_http_middleware_counters = ngx_http_middleware_local;


typedef struct {
    ngx_uint_t   counter;
    const char  *name;
    const char  *label;
} ngx_http_middleware_metric_t;


static ngx_http_middleware_metric_t  ngx_http_middleware_metrics[] = {
    { NGX_HTTP_MIDDLEWARE_RUNS, "runs_total", NULL },
    { NGX_HTTP_MIDDLEWARE_SKIPPED, "skipped_total", NULL },
    { NGX_HTTP_MIDDLEWARE_NEXT, "decisions_total", "action=\"next\"" },
    { NGX_HTTP_MIDDLEWARE_REWRITE, "decisions_total", "action=\"rewrite\"" },
    { NGX_HTTP_MIDDLEWARE_REDIRECT, "decisions_total",
      "action=\"redirect\"" },
    { NGX_HTTP_MIDDLEWARE_RESPONSE, "decisions_total",
      "action=\"response\"" },
    { NGX_HTTP_MIDDLEWARE_EXCEPTION, "errors_total", "reason=\"exception\"" },
    { NGX_HTTP_MIDDLEWARE_INVALID, "errors_total", "reason=\"invalid\"" },
    { NGX_HTTP_MIDDLEWARE_TIMEOUT, "errors_total", "reason=\"timeout\"" },
    { NGX_HTTP_MIDDLEWARE_PASS_THROUGH, "pass_through_total", NULL },
    { NGX_HTTP_MIDDLEWARE_ABORTED, "client_aborts_total", NULL },
    { NGX_HTTP_MIDDLEWARE_BG_STARTED, "background_total",
      "state=\"started\"" },
    { NGX_HTTP_MIDDLEWARE_BG_COMPLETED, "background_total",
      "state=\"completed\"" },
    { NGX_HTTP_MIDDLEWARE_BG_FAILED, "background_total",
      "state=\"failed\"" },
    { NGX_HTTP_MIDDLEWARE_BG_CANCELLED, "background_total",
      "state=\"cancelled\"" },
    { NGX_HTTP_MIDDLEWARE_BG_SHED, "background_total", "state=\"shed\"" },
    { NGX_HTTP_MIDDLEWARE_BG_UNDECIDED, "background_total",
      "state=\"undecided\"" },
    { NGX_HTTP_MIDDLEWARE_BG_IN_FLIGHT, "background_in_flight", NULL },
    { NGX_HTTP_MIDDLEWARE_TASKS, "tasks_total", "state=\"registered\"" },
    { NGX_HTTP_MIDDLEWARE_TASKS_FULFILLED, "tasks_total",
      "state=\"fulfilled\"" },
    { NGX_HTTP_MIDDLEWARE_TASKS_REJECTED, "tasks_total",
      "state=\"rejected\"" },
    { NGX_HTTP_MIDDLEWARE_TASKS_CANCELLED, "tasks_total",
      "state=\"cancelled\"" },
    { NGX_HTTP_MIDDLEWARE_TASKS_REFUSED, "tasks_total",
      "state=\"refused\"" },
    { NGX_HTTP_MIDDLEWARE_SINK_QUEUED, "sink_events_total",
      "state=\"queued\"" },
    { NGX_HTTP_MIDDLEWARE_SINK_DELIVERED, "sink_events_total",
      "state=\"delivered\"" },
    { NGX_HTTP_MIDDLEWARE_SINK_FAILED, "sink_events_total",
      "state=\"failed\"" },
    { NGX_HTTP_MIDDLEWARE_SINK_DROPPED, "sink_events_total",
      "state=\"dropped\"" },
    { NGX_HTTP_MIDDLEWARE_SINK_BATCHES, "sink_batches_total", NULL },
    { NGX_HTTP_MIDDLEWARE_SINK_WAITING, "sink_waiting", NULL },
    { 0, NULL, NULL }
};


/* one "# HELP" line per metric family, in the order of the table above */
static const char  *ngx_http_middleware_help[] = {
    "runs_total", "middleware runs started (detached requests created)",
    "skipped_total", "requests config.matcher excluded before any run",
    "decisions_total", "decisions applied, by action",
    "errors_total", "middleware runs that failed, by reason",
    "pass_through_total", "failed runs that continued to the upstream",
    "client_aborts_total", "clients gone while the middleware ran",
    "background_total", "detached requests in the background queue, by state",
    "background_in_flight", "detached requests running now",
    "tasks_total", "waitUntil tasks, by state",
    "sink_events_total", "sink.send() events, by state",
    "sink_batches_total", "batches sent to the middleware_sink locations",
    "sink_waiting", "sink events buffered or in a batch in flight",
    NULL
};


ngx_int_t
ngx_http_middleware_init_zone(ngx_conf_t *cf)
{
    ngx_str_t                         name = ngx_string("middleware_counters");
    ngx_http_middleware_main_conf_t  *mmcf;

    mmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_middleware_module);

    mmcf->zone = ngx_shared_memory_add(cf, &name, 8 * ngx_pagesize,
                                       &ngx_http_middleware_module);
    if (mmcf->zone == NULL) {
        return NGX_ERROR;
    }

    mmcf->zone->init = ngx_http_middleware_zone_init;

    return NGX_OK;
}


static ngx_int_t
ngx_http_middleware_zone_init(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_atomic_t     *counters;
    ngx_slab_pool_t  *shpool;

    if (data) {
        /* reload: the counters go on */
        shm_zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    counters = ngx_slab_calloc(shpool,
                               sizeof(ngx_atomic_t)
                               * NGX_HTTP_MIDDLEWARE_NCOUNTERS);
    if (counters == NULL) {
        return NGX_ERROR;
    }

    shm_zone->data = (void *) counters;

    return NGX_OK;
}


/* in each worker: the counters of this cycle's zone */

void
ngx_http_middleware_attach_zone(ngx_cycle_t *cycle)
{
    ngx_http_middleware_main_conf_t  *mmcf;

    mmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_middleware_module);

    if (mmcf && mmcf->zone && mmcf->zone->data) {
        ngx_http_middleware_counters = (ngx_atomic_t *) mmcf->zone->data;
    }
}


char *
ngx_http_middleware_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t         *clcf;
    ngx_http_middleware_main_conf_t  *mmcf;

    mmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_middleware_module);
    mmcf->status = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_middleware_status_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_middleware_status_handler(ngx_http_request_t *r)
{
    size_t                         len;
    ngx_int_t                      rc;
    ngx_buf_t                     *b;
    ngx_chain_t                    out;
    const char                    *prev, **h;
    ngx_http_middleware_metric_t  *m;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    len = 0;

    for (m = ngx_http_middleware_metrics; m->name; m++) {
        len += 2 * (sizeof("# TYPE nginx_middleware_ counter\n") + 32)
               + sizeof("# HELP nginx_middleware_ \n") + 32 + 64
               + sizeof("nginx_middleware_{} \n") + 64 + NGX_ATOMIC_T_LEN;
    }

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    prev = NULL;

    for (m = ngx_http_middleware_metrics; m->name; m++) {

        if (prev == NULL || ngx_strcmp(prev, m->name) != 0) {

            for (h = ngx_http_middleware_help; h[0]; h += 2) {
                if (ngx_strcmp(h[0], m->name) == 0) {
                    b->last = ngx_sprintf(b->last,
                                          "# HELP nginx_middleware_%s %s\n",
                                          m->name, h[1]);
                    break;
                }
            }

            b->last = ngx_sprintf(b->last, "# TYPE nginx_middleware_%s %s\n",
                                  m->name,
                                  (m->counter
                                       == NGX_HTTP_MIDDLEWARE_BG_IN_FLIGHT
                                   || m->counter
                                       == NGX_HTTP_MIDDLEWARE_SINK_WAITING)
                                  ? "gauge" : "counter");
            prev = m->name;
        }

        if (m->label) {
            b->last = ngx_sprintf(b->last, "nginx_middleware_%s{%s} %uA\n",
                                  m->name, m->label,
                                  ngx_http_middleware_counters[m->counter]);

        } else {
            b->last = ngx_sprintf(b->last, "nginx_middleware_%s %uA\n",
                                  m->name,
                                  ngx_http_middleware_counters[m->counter]);
        }
    }

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type,
                "text/plain; version=0.0.4; charset=utf-8");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}
