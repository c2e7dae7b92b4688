#!/usr/bin/env python3
"""A stand-in for systemd's notification socket (tests/ops): binds the
unix datagram socket PATH and appends every message to OUT, one line per
message (newlines inside a message become spaces), flushed at once."""
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(out, "a", buffering=1) as f:
    print("listening", file=f)
    while True:
        msg = s.recv(4096).decode("utf-8", "replace")
        print(msg.replace("\n", " "), file=f)
