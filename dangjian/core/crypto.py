"""Personal data at rest: SM4-GCM encryption, an HMAC-SM3 blind index, and masking.

Tokens look like ``sm4gcm:<kid>:<urlsafe base64 of nonce | ciphertext | tag>``; the header
``sm4gcm:<kid>`` is authenticated as associated data, so a token cannot be moved to another
key id unnoticed.

Keys come from the environment in production:

- ``DANGJIAN_PII_ENC_KEYS="kid1:<base64 16 bytes>,kid2:<base64 16 bytes>"``: the first is the
  current key (used to write); every one listed is accepted for reading, which is how keys
  rotate: prepend a new key, re-encrypt at leisure, then drop the old one.
- ``DANGJIAN_PII_INDEX_KEY="kid:<base64 at least 16 bytes>"``: the key of the blind index.

When a variable is unset, the embedded default creates the key once in
``settings.DANGJIAN["PII_KEYS_DIR"]`` (directory mode 0700, files mode 0600, one ``kid:key``
per line, first line current) and reads it from there afterwards.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangjian.core.conf import setting

SCHEME = "sm4gcm"
NONCE_BYTES = 12
TAG_BYTES = 16
ENC_KEY_BYTES = 16
MIN_INDEX_KEY_BYTES = 16

ENC_KEYS_ENV = "DANGJIAN_PII_ENC_KEYS"
INDEX_KEY_ENV = "DANGJIAN_PII_INDEX_KEY"
ENC_KEYS_FILE = "pii_enc.keys"
INDEX_KEY_FILE = "pii_index.key"

PII_KINDS = ("id_number", "phone", "address", "name")
PII_KIND_LABELS = {
    "id_number": _("身份证号码"),
    "phone": _("电话号码"),
    "address": _("地址"),
    "name": _("姓名"),
}

_KID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


class CryptoError(ValueError):
    """A token that cannot be decrypted: malformed, tampered with, or of an unknown key."""


@dataclass(frozen=True)
class KeyRing:
    enc_keys: dict[str, bytes]  # kid -> key, in order: the first is current
    current_kid: str
    index_kid: str
    index_key: bytes


_lock = threading.Lock()
_keyring: KeyRing | None = None


def reset_keys_cache() -> None:
    """Forget the loaded keys (tests, or after the environment changed)."""
    global _keyring
    with _lock:
        _keyring = None


def _on_setting_changed(*, setting, **kwargs):
    if setting == "DANGJIAN":
        reset_keys_cache()


setting_changed.connect(_on_setting_changed)


def _parse_keys(text: str, source: str) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for raw in re.split(r"[,\n]", text):
        item = raw.strip()
        if not item or item.startswith("#"):
            continue
        kid, sep, b64 = item.partition(":")
        kid = kid.strip()
        if not sep or not _KID_RE.match(kid):
            raise ImproperlyConfigured(f"{source}: expected 'kid:base64key' items, got {kid!r}")
        try:
            key = base64.b64decode(b64.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            try:
                key = base64.urlsafe_b64decode(b64.strip())
            except (binascii.Error, ValueError):
                raise ImproperlyConfigured(f"{source}: key {kid!r} is not base64") from exc
        if any(k == kid for k, _key in out):
            raise ImproperlyConfigured(f"{source}: key id {kid!r} appears twice")
        out.append((kid, key))
    if not out:
        raise ImproperlyConfigured(f"{source}: no key found")
    return out


def _keys_dir() -> Path:
    path = setting("PII_KEYS_DIR", None)
    if not path:
        raise ImproperlyConfigured(
            f"Set {ENC_KEYS_ENV} and {INDEX_KEY_ENV}, or settings.DANGJIAN['PII_KEYS_DIR']"
        )
    return Path(path)


def _read_or_create(path: Path, make_line) -> str:
    """The file's text; created once, mode 0600, if absent (safe against a concurrent twin),
    except in production mode, where a missing key is an error, never a new key."""
    if not path.exists() and not setting("CREATE_MISSING_KEYS", True):
        raise ImproperlyConfigured(f"密钥文件 {path} 不存在：生产模式不自动生成密钥")
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            os.chmod(path.parent, 0o700)
        except OSError:
            pass
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(make_line() + "\n")
    return path.read_text()


def _new_kid(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(3)}"


def _load() -> KeyRing:
    enc_text = os.environ.get(ENC_KEYS_ENV, "").strip()
    if enc_text:
        enc = _parse_keys(enc_text, ENC_KEYS_ENV)
    else:
        path = _keys_dir() / ENC_KEYS_FILE
        text = _read_or_create(
            path,
            lambda: (
                f"{_new_kid('e')}:{base64.b64encode(secrets.token_bytes(ENC_KEY_BYTES)).decode()}"
            ),
        )
        enc = _parse_keys(text, str(path))
    for kid, key in enc:
        if len(key) != ENC_KEY_BYTES:
            raise ImproperlyConfigured(f"encryption key {kid!r} must be {ENC_KEY_BYTES} bytes")

    index_text = os.environ.get(INDEX_KEY_ENV, "").strip()
    if index_text:
        index = _parse_keys(index_text, INDEX_KEY_ENV)
    else:
        path = _keys_dir() / INDEX_KEY_FILE
        text = _read_or_create(
            path, lambda: f"{_new_kid('i')}:{base64.b64encode(secrets.token_bytes(32)).decode()}"
        )
        index = _parse_keys(text, str(path))
    index_kid, index_key = index[0]
    if len(index_key) < MIN_INDEX_KEY_BYTES:
        raise ImproperlyConfigured(f"index key must be at least {MIN_INDEX_KEY_BYTES} bytes")
    if any(index_key == key for _kid, key in enc):
        raise ImproperlyConfigured("the index key must differ from every encryption key")
    return KeyRing(
        enc_keys=dict(enc), current_kid=enc[0][0], index_kid=index_kid, index_key=index_key
    )


def keyring() -> KeyRing:
    global _keyring
    ring = _keyring
    if ring is None:
        with _lock:
            if _keyring is None:
                _keyring = _load()
            ring = _keyring
    return ring


# --- encryption ----------------------------------------------------------------------------


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encrypt(plain: str) -> str:
    """``plain`` encrypted with the current key: ``sm4gcm:<kid>:<b64(nonce|ct|tag)>``."""
    if not isinstance(plain, str):
        raise TypeError("encrypt() takes a str")
    ring = keyring()
    kid = ring.current_kid
    nonce = secrets.token_bytes(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(ring.enc_keys[kid]), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(f"{SCHEME}:{kid}".encode())
    ct = encryptor.update(plain.encode("utf-8")) + encryptor.finalize()
    return f"{SCHEME}:{kid}:{_b64e(nonce + ct + encryptor.tag)}"


def is_token(value) -> bool:
    """Whether ``value`` has the shape of a token (not whether it decrypts)."""
    if not isinstance(value, str) or not value.startswith(SCHEME + ":"):
        return False
    parts = value.split(":")
    return len(parts) == 3 and bool(_KID_RE.match(parts[1])) and len(parts[2]) >= 38


def decrypt(token: str) -> str:
    """The clear text of ``token``; CryptoError if malformed, tampered with or of an unknown key."""
    if not isinstance(token, str):
        raise CryptoError(gettext("密文格式无效"))
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != SCHEME:
        raise CryptoError(gettext("密文格式无效"))
    _scheme, kid, body = parts
    key = keyring().enc_keys.get(kid)
    if key is None:
        raise CryptoError(gettext("密文使用了未知的密钥（%(kid)s）") % {"kid": kid})
    try:
        raw = _b64d(body)
    except (binascii.Error, ValueError) as exc:
        raise CryptoError(gettext("密文格式无效")) from exc
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise CryptoError(gettext("密文格式无效"))
    nonce, ct, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    try:
        decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(f"{SCHEME}:{kid}".encode())
        plain = decryptor.update(ct) + decryptor.finalize()
    except InvalidTag as exc:
        raise CryptoError(gettext("密文校验失败，数据可能被篡改")) from exc
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError as exc:  # pragma: no cover - authenticated, so never in practice
        raise CryptoError(gettext("密文格式无效")) from exc


# Stored files (uploads, workbooks, photos of people): the same keys, a binary envelope
# ``DJF1 | len(kid) | kid | nonce | ciphertext | tag`` (the kid is bound as associated data).
FILE_MAGIC = b"DJF1"


def encrypt_bytes(plain: bytes) -> bytes:
    ring = keyring()
    kid = ring.current_kid
    kid_bytes = kid.encode("ascii")
    nonce = secrets.token_bytes(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(ring.enc_keys[kid]), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(FILE_MAGIC + kid_bytes)
    ct = encryptor.update(plain) + encryptor.finalize()
    return FILE_MAGIC + bytes([len(kid_bytes)]) + kid_bytes + nonce + ct + encryptor.tag


def is_encrypted_bytes(blob: bytes) -> bool:
    return blob[:4] == FILE_MAGIC


def decrypt_bytes(blob: bytes) -> bytes:
    """The clear bytes of a stored file; bytes written before files were encrypted pass as
    they are. CryptoError when tampered with or of an unknown key."""
    if not is_encrypted_bytes(blob):
        return blob
    n = blob[4] if len(blob) > 4 else 0
    kid = blob[5 : 5 + n].decode("ascii", "replace")
    body = blob[5 + n :]
    key = keyring().enc_keys.get(kid)
    if key is None:
        raise CryptoError(gettext("密文使用了未知的密钥（%(kid)s）") % {"kid": kid})
    if len(body) < NONCE_BYTES + TAG_BYTES:
        raise CryptoError(gettext("密文格式无效"))
    nonce, ct, tag = body[:NONCE_BYTES], body[NONCE_BYTES:-TAG_BYTES], body[-TAG_BYTES:]
    try:
        decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(FILE_MAGIC + kid.encode("ascii"))
        return decryptor.update(ct) + decryptor.finalize()
    except InvalidTag as exc:
        raise CryptoError(gettext("密文校验失败，数据可能被篡改")) from exc


def needs_rotation(token: str) -> bool:
    """Whether ``token`` was written with a key other than the current one."""
    return is_token(token) and token.split(":")[1] != keyring().current_kid


# --- blind index ---------------------------------------------------------------------------

_SPACES_RE = re.compile(r"\s+")
_PHONE_SEPARATORS_RE = re.compile(r"[\s\-()（）]+")


def normalize(kind: str, value: str) -> str:
    """The canonical form of ``value`` for lookups and duplicate checks."""
    text = unicodedata.normalize("NFKC", str(value))
    if kind == "phone":
        text = _PHONE_SEPARATORS_RE.sub("", text)
        if text.startswith("+86"):
            text = text[3:]
        elif text.startswith("0086"):
            text = text[4:]
        return text
    text = _SPACES_RE.sub("", text)
    if kind == "id_number":
        text = text.upper()
    return text


def blind_index(kind: str, value: str) -> str:
    """Hex HMAC-SM3 of ``kind`` and the normalized ``value`` ("" for an empty value)."""
    if value is None:
        return ""
    norm = normalize(kind, value)
    if not norm:
        return ""
    h = _keyed_index_hmac(keyring().index_key).copy()
    h.update(kind.encode("utf-8") + b"\x00" + norm.encode("utf-8"))
    return h.finalize().hex()


_INDEX_HMAC: tuple[bytes, hmac.HMAC] | None = None


def _keyed_index_hmac(key: bytes) -> hmac.HMAC:
    """An HMAC already keyed with ``key``, to be copied: keying costs more than the hashing of
    a short value (an import computes 200,000 indexes)."""
    global _INDEX_HMAC
    if _INDEX_HMAC is None or _INDEX_HMAC[0] != key:
        _INDEX_HMAC = (key, hmac.HMAC(key, hashes.SM3()))
    return _INDEX_HMAC[1]


# --- masking -------------------------------------------------------------------------------

_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_AREA_CODE_RE = re.compile(r"^(0(?:10|2\d|[3-9]\d{2}))")


def _mask_id_number(text: str) -> str:
    text = _SPACES_RE.sub("", text)
    n = len(text)
    if n > 10:
        return text[:6] + "*" * (n - 10) + text[-4:]
    if n > 4:
        return "*" * (n - 4) + text[-4:]
    return "*" * n


def _mask_phone(text: str) -> str:
    norm = normalize("phone", text)
    if _MOBILE_RE.match(norm):
        return norm[:3] + "****" + norm[-4:]
    compact = unicodedata.normalize("NFKC", text).strip()
    compact = _SPACES_RE.sub("", compact)
    if compact.startswith("+86"):
        compact = compact[3:]
    area, rest = "", compact
    if "-" in compact and compact.startswith("0"):
        area, _sep, rest = compact.partition("-")
        area += "-"
    elif m := _AREA_CODE_RE.match(compact):
        area, rest = m.group(1), compact[m.end() :]
    if len(rest) <= 2:
        return area + "*" * len(rest)
    return area + "*" * (len(rest) - 2) + rest[-2:]


def _mask_address(text: str) -> str:
    text = text.strip()
    keep = 6 if len(text) >= 12 else len(text) // 2
    return text[:keep] + "****"


def mask(kind: str, value) -> str:
    """What a screen, an export, a log or the audit trail may show of ``value``."""
    if value is None:
        return ""
    text = str(value)
    if not text.strip():
        return ""
    if kind == "id_number":
        return _mask_id_number(text)
    if kind == "phone":
        return _mask_phone(text)
    if kind == "address":
        return _mask_address(text)
    if kind == "name":  # a head of household: the surname, one star per other character
        text = text.strip()
        return text[0] + "*" * max(1, len(text) - 1)
    return "****"


# --- model field ---------------------------------------------------------------------------


class EncryptedField(models.TextField):
    """A text column holding an SM4-GCM token; Python code sees the clear text.

    Equality lookups on it cannot work (every token has a fresh nonce): keep a blind index
    beside it (``<name>_index``, ``blind_index(kind, value)``) and look up by that.
    """

    description = _("加密文本")

    def __init__(self, *args, pii_kind: str = "", **kwargs):
        if pii_kind not in PII_KINDS:
            raise ValueError(f"pii_kind must be one of {PII_KINDS}, got {pii_kind!r}")
        self.pii_kind = pii_kind
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["pii_kind"] = self.pii_kind
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def to_python(self, value):
        if value is None or isinstance(value, str):
            return value
        return str(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        # Already a token of ours (a bulk writer that encrypted up front): store it as it is.
        # Only one that decrypts counts, so typed text shaped like a token is still encrypted.
        if is_token(value):
            try:
                decrypt(value)
            except CryptoError:
                pass
            else:
                return value
        return encrypt(value)

    def formfield(self, **kwargs):
        return super().formfield(**{"widget": forms.TextInput, **kwargs})
