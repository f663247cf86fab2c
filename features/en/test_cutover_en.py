"""Binds the English feature set (selected with --lang en, the default)."""

from pytest_bdd import scenarios

scenarios("en")
