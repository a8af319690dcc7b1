"""The command line's face: one module per command group, rendering in :mod:`.render`.

:mod:`vaxis.cli` builds the ``vaxis`` command from these modules; nothing here is library
API, and nothing here is imported by the library. Importing this package is free: each
module imports what it needs.
"""

__all__: list[str] = []
