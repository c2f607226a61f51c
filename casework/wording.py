"""Every SMS the hotline sends, replies included: no victim details, and never more than two segments.

Thai makes an SMS UCS-2: 70 UTF-16 units in one segment, 67 per segment once split.
"""
from __future__ import annotations

import re

from models.places import province_name
from models.vocabulary import KIND_UNKNOWN_SMS_TH, KINDS

MAX_SEGMENTS = 2
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)
GSM7_DOUBLE = set("^{}\\[~]|€")

LEVEL_TH = {1: "", 2: "ส่งต่อ:ยังไม่มีผู้รับ ", 3: "ส่งต่อส่วนกลาง "}


def segments(text: str) -> int:
    if all(c in GSM7 for c in text):
        units = len(text) + sum(c in GSM7_DOUBLE for c in text)
        return 1 if units <= 160 else -(-units // 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)


def escalation_sms(case, district_name: str | None, console_url: str | None) -> str:
    """Reference, kind, urgency, province/district, a console link and how to acknowledge; nothing about the victim."""
    urgent = "ด่วน " if case.urgency == "urgent" else ""
    kind = KINDS[case.category].sms_th if case.category in KINDS else KIND_UNKNOWN_SMS_TH
    province = province_name(case.province_code, "th")
    where = f"จ.{province}" if province else "ไม่ทราบจังหวัด"
    ack = f"ตอบ ACK {case.ack_code}"
    link = f"{console_url.rstrip('/')}/c/{case.id}" if console_url else ""
    head = f"{LEVEL_TH.get(case.level, '')}1300 {urgent}ค้ามนุษย์ {case.reference} {kind} {where}"
    # Drop the least needed parts first: district, then the link.
    for parts in ([head + (f" อ.{district_name}" if district_name else ""), link, ack], [head, link, ack], [head, ack]):
        text = " ".join(p for p in parts if p)
        if segments(text) <= MAX_SEGMENTS:
            return text
    return re.sub(r"\s+", " ", f"1300 {urgent}{case.reference} {ack}")


def confirmation_sms(case) -> str:
    return f"1300: บันทึกการรับเรื่องเคส {case.reference} แล้ว ขอบคุณค่ะ / ACK recorded for {case.reference}"


# Also the answer to a number that was not texted about the case it names: it says nothing of whether that case exists.
HELP_SMS = ("1300: ไม่พบเคส ตอบ ACK/ถึงแล้ว/เสร็จ/บันทึก + รหัส 4 หลัก เช่น ACK 4821 "
            "/ No case: reply ACK, ARRIVED, DONE or NOTE + 4-digit code")


def several_cases_sms(cases, word: str = "ACK") -> str:
    """A reply that fits more than one case: which one? Their references only, as the escalation SMS had; `word`
    is what to reply with (ACK, or the progress word the team used)."""
    for shown in (3, 2, 1):
        references = ", ".join(case.reference for case in cases[:shown])
        text = f"1300: ตรงกับหลายเคส ตอบ {word} + เลขเคส: {references} / Several cases match: reply {word} + reference"
        if segments(text) <= MAX_SEGMENTS:
            break
    return text


def already_acknowledged_sms(case) -> str:
    return f"1300: เคส {case.reference} มีผู้รับเรื่องแล้ว / {case.reference} was already acknowledged"


# Progress reported after the ACK (casework.replies): each confirmed with the reference only.
REPORTED = {"arrived": "1300: บันทึกการถึงที่เกิดเหตุ เคส {ref} แล้ว / Arrival recorded for {ref}",
            "done": "1300: ปิดเคส {ref} แล้ว ขอบคุณค่ะ / {ref} closed, thank you",
            "note": "1300: บันทึกข้อความเคส {ref} แล้ว / Note recorded for {ref}"}


def reported_sms(case, kind: str) -> str:
    return REPORTED[kind].format(ref=case.reference)


def done_help_sms(case) -> str:
    """DONE without an outcome it knows: the outcomes to reply with, nothing changed."""
    code = case.ack_code
    return (f"1300: ปิดเคส ตอบ เสร็จ {code} ช่วยเหลือ N/ส่งต่อ/ไม่พบการค้ามนุษย์/ไม่พบ "
            f"/ DONE {code} RESCUED N, REFERRED, NOTRAFFICKING or NOTFOUND")


def closed_sms(case) -> str:
    return f"1300: เคส {case.reference} ปิดแล้ว / {case.reference} is already closed"


# The database was down when the reply came: it is spooled, and acknowledged once replayed.
KEPT_SMS = "1300: ได้รับข้อความแล้ว ระบบจะบันทึกการตอบรับโดยเร็ว / Received; your reply will be recorded shortly"
