"""Writes of accounts, by subdomain: ``roles`` (the role table), ``people`` (users and
departments), ``grants`` (who reaches what), ``login`` (passwords, tokens, second factor,
locks). Callers import this package; the names below are its interface."""

from dangjian.accounts.services.grants import grant_add, grant_revoke, grants_bulk_add
from dangjian.accounts.services.login import (
    LoginRefused,
    login_check,
    login_obligation,
    password_verify,
    sessions_end,
    token_issue,
    token_revoke,
    token_user,
    totp_begin,
    totp_confirm,
    totp_disable,
    totp_required,
    user_change_password,
    user_lock,
    user_unlock,
)
from dangjian.accounts.services.people import department_create, user_create
from dangjian.accounts.services.roles import roles_sync

__all__ = [
    "LoginRefused",
    "department_create",
    "grant_add",
    "grant_revoke",
    "grants_bulk_add",
    "login_check",
    "login_obligation",
    "password_verify",
    "roles_sync",
    "sessions_end",
    "token_issue",
    "token_revoke",
    "token_user",
    "totp_begin",
    "totp_confirm",
    "totp_disable",
    "totp_required",
    "user_change_password",
    "user_create",
    "user_lock",
    "user_unlock",
]
