# deploy/: what `make install` puts beside the programs: the systemd unit
# (its ExecStart paths follow --sbindir), bash completion, the sample
# configuration, examples and documentation. With --prefix=/usr vipd goes
# to /usr/sbin and vipctl to /usr/bin, as the unit and the package expect.
systemdsystemunitdir = @systemdsystemunitdir@
bashcompletiondir = $(datadir)/bash-completion/completions
vipdexamplesdir = $(docdir)/examples

dist_doc_DATA = README docs/control-protocol.md docs/membership.md \
	docs/migration-from-keepalived.md
dist_vipdexamples_DATA = deploy/vipd.conf.example deploy/grafana-vipd.json \
	deploy/examples/README
# deploy/examples/DIR/FILE, installed as examples/DIR/FILE (all of deploy/
# is in EXTRA_DIST already).
VIPD_EXAMPLES = \
	haproxy-3node/README haproxy-3node/vipd.conf \
	mycat-3node/README mycat-3node/vipd.conf \
	pair-witness/README pair-witness/node1.conf pair-witness/node2.conf \
	pair-witness/witness.conf pair-witness/vipd-witness.service \
	dual-master/README dual-master/vipd-lb1.conf dual-master/vipd-lb2.conf \
	ipv6/README ipv6/vipd.conf \
	cloud-secondary-ip/README cloud-secondary-ip/vipd.conf \
	cloud-secondary-ip/move-secondary-ip

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
	for f in $(VIPD_EXAMPLES); do \
		$(MKDIR_P) $(DESTDIR)$(vipdexamplesdir)/$${f%/*} && \
		$(INSTALL_DATA) $(srcdir)/deploy/examples/$$f \
			$(DESTDIR)$(vipdexamplesdir)/$$f || exit 1; \
	done
uninstall-deploy:
	for f in $(VIPD_EXAMPLES); do rm -f $(DESTDIR)$(vipdexamplesdir)/$$f; done
	rm -f $(DESTDIR)$(systemdsystemunitdir)/vipd.service \
		$(DESTDIR)$(bashcompletiondir)/vipctl
