#!/bin/bash
# vrrp_track_process moves the VIP: tests/netns/health_haproxy.sh with
# each node's haproxy tracked by vrrp_track_process (its command line,
# from the kernel's process events) instead of a vrrp_script. Stopping
# haproxy on the holder moves the VIP; starting it again moves it back
# after preempt_delay (or not, under nopreempt). Prints the failover time;
# HEALTH_DAEMON=keepalived gives keepalived's on the same config.
HEALTH_TRACK=process exec bash "${VIPD_SRCDIR:-$(dirname "$0")/../..}/tests/netns/health_haproxy.sh" "$@"
