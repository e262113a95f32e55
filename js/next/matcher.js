/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * config.matcher as Next.js compiles it (build/analysis/
 * get-page-static-info.ts getMiddlewareMatchers, lib/try-to-parse-path.ts
 * with path-to-regexp 6 defaults) and evaluates it
 * (shared/lib/router/utils/middleware-route-matcher.ts, matchHas in
 * prepare-destination.ts).
 *
 * compile(matcher) -> { all, regexes, conditions, rules } is pure data, so
 * that report() can hand it to the C module (docs/PROTOCOL.md, "The
 * matcher report"), which then evaluates it with PCRE before creating a
 * detached request at all.
 */


/*
 * The module's body is made by load() when first needed, not by its top
 * level: njs re-runs the top level of every imported module for every
 * request (the requests of the http{}'s other njs handlers too), and
 * each function declared there costs ~230 instructions each time.  The
 * top level keeps the shells below, which hand each call to the body.
 * Only for a module that a request through the middleware seldom
 * loads (here: the matcher is compiled only until the C module has its
 * report):
 * once loaded, each shell call adds a call and a lookup (~730
 * instructions on njs 0.7.9), so a module every request loads costs
 * more this way (bench/RESULTS.md, fifth round).
 */

var I = null;


function load() {
    I = makeMatcher();

    return I;
}


function compile(matcher) {
    return (I || load()).compile(matcher);
}


function match(compiled, path, req) {
    return (I || load()).match(compiled, path, req);
}


function report(compiled) {
    return (I || load()).report(compiled);
}


function makeMatcher() {
    /* --- path-to-regexp 6 (parse + tokensToRegexp), default options ------ */

    function lexer(str) {
        var tokens = [], i = 0, ch, name, code, count, pattern, j;

        while (i < str.length) {
            ch = str.charAt(i);

            if (ch === '*' || ch === '+' || ch === '?') {
                tokens.push({ type: 'MODIFIER', index: i,
                              value: str.charAt(i++) });
                continue;
            }

            if (ch === '\\') {
                tokens.push({ type: 'ESCAPED_CHAR', index: i++,
                              value: str.charAt(i++) });
                continue;
            }

            if (ch === '{') {
                tokens.push({ type: 'OPEN', index: i, value: str.charAt(i++) });
                continue;
            }

            if (ch === '}') {
                tokens.push({ type: 'CLOSE', index: i,
                              value: str.charAt(i++) });
                continue;
            }

            if (ch === ':') {
                name = '';
                j = i + 1;

                while (j < str.length) {
                    code = str.charCodeAt(j);

                    if ((code >= 48 && code <= 57) || (code >= 65 && code <= 90)
                        || (code >= 97 && code <= 122) || code === 95)
                    {
                        name += str.charAt(j++);
                        continue;
                    }

                    break;
                }

                if (!name) {
                    throw new TypeError('Missing parameter name at ' + i);
                }

                tokens.push({ type: 'NAME', index: i, value: name });
                i = j;
                continue;
            }

            if (ch === '(') {
                count = 1;
                pattern = '';
                j = i + 1;

                if (str.charAt(j) === '?') {
                    throw new TypeError('Pattern cannot start with "?" at '
                                        + j);
                }

                while (j < str.length) {
                    if (str.charAt(j) === '\\') {
                        pattern += str.charAt(j++) + str.charAt(j++);
                        continue;
                    }

                    if (str.charAt(j) === ')') {
                        count--;

                        if (count === 0) {
                            j++;
                            break;
                        }

                    } else if (str.charAt(j) === '(') {
                        count++;

                        if (str.charAt(j + 1) !== '?') {
                            throw new TypeError('Capturing groups are not '
                                                + 'allowed at ' + j);
                        }
                    }

                    pattern += str.charAt(j++);
                }

                if (count) {
                    throw new TypeError('Unbalanced pattern at ' + i);
                }

                if (!pattern) {
                    throw new TypeError('Missing pattern at ' + i);
                }

                tokens.push({ type: 'PATTERN', index: i, value: pattern });
                i = j;
                continue;
            }

            tokens.push({ type: 'CHAR', index: i, value: str.charAt(i++) });
        }

        tokens.push({ type: 'END', index: i, value: '' });

        return tokens;
    }


    function escapeString(s) {
        return s.replace(/([.+*?=^!:${}()[\]|\/\\])/g, '\\$1');
    }


    function parsePath(str) {
        var tokens, prefixes, defaultPattern, result, key, i, path,
            ch, name, pattern, prefix, value, open, suffix;

        tokens = lexer(str);
        prefixes = './';
        defaultPattern = '[^' + escapeString('/#?') + ']+?';
        result = [];
        key = 0;
        i = 0;
        path = '';

        function tryConsume(type) {
            if (i < tokens.length && tokens[i].type === type) {
                return tokens[i++].value;
            }

            return undefined;
        }

        function mustConsume(type) {
            var v = tryConsume(type), t;

            if (v !== undefined) {
                return v;
            }

            t = tokens[i];
            throw new TypeError('Unexpected ' + t.type + ' at ' + t.index
                                + ', expected ' + type);
        }

        function consumeText() {
            var out = '', v;

            while ((v = tryConsume('CHAR')) !== undefined
                   || (v = tryConsume('ESCAPED_CHAR')) !== undefined)
            {
                out += v;
            }

            return out;
        }

        while (i < tokens.length) {
            ch = tryConsume('CHAR');
            name = tryConsume('NAME');
            pattern = tryConsume('PATTERN');

            if (name !== undefined || pattern !== undefined) {
                prefix = ch || '';

                if (prefixes.indexOf(prefix) === -1) {
                    path += prefix;
                    prefix = '';
                }

                if (path) {
                    result.push(path);
                    path = '';
                }

                result.push({
                    name: name || key++,
                    prefix: prefix,
                    suffix: '',
                    pattern: pattern || defaultPattern,
                    modifier: tryConsume('MODIFIER') || ''
                });

                continue;
            }

            value = ch || tryConsume('ESCAPED_CHAR');

            if (value) {
                path += value;
                continue;
            }

            if (path) {
                result.push(path);
                path = '';
            }

            open = tryConsume('OPEN');

            if (open) {
                prefix = consumeText();
                name = tryConsume('NAME') || '';
                pattern = tryConsume('PATTERN') || '';
                suffix = consumeText();

                mustConsume('CLOSE');

                result.push({
                    name: name || (pattern ? key++ : ''),
                    pattern: (name && !pattern) ? defaultPattern : pattern,
                    prefix: prefix,
                    suffix: suffix,
                    modifier: tryConsume('MODIFIER') || ''
                });

                continue;
            }

            mustConsume('END');
        }

        return result;
    }


    function tokensToRegexp(tokens) {
        var route = '^', i, t, prefix, suffix, mod;

        for (i = 0; i < tokens.length; i++) {
            t = tokens[i];

            if (typeof t === 'string') {
                route += escapeString(t);
                continue;
            }

            prefix = escapeString(t.prefix);
            suffix = escapeString(t.suffix);

            if (t.pattern) {
                if (prefix || suffix) {
                    if (t.modifier === '+' || t.modifier === '*') {
                        mod = (t.modifier === '*') ? '?' : '';
                        route += '(?:' + prefix + '((?:' + t.pattern + ')(?:'
                                 + suffix + prefix + '(?:' + t.pattern + '))*)'
                                 + suffix + ')' + mod;

                    } else {
                        route += '(?:' + prefix + '(' + t.pattern + ')' + suffix
                                 + ')' + t.modifier;
                    }

                } else if (t.modifier === '+' || t.modifier === '*') {
                    route += '((?:' + t.pattern + ')' + t.modifier + ')';

                } else {
                    route += '(' + t.pattern + ')' + t.modifier;
                }

            } else {
                route += '(?:' + prefix + suffix + ')' + t.modifier;
            }
        }

        route += '[' + escapeString('/#?') + ']?$';

        return route;
    }


    /* the regex source of one matcher source, as getMiddlewareMatchers */

    function sourceToRegex(source) {
        var isRoot = (source === '/'), full;

        full = '/:nextData(_next/data/[^/]{1,})?' + source
               + (isRoot ? '(/?index|/?index\\.json)?' : '{(\\.json)}?');

        try {
            return tokensToRegexp(parsePath(full));

        } catch (e) {
            throw new Error('config.matcher: invalid source "' + source + '": '
                            + e.message);
        }
    }


    /* --- compile ---------------------------------------------------------- */

    /* sets as functions, not arrays: see util.js (top-level costs) */

    function isType(t) {
        return t === 'header' || t === 'cookie' || t === 'query'
               || t === 'host';
    }


    function compileConditions(list, what, source) {
        var i, c, out = [];

        if (list === undefined || list === null) {
            return out;
        }

        if (!Array.isArray(list)) {
            throw new Error('config.matcher: "' + what + '" of "' + source
                            + '" must be an array');
        }

        for (i = 0; i < list.length; i++) {
            c = list[i];

            if (!c || typeof c !== 'object' || !isType(c.type)) {
                throw new Error('config.matcher: "' + what + '" item ' + i
                                + ' of "' + source + '" needs a type of '
                                + 'header, cookie, query, host');
            }

            if (c.type !== 'host' && typeof c.key !== 'string') {
                throw new Error('config.matcher: "' + what + '" item ' + i
                                + ' of "' + source + '" needs a string key');
            }

            if (c.value !== undefined && typeof c.value !== 'string') {
                throw new Error('config.matcher: "' + what + '" item ' + i
                                + ' of "' + source + '": value must be a '
                                + 'string');
            }

            out.push({
                type: c.type,
                key: (c.type === 'header') ? c.key.toLowerCase()
                     : (c.type === 'host' ? '' : c.key),
                value: c.value,
                regex: (c.value !== undefined) ? '^' + c.value + '$'
                                               : undefined,
                re: (c.value !== undefined) ? new RegExp('^' + c.value + '$')
                                            : undefined
            });
        }

        return out;
    }


    /*
     * -> { all: true } without a matcher (Next.js: every request), else
     * { all: false, regexes: [source], conditions: [{has, missing}],
     *   rules: [{source, regex, re, has, missing}] }
     */

    function compile(matcher) {
        var list, i, m, source, rule, out;

        if (matcher === undefined || matcher === null || matcher === false
            || matcher === '')
        {
            return { all: true, regexes: [], conditions: [], rules: [] };
        }

        list = Array.isArray(matcher) ? matcher : [matcher];
        out = { all: false, regexes: [], conditions: [], rules: [] };

        for (i = 0; i < list.length; i++) {
            m = list[i];

            if (typeof m === 'string') {
                m = { source: m };
            }

            if (!m || typeof m !== 'object' || typeof m.source !== 'string') {
                throw new Error('config.matcher: item ' + i + ' must be a '
                                + 'string or an object with a "source"');
            }

            source = m.source;

            if (source.charAt(0) !== '/') {
                throw new Error('config.matcher: source "' + source + '" must '
                                + 'start with /');
            }

            rule = {
                source: source,
                regex: sourceToRegex(source),
                has: compileConditions(m.has, 'has', source),
                missing: compileConditions(m.missing, 'missing', source)
            };

            rule.re = new RegExp(rule.regex);

            out.rules.push(rule);
            out.regexes.push(rule.regex);
            out.conditions.push({ has: rule.has, missing: rule.missing });
        }

        return out;
    }


    /* --- evaluation ------------------------------------------------------- */

    /* the "cookie" npm package as Next's getCookieParser: first name wins */

    function cookieValue(header, name) {
        var pairs, i, eq, k, v;

        if (!header) {
            return undefined;
        }

        pairs = header.split(';');

        for (i = 0; i < pairs.length; i++) {
            eq = pairs[i].indexOf('=');

            if (eq === -1) {
                continue;
            }

            k = pairs[i].slice(0, eq).trim();

            if (k !== name) {
                continue;
            }

            v = pairs[i].slice(eq + 1).trim();

            if (v.charAt(0) === '"' && v.charAt(v.length - 1) === '"'
                && v.length > 1)
            {
                v = v.slice(1, -1);
            }

            if (v.indexOf('%') !== -1) {
                try {
                    v = decodeURIComponent(v);

                } catch (e) {
                    /* keep it raw, as the cookie package does */
                }
            }

            return v;
        }

        return undefined;
    }


    /*
     * req: { headers: Headers, searchParams: URLSearchParams } (a NextRequest
     * has them as headers and nextUrl.searchParams)
     */

    function conditionHolds(c, req) {
        var value, all, host;

        switch (c.type) {

        case 'header':
            value = req.headers.get(c.key);
            break;

        case 'cookie':
            value = cookieValue(req.headers.get('cookie'), c.key);
            break;

        case 'query':
            all = req.searchParams.getAll(c.key);
            value = all.length ? all[all.length - 1] : undefined;
            break;

        default:
            host = req.headers.get('host');
            value = host ? host.split(':')[0].toLowerCase() : undefined;
        }

        if (!value) {
            return false;
        }

        return c.re ? c.re.test(value) : true;
    }


    function safeDecode(path) {
        try {
            return decodeURIComponent(path);

        } catch (e) {
            return null;
        }
    }


    /* does the request match? path: the raw request path (before "?") */

    function match(compiled, path, req) {
        var i, j, rule, decoded, ok;

        if (compiled.all) {
            return true;
        }

        decoded = safeDecode(path);

        for (i = 0; i < compiled.rules.length; i++) {
            rule = compiled.rules[i];

            if (!rule.re.test(path)
                && (decoded === null || decoded === path
                    || !rule.re.test(decoded)))
            {
                continue;
            }

            ok = true;

            for (j = 0; ok && j < rule.has.length; j++) {
                ok = conditionHolds(rule.has[j], req);
            }

            for (j = 0; ok && j < rule.missing.length; j++) {
                ok = !conditionHolds(rule.missing[j], req);
            }

            if (ok) {
                return true;
            }
        }

        return false;
    }


    /* --- the report for the C module -------------------------------------- */

    function esc(s) {
        return String(s).replace(/%/g, '%25').replace(/ /g, '%20')
                        .replace(/\t/g, '%09').replace(/\n/g, '%0A');
    }


    function report(compiled) {
        var out, i, j, rule, line;

        if (compiled.all) {
            return 'MATCH1 all\n';
        }

        out = 'MATCH1\n';

        function cond(word, c) {
            return '\t' + word + ' ' + c.type + ' ' + esc(c.key)
                   + (c.regex !== undefined ? ' - ' + esc(c.regex) : '');
        }

        for (i = 0; i < compiled.rules.length; i++) {
            rule = compiled.rules[i];
            line = 'path - ' + esc(rule.regex);

            for (j = 0; j < rule.has.length; j++) {
                line += cond('has', rule.has[j]);
            }

            for (j = 0; j < rule.missing.length; j++) {
                line += cond('missing', rule.missing[j]);
            }

            out += line + '\n';
        }

        return out;
    }


    return {
        compile: compile,
        match: match,
        report: report
    };
}


export default {
    compile: compile,
    match: match,
    report: report
};
