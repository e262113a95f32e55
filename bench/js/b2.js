// B2: stock njs, hand-written. nginx.conf: auth_request to a location
// with js_content b2.auth (204 + x-user-id, or 401); error_page 401 to a
// location answering 307 with the Location from js_set b2.signin.

import jwt from 'jwt.js';

function auth(r) {
    var token, sub;

    // a subrequest: its r.uri is the auth location, the client's path is
    // in $bench_path (set by the client's location)
    if (!jwt.isProtected(r.variables.bench_path)) {
        r.return(204);
        return;
    }

    token = jwt.parseCookies(r.headersIn.Cookie).__session;
    sub = token ? jwt.subject(token, Date.now() / 1000) : null;

    if (sub === null) {
        r.return(401);
        return;
    }

    r.headersOut['x-user-id'] = sub;
    r.return(204);
}

function signin(r) {
    return '/sign-in?redirect_url=' + encodeURIComponent(r.variables.request_uri);
}

export default { auth: auth, signin: signin };
