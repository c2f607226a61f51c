"""Escalation SMS stay within two segments and say nothing about the victim."""
from __future__ import annotations

from types import SimpleNamespace

import geothai
import pytest

from casework.wording import (
    HELP_SMS,
    KEPT_SMS,
    already_acknowledged_sms,
    closed_sms,
    confirmation_sms,
    done_help_sms,
    escalation_sms,
    reported_sms,
    segments,
    several_cases_sms,
)
from models.vocabulary import KINDS

CONSOLE = "https://1300.m-society.go.th"


def case(**fields):
    base = dict(id=4821, reference="1300-69-004821", urgency="urgent", category="forced_labour",
                province_code="80", district_code=None, level=1)
    base.update(fields)
    return SimpleNamespace(ack_code=f"{base['id'] % 10000:04d}", **base)


def test_segment_counting_follows_gsm7_and_ucs2():
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2 and segments("a" * 306) == 2
    assert segments("ก" * 70) == 1 and segments("ก" * 71) == 2 and segments("ก" * 134) == 2 and segments("ก" * 135) == 3
    assert segments("[" * 80) == 1 and segments("[" * 81) == 2  # GSM-7 escapes count twice


def longest_district(province_code: str) -> str:
    names = [d.name_th for d in geothai.districts(province_code)]
    return max(names, key=len)


@pytest.mark.parametrize("level", [1, 2, 3])
@pytest.mark.parametrize("urgency", ["urgent", "normal"])
def test_every_province_and_kind_fits_in_two_segments(level, urgency):
    for province in geothai.provinces():
        district = longest_district(province.code)
        for category in [*KINDS, None]:
            text = escalation_sms(case(id=999999, province_code=province.code, category=category, level=level,
                                       urgency=urgency, reference="1300-69-999999"), district, CONSOLE)
            assert segments(text) <= 2, text
            assert "ACK 9999" in text and "1300-69-999999" in text


def test_the_usual_sms_carries_the_district_and_the_console_link():
    text = escalation_sms(case(province_code="50"), "เมืองเชียงใหม่", CONSOLE)
    assert text == ("1300 ด่วน ค้ามนุษย์ 1300-69-004821 บังคับใช้แรงงาน จ.เชียงใหม่ อ.เมืองเชียงใหม่ "
                    "https://1300.m-society.go.th/c/4821 ตอบ ACK 4821")


def test_an_unknown_province_says_so():
    assert "ไม่ทราบจังหวัด" in escalation_sms(case(province_code=None), None, None)


def test_every_kind_has_a_thai_label_and_replies_fit():
    assert all(kind.sms_th for kind in KINDS.values())
    assert segments(HELP_SMS) <= 2 and segments(KEPT_SMS) <= 2
    assert segments(already_acknowledged_sms(case(reference="1300-69-999999"))) <= 2
    assert segments(confirmation_sms(case(reference="1300-69-999999"))) <= 2
    assert segments(several_cases_sms([case(reference="1300-69-999999")] * 5)) <= 2


def test_the_answers_to_progress_reports_fit_and_carry_the_reference_only():
    longest = case(id=999999, reference="1300-69-999999")
    for kind in ("arrived", "done", "note"):
        text = reported_sms(longest, kind)
        assert segments(text) <= 2 and longest.reference in text, text
    assert segments(done_help_sms(longest)) <= 2 and "DONE 9999 RESCUED" in done_help_sms(longest)
    assert segments(closed_sms(longest)) <= 2
    for word in ("ACK", "ARRIVED", "DONE", "NOTE"):
        text = several_cases_sms([longest] * 5, word)
        assert segments(text) <= 2 and longest.reference in text and f"reply {word}" in text
