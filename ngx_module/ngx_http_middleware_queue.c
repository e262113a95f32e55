
/*
 * Copyright (C) ngx_http_middleware_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_middleware_common.h"


/*
 * The background queue: per worker, the detached requests F that the
 * client request R no longer waits for.
 *
 * F enters it
 *
 *   - when it decides (ngx_http_middleware_background()): what it still
 *     does is waitUntil work;
 *   - undecided, when R gives up on it (ngx_http_middleware_undecided()):
 *     the decision timeout fired, or the client went away first; such an
 *     F is bounded and counted like background work, its late decision is
 *     dropped.
 *
 * Each queued F has a time limit, middleware_background_timeout, on a
 * timer that is not cancelable: a graceful shutdown or reload waits for
 * the queue, at most that long.  middleware_background_max caps the queue;
 * over it, new background work is shed (F is ended from a timer, never
 * from inside its njs call).  worker_shutdown_timeout cancels what is left
 * (through F's connection, ngx_http_middleware_cancel()); a fast shutdown
 * only counts and logs it.
 */


static void ngx_http_middleware_queue_add(ngx_http_middleware_fake_t *fake,
    ngx_http_middleware_main_conf_t *mmcf);
static void ngx_http_middleware_background_timeout(ngx_event_t *ev);
static void ngx_http_middleware_account(ngx_http_middleware_fake_t *fake);


static ngx_queue_t  ngx_http_middleware_queue;
static ngx_uint_t   ngx_http_middleware_queued;


void
ngx_http_middleware_queue_init(ngx_cycle_t *cycle)
{
    ngx_queue_init(&ngx_http_middleware_queue);
    ngx_http_middleware_queued = 0;
}


void
ngx_http_middleware_queue_prepare(ngx_http_middleware_fake_t *fake)
{
    fake->timer.handler = ngx_http_middleware_background_timeout;
    fake->timer.data = fake;
    fake->timer.log = fake->request->connection->log;
}


/*
 * F decided: whatever it still does is background work, bounded by
 * middleware_background_timeout and, per worker, middleware_background_max
 */

void
ngx_http_middleware_background(ngx_http_middleware_fake_t *fake)
{
    ngx_http_middleware_main_conf_t  *mmcf;

    if (fake->background) {
        return;
    }

    fake->background = 1;

    mmcf = ngx_http_get_module_main_conf(fake->request,
                                         ngx_http_middleware_module);

    if (fake->tasks && ngx_http_middleware_queued >= mmcf->background_max) {
        /*
         * shed after the decision: the client's response is not affected;
         * F is finalized from a timer, never from inside its njs call
         */

        ngx_log_error(NGX_LOG_WARN, fake->request->connection->log, 0,
                      "middleware: background queue full "
                      "(middleware_background_max %ui), %ui waitUntil "
                      "task(s) of request \"%V\" shed",
                      mmcf->background_max, fake->tasks,
                      ngx_http_middleware_request_id(fake));

        fake->shed = 1;
        ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_BG_SHED, 1);

        fake->timer.cancelable = 1;
        ngx_add_timer(&fake->timer, 0);
        return;
    }

    ngx_http_middleware_queue_add(fake, mmcf);
}


/*
 * R gave up on an undecided F (decision timeout, client gone): F may run
 * on (a timer chain, a fetch that never answers), so it is background
 * work from now on, with the same time limit, cap and counters
 */

void
ngx_http_middleware_undecided(ngx_http_middleware_fake_t *fake,
    const char *why)
{
    ngx_http_middleware_main_conf_t  *mmcf;

    if (fake->background) {
        return;
    }

    fake->background = 1;
    fake->undecided = 1;

    mmcf = ngx_http_get_module_main_conf(fake->request,
                                         ngx_http_middleware_module);

    ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_BG_UNDECIDED, 1);

    if (ngx_http_middleware_queued >= mmcf->background_max) {
        ngx_log_error(NGX_LOG_WARN, fake->request->connection->log, 0,
                      "middleware: background queue full "
                      "(middleware_background_max %ui), undecided detached "
                      "request of request \"%V\" (%s) cancelled",
                      mmcf->background_max,
                      ngx_http_middleware_request_id(fake), why);

        fake->shed = 1;
        ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_BG_SHED, 1);

        fake->timer.cancelable = 1;
        ngx_add_timer(&fake->timer, 0);
        return;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, fake->request->connection->log, 0,
                   "http middleware undecided, in the background queue "
                   "(%s) for %M ms", why, fake->background_timeout);

    ngx_http_middleware_queue_add(fake, mmcf);
}


static void
ngx_http_middleware_queue_add(ngx_http_middleware_fake_t *fake,
    ngx_http_middleware_main_conf_t *mmcf)
{
    ngx_queue_insert_tail(&ngx_http_middleware_queue, &fake->queue);
    ngx_http_middleware_queued++;
    fake->queued = 1;

    if (fake->tasks || fake->undecided) {
        fake->counted = 1;
        ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_BG_STARTED, 1);
        ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_BG_IN_FLIGHT, 1);
    }

    /*
     * not cancelable: on a graceful shutdown or reload the worker waits
     * for the background work, up to this time limit
     */

    fake->queue_start = ngx_current_msec;
    ngx_add_timer(&fake->timer, fake->background_timeout);
}


static void
ngx_http_middleware_background_timeout(ngx_event_t *ev)
{
    ngx_http_middleware_fake_t  *fake;

    fake = ev->data;

    if (fake->shed) {
        ngx_http_middleware_cancel(fake, NULL);
        return;
    }

    ngx_http_middleware_cancel(fake, "cancelled by "
                               "middleware_background_timeout");
}


/* ends F with its pending work (njs logs "pending events") */

void
ngx_http_middleware_cancel(ngx_http_middleware_fake_t *fake,
    const char *reason)
{
    ngx_uint_t           pending;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = fake->request;
    c = r->connection;

    if (reason && !fake->delivered) {
        ngx_log_error(NGX_LOG_WARN, c->log, 0,
                      "middleware: undecided detached request of request "
                      "\"%V\" %s after %M ms",
                      ngx_http_middleware_request_id(fake), reason,
                      ngx_current_msec - c->start_time);

    } else if (reason) {
        pending = fake->tasks > fake->fulfilled + fake->rejected
                  ? fake->tasks - fake->fulfilled - fake->rejected : 0;

        ngx_log_error(NGX_LOG_WARN, c->log, 0,
                      "middleware: %ui pending waitUntil task(s) of request "
                      "\"%V\" %s after %M ms", pending,
                      ngx_http_middleware_request_id(fake), reason,
                      ngx_current_msec - c->start_time);
    }

    if (!fake->shed) {
        fake->cancelled = 1;
    }

    ngx_http_finalize_request(r, NGX_ERROR);
    ngx_http_run_posted_requests(c);
}


/* F has ended (its pool is being destroyed) */

void
ngx_http_middleware_queue_done(ngx_http_middleware_fake_t *fake)
{
    if (fake->timer.timer_set) {
        ngx_del_timer(&fake->timer);
    }

    if (fake->queued) {
        ngx_queue_remove(&fake->queue);
        ngx_http_middleware_queued--;
        fake->queued = 0;
    }

    ngx_http_middleware_account(fake);
}


/* the counters of one F, once */

static void
ngx_http_middleware_account(ngx_http_middleware_fake_t *fake)
{
    ngx_uint_t  total, settled;

    if (fake->accounted) {
        return;
    }

    fake->accounted = 1;

    total = fake->tasks;
    settled = fake->fulfilled + fake->rejected;

    if (total < settled) {
        total = settled;
    }

    if (total > settled && !fake->cancelled && !fake->shed) {
        /*
         * F ended by itself with tasks unsettled: a promise that nothing
         * left in nginx's event loop (no timer, no fetch) will ever
         * settle, so njs finished F.  Lost work all the same: said and
         * counted as cancelled, not as completed
         */
        ngx_log_error(NGX_LOG_WARN, fake->request->connection->log, 0,
                      "middleware: %ui waitUntil task(s) of request \"%V\" "
                      "never settled: nothing was left to settle them "
                      "when the detached request ended, cancelled",
                      total - settled, ngx_http_middleware_request_id(fake));
        fake->cancelled = 1;
    }

    ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_TASKS, total);
    ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_TASKS_FULFILLED,
                              fake->fulfilled);
    ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_TASKS_REJECTED,
                              fake->rejected);
    ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_TASKS_REFUSED,
                              fake->refused);

    if (fake->cancelled || fake->shed) {
        ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_TASKS_CANCELLED,
                                  total - settled);
    }

    if (fake->counted) {
        ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_BG_IN_FLIGHT, -1);

        if (fake->cancelled) {
            ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_BG_CANCELLED, 1);

        } else if (fake->rejected) {
            ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_BG_FAILED, 1);

        } else {
            ngx_http_middleware_count(NGX_HTTP_MIDDLEWARE_BG_COMPLETED, 1);
        }
    }
}


/*
 * the worker exits with F's still queued (a fast shutdown): their pools
 * are never destroyed, so they are counted here, as cancelled, the same
 * way ngx_http_middleware_queue_done() would
 */

void
ngx_http_middleware_queue_exit(ngx_cycle_t *cycle)
{
    ngx_uint_t                   tasks, undecided, n;
    ngx_queue_t                 *q;
    ngx_http_middleware_fake_t  *fake;

    if (ngx_http_middleware_queued == 0) {
        return;
    }

    tasks = 0;
    undecided = 0;

    for (q = ngx_queue_head(&ngx_http_middleware_queue);
         q != ngx_queue_sentinel(&ngx_http_middleware_queue);
         q = ngx_queue_next(q))
    {
        fake = ngx_queue_data(q, ngx_http_middleware_fake_t, queue);

        n = fake->fulfilled + fake->rejected;

        if (fake->tasks > n) {
            tasks += fake->tasks - n;
        }

        if (fake->undecided && !fake->delivered) {
            undecided++;
        }

        if (!fake->shed) {
            fake->cancelled = 1;
        }

        ngx_http_middleware_account(fake);
    }

    ngx_log_error(NGX_LOG_WARN, cycle->log, 0,
                  "middleware: worker exit cancels %ui detached "
                  "request(s) with %ui pending waitUntil task(s), %ui of "
                  "them undecided", ngx_http_middleware_queued, tasks,
                  undecided);
}
