"""What the menu says. Thai and English are spoken by Twilio's text-to-speech;
Burmese, Khmer and Lao have no Twilio voice, so they play recordings from
PROMPTS_DIR/<language>/<key>.mp3 (or .wav) and fall back to the English text."""
from __future__ import annotations

from models.vocabulary import LANGUAGES as VOCABULARY

LANGUAGES = {code: language.own for code, language in VOCABULARY.items()}  # offered in their own script
SPOKEN = {"th": "th-TH", "en": "en-US"}  # languages Twilio can speak
RECORDED = [lang for lang in LANGUAGES if lang not in SPOKEN]
AUDIO_SUFFIXES = (".mp3", ".wav")

TEXT: dict[str, dict[str, str]] = {
    "welcome": {
        "th": "ศูนย์ช่วยเหลือสังคม สายด่วน หนึ่ง สาม ศูนย์ ศูนย์ กระทรวงการพัฒนาสังคมและความมั่นคงของมนุษย์ สวัสดีค่ะ",
        "en": "Welcome to the 1 3 0 0 social assistance hotline of the Ministry of Social Development and Human Security.",
    },
    "choose_language": {
        "th": "ภาษาไทย กด 1",
        "en": "For English, press 2.",
        "my": "For Burmese, press 3.",
        "km": "For Khmer, press 4.",
        "lo": "For Lao, press 5.",
    },
    "main_menu": {
        "th": "แจ้งเหตุการค้ามนุษย์ กด 1. ขอความช่วยเหลือเรื่องอื่น หรือคุยกับเจ้าหน้าที่ กด 2. ฟังอีกครั้ง กด 9.",
        "en": "To report human trafficking, press 1. For other help, or to talk to an operator, press 2. To hear this again, press 9.",
    },
    "kind_menu": {
        "th": (
            "หากมีคนตกอยู่ในอันตรายตอนนี้ กด 1 เพื่อคุยกับเจ้าหน้าที่ทันที. "
            "การแสวงหาประโยชน์ทางเพศ กด 2. "
            "การบังคับใช้แรงงานหรือบริการ รวมถึงการทำงานใช้หนี้ หรือถูกยึดเอกสาร กด 3. "
            "การบังคับให้เป็นขอทาน กด 4. "
            "การเอาคนลงเป็นทาส กด 5. "
            "การบังคับตัดอวัยวะ กด 6. "
            "การบังคับให้ทำงานในแก๊งหลอกลวงหรือแก๊งคอลเซ็นเตอร์ กด 7. "
            "การแสวงหาประโยชน์จากเด็ก กด 8. "
            "เรื่องอื่น กด 9. คุยกับเจ้าหน้าที่ กด 0. ฟังอีกครั้ง กดดอกจัน."
        ),
        "en": (
            "If someone is in danger right now, press 1 to talk to an operator at once. "
            "Sexual exploitation, press 2. "
            "Forced labour or services, including debt bondage or taken documents, press 3. "
            "Forced begging, press 4. "
            "Slavery, press 5. "
            "Forced organ removal, press 6. "
            "Forced work in a scam compound, press 7. "
            "Exploitation of a child, press 8. "
            "Something else, press 9. To talk to an operator, press 0. To hear this again, press star."
        ),
    },
    "postcode": {
        "th": "กรุณากดรหัสไปรษณีย์ 5 หลักของสถานที่เกิดเหตุ หากไม่ทราบ กดเครื่องหมายสี่เหลี่ยม",
        "en": "Please enter the 5-digit postcode of the place where this is happening. If you do not know it, press hash.",
    },
    "postcode_retry": {
        "th": "ไม่พบรหัสไปรษณีย์นี้ กรุณากดอีกครั้ง",
        "en": "We could not find that postcode. Please try again.",
    },
    "postcode_thanks": {
        "th": "ขอบคุณค่ะ",
        "en": "Thank you.",
    },
    "consent": {
        "th": "หากเจ้าหน้าที่โทรกลับมาที่หมายเลขนี้ จะปลอดภัยสำหรับคุณหรือไม่ ปลอดภัย กด 1 ไม่ปลอดภัย กด 2",
        "en": "Is it safe for us to call you back on this number? If it is safe, press 1. If it is not safe, press 2.",
    },
    "record": {
        "th": "หลังเสียงสัญญาณ กรุณาเล่าสิ่งที่เกิดขึ้น ที่ไหน ใคร กี่คน เมื่อพูดจบ กดเครื่องหมายสี่เหลี่ยม",
        "en": "After the tone, tell us what is happening: where, who, and how many people. Press hash when you have finished.",
    },
    "invalid": {
        "th": "ขออภัย ไม่มีตัวเลือกนี้",
        "en": "Sorry, that is not one of the choices.",
    },
    "no_input": {
        "th": "ขออภัย ไม่ได้ยินการกดปุ่ม",
        "en": "Sorry, we did not hear a choice.",
    },
    # A case's reference and, with no case (other help), the call's own number: never named alike, so a caller
    # does not quote a call number as a case.
    "reference": {
        "th": "ขอบคุณที่แจ้งเหตุ หมายเลขอ้างอิงเรื่องของคุณคือ",
        "en": "Thank you for your report. Your case reference is",
    },
    "reference_again": {
        "th": "ขอทวนหมายเลขอ้างอิงเรื่องของคุณอีกครั้ง",
        "en": "Again, your case reference is",
    },
    "call_number": {
        "th": "ขอบคุณที่โทรมา หมายเลขการโทรของคุณคือ",
        "en": "Thank you for calling. Your call number is",
    },
    "call_number_again": {
        "th": "ขอทวนหมายเลขการโทรของคุณอีกครั้ง",
        "en": "Again, your call number is",
    },
    "operator_offer": {
        "th": "หากต้องการคุยกับเจ้าหน้าที่ตอนนี้ กด 0",
        "en": "To talk to an operator now, press 0.",
    },
    "goodbye": {
        "th": "หากคุณหรือผู้อื่นตกอยู่ในอันตราย โทร หนึ่ง เก้า หนึ่ง หรือ หนึ่ง สาม ศูนย์ ศูนย์ ได้ตลอด 24 ชั่วโมง ขอบคุณค่ะ",
        "en": "If you or anyone else is in danger, call 1 9 1, or 1 3 0 0, at any time, day or night. Thank you. Goodbye.",
    },
    "operator_connect": {
        "th": "กรุณารอสักครู่ กำลังโอนสายไปยังเจ้าหน้าที่",
        "en": "Please hold. We are connecting you to an operator.",
    },
    "urgent_connect": {
        "th": "เรากำลังโอนสายไปยังเจ้าหน้าที่ทันที กรุณาอย่าวางสาย",
        "en": "We are connecting you to an operator right now. Please stay on the line.",
    },
    "hold_place": {
        "th": "ขอบคุณที่รอสาย เจ้าหน้าที่จะรับสายโดยเร็วที่สุด ท่านอยู่ลำดับที่",
        "en": "Thank you for waiting. An operator will answer as soon as possible. You are number",
    },
    "hold_next": {
        "th": "ขอบคุณที่รอสาย ท่านเป็นลำดับถัดไป กรุณาอย่าวางสาย",
        "en": "Thank you for waiting. You are next in line. Please stay on the line.",
    },
    "leave_offer": {
        "th": "ขออภัยที่ต้องรอนาน หากต้องการฝากข้อความ กด 1 หากต้องการรอเจ้าหน้าที่ต่อ กด 2 หรืออยู่ในสาย",
        "en": "Sorry to keep you waiting. To leave a message, press 1. To keep waiting for an operator, press 2 or stay on the line.",
    },
    "operator_busy": {
        "th": "ขออภัย เจ้าหน้าที่ยังไม่ว่าง กรุณาฝากข้อความไว้ เจ้าหน้าที่จะดำเนินการโดยเร็วที่สุด",
        "en": "Sorry, no operator is free right now. Please leave a message and we will act on it as soon as we can.",
    },
}

# Digits read back one by one; recorded languages play digit_0 ... digit_9.
DIGITS = {
    "th": ["ศูนย์", "หนึ่ง", "สอง", "สาม", "สี่", "ห้า", "หก", "เจ็ด", "แปด", "เก้า"],
    "en": ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
}


WITHOUT_A_CASE = {"reference": "call_number", "reference_again": "call_number_again"}


def text(key: str, language: str) -> str:
    """The words for a prompt: the language's own, else English."""
    words = TEXT[key]
    return words.get(language) or words["en"]


def recording_keys() -> list[str]:
    """Every file a recorded language needs, for the README and `flask ivr prompts`."""
    return sorted(TEXT) + [f"digit_{d}" for d in range(10)]
