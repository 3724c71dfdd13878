"""What the store raises; the web layer turns each into Grafana's answer."""


class Conflict(Exception):
    """A unique field (named in .field) is already taken by another document."""

    def __init__(self, field: str):
        super().__init__(field)
        self.field = field


class Missing(Exception):
    """The document (named in .args[0]) that an operation needs does not exist."""
