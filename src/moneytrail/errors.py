"""Exceptions shared by every stage.

A `UserError` is a mistake the user can fix (bad path, bad option, wrong format):
the CLI prints its message on one line and exits 2, never with a traceback.
"""


class UserError(Exception):
    """Bad input from the user: reported as one clear line, exit code 2."""


class FormatError(UserError):
    """A file that is not the format it was declared to be."""
