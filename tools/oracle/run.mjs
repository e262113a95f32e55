/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * The oracle of t/bundle.t: runs each middleware of the test corpus under
 * the real next/server of Next.js 16 (from npm, in Node.js, no "next
 * build") and records what the client and the upstream would see.
 *
 *     node tools/oracle/run.mjs t/corpus OUT.json
 *
 * For each file of t/corpus/cases.json: the file is bundled for Node with
 * esbuild (types stripped; next/server stays the real one), its
 * config.matcher compiled by Next.js's own getMiddlewareMatchers() and
 * matched by getMiddlewareRouteMatcher(), and for each case a NextRequest
 * (http://localhost + path, method, headers) goes to middleware(request,
 * event).  Recorded per case: the kind (next, rewrite, redirect,
 * response), status, location, the response headers the client gets
 * (x-middleware-* are internal), set-cookie lines, the body of a direct
 * response, and for next/rewrite the path the upstream gets and the
 * request headers of an override.
 */

import fs from 'node:fs';
import path from 'node:path';
import url from 'node:url';
import { createRequire } from 'node:module';
import { AsyncLocalStorage } from 'node:async_hooks';

/* what Next.js's edge sandbox provides (after() needs it) */
globalThis.AsyncLocalStorage = AsyncLocalStorage;

const here = path.dirname(url.fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'package.json'));
const esbuild = createRequire(path.join(here, '..', 'package.json'))('esbuild');

const { adapter } = require('next/dist/server/web/adapter');
const { getMiddlewareMatchers } =
    require('next/dist/build/analysis/get-page-static-info');
const { getMiddlewareRouteMatcher } =
    require('next/dist/shared/lib/router/utils/middleware-route-matcher');

const ORIGIN = 'http://localhost';


async function load(file, tmp) {
    const out = path.join(tmp, path.basename(file).replace(/\.[jt]sx?$/, '')
                               + '.mjs');

    await esbuild.build({
        entryPoints: [file],
        bundle: true,
        format: 'esm',
        platform: 'node',
        outfile: out,
        external: ['next', 'next/*'],
        nodePaths: [path.join(here, '..', 'node_modules')],
        logLevel: 'error'
    });

    /* next/server as a CommonJS package from here */
    fs.writeFileSync(out, fs.readFileSync(out, 'utf8').replace(
        /from "next\/server"/g,
        'from ' + JSON.stringify(require.resolve('next/server'))));

    return import(url.pathToFileURL(out).href + '?' + Date.now());
}


function parseCookies(header) {
    const out = {};

    for (const part of (header || '').split(';')) {
        const i = part.indexOf('=');

        if (i > 0) {
            out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
        }
    }

    return out;
}


function matches(matcher, req) {
    const u = new URL(req.path, ORIGIN);
    const headers = {};
    const query = {};

    for (const [k, v] of Object.entries(req.headers || {})) {
        headers[k.toLowerCase()] = v;
    }

    headers.host = headers.host || 'localhost';

    for (const [k, v] of u.searchParams) {
        query[k] = v;
    }

    return matcher(u.pathname, { headers, cookies: parseCookies(headers.cookie) },
                   query);
}


function record(res, req) {
    const h = res.headers;
    const out = { headers: {}, setCookie: h.getSetCookie().slice().sort() };
    let kind;

    if (h.get('x-middleware-rewrite')) {
        kind = 'rewrite';

    } else if (h.get('x-middleware-next')) {
        kind = 'next';

    } else if ([301, 302, 303, 307, 308].includes(res.status)) {
        kind = 'redirect';

    } else {
        kind = 'response';
    }

    out.kind = kind;
    out.status = (kind === 'next' || kind === 'rewrite') ? 200 : res.status;

    for (const [k, v] of h) {
        if (k.startsWith('x-middleware-') || k === 'set-cookie'
            || k === 'content-length' || k === 'location')
        {
            continue;
        }

        out.headers[k] = v;
    }

    if (kind === 'redirect') {
        /*
         * Next.js's adapter makes a same-origin Location relative; the
         * module keeps it absolute (README): compare the absolute URL
         */
        out.location = new URL(h.get('location'), ORIGIN).href;
    }

    if (kind === 'next' || kind === 'rewrite') {
        const target = kind === 'rewrite'
            ? new URL(h.get('x-middleware-rewrite'))
            : new URL(req.path, ORIGIN);

        out.upstream = { path: target.pathname + target.search };

        /* the override: every listed name with its value; others gone */
        const list = h.get('x-middleware-override-headers');

        if (list) {
            const headers = {};

            for (const name of list.split(',')) {
                const n = name.trim();

                if (n === '' || n === 'host' || n === 'connection'
                    || n === 'content-length' || n === 'user-agent')
                {
                    continue;
                }

                headers[n] = h.get('x-middleware-request-' + n);
            }

            for (const k of Object.keys(req.headers || {})) {
                const n = k.toLowerCase();

                if (!(n in headers) && n !== 'host' && n !== 'user-agent') {
                    headers[n] = null;
                }
            }

            out.upstream.headers = headers;
        }
    }

    return out;
}


async function runCase(mod, matcher, req) {
    const fn = mod.middleware || mod.proxy || mod.default;

    if (matcher && !matches(matcher, req)) {
        return { kind: 'next', status: 200, headers: {}, setCookie: [],
                 upstream: { path: req.path }, skipped: true };
    }

    const headers = { host: 'localhost' };

    for (const [k, v] of Object.entries(req.headers || {})) {
        headers[k.toLowerCase()] = v;
    }

    /* Next.js's own entry: NextRequest, NextFetchEvent, after() scope */
    let res, result;

    try {
        result = await adapter({
            handler: fn,
            page: '/middleware',
            request: { url: ORIGIN + req.path, headers,
                       method: req.method || 'GET', nextConfig: {} }
        });
        res = result.response;
        await result.waitUntil;

    } catch (e) {
        return { kind: 'error', status: 500, message: String(e && e.message) };
    }

    if (res === undefined || res === null) {
        return { kind: 'next', status: 200, headers: {}, setCookie: [],
                 upstream: { path: req.path } };
    }

    const out = record(res, req);

    if (out.kind === 'response') {
        out.body = await res.text();
    }

    return out;
}


async function main() {
    const [dir, outFile] = process.argv.slice(2);
    const cases = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'),
                                             'utf8'));
    const tmp = fs.mkdtempSync(path.join(path.dirname(path.resolve(outFile)),
                                         'oracle-'));
    const result = {};

    /* console.* of the corpus must not garble our output */
    for (const k of ['log', 'info', 'warn', 'error', 'debug']) {
        console[k] = () => {};
    }

    for (const file of Object.keys(cases)) {
        if (file.startsWith('_')) {
            continue;
        }

        const mod = await load(path.join(dir, file), tmp);
        const config = mod.config;
        const matcher = (config && config.matcher)
            ? getMiddlewareRouteMatcher(getMiddlewareMatchers(config.matcher,
                                                              {}))
            : null;

        result[file] = [];

        const list = Array.isArray(cases[file]) ? cases[file]
                                                : cases[file].cases;

        for (const req of list) {
            result[file].push({ request: req,
                                expect: await runCase(mod, matcher, req) });
        }
    }

    fs.rmSync(tmp, { recursive: true, force: true });
    fs.writeFileSync(outFile, JSON.stringify(result, null, 1) + '\n');
}

main().catch((e) => {
    process.stderr.write('oracle: ' + (e && e.stack || e) + '\n');
    process.exit(1);
});
