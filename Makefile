# `make binary`: dist/dashsnap, the server as one executable for a box with no Python.
.PHONY: binary
binary:
	packaging/build-binary.sh
