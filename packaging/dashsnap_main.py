"""The binary's entry point (packaging/dashsnap.spec): the `dashsnap` command."""
from dashsnap.cli import main

main()
