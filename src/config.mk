# src/ config parser (keepalived syntax + cluster block) and its tests.
libvipcore_a_SOURCES += \
	src/config_int.h \
	src/config_lex.c \
	src/config_parse.c \
	src/config_blocks.c \
	src/config_cluster.c \
	src/config_instance.c \
	src/config_check.c \
	src/config_value.c
