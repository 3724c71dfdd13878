# `make binary`: dist/dashsnap, the server as one executable for a box with no Python.
# `make lock`: renews the lock files (requirements*.txt) from the loose ranges in requirements*.in, taking the
# newest releases those ranges allow. Needs the test venv (.venv, with uv from requirements-test.txt).
# `make bench`: bench/ceiling.py, dashsnap against a bare Flask app under wrk; options in BENCH_ARGS, e.g.
# `make bench BENCH_ARGS="--quick"` or `make bench BENCH_ARGS="--fill-cache /var/tmp/dashsnap-bench"`.
.PHONY: bench binary lock

bench:
	.venv/bin/python bench/ceiling.py $(BENCH_ARGS)

binary:
	packaging/build-binary.sh

COMPILE = .venv/bin/uv pip compile --universal --python-version 3.11 --generate-hashes --upgrade --quiet \
	--custom-compile-command "make lock"

lock:
	$(COMPILE) --only-binary :all: --emit-build-options requirements.in -o requirements.txt
	$(COMPILE) requirements-build.in -o requirements-build.txt
	$(COMPILE) --emit-build-options requirements-test.in -o requirements-test.txt
