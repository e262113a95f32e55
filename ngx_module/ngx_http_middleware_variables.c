
/*
 * Copyright (C) ngx_http_middleware_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_middleware_common.h"


/*
 * Variables for the runtime on F ($middleware_scheme, $middleware_request_id,
 * the writable $middleware_report) and for log_format on R
 * ($middleware_action, $middleware_time).
 */


static ngx_int_t ngx_http_middleware_scheme_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_middleware_request_id_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_middleware_report_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static void ngx_http_middleware_set_report_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_middleware_action_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_middleware_time_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_middleware_report_number(u_char *p, u_char *last,
    const char *name, size_t len, ngx_uint_t *value);


static ngx_http_variable_t  ngx_http_middleware_vars[] = {

    { ngx_string("middleware_scheme"), NULL,
      ngx_http_middleware_scheme_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("middleware_request_id"), NULL,
      ngx_http_middleware_request_id_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("middleware_report"),
      ngx_http_middleware_set_report_variable,
      ngx_http_middleware_report_variable, 0,
      NGX_HTTP_VAR_CHANGEABLE|NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("middleware_action"), NULL,
      ngx_http_middleware_action_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("middleware_time"), NULL,
      ngx_http_middleware_time_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_middleware_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_middleware_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->set_handler = v->set_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/* the scheme of the client connection, also on F (whose $scheme is http) */

static ngx_int_t
ngx_http_middleware_scheme_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_uint_t                   https;
    ngx_http_middleware_fake_t  *fake;

    fake = ngx_http_middleware_fake(r);

    if (fake) {
        https = fake->https;

    } else {
#if (NGX_HTTP_SSL)
        https = r->connection->ssl ? 1 : 0;
#else
        https = 0;
#endif
    }

    if (https) {
        v->data = (u_char *) "https";
        v->len = sizeof("https") - 1;

    } else {
        v->data = (u_char *) "http";
        v->len = sizeof("http") - 1;
    }

    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/* R's $request_id, on F and on R */

static ngx_int_t
ngx_http_middleware_request_id_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_variable_value_t        *rv;
    ngx_http_middleware_fake_t       *fake;
    ngx_http_middleware_main_conf_t  *mmcf;

    fake = ngx_http_middleware_fake(r);

    if (fake) {
        v->data = fake->request_id.data;
        v->len = fake->request_id.len;
        v->valid = 1;
        v->no_cacheable = 1;
        v->not_found = 0;
        return NGX_OK;
    }

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_middleware_module);

    rv = ngx_http_get_indexed_variable(r, mmcf->request_id_index);

    if (rv == NULL || rv->not_found) {
        v->not_found = 1;
        return NGX_OK;
    }

    *v = *rv;

    return NGX_OK;
}


static ngx_int_t
ngx_http_middleware_report_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                      *p;
    ngx_http_middleware_fake_t  *fake;

    fake = ngx_http_middleware_fake(r);

    if (fake == NULL || !fake->reported) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, 2 * NGX_INT_T_LEN + sizeof("fulfilled= rejected="));
    if (p == NULL) {
        return NGX_ERROR;
    }

    v->data = p;
    v->len = ngx_sprintf(p, "fulfilled=%ui rejected=%ui", fake->fulfilled,
                         fake->rejected)
             - p;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/*
 * the runtime's last word on F: "fulfilled=N rejected=M", the outcome of
 * its waitUntil tasks
 */

static void
ngx_http_middleware_set_report_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_middleware_fake_t  *fake;

    fake = ngx_http_middleware_fake(r);

    if (fake == NULL) {
        return;
    }

    if (ngx_http_middleware_report_number(v->data, v->data + v->len,
                                          "fulfilled=", 10, &fake->fulfilled)
           != NGX_OK
        || ngx_http_middleware_report_number(v->data, v->data + v->len,
                                             "rejected=", 9, &fake->rejected)
           != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "middleware: invalid report \"%*s\"",
                      (size_t) ngx_min(v->len, 64), v->data);
        return;
    }

    fake->reported = 1;
}


static ngx_int_t
ngx_http_middleware_report_number(u_char *p, u_char *last, const char *name,
    size_t len, ngx_uint_t *value)
{
    u_char     *s;
    ngx_int_t   n;

    for ( /* void */ ; p + len <= last; p++) {
        if (ngx_strncmp(p, name, len) != 0) {
            continue;
        }

        p += len;

        for (s = p; s < last && *s >= '0' && *s <= '9'; s++) {
            /* void */
        }

        n = ngx_atoi(p, s - p);
        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        *value = n;
        return NGX_OK;
    }

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_middleware_action_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    const char                 *action;
    ngx_http_middleware_ctx_t  *ctx;

    ctx = ngx_http_middleware_fake(r) ? NULL : ngx_http_middleware_get_ctx(r);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (ctx->timed_out) {
        action = "timeout";

    } else if (ctx->failed) {
        action = "error";

    } else if (ctx->state == NGX_HTTP_MIDDLEWARE_RUNNING) {
        action = "running";

    } else {
        action = mw_decision_kind_name(ctx->decision.kind);
    }

    v->data = (u_char *) action;
    v->len = ngx_strlen(action);
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_middleware_time_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                     *p;
    ngx_http_middleware_ctx_t  *ctx;

    ctx = ngx_http_middleware_fake(r) ? NULL : ngx_http_middleware_get_ctx(r);

    if (ctx == NULL || ctx->state == NGX_HTTP_MIDDLEWARE_RUNNING) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN + 4);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v->data = p;
    v->len = ngx_sprintf(p, "%M", ctx->elapsed) - p;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}
