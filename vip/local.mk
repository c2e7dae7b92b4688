# vip/: host network: addresses, GARP/NA, VRRP adverts, netlink watch.
libvipcore_a_SOURCES += \
	vip/csum.h \
	vip/vrrp.h vip/vrrp.c \
	vip/arp.h vip/arp.c \
	vip/ifaddr.h vip/ifaddr.c \
	vip/nlmon.h vip/nlmon.c \
	vip/announce.h vip/announce.c \
	vip/advert.h vip/advert.c \
	vip/manager.h vip/manager.c vip/manager_int.h vip/manager_setup.c \
	vip/fence.h vip/fence.c vip/fence_page.c \
	vip/manager_reload.c

check_PROGRAMS += tests/unit/test_vrrp tests/unit/test_arp
tests_unit_test_vrrp_SOURCES = tests/unit/test_vrrp.c
tests_unit_test_vrrp_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_vrrp_LDADD = $(TEST_LDADD)
tests_unit_test_arp_SOURCES = tests/unit/test_arp.c
tests_unit_test_arp_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_arp_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_vrrp tests/unit/test_arp

# The manager in a real loop, in a private user+network namespace the test
# makes for itself (runs unprivileged; skips where that is not allowed).
check_PROGRAMS += tests/integration/test_manager
tests_integration_test_manager_SOURCES = tests/integration/test_manager.c
tests_integration_test_manager_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_manager_LDADD = $(TEST_LDADD)
TESTS += tests/integration/test_manager

# Namespace tests: a driver that runs one manager and takes commands on
# stdin, and the scripts that use it (root only; exit 77 otherwise).
check_PROGRAMS += tests/netns/vipnet_tool
tests_netns_vipnet_tool_SOURCES = tests/netns/vipnet_tool.c
tests_netns_vipnet_tool_LDADD = libvipcore.a $(ALL_DEP_LIBS)
VIP_NETNS_TESTS = \
	tests/netns/vip_basic.sh \
	tests/netns/vip_faults.sh \
	tests/netns/vip_wire.sh \
	tests/netns/vip_keepalived.sh
TESTS += $(VIP_NETNS_TESTS)
EXTRA_DIST += $(VIP_NETNS_TESTS) tests/netns/vip_lib.sh \
	tests/fuzz/fuzz_vrrp.c tests/netns/bench_vip.sh

check_PROGRAMS += tests/unit/test_nlmon
tests_unit_test_nlmon_SOURCES = tests/unit/test_nlmon.c
tests_unit_test_nlmon_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_nlmon_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_nlmon

# The fence (vip/fence.h): the shared-page protocol, without processes.
check_PROGRAMS += tests/unit/test_fence
tests_unit_test_fence_SOURCES = tests/unit/test_fence.c
tests_unit_test_fence_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_fence_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_fence

# A holder's vipd killed or stopped while its namespace stays up: the fence
# removes its VIP before anyone else holds it.
TESTS += tests/netns/vip_fence.sh
EXTRA_DIST += tests/netns/vip_fence.sh tests/mutations/fence.list
