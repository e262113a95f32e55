
/*
 * Copyright (C) ngx_http_middleware_module authors
 */


#ifndef _NGX_HTTP_MIDDLEWARE_COMMON_H_INCLUDED_
#define _NGX_HTTP_MIDDLEWARE_COMMON_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <mw_decision.h>


#define NGX_HTTP_MIDDLEWARE_ON_ERROR_FAIL  0
#define NGX_HTTP_MIDDLEWARE_ON_ERROR_PASS  1


typedef struct ngx_http_middleware_matcher_s  ngx_http_middleware_matcher_t;
typedef struct ngx_http_middleware_sink_s  ngx_http_middleware_sink_t;


typedef struct {
    ngx_str_t                       name;          /* "@middleware" */
    ngx_http_core_loc_conf_t       *location;      /* resolved; NULL: off */
    ngx_msec_t                      timeout;
    ngx_uint_t                      on_error;
    size_t                          max_size;      /* with the client's */
    size_t                          max_size_conf; /* as configured */
    ngx_msec_t                      background_timeout;
    ngx_flag_t                      body;          /* expose the body */
    size_t                          body_max_size;
    ngx_uint_t                      tasks_max;     /* waitUntil, per request */

    /*
     * in the conf of the named location: the runtime's config.matcher,
     * compiled at run time in each worker (ngx_http_middleware_matcher.c)
     */
    ngx_http_middleware_matcher_t  *matcher;
} ngx_http_middleware_loc_conf_t;


typedef struct {
    ngx_http_middleware_loc_conf_t *conf;
    ngx_http_core_srv_conf_t       *cscf;
} ngx_http_middleware_use_t;


typedef struct {
    ngx_array_t                     uses;          /* of ..._use_t */
    ngx_uint_t                      background_max;
    ngx_int_t                       request_id_index;
    ngx_shm_zone_t                 *zone;          /* counters */
    ngx_flag_t                      status;        /* middleware_status used */
    ngx_array_t                     sinks;         /* of ..._sink_t * */
} ngx_http_middleware_main_conf_t;


/*
 * The life of an execution context E, from the client request R's side:
 *
 *   RUNNING   F was started; R waits (suspended in the access phase) with
 *             the decision timer armed
 *   DECIDED   F delivered a valid decision; R applies it when it resumes
 *   FAILED    no valid decision: status says what R answers (500, 504)
 *             unless middleware_on_error pass lets it continue
 *   APPLIED   R went on; later access-phase passes (internal redirects)
 *             skip the middleware, the header filter decorates R's
 *             response with decision.response on next and rewrite
 *
 * E is allocated on the heap and referenced by R (through its module ctx
 * and a cleanup of R's pool, which survives internal redirects) and by F
 * (through F's connection); whichever side ends first sets its pointer to
 * NULL, the second one frees E.
 */

typedef enum {
    NGX_HTTP_MIDDLEWARE_RUNNING = 0,
    NGX_HTTP_MIDDLEWARE_DECIDED,
    NGX_HTTP_MIDDLEWARE_FAILED,
    NGX_HTTP_MIDDLEWARE_APPLIED
} ngx_http_middleware_state_e;


typedef struct ngx_http_middleware_fake_s  ngx_http_middleware_fake_t;
typedef struct ngx_http_middleware_outcome_s  ngx_http_middleware_outcome_t;


typedef struct {
    ngx_http_middleware_state_e     state;

    ngx_http_request_t             *request;       /* R */
    ngx_http_middleware_fake_t     *fake;          /* F's side */

    mw_decision_t                   decision;      /* in R's pool */
    ngx_uint_t                      status;        /* with FAILED */

    ngx_event_t                     resume;        /* posted to wake R */
    ngx_event_t                     timer;         /* decision timeout */

    ngx_msec_t                      start;
    ngx_msec_t                      elapsed;       /* to the decision */

    u_char                          request_id[32];  /* R's, read on */
    size_t                          request_id_len;  /* first use */
    unsigned                        request_id_set:1;
    unsigned                        https:1;

    unsigned                        waiting:1;     /* R returned NGX_AGAIN */
    unsigned                        decorate:1;    /* headers still to add */
    unsigned                        timed_out:1;
    unsigned                        failed:1;      /* no valid decision */
    unsigned                        invalid:1;     /* ... but it decided */
    unsigned                        matched:1;     /* matcher checked */
    unsigned                        started:1;     /* F was started */
    unsigned                        body_read:1;   /* R's body, for F */
    unsigned                        outcome:1;     /* R's outcome recorded */

    ngx_uint_t                      tasks;         /* at the decision */
} ngx_http_middleware_ctx_t;


/*
 * F's side: allocated with F's connection; F->http_connection points to
 * hc, so F finds it again whatever happens to F's module ctx
 */

struct ngx_http_middleware_fake_s {
    ngx_http_connection_t           hc;            /* must be first */
    ngx_http_middleware_ctx_t      *ctx;           /* E, NULL if detached */
    ngx_http_request_t             *request;       /* F */
    ngx_queue_t                     queue;         /* in the worker's list */
    ngx_event_t                     timer;         /* background limit */

    ngx_chain_t                    *payload;       /* captured, F's pool */
    ngx_chain_t                   **last;
    size_t                          size;
    ngx_uint_t                      status;        /* F's response status */
    size_t                          max_size;      /* with the client's */
    size_t                          max_size_conf; /* as configured */
    ngx_msec_t                      background_timeout;

    ngx_str_t                       request_id;    /* R's, on first */
    u_char                          request_id_data[32];   /* use */
    ngx_http_middleware_outcome_t  *outcome;       /* R's, in F's pool */
    ngx_uint_t                      tasks;         /* reported by the */
    ngx_uint_t                      fulfilled;     /* runtime: waitUntil */
    ngx_uint_t                      rejected;      /* tasks and outcomes */
    ngx_uint_t                      refused;       /* over tasks_max */
    ngx_uint_t                      tasks_max;     /* per request */
    ngx_msec_t                      queue_start;

    unsigned                        https:1;       /* R's scheme */
    unsigned                        request_id_set:1;
    unsigned                        matched:1;     /* by the module */
    unsigned                        body:1;        /* R's body copied */
    unsigned                        reported:1;    /* outcomes known */
    unsigned                        cancelled:1;
    unsigned                        shed:1;
    unsigned                        queued:1;      /* in the worker's queue */
    unsigned                        counted:1;     /* as background work */
    unsigned                        overflow:1;    /* payload too large */
    unsigned                        delivered:1;   /* decision handed over */
    unsigned                        background:1;  /* R has gone on */
    unsigned                        undecided:1;   /* ... without it */
    unsigned                        accounted:1;   /* counters updated */
};


/*
 * Counters, in a shared memory zone when the module is used (aggregated
 * over all workers and kept across reloads), printed by middleware_status
 */

typedef enum {
    NGX_HTTP_MIDDLEWARE_RUNS = 0,
    NGX_HTTP_MIDDLEWARE_SKIPPED,          /* config.matcher did not match */
    NGX_HTTP_MIDDLEWARE_NEXT,             /* decisions, by kind */
    NGX_HTTP_MIDDLEWARE_REWRITE,
    NGX_HTTP_MIDDLEWARE_REDIRECT,
    NGX_HTTP_MIDDLEWARE_RESPONSE,
    NGX_HTTP_MIDDLEWARE_EXCEPTION,        /* the middleware threw */
    NGX_HTTP_MIDDLEWARE_PASS_THROUGH,     /* ... and the request went on */
    NGX_HTTP_MIDDLEWARE_INVALID,          /* no valid decision */
    NGX_HTTP_MIDDLEWARE_TIMEOUT,
    NGX_HTTP_MIDDLEWARE_ABORTED,          /* R ended before the decision */
    NGX_HTTP_MIDDLEWARE_BG_STARTED,
    NGX_HTTP_MIDDLEWARE_BG_COMPLETED,
    NGX_HTTP_MIDDLEWARE_BG_FAILED,        /* completed, a task rejected */
    NGX_HTTP_MIDDLEWARE_BG_CANCELLED,
    NGX_HTTP_MIDDLEWARE_BG_SHED,
    NGX_HTTP_MIDDLEWARE_BG_IN_FLIGHT,     /* a gauge */
    NGX_HTTP_MIDDLEWARE_BG_UNDECIDED,     /* queued without a decision */
    NGX_HTTP_MIDDLEWARE_TASKS,            /* waitUntil tasks registered */
    NGX_HTTP_MIDDLEWARE_TASKS_FULFILLED,
    NGX_HTTP_MIDDLEWARE_TASKS_REJECTED,
    NGX_HTTP_MIDDLEWARE_TASKS_CANCELLED,
    NGX_HTTP_MIDDLEWARE_TASKS_REFUSED,    /* over middleware_tasks_max */
    NGX_HTTP_MIDDLEWARE_SINK_QUEUED,      /* sink.send() lines accepted */
    NGX_HTTP_MIDDLEWARE_SINK_DELIVERED,
    NGX_HTTP_MIDDLEWARE_SINK_FAILED,
    NGX_HTTP_MIDDLEWARE_SINK_DROPPED,
    NGX_HTTP_MIDDLEWARE_SINK_BATCHES,
    NGX_HTTP_MIDDLEWARE_SINK_WAITING,     /* a gauge: buffered, in flight */
    NGX_HTTP_MIDDLEWARE_NCOUNTERS
} ngx_http_middleware_counter_e;


extern ngx_atomic_t                *ngx_http_middleware_counters;

#define ngx_http_middleware_count(n, v)                                       \
    (void) ngx_atomic_fetch_add(&ngx_http_middleware_counters[n], v)



extern ngx_module_t                 ngx_http_middleware_module;


/* ngx_http_middleware_handler.c */
ngx_int_t ngx_http_middleware_handler(ngx_http_request_t *r);
void ngx_http_middleware_wake(ngx_http_middleware_ctx_t *ctx);

/* ngx_http_middleware_ctx.c */
ngx_http_middleware_ctx_t *ngx_http_middleware_create_ctx(
    ngx_http_request_t *r);
ngx_http_middleware_ctx_t *ngx_http_middleware_get_ctx(ngx_http_request_t *r);
ngx_str_t *ngx_http_middleware_request_id(ngx_http_middleware_fake_t *fake);
void ngx_http_middleware_deliver(ngx_http_middleware_ctx_t *ctx,
    ngx_chain_t *payload, size_t size, ngx_uint_t status);
void ngx_http_middleware_fail(ngx_http_middleware_ctx_t *ctx,
    ngx_uint_t status);
void ngx_http_middleware_invalid(ngx_http_middleware_ctx_t *ctx);
void ngx_http_middleware_detach_fake(ngx_http_middleware_ctx_t *ctx);
void *ngx_http_middleware_palloc(void *pool, size_t size);

/* ngx_http_middleware_request.c */
ngx_int_t ngx_http_middleware_init_worker(ngx_cycle_t *cycle);
void ngx_http_middleware_exit_worker(ngx_cycle_t *cycle);
ngx_int_t ngx_http_middleware_start(ngx_http_request_t *r,
    ngx_http_middleware_ctx_t *ctx);
ngx_http_middleware_fake_t *ngx_http_middleware_fake(ngx_http_request_t *r);
ngx_connection_t *ngx_http_middleware_connection(ngx_log_t *parent,
    ngx_log_handler_pt handler, ngx_event_handler_pt event_handler);
ngx_http_request_t *ngx_http_middleware_request(ngx_connection_t *fc,
    ngx_http_connection_t *hc, void **main_conf, void **srv_conf,
    void **loc_conf, size_t pool_size);
ngx_uint_t ngx_http_middleware_content_phase(void);
u_char *ngx_http_middleware_log_action(ngx_log_t *log, u_char *buf,
    size_t *len, ngx_http_request_t **r);

/* ngx_http_middleware_sink.c */
char *ngx_http_middleware_sink_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_middleware_sink_init(ngx_conf_t *cf);
void ngx_http_middleware_sink_init_worker(ngx_cycle_t *cycle);
void ngx_http_middleware_sink_exit_worker(ngx_cycle_t *cycle);

/* ngx_http_middleware_queue.c */
void ngx_http_middleware_queue_init(ngx_cycle_t *cycle);
void ngx_http_middleware_queue_exit(ngx_cycle_t *cycle);
void ngx_http_middleware_queue_prepare(ngx_http_middleware_fake_t *fake);
void ngx_http_middleware_queue_done(ngx_http_middleware_fake_t *fake);
void ngx_http_middleware_background(ngx_http_middleware_fake_t *fake);
void ngx_http_middleware_undecided(ngx_http_middleware_fake_t *fake,
    const char *why);
void ngx_http_middleware_cancel(ngx_http_middleware_fake_t *fake,
    const char *reason);

/* ngx_http_middleware_apply.c */
ngx_int_t ngx_http_middleware_strip_internal(ngx_http_request_t *r);
ngx_int_t ngx_http_middleware_apply(ngx_http_request_t *r,
    ngx_http_middleware_ctx_t *ctx);
ngx_int_t ngx_http_middleware_decorate(ngx_http_request_t *r,
    ngx_http_middleware_ctx_t *ctx);

/* ngx_http_middleware_matcher.c */
#if (NGX_PCRE)
void ngx_http_middleware_matcher_report(ngx_http_request_t *r, u_char *data,
    size_t len);
ngx_int_t ngx_http_middleware_matcher_match(ngx_http_request_t *r,
    ngx_http_middleware_loc_conf_t *nlcf);
#endif

/* ngx_http_middleware_status.c */
ngx_int_t ngx_http_middleware_init_zone(ngx_conf_t *cf);
void ngx_http_middleware_attach_zone(ngx_cycle_t *cycle);
char *ngx_http_middleware_status(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* ngx_http_middleware_filter.c */
ngx_int_t ngx_http_middleware_filter_init(ngx_conf_t *cf);

/* ngx_http_middleware_outcome.c */
ngx_int_t ngx_http_middleware_outcome_init(ngx_conf_t *cf);
void ngx_http_middleware_outcome_record(ngx_http_middleware_ctx_t *ctx);

/* ngx_http_middleware_variables.c */
ngx_int_t ngx_http_middleware_add_variables(ngx_conf_t *cf);


#endif /* _NGX_HTTP_MIDDLEWARE_COMMON_H_INCLUDED_ */
