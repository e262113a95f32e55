
/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * libFuzzer target: mw_decision_parse() on any payload, then
 * mw_header_override() (or, for x-middleware-override-changed,
 * mw_decision_changed()) of the result on a fixed request; checks the
 * invariants the glue relies on.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mw_decision.h>
#include <mw_header.h>

#include "fuzz.h"


static mw_header_t  orig[] = {
    { { 4, (unsigned char *) "Host" }, { 9, (unsigned char *) "localhost" } },
    { { 14, (unsigned char *) "Content-Length" }, { 1, (unsigned char *) "5" } },
    { { 6, (unsigned char *) "Cookie" }, { 3, (unsigned char *) "a=b" } },
    { { 9, (unsigned char *) "X-User-Id" }, { 5, (unsigned char *) "admin" } },
};


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int             rc;
    char            err[MW_ERRLEN];
    size_t          i;
    mw_alloc_t      a;
    mw_headers_t    in, out;
    mw_decision_t   d;
    unsigned char  *p;

    fuzz_arena_reset();

    a.alloc = fuzz_alloc;
    a.data = NULL;

    /* an exact-size copy: ASan sees any read past the end */

    p = malloc(size ? size : 1);
    if (p == NULL) {
        return 0;
    }

    memcpy(p, data, size);

    rc = mw_decision_parse(p, size, &d, &a, err, sizeof(err));

    if (strnlen(err, sizeof(err)) == sizeof(err)) {
        abort();
    }

    if (rc != MW_OK) {
        if (rc == MW_ERROR && err[0] == '\0') {
            abort();
        }

        free(p);
        return 0;
    }

    if (d.status < 100 || d.status > 599) {
        abort();
    }

    for (i = 0; i < d.response.nelts; i++) {
        if (!mw_header_name_valid(d.response.elts[i].name.data,
                                  d.response.elts[i].name.len)
            || !mw_header_value_valid(d.response.elts[i].value.data,
                                      d.response.elts[i].value.len)
            || mw_header_is_protocol(d.response.elts[i].name.data,
                                     d.response.elts[i].name.len))
        {
            abort();
        }
    }

    for (i = 0; i < d.request.nelts; i++) {
        if (!mw_header_name_valid(d.request.elts[i].name.data,
                                  d.request.elts[i].name.len)
            || !mw_header_value_valid(d.request.elts[i].value.data,
                                      d.request.elts[i].value.len))
        {
            abort();
        }
    }

    in.elts = orig;
    in.nelts = sizeof(orig) / sizeof(orig[0]);

    if (mw_header_override(&in, &d, &out, &a) == MW_OK) {
        for (i = 0; i < out.nelts; i++) {
            if (!mw_header_value_valid(out.elts[i].value.data,
                                       out.elts[i].value.len))
            {
                abort();
            }
        }

        /* with an override the client's x-user-id never survives */

        if (d.override) {
            for (i = 0; i < out.nelts; i++) {
                if (out.elts[i].value.data == orig[3].value.data) {
                    abort();
                }
            }
        }
    }

    /* only changes: a listed client header never survives, the rest does */

    if (d.override && d.changed) {
        abort();
    }

    if (d.changed && mw_decision_changed(&in, &d, &out, &a) == MW_OK) {
        size_t  k, listed, kept;

        listed = 0;

        for (k = 0; k < d.nnames; k++) {
            if (!mw_header_name_valid(d.names[k].data, d.names[k].len)) {
                abort();
            }

            if (mw_header_name_eq(d.names[k].data, d.names[k].len,
                                  "x-user-id"))
            {
                listed = 1;
            }
        }

        kept = 0;

        for (i = 0; i < out.nelts; i++) {
            if (!mw_header_name_valid(out.elts[i].name.data,
                                      out.elts[i].name.len)
                || !mw_header_value_valid(out.elts[i].value.data,
                                          out.elts[i].value.len))
            {
                abort();
            }

            if (out.elts[i].value.data == orig[3].value.data) {
                kept = 1;
            }
        }

        if (kept == listed) {
            abort();
        }

        if (out.nelts > in.nelts + d.request.nelts) {
            abort();
        }
    }

    (void) mw_decision_kind_name(d.kind);

    free(p);

    return 0;
}
