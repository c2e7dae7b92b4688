# src/ config parser (keepalived syntax + cluster block) and its tests.
libvipcore_a_SOURCES += src/config.c
