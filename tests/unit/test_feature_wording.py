"""The English scenarios read as English once their examples are filled in: what every report prints as a test's
name and its steps ("an Adyen webhook", never "A adyen webhook")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_bdd.parser import FeatureParser

FEATURES = Path(__file__).resolve().parents[2] / "features"
BRANDS = ("Adyen", "Stripe", "PSP", "SHA", "CORS", "KYC")
A_BEFORE_A_VOWEL = re.compile(r"\b[Aa] (?=[AEIOaeio])")
"""'a' before a vowel sound ("a adyen", "a admin"); 'u' is left out ("a user", "a unique" are right)."""


def rendered(lang: str) -> Iterator[tuple[str, list[str]]]:
    """Every scenario of the language's features, each outline once per example row: (name, step texts)."""
    for path in sorted((FEATURES / lang).glob("*.feature")):
        feature = FeatureParser(str(FEATURES), str(path.relative_to(FEATURES))).parse()
        for template in feature.scenarios.values():
            contexts = [ctx for ex in template.examples for ctx in ex.as_contexts()] or [{}]
            for ctx in contexts:
                scenario = template.render(ctx)
                yield scenario.name, [step.name for step in scenario.steps]


def test_the_features_are_found() -> None:
    names = [name for name, _ in rendered("en")]
    expected = "Every webhook route refuses an event without a signature or signed with a wrong secret"
    assert len(names) > 30 and expected in names


@pytest.mark.parametrize(("name", "steps"), list(rendered("en")), ids=lambda v: v if isinstance(v, str) else "")
def test_an_english_scenario_reads_as_english(name: str, steps: list[str]) -> None:
    for text in (name, *steps):
        assert not A_BEFORE_A_VOWEL.search(text), f"'a' before a vowel: {text!r}"
        for brand in BRANDS:
            assert not re.search(rf"\b{brand.lower()}\b", text), f"{brand} written {brand.lower()!r}: {text!r}"
