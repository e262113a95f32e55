/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * The Web globals that Next.js middleware uses without importing them:
 * Headers, Response, URL, URLSearchParams.
 *
 * njs 0.7.9 has none of them.  njs >= 0.7.10 has native Headers, Request
 * and Response in nginx (both engines; not in the njs CLI), and they are
 * not WHATWG's: Headers.forEach() passes (name, value), a repeated name
 * is joined (set-cookie included), there is no getSetCookie(); the
 * native Response adds text/plain next to a content-type given in init;
 * a native null-body arrayBuffer() is detached on the njs engine.  Code
 * written for Next.js (headers.forEach((value, key) => ...),
 * new Headers(request.headers), NextResponse.next({ request: { headers
 * } })) would break on them, and NextRequest.headers is the runtime's
 * Headers anyway.
 *
 * So the runtime's Headers and Response REPLACE the globals on every
 * engine: user code sees one behaviour everywhere.  The native classes
 * stay reachable as Headers.native / Response.native.  Interoperation:
 *
 *   - native objects from ngx.fetch() are accepted wherever a Headers or
 *     a Response is (new Headers(res.headers), request.headers overrides,
 *     returning a fetched Response from the middleware): headers.js
 *     foreignLines(), server.js decision();
 *   - ngx.fetch(url, { headers: h }) with the runtime's Headers: the
 *     native fetch reads a non-native object as a plain record (it would
 *     send "_list"), so ngx.fetch is wrapped once to pass the lines as
 *     [[name, value]] pairs (a plain object before njs 0.7.10);
 *   - Request stays native (ngx.fetch takes only a native Request); give
 *     it plain objects or pairs as headers.
 *
 * The globals are per VM: every module imported in the same http{} sees
 * the replacement.  URL and URLSearchParams are installed only where the
 * engine has none (no njs version has them yet).
 *
 * Cost: a few property assignments when the module is evaluated (per
 * request on the njs engine, which re-runs the top level in every VM
 * clone; once per context with QuickJS and js_context_reuse), nothing per
 * call; the fetch wrapper adds one property check per ngx.fetch().
 *
 * Dialect: njs 0.7.9 (ES5 + Promise + async/await); also valid on QuickJS.
 */

import headersMod from './headers.js';
import urlMod from './url.js';
import responseMod from './response.js';


/*
 * read once: on njs 0.7.9 each evaluation of the name globalThis costs
 * ~0.8 k instructions, a property of the object read through it ~0.3 k
 * (per request there: the top level runs in every VM clone)
 */
var G = globalThis;
var prevURL, prevParams;


function install(name, ours) {
    var prev = G[name];

    if (prev === ours) {
        return;
    }

    if (typeof prev === 'function' && prev.mw === true) {
        /* ours from an earlier evaluation (a VM clone): keep its native */
        prev = prev.native;
    }

    ours.mw = true;
    ours.native = (typeof prev === 'function') ? prev : undefined;

    G[name] = ours;
}


/* the runtime's Headers: an object with _lines() (whatever VM clone) */

function isOurHeaders(h) {
    return h !== null && typeof h === 'object'
           && typeof h._lines === 'function'
           && (Array.isArray(h._list) || (h._list === null && !!h._src));
}


/*
 * headers for the native fetch: [[name, value]] lines where the engine
 * has a native Headers (njs >= 0.7.10 takes pairs, repeated names kept);
 * before, ngx.fetch takes only a plain object: repeated names joined
 * with ", " ("; " for cookie)
 */

function fetchHeaders(h) {
    var lines = h._lines(), out, i, k;

    if (headersMod.NATIVE) {
        return lines;
    }

    out = {};

    for (i = 0; i < lines.length; i++) {
        k = lines[i][0].toLowerCase();

        if (Object.prototype.hasOwnProperty.call(out, k)) {
            out[k] += (k === 'cookie' ? '; ' : ', ') + lines[i][1];

        } else {
            out[k] = lines[i][1];
        }
    }

    return out;
}


function wrapFetch() {
    var native;

    if (typeof ngx === 'undefined' || typeof ngx.fetch !== 'function'
        || ngx.fetch.mw === true)
    {
        return;
    }

    native = ngx.fetch;

    function fetch(input, init) {
        var copy, k;

        if (init !== null && typeof init === 'object'
            && isOurHeaders(init.headers))
        {
            copy = {};

            for (k in init) {
                if (Object.prototype.hasOwnProperty.call(init, k)) {
                    copy[k] = init[k];
                }
            }

            copy.headers = fetchHeaders(init.headers);
            init = copy;
        }

        return native.call(ngx, input, init);
    }

    fetch.mw = true;
    fetch.native = native;

    try {
        ngx.fetch = fetch;

    } catch (e) {
        /* read-only on this engine: pass plain objects to ngx.fetch */
    }
}


/*
 * LAYERED: the engine has no Headers and no Response (njs 0.7.9, the
 * CLIs).  Then the four classes go in one object put between the global
 * object and its prototype: a global name the engine lacks is looked up
 * there, and one literal costs a fraction of four assignments to the
 * global object (~8 k instructions on njs 0.7.9, per request there); an
 * engine's own global keeps precedence, which is what URL and
 * URLSearchParams want.  A VM clone evaluating this again puts its own
 * object in front of the one it inherited (marked __mw_globals): that
 * one's classes make their prototypes in its own module scope, on first
 * use, which a cloned VM must not share.  globals.js does the same with
 * its globals.
 *
 * Otherwise the native Headers / Response (njs >= 0.7.10) are replaced by
 * assignment, and kept as Headers.native / Response.native; URL and
 * URLSearchParams are assigned where the engine has none, or where the
 * one there is ours from an earlier evaluation.
 */

var LAYERED = (G.__mw_globals === true
               || (typeof G.Headers !== 'function'
                   && typeof G.Response !== 'function'));

if (LAYERED) {
    Object.setPrototypeOf(G, {
        __proto__: Object.getPrototypeOf(G),
        __mw_globals: true,
        Headers: headersMod.Headers,
        Response: responseMod.Response,
        URL: urlMod.URL,
        URLSearchParams: urlMod.URLSearchParams
    });

} else {
    install('Headers', headersMod.Headers);
    install('Response', responseMod.Response);

    prevURL = G.URL;
    prevParams = G.URLSearchParams;

    if (prevURL === undefined || prevURL.mw === true) {
        urlMod.URL.mw = true;
        G.URL = urlMod.URL;
    }

    if (prevParams === undefined || prevParams.mw === true) {
        urlMod.URLSearchParams.mw = true;
        G.URLSearchParams = urlMod.URLSearchParams;
    }
}

wrapFetch();


export default {
    layered: LAYERED
};
