/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * The njs "ngx" global as middleware uses it.  njs-types (in tools/) has
 * the complete one, but it declares its own Headers / Request / Response
 * classes, which clash with the Web ones (lib.dom) a Next.js middleware
 * is written against; this is the subset with the Web types.
 */

declare namespace ngx {
  const build: string
  const conf_prefix: string
  const error_log_path: string
  const prefix: string
  const version: string
  const version_number: number
  const worker_id: number
  const INFO: number
  const WARN: number
  const ERR: number
  function log(level: number, message: string): void
  function fetch(url: string, init?: {
    method?: string
    headers?: Record<string, string> | Headers
    body?: string
    max_response_body_size?: number
    verify?: boolean
    buffer_size?: number
  }): Promise<Response>

  interface SharedDict {
    get(key: string): string | number | undefined
    set(key: string, value: string | number, timeout?: number): this
    add(key: string, value: string | number, timeout?: number): boolean
    incr(key: string, delta: number, init?: number, timeout?: number): number
    delete(key: string): boolean
    has(key: string): boolean
    size(): number
  }
  const shared: Record<string, SharedDict>
}
