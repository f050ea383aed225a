"""The local Ollama server: installed models (/api/tags), one model's architecture (/api/show), loaded ones (/api/ps).

Plain HTTP with urllib; every request is bounded by its timeout. "Not running" (connection refused, no answer in
time) is None for the listing calls; anything else that goes wrong is a one-line WillItRunError.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, replace
from typing import Any

from willitrun.errors import BadValueError, WillItRunError
from willitrun.estimate.quants import normalize_mix
from willitrun.estimate.types import ModelSpec, Record
from willitrun.sources.gguf_file import spec_from_gguf_metadata

DEFAULT_HOST = "http://127.0.0.1:11434"
DEFAULT_PORT = 11434
_MAX_BODY = 64 * 1024 * 1024


@dataclass(frozen=True, eq=False, repr=False)
class OllamaModel(Record):
    """One model as Ollama reports it."""

    name: str
    size_bytes: int
    quant: str | None
    family: str | None
    parameter_size: str | None
    spec: ModelSpec | None


class _NotRunning(Exception):
    """Nothing answered at the Ollama address (refused, unreachable, or no answer within the timeout)."""


def _split_host_port(hostport: str, default_port: int) -> tuple[str, int]:
    if hostport.startswith("["):  # [::1]:11434
        host, _, rest = hostport[1:].partition("]")
        port_s = rest[1:] if rest.startswith(":") else ""
    elif hostport.count(":") == 1:
        host, _, port_s = hostport.partition(":")
    else:
        host, port_s = hostport, ""  # a bare name, an IPv4 address, or a bare IPv6 address
    port = default_port
    if port_s:
        port = int(port_s) if port_s.isdigit() and 0 < int(port_s) <= 65535 else default_port
    return host, port


def ollama_host() -> str:
    """The base URL of the Ollama server, from OLLAMA_HOST as Ollama reads it (default http://127.0.0.1:11434).

    "host:port" and "host" use http and port 11434; "http://host" port 80, "https://host" port 443; a listen-all
    address (0.0.0.0, ::) means this machine.
    """
    raw = os.environ.get("OLLAMA_HOST", "").strip()
    if not raw:
        return DEFAULT_HOST
    scheme, sep, rest = raw.partition("://")
    if sep:
        scheme = scheme.lower()
        default_port = 443 if scheme == "https" else 80
    else:
        scheme, rest, default_port = "http", raw, DEFAULT_PORT
    hostport, _, path = rest.partition("/")
    host, port = _split_host_port(hostport, default_port)
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    base = f"{scheme}://{host}:{port}"
    path = path.strip("/")
    return f"{base}/{path}" if path else base


def _is_local(base: str) -> bool:
    host = urllib.parse.urlparse(base).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _short(text: str, n: int = 160) -> str:
    return " ".join(text.split())[:n]


def _read_body(resp: Any, deadline: float, base: str, timeout: float) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        if time.monotonic() > deadline:
            raise _NotRunning(f"Ollama at {base} did not answer within {timeout:g} s")
        chunk = resp.read(65536)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > _MAX_BODY:
            raise WillItRunError(f"Ollama at {base} sent an answer larger than {_MAX_BODY // 2**20} MiB")
    if getattr(resp, "length", None):  # the server promised more than it sent
        raise WillItRunError(f"Ollama at {base} sent a truncated answer")
    return b"".join(chunks)


def _call(path: str, payload: dict[str, Any] | None, timeout: float) -> tuple[int, Any]:
    """(HTTP status, decoded JSON) of one request; _NotRunning when nothing answers in time."""
    base = ollama_host()
    url = base + path
    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(
        url,
        data=data,
        method="POST" if data is not None else "GET",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})] if _is_local(base) else []
    opener = urllib.request.build_opener(*handlers)
    deadline = time.monotonic() + timeout
    try:
        try:
            with opener.open(req, timeout=timeout) as resp:
                status = int(resp.status)
                body = _read_body(resp, deadline, base, timeout)
        except urllib.error.HTTPError as e:
            status = int(e.code)
            body = _read_body(e, deadline, base, timeout) if e.fp is not None else b""
    except urllib.error.URLError as e:
        if isinstance(e.reason, TimeoutError):
            raise _NotRunning(f"Ollama at {base} did not answer within {timeout:g} s") from e
        raise _NotRunning(f"Ollama is not running at {base}") from e
    except TimeoutError as e:
        raise _NotRunning(f"Ollama at {base} did not answer within {timeout:g} s") from e
    except (http.client.HTTPException, OSError) as e:
        raise WillItRunError(f"Ollama at {base} sent a broken answer to {path} ({type(e).__name__})") from e
    try:
        decoded = json.loads(body) if body.strip() else None
    except ValueError:
        if status >= 400:
            return status, {"error": _short(body.decode("utf-8", errors="replace"))}
        raise WillItRunError(f"Ollama at {base} answered {path} with malformed JSON") from None
    return status, decoded


def _error_text(obj: Any) -> str:
    if isinstance(obj, dict) and isinstance(obj.get("error"), str):
        return _short(obj["error"])
    return ""


def _fail(path: str, status: int, obj: Any) -> WillItRunError:
    detail = _error_text(obj)
    return WillItRunError(
        f"Ollama at {ollama_host()} answered {path} with HTTP {status}" + (f": {detail}" if detail else "")
    )


def _quant(level: Any) -> str | None:
    if not isinstance(level, str) or not level.strip():
        return None
    return normalize_mix(level) or level.strip().upper()


def _str_or_none(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _canonical(name: str) -> str:
    """llama3.1 -> llama3.1:latest (a tag is after the last ':' of the last path part)."""
    n = name.strip().lower()
    last = n.rsplit("/", 1)[-1]
    return n if ":" in last else n + ":latest"


def _from_entry(entry: dict[str, Any]) -> OllamaModel | None:
    name = _str_or_none(entry.get("name")) or _str_or_none(entry.get("model"))
    if name is None:
        return None
    details = entry.get("details") if isinstance(entry.get("details"), dict) else {}
    assert isinstance(details, dict)
    size = entry.get("size")
    return OllamaModel(
        name=name,
        size_bytes=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else 0,
        quant=_quant(details.get("quantization_level")),
        family=_str_or_none(details.get("family")),
        parameter_size=_str_or_none(details.get("parameter_size")),
        spec=None,
    )


def _models(path: str, timeout: float) -> list[dict[str, Any]] | None:
    try:
        status, obj = _call(path, None, timeout)
    except _NotRunning:
        return None
    if status != 200:
        raise _fail(path, status, obj)
    if not isinstance(obj, dict) or not isinstance(obj.get("models", []), list):
        raise WillItRunError(f"Ollama at {ollama_host()} answered {path} without a list of models")
    return [m for m in obj.get("models") or [] if isinstance(m, dict)]


def list_models(timeout: float = 3.0) -> list[OllamaModel] | None:
    """Installed models (/api/tags), or None when Ollama is not running."""
    entries = _models("/api/tags", timeout)
    if entries is None:
        return None
    return [m for m in (_from_entry(e) for e in entries) if m is not None]


def running(timeout: float = 3.0) -> list[dict[str, Any]] | None:
    """Models loaded right now (/api/ps: name, size, size_vram, context_length...), or None when not running."""
    return _models("/api/ps", timeout)


def show_model(name: str, timeout: float = 5.0) -> OllamaModel:
    """One installed model with its architecture (/api/show model_info) and installed size (/api/tags)."""
    name = name.strip()
    if not name:
        raise BadValueError("an Ollama model name is empty")
    base = ollama_host()
    try:
        status, obj = _call("/api/show", {"model": name, "name": name}, timeout)
    except _NotRunning as e:
        raise WillItRunError(str(e), "start it with `ollama serve`, or set OLLAMA_HOST") from None
    if status == 404 or (status >= 400 and "not found" in _error_text(obj).lower()):
        raise WillItRunError(f"{name} is not installed in Ollama; run: ollama pull {name}")
    if status != 200:
        raise _fail("/api/show", status, obj)
    if not isinstance(obj, dict):
        raise WillItRunError(f"Ollama at {base} answered /api/show without a JSON object")
    details = obj.get("details") if isinstance(obj.get("details"), dict) else {}
    assert isinstance(details, dict)
    family = _str_or_none(details.get("family"))
    spec: ModelSpec | None = None
    info = obj.get("model_info")
    if isinstance(info, dict) and info:
        try:
            spec = spec_from_gguf_metadata(
                info, id=name, name=name, source=f"Ollama model {name} at {base}", tensor_elements=None
            )
        except WillItRunError:
            spec = None  # model_info without the keys we need (an embedding or vision-only model)
        if spec is not None:
            spec = replace(spec, family=family or spec.family, ollama=name)
    size = 0
    try:
        installed = list_models(timeout)
    except WillItRunError:
        installed = None
    for m in installed or []:
        if _canonical(m.name) == _canonical(name):
            size = m.size_bytes
            break
    return OllamaModel(
        name=name,
        size_bytes=size,
        quant=_quant(details.get("quantization_level")),
        family=family,
        parameter_size=_str_or_none(details.get("parameter_size")),
        spec=spec,
    )


__all__ = ["DEFAULT_HOST", "OllamaModel", "list_models", "ollama_host", "running", "show_model"]
