# The two commands of the README: `make demo` and `make test`. Both run scripts/setup first.
SWIFT ?= swift

.PHONY: setup build test demo clean

setup:
	scripts/setup

build: setup
	$(SWIFT) build -Xswiftc -warnings-as-errors

test: setup
	scripts/test

demo: setup
	scripts/demo

clean:
	$(SWIFT) package clean
	rm -rf .build/xenstored-logs .build-static

# Deployment: scripts/install.sh does the work (see its --help); PREFIX, DESTDIR, SYSCONFDIR, UNITDIR and
# CONFIGURATION (release or debug) reach it through the environment. `make install` builds (incrementally) when a
# Swift toolchain is on PATH, else installs the binary already built.
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
export PREFIX DESTDIR SYSCONFDIR UNITDIR CONFIGURATION

.PHONY: install uninstall check-deploy deb

install:
	scripts/install.sh

uninstall:
	scripts/install.sh --uninstall

check-deploy:
	scripts/check-deploy

# The Debian package, into dist/ (scripts/build-deb; its tests: scripts/deb-test, run by `make test`).
deb:
	scripts/setup --packaging
	scripts/build-deb
