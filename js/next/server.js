/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * next/server.js: the njs runtime of ngx_http_middleware_module.
 *
 *     import server from 'next/server.js';
 *     var NextResponse = server.NextResponse;
 *
 *     function middleware(request, event) { ... }
 *
 *     export default server.serve(middleware, { matcher: [...] });
 *
 * and in nginx.conf, in the named location the module runs:
 * "js_content mw.handle;".
 *
 * handle(r) runs on the detached request F (docs/PROTOCOL.md): it builds
 * NextRequest and NextFetchEvent, calls the middleware, and sends the
 * decision with exactly one r.return(200, payload) as soon as the result
 * is known.  Then it keeps F alive until every waitUntil() promise has
 * settled, logging rejections, and reports the counts in
 * $middleware_report.
 *
 * Files: util.js (bytes), headers.js, url.js (URL, URLSearchParams,
 * NextURL), cookies.js, request.js (NextRequest), response.js (Response,
 * NextResponse), matcher.js (config.matcher), protocol.js (the decision
 * encoding), and this one (NextFetchEvent, serve).
 */

import outcomeMod from './outcome.js';
import util from './util.js';
import headersMod from './headers.js';
import urlMod from './url.js';
import cookiesMod from './cookies.js';
import requestMod from './request.js';
import responseMod from './response.js';
import matcherMod from './matcher.js';
import protocol from './protocol.js';
import web from './web.js';
import globals from './globals.js';
import useragent from './useragent.js';


var Response = responseMod.Response;
var Headers = headersMod.Headers;
var variable = util.variable;


/* the Web globals (Headers, Response, URL, ...): see web.js */

var SOURCE_PAGE = '/middleware';


/*
 * The execution context of the running request, or null.  Module state
 * lives as long as the engine's context: the njs engine clones its VM
 * for every request (so this file's top level runs per request), QuickJS
 * with js_context_reuse (njs's default) keeps a context for later
 * requests, one request at a time (a context is taken from the pool for
 * a request and returned when its detached request ends, after the
 * waitUntil work).  So "current" is set by run() at the start of every
 * request and cleared when its work is drained (only if it is still that
 * request's: a request cancelled before draining leaves it to the next
 * run(), which replaces it before any user code runs).  Everything else
 * of a request (Context, NextRequest, its Headers and cookies, the task
 * list) is created per request; what stays in module scope is what is
 * meant to be shared: the compiled matcher (serve()), the probed native
 * Headers order (headers.js), the installed globals (web.js).
 */

var current = null;

/* console, crypto.randomUUID, structuredClone, queueMicrotask */
globals.install(function () { return current; }, web.layered);
outcomeMod.install(function () { return current; });


function getRequestExecutionContext() {
    return current ? contextApi(current) : null;
}


/*
 * A request's execution context: newContext(r, matched) makes one, as a literal
 * under Context.prototype (half the cost of a constructor's assignments
 * on njs 0.7.9); the constructor only gives instanceof a prototype, the
 * work is done by the ctx*() functions below.
 */

function Context() {
}


/*
 * The Context's fields are absent until set (read as undefined: no
 * list, no count, not decided): on njs the object under each Context is
 * made again per request, where each field of a literal costs ~500
 * instructions; on QuickJS it is made once per context.  What it holds
 * is the requestId accessor.
 */

var contextDefaults = null;


function newContext(r, matched) {
    if (contextDefaults === null) {
        contextDefaults = {
            __proto__: Context.prototype,

            /*
             * R's $request_id, read when first asked for: nginx makes it
             * with RAND_bytes() (~7 k instructions) on first read, and
             * most requests never log or ask for it
             */
            get requestId() {
                if (this.id === undefined) {
                    this.id = variable(this.r, 'middleware_request_id')
                              || variable(this.r, 'request_id') || '';
                }

                return this.id;
            }
        };
    }

    /*
     * $middleware_scheme exists only with the module loaded; without it,
     * assigning the module's variables would throw (and njs logs noise
     * when that happens inside a promise job).  $middleware_matched is
     * "1" only from the module: then there is no second variable to read
     * (~1.3 k instructions)
     */

    return {
        __proto__: contextDefaults,
        r: r,
        module: matched
                || (variable(r, 'middleware_scheme') !== undefined)
    };
}


function taskCount(ctx) {
    return (ctx.tasks === undefined) ? 0 : ctx.tasks.length;
}


/*
 * the execution context's public face, getRequestExecutionContext()'s:
 * made when first asked for (most requests never do); the request's
 * NextFetchEvent talks to the Context itself
 */

function contextApi(ctx) {
    if (ctx.api === undefined) {
        ctx.api = {
            requestId: ctx.requestId,
            waitUntil: function (promise) { ctxWaitUntil(ctx, promise); },
            passThroughOnException: function () { ctx.passThrough = true; },

            /* extension: R's outcome, next/outcome.js */
            get outcome() { return ctxOutcome(ctx); }
        };
    }

    return ctx.api;
}


/* --- NextFetchEvent ------------------------------------------------------ */

/*
 * new NextFetchEvent({ request, page, context }) as Next.js; context is
 * the object with waitUntil() (here the request's execution context).
 */

function NextFetchEvent(params) {
    if (!nextFetchEventReady && this instanceof NextFetchEvent) {
        protoNextFetchEvent();
        return new NextFetchEvent(params);
    }

    params = params || {};

    this._request = params.request;
    this._context = params.context || null;
    this._waitUntil = [];
    this._passThrough = false;
    this.sourcePage = params.page;
}


/* --- the decision -------------------------------------------------------- */

function isForeignResponse(res) {
    return res && typeof res === 'object' && typeof res.status === 'number'
           && res.headers && typeof res.headers.forEach === 'function'
           && typeof res.arrayBuffer === 'function';
}


/* njs < 0.7.10: ngx.fetch's reply has headers that cannot be listed */

function isUnlistedReply(res) {
    return res && typeof res === 'object' && typeof res.status === 'number'
           && res.headers && typeof res.headers.get === 'function'
           && typeof res.headers.forEach !== 'function'
           && typeof res.arrayBuffer === 'function';
}


/* payload, or a Promise of it for a foreign Response */

function decision(res, base) {
    if (res === undefined || res === null) {
        return protocol.next();
    }

    if (res instanceof Response
        && (res._headers === null || res._headers instanceof Headers))
    {
        return protocol.encodeOurs(res, base);
    }

    if (res instanceof Response) {
        return protocol.encode(res._status,
                               protocol.responseFields(res, base),
                               res._body);
    }

    /*
     * a native Response (ngx.fetch's): its body is read whole.  An empty
     * body's ArrayBuffer is detached on the njs engine: new Uint8Array of
     * it throws (njs 1.0), its byteLength too (njs 0.8.9); a detached
     * buffer holds nothing, so it is an empty body
     */

    if (isForeignResponse(res)) {
        return res.arrayBuffer().then(function (ab) {
            var n;

            try {
                n = ab ? ab.byteLength : 0;

            } catch (e) {
                n = 0;                          /* detached (njs 0.8.9) */
            }

            return protocol.encode(res.status, protocol.responseFields(res),
                                   n ? new Uint8Array(ab)
                                     : new Uint8Array(0));
        });
    }

    if (isUnlistedReply(res)) {
        throw new TypeError('a response of ngx.fetch() cannot be returned '
                            + 'as is with this njs (before 0.7.10 its '
                            + 'headers cannot be listed): return new '
                            + 'Response(await res.arrayBuffer(), { status: '
                            + 'res.status, headers: { ... } })');
    }

    throw new TypeError('Expected an instance of Response to be returned');
}


/* --- serve --------------------------------------------------------------- */

function run(r, middleware, matcher) {
    var ctx, request, event, result, path, matched;

    /*
     * the C module evaluates config.matcher once it has the report (then
     * $middleware_matched is "1"); only otherwise is the compiled matcher
     * needed: compiling it may throw, as serve() did before
     */

    matched = (variable(r, 'middleware_matched') === '1');

    if (!matched) {
        compileMatcher(matcher);
    }

    ctx = newContext(r, matched);
    current = ctx;

    function fail(e) {
        var msg = util.errorMessage(e);

        try {
            r.error('middleware: uncaught exception (request '
                    + ctx.requestId + '): ' + util.errorReport(e));

        } catch (ignore) {
        }

        ctxSend(ctx, protocol.error(msg.length > 1000 ? msg.slice(0, 1000) : msg,
                                ctx.passThrough));
        ctxDrain(ctx);
    }

    function decide(res) {
        var payload;

        if (ctx.decided) {
            return;
        }

        try {
            /* the request's header lines, if the middleware read them */
            payload = decision(res, (request._headers !== undefined)
                                    ? request._headers._src || null : null);

        } catch (e) {
            fail(e);
            return;
        }

        if (typeof payload === 'object' && payload !== null
            && typeof payload.then === 'function')
        {
            payload.then(function (p) {
                ctxSend(ctx, p);
                ctxDrain(ctx);
            }, fail);

            return;
        }

        ctxSend(ctx, payload);
        ctxDrain(ctx);
    }

    try {
        request = requestMod.fromNginx(r, ctx.module);

        if (!matched) {
            if (ctx.module) {
                try {
                    r.variables.middleware_matcher = matcher.report;

                } catch (ignore) {
                }
            }

            path = requestMod.rawPath(r);

            if (!matcherMod.match(matcher.compiled, path,
                                  { headers: request.headers,
                                    searchParams:
                                        request.nextUrl.searchParams }))
            {
                ctxSend(ctx, protocol.next());
                ctxDrain(ctx);
                return;
            }
        }

        /* what new NextFetchEvent() makes, as one literal */

        protoNextFetchEvent();
        event = {
            __proto__: NextFetchEvent.prototype,
            _request: request,
            _context: ctx,                  /* holds its waitUntil tasks */
            sourcePage: SOURCE_PAGE
        };

        result = middleware(request, event);

    } catch (e) {
        fail(e);
        return;
    }

    if (result !== null && typeof result === 'object'
        && typeof result.then === 'function')
    {
        result.then(decide, fail);
        return;
    }

    decide(result);
}


/*
 * config.matcher compiled when first needed: serve() runs at the top
 * level of the user's module, which njs 0.7.9 re-runs for every request,
 * while nginx needs the compiled matcher only until the C module has its
 * report.  Without nginx (the njs CLI) serve() compiles at once, so that
 * an invalid matcher throws there; under nginx it throws from handle()
 * on the requests that need it, which fail as a throw at the top level
 * made them fail.
 */

function compileMatcher(m) {
    if (m.compiled === null) {
        m.compiled = matcherMod.compile(m.source);
        m.report = matcherMod.report(m.compiled);
    }

    return m.compiled;
}


function serve(middleware, config) {
    var matcher;

    if (typeof middleware !== 'function') {
        throw new TypeError('serve(middleware, config): middleware must be '
                            + 'a function');
    }

    config = config || {};
    matcher = { source: config.matcher, compiled: null, report: null,
                shown: null, set: false };

    if (typeof ngx === 'undefined') {
        compileMatcher(matcher);
    }

    return {
        handle: function (r) {
            run(r, middleware, matcher);
        },
        middleware: middleware,
        config: config,

        get matcher() {
            return matcher.set ? matcher.shown : compileMatcher(matcher);
        },

        set matcher(v) {
            matcher.set = true;
            matcher.shown = v;
        }
    };
}


/* Next.js's after(): work that runs once the response is sent */

function after(task) {
    if (!current) {
        throw new Error('`after` was called outside a request scope');
    }

    ctxAfter(current, task);
}


/*
 * The Context's work, as functions of this module rather than methods:
 * on njs 0.7.9 every method of a prototype is made again for every
 * request (~1 k instructions each), a function declaration costs a fifth
 * of that.
 */

/* one wait per request, started on first use */

function ctxOutcome(ctx) {
    if (ctx.outcomePromise === undefined) {
        ctx.outcomePromise = outcomeMod.wait(ctx.r, ctx.module);
    }

    return ctx.outcomePromise;
}


function ctxWaitUntil(ctx, promise) {
    var wrapped;

    /* middleware_tasks_max: one request must not hold the worker */

    if (ctx.tasksMax === undefined) {
        ctx.tasksMax = Number(variable(ctx.r, 'middleware_tasks_max')) || 0;
        ctx.refused = 0;
        ctx.fulfilled = 0;
        ctx.rejected = 0;
    }

    if (ctx.tasksMax && taskCount(ctx) >= ctx.tasksMax) {
        ctx.refused++;
        Promise.resolve(promise).then(null, function () {});

        throw new RangeError('waitUntil: more than ' + ctx.tasksMax
                             + ' tasks for one request '
                             + '(middleware_tasks_max)');
    }

    wrapped = Promise.resolve(promise).then(function () {
        ctx.fulfilled++;

    }, function (e) {
        ctx.rejected++;

        try {
            ctx.r.warn('middleware: waitUntil task rejected (request '
                       + ctx.requestId + '): ' + util.errorReport(e));

        } catch (ignore) {
        }
    });

    if (ctx.tasks === undefined) {
        ctx.tasks = [];
    }

    ctx.tasks.push(wrapped);
}


/*
 * functions given to after(): run once the decision is sent; extension:
 * a function that declares a parameter runs once the client response has
 * ended, with its outcome
 */

function ctxAfter(ctx, task) {
    if (typeof task !== 'function') {
        ctxWaitUntil(ctx, task);
        return;
    }

    if (task.length > 0) {
        ctxWaitUntil(ctx, ctxOutcome(ctx).then(task));
        return;
    }

    if (ctx.decided) {
        ctxWaitUntil(ctx, Promise.resolve().then(task));
        return;
    }

    if (ctx.afterQueue === undefined) {
        ctx.afterQueue = [];
    }

    ctx.afterQueue.push(task);
}


function ctxReport(ctx, s) {
    if (!ctx.module) {
        return;
    }

    try {
        ctx.r.variables.middleware_report = s;

    } catch (e) {
        /* the module is not loaded (njs CLI tests) */
    }
}


function ctxSend(ctx, payload) {
    var i, queue;

    if (ctx.decided) {
        return;
    }

    ctx.decided = true;

    /*
     * nothing to wait for: the final report at once, ctxDrained() then
     * has nothing to add (one variable write less per request)
     */

    if (ctx.tasks === undefined && ctx.afterQueue === undefined) {
        ctxReport(ctx, 'tasks=0 fulfilled=0 rejected=0');
        ctx.final = true;

    } else {
        ctxReport(ctx, 'tasks=' + (taskCount(ctx)
                            + (ctx.afterQueue ? ctx.afterQueue.length : 0)));
    }

    ctx.r['return'](200, payload);

    queue = ctx.afterQueue;

    if (queue === undefined) {
        return;
    }

    ctx.afterQueue = undefined;

    for (i = 0; i < queue.length; i++) {
        try {
            ctxWaitUntil(ctx, Promise.resolve().then(queue[i]));

        } catch (e) {
            /* over middleware_tasks_max: counted as refused */
        }
    }
}


/*
 * Await every task, including tasks registered by running tasks, then
 * report.  The wrappers never reject.
 */

function ctxDrain(ctx) {
    /* no task: done at once, without an async call (its promise) */

    if (taskCount(ctx) === 0) {
        ctxDrained(ctx);
        return;
    }

    ctxDrainTasks(ctx);
}


async function ctxDrainTasks(ctx) {
    var done = 0, batch;

    while (done < ctx.tasks.length) {
        batch = ctx.tasks.slice(done);
        done = ctx.tasks.length;

        await Promise.allSettled(batch);
    }

    ctxDrained(ctx);
}


function ctxDrained(ctx) {
    if (!ctx.final || taskCount(ctx) !== 0 || ctx.refused) {
        ctxReport(ctx, 'tasks=' + taskCount(ctx) + ' fulfilled='
                       + (ctx.fulfilled || 0) + ' rejected='
                       + (ctx.rejected || 0)
                       + (ctx.refused ? ' refused=' + ctx.refused : ''));
    }

    if (current === ctx) {
        current = null;
    }
}


/*
 * NextFetchEvent's prototype, made when the first NextFetchEvent is: njs re-runs a
 * module's top level for every request, and most requests never
 * make one
 */

var nextFetchEventReady = false;


function protoNextFetchEvent() {
    if (nextFetchEventReady) {
        return;
    }

    nextFetchEventReady = true;

    /*
     * the members on an object between the prototype and
     * Object.prototype: one literal, cheaper on njs 0.7.9 than
     * Object.defineProperty() per accessor and an assignment per method
     * (this runs per request; see protoURL() in url.js)
     */
    Object.setPrototypeOf(NextFetchEvent.prototype, {
        /*
         * the defaults of run()'s literal, which has a context (the
         * constructor sets both): a property of a new object costs ~400
         * instructions on QuickJS, where this object is made once
         */
        _waitUntil: null,
        _passThrough: false,

        get request() { return this._request; },

        /* extension: a Promise of R's outcome (next/outcome.js) */
        get outcome() {
            if (this._context instanceof Context) {
                return ctxOutcome(this._context);
            }

            if (this._context && 'outcome' in this._context) {
                return this._context.outcome;
            }

            return outcomeMod.wait(null, false);
        },

        waitUntil: function (promise) {
            if (this._context instanceof Context) {
                ctxWaitUntil(this._context, promise);

            } else if (this._context) {
                this._context.waitUntil(promise);

            } else {
                this._waitUntil.push(promise);
            }
        },

        passThroughOnException: function () {
            this._passThrough = true;

            if (this._context instanceof Context) {
                this._context.passThrough = true;

            } else if (this._context && this._context.passThroughOnException) {
                this._context.passThroughOnException();
            }
        },

        respondWith: function () {
            throw new Error('The middleware "' + this.sourcePage
                            + '" accepts an async API directly with the '
                            + 'form:\n\n  export function middleware('
                            + 'request, event) {\n    return '
                            + "NextResponse.redirect('/new-location')\n  }"
                            + '\n\n  Read more: https://nextjs.org/docs/'
                            + 'messages/middleware-new-signature');
        }
    });
}


export default {
    serve: serve,
    getRequestExecutionContext: getRequestExecutionContext,
    after: after,
    sink: { send: outcomeMod.send },
    userAgent: useragent.userAgent,
    userAgentFromString: useragent.userAgentFromString,
    NextRequest: requestMod.NextRequest,
    NextResponse: responseMod.NextResponse,
    Response: Response,
    NextFetchEvent: NextFetchEvent,
    Headers: headersMod.Headers,
    URL: urlMod.URL,
    URLSearchParams: urlMod.URLSearchParams,
    NextURL: urlMod.NextURL,
    RequestCookies: cookiesMod.RequestCookies,
    ResponseCookies: cookiesMod.ResponseCookies,
    compileMatcher: matcherMod.compile,
    matcherReport: matcherMod.report
};
