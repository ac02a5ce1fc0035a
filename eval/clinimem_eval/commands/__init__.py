"""The evaluation package's ``clinimem`` subcommands: ``synth``, ``eval``, ``eval babi``, ``train``.

The core command line never imports this package: each module here is registered as an
entry point of the group ``clinimem.commands`` (``pyproject.toml``), which ``clinimem.cli``
discovers. A module has ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``,
and imports nothing heavy at module level, because ``clinimem --help`` imports it to read ``HELP``.
"""
