"""Deterministic, realistic seed data shared by the sandboxes (Faker, seeded)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from faker import Faker

__all__ = ["SEED_EPOCH", "SeedData"]

SEED_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
"""Seeded dates fall in the two years from here."""

_TWO_YEARS_S = 2 * 365 * 24 * 3600


class SeedData:
    """One seeded source of names, phones, emails and dates: same seed, same data."""

    def __init__(self, seed: int = 0, locale: str = "en_US") -> None:
        self.random = random.Random(seed)
        self.faker = Faker(locale)
        self.faker.seed_instance(seed)

    def instant(self) -> datetime:
        """An aware UTC instant in the two seeded years, whole seconds."""
        return SEED_EPOCH + timedelta(seconds=self.random.randrange(_TWO_YEARS_S))

    def instant_after(self, start: datetime, max_days: int = 30) -> datetime:
        """An instant up to ``max_days`` after ``start``."""
        return start + timedelta(seconds=self.random.randrange(max_days * 24 * 3600))

    def first_name(self) -> str:
        return self.faker.first_name()

    def last_name(self) -> str:
        return self.faker.last_name()

    def email(self, first: str, last: str) -> str:
        """A plausible address for the person (the example.* domains never deliver mail)."""
        domain = self.random.choice(["example.com", "example.org", "example.net"])
        return f"{first}.{last}{self.random.randrange(100)}@{domain}".lower()

    def phone_e164(self, country_code: str = "1") -> str:
        """A syntactically valid E.164 number in the fictional 555-01xx range for +1."""
        if country_code == "1":
            return f"+1{self.random.randrange(201, 990)}55501{self.random.randrange(100):02d}"
        return f"+{country_code}{self.random.randrange(10**9, 10**10)}"

    def sentence(self) -> str:
        return self.faker.sentence()

    def company(self) -> str:
        return self.faker.company()

    def street(self) -> str:
        return self.faker.street_address()

    def city(self) -> str:
        return self.faker.city()

    def postcode(self) -> str:
        return self.faker.postcode()

    def choice(self, options: list[str]) -> str:
        return self.random.choice(options)

    def sample(self, options: list[int], most: int) -> list[int]:
        """Up to ``most`` distinct options, in a stable order."""
        count = self.random.randint(0, min(most, len(options)))
        return sorted(self.random.sample(options, count))
