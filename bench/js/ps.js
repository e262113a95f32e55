// Steps of P, one runtime feature each, for bench/run --cases steps: the
// difference to S-next (the same VM, NextResponse.next() only) is what
// the feature costs per request.

import server from 'next/server.js';
import jwt from 'jwt.js';

var NextResponse = server.NextResponse;

function next() {
    return NextResponse.next();
}

function read(request) {
    return request.headers.get('host') && NextResponse.next();
}

function cookies(request) {
    request.cookies.get('__session');
    return NextResponse.next();
}

function nextUrl(request) {
    var url = request.nextUrl;

    return url.pathname && NextResponse.next();
}

function headers(request) {
    var h = new Headers(request.headers);

    h.delete('x-user-id');
    h.set('x-user-id', 'bench');

    return NextResponse.next({ request: { headers: h } });
}

function verify(request) {
    var c = request.headers.get('cookie');

    jwt.subject(jwt.parseCookies(c).__session, Date.now() / 1000);

    return NextResponse.next();
}

function newUrl(request) {
    var url = new URL('/sign-in?redirect_url=' + encodeURIComponent('/dashboard'),
                      request.url);

    return url.href && NextResponse.next();
}

function redirect() {
    return NextResponse.redirect('http://127.0.0.1/sign-in?redirect_url=%2Fdashboard',
                                 307);
}

export default {
    next: server.serve(next).handle,
    read: server.serve(read).handle,
    cookies: server.serve(cookies).handle,
    nextUrl: server.serve(nextUrl).handle,
    headers: server.serve(headers).handle,
    verify: server.serve(verify).handle,
    newUrl: server.serve(newUrl).handle,
    redirect: server.serve(redirect).handle
};
