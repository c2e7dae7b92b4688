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
