"""What a failed open, save or export raises; the window shows the text (torch-free, so the
window module can catch them before the labs have loaded)."""


class SessionError(Exception):
    """An open, save or export that did not happen; the text says why, in one message."""


class OpenError(SessionError):
    """A session file that cannot be read or replayed; the session open is unchanged."""


class WriteError(SessionError):
    """A save or export that could not be written; any existing file was left as it was."""
