# vip/: host network: addresses, GARP/NA, VRRP adverts, netlink watch.
libvipcore_a_SOURCES += \
	vip/csum.h \
	vip/vrrp.h vip/vrrp.c \
	vip/arp.h vip/arp.c

check_PROGRAMS += tests/unit/test_vrrp tests/unit/test_arp
tests_unit_test_vrrp_SOURCES = tests/unit/test_vrrp.c
tests_unit_test_vrrp_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_vrrp_LDADD = $(TEST_LDADD)
tests_unit_test_arp_SOURCES = tests/unit/test_arp.c
tests_unit_test_arp_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_arp_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_vrrp tests/unit/test_arp
