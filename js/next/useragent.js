/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * userAgent(request) and userAgentFromString(ua) of next/server: the
 * parser's result ({ ua, browser, engine, os, device, cpu }) plus isBot,
 * as Next.js computes it.  The parser is ua-parser-js (the one Next.js
 * ships): the bundle tool (./build.sh bundle) bundles it and passes it in;
 * code written by hand for the runtime registers one with
 * setParser(UAParser) or gets a clear error.
 */

/* Next.js 16's list (next/dist/server/web/spec-extension/user-agent) */

/*
 * A literal, made on first use: njs compiles a literal once, with the
 * code, where new RegExp() compiled this one at the top level, for every
 * request on the njs engine (340 k instructions)
 */

var BOT = null;

var registered = null;


function isBot(input) {
    if (BOT === null) {
        BOT = /Googlebot|Mediapartners-Google|AdsBot-Google|googleweblight|Storebot-Google|Google-PageRenderer|Google-InspectionTool|Bingbot|BingPreview|Slurp|DuckDuckBot|baiduspider|yandex|sogou|LinkedInBot|bitlybot|tumblr|vkShare|quora link preview|facebookexternalhit|facebookcatalog|Twitterbot|applebot|redditbot|Slackbot|Discordbot|WhatsApp|SkypeUriPreview|ia_archiver|GPTBot/i;
    }

    return BOT.test(input);
}


function setParser(parser) {
    if (typeof parser !== 'function') {
        throw new TypeError('setParser(parser): parser must be a function');
    }

    registered = parser;
}


function userAgentFromString(input, parser) {
    var p = parser || registered, res, out = {}, k;

    if (!p) {
        throw new Error('userAgent() needs a user-agent parser: build the '
                        + 'middleware with "./build.sh bundle" (it bundles '
                        + 'ua-parser-js), or call '
                        + 'useragent.setParser(UAParser)');
    }

    res = p(input);

    for (k in res) {
        if (Object.prototype.hasOwnProperty.call(res, k)) {
            out[k] = res[k];
        }
    }

    out.isBot = (input === undefined) ? false : isBot(input);

    return out;
}


function userAgent(request, parser) {
    return userAgentFromString(request.headers.get('user-agent') || undefined,
                               parser);
}


export default {
    isBot: isBot,
    setParser: setParser,
    userAgent: userAgent,
    userAgentFromString: userAgentFromString
};
