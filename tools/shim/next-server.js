/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * "next/server" for bundled middleware (tools/bundle maps the import
 * here): the named exports of Next.js's next/server, taken from this
 * project's runtime js/next/server.js, which the bundle imports as
 * __mwRuntime.  userAgent() parses with ua-parser-js 1.0.35, the parser
 * Next.js 16 ships; it is bundled only when the middleware uses it.
 */

import UAParser from 'ua-parser-js';

var server = __mwRuntime;

export var NextRequest = server.NextRequest;
export var NextResponse = server.NextResponse;
export var NextFetchEvent = server.NextFetchEvent;
export var after = server.after;
export var getRequestExecutionContext = server.getRequestExecutionContext;

/* this runtime's extension: batched events for the middleware_sink */
export var sink = server.sink;

export function userAgentFromString(input) {
    return server.userAgentFromString(input, UAParser);
}

export function userAgent(request) {
    return server.userAgent(request, UAParser);
}
