"""Allow ``python -m crowdkit_core`` as an alias of the ``crowd`` command."""

from crowdkit_core.cli.app import main

main()
