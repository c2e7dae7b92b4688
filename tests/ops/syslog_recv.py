#!/usr/bin/env python3
"""A stand-in for /dev/log (tests/ops/test_log.sh): binds the unix datagram
socket PATH and appends every syslog message to OUT, one per line."""
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    print("listening", file=f)
    while True:
        print(s.recv(8192).decode("utf-8", "replace").rstrip("\n"), file=f)
