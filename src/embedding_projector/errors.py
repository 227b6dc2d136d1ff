"""The project's error types; app.py turns each into the one JSON error shape."""

from __future__ import annotations

# An error names the bad input, never echoes it whole: a 1 MB pattern is not sent back.
MAX_MESSAGE_CHARS = 2000


def clip_message(message: str) -> str:
    """The message, cut to MAX_MESSAGE_CHARS with a note of how much was left out."""
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    return f"{message[:MAX_MESSAGE_CHARS]}… ({len(message) - MAX_MESSAGE_CHARS} more characters)"


class ProjectorError(Exception):
    """Base error with an HTTP status and an optional position in a named file."""

    status = 500

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column

    def to_dict(self) -> dict[str, object]:
        """The JSON body every error answer shares."""
        return {
            "ok": False,
            "status": self.status,
            "error": clip_message(self.message),
            "file": self.file,
            "line": self.line,
            "column": self.column,
        }


class InputError(ProjectorError):
    """Bad user input: a file that does not parse, a bad name, mismatched sizes (400)."""

    status = 400


class NotFound(ProjectorError):
    """An unknown dataset, job or view (404)."""

    status = 404


class Conflict(ProjectorError):
    """A request that clashes with the current state, such as coordinates of an unfinished job (409)."""

    status = 409


class RequestTimeout(ProjectorError):
    """A request body that stopped arriving for longer than the idle-body timeout (408)."""

    status = 408


class TooLarge(ProjectorError):
    """An upload over the configured size limit (413)."""

    status = 413


class Unprocessable(ProjectorError):
    """A well-formed request whose values are out of range, such as a projection parameter (422)."""

    status = 422


class Unauthorized(ProjectorError):
    """A write without the token the server requires (401)."""

    status = 401


class Forbidden(ProjectorError):
    """A write with a wrong token (403)."""

    status = 403


class TooManyRequests(ProjectorError):
    """Over a per-client limit: job starts per minute or jobs at once (429)."""

    status = 429


class InsufficientStorage(ProjectorError):
    """The server's storage budget (views and bookmarks) is used up (507)."""

    status = 507
