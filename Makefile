# Deployment targets; scripts/install.sh does the work (see its --help). PREFIX, DESTDIR, SYSCONFDIR and UNITDIR
# are passed through the environment.
PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
export PREFIX DESTDIR SYSCONFDIR UNITDIR

.PHONY: install uninstall check-deploy

install:
	scripts/install.sh

uninstall:
	scripts/install.sh --uninstall

check-deploy:
	scripts/check-deploy
