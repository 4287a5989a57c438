"""The embedded default's server-less broker: kombu's filesystem transport, with whole messages only.

Kombu's filesystem channel creates a message file under its final ``*.msg`` name and only then
locks it and writes the payload. The lock is advisory and the consumer takes a file by renaming it,
so under load the worker can take a file before its bytes are in it: it reads an empty or partial
payload and the message (a letter to render, an e-mail to send, a live-room broadcast) is lost.
Here a message is written under a name no consumer looks at, flushed to disk and renamed into
place, so a consumer sees either no file or the whole message.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

import kombu.transport
from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

#: the URL scheme of the embedded broker (Celery's and Socket.IO's); kept as kombu's own name so
#: that settings and documentation say ``filesystem://`` as before
SCHEME = "filesystem"


class WholeMessageChannel(filesystem.Channel):
    """A filesystem channel whose messages appear in the queue folder only when fully written."""

    # The same signature as kombu's filesystem channel (its abstract base names the argument
    # ``message``, the filesystem channel ``payload``; callers pass it by position).
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        # The final name is the stock one (time-ordered, then unique), so consumers sort as before;
        # the partial name starts with a dot and ends in ".part", which no queue's pattern matches.
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, final)
        except OSError as error:
            raise ChannelError(f"Cannot add file {final!r} to directory") from error


class WholeMessageTransport(filesystem.Transport):
    """Kombu's filesystem transport with :class:`WholeMessageChannel`."""

    Channel = WholeMessageChannel


def register() -> None:
    """Make ``filesystem://`` URLs in this process use the whole-message transport (idempotent)."""
    kombu.transport.TRANSPORT_ALIASES[SCHEME] = f"{__name__}:WholeMessageTransport"
