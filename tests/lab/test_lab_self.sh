#!/bin/bash
# The lab library itself: namespaces come up and reach each other, a
# partition cuts exactly the chosen pairs and heals, link down isolates a
# node, a daemon's whole process group dies on lab_kill, and nothing (no
# namespace, no process) is left behind after lab_down, also when the
# script that used the lab dies of a signal.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
lab_skip_unless_possible
fail=0
check() { # description command...
    local what=$1
    shift
    if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=1; fi
}
reach() { lab_exec "$1" ping -c1 -W1 -q "$2" >/dev/null 2>&1; }
unreach() { ! lab_exec "$1" ping -c1 -W1 -q "$2" >/dev/null 2>&1; }
# gone PID: bounded wait until PID has exited (a zombie counts as exited).
gone()
{
    local deadline=$((SECONDS + 5))
    while kill -0 "$1" 2>/dev/null &&
        ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.05
    done
}
group_gone() # PGID: bounded wait until no process is left in the group
{
    local deadline=$((SECONDS + 5)) p
    while :; do
        p=$(pgrep -g "$1" | head -1)
        if [ -z "$p" ] || grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null; then
            return 0
        fi
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.05
    done
}

lab_up 3
prefix=$LAB_PREFIX
check "five namespaces" [ "$(ip netns list | grep -c "^$prefix-")" = 5 ]
check "client reaches n3" reach c "$(lab_node_ip 3)"
check "n1 reaches n2" reach 1 "$(lab_node_ip 2)"
lab_partition 1 "2 3"
check "partition cuts n1-n2" unreach 1 "$(lab_node_ip 2)"
check "partition cuts n3-n1" unreach 3 "$(lab_node_ip 1)"
check "partition keeps n2-n3" reach 2 "$(lab_node_ip 3)"
check "partition keeps client-n1" reach c "$(lab_node_ip 1)"
lab_heal
check "heal restores n1-n2" reach 1 "$(lab_node_ip 2)"
lab_oneway_loss 2
check "one-way loss: n2 cannot send to n1" unreach 2 "$(lab_node_ip 1)"
check "one-way loss: the client still reaches n2" reach c "$(lab_node_ip 2)"
lab_heal
lab_oneway_loss 2 in
check "deaf: n1 gets no answer from n2" unreach 1 "$(lab_node_ip 2)"
check "deaf: the client still reaches n2" reach c "$(lab_node_ip 2)"
lab_heal
lab_link_down 3
check "link down isolates n3" unreach c "$(lab_node_ip 3)"
lab_link_up 3
lab_wait_links
check "link up restores n3" reach c "$(lab_node_ip 3)"
lab_exec 2 ip addr add "$LAB_VIP/24" dev eth0
check "lab_holders sees the VIP" [ "$(lab_holders)" = 2 ]
lab_start 1 bash -c 'sleep 300 & sleep 300 & wait'
sleep 0.2
pgid=$(lab_pid 1)
check "daemon runs" lab_running 1
lab_kill 1
check "lab_kill kills the whole process group" group_gone "$pgid"
lab_start 2 sleep 300
pid2=$(lab_pid 2)
lab_down
check "lab_down removes every namespace" [ "$(ip netns list | grep -c "^$prefix-")" = 0 ]
check "lab_down kills daemons" gone "$pid2"

# A user of the lab killed by SIGTERM still cleans up (the trap).
LAB_PREFIX=$prefix-t bash -c ". '$here/lib.sh'; lab_up 3; lab_start 1 sleep 300;
    echo \$(lab_pid 1) >/tmp/$prefix-t.pid; kill -TERM \$\$; sleep 30" >/dev/null 2>&1
check "killed script leaves no namespace" [ "$(ip netns list | grep -c "^$prefix-t-")" = 0 ]
check "killed script leaves no process" gone "$(cat "/tmp/$prefix-t.pid")"
rm -f "/tmp/$prefix-t.pid"
exit $fail
