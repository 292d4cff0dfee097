import base64
import os
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured

from dangjian.core import crypto
from dangjian.core.crypto import CryptoError, EncryptedField


def _key(byte: int, n: int = 16) -> str:
    return base64.b64encode(bytes([byte]) * n).decode()


@pytest.fixture
def keys_dir(settings, tmp_path, monkeypatch):
    """Keys from a fresh directory: the embedded default."""
    monkeypatch.delenv(crypto.ENC_KEYS_ENV, raising=False)
    monkeypatch.delenv(crypto.INDEX_KEY_ENV, raising=False)
    settings.DANGJIAN = {**settings.DANGJIAN, "PII_KEYS_DIR": tmp_path / "keys"}
    crypto.reset_keys_cache()
    yield tmp_path / "keys"
    crypto.reset_keys_cache()


@pytest.fixture
def env_keys(monkeypatch):
    """Keys from the environment; returns a setter that also drops the cached keys."""

    def set_keys(enc: str, index: str = f"i1:{_key(9, 32)}"):
        monkeypatch.setenv(crypto.ENC_KEYS_ENV, enc)
        monkeypatch.setenv(crypto.INDEX_KEY_ENV, index)
        crypto.reset_keys_cache()

    yield set_keys
    crypto.reset_keys_cache()


# --- encryption ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "plain", ["350102199001011234", "13812345678", "福建省莆田市城厢区龙桥街道1号", "", "x" * 5000]
)
def test_round_trip(keys_dir, plain):
    token = crypto.encrypt(plain)
    assert token.startswith("sm4gcm:")
    assert plain == "" or plain not in token
    assert crypto.decrypt(token) == plain


def test_same_plain_text_gives_different_tokens(keys_dir):
    assert crypto.encrypt("13812345678") != crypto.encrypt("13812345678")


def test_token_format(keys_dir):
    token = crypto.encrypt("abc")
    scheme, kid, body = token.split(":")
    assert scheme == "sm4gcm"
    assert kid == crypto.keyring().current_kid
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    assert len(raw) == 12 + 3 + 16  # nonce | ciphertext | tag


def test_tampered_body_is_detected(keys_dir):
    token = crypto.encrypt("350102199001011234")
    head, body = token.rsplit(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[14] ^= 0x01
    forged = head + ":" + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(CryptoError, match="篡改"):
        crypto.decrypt(forged)


def test_token_moved_to_another_key_id_is_detected(env_keys):
    env_keys(f"a:{_key(1)},b:{_key(1)}")  # same key bytes, different ids
    token = crypto.encrypt("secret")
    assert token.split(":")[1] == "a"
    with pytest.raises(CryptoError, match="篡改"):
        crypto.decrypt(token.replace("sm4gcm:a:", "sm4gcm:b:"))


@pytest.mark.parametrize("bad", ["", "plain text", "sm4gcm:k1", "aes:k1:AAAA", "sm4gcm:k1:!!!!"])
def test_malformed_tokens(keys_dir, bad):
    with pytest.raises(CryptoError):
        crypto.decrypt(bad)


def test_unknown_key_id(keys_dir):
    token = crypto.encrypt("abc")
    _scheme, _kid, body = token.split(":")
    with pytest.raises(CryptoError, match="未知的密钥"):
        crypto.decrypt(f"sm4gcm:nosuchkid:{body}")


def test_key_rotation(env_keys):
    env_keys(f"old:{_key(1)}")
    old_token = crypto.encrypt("13812345678")
    assert old_token.split(":")[1] == "old"

    env_keys(f"new:{_key(2)},old:{_key(1)}")
    assert crypto.decrypt(old_token) == "13812345678"
    new_token = crypto.encrypt("13812345678")
    assert new_token.split(":")[1] == "new"
    assert crypto.needs_rotation(old_token)
    assert not crypto.needs_rotation(new_token)

    env_keys(f"new:{_key(2)}")
    assert crypto.decrypt(new_token) == "13812345678"
    with pytest.raises(CryptoError, match="未知的密钥"):
        crypto.decrypt(old_token)


def test_bad_key_configuration(env_keys):
    env_keys(f"k:{_key(1, 8)}")
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("x")
    env_keys("no-colon-here")
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("x")
    env_keys(f"k:{_key(1)}", index=f"i:{_key(1)}")
    with pytest.raises(ImproperlyConfigured):
        crypto.blind_index("phone", "13812345678")


def test_key_files_created_once_with_mode_0600(keys_dir):
    assert not keys_dir.exists()
    token = crypto.encrypt("350102199001011234")
    index = crypto.blind_index("id_number", "350102199001011234")
    enc_file = keys_dir / crypto.ENC_KEYS_FILE
    index_file = keys_dir / crypto.INDEX_KEY_FILE
    assert stat.S_IMODE(os.stat(keys_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(enc_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(index_file).st_mode) == 0o600
    enc_text = enc_file.read_text()

    crypto.reset_keys_cache()
    assert crypto.decrypt(token) == "350102199001011234"
    assert crypto.blind_index("id_number", "350102199001011234") == index
    assert enc_file.read_text() == enc_text  # read, not recreated


def test_environment_wins_over_files(keys_dir, env_keys):
    env_keys(f"prod1:{_key(5)}")
    assert crypto.encrypt("x").split(":")[1] == "prod1"
    assert not keys_dir.exists()


# --- blind index ---------------------------------------------------------------------------


def test_blind_index_is_stable_and_normalized(keys_dir):
    a = crypto.blind_index("id_number", "35010219900101123X")
    assert len(a) == 64 and int(a, 16) >= 0
    assert crypto.blind_index("id_number", "35010219900101123X") == a
    assert crypto.blind_index("id_number", " 350102 19900101 123x ") == a
    assert crypto.blind_index("id_number", "350102199001011239") != a

    p = crypto.blind_index("phone", "13812345678")
    assert crypto.blind_index("phone", "+86 138-1234-5678") == p
    assert crypto.blind_index("phone", "138 1234 5678") == p
    assert crypto.blind_index("phone", "13812345679") != p


def test_blind_index_separates_kinds(keys_dir):
    assert crypto.blind_index("phone", "13812345678") != crypto.blind_index(
        "id_number", "13812345678"
    )
    assert crypto.blind_index("address", "13812345678") != crypto.blind_index(
        "phone", "13812345678"
    )


def test_blind_index_of_nothing_is_empty(keys_dir):
    assert crypto.blind_index("phone", "") == ""
    assert crypto.blind_index("phone", "  ") == ""
    assert crypto.blind_index("phone", None) == ""


def test_blind_index_depends_on_the_key(env_keys):
    env_keys(f"k:{_key(1)}", index=f"i:{_key(7, 32)}")
    first = crypto.blind_index("phone", "13812345678")
    env_keys(f"k:{_key(1)}", index=f"i:{_key(8, 32)}")
    assert crypto.blind_index("phone", "13812345678") != first


# --- masking -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        ("id_number", "350102199001011234", "350102********1234"),
        ("id_number", "35010219900101123X", "350102********123X"),
        ("id_number", "350102900101123", "350102*****1123"),
        ("phone", "13812345678", "138****5678"),
        ("phone", "+86 138 1234 5678", "138****5678"),
        ("phone", "0594-2345678", "0594-*****78"),
        ("phone", "010-12345678", "010-******78"),
        ("phone", "05942345678", "0594*****78"),
        ("address", "福建省莆田市城厢区龙桥街道某小区3号楼", "福建省莆田市****"),
        ("address", "龙桥社区", "龙桥****"),
        ("id_number", None, ""),
        ("phone", "", ""),
        ("address", None, ""),
    ],
)
def test_mask(kind, value, masked):
    assert crypto.mask(kind, value) == masked


def test_mask_never_shows_the_middle():
    masked = crypto.mask("id_number", "350102199001011234")
    assert "19900101" not in masked
    assert len(masked) == 18


# --- model field ---------------------------------------------------------------------------


def test_field_requires_a_known_kind():
    with pytest.raises(ValueError):
        EncryptedField(pii_kind="nickname")
    assert EncryptedField(pii_kind="address").pii_kind == "address"
    assert EncryptedField(pii_kind="name").pii_kind == "name"


def test_a_name_is_masked_to_its_first_character():
    assert crypto.mask("name", "欧阳修") == "欧**"
    assert crypto.mask("name", "张三") == "张*"
    assert crypto.mask("name", "李") == "李*"
    assert crypto.mask("name", "") == ""


def test_field_deconstructs_with_its_kind():
    field = EncryptedField("电话", pii_kind="phone", blank=True, default="")
    _name, path, args, kwargs = field.deconstruct()
    assert path == "dangjian.core.crypto.EncryptedField"
    assert kwargs["pii_kind"] == "phone"
    clone = EncryptedField(*args, **kwargs)
    assert clone.pii_kind == "phone"
    assert clone.verbose_name == "电话"


def test_field_encrypts_on_the_way_in_and_decrypts_on_the_way_out(keys_dir):
    field = EncryptedField(pii_kind="id_number")
    stored = field.get_prep_value("350102199001011234")
    assert stored.startswith("sm4gcm:")
    assert field.from_db_value(stored, None, None) == "350102199001011234"
    for empty in (None, ""):
        assert field.get_prep_value(empty) == empty
        assert field.from_db_value(empty, None, None) == empty


def test_field_keeps_a_token_it_can_decrypt_and_encrypts_a_fake_one(keys_dir):
    field = EncryptedField(pii_kind="address")
    token = crypto.encrypt("龙桥社区1号")
    assert field.get_prep_value(token) == token
    fake = "sm4gcm:abc:" + "A" * 60
    stored = field.get_prep_value(fake)
    assert stored != fake
    assert field.from_db_value(stored, None, None) == fake


def test_field_refuses_a_tampered_column(keys_dir):
    field = EncryptedField(pii_kind="phone")
    stored = field.get_prep_value("13812345678")
    with pytest.raises(CryptoError):
        field.from_db_value(stored[:-2] + ("AA" if stored[-2:] != "AA" else "BB"), None, None)


@pytest.mark.django_db
def test_field_round_trips_through_the_database(keys_dir):
    from django.db import connection

    field = EncryptedField(pii_kind="phone")
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s", [field.get_db_prep_value("0594-2345678", connection)])
        (raw,) = cursor.fetchone()
    assert raw.startswith("sm4gcm:")
    assert field.from_db_value(raw, None, connection) == "0594-2345678"
