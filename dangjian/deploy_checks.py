"""Production mode (``DANGJIAN_ENV=production``): the weak settings the service refuses to
start with, each named. Read by ``settings.py`` before Django starts, so it imports nothing of
Django's apps: it gets the environment and the settings it judges."""

from __future__ import annotations

from pathlib import Path

MODES = ("development", "production")
MIN_SECRET_KEY = 50
# The key files of ``core.crypto`` (ENC_KEYS_FILE, INDEX_KEY_FILE).
KEY_FILES = ("pii_enc.keys", "pii_index.key")


def _inside(path: str, folder: Path) -> bool:
    try:
        return Path(path).resolve().is_relative_to(folder.resolve())
    except OSError:
        return True


def weak_settings(env, values: dict) -> list[str]:
    """What production mode refuses in ``values`` (the settings module's names) and ``env``
    (the environment), in Chinese, one line each; empty when all is well."""
    var_dir: Path = values["VAR_DIR"]
    problems = []
    key_file = env.get("DJANGO_SECRET_KEY_FILE", "")
    if not env.get("DJANGO_SECRET_KEY") and not key_file:
        problems.append(
            "未设置 DJANGO_SECRET_KEY 或 DJANGO_SECRET_KEY_FILE：生产模式不在 var/ 中自动生成密钥"
        )
    elif key_file and _inside(key_file, var_dir):
        problems.append("DJANGO_SECRET_KEY_FILE 不能放在 var/ 目录中（备份会带走密钥）")
    elif len(values["SECRET_KEY"]) < MIN_SECRET_KEY:
        problems.append(f"DJANGO_SECRET_KEY 太短：至少 {MIN_SECRET_KEY} 个字符")
    elif len(set(values["SECRET_KEY"])) < 5 or values["SECRET_KEY"].startswith("django-insecure"):
        problems.append("DJANGO_SECRET_KEY 太简单：请用随机生成的值")
    has_env_keys = env.get("DANGJIAN_PII_ENC_KEYS") and env.get("DANGJIAN_PII_INDEX_KEY")
    keys_dir = env.get("DANGJIAN_PII_KEYS_DIR", "")
    if not has_env_keys and not keys_dir:
        problems.append(
            "未设置个人信息加密密钥：请设置 DANGJIAN_PII_ENC_KEYS 和 DANGJIAN_PII_INDEX_KEY，"
            "或 DANGJIAN_PII_KEYS_DIR 指向 var/ 之外保存密钥文件的目录"
        )
    elif not has_env_keys and _inside(keys_dir, var_dir):
        problems.append("DANGJIAN_PII_KEYS_DIR 不能在 var/ 目录中（备份会带走密钥）")
    elif not has_env_keys:
        missing = [f for f in KEY_FILES if not (Path(keys_dir) / f).is_file()]
        if missing:
            problems.append(
                f"DANGJIAN_PII_KEYS_DIR（{keys_dir}）中缺少密钥文件：{'、'.join(missing)}"
                "（生产模式不自动生成密钥）"
            )
    if env.get("DANGJIAN_DEMO_PASSWORD"):
        problems.append("生产模式不能设置演示密码 DANGJIAN_DEMO_PASSWORD")
    if values["DANGJIAN"].get("DEMO_MODE"):
        problems.append("生产模式不能开启演示模式 DANGJIAN_DEMO_MODE")
    if values["DEBUG"]:
        problems.append("生产模式不能开启 DJANGO_DEBUG")
    if not env.get("DJANGO_ALLOWED_HOSTS"):
        problems.append("未设置 DJANGO_ALLOWED_HOSTS（本系统对外使用的域名或地址，逗号分隔）")
    elif "*" in values["ALLOWED_HOSTS"]:
        problems.append("DJANGO_ALLOWED_HOSTS 不能为 *")
    return problems
