/*
 * telemetry.js: one record per request of what really happened, shipped
 * after the response.
 *
 *     import server from 'next/server.js';
 *     import telemetry from 'telemetry.js';
 *
 *     export default server.serve(telemetry.withTelemetry(middleware, {
 *         server: server,
 *         collector: 'http://127.0.0.1:9000/collect',       // JSON events
 *         otlp: 'http://127.0.0.1:4318/v1/traces',          // OpenTelemetry
 *         serviceName: 'shop-edge'
 *     }));
 *
 * For every request the wrapped middleware handles, it waits (in
 * event.waitUntil, so never in front of the response) for the request's
 * outcome (event.outcome, an extension of this runtime: the final status
 * after upstream errors, error pages and rewrites, bytes sent, request
 * and upstream times, client aborts) and then
 *
 *   - with options.sink, hands one JSON event to the server's
 *     middleware_sink (server.sink.send): nginx batches the events of
 *     the worker into one POST of newline-delimited JSON, the cheap path
 *     for high rates;
 *   - with options.collector, POSTs one JSON event
 *     { ts, requestId, method, path, status, action, decisionStatus,
 *       userId, ms, decisionMs, upstreamStatus, upstreamMs, bytesSent,
 *       aborted };
 *   - with options.otlp, POSTs one OpenTelemetry span in OTLP/HTTP JSON
 *     (ExportTraceServiceRequest) to that endpoint (a collector's
 *     /v1/traces).  A span rather than a log record: a request has a
 *     start, a duration and a status, which is what a span is; tracing
 *     backends derive rate, errors and latency from server spans without
 *     parsing anything, and a span joins a trace: its trace id is the
 *     caller's (W3C traceparent request header) or else nginx's
 *     $request_id, which is also the x-request-id response header and in
 *     nginx's logs, so the three join on one id.
 *
 * A collector that is down or slow only costs a warn line (the module
 * counts the rejected task); the response never waits for it.  Without
 * the module's outcome (an njs CLI test) the event falls back to what the
 * middleware decided.
 *
 * Cost: nothing at load time; per request one fetch per destination, after
 * the response.  For high rates point otlp at a local OpenTelemetry
 * collector, which batches.
 *
 * njs 0.7.9 dialect: no class, destructuring, spread, default parameters.
 */


/* the middleware's own decision, as it reads on its Response */

function decisionOf(res) {
    var headers = res ? res.headers : null;
    var action = 'next', status = 200;

    if (res) {
        status = res.status;

        if (headers.get('x-middleware-rewrite')) {
            action = 'rewrite';

        } else if (headers.get('location') && status >= 300 && status < 400) {
            action = 'redirect';

        } else if (!headers.get('x-middleware-next')) {
            action = 'response';
        }
    }

    return { status: status, action: action,
             userId: (headers && headers.get('x-middleware-request-x-user-id'))
                     || null };
}


/*
 * the event: the outcome's status, action and times when there is one,
 * the decision's otherwise
 */

function eventOf(request, d, requestId, start, decisionMs, o) {
    return {
        ts: new Date(start).toISOString(),
        requestId: requestId,
        method: request.method,
        path: request.nextUrl.pathname,
        status: o ? o.status : d.status,
        action: o ? o.action : d.action,
        decisionStatus: d.status,
        userId: d.userId,
        ms: o ? o.requestTime : decisionMs,
        decisionMs: decisionMs,
        upstreamStatus: o ? o.upstreamStatus : null,
        upstreamMs: o ? o.upstreamResponseTime : null,
        bytesSent: o ? o.bytesSent : null,
        aborted: o ? o.aborted : false,
        error: d.error
    };
}


/* --- OTLP/HTTP JSON ------------------------------------------------------ */

var HEX = '0123456789abcdef';


function randomHex(n) {
    var s = '', i, bytes;

    if (typeof crypto !== 'undefined' && crypto.getRandomValues) {
        bytes = crypto.getRandomValues(new Uint8Array(n / 2));

        for (i = 0; i < bytes.length; i++) {
            s += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
        }

        return s;
    }

    for (i = 0; i < n; i++) {
        s += HEX[Math.floor(Math.random() * 16)];
    }

    return s;
}


function isHexId(s, len) {
    return typeof s === 'string' && s.length === len
           && /^[0-9a-f]+$/.test(s) && !/^0+$/.test(s);
}


/* W3C trace context: "00-<32 hex trace id>-<16 hex parent id>-<flags>" */

function parseTraceparent(v) {
    var m;

    if (typeof v !== 'string') {
        return null;
    }

    m = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/
        .exec(v.trim());

    if (m === null || m[1] === 'ff' || !isHexId(m[2], 32)
        || !isHexId(m[3], 16))
    {
        return null;
    }

    return { traceId: m[2], parentSpanId: m[3] };
}


function str(key, value) {
    return { key: key, value: { stringValue: String(value) } };
}


function int(key, value) {
    /* int64 is a decimal string in the protobuf JSON mapping */
    return { key: key, value: { intValue: String(Math.round(value)) } };
}


function bool(key, value) {
    return { key: key, value: { boolValue: !!value } };
}


/* ms since the epoch as the decimal string of ns (beyond 2^53) */

function nanos(ms) {
    return String(Math.round(ms)) + '000000';
}


/*
 * one SERVER span, HTTP semantic conventions (name "GET", attributes
 * http.request.method, url.path, http.response.status_code, ...), the
 * module's own as nginx.* and middleware.*; status ERROR for 5xx and for a
 * failed middleware, unset otherwise (4xx are the client's)
 */

function spanOf(ev, request, options, end) {
    var tp, traceId, attrs, span, status, start, ua;

    tp = parseTraceparent(request.headers.get('traceparent'));
    traceId = tp ? tp.traceId
                 : (isHexId(ev.requestId, 32) ? ev.requestId : randomHex(32));

    start = end - (ev.ms > 0 ? ev.ms : 0);

    attrs = [
        str('http.request.method', ev.method),
        str('url.path', ev.path),
        str('url.scheme', request.nextUrl.protocol.replace(':', '')),
        str('server.address', request.nextUrl.hostname),
        int('http.response.status_code', ev.status),
        str('nginx.request_id', ev.requestId),
        str('middleware.action', ev.action),
        int('middleware.decision_status', ev.decisionStatus),
        int('middleware.decision_time_ms', ev.decisionMs),
        bool('nginx.client_aborted', ev.aborted)
    ];

    ua = request.headers.get('user-agent');

    if (ua) {
        attrs.push(str('user_agent.original', ua));
    }

    if (ev.bytesSent !== null && ev.bytesSent !== undefined) {
        attrs.push(int('nginx.bytes_sent', ev.bytesSent));
    }

    if (ev.upstreamStatus !== null && ev.upstreamStatus !== undefined) {
        attrs.push(int('nginx.upstream.status', ev.upstreamStatus));
    }

    if (ev.upstreamMs !== null && ev.upstreamMs !== undefined) {
        attrs.push(int('nginx.upstream.response_time_ms', ev.upstreamMs));
    }

    if (ev.userId) {
        attrs.push(str('user.id', ev.userId));
    }

    span = {
        traceId: traceId,
        spanId: randomHex(16),
        name: ev.method,
        kind: 2,
        startTimeUnixNano: nanos(start),
        endTimeUnixNano: nanos(end),
        attributes: attrs
    };

    if (tp) {
        span.parentSpanId = tp.parentSpanId;
    }

    if (ev.status >= 500 || ev.action === 'error'
        || ev.action === 'timeout')
    {
        status = { code: 2 };

        if (ev.error) {
            status.message = ev.error;
        }

        span.status = status;
    }

    return {
        resourceSpans: [{
            resource: {
                attributes: [str('service.name',
                                 options.serviceName || 'nginx-middleware')]
            },
            scopeSpans: [{
                scope: { name: 'ngx_http_middleware_module/telemetry',
                         version: '1' },
                spans: [span]
            }]
        }]
    };
}


/* --- shipping ------------------------------------------------------------ */

function post(url, body, headers) {
    var h = { 'content-type': 'application/json' }, k;

    for (k in headers || {}) {
        h[k] = headers[k];
    }

    return ngx.fetch(url, {
        method: 'POST',
        headers: h,
        body: JSON.stringify(body)

    }).then(function (reply) {
        if (reply.status >= 300) {
            throw new Error(url + ' answered ' + reply.status);
        }
    });
}


function ship(options, request, ev) {
    var all = [];

    if (options.sink) {
        /* one line for the middleware_sink: batched by nginx */
        options.server.sink.send(ev);
    }

    if (options.collector) {
        all.push(post(options.collector, ev));
    }

    if (options.otlp) {
        all.push(post(options.otlp, spanOf(ev, request, options, Date.now()),
                      options.otlpHeaders));
    }

    /* one task: rejects if any destination failed */
    return Promise.all(all);
}


/* the event once the outcome is known (or without it) */

function record(options, request, event, d, requestId, start, decisionMs) {
    var outcome;

    try {
        outcome = event.outcome;

    } catch (e) {
        outcome = undefined;
    }

    if (!outcome || typeof outcome.then !== 'function') {
        return ship(options, request,
                    eventOf(request, d, requestId, start, decisionMs, null));
    }

    return outcome.then(function (o) {
        return ship(options, request,
                    eventOf(request, d, requestId, start, decisionMs, o));

    }, function () {
        return ship(options, request,
                    eventOf(request, d, requestId, start, decisionMs, null));
    });
}


function withTelemetry(middleware, options) {
    var server, header;

    options = options || {};
    server = options.server;
    header = options.header || 'x-request-id';

    if (!server || !(options.collector || options.otlp || options.sink)) {
        throw new TypeError('withTelemetry: options.server and '
                            + 'options.collector, options.otlp or '
                            + 'options.sink are required');
    }

    return async function (request, event) {
        var start = Date.now(), res, ctx, requestId, d;

        ctx = server.getRequestExecutionContext();
        requestId = ctx ? ctx.requestId : '';

        try {
            res = await middleware(request, event);

        } catch (e) {
            /* still record the failure, then let the module handle it */
            d = { status: 500, action: 'error', userId: null,
                  error: String(e && e.message || e) };

            event.waitUntil(record(options, request, event, d, requestId,
                                   start, Date.now() - start));
            throw e;
        }

        if (!res) {
            res = server.NextResponse.next();
        }

        if (requestId) {
            res.headers.set(header, requestId);
        }

        event.waitUntil(record(options, request, event, decisionOf(res),
                               requestId, start, Date.now() - start));

        return res;
    };
}


export default {
    withTelemetry: withTelemetry,
    spanOf: spanOf,
    parseTraceparent: parseTraceparent
};
