"""Encryption at rest of the sensitive fields of stored records.

PIPL art. 51 asks for encryption of sensitive personal information. The SQL
stores keep every record as JSON; before a record is written, the values at
the paths listed in :data:`SENSITIVE` (ID numbers, health details,
psychological and safeguarding notes) are replaced by an *envelope*, a text
``enc1:<index>:<ciphertext>``; they are opened again when the record is read.
Everything else stays plain JSON, so that queries by class, mentor, term and
date keep their indexes.

The cipher is AES-SIV (RFC 5297, ``cryptography``'s ``AESSIV``, 512-bit key):
authenticated, and deterministic for the same record, field and value, so
that an update that leaves a field as it was stores the same text (the stores
compare stored JSON to tell which fields an update changed). The associated
data binds each ciphertext to its kind, school, record id and field path: a
ciphertext copied into another record or field does not open.

The *index* (a keyed blind index, HMAC-SHA256 truncated to 128 bits, base64)
is written for top-level text fields only, so that ``uow.list(Child, "S1",
id_number="...")`` still finds a child by ID number without the number being
stored: the query compares the index. Equal values of one field of one kind
share an index; that much (which records hold the same ID number) is what a
lookup needs and what the index tells a reader of the raw file.

Keys: one 32-byte master key, written as URL-safe base64 (44 characters, the
form of a Fernet key; :func:`generate_key`). Two subkeys are derived from it
with HKDF-SHA256: one for AES-SIV, one for the index. A key check (a value
encrypted under the key) and the key's fingerprint are stored with the
database, so that a wrong key is refused at once by name
(:class:`WrongKey`) and an encrypted database without a key is refused too
(:class:`KeyRequired`).

Where the key comes from (:func:`resolve_key`), first found wins: the
``key=`` argument of the store; ``?key=`` or ``?keyfile=`` in the store URL;
the environment variable ``LIUSHOU_KEY`` (the key itself) or
``LIUSHOU_KEY_FILE`` (a file holding it); and, for SQLite only, the key file
beside the database (``liushou.db.key``), which a new database creates with
permissions 0600.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

import orjson
from cryptography.exceptions import InvalidTag as _InvalidTag

from liushou_core.errors import LiushouError

_dumps = orjson.dumps  # the stores' JSON codec (liushou_adapters.storage.jsoncodec), as bytes
_loads = orjson.loads

__all__ = [
    "ENV_KEY",
    "ENV_KEY_FILE",
    "PREFIX",
    "SCHEME",
    "SENSITIVE",
    "FieldCipher",
    "KeyError_",
    "KeyRequired",
    "WrongKey",
    "default_key_file",
    "generate_key",
    "is_sealed",
    "parse_key",
    "read_key_file",
    "resolve_key",
    "write_key_file",
]

#: The environment variable holding the key itself.
ENV_KEY: Final = "LIUSHOU_KEY"
#: The environment variable naming a file that holds the key.
ENV_KEY_FILE: Final = "LIUSHOU_KEY_FILE"

#: The scheme name stored with an encrypted database (``none`` for a plain one).
SCHEME: Final = "aes-siv-512/hmac-sha256/v1"

#: What every envelope starts with.
PREFIX: Final = "enc1:"

#: The sensitive field paths of each record kind: dotted paths without list
#: indices, as in :mod:`liushou_core.privacy` (``parents.id_number`` is the ID
#: number of every parent). A path's whole value is encrypted (a list of
#: conditions, a disability, a text); ``None`` is left as it is, and so is an
#: empty value at a nested path (no illness, no conditions).
SENSITIVE: Final[Mapping[str, tuple[str, ...]]] = {
    "child": (
        "id_number",
        "student_number",
        "parents.id_number",
        "parents.conditions",
        "guardians.id_number",
        "guardians.disqualifications",
        "health.illness",
        "health.disability",
    ),
    "teacher": ("id_number",),
    "volunteer": ("id_number", "record_check"),
    "diary_entry": ("text",),
    "health_check": ("findings",),
    "incident": ("summary", "steps"),
    "contact_event": ("summary",),
}

_CHECK_PLAIN: Final = b"liushou key check"


class KeyError_(LiushouError, ValueError):
    """A problem with the encryption key (base class)."""


class KeyRequired(KeyError_):
    """The database is encrypted and no key was given."""


class WrongKey(KeyError_):
    """The key given is not the database's key (or is not a key at all)."""


def generate_key() -> str:
    """A new random key, as the 44-character URL-safe base64 text liushou reads."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def parse_key(text: str | bytes) -> bytes:
    """The 32 key bytes of a key written as URL-safe (or standard) base64.

    Raises :class:`WrongKey` (never quoting the text) when it is not 32 bytes of base64.
    """
    raw = text.encode() if isinstance(text, str) else bytes(text)
    raw = raw.strip()
    try:
        key = base64.urlsafe_b64decode(raw.replace(b"+", b"-").replace(b"/", b"_"))
    except (ValueError, TypeError):
        key = b""
    if len(key) != 32:
        raise WrongKey(
            "an encryption key is 32 random bytes written as base64 (44 characters); "
            'make one with: python -c "from liushou_adapters.storage.crypto import '
            'generate_key; print(generate_key())"'
        )
    return key


def read_key_file(path: str | os.PathLike[str]) -> bytes:
    """The key in a key file (its first line), or :class:`KeyRequired` if there is none."""
    p = Path(path)
    try:
        text = p.read_text(encoding="ascii")
    except FileNotFoundError:
        raise KeyRequired(f"the key file {p} does not exist") from None
    except (OSError, UnicodeError) as exc:
        raise WrongKey(f"cannot read the key file {p}: {exc.__class__.__name__}") from None
    return parse_key(text.strip().splitlines()[0] if text.strip() else "")


def write_key_file(path: str | os.PathLike[str]) -> bytes:
    """Create a key file with a new key, readable by its owner only (0600); return the key.

    The file appears whole or not at all (written aside, then linked into
    place). Refuses to overwrite an existing file (:class:`FileExistsError`).
    """
    final = os.fspath(path)
    key_text = generate_key()
    tmp = f"{final}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.write(fd, (key_text + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, stat.S_IRUSR | stat.S_IWUSR)  # whatever the umask
        os.link(tmp, final)  # atomic; FileExistsError when another process was first
    finally:
        os.unlink(tmp)
    return parse_key(key_text)


def default_key_file(path: str | os.PathLike[str], *, create: bool) -> bytes | None:
    """The key in the key file ``path``; with ``create``, a new one when there is none.

    Two processes creating it at once end up with the same key (the first wins).
    Without ``create`` a missing file gives ``None``.
    """
    if os.path.exists(path):
        return read_key_file(path)
    if not create:
        return None
    try:
        return write_key_file(path)
    except FileExistsError:
        return read_key_file(path)


def resolve_key(
    *,
    key: str | bytes | None = None,
    url_params: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> bytes | None:
    """The key from the first source that gives one (see the module notes), or ``None``.

    ``url_params`` are the store URL's ``key``/``keyfile`` parameters;
    ``environ`` defaults to :data:`os.environ`. The SQLite key file beside the
    database is the caller's last resort.
    """
    env = os.environ if environ is None else environ
    params = url_params or {}
    if key is not None:
        return key if isinstance(key, bytes) and len(key) == 32 else parse_key(key)
    if params.get("key"):
        return parse_key(params["key"])
    if params.get("keyfile"):
        return read_key_file(params["keyfile"])
    if env.get(ENV_KEY):
        return parse_key(env[ENV_KEY])
    if env.get(ENV_KEY_FILE):
        return read_key_file(env[ENV_KEY_FILE])
    return None


def _b64(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def _unb64(text: str) -> bytes:
    return binascii.a2b_base64(text)


def _hkdf(key: bytes, info: bytes, length: int) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(key)


def _school_of(kind: str, data: Mapping[str, Any]) -> str:
    return str(data.get("id") if kind == "school" else data.get("school_id"))


class FieldCipher:
    """Seals and opens the sensitive fields of records' plain data with one key."""

    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESSIV

        if len(key) != 32:
            raise WrongKey("an encryption key is 32 bytes")
        self._siv = AESSIV(_hkdf(key, b"liushou field encryption v1", 64))
        self._mac_key = _hkdf(key, b"liushou blind index v1", 32)
        self.fingerprint = hashlib.sha256(_hkdf(key, b"liushou key id v1", 32)).hexdigest()[:16]

    # ------------------------------------------------------------------ key check

    def check_value(self) -> str:
        """The value stored with the database to recognise this key."""
        return _b64(self._siv.encrypt(_CHECK_PLAIN, [b"liushou key check"]))

    def verify(self, check: str, fingerprint: str) -> None:
        """Raise :class:`WrongKey` unless ``check`` was made with this key."""
        from cryptography.exceptions import InvalidTag

        try:
            ok = self._siv.decrypt(_unb64(check), [b"liushou key check"]) == _CHECK_PLAIN
        except (InvalidTag, ValueError):
            ok = False
        if not ok:
            raise WrongKey(
                f"wrong encryption key: the database was encrypted with the key whose "
                f"fingerprint is {fingerprint}, the key given has {self.fingerprint}"
            )

    # ------------------------------------------------------------------ values

    def blind_index(self, kind: str, path: str, value: Any) -> str:
        """The keyed index of a top-level text value (equal values, equal index)."""
        msg = f"{kind}/{path}\x00".encode() + _dumps(value)
        return _b64(hmac.new(self._mac_key, msg, hashlib.sha256).digest()[:16])

    def index_prefix(self, kind: str, path: str, value: Any) -> str:
        """What the stored envelope of ``value`` starts with (for equality queries)."""
        return f"{PREFIX}{self.blind_index(kind, path, value)}:"

    def seal_value(self, kind: str, school: str, rid: str, path: str, value: Any) -> str:
        aad = f"{kind}/{school}/{rid}/{path}".encode()
        ct = self._siv.encrypt(_dumps(value), [aad])
        index = self.blind_index(kind, path, value) if "." not in path else ""
        return f"{PREFIX}{index}:{_b64(ct)}"

    def open_value(self, kind: str, school: str, rid: str, path: str, text: str) -> Any:
        aad = f"{kind}/{school}/{rid}/{path}".encode()
        try:
            plain = self._siv.decrypt(_unb64(text[text.rindex(":") + 1 :]), [aad])
        except (_InvalidTag, ValueError, binascii.Error):
            raise WrongKey(
                f"cannot decrypt {path} of {kind} {rid} of school {school}: wrong key, "
                "or the value was altered or copied from another record"
            ) from None
        return _loads(plain)

    # ------------------------------------------------------------------ records

    def seal(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` (a record's plain data) with its sensitive values sealed (a copy)."""
        paths = SENSITIVE.get(kind)
        if not paths:
            return data
        school, rid = _school_of(kind, data), str(data.get("id"))

        def seal(path: str, value: Any) -> Any:
            # None stays None (``id_number=None`` is a query), and an empty value
            # inside a record (no illness, no conditions) tells nothing worth a cipher
            if value is None or ("." in path and value in ("", [], {})):
                return value
            return self.seal_value(kind, school, rid, path, value)

        return _apply(data, paths, seal)

    def open(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` as stored with its sealed values opened (values in the clear pass)."""
        paths = SENSITIVE.get(kind)
        if not paths:
            return data
        school, rid = _school_of(kind, data), str(data.get("id"))

        def open_(path: str, value: Any) -> Any:
            if not is_sealed(value):
                return value
            return self.open_value(kind, school, rid, path, value)

        return _apply(data, paths, open_)


def is_sealed(value: Any) -> bool:
    """Whether a stored value is an envelope."""
    return isinstance(value, str) and value.startswith(PREFIX)


def _apply(
    data: dict[str, Any], paths: tuple[str, ...], fn: Callable[[str, Any], Any]
) -> dict[str, Any]:
    out = dict(data)
    for path in paths:
        _apply_path(out, path.split("."), path, fn)
    return out


def _apply_path(node: dict[str, Any], parts: list[str], path: str, fn: Any) -> None:
    head, rest = parts[0], parts[1:]
    if head not in node:
        return
    value = node[head]
    if not rest:
        node[head] = fn(path, value)
        return
    if isinstance(value, dict):
        value = dict(value)
        _apply_path(value, rest, path, fn)
        node[head] = value
    elif isinstance(value, list):
        items = []
        for item in value:
            if isinstance(item, dict):
                item = dict(item)
                _apply_path(item, rest, path, fn)
            items.append(item)
        node[head] = items
