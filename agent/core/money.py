"""An amount of money in one currency, exact.

Why a type of our own: the whole product exists to notice when a seller's offer turns
into zero, so an amount must never be a float (0.1 + 0.2 != 0.3) and must never be
silently compared or added across currencies (R$10 is not US $10). A value that could
not be read is ``None`` in the models, never ``Money`` zero: zero means "the seller
offered nothing".
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

__all__ = ["Money", "minor_unit_exponent"]

_ISO_4217 = re.compile(r"^[A-Z]{3}$")

# Currencies whose minor unit is not the cent. Only formatting and ``from_minor`` use
# this; the amount itself is kept exactly as read.
_EXPONENT = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}


def minor_unit_exponent(currency: str) -> int:
    """Decimal places of ``currency``'s minor unit (2 unless listed as an exception)."""
    return _EXPONENT.get(currency, 2)


class Money(BaseModel):
    """An exact amount with its ISO 4217 currency; immutable and hashable."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: Decimal
    currency: str

    @field_validator("amount", mode="before")
    @classmethod
    def _no_float(cls, value: Any) -> Any:
        # A float has already lost the exact cents before it gets here: refuse it so
        # the mistake shows up where it is made, not as a cent off in a dispute.
        if isinstance(value, (float, bool)):
            raise ValueError("amount must be a Decimal, an int or a decimal string, never a float")
        return value

    @field_validator("amount")
    @classmethod
    def _finite(cls, value: Decimal) -> Decimal:
        if not value.is_finite():
            raise ValueError("amount must be a finite number")
        # "-R$0,00" is still zero: keep "-0.00" out of messages and comparisons of text
        return value.copy_abs() if value == 0 else value

    @field_validator("currency")
    @classmethod
    def _iso_code(cls, value: str) -> str:
        if not _ISO_4217.match(value):
            raise ValueError(f"currency must be an ISO 4217 code (3 upper-case letters), got {value!r}")
        return value

    # --- construction ----------------------------------------------------------------

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(amount=Decimal(0), currency=currency)

    @classmethod
    def from_minor(cls, units: int, currency: str) -> Money:
        """From an integer count of minor units (cents), as the site's ``cent`` fields."""
        if isinstance(units, bool) or not isinstance(units, int):
            raise ValueError(f"minor units must be an int, got {units!r}")
        return cls(amount=Decimal(units).scaleb(-minor_unit_exponent(currency)), currency=currency)

    # --- queries ------------------------------------------------------------------------

    def is_zero(self) -> bool:
        return self.amount == 0

    def is_negative(self) -> bool:
        return self.amount < 0

    def to_minor(self) -> int:
        """Integer minor units; raises if the amount has finer precision than the unit."""
        scaled = self.amount.scaleb(minor_unit_exponent(self.currency))
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{self} is not a whole number of minor units")
        return int(scaled)

    def __str__(self) -> str:
        exponent = minor_unit_exponent(self.currency)
        quantum = Decimal(1).scaleb(-exponent)
        amount = self.amount
        if amount == amount.quantize(quantum):
            amount = amount.quantize(quantum)
        return f"{amount:f} {self.currency}"

    # --- arithmetic (same currency only) -------------------------------------------------

    def _same(self, other: object, op: str) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot {op} Money and {type(other).__name__}")
        if other.currency != self.currency:
            raise ValueError(f"cannot {op} {self.currency} and {other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(amount=self.amount + self._same(other, "add").amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(amount=self.amount - self._same(other, "subtract").amount, currency=self.currency)

    def __neg__(self) -> Money:
        return Money(amount=-self.amount, currency=self.currency)

    def __abs__(self) -> Money:
        return Money(amount=abs(self.amount), currency=self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        # Only exact factors (a quantity, a Decimal rate): a float would bring binary noise.
        if isinstance(factor, bool) or not isinstance(factor, (int, Decimal)):
            raise TypeError(f"Money can only be multiplied by an int or a Decimal, not {type(factor).__name__}")
        return Money(amount=self.amount * factor, currency=self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other, "compare").amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other, "compare").amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other, "compare").amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other, "compare").amount
