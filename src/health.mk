# src/ health checks, tracking and notify scripts, and their tests.
libvipcore_a_SOURCES += \
	src/health_rule.c src/health_rule.h \
	src/script_cmd.c src/script_cmd.h \
	src/script_run.c src/script_run.h \
	src/check_tcp.c src/check_tcp.h \
	src/check_http.c src/check_http.h \
	src/health.c src/health.h \
	src/health_config.c \
	src/notify.c src/notify.h
