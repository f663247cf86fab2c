"""Binds the Turkish feature set (selected with --lang tr)."""

from pytest_bdd import scenarios

scenarios("tr")
