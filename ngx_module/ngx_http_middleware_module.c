
/*
 * Copyright (C) ngx_http_middleware_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_middleware_common.h"


typedef struct {
    ngx_str_t                      *name;          /* NULL: off */
    ngx_str_t                       file;          /* where it was set */
    ngx_uint_t                      line;
} ngx_http_middleware_directive_t;


static ngx_int_t ngx_http_middleware_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_middleware_postconfiguration(ngx_conf_t *cf);
static void *ngx_http_middleware_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_middleware_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_middleware_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_middleware_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_middleware(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_middleware_check_njs(ngx_conf_t *cf);
static ngx_int_t ngx_http_middleware_resolve(ngx_conf_t *cf,
    ngx_http_middleware_use_t *use);
static ngx_int_t ngx_http_middleware_init_process(ngx_cycle_t *cycle);
static void ngx_http_middleware_exit_process(ngx_cycle_t *cycle);


/*
 * the directive's own state lives next to the loc conf: "middleware" is
 * parsed into it and resolved to a named location in postconfiguration
 */

typedef struct {
    ngx_http_middleware_loc_conf_t  conf;          /* must be first */
    ngx_http_middleware_directive_t directive;
} ngx_http_middleware_loc_conf_ext_t;


static ngx_conf_enum_t  ngx_http_middleware_on_error[] = {
    { ngx_string("fail"), NGX_HTTP_MIDDLEWARE_ON_ERROR_FAIL },
    { ngx_string("pass"), NGX_HTTP_MIDDLEWARE_ON_ERROR_PASS },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_middleware_commands[] = {

    { ngx_string("middleware"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_middleware,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("middleware_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_middleware_loc_conf_t, timeout),
      NULL },

    { ngx_string("middleware_on_error"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_middleware_loc_conf_t, on_error),
      &ngx_http_middleware_on_error },

    { ngx_string("middleware_decision_max_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_middleware_loc_conf_t, max_size),
      NULL },

    { ngx_string("middleware_background_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_middleware_loc_conf_t, background_timeout),
      NULL },

    { ngx_string("middleware_request_body"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_middleware_loc_conf_t, body),
      NULL },

    { ngx_string("middleware_request_body_max_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_middleware_loc_conf_t, body_max_size),
      NULL },

    { ngx_string("middleware_tasks_max"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_middleware_loc_conf_t, tasks_max),
      NULL },

    { ngx_string("middleware_status"),
      NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_middleware_status,
      0,
      0,
      NULL },

    { ngx_string("middleware_sink"),
      NGX_HTTP_SRV_CONF|NGX_CONF_1MORE,
      ngx_http_middleware_sink_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("middleware_background_max"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_middleware_main_conf_t, background_max),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_middleware_module_ctx = {
    ngx_http_middleware_preconfiguration,  /* preconfiguration */
    ngx_http_middleware_postconfiguration, /* postconfiguration */

    ngx_http_middleware_create_main_conf,  /* create main configuration */
    ngx_http_middleware_init_main_conf,    /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_middleware_create_loc_conf,   /* create location configuration */
    ngx_http_middleware_merge_loc_conf     /* merge location configuration */
};


ngx_module_t  ngx_http_middleware_module = {
    NGX_MODULE_V1,
    &ngx_http_middleware_module_ctx,       /* module context */
    ngx_http_middleware_commands,          /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_middleware_init_process,      /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_middleware_exit_process,      /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_middleware_preconfiguration(ngx_conf_t *cf)
{
    return ngx_http_middleware_add_variables(cf);
}


static ngx_int_t
ngx_http_middleware_postconfiguration(ngx_conf_t *cf)
{
    ngx_uint_t                        i;
    ngx_http_handler_pt              *h;
    ngx_http_middleware_use_t        *use;
    ngx_http_core_main_conf_t        *cmcf;
    ngx_http_middleware_main_conf_t  *mmcf;

    mmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_middleware_module);

    if (mmcf->uses.nelts || mmcf->status || mmcf->sinks.nelts) {
        if (ngx_http_middleware_init_zone(cf) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    if (mmcf->sinks.nelts) {
        if (ngx_http_middleware_sink_init(cf) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    if (mmcf->uses.nelts == 0) {
        return NGX_OK;
    }

    if (ngx_http_middleware_check_njs(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    use = mmcf->uses.elts;

    for (i = 0; i < mmcf->uses.nelts; i++) {
        if (ngx_http_middleware_resolve(cf, &use[i]) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    /*
     * the location's rewrite phase; handlers of a phase run in reverse
     * order of registration, and a dynamic module registers after nginx's
     * own modules: ours runs before the rewrite module's "return"
     */

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_middleware_handler;

    if (ngx_http_middleware_outcome_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_middleware_filter_init(cf);
}


/*
 * the njs module must be loaded, and before us: its content handler runs
 * the middleware, and our filters must sit above its own so that they see
 * the detached request's output first
 */

static ngx_int_t
ngx_http_middleware_check_njs(ngx_conf_t *cf)
{
    ngx_uint_t  m;

    for (m = 0; cf->cycle->modules[m]; m++) {
        if (ngx_strcmp(cf->cycle->modules[m]->name, "ngx_http_js_module")
            != 0)
        {
            continue;
        }

        if (cf->cycle->modules[m]->index > ngx_http_middleware_module.index) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"middleware\" requires ngx_http_js_module to be "
                          "loaded before ngx_http_middleware_module");
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "\"middleware\" requires the njs module: add "
                  "\"load_module modules/ngx_http_js_module.so;\" before "
                  "ngx_http_middleware_module");

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_middleware_resolve(ngx_conf_t *cf, ngx_http_middleware_use_t *use)
{
    ngx_str_t                           *name;
    ngx_http_core_loc_conf_t           **clcfp;
    ngx_http_middleware_loc_conf_ext_t  *ext;

    ext = (ngx_http_middleware_loc_conf_ext_t *) use->conf;
    name = ext->directive.name;

    if (use->cscf->named_locations) {
        for (clcfp = use->cscf->named_locations; *clcfp; clcfp++) {

            if (name->len != (*clcfp)->name.len
                || ngx_strncmp(name->data, (*clcfp)->name.data, name->len)
                   != 0)
            {
                continue;
            }

            if ((*clcfp)->handler == NULL) {
                ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                              "middleware location \"%V\" has no content "
                              "handler: add \"js_content\" to it, "
                              "in %V:%ui", name, &ext->directive.file,
                              ext->directive.line);
                return NGX_ERROR;
            }

            use->conf->location = *clcfp;
            use->conf->name = *name;
            return NGX_OK;
        }
    }

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "middleware location \"%V\" not found in server \"%V\", "
                  "in %V:%ui", name, &use->cscf->server_name,
                  &ext->directive.file, ext->directive.line);

    return NGX_ERROR;
}


static void *
ngx_http_middleware_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_middleware_main_conf_t  *mmcf;

    mmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_middleware_main_conf_t));
    if (mmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&mmcf->uses, cf->pool, 4,
                       sizeof(ngx_http_middleware_use_t))
        != NGX_OK)
    {
        return NULL;
    }

    if (ngx_array_init(&mmcf->sinks, cf->pool, 1,
                       sizeof(ngx_http_middleware_sink_t *))
        != NGX_OK)
    {
        return NULL;
    }

    mmcf->background_max = NGX_CONF_UNSET_UINT;
    mmcf->request_id_index = NGX_ERROR;

    return mmcf;
}


static char *
ngx_http_middleware_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_middleware_main_conf_t *mmcf = conf;

    ngx_str_t  name = ngx_string("request_id");

    ngx_conf_init_uint_value(mmcf->background_max, 1024);

    mmcf->request_id_index = ngx_http_get_variable_index(cf, &name);
    if (mmcf->request_id_index == NGX_ERROR) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_middleware_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_middleware_loc_conf_ext_t  *ext;

    ext = ngx_pcalloc(cf->pool, sizeof(ngx_http_middleware_loc_conf_ext_t));
    if (ext == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     ext->conf.location = NULL;
     *     ext->directive.file = { 0, NULL };
     */

    ext->directive.name = NGX_CONF_UNSET_PTR;
    ext->conf.timeout = NGX_CONF_UNSET_MSEC;
    ext->conf.on_error = NGX_CONF_UNSET_UINT;
    ext->conf.max_size = NGX_CONF_UNSET_SIZE;
    ext->conf.background_timeout = NGX_CONF_UNSET_MSEC;
    ext->conf.body = NGX_CONF_UNSET;
    ext->conf.body_max_size = NGX_CONF_UNSET_SIZE;
    ext->conf.tasks_max = NGX_CONF_UNSET_UINT;

    return &ext->conf;
}


static char *
ngx_http_middleware_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_middleware_loc_conf_ext_t *prev = parent;
    ngx_http_middleware_loc_conf_ext_t *conf = child;

    ngx_http_middleware_use_t        *use;
    ngx_http_middleware_main_conf_t  *mmcf;

    if (conf->directive.name == NGX_CONF_UNSET_PTR) {
        conf->directive = prev->directive;
    }

    if (conf->directive.name == NGX_CONF_UNSET_PTR) {
        conf->directive.name = NULL;
    }

    ngx_conf_merge_msec_value(conf->conf.timeout, prev->conf.timeout, 10000);
    ngx_conf_merge_uint_value(conf->conf.on_error, prev->conf.on_error,
                              NGX_HTTP_MIDDLEWARE_ON_ERROR_FAIL);
    ngx_conf_merge_size_value(conf->conf.max_size, prev->conf.max_size,
                              1024 * 1024);
    ngx_conf_merge_msec_value(conf->conf.background_timeout,
                              prev->conf.background_timeout, 30000);

    ngx_conf_merge_value(conf->conf.body, prev->conf.body, 0);
    ngx_conf_merge_size_value(conf->conf.body_max_size,
                              prev->conf.body_max_size, 64 * 1024);
    ngx_conf_merge_uint_value(conf->conf.tasks_max, prev->conf.tasks_max,
                              128);

    if (conf->conf.tasks_max == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"middleware_tasks_max\" must be at least 1");
        return NGX_CONF_ERROR;
    }

    if (conf->conf.max_size < 16) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"middleware_decision_max_size\" must be at "
                           "least 16 bytes");
        return NGX_CONF_ERROR;
    }

    if (conf->directive.name == NULL) {
        return NGX_CONF_OK;
    }

    /*
     * merge runs once per server for every location of that server, with
     * cf->ctx holding the server's srv_conf: remember the pair, the named
     * location is looked up in postconfiguration, when the server's
     * named_locations exist
     */

    mmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_middleware_module);

    use = ngx_array_push(&mmcf->uses);
    if (use == NULL) {
        return NGX_CONF_ERROR;
    }

    use->conf = &conf->conf;
    use->cscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module);

    return NGX_CONF_OK;
}


static char *
ngx_http_middleware(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_middleware_loc_conf_ext_t *ext = conf;

    ngx_str_t  *value;

    if (ext->directive.name != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    ext->directive.file = cf->conf_file->file.name;
    ext->directive.line = cf->conf_file->line;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        ext->directive.name = NULL;
        return NGX_CONF_OK;
    }

    if (value[1].len < 2 || value[1].data[0] != '@') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid middleware location \"%V\": a named "
                           "location such as \"@middleware\" is expected",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    /* cf->args is reused by the next directive: keep a copy */

    ext->directive.name = ngx_palloc(cf->pool, sizeof(ngx_str_t));
    if (ext->directive.name == NULL) {
        return NGX_CONF_ERROR;
    }

    *ext->directive.name = value[1];

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_middleware_init_process(ngx_cycle_t *cycle)
{
    ngx_http_middleware_main_conf_t  *mmcf;

    mmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_middleware_module);

    if (mmcf == NULL) {
        return NGX_OK;
    }

    ngx_http_middleware_attach_zone(cycle);

    if (mmcf->uses.nelts == 0 && mmcf->sinks.nelts == 0) {
        return NGX_OK;
    }

    return ngx_http_middleware_init_worker(cycle);
}


static void
ngx_http_middleware_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_middleware_exit_worker(cycle);
}
