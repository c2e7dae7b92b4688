# src/ control socket server, vipctl client side, and their tests.
libvipcore_a_SOURCES += \
	include/vipd/status.h \
	src/status.c \
	src/status_json.c src/status_json.h \
	src/ctl_proto.c src/ctl_proto.h \
	src/ctl_server.c src/ctl_server.h

vipctl_SOURCES += \
	src/vipctl_client.c src/vipctl_client.h \
	src/vipctl_render.c src/vipctl_render.h

# A control socket without Raft: canned answers, recorded requests.
check_PROGRAMS += tests/lib/fake_daemon
tests_lib_fake_daemon_SOURCES = tests/lib/fake_daemon.c
tests_lib_fake_daemon_LDADD = libvipcore.a $(ALL_DEP_LIBS)
