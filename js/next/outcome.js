/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * next/outcome.js: the outcome of the client request (an extension of
 * the Next.js API): event.outcome, getRequestExecutionContext().outcome
 * and after(function (outcome) { ... }).
 *
 * Cost: declarations only per VM; nothing per request unless the outcome
 * is asked for; then one subrequest of the detached request, parked by
 * the C module until the client request has logged (no polling, no
 * timer: ngx_module/ngx_http_middleware_outcome.c), and one JSON.parse.
 *
 * The outcome is what nginx logged for the client request:
 *
 *   requestId             $request_id (the x-request-id of the telemetry)
 *   status                $status: the final status, after error pages,
 *                         internal redirects, upstream failures
 *   bytesSent             $bytes_sent
 *   bodyBytesSent         $body_bytes_sent
 *   requestTime           $request_time, in ms
 *   upstreamStatus        the last upstream answer's status, or null
 *   upstreamResponseTime  its response time in ms, or null
 *   upstreams             [{ addr, status, responseTime }], the last tries
 *   action                $middleware_action: next, rewrite, redirect,
 *                         response, error, timeout, running (the client
 *                         went away before the decision)
 *   middlewareTime        $middleware_time in ms, or null
 *   aborted               the client went away (connection error, HTTP/2
 *                         stream reset, 499)
 *   uri                   the final URI (after rewrites), at most 256 bytes
 *
 * The promise resolves once per request: at the end of the client
 * request, or at once when that has already happened.  It rejects when
 * the module is not there (njs CLI) or cannot answer.  Awaiting it keeps
 * the detached request alive, within middleware_background_timeout.
 */


/* the C module's NGX_HTTP_MIDDLEWARE_OUTCOME_URI */
var URI = '/.middleware/outcome';


function unavailable(why) {
    return Promise.reject(new Error('the request outcome is not available: '
                                    + why));
}


/* a Promise of the outcome, for the detached request r */

function wait(r, module) {
    var p;

    if (!module || typeof r.subrequest !== 'function') {
        return unavailable('ngx_http_middleware_module is not loaded');
    }

    try {
        p = r.subrequest(URI);

    } catch (e) {
        return unavailable(String(e && e.message || e));
    }

    return p.then(function (reply) {
        if (reply.status !== 200) {
            throw new Error('the request outcome is not available: status '
                            + reply.status);
        }

        return JSON.parse(reply.responseText);
    });
}


/*
 * sink.send(event): one line for the server's middleware_sink, batched by
 * the C module (ngx_module/ngx_http_middleware_sink.c) and POSTed to the
 * sink's location; the detached request owes nothing once it is handed
 * over.  A string is sent as is, anything else as JSON; an event is one
 * line.  What the module drops (buffer full, no middleware_sink in the
 * server) it logs and counts: the call does not wait for that.
 */

var SINK_URI = '/.middleware/sink';
var sinkContext = null;


function send(event) {
    var ctx = sinkContext ? sinkContext() : null, line;

    line = (typeof event === 'string') ? event : JSON.stringify(event);

    if (typeof line !== 'string' || line.length === 0) {
        throw new TypeError('sink.send: the event must be a non-empty '
                            + 'string or a JSON value');
    }

    if (/[\r\n]/.test(line)) {
        throw new TypeError('sink.send: an event must be one line (no CR '
                            + 'or LF)');
    }

    if (ctx === null) {
        throw new Error('sink.send was called outside a request scope');
    }

    if (!ctx.module) {
        throw new Error('sink.send: ngx_http_middleware_module is not '
                        + 'loaded');
    }

    ctx.r.subrequest(SINK_URI, { method: 'POST', body: line,
                                 detached: true });
}


/* install(getContext): the running request's Context (server.js) */

function install(getContext) {
    sinkContext = getContext;
}


export default { wait: wait, URI: URI, send: send, install: install };
