class DevstackError(RuntimeError):
    """A problem a new user can fix; the message is one line that says how."""
