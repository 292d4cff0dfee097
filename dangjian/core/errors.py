"""Errors a service raises for the API and console to turn into 4xx answers."""

from django.core.exceptions import ValidationError


class Conflict(Exception):
    """An illegal state transition or a clash with existing data (HTTP 409)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def field_error(field: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})
