"""The ``microcath`` command line: a thin shell over the public Python API.

Each command lives in its own module of this package and exposes a
``click.Command`` named ``command``; :data:`main.COMMANDS` lists them.
"""
