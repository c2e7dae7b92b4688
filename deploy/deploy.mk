# deploy/: what `make install` puts beside the programs: the systemd unit
# (its ExecStart paths follow --sbindir), bash completion, the sample
# configuration, examples and documentation. With --prefix=/usr vipd goes
# to /usr/sbin and vipctl to /usr/bin, as the unit and the package expect.
systemdsystemunitdir = @systemdsystemunitdir@
bashcompletiondir = $(datadir)/bash-completion/completions
vipdexamplesdir = $(docdir)/examples

dist_doc_DATA = README docs/control-protocol.md docs/membership.md
dist_vipdexamples_DATA = deploy/vipd.conf.example

install-data-local: install-deploy
uninstall-local: uninstall-deploy
.PHONY: install-deploy uninstall-deploy
install-deploy:
	$(MKDIR_P) $(DESTDIR)$(systemdsystemunitdir) $(DESTDIR)$(bashcompletiondir)
	sed -e 's|/usr/sbin/vipd|$(sbindir)/vipd|g' $(srcdir)/deploy/vipd.service \
		>$(DESTDIR)$(systemdsystemunitdir)/vipd.service.tmp
	chmod 644 $(DESTDIR)$(systemdsystemunitdir)/vipd.service.tmp
	mv $(DESTDIR)$(systemdsystemunitdir)/vipd.service.tmp \
		$(DESTDIR)$(systemdsystemunitdir)/vipd.service
	$(INSTALL_DATA) $(srcdir)/deploy/vipctl.bash-completion \
		$(DESTDIR)$(bashcompletiondir)/vipctl
uninstall-deploy:
	rm -f $(DESTDIR)$(systemdsystemunitdir)/vipd.service \
		$(DESTDIR)$(bashcompletiondir)/vipctl
