"""What a report must look like: strict, so a wrong field is a precise 422, never a 500."""
from __future__ import annotations

from typing import Literal

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.vocabulary import KINDS, LANGUAGES, URGENCIES

Kind = Literal[tuple(KINDS)]  # type: ignore[valid-type]
Language = Literal[tuple(LANGUAGES)]  # type: ignore[valid-type]
Urgency = Literal[tuple(URGENCIES)]  # type: ignore[valid-type]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)


class Location(Strict):
    province_code: str | None = Field(None, pattern=r"^\d{2}$", description="ISO 3166-2:TH number, e.g. 50")
    postcode: str | None = Field(None, pattern=r"^\d{5}$")
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)

    @model_validator(mode="after")
    def one_way(self):
        ways = [self.province_code is not None, self.postcode is not None,
                self.latitude is not None or self.longitude is not None]
        if sum(ways) != 1:
            raise ValueError("give exactly one of province_code, postcode, or latitude with longitude")
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together")
        return self


class Reporter(Strict):
    type: Literal["app_user", "volunteer", "agency"]
    id: str | None = Field(None, min_length=1, max_length=64, description="volunteer (อพม.) or agency id")

    @model_validator(mode="after")
    def volunteers_say_who(self):
        if self.type == "volunteer" and not self.id:
            raise ValueError("a volunteer report needs the volunteer's id")
        return self


class ReportIn(Strict):
    idempotency_key: str = Field(min_length=8, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$",
                                 description="client-generated; the same key and body returns the same case, another body is refused (422)")
    kind: Kind
    urgency: Urgency = "normal"
    description: str | None = Field(None, max_length=4000)
    location: Location | None = None
    reporter: Reporter
    contact_number: str | None = Field(None, max_length=32, pattern=r"^\+?[0-9][0-9 ()-]{5,30}$",
                                       description="E.164 or Thai national format")
    callback_consent: bool | None = None
    language: Language = "th"

    @field_validator("contact_number")
    @classmethod
    def e164(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            number = phonenumbers.parse(value, "TH")
        except phonenumbers.NumberParseException:
            raise ValueError("not a phone number") from None
        if not phonenumbers.is_valid_number(number):
            raise ValueError("not a valid phone number")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
