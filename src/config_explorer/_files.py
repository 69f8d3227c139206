"""Every file config-explorer reads from or writes for a user goes through here.

Why one module: a file named on the command line can be anything (a folder, a FIFO that never
closes, ``/dev/zero``, a 4 GB log, a UTF-16 export, a secrets file typed by mistake). Each reader
here refuses what is not a regular file *before* opening it, reads at most its size cap plus one
byte, and words every failure as one line naming the file, the line number when there is one and
the kind of problem, never the file's contents. Each writer writes a temporary file in the target's
folder and renames it over the target, so a failure (full disk, permission) never leaves half a file.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Final

from config_explorer._util import short_repr
from config_explorer.errors import ConfigExplorerError, InvalidArgumentError

__all__ = [
    "MAX_NESTING_DEPTH",
    "REPORT_LIMIT_BYTES",
    "SPEC_LIMIT_BYTES",
    "STDIN_IDLE_TIMEOUT_S",
    "check_output_path",
    "quote",
    "read_json",
    "read_spec",
    "read_stdin_text",
    "read_text",
    "read_toml",
    "write_text",
    "write_with",
]

#: Size cap of JSON and TOML specs (config.json, GPU spec files): the largest real config.json is ~20 kB.
SPEC_LIMIT_BYTES: Final = 8 * 1024**2
#: Size cap of text reports (``parse``): upstream's report is ~5 kB; logs holding one stay far below this.
REPORT_LIMIT_BYTES: Final = 64 * 1024**2
#: Deepest nesting of arrays/objects accepted in a spec; real ones nest 3 or 4 levels.
MAX_NESTING_DEPTH: Final = 64
#: Seconds of silence after which ``parse -`` gives up on a pipe that never closes.
STDIN_IDLE_TIMEOUT_S: Final = 10.0
#: Characters of a value, path or id an error message may quote.
QUOTE_CHARS: Final = 40
PATH_QUOTE_CHARS: Final = 120

_CHUNK_BYTES: Final = 1024**2

ErrorFactory = Callable[[str], ConfigExplorerError]


def quote(value: object, limit: int = QUOTE_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters with an ellipsis, for error messages."""
    return short_repr(value, limit, "…")


def _shown(path: str | os.PathLike[str]) -> str:
    return quote(os.fspath(path), PATH_QUOTE_CHARS)


def _size(n: int) -> str:
    if n >= 1024**2:
        return f"{n / 1024**2:.4g} MiB"
    if n >= 1024:
        return f"{n / 1024:.4g} KiB"
    return f"{n} bytes"


def _kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _os_reason(exc: OSError) -> str:
    """An OSError as a short reason, without the path (the message names it once already)."""
    reasons = {
        errno.ENOENT: "no such file or folder",
        errno.ENOTDIR: "a part of the path is not a folder",
        errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted",
        errno.ENAMETOOLONG: "the path is too long",
        errno.ELOOP: "too many levels of symbolic links",
        errno.EISDIR: "it is a folder",
        errno.ENOSPC: "no space left on the device",
        errno.EROFS: "the file system is read-only",
        errno.EFBIG: "the file is too large for the file system",
    }
    if hasattr(errno, "EDQUOT"):
        reasons[errno.EDQUOT] = "disk quota exceeded"
    return reasons.get(exc.errno or 0) or exc.strerror or type(exc).__name__


# --------------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------------


def _read_bytes(path: str | os.PathLike[str], *, what: str, limit_bytes: int, error: ErrorFactory) -> bytes:
    shown = _shown(path)
    fail = f"cannot read {what} {shown}"
    try:
        info = Path(path).stat()
    except OSError as exc:
        raise error(f"{fail}: {_os_reason(exc)}") from exc
    except ValueError as exc:  # a NUL character in the path
        raise error(f"{fail}: the path contains a NUL character") from exc
    # Refused before opening: opening a FIFO blocks until a writer comes, and a device never ends.
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{fail}: it is {_kind(info.st_mode)}, not a regular file")
    if info.st_size > limit_bytes:
        raise error(f"{fail}: it is {_size(info.st_size)}, over the {_size(limit_bytes)} limit for a {what}")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise error(f"{fail}: {_os_reason(exc)}") from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped for something else since the check
            raise error(f"{fail}: it is not a regular file")
        chunks: list[bytes] = []
        total = 0
        while total <= limit_bytes:  # /proc files report size 0: the cap holds on what is read
            chunk = os.read(fd, min(_CHUNK_BYTES, limit_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise error(f"{fail}: {_os_reason(exc)}") from exc
    finally:
        os.close(fd)
    if total > limit_bytes:
        raise error(f"{fail}: it is larger than the {_size(limit_bytes)} limit for a {what}")
    return b"".join(chunks)


def _looks_utf16(data: bytes) -> bool:
    sample = data[:4096]
    half = len(sample) // 4
    return half > 0 and (sample[0::2].count(0) > half or sample[1::2].count(0) > half)


def _decode(data: bytes, *, source: str, what: str, error: ErrorFactory) -> str:
    """UTF-8 text (a UTF-8 byte-order mark is dropped); anything else is refused in words."""
    fail = f"cannot read {what} {source}"
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise error(f"{fail}: it is UTF-32 text (byte-order mark); save it as UTF-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise error(f"{fail}: it is UTF-16 text (byte-order mark); save it as UTF-8")
    nul = data.find(b"\x00")
    if nul >= 0:
        if _looks_utf16(data):
            raise error(f"{fail}: it looks like UTF-16 text; save it as UTF-8")
        line = data.count(b"\n", 0, nul) + 1
        raise error(f"{fail}: it holds NUL bytes (line {line}), so it is binary, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(f"{fail}: it is not UTF-8 text (invalid byte on line {line})") from exc


def read_text(
    path: str | os.PathLike[str],
    *,
    what: str,
    limit_bytes: int = SPEC_LIMIT_BYTES,
    error: ErrorFactory = InvalidArgumentError,
) -> str:
    """A regular file's UTF-8 text, at most ``limit_bytes`` of it; ``error(message)`` otherwise."""
    data = _read_bytes(path, what=what, limit_bytes=limit_bytes, error=error)
    return _decode(data, source=_shown(path), what=what, error=error)


# A JSON string (escapes included), or one bracket; brackets inside strings are skipped with the string.
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def _json_too_deep(text: str, limit: int) -> int | None:
    """Line number where nesting first exceeds ``limit``, else None; scans without recursion."""
    if text.count("[") + text.count("{") <= limit:
        return None
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > limit:
                return text.count("\n", 0, token.start()) + 1
        elif char in "]}":
            depth -= 1
    return None


def _nesting_depth(value: object) -> int:
    """Deepest nesting of lists/dicts in a parsed document, computed without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _too_deep(what: str, shown: str, where: str = "") -> str:
    return (
        f"cannot read {what} {shown}: arrays/objects nest deeper than {MAX_NESTING_DEPTH} levels{where}; "
        f"a {what} nests a few levels at most"
    )


def read_json(
    path: str | os.PathLike[str],
    *,
    what: str,
    limit_bytes: int = SPEC_LIMIT_BYTES,
    error: ErrorFactory = InvalidArgumentError,
) -> Any:
    """A JSON document from a file, within the size cap and :data:`MAX_NESTING_DEPTH`."""
    shown = _shown(path)
    text = read_text(path, what=what, limit_bytes=limit_bytes, error=error)
    deep_line = _json_too_deep(text, MAX_NESTING_DEPTH)
    if deep_line is not None:
        raise error(_too_deep(what, shown, f" (line {deep_line})"))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(
            f"cannot read {what} {shown}: it is not valid JSON ({exc.msg} at line {exc.lineno}, "
            f"column {exc.colno})"
        ) from exc
    except RecursionError as exc:  # pragma: no cover - the scan above stops this first
        raise error(_too_deep(what, shown)) from exc
    except ValueError as exc:  # an integer past Python's digit limit
        raise error(f"cannot read {what} {shown}: it is not valid JSON ({type(exc).__name__})") from exc
    return data


def _toml_module() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    try:  # pragma: no cover - Python 3.10
        import tomli

        return tomli
    except ImportError as exc:  # pragma: no cover - Python 3.10
        raise InvalidArgumentError("reading TOML on Python 3.10 needs `pip install tomli`") from exc


def read_toml(
    path: str | os.PathLike[str],
    *,
    what: str,
    limit_bytes: int = SPEC_LIMIT_BYTES,
    error: ErrorFactory = InvalidArgumentError,
) -> dict[str, Any]:
    """A TOML document from a file, within the size cap and :data:`MAX_NESTING_DEPTH`."""
    shown = _shown(path)
    text = read_text(path, what=what, limit_bytes=limit_bytes, error=error)
    toml = _toml_module()
    try:
        data: dict[str, Any] = toml.loads(text)
    except toml.TOMLDecodeError as exc:
        # tomllib's messages name the line and column ("Invalid value (at line 3, column 9)"), not the text
        reason = (str(exc).splitlines() or [type(exc).__name__])[0][:120]
        raise error(f"cannot read {what} {shown}: it is not valid TOML ({reason})") from exc
    except RecursionError as exc:
        raise error(_too_deep(what, shown)) from exc
    if _nesting_depth(data) > MAX_NESTING_DEPTH:
        raise error(_too_deep(what, shown))
    return data


def read_spec(
    path: str | os.PathLike[str],
    *,
    what: str,
    limit_bytes: int = SPEC_LIMIT_BYTES,
    error: ErrorFactory = InvalidArgumentError,
) -> Any:
    """TOML for a ``.toml`` file, JSON for anything else."""
    if os.fspath(path).lower().endswith(".toml"):
        return read_toml(path, what=what, limit_bytes=limit_bytes, error=error)
    return read_json(path, what=what, limit_bytes=limit_bytes, error=error)


def read_stdin_text(
    *,
    what: str,
    limit_bytes: int = REPORT_LIMIT_BYTES,
    error: ErrorFactory = InvalidArgumentError,
    stream: IO[Any] | None = None,
    idle_timeout_s: float | None = None,
) -> str:
    """Standard input's UTF-8 text, with the same cap as a file; never waits on a terminal.

    A terminal is refused at once (the user forgot to pipe something in). A pipe that stays silent
    for ``idle_timeout_s`` seconds (default :data:`STDIN_IDLE_TIMEOUT_S`) is given up on (POSIX;
    elsewhere the read simply blocks).
    """
    source = "standard input"
    chosen = sys.stdin if stream is None else stream
    if chosen is None:
        raise error(f"cannot read {what} from {source}: there is none")
    try:
        terminal = chosen.isatty()
    except (OSError, ValueError):
        terminal = False
    if terminal:
        raise error(
            f"standard input is a terminal: pipe the {what} in (cat report.txt | config-explorer parse -) "
            "or give its file name"
        )
    try:
        fd: int | None = chosen.fileno()
    except (OSError, ValueError, AttributeError):
        fd = None
    if fd is None:  # an in-memory stream (tests, embedding applications)
        read = chosen.read(limit_bytes + 1)
        data = read.encode("utf-8", errors="surrogateescape") if isinstance(read, str) else bytes(read)
    else:
        idle_s = STDIN_IDLE_TIMEOUT_S if idle_timeout_s is None else idle_timeout_s
        data = _read_fd(fd, what=what, limit_bytes=limit_bytes, idle_timeout_s=idle_s, error=error)
    if len(data) > limit_bytes:
        raise error(f"cannot read {what} from {source}: it is larger than the {_size(limit_bytes)} limit")
    return _decode(data, source=f"from {source}", what=what, error=error)


def _read_fd(fd: int, *, what: str, limit_bytes: int, idle_timeout_s: float, error: ErrorFactory) -> bytes:
    poller = None
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    except OSError:
        regular = False
    if not regular and sys.platform != "win32":
        import select

        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    chunks: list[bytes] = []
    total = 0
    try:
        while total <= limit_bytes:
            if poller is not None and not poller.poll(idle_timeout_s * 1000):
                raise error(
                    f"cannot read {what} from standard input: nothing arrived for {idle_timeout_s:g} s "
                    "(is the program writing to the pipe still running?)"
                )
            chunk = os.read(fd, min(_CHUNK_BYTES, limit_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise error(f"cannot read {what} from standard input: {_os_reason(exc)}") from exc
    return b"".join(chunks)


# --------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------


def check_output_path(
    path: str | os.PathLike[str], *, what: str, error: ErrorFactory = InvalidArgumentError
) -> Path:
    """The file to write ``what`` to, checked before any work: an existing regular file or a new
    name in an existing folder. Symbolic links are followed, so the link stays a link."""
    raw = os.fspath(path)
    fail = f"cannot write {what} to {_shown(path)}"
    if not raw:
        raise error(f"cannot write {what}: the file name is empty")
    target = Path(raw)
    try:
        info = target.stat()
    except FileNotFoundError:
        return _check_folder(target, fail=fail, error=error)
    except OSError as exc:
        raise error(f"{fail}: {_os_reason(exc)}") from exc
    except ValueError as exc:
        raise error(f"{fail}: the path contains a NUL character") from exc
    if stat.S_ISDIR(info.st_mode):
        raise error(f"{fail}: it is a folder; give a file name inside it")
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{fail}: it is {_kind(info.st_mode)}, not a regular file")
    return Path(os.path.realpath(target)) if target.is_symlink() else target


def _check_folder(target: Path, *, fail: str, error: ErrorFactory) -> Path:
    folder = target.parent
    try:
        info = folder.stat()
    except FileNotFoundError as exc:
        raise error(f"{fail}: the folder {_shown(folder)} does not exist") from exc
    except OSError as exc:
        raise error(f"{fail}: {_os_reason(exc)}") from exc
    if not stat.S_ISDIR(info.st_mode):
        raise error(f"{fail}: {_shown(folder)} is not a folder")
    if target.is_symlink():  # a dangling link: write where it points
        return Path(os.path.realpath(target))
    return target


def write_with(
    path: str | os.PathLike[str],
    write: Callable[[Path], None],
    *,
    what: str,
    error: ErrorFactory = InvalidArgumentError,
) -> Path:
    """Have ``write`` fill a temporary file next to ``path``, then rename it over ``path``.

    The temporary file keeps ``path``'s suffix (plotting libraries pick the format from it). On any
    failure it is removed and ``path`` is left as it was; an OSError becomes ``error(message)``.
    """
    target = check_output_path(path, what=what, error=error)
    fail = f"cannot write {what} to {_shown(path)}"
    temporary = target.with_name(f".config-explorer-{secrets.token_hex(6)}.tmp{target.suffix[:16]}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        os.close(os.open(temporary, flags, 0o666))  # 0o666 minus the umask, like any new file
    except OSError as exc:
        folder = _shown(target.parent)
        raise error(f"{fail}: cannot create a file in the folder {folder} ({_os_reason(exc)})") from exc
    try:
        write(temporary)
        with temporary.open("rb+") as written:
            os.fsync(written.fileno())  # a full disk may only say so here
        temporary.replace(target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise error(f"{fail}: {_os_reason(exc)}") from exc
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def write_text(
    path: str | os.PathLike[str],
    text: str,
    *,
    what: str,
    error: ErrorFactory = InvalidArgumentError,
) -> Path:
    """Write ``text`` as UTF-8 to ``path`` all at once (see :func:`write_with`)."""
    data = text.encode("utf-8")

    def write(temporary: Path) -> None:
        temporary.write_bytes(data)

    return write_with(path, write, what=what, error=error)
