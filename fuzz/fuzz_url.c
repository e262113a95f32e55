
/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * libFuzzer target: mw_url_parse(), mw_url_same_origin() and
 * mw_url_decode_path() on any rewrite target, mw_url_request() on it as
 * a request target; the first byte splits the input into the URL and the
 * request's host.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mw_url.h>


static int
fuzz_inside(const mw_str_t *s, const unsigned char *p, size_t len)
{
    return s->len == 0 || (s->data >= p && s->data + s->len <= p + len);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long            n;
    size_t          cut, i, lf, len;
    mw_str_t        host, target;
    mw_url_t        u;
    unsigned char  *p, *out;

    if (size == 0) {
        return 0;
    }

    cut = data[0] % (size);

    p = malloc(size - 1 ? size - 1 : 1);
    if (p == NULL) {
        return 0;
    }

    memcpy(p, data + 1, size - 1);
    size -= 1;

    if (cut > size) {
        cut = size;
    }

    if (mw_url_parse(p, size - cut, &u) == MW_OK) {

        if (u.path.len == 0
            || !fuzz_inside(&u.scheme, p, size - cut)
            || !fuzz_inside(&u.host, p, size - cut)
            || !fuzz_inside(&u.query, p, size - cut))
        {
            abort();
        }

        (void) mw_url_same_origin(&u, (unsigned char *) "http", 4,
                                  p + size - cut, cut);
        (void) mw_url_same_origin(&u, (unsigned char *) "https", 5,
                                  p + size - cut, cut);

        out = malloc(u.path.len);
        if (out != NULL) {
            n = mw_url_decode_path(&u.path, out);

            if (n > (long) u.path.len || (n >= 0 && memchr(out, 0, n))) {
                abort();
            }

            free(out);
        }
    }

    /* the parts of a request's URL: within their room, 4 to 6 LFs */

    target.data = p;
    target.len = size - cut;
    host.data = p + size - cut;
    host.len = cut;
    len = MW_URL_REQUEST_LEN(host.len, target.len);

    out = malloc(len);
    if (out != NULL) {
        n = (long) mw_url_request(data[0] & 1, &host, &target, out);

        if (n > (long) len) {
            abort();
        }

        for (i = 0, lf = 0; i < (size_t) n; i++) {
            if (out[i] == '\n') {
                lf++;

            } else if (out[i] <= 0x20 || out[i] >= 0x7f) {
                abort();
            }
        }

        if (n && (lf < 4 || lf > 6 || memcmp(out, "http", 4) != 0)) {
            abort();
        }

        free(out);
    }

    free(p);

    return 0;
}
