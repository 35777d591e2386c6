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
	rm -rf .build/xenstored-logs
