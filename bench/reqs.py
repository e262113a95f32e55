#!/usr/bin/env python3
"""bench/reqs.py PORT PATH N EXTRA [Header: value]...

N sequential GET requests over one keep-alive connection, with the headers
wrk sends (Host, the given ones, EXTRA headers x-bench-1: 1 ... as
bench/wrk.lua adds them). Used by bench/run --callgrind, where wrk would
be too fast for nginx under valgrind. Prints the status codes seen
("200x50"); exits 1 if the connection breaks.
"""

import socket
import sys


def response(sock, buf):
    while b'\r\n\r\n' not in buf:
        more = sock.recv(65536)
        if not more:
            raise ConnectionError('connection closed')
        buf += more
    head, buf = buf.split(b'\r\n\r\n', 1)
    lines = head.split(b'\r\n')
    status = lines[0].split()[1].decode()
    length = 0
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b':')
        name = name.strip().lower()
        if name == b'content-length':
            length = int(value)
        elif name == b'transfer-encoding':
            chunked = b'chunked' in value.lower()
    if chunked:
        while b'\r\n0\r\n\r\n' not in buf and not buf.startswith(b'0\r\n\r\n'):
            more = sock.recv(65536)
            if not more:
                raise ConnectionError('connection closed')
            buf += more
        end = buf.index(b'0\r\n\r\n') + 5
        return status, buf[end:]
    while len(buf) < length:
        more = sock.recv(65536)
        if not more:
            raise ConnectionError('connection closed')
        buf += more
    return status, buf[length:]


def main():
    port, path, n, extra = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    headers = ['Host: 127.0.0.1:%s' % port] + sys.argv[5:]
    headers += ['x-bench-%d: %d' % (i, i) for i in range(1, extra + 1)]
    req = ('GET %s HTTP/1.1\r\n%s\r\n\r\n' % (path, '\r\n'.join(headers))).encode()
    sock = socket.create_connection(('127.0.0.1', int(port)), timeout=300)
    seen = {}
    buf = b''
    for _ in range(n):
        sock.sendall(req)
        status, buf = response(sock, buf)
        seen[status] = seen.get(status, 0) + 1
    sock.close()
    print(' '.join('%sx%d' % kv for kv in sorted(seen.items())))


if __name__ == '__main__':
    main()
