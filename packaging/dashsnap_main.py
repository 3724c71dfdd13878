"""The binary's entry point (packaging/dashsnap.spec): the `dashsnap` command."""
import multiprocessing

# `[server] workers` starts each worker (and multiprocessing's resource tracker) by running this binary again:
# freeze_support makes such a run that process, and ends it, before it could import and run the command.
multiprocessing.freeze_support()

from dashsnap.cli import main  # noqa: E402  (a worker needs none of it before freeze_support)

main()
