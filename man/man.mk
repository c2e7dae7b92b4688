# man/: vipd(8), vipctl(8), vipd.conf(5); the version is filled in at
# build time. tests/ops/test_man.sh checks that they render and that
# vipd.conf(5) names every keyword of the parser's tables.
man_MANS = man/vipd.8 man/vipctl.8 man/vipd.conf.5
CLEANFILES += $(man_MANS)
EXTRA_DIST += man/vipd.8.in man/vipctl.8.in man/vipd.conf.5.in
MAN_SUBST = sed -e 's|@VERSION[@]|$(PACKAGE_VERSION)|g'
man/vipd.8: man/vipd.8.in
	$(AM_V_GEN)$(MKDIR_P) man && $(MAN_SUBST) $(srcdir)/man/vipd.8.in >$@
man/vipctl.8: man/vipctl.8.in
	$(AM_V_GEN)$(MKDIR_P) man && $(MAN_SUBST) $(srcdir)/man/vipctl.8.in >$@
man/vipd.conf.5: man/vipd.conf.5.in
	$(AM_V_GEN)$(MKDIR_P) man && $(MAN_SUBST) $(srcdir)/man/vipd.conf.5.in >$@
