"""Files the dispute form uploaded, waiting for the request that will carry them.

Today's form uploads each photo the moment it is chosen and shows its thumbnail when
the upload has answered; the request itself then names the uploaded files. A photo
chosen but not yet uploaded is simply not named: going on too early loses it. The
store keeps the bytes under an id the upload answer gives the page, until a request
takes them (or the world is replaced).
"""

from __future__ import annotations

import mimetypes
import secrets
import threading
from dataclasses import dataclass, field

__all__ = ["Upload", "Uploads"]


@dataclass(frozen=True)
class Upload:
    file_id: str
    name: str
    data: bytes = field(repr=False)

    @property
    def content_type(self) -> str:
        return mimetypes.guess_type(self.name)[0] or "application/octet-stream"


class Uploads:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[str, Upload] = {}

    def add(self, name: str, data: bytes) -> Upload:
        upload = Upload(file_id=f"ae{secrets.token_hex(10)}", name=name, data=data)
        with self._lock:
            self._files[upload.file_id] = upload
        return upload

    def get(self, file_id: str) -> Upload | None:
        with self._lock:
            return self._files.get(file_id)

    def find(self, file_ids: list[str]) -> list[Upload] | None:
        """The uploads named, in that order; None if any of them is unknown."""
        with self._lock:
            found = [self._files.get(file_id) for file_id in file_ids]
        return None if any(upload is None for upload in found) else found  # type: ignore[return-value]

    def discard(self, file_ids: list[str]) -> None:
        with self._lock:
            for file_id in file_ids:
                self._files.pop(file_id, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._files)
