"""The embedded broker shows a consumer whole messages only, never a file still being written."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest
from kombu import Connection
from kombu.utils.json import register_type

from hamkke.task_queue import filesystem_transport_options


class FolderWitness:
    """A payload part that, while the message is being serialized and written, looks at the queue."""

    seen: ClassVar[list[list[str]]] = []

    def __init__(self, queue_folder: Path) -> None:
        self.queue_folder = queue_folder


def _encode_witness(witness: FolderWitness) -> str:
    # This runs inside the producer's put, exactly when a consumer could list the folder.
    FolderWitness.seen.append(sorted(path.name for path in witness.queue_folder.iterdir()))
    return "witnessed"


register_type(FolderWitness, None, _encode_witness)


@pytest.mark.embedded
def test_a_message_being_written_is_invisible_to_consumers_then_arrives_whole(tmp_path: Path) -> None:
    options = filesystem_transport_options(str(tmp_path))
    queue_folder = Path(options["data_folder_in"])
    FolderWitness.seen.clear()
    with Connection("filesystem://", transport_options=options) as connection:
        queue = connection.SimpleQueue("letters")
        payload: dict[str, Any] = {"body": "편지", "witness": FolderWitness(queue_folder)}
        queue.channel._put("letters", payload)  # the transport's own write path, as a publish uses it
        assert FolderWitness.seen, "the payload was not serialized inside the put"
        visible = [name for names in FolderWitness.seen for name in names if name.endswith(".letters.msg")]
        assert visible == [], f"a consumer could take a message file before its bytes were in it: {visible}"
        assert queue.channel._get("letters") == {"body": "편지", "witness": "witnessed"}
        queue.close()
    assert not [path.name for path in queue_folder.iterdir()], "a partial file was left behind"
