# The two commands a lab needs: `make demo` runs the main job on the simulated board,
# `make test` runs the whole test suite. Both install what they need first.
SWIFT ?= swift

.PHONY: deps build release demo test bench clean

deps:
	@scripts/ensure-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

demo: release
	scripts/demo.sh

test: deps
	scripts/test.sh

bench: release
	$(SWIFT) run -c release xbar-bench all

clean:
	rm -rf .build
