"""Development-only tools: never imported by a production server, and not part of the installed package.

`haulport_dev.localstripe_runner` runs localstripe (a stateful stand-in for Stripe, from the ``dev``
extra) on a loopback port, extended by `haulport_dev.localstripe_patches`. The test suite uses it, and
so does a server in dev mode with no Stripe key (``scripts/dev.sh``), when this checkout and the
``dev`` extra are there (``pip install -e '.[dev]'``).
"""
