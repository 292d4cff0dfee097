"""Failed password checks, throttled per account name and client address (issue 14).

A row counts the failures of one (account name, address) pair, or, with ``username_key`` empty,
of one address across every account name (password spraying). After ``LOGIN_THROTTLE_AFTER``
failures of a pair (``LOGIN_ADDRESS_THROTTLE_AFTER`` of an address) each further failure makes
that pair (address) wait 2, 4, 8, ... seconds, at most ``LOGIN_DELAY_MAX_SECONDS``, before its
next attempt is even checked. A success clears the pair; failures older than
``LOGIN_FAILURE_MEMORY_HOURS`` are forgotten. Nothing here locks an account: another address
still signs in, and tokens live on. An account-wide lock is an administrator's act
(``User.locked_until``, lifted by ``user_unlock``, which also clears the account's rows).

The rows are keyed by the name as typed, known or not, so an unknown name is throttled exactly
like a known one and the throttle tells nothing about which names exist.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone

from dangjian.core.conf import setting

DEFAULTS = {
    "LOGIN_THROTTLE_AFTER": 3,
    "LOGIN_ADDRESS_THROTTLE_AFTER": 30,
    "LOGIN_DELAY_MAX_SECONDS": 15 * 60,
    "LOGIN_FAILURE_MEMORY_HOURS": 24,
}


def _conf(key: str) -> int:
    return int(setting(key, DEFAULTS[key]))


class LoginThrottle(models.Model):
    username_key = models.CharField(max_length=150, blank=True)  # "": the address as a whole
    address = models.CharField(max_length=64, blank=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    next_allowed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "登录失败计数"
        verbose_name_plural = "登录失败计数"
        constraints = [
            models.UniqueConstraint(
                fields=["username_key", "address"], name="login_throttle_unique_pair"
            )
        ]

    def __str__(self) -> str:
        return f"{self.username_key or '*'}@{self.address}: {self.failures}"


def delay_seconds(failures: int, free: int) -> int:
    """The wait after the ``failures``-th failure: none up to ``free``, then 2, 4, 8, ... s."""
    if failures < free:
        return 0
    return min(2 ** (failures - free + 1), _conf("LOGIN_DELAY_MAX_SECONDS"))


# An empty name is counted under a key no account can have (usernames take no parentheses):
# the empty key is the address's own row.
EMPTY_NAME = "(空)"


def _key(username: str) -> str:
    return username[:150] or EMPTY_NAME


def _rows(username: str, address: str) -> list[LoginThrottle]:
    """The pair's row and the address's row (created), locked for this transaction."""
    keys = [_key(username), ""]
    rows = list(
        LoginThrottle.objects.select_for_update().filter(username_key__in=keys, address=address)
    )
    for key in keys:
        if not any(r.username_key == key for r in rows):
            row, _created = LoginThrottle.objects.get_or_create(username_key=key, address=address)
            rows.append(LoginThrottle.objects.select_for_update().get(pk=row.pk))
    rows.sort(key=lambda r: r.username_key == "")  # the pair first
    return rows


def _fresh(row: LoginThrottle, now) -> None:
    memory = dt.timedelta(hours=_conf("LOGIN_FAILURE_MEMORY_HOURS"))
    if row.last_failure_at and now - row.last_failure_at > memory:
        row.failures = 0
        row.next_allowed_at = None


def waiting(username: str, address: str) -> bool:
    """Whether the pair or the address must still wait: its attempt is refused unchecked.
    Call inside the transaction that then calls ``failed`` or ``succeeded``."""
    now = timezone.now()
    rows = LoginThrottle.objects.filter(username_key__in=[_key(username), ""], address=address)
    return any(r.next_allowed_at and r.next_allowed_at > now for r in rows)


def failed(username: str, address: str) -> int:
    """Count a failure of the pair and of the address; returns the pair's failure count."""
    now = timezone.now()
    pair, whole = _rows(username, address)
    for row, free in (
        (pair, _conf("LOGIN_THROTTLE_AFTER")),
        (whole, _conf("LOGIN_ADDRESS_THROTTLE_AFTER")),
    ):
        _fresh(row, now)
        row.failures += 1
        row.last_failure_at = now
        wait = delay_seconds(row.failures, free)
        row.next_allowed_at = now + dt.timedelta(seconds=wait) if wait else None
        row.save(update_fields=["failures", "last_failure_at", "next_allowed_at"])
    return pair.failures


def succeeded(username: str, address: str) -> None:
    """A right password clears the pair (not the address: a sprayer holding one good account
    must not wipe the count of the others)."""
    LoginThrottle.objects.filter(username_key=_key(username), address=address).delete()


def forget_account(username: str) -> int:
    """Clear every address's count for this account name (``user_unlock``)."""
    return LoginThrottle.objects.filter(username_key=_key(username)).delete()[0]


def sweep() -> int:
    """Delete rows whose failures are forgotten anyway (a periodic clean-up)."""
    cutoff = timezone.now() - dt.timedelta(hours=_conf("LOGIN_FAILURE_MEMORY_HOURS"))
    return LoginThrottle.objects.filter(last_failure_at__lt=cutoff).delete()[0]
