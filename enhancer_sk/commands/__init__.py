"""Subcommands of ``enhancer-sk`` (one module each; see :mod:`enhancer_sk.cli`)."""
