"""Files uploaded the way files_upload_v2 does it: get a URL, POST the bytes, complete."""

from __future__ import annotations

from bot.sandbox.ids import IdSource
from bot.sandbox.models import ApiError, StoredFile


class FileStore:
    def __init__(self, ids: IdSource) -> None:
        self._ids = ids
        self._files: dict[str, StoredFile] = {}

    @property
    def all(self) -> list[StoredFile]:
        return list(self._files.values())

    def reserve(self, name: str, length: int, alt_txt: str | None) -> StoredFile:
        """files.getUploadURLExternal: a file id waiting for its bytes."""
        stored = StoredFile(id=self._ids.next_id("F"), name=name, length=length, alt_txt=alt_txt)
        self._files[stored.id] = stored
        return stored

    def receive(self, file_id: str, content: bytes) -> StoredFile | None:
        """The upload URL: store the bytes. None when the URL is unknown."""
        stored = self._files.get(file_id)
        if stored is None or stored.completed:
            return None
        stored.content = content
        stored.uploaded = True
        return stored

    def complete(self, file_id: str, title: str | None) -> StoredFile:
        stored = self._files.get(file_id)
        if stored is None or not stored.uploaded:
            raise ApiError("file_not_found", messages=(f"file {file_id} was not uploaded",))
        if stored.completed:
            raise ApiError("file_already_completed")
        stored.title = title or stored.name
        stored.completed = True
        return stored
