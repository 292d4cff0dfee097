"""Writes of accounts, by subdomain: ``roles`` (the role table), ``people`` (users and
departments), ``grants`` (who reaches what), ``login`` (passwords, tokens, second factor,
locks). Callers import this package; the names below are its interface."""

from dangjian.accounts.services.departments import department_create, department_update
from dangjian.accounts.services.grants import (
    assert_outranks,
    grant_add,
    grant_revoke,
    grants_bulk_add,
)
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
from dangjian.accounts.services.people import (
    one_time_password,
    password_change_required,
    user_create,
    user_reset_password,
    user_set_active,
    user_update,
)
from dangjian.accounts.services.registration import (
    invitation_by_code,
    invitation_issue,
    registration_decide,
    registration_submit,
    resident_account_open,
    resident_accounts_open,
    resident_grants_add,
)
from dangjian.accounts.services.roles import roles_sync

__all__ = [
    "LoginRefused",
    "assert_outranks",
    "department_create",
    "department_update",
    "grant_add",
    "grant_revoke",
    "grants_bulk_add",
    "invitation_by_code",
    "invitation_issue",
    "login_check",
    "login_obligation",
    "one_time_password",
    "password_change_required",
    "password_verify",
    "registration_decide",
    "registration_submit",
    "resident_account_open",
    "resident_accounts_open",
    "resident_grants_add",
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
    "user_reset_password",
    "user_set_active",
    "user_unlock",
    "user_update",
]
