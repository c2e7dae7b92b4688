/* TCP ports for tests that listen on loopback: from the pid, so that
 * parallel test processes do not collide, and below the kernel's
 * ephemeral range (net.ipv4.ip_local_port_range, 32768-60999 on Debian),
 * where any outgoing connection of another test may already hold a port
 * and make the bind fail. Each process gets a block of TEST_PORTS_BLOCK
 * ports from 10000 to 29999; @offset picks one inside it. */
#ifndef VIPD_TESTS_LIB_TEST_PORTS_H
#define VIPD_TESTS_LIB_TEST_PORTS_H

#include <unistd.h>

#define TEST_PORTS_BLOCK 50u

static inline unsigned test_port(unsigned offset)
{
    return 10000u + ((unsigned)getpid() % 400u) * TEST_PORTS_BLOCK +
           offset % TEST_PORTS_BLOCK;
}

#endif /* VIPD_TESTS_LIB_TEST_PORTS_H */
