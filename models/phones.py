"""Caller numbers as Twilio sends them, made into E.164 and a province guess."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import phonenumbers

from .places import province_codes_for_names

# Twilio sends a withheld caller ID as a word, or as the word typed on a keypad.
WITHHELD_WORDS = {"anonymous", "restricted", "unavailable", "unknown", "blocked", "private", "withheld"}
WITHHELD_KEYPAD = {"+266696687", "+7378742833", "+86282452253", "+8656696", "+2562533"}


# The Thai entries of phonenumbers' geocoder data (prefix: country code and area code), in English: the only
# ones a caller's province is read from. Its full data covers every country in every language, ~100 MB in each
# process that imports it; tests/test_phones.py checks that these still agree with it.
LANDLINE_AREAS = {
    "6610": "Bangkok/Nonthaburi/Pathum Thani/Samut Prakan",
    "6616": "Bangkok/Nonthaburi/Pathum Thani/Samut Prakan",
    "6618": "Bangkok/Nonthaburi/Pathum Thani/Samut Prakan",
    "6619": "Bangkok/Nonthaburi/Pathum Thani/Samut Prakan",
    "662": "Bangkok/Nonthaburi/Pathum Thani/Samut Prakan",
    "6632": "Phetchaburi/Prachuap Khiri Khan/Ratchaburi",
    "6633": "Chachoengsao/Chon Buri/Rayong",
    "6634": "Kanchanaburi/Nakhon Pathom/Samut Sakhon/Samut Songkhram",
    "6635": "Ang Thong/Phra Nakhon Si Ayutthaya/Suphan Buri",
    "6636": "Lop Buri/Saraburi/Sing Buri",
    "6637": "Nakhon Nayok/Prachin Buri/Sa Kaeo",
    "6638": "Chachoengsao/Chon Buri/Rayong",
    "6639": "Chanthaburi/Trat",
    "6642": "Loei/Mukdahan/Nakhon Phanom/Nong Khai/Sakon Nakhon/Udon Thani",
    "6643": "Kalasin/Khon Kaen/Maha Sarakham/Roi Et",
    "6644": "Buri Ram/Chaiyaphum/Nakhon Ratchasima/Surin",
    "6645": "Amnat Charoen/Si Sa Ket/Ubon Ratchathani/Yasothon",
    "6652": "Chiang Mai/Chiang Rai/Lamphun/Mae Hong Son",
    "6653": "Chiang Mai/Chiang Rai/Lamphun/Mae Hong Son",
    "6654": "Lampang/Nan/Phayao/Phrae",
    "6655": "Kamphaeng Phet/Phitsanulok/Sukhothai/Tak/Uttaradit",
    "6656": "Chai Nat/Nakhon Sawan/Phetchabun/Phichit/Uthai Thani",
    "6673": "Narathiwat/Pattani/Yala",
    "6674": "Phatthalung/Satun/Songkhla",
    "6675": "Krabi/Nakhon Si Thammarat/Trang",
    "6676": "Phang Nga/Phuket",
    "6677": "Chumphon/Ranong/Surat Thani",
}


@dataclass(frozen=True)
class Caller:
    raw: str | None
    e164: str | None = None
    country: str | None = None
    withheld: bool = False
    province_candidates: list[str] = field(default_factory=list)

    @property
    def province_code(self) -> str | None:
        """Only an unambiguous landline names a province."""
        return self.province_candidates[0] if len(self.province_candidates) == 1 else None


def read_caller(raw: str | None, region: str = "TH") -> Caller:
    raw = (raw or "").strip()[:64] or None
    if raw is None or raw.lower().strip("+ ") in WITHHELD_WORDS:
        return Caller(raw, withheld=True)
    text = re.sub(r"[\s().-]", "", raw)
    if text.startswith("00"):
        text = "+" + text[2:]
    if text in WITHHELD_KEYPAD:
        return Caller(raw, withheld=True)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return Caller(raw)
    if not phonenumbers.is_valid_number(number):
        return Caller(raw)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    country = phonenumbers.region_code_for_number(number)
    candidates: list[str] = []
    if country == "TH" and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE:
        candidates = province_codes_for_names(area_names(number))
    return Caller(raw, e164, country, False, candidates)


def mask(e164: str | None) -> str:
    """`+66 8X XXX 5678`-style masking for logs and roles that may not see numbers."""
    if not e164:
        return "no number"
    return e164[:4] + "X" * max(len(e164) - 8, 0) + e164[-4:]


def area_names(number: phonenumbers.PhoneNumber) -> list[str]:
    """The provinces a Thai landline's area code covers (as phonenumbers' geocoder finds them: the longest prefix)."""
    digits = f"{number.country_code}{phonenumbers.national_significant_number(number)}"
    for length in range(min(len(digits), max(map(len, LANDLINE_AREAS))), 0, -1):
        names = LANDLINE_AREAS.get(digits[:length])
        if names:
            return names.split("/")
    return []


def voice_number(text: str | None) -> str | None:
    """A number a call can reach (landlines too), as E.164; Thai numbers may be written locally. None if it is not."""
    text = (text or "").strip()
    return read_caller(text).e164 if 0 < len(text) <= 40 else None
