"""Taking the session's cookies and tokens out of a Playwright trace after it is written.

Why: a trace records every request with its ``Cookie`` header, every ``Set-Cookie``,
the cookies again as lists, and the API addresses with their ``sign`` (a hash over the
session token). Whoever holds ``xman_t`` and ``_m_h5_tk`` can act on the account, and
the runbook asks users to share evidence. So the trace is rewritten once saved:

- in its JSON lines (``trace.trace``, ``trace.network``, …) every value of a secret
  header, every cookie of a ``cookies`` list and every token query parameter is
  replaced, and so is every secret value found in any other string;
- every other member (the bodies in ``resources/``) has the secret values replaced
  byte for byte, as written, percent-encoded and JSON-escaped.

The secret values are the ones the caller knows (the context's cookies when tracing
stopped, and those it started with) plus every cookie the trace itself shows being
sent or set, so a cookie the site rotated halfway through goes too. Member names and
order stay, each JSON line is rewritten as JSON, so ``playwright show-trace`` opens
the result as before. Pure: no browser; ``flows.browser`` calls it on each saved trace.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flows.site import SECRET_HEADERS, TOKEN_QUERY_PARAMS

__all__ = ["MASK", "scrub_text", "scrub_trace", "secret_values"]

MASK = "REDACTED"
#: shorter values are not credentials, and replacing them everywhere would wreck the trace
MIN_SECRET_LENGTH = 8
#: the part of a ``<token>_<expiry>`` cookie that signs requests is a secret by itself
_TOKEN_PART_LENGTH = 16
_TOKEN_PARAM = re.compile(
    r"(?i)([?&;](?:" + "|".join(re.escape(name) for name in TOKEN_QUERY_PARAMS) + r")=)[^&#\s\"'<>\\]+"
)
_JSON_MEMBERS = (".trace", ".network", ".stacks")


def secret_values(cookies: Iterable[dict[str, Any]]) -> set[str]:
    """The values to remove for ``cookies`` (Playwright's cookie dicts or HAR pairs)."""
    found: set[str] = set()
    for cookie in cookies:
        value = cookie.get("value") if isinstance(cookie, dict) else None
        if isinstance(value, str):
            _add(found, value)
    return found


def scrub_text(text: str, secrets: Iterable[str]) -> str:
    """``text`` without the secret values and without token query values."""
    return _scrub_string(text, sorted(_forms(secrets), key=len, reverse=True))


def scrub_trace(path: Path, secrets: Iterable[str] = ()) -> None:
    """Rewrite the trace zip at ``path`` in place (same members, same order, same mode)."""
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    known = set()
    for secret in secrets:
        _add(known, secret)
    for info, data in members:
        if info.filename.endswith(_JSON_MEMBERS):
            for record in _records(data):
                _collect(record, known)
    forms = sorted(_forms(known), key=len, reverse=True)
    mode = path.stat().st_mode & 0o777
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".trace-", suffix=".zip")
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as out:
            for info, data in members:
                if info.filename.endswith(_JSON_MEMBERS):
                    data = _scrub_lines(data, forms)
                else:
                    data = _scrub_bytes(data, forms)
                out.writestr(zipfile.ZipInfo(info.filename, info.date_time), data,
                             compress_type=zipfile.ZIP_DEFLATED)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- internals --------------------------------------------------------------------------


def _add(found: set[str], value: str) -> None:
    if len(value) >= MIN_SECRET_LENGTH:
        found.add(value)
    for part in value.split("_"):
        if len(part) >= _TOKEN_PART_LENGTH:
            found.add(part)


def _forms(secrets: Iterable[str]) -> set[str]:
    """Each secret as written, percent-encoded (in URLs and form bodies) and JSON-escaped."""
    forms: set[str] = set()
    for secret in secrets:
        forms |= {secret, quote(secret, safe=""), quote(secret, safe="/"), json.dumps(secret)[1:-1]}
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def _records(data: bytes) -> list[Any]:
    records = []
    for line in data.decode("utf-8", errors="replace").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


def _collect(node: Any, found: set[str]) -> None:
    """Every cookie value the trace shows: sent (``Cookie``), set (``Set-Cookie``), listed."""
    if isinstance(node, dict):
        name = node.get("name")
        value = node.get("value")
        if isinstance(name, str) and isinstance(value, str):
            lowered = name.lower()
            if lowered == "cookie":
                for pair in value.split(";"):
                    _add(found, pair.partition("=")[2].strip())
            elif lowered == "set-cookie":
                for line in value.split("\n"):
                    _add(found, line.split(";", 1)[0].partition("=")[2].strip())
            elif lowered in SECRET_HEADERS:
                _add(found, value)
        if isinstance(node.get("cookies"), list):
            found |= secret_values(node["cookies"])
        for child in node.values():
            _collect(child, found)
    elif isinstance(node, list):
        for child in node:
            _collect(child, found)


def _scrub_lines(data: bytes, forms: list[str]) -> bytes:
    out = []
    for line in data.decode("utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:  # not JSON: clean it as text
            out.append(_scrub_string(line, forms))
            continue
        out.append(json.dumps(_scrub_node(record, forms), ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(out) + ("\n" if data.endswith(b"\n") else "")).encode("utf-8")


def _scrub_node(node: Any, forms: list[str], key: str | None = None) -> Any:
    if isinstance(node, dict):
        name = node.get("name")
        masked = isinstance(name, str) and "value" in node and (
            key == "cookies" or name.lower() in SECRET_HEADERS
            or (key == "queryString" and name.lower() in TOKEN_QUERY_PARAMS))
        return {k: MASK if masked and k == "value" else _scrub_node(v, forms, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_scrub_node(item, forms, key) for item in node]
    if isinstance(node, str):
        return _scrub_string(node, forms)
    return node


def _scrub_string(text: str, forms: list[str]) -> str:
    for form in forms:
        text = text.replace(form, MASK)
    return _TOKEN_PARAM.sub(rf"\g<1>{MASK}", text)


def _scrub_bytes(data: bytes, forms: list[str]) -> bytes:
    try:  # a text body (HTML, script, JSON): its addresses lose their tokens too
        return _scrub_string(data.decode("utf-8"), forms).encode("utf-8")
    except UnicodeDecodeError:
        pass
    for form in forms:
        data = data.replace(form.encode("utf-8"), MASK.encode("ascii"))
    return data
